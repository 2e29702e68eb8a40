"""The query pool in-process (``service.query._pool``), with real query processes over a real
store on disk: answers read slowly or left half read, evaluation slots, and a process
retired by a commit while it runs a query.

In-process because what these tests look at (the pool's admission, the pids of its
query processes, the pace at which an answer's chunks are taken) is not visible
through HTTP, whose socket buffers would swallow a whole answer before a slow client
could be slow.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph
import pytest

from service.errors import QueryTimeoutError
from service.query import QueryJob, QueryPool, Streamed
from service.query._worker import CHUNK
from service.rdf import JSON, NTRIPLES, Literal, NamedNode, Quad, Vocab
from service.store import ChangeSet, OxigraphStore
from tests.support import first_subjects

pytestmark = pytest.mark.server

BULK = NamedNode("http://example.org/bulk")
P = NamedNode("http://ex/p")
#: About 1 MiB of N-Triples: an answer that travels in several chunks.
LARGE = "CONSTRUCT { ?s ?p ?o } WHERE { GRAPH <http://example.org/bulk> { ?s ?p ?o } }"
#: 30 x 60^3 solutions to count over the 60 numbered triples: about two seconds of work,
#: long enough to outlast a commit and the queries after it.
HEAVY = (
    f"SELECT (COUNT(*) AS ?n) WHERE {{ {first_subjects('a', 30)} GRAPH ?g {{ "
    "?a <http://ex/n> ?b . ?c <http://ex/n> ?d . ?e <http://ex/n> ?f . ?h <http://ex/n> ?i } }"
)
HEAVY_COUNT = 30 * 60**3


@pytest.fixture
def store(tmp_path: Path) -> Iterator[OxigraphStore]:
    opened = OxigraphStore.open(tmp_path / "store", Vocab("http://127.0.0.1:1/"))
    filler = "x" * 250
    quads = [
        Quad(NamedNode(f"http://ex/b{i}"), P, Literal(f"{i} {filler}"), BULK) for i in range(4000)
    ]
    numbers = NamedNode("http://ex/n")
    quads += [Quad(NamedNode(f"http://ex/s{i}"), numbers, Literal(str(i)), BULK) for i in range(60)]
    opened.commit(ChangeSet(insert=quads))
    yield opened
    opened.close()


def _pool(store: OxigraphStore, *, workers: int = 2, timeout_s: float = 30) -> QueryPool:
    return QueryPool(
        store, workers=workers, max_concurrent=4, timeout_s=timeout_s, base_iri=store.vocab.base
    )


def _job(text: str, *, graph: bool = False) -> QueryJob:
    return QueryJob(
        text, None, False, None if graph else JSON, NTRIPLES if graph else None, 10**6, 1 << 28
    )


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_a_slow_reader_gets_the_whole_answer_and_nothing_is_stopped(store: OxigraphStore) -> None:
    """The answer is computed before its chunks are sent: reading them for longer than the
    time limit is no query running past it."""
    pool = _pool(store, timeout_s=1)
    try:
        answer = pool.run(_job(LARGE, graph=True))
        assert answer.body is None  # it comes in chunks
        assert answer.size > 3 * CHUNK
        pids = pool.worker_pids()
        received = bytearray(next(answer.chunks))
        time.sleep(1.5)  # past the time limit
        for chunk in answer.chunks:
            received += chunk
        assert len(received) == answer.size
        triples = list(pyoxigraph.parse(bytes(received), pyoxigraph.RdfFormat.N_TRIPLES))
        assert len(triples) == answer.rows == 4060
        assert pool.worker_pids() == pids
        assert all(_alive(pid) for pid in pids)
    finally:
        pool.close()


def test_a_reader_that_leaves_frees_everything_it_held(store: OxigraphStore) -> None:
    pool = _pool(store)
    try:
        answer = pool.run(_job(LARGE, graph=True))
        assert next(answer.chunks)
        assert pool.running() == 0  # evaluated: its admission was given back at once
        answer.chunks.close()  # type: ignore[attr-defined]  # what a WSGI server calls
        channel = answer.chunks.channel  # type: ignore[attr-defined]
        assert channel.fileno() == -1  # closed, not given back half read
        pids = pool.worker_pids()
        again = _read(pool.run(_job("SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }")))
        assert b'"4060"' in again
        assert pool.worker_pids() == pids
    finally:
        pool.close()


def _read(answer: Streamed) -> bytes:
    return b"".join(answer.chunks)


def test_waiting_for_a_slot_past_the_limit_stops_nothing(store: OxigraphStore) -> None:
    """A query that never got an evaluation slot has nothing running to stop: it is
    refused, and the queries holding the slots are not disturbed."""
    pool = _pool(store, workers=1, timeout_s=0.5)
    try:
        assert b"true" in _read(pool.run(_job("ASK { GRAPH ?g { ?s ?p ?o } }")))
        pids = pool.worker_pids()
        assert pool._slots.acquire(timeout=5)  # a query evaluating in the only slot
        try:
            with pytest.raises(QueryTimeoutError, match="evaluation slots"):
                pool.run(_job("ASK { GRAPH ?g { ?s ?p ?o } }"))
        finally:
            pool._slots.release()
        assert pool.worker_pids() == pids
        assert all(_alive(pid) for pid in pids)
        assert b"true" in _read(pool.run(_job("ASK { GRAPH ?g { ?s ?p ?o } }")))
    finally:
        pool.close()


def test_a_query_on_a_retired_process_is_finished_by_it(store: OxigraphStore) -> None:
    """A commit makes the next query start a new query process; the query the old one was
    running is answered by it, whole, and then the old one exits."""
    pool = _pool(store)
    try:
        assert b"true" in _read(pool.run(_job("ASK { GRAPH ?g { ?s ?p ?o } }")))
        (old,) = pool.worker_pids()
        outcome: dict[str, bytes] = {}
        thread = threading.Thread(target=lambda: outcome.update(heavy=_read(pool.run(_job(HEAVY)))))
        thread.start()
        deadline = time.monotonic() + 10
        while pool.running() == 0 and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.2)  # sent, and evaluating
        store.commit(ChangeSet(insert=[Quad(NamedNode("http://ex/new"), P, Literal("new"), BULK)]))
        assert b"true" in _read(pool.run(_job('ASK { GRAPH ?g { <http://ex/new> ?p "new" } }')))
        (new,) = pool.worker_pids()
        assert new != old
        still_running = thread.is_alive()
        thread.join(60)
        assert f'"{HEAVY_COUNT}"'.encode() in outcome["heavy"]
        assert still_running, "the heavy query should have outlasted the commit"
        deadline = time.monotonic() + 10
        while _alive(old) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not _alive(old)  # it answered, then exited
        assert _alive(new)
    finally:
        pool.close()
