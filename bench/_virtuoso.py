"""Virtuoso for the benchmarks: the tests' scratch-directory server (``tests/virtuoso.py``:
its template database with the update permission granted, its bulk loader), with a page
cache sized for the 1M-triple stores and answers never cut at a row cap.

Debian's ``virtuoso-opensource-7-bin`` must be installed (``make virtuoso``)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.virtuoso import VirtuosoProcess, _template, start_virtuoso

#: NumberOfBuffers: 8 KiB pages, about 700 MB. Virtuoso's docs suggest about 85,000 per
#: GB of RAM given it; a 2M-quad store takes a few hundred MB of pages, so it all fits.
BUFFERS = 85_000
#: ResultSetMaxRows: above any answer of the benchmarks (Virtuoso cuts answers silently at
#: it, and Parley refuses an internal read that reaches it).
MAX_ROWS = 1_000_000
#: MaxQueryExecutionTime, as Parley's --query-timeout in the benchmarks.
TIMEOUT_S = 30


@dataclass
class Started:
    """A Virtuoso the bench started, and the seconds it took: until it answered on a new
    database (``up_s``) and until its data was loaded (``ready_s``)."""

    server: VirtuosoProcess
    up_s: float
    ready_s: float


@contextmanager
def virtuoso(
    root: Path, *, nquads: Path | None = None, store: Path | None = None, base_iri: str = ""
) -> Iterator[Started]:
    """A Virtuoso in ``root`` holding the N-Quads file ``nquads`` as it is, or the
    pyoxigraph store directory ``store`` as a remote Parley store keeps it (its default
    graph moved to ``{base_iri}graph/default``); stopped on exit."""
    _template()  # made once per process; its few seconds are not the server's start
    started = time.monotonic()
    server = start_virtuoso(
        root,
        max_rows=MAX_ROWS,
        timeout_s=TIMEOUT_S,
        buffers=BUFFERS,
    )
    try:
        up = time.monotonic()
        if store is not None:
            from service.rdf import Vocab
            from tests.virtuoso import write_nquads

            write_nquads(store, root / "store.nq")
            # Where a remote Parley store keeps its default graph (``StoreGraphs.default``).
            server.load_nquads(root / "store.nq", Vocab(base_iri).graph("default").value)
        elif nquads is not None:
            server.load_nquads(nquads)
        yield Started(server, up - started, time.monotonic() - started)
    finally:
        server.stop()
