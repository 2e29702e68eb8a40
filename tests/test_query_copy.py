"""The query process's in-memory copy of the store (``service.query._pool``,
``service.query._worker``): it follows every kind of write, a stopped query process
costs no reload, and the copy is loaded afresh when it cannot catch up.

The store and the copy are compared quad for quad: what a client's query sees
must be exactly what the store on disk holds.
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

import httpx
import pyoxigraph
import pytest

from service.query import QueryJob, QueryPool
from service.rdf import JSON, BlankNode, Literal, NamedNode, Quad, Vocab
from service.store import ChangeSet, OxigraphStore
from tests import clients
from tests.support import ServerProcess, free_port, start_server

pytestmark = pytest.mark.server

UPDATE = {"Content-Type": "application/sparql-update"}
JSON_RESULTS = {"Accept": "application/sparql-results+json"}
EVERY_QUAD = """SELECT ?s ?p ?o ?g WHERE {
    { ?s ?p ?o } UNION { GRAPH ?g { ?s ?p ?o } } }"""
GRAPHS = "SELECT ?g WHERE { GRAPH ?g { } }"
XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
XSD_INTEGER = "http://www.w3.org/2001/XMLSchema#integer"


def _rows(response: httpx.Response) -> set[tuple[str, ...]]:
    """The solutions of a JSON answer, each a tuple of N-Triples-like terms."""
    assert response.status_code == 200, response.text
    doc = json.loads(response.content)
    names = doc["head"]["vars"]

    def term(binding: dict[str, str] | None) -> str:
        if binding is None:
            return "-"
        if binding["type"] == "uri":
            return f"<{binding['value']}>"
        if binding["type"] == "bnode":
            return f"_:{binding['value']}"
        suffix = binding.get("xml:lang") or binding.get("datatype", "")
        return f'"{binding["value"]}"{suffix}'

    return {tuple(term(row.get(name)) for name in names) for row in doc["results"]["bindings"]}


def _store_rows(path: Path) -> tuple[set[tuple[str, ...]], set[tuple[str, ...]]]:
    """Every quad (as ``_rows`` spells it) and every named graph of a store on disk."""
    store = pyoxigraph.Store.read_only(str(path))

    def term(value: object) -> str:
        if isinstance(value, pyoxigraph.NamedNode):
            return f"<{value.value}>"
        if isinstance(value, pyoxigraph.BlankNode):
            return f"_:{value.value}"
        if isinstance(value, pyoxigraph.Literal):  # spelt as SPARQL JSON has it
            suffix = value.language or value.datatype.value
            return f'"{value.value}"{suffix.removeprefix(XSD_STRING)}'
        return "-"  # the default graph

    quads: set[tuple[str, ...]] = {
        (term(q.subject), term(q.predicate), term(q.object), term(q.graph_name)) for q in store
    }
    graphs: set[tuple[str, ...]] = {(term(g),) for g in store.named_graphs()}
    del store
    return quads, graphs


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerProcess]:
    process = start_server(tmp_path / "store", port=free_port(), log_dir=tmp_path)
    yield process
    process.stop()


def _query(server: ServerProcess, text: str) -> set[tuple[str, ...]]:
    with server.client() as http:
        return _rows(http.get("/sparql", params={"query": text}, headers=JSON_RESULTS))


def _update(server: ServerProcess, text: str) -> None:
    with server.client() as http:
        response = http.post("/sparql", content=text, headers={**UPDATE, **server.auth()})
    assert response.status_code == 200, response.text


def test_the_copy_follows_every_kind_of_write(tmp_path: Path) -> None:
    """Writes of every kind, a restart (the copy loaded from the store on disk) between
    them, then the copy and the store compared quad for quad."""
    server = start_server(tmp_path / "store", port=free_port(), log_dir=tmp_path)
    g, h, k = "<http://example.org/g>", "<http://example.org/h>", "<http://example.org/k>"
    try:
        _update(
            server, f'INSERT DATA {{ GRAPH {g} {{ <http://ex/a> <http://ex/p> "1", "2"@en, 3 }} }}'
        )
        assert ("<http://ex/a>", "<http://ex/p>", '"2"en', g) in _query(server, EVERY_QUAD)
        # Blank nodes written now are in the store when the copy is next loaded from it.
        _update(
            server,
            f"INSERT DATA {{ GRAPH {h} {{ _:b1 <http://ex/p> _:b2 . _:b2 <http://ex/q> 3 }} }}",
        )
        _update(server, f"INSERT DATA {{ GRAPH {k} {{ _:b3 <http://ex/r> 4 }} }}")
    finally:
        server.stop()
    server = start_server(tmp_path / "store", port=free_port(), log_dir=tmp_path)
    try:
        _wait_ready(server)  # the copy was loaded from the store on disk, blank nodes too
        loads = server.log().count("query copy loaded")
        assert loads == 1
        # Deleting a blank node must find it in the copy too.
        _update(server, f"DELETE WHERE {{ GRAPH {h} {{ ?x <http://ex/q> 3 }} }}")
        blank = [row for row in _query(server, EVERY_QUAD) if row[3] == h]
        assert len(blank) == 1
        assert blank[0][0].startswith("_:")
        _update(server, f"DELETE WHERE {{ GRAPH {k} {{ ?x <http://ex/r> 4 }} }}")
        assert not [row for row in _query(server, EVERY_QUAD) if row[3] == k]
        _update(server, f'DELETE DATA {{ GRAPH {g} {{ <http://ex/a> <http://ex/p> "1" }} }}')
        _update(server, "CREATE GRAPH <http://example.org/empty>")
        assert ("<http://example.org/empty>",) in _query(server, GRAPHS)
        _update(server, f"DROP GRAPH {h}")
        with server.client() as http:  # the Graph Store Protocol writes through the same gate
            put = http.put(
                "/store",
                params={"graph": "http://example.org/m"},
                content=b"<http://ex/m> <http://ex/p> <http://ex/o> .",
                headers={"Content-Type": "text/turtle", **server.auth()},
            )
        assert put.status_code in (200, 201, 204), put.text
        seen_quads, seen_graphs = _query(server, EVERY_QUAD), _query(server, GRAPHS)
        assert server.log().count("query copy loaded") == loads  # replayed, not reloaded
    finally:
        server.stop()
    assert h not in {row[3] for row in seen_quads}
    assert len(seen_quads) == 3  # "2"@en and 3 in g, and the triple put into m
    stored_quads, stored_graphs = _store_rows(tmp_path / "store")
    assert seen_quads == stored_quads
    assert seen_graphs == stored_graphs
    assert ("<http://example.org/empty>",) in stored_graphs


def _depths(server: ServerProcess) -> dict[int, int]:
    """Every live process under the server, with its depth: the HTTP server's worker 1,
    the forkserver 2, the zygote 3, its query processes 4."""
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
    pending = [(server.process.pid, 0)]
    while pending:
        parent, depth = pending.pop()
        for child, its_parent in parents.items():
            if its_parent == parent:
                found[child] = depth + 1
                pending.append((child, depth + 1))
    return found


def _at(depths: dict[int, int], depth: int) -> set[int]:
    return {pid for pid, d in depths.items() if d == depth}


def _ask(server: ServerProcess, text: str) -> bool:
    with server.client() as http:
        response = http.get("/sparql", params={"query": text}, headers=JSON_RESULTS)
    assert response.status_code == 200, response.text
    return bool(json.loads(response.content)["boolean"])


CROSS = (
    "SELECT (COUNT(*) AS ?n) WHERE { ?a <http://ex/p> ?b . ?c <http://ex/p> ?d . "
    "?e <http://ex/p> ?f . ?g <http://ex/p> ?h . ?i <http://ex/p> ?j }"
)


def test_a_stopped_query_process_is_replaced_without_a_reload(tmp_path: Path) -> None:
    server = start_server(
        tmp_path / "store", port=free_port(), log_dir=tmp_path, extra_args=("--query-timeout", "1")
    )
    try:
        triples = " ".join(f"<http://ex/s{i}> <http://ex/p> {i} ." for i in range(60))
        _update(server, f"INSERT DATA {{ {triples} }}")
        assert _ask(server, "ASK { <http://ex/s59> <http://ex/p> 59 }")
        before = _depths(server)
        zygotes, serving = _at(before, 3), _at(before, 4)
        assert len(zygotes) == 1
        assert serving
        loads = server.log().count("query copy loaded")
        with server.client() as http:
            stopped = http.get("/sparql", params={"query": CROSS}, headers=JSON_RESULTS)
        assert stopped.status_code == 503
        started = time.monotonic()
        assert _ask(server, "ASK { <http://ex/s7> <http://ex/p> 7 }")
        answered_in = time.monotonic() - started
        after = _depths(server)
        assert _at(after, 3) == zygotes  # the zygote lived on ...
        assert not serving & _at(after, 4)  # ... the query process that ran the query did not
        assert _at(after, 4)
        assert server.log().count("query copy loaded") == loads  # forked, not loaded again
        assert answered_in < 5
    finally:
        server.stop()


def test_a_killed_zygote_is_started_again_with_a_fresh_copy(server: ServerProcess) -> None:
    _update(server, 'INSERT DATA { <http://ex/z> <http://ex/p> "before" }')
    assert _ask(server, 'ASK { <http://ex/z> <http://ex/p> "before" }')
    zygotes = _at(_depths(server), 3)
    assert len(zygotes) == 1
    os.kill(zygotes.pop(), signal.SIGKILL)
    _update(server, 'INSERT DATA { <http://ex/z> <http://ex/p> "after" }')
    seen = _query(server, "SELECT ?o WHERE { <http://ex/z> <http://ex/p> ?o }")
    assert seen == {('"before"',), ('"after"',)}


def test_a_copy_that_cannot_catch_up_is_loaded_afresh(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """With a tiny update log, commits fall out of it before the copy replays them: the
    copy must be loaded again, and queries must still see every write, deletions of blank
    nodes that were in the loaded copy included."""
    vocab = Vocab("http://127.0.0.1:1/")
    store = OxigraphStore.open(tmp_path / "store", vocab)
    pool = QueryPool(
        store, workers=2, max_concurrent=4, timeout_s=30, base_iri=vocab.base, update_log_chars=300
    )
    graph, p = NamedNode("http://example.org/g"), NamedNode("http://ex/p")

    def values() -> set[str]:
        job = QueryJob(
            "SELECT ?o WHERE { GRAPH ?g { ?s ?p ?o } }", None, False, JSON, None, 1000, 1 << 20
        )
        answer = pool.run(job)
        body = b"".join(answer.chunks)
        return {row["o"]["value"] for row in json.loads(body)["results"]["bindings"]}

    def loads() -> int:
        return sum("query copy loaded" in r.getMessage() for r in caplog.records)

    try:
        with caplog.at_level(logging.INFO, logger="service.query._procs"):
            assert values() == set()
            store.commit(
                ChangeSet(insert=[Quad(NamedNode("http://ex/a"), p, Literal("one"), graph)])
            )
            before = loads()
            assert values() == {"one"}
            assert loads() == before  # replayed from the log, not loaded
            big = [Quad(BlankNode(f"b{i}"), p, Literal(f"v{i}"), graph) for i in range(20)]
            store.commit(ChangeSet(insert=big))  # more text than the log keeps
            store.commit(
                ChangeSet(insert=[Quad(NamedNode("http://ex/c"), p, Literal("three"), graph)])
            )
            assert values() == {"one", "three", *(f"v{i}" for i in range(20))}
            assert loads() == before + 1
            # A blank node of the loaded copy, deleted by its label: the copy must follow.
            store.commit(ChangeSet(delete=[big[3]]))
            assert "v3" not in values()
            assert loads() == before + 1
    finally:
        pool.close()
        store.close()


def _wait_ready(server: ServerProcess) -> dict[str, object]:
    deadline = time.monotonic() + 30
    while True:
        health: dict[str, object] = clients.get(server.url + "health", timeout=5).json()
        if health["ready"] or time.monotonic() > deadline:
            return health
        time.sleep(0.1)


def test_readiness_is_reported(server: ServerProcess) -> None:
    health = _wait_ready(server)
    assert health["ready"] is True
    assert health["queries"] == "ready"
    assert health["search"] == "ready"


def test_queries_during_a_write_storm_always_see_a_committed_state(server: ServerProcess) -> None:
    """Each write adds one triple and the count only grows: a query process serves one
    version at a time, so a count never goes back; and each writer reads its own write."""
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
            assert _query(server, count) == {(f'"{i + 1}"{XSD_INTEGER}',)}  # its own write
    finally:
        stop.set()
        thread.join(30)
    assert not failures
    assert counts == sorted(counts)
    assert len(set(counts)) >= 3  # the reader saw the store change under it


def test_stopping_the_server_leaves_no_query_process(tmp_path: Path) -> None:
    server = start_server(tmp_path / "store", port=free_port(), log_dir=tmp_path)
    try:
        _update(server, 'INSERT DATA { <http://ex/a> <http://ex/p> "1" }')
        assert _ask(server, 'ASK { <http://ex/a> <http://ex/p> "1" }')
        _update(server, 'INSERT DATA { <http://ex/a> <http://ex/p> "2" }')  # retires one
        assert _ask(server, 'ASK { <http://ex/a> <http://ex/p> "2" }')
        below = {pid: _cmdline(pid) for pid, depth in _depths(server).items() if depth >= 2}
        assert len(below) >= 3  # the forkserver, the zygote, a query process at least
    finally:
        server.stop()

    def left() -> list[int]:  # still there, and still the same program (not a reused pid)
        return [pid for pid, cmdline in below.items() if _cmdline(pid) == cmdline]

    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and left():
        time.sleep(0.1)
    assert not left(), f"processes left behind: {left()}"


def _cmdline(pid: int) -> bytes | None:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return None
