"""The query process: evaluates several queries at once, on threads, on snapshots.

It is started by ``service.querypool`` (forkserver context) and killed when a
query runs past its time limit. pyoxigraph releases the GIL while it
evaluates, so its threads run queries in parallel, all reading one store per
snapshot and sharing its caches (one process per query was measured 21 %
slower on a scan of the claims' text at 1M triples).

Messages on its pipe, each led by the job id:

- in: ``(job_id, snapshot_path, QueryJob.to_wire())``;
- out: ``(job_id, "answer", format_name, rows, truncated, size, body)`` when
  the body fits in one chunk; else the same with ``body=None``, then
  ``(job_id, "chunk", bytes)`` messages and ``(job_id, "end")``; or
  ``(job_id, "error", class_name, detail, extras)``.
"""

from __future__ import annotations

import json
import signal
import threading
from concurrent.futures import ThreadPoolExecutor
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

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


class _Stores:
    """Open snapshot stores, counted by the queries reading them; old ones close when idle."""

    def __init__(self, vocab: Vocab) -> None:
        self.vocab = vocab
        self._lock = threading.Lock()
        self._open: dict[str, list[Any]] = {}  # path -> [store, readers]
        self._latest = ""

    def acquire(self, path: str) -> OxigraphStore:
        with self._lock:
            if path not in self._open:
                self._open[path] = [OxigraphStore.open_read_only(Path(path), self.vocab), 0]
                self._latest = path
            entry = self._open[path]
            entry[1] += 1
            store = entry[0]
            assert isinstance(store, OxigraphStore)
            return store

    def release(self, path: str) -> None:
        with self._lock:
            self._open[path][1] -= 1
            for old in [p for p, (_s, n) in self._open.items() if n == 0 and p != self._latest]:
                self._open.pop(old)[0].close()


def worker_main(conn: Connection, base_iri: str, threads: int) -> None:
    """Serve jobs until the pipe closes (the web process went away)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the web process decides when we stop
    stores = _Stores(Vocab(base_iri))
    send_lock = threading.Lock()

    def send(message: tuple[Any, ...]) -> None:
        with send_lock:
            conn.send(message)

    def run(job_id: int, path: str, wire: Any) -> None:
        try:
            store = stores.acquire(path)
            try:
                answered = store.answer(QueryJob.from_wire(wire))
            finally:
                stores.release(path)
        except ParleyError as exc:
            send((job_id, "error", type(exc).__name__, exc.detail, _json_safe(exc.extras)))
            return
        except Exception as exc:  # a bug or an engine failure: report, keep serving
            send((job_id, "error", "StoreError", f"the query failed: {exc}", {}))
            return
        body = answered.body
        head = (
            job_id,
            "answer",
            answered.format.name,
            answered.rows,
            answered.truncated,
            len(body),
        )
        if len(body) <= CHUNK:  # most answers: one message
            send((*head, body))
            return
        send((*head, None))
        for start in range(0, len(body), CHUNK):
            send((job_id, "chunk", body[start : start + CHUNK]))
        send((job_id, "end"))

    with ThreadPoolExecutor(max_workers=max(1, threads), thread_name_prefix="query") as pool:
        while True:
            try:
                job_id, path, wire = conn.recv()
            except (EOFError, OSError):
                return
            pool.submit(run, job_id, path, wire)
