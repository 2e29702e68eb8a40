"""The query worker process: evaluates one query at a time on a snapshot.

It is started by ``service.querypool`` (forkserver context) and killed when a
query runs past its time limit. Messages on its pipe:

- in: ``(snapshot_path, QueryJob)``;
- out: ``("answer", format_name, rows, truncated, size, body)`` when the body
  fits in one chunk; else the same with ``body=None``, then the body as
  ``send_bytes`` chunks and an empty chunk; or ``("error", class_name,
  detail, extras)``.
"""

from __future__ import annotations

import json
import signal
from multiprocessing.connection import Connection
from pathlib import Path

from service.errors import ParleyError
from service.oxigraph_store import OxigraphStore
from service.queryjob import QueryJob
from service.vocab import Vocab

CHUNK = 256 * 1024


def _json_safe(extras: dict[str, object]) -> dict[str, object]:
    safe: dict[str, object] = {}
    for key, value in extras.items():
        try:
            json.dumps(value)
        except (TypeError, ValueError):
            continue
        safe[key] = value
    return safe


def worker_main(conn: Connection, base_iri: str) -> None:
    """Serve jobs until the pipe closes (the web process went away)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the web process decides when we stop
    vocab = Vocab(base_iri)
    opened: tuple[str, OxigraphStore] | None = None
    while True:
        try:
            path, job = conn.recv()
        except (EOFError, OSError):
            return
        assert isinstance(job, QueryJob)
        try:
            if opened is None or opened[0] != path:
                if opened is not None:
                    opened[1].close()
                    opened = None
                opened = (path, OxigraphStore.open_read_only(Path(path), vocab))
            answered = opened[1].answer(job)
        except ParleyError as exc:
            conn.send(("error", type(exc).__name__, exc.detail, _json_safe(exc.extras)))
            continue
        except Exception as exc:  # a bug or an engine failure: report, keep serving
            conn.send(("error", "StoreError", f"the query failed: {exc}", {}))
            continue
        body = answered.body
        meta = ("answer", answered.format.name, answered.rows, answered.truncated, len(body))
        if len(body) <= CHUNK:  # most answers: one message, one round trip
            conn.send((*meta, body))
            continue
        conn.send((*meta, None))
        for start in range(0, len(body), CHUNK):
            conn.send_bytes(body[start : start + CHUNK])
        conn.send_bytes(b"")
