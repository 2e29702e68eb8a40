"""The checkpoint workers (``service.query._checkpoint``, ``Settings.query_engine =
"checkpoint"``): the query pool's guarantees, on checkpoints of the store.

In-process first, over a real store on disk and real query processes (what
they look at, the runner's admission, its process and checkpoints, the pace at
which an answer's chunks are taken, is not visible through HTTP): answers read
slowly or left half read, evaluation slots, a kill at the time limit and its
replacement (no reload), queries sharing a killed process, reading one's own
writes, a commit under a running query, and nothing left after ``close``. Then
real servers started with ``PARLEY_QUERY_ENGINE=checkpoint``: the time limit as
a client sees it, a write storm, every kind of write seen quad for quad, no
process left after a stop, and the W3C protocol manifests.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph
import pytest

from service.errors import QueryCrashedError, QueryTimeoutError
from service.query import CheckpointRunner, QueryJob, QueryLimits, QueryPool, QueryRunner, Streamed
from service.query._worker import CHUNK
from service.rdf import JSON, NTRIPLES, Literal, NamedNode, Quad, Vocab
from service.settings import Settings
from service.store import ChangeSet, OxigraphStore
from service.web._app import _query_runner
from tests.support import (
    CROSS_PRODUCT,
    ServerProcess,
    first_subjects,
    free_port,
    insert_test_triples,
    start_server,
)
from tests.test_query_copy import EVERY_QUAD, GRAPHS, _rows, _store_rows
from tests.test_w3c_protocol import GSP, PROTOCOL, _replay
from tests.w3c import ProtocolCase

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
#: 30 x 60^4 solutions (about two minutes of work): far past any limit of these tests.
ENDLESS = HEAVY.replace("?h <http://ex/n> ?i }", "?h <http://ex/n> ?i . ?j <http://ex/n> ?k }")
COUNT = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"
ENGINE = {"PARLEY_QUERY_ENGINE": "checkpoint"}
JSON_RESULTS = {"Accept": "application/sparql-results+json"}
UPDATE = {"Content-Type": "application/sparql-update"}
QUERY = {"Content-Type": "application/sparql-query"}


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


def _runner(store: OxigraphStore, *, workers: int = 2, timeout_s: float = 30) -> CheckpointRunner:
    return CheckpointRunner(
        store, workers=workers, max_concurrent=4, timeout_s=timeout_s, base_iri=store.vocab.base
    )


def _job(text: str, *, graph: bool = False) -> QueryJob:
    return QueryJob(
        text, None, False, None if graph else JSON, NTRIPLES if graph else None, 10**6, 1 << 28
    )


def _read(answer: Streamed) -> bytes:
    return b"".join(answer.chunks)


def _count(runner: CheckpointRunner) -> int:
    body = json.loads(_read(runner.run(_job(COUNT))))
    return int(body["results"]["bindings"][0]["n"]["value"])


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _wait_ready(runner: CheckpointRunner) -> None:
    deadline = time.monotonic() + 30
    while not runner.ready():
        assert time.monotonic() < deadline, "the query process did not start"
        time.sleep(0.02)


# -- in-process ---------------------------------------------------------------


def test_a_slow_reader_gets_the_whole_answer_and_nothing_is_stopped(store: OxigraphStore) -> None:
    runner = _runner(store, timeout_s=1)
    try:
        answer = runner.run(_job(LARGE, graph=True))
        assert answer.body is None  # it comes in chunks
        assert answer.size > 3 * CHUNK
        pids = runner.worker_pids()
        received = bytearray(next(answer.chunks))
        time.sleep(1.5)  # past the time limit
        for chunk in answer.chunks:
            received += chunk
        assert len(received) == answer.size
        triples = list(pyoxigraph.parse(bytes(received), pyoxigraph.RdfFormat.N_TRIPLES))
        assert len(triples) == answer.rows == 4060
        assert runner.worker_pids() == pids
        assert all(_alive(pid) for pid in pids)
    finally:
        runner.close()


def test_a_reader_that_leaves_frees_everything_it_held(store: OxigraphStore) -> None:
    runner = _runner(store)
    try:
        answer = runner.run(_job(LARGE, graph=True))
        assert next(answer.chunks)
        assert runner.running() == 0  # evaluated: its admission was given back at once
        answer.chunks.close()  # type: ignore[attr-defined]  # what a WSGI server calls
        assert answer.chunks.channel.fileno() == -1  # type: ignore[attr-defined]
        pids = runner.worker_pids()
        assert _count(runner) == 4060
        assert runner.worker_pids() == pids
    finally:
        runner.close()


def test_waiting_for_a_slot_past_the_limit_stops_nothing(store: OxigraphStore) -> None:
    runner = _runner(store, workers=1, timeout_s=0.5)
    try:
        assert _count(runner) == 4060
        pids = runner.worker_pids()
        assert runner._slots.acquire(timeout=5)  # a query evaluating in the only slot
        try:
            with pytest.raises(QueryTimeoutError, match="evaluation slots"):
                runner.run(_job(COUNT))
        finally:
            runner._slots.release()
        assert runner.worker_pids() == pids
        assert all(_alive(pid) for pid in pids)
        assert _count(runner) == 4060
    finally:
        runner.close()


def test_a_query_past_its_limit_is_killed_and_replaced_without_a_reload(
    store: OxigraphStore,
) -> None:
    runner = _runner(store, timeout_s=1)
    try:
        _wait_ready(runner)
        (first,) = runner.worker_pids()
        taken = runner.checkpoints.taken
        started = time.monotonic()
        with pytest.raises(QueryTimeoutError, match="limit"):
            runner.run(_job(ENDLESS))
        assert time.monotonic() - started < 5
        deadline = time.monotonic() + 5
        while _alive(first) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert not _alive(first)  # killed: its CPU is free
        started = time.monotonic()
        assert _count(runner) == 4060
        assert time.monotonic() - started < 5
        (second,) = runner.worker_pids()
        assert second != first
        assert runner.checkpoints.taken == taken  # the same checkpoint, opened again
    finally:
        runner.close()


def test_queries_sharing_a_killed_process_are_answered_on_its_replacement(
    store: OxigraphStore,
) -> None:
    runner = _runner(store, timeout_s=60)
    try:
        _wait_ready(runner)
        (first,) = runner.worker_pids()
        outcome: dict[str, bytes] = {}
        thread = threading.Thread(
            target=lambda: outcome.update(heavy=_read(runner.run(_job(HEAVY))))
        )
        thread.start()
        deadline = time.monotonic() + 10
        while runner.running() == 0 and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.2)  # sent, and evaluating
        os.kill(first, signal.SIGKILL)  # what another query's time limit does
        thread.join(60)
        assert f'"{HEAVY_COUNT}"'.encode() in outcome["heavy"]
        assert runner.worker_pids() != [first]
    finally:
        runner.close()


#: Nested past what the engine handles (it crashed at 2,200 levels), run on the runner
#: directly as a crash that the nesting check does not foresee would be.
DEEP = "SELECT * WHERE " + "{" * 3000 + "?s ?p ?o" + "}" * 3000


def test_a_query_that_crashes_its_process_fails_alone_and_once(store: OxigraphStore) -> None:
    """The crashing query runs again alone, crashes only that process, and gets 400; the
    queries that shared its first process are answered (it used to be retried twice with
    them, taking three processes down)."""
    runner = _runner(store, workers=4)
    try:
        expected = _count(runner)
        first = runner._current().pid
        answers: list[int | str] = []

        def ask() -> None:
            try:
                answers.append(_count(runner))
            except Exception as error:
                answers.append(f"failed: {error}")

        threads = [threading.Thread(target=ask) for _ in range(3)]
        for thread in threads:
            thread.start()
        with pytest.raises(QueryCrashedError) as refused:
            runner.run(_job(DEEP))
        assert refused.value.status == 400
        for thread in threads:
            thread.join(timeout=120)
        assert answers == [expected] * 3
        assert not _alive(first)  # the shared process crashed once ...
        assert runner._alone == [] or all(p.exited() or p.killed for p in runner._alone)
        assert _count(runner) == expected  # ... and the engine serves on
    finally:
        runner.close()


def test_a_client_reads_its_own_writes_and_old_checkpoints_go(store: OxigraphStore) -> None:
    runner = _runner(store)
    try:
        assert _count(runner) == 4060
        pids = runner.worker_pids()
        taken = runner.checkpoints.taken
        for i in range(3):
            quad = Quad(NamedNode(f"http://ex/w{i}"), P, Literal(str(i)), BULK)
            store.commit(ChangeSet(insert=[quad]))
            assert _count(runner) == 4061 + i  # its own write, at once
        assert runner.checkpoints.taken == taken + 3
        assert runner.checkpoints.count() == 1  # the superseded ones were removed
        assert len(list(runner.checkpoints.root.iterdir())) == 1
        assert runner.worker_pids() == pids  # one process serves every version
        assert _count(runner) == 4063
        assert runner.checkpoints.taken == taken + 3  # no change, no checkpoint
    finally:
        runner.close()


def test_a_query_running_during_a_commit_is_answered_on_its_checkpoint(
    store: OxigraphStore,
) -> None:
    runner = _runner(store)
    try:
        _wait_ready(runner)
        outcome: dict[str, bytes] = {}
        thread = threading.Thread(
            target=lambda: outcome.update(heavy=_read(runner.run(_job(HEAVY))))
        )
        thread.start()
        deadline = time.monotonic() + 10
        while runner.running() == 0 and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.2)  # sent, and evaluating
        store.commit(ChangeSet(insert=[Quad(NamedNode("http://ex/new"), P, Literal("new"), BULK)]))
        assert _count(runner) == 4061
        still_running = thread.is_alive()
        assert runner.checkpoints.count() == 2  # the older one is still being read
        thread.join(60)
        assert f'"{HEAVY_COUNT}"'.encode() in outcome["heavy"]
        assert still_running, "the heavy query should have outlasted the commit"
        assert runner.checkpoints.count() == 1
    finally:
        runner.close()


def test_close_stops_the_process_and_removes_the_checkpoints(store: OxigraphStore) -> None:
    runner = _runner(store)
    _wait_ready(runner)
    (pid,) = runner.worker_pids()
    root = runner.checkpoints.root
    assert root.exists()
    runner.close()
    deadline = time.monotonic() + 5
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not _alive(pid)
    assert not root.exists()


def test_without_workers_queries_run_in_process(store: OxigraphStore) -> None:
    runner = _runner(store, workers=0)
    try:
        assert runner.ready()
        assert _count(runner) == 4060
        assert runner.worker_pids() == []
    finally:
        runner.close()


# -- real servers ---------------------------------------------------------------


def _serve(tmp_path: Path, *extra: str) -> ServerProcess:
    (tmp_path / "store").mkdir(exist_ok=True)  # an empty store
    return start_server(
        tmp_path / "store", port=free_port(), log_dir=tmp_path, extra_args=extra, env=ENGINE
    )


def _tree(root: int) -> dict[int, int]:
    """Every live process under ``root``, with its depth."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if fields[0] != "Z":
                parents[int(entry.name)] = int(fields[1])
    found: dict[int, int] = {}
    pending = [(root, 0)]
    while pending:
        parent, depth = pending.pop()
        for child, its_parent in parents.items():
            if its_parent == parent:
                found[child] = depth + 1
                pending.append((child, depth + 1))
    return found


def _cmdline(pid: int) -> bytes | None:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return None


def _update(server: ServerProcess, text: str) -> None:
    with server.client() as http:
        response = http.post("/sparql", content=text, headers={**UPDATE, **server.auth()})
    assert response.status_code == 200, response.text


def _ask(server: ServerProcess, text: str) -> bool:
    with server.client() as http:
        response = http.get("/sparql", params={"query": text}, headers=JSON_RESULTS)
    assert response.status_code == 200, response.text
    return bool(response.json()["boolean"])


def _query(server: ServerProcess, text: str) -> set[tuple[str, ...]]:
    with server.client() as http:
        return _rows(http.get("/sparql", params={"query": text}, headers=JSON_RESULTS))


def test_the_time_limit_answers_503_and_the_replacement_serves_at_once(tmp_path: Path) -> None:
    server = _serve(tmp_path, "--query-timeout", "1")
    try:
        insert_test_triples(server)
        # The first query after the writes opens a new checkpoint, which under a loaded
        # machine can take longer than this server's 1 s limit: wait until it is served.
        deadline = time.monotonic() + 30
        while True:
            with server.client() as http:
                first = http.get(
                    "/sparql",
                    params={"query": "ASK { <http://ex/s7> <http://ex/p> 7 }"},
                    headers=JSON_RESULTS,
                )
            if first.status_code != 503 or time.monotonic() > deadline:
                break
        assert first.status_code == 200, first.text
        assert first.json()["boolean"] is True
        # The web process's children: the forkserver (and multiprocessing's resource
        # tracker), and under the forkserver the query process; no zygote.
        before = _tree(server.process.pid)
        serving = {pid for pid, depth in before.items() if depth == 3}
        assert len(serving) == 1
        with server.client() as http:
            stopped = http.post("/sparql", content=CROSS_PRODUCT, headers=QUERY)
        assert stopped.status_code == 503
        assert stopped.json()["type"] == f"{server.url}problems/query-timeout"
        started = time.monotonic()
        assert _ask(server, "ASK { <http://ex/s8> <http://ex/p> 8 }")
        assert time.monotonic() - started < 5
        after = {pid for pid, depth in _tree(server.process.pid).items() if depth == 3}
        assert after  # replaced ...
        assert not after & serving  # ... and killed
    finally:
        server.stop()


def test_queries_during_a_write_storm_always_see_a_committed_state(tmp_path: Path) -> None:
    server = _serve(tmp_path)
    count = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH <http://example.org/w> { ?s ?p ?o } }"
    counts: list[int] = []
    failures: list[str] = []
    stop = threading.Event()

    def reader() -> None:
        with server.client() as http:
            while not stop.is_set():
                response = http.get("/sparql", params={"query": count}, headers=JSON_RESULTS)
                if response.status_code != 200:
                    failures.append(response.text)
                    return
                doc = json.loads(response.content)
                counts.append(int(doc["results"]["bindings"][0]["n"]["value"]))

    thread = threading.Thread(target=reader)
    thread.start()
    try:
        for i in range(15):
            _update(
                server,
                f"INSERT DATA {{ GRAPH <http://example.org/w> {{ <http://ex/w{i}> <http://ex/p> {i} }} }}",
            )
            assert _query(server, count) == {
                (f'"{i + 1}"http://www.w3.org/2001/XMLSchema#integer',)
            }
    finally:
        stop.set()
        thread.join(30)
        server.stop()
    assert not failures
    assert counts == sorted(counts)
    assert len(set(counts)) >= 3  # the reader saw the store change under it


def test_queries_see_every_kind_of_write(tmp_path: Path) -> None:
    """Writes of every kind, then what queries see and the store on disk compared quad
    for quad (blank nodes included)."""
    server = _serve(tmp_path)
    g, h = "<http://example.org/g>", "<http://example.org/h>"
    try:
        _update(
            server, f'INSERT DATA {{ GRAPH {g} {{ <http://ex/a> <http://ex/p> "1", "2"@en, 3 }} }}'
        )
        _update(
            server,
            f"INSERT DATA {{ GRAPH {h} {{ _:b1 <http://ex/p> _:b2 . _:b2 <http://ex/q> 3 }} }}",
        )
        _update(server, f"DELETE WHERE {{ GRAPH {h} {{ ?x <http://ex/q> 3 }} }}")
        _update(server, f'DELETE DATA {{ GRAPH {g} {{ <http://ex/a> <http://ex/p> "1" }} }}')
        _update(server, "CREATE GRAPH <http://example.org/empty>")
        with server.client() as http:
            put = http.put(
                "/store",
                params={"graph": "http://example.org/m"},
                content=b"<http://ex/m> <http://ex/p> <http://ex/o> .",
                headers={"Content-Type": "text/turtle", **server.auth()},
            )
        assert put.status_code in (200, 201, 204), put.text
        seen_quads, seen_graphs = _query(server, EVERY_QUAD), _query(server, GRAPHS)
    finally:
        server.stop()
    assert len(seen_quads) == 4  # "2"@en and 3 in g, the blank node's triple in h, m's
    stored_quads, stored_graphs = _store_rows(tmp_path / "store")
    assert seen_quads == stored_quads
    assert seen_graphs == stored_graphs
    assert ("<http://example.org/empty>",) in stored_graphs


def test_stopping_the_server_leaves_no_query_process_and_no_checkpoint(tmp_path: Path) -> None:
    server = _serve(tmp_path)
    try:
        _update(server, 'INSERT DATA { <http://ex/a> <http://ex/p> "1" }')
        assert _query(server, "SELECT ?o WHERE { <http://ex/a> <http://ex/p> ?o }") == {('"1"',)}
        below = {
            pid: _cmdline(pid) for pid, depth in _tree(server.process.pid).items() if depth >= 2
        }
        assert len(below) >= 2  # the forkserver and the query process at least
        assert list(tmp_path.glob("store.exports-*"))  # the checkpoints' folder
    finally:
        server.stop()

    def left() -> list[int]:  # still there, and still the same program (not a reused pid)
        return [pid for pid, cmdline in below.items() if _cmdline(pid) == cmdline]

    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and left():
        time.sleep(0.1)
    assert not left(), f"processes left behind: {left()}"
    assert not list(tmp_path.glob("store.exports-*"))


@pytest.fixture(scope="module")
def w3c_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    root = tmp_path_factory.mktemp("w3c-protocol-checkpoint")
    (root / "store").mkdir()  # an empty store
    process = start_server(root / "store", port=free_port(), log_dir=root, env=ENGINE)
    yield process
    process.stop()


@pytest.mark.parametrize("case", PROTOCOL, ids=lambda c: c.name)
def test_sparql_protocol(w3c_server: ServerProcess, case: ProtocolCase) -> None:
    _replay(w3c_server, case)


@pytest.mark.parametrize("case", GSP, ids=lambda c: c.name)
def test_graph_store_protocol(w3c_server: ServerProcess, case: ProtocolCase) -> None:
    _replay(w3c_server, case)


@pytest.mark.parametrize(
    ("env", "runner"),
    [
        ({}, QueryPool),
        ({"PARLEY_QUERY_ENGINE": "checkpoint"}, CheckpointRunner),
        # 4,060 quads, about 2 MiB as a copy: past the budget, checkpoints serve instead.
        ({"PARLEY_QUERY_COPY_BUDGET_BYTES": str(1 << 20)}, CheckpointRunner),
        ({"PARLEY_QUERY_COPY_BUDGET_BYTES": str(1 << 30)}, QueryPool),
    ],
)
def test_the_composition_root_picks_the_engine(
    store: OxigraphStore,
    env: dict[str, str],
    runner: type[QueryRunner],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """``PARLEY_QUERY_ENGINE`` picks the runner, and a store whose copy would exceed
    ``PARLEY_QUERY_COPY_BUDGET_BYTES`` is served on checkpoints, with a warning."""
    settings = Settings.from_env(env)
    limits = QueryLimits(workers=1, max_concurrent=2, timeout_s=5, base_iri=store.vocab.base)
    with caplog.at_level(logging.WARNING, logger="service.query._copy"):
        chosen = _query_runner(store, limits, lambda: None, settings, isolate=True)
    try:
        assert type(chosen) is runner
        assert ("budget" in caplog.text) is (
            "PARLEY_QUERY_COPY_BUDGET_BYTES" in env and runner is CheckpointRunner
        )
    finally:
        chosen.close()
