"""Writing to Virtuoso: what its updates do not guarantee, shown on the wire, and that
Parley's commit in steps (``service.store._remote_steps``) is safe all the same.

Virtuoso applies the operations of one update request one by one (a failing operation
leaves the earlier ones applied) and does not isolate an update's condition from its
changes. Parley claims the store before a commit's data operations, so a commit is never
seen half-applied as complete, two writers' operations never interleave, and a commit
the store failed in the middle of is completed by the next write.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from service.errors import (
    HalfWrittenError,
    RemoteStoreLimitError,
    ServiceUnavailableError,
    StoreError,
    WriteConflictError,
)
from service.rdf import XSD, Literal, NamedNode, Quad, Vocab
from service.settings import Settings
from service.store import ChangeSet, RemoteStore
from service.store._engines import VIRTUOSO
from tests import clients
from tests.virtuoso import VirtuosoProcess, start_virtuoso

pytestmark = pytest.mark.server

BASE = "http://parley.test/"
G = NamedNode(BASE + "graph/reference")
OTHER = NamedNode("http://example.org/other-graph")
P = NamedNode("http://example.org/p")
UPDATE = {"Content-Type": "application/sparql-update"}


@pytest.fixture(scope="module")
def virtuoso(tmp_path_factory: pytest.TempPathFactory) -> Iterator[VirtuosoProcess]:
    server = start_virtuoso(tmp_path_factory.mktemp("virtuoso-writes") / "db")
    yield server
    server.stop()


def connect(virtuoso: VirtuosoProcess) -> RemoteStore:
    return RemoteStore.connect(Settings(base_iri=BASE, store_url=virtuoso.sparql_url), Vocab(BASE))


@pytest.fixture
def store(virtuoso: VirtuosoProcess) -> Iterator[RemoteStore]:
    opened = connect(virtuoso)
    opened.replace_all([])
    yield opened
    opened.close()


def quad(n: int, graph: NamedNode = G) -> Quad:
    return Quad(NamedNode(f"{BASE}id/x{n}"), P, Literal(str(n)), graph)


def held(store: RemoteStore, graph: NamedNode = G) -> set[str]:
    return {q.subject.value for q in store.quads(None, P, None, graph)}  # type: ignore[union-attr]


def test_an_update_request_is_not_all_or_nothing(virtuoso: VirtuosoProcess) -> None:
    """On the wire: the second operation fails (500), the first stays applied."""
    s = "<http://example.org/half>"
    text = f"INSERT DATA {{ GRAPH {s} {{ {s} {s} 1 }} }} ;\nDROP GRAPH <http://example.org/never>"
    response = clients.post(virtuoso.sparql_url, content=text, headers=UPDATE, timeout=30)
    assert response.status_code >= 400
    ask = clients.post(
        virtuoso.sparql_url,
        data={"query": f"ASK {{ GRAPH {s} {{ {s} {s} 1 }} }}"},
        headers={"Accept": "application/sparql-results+json"},
        timeout=30,
    )
    assert "true" in ask.text or '"1"' in ask.text or ">1<" in ask.text, ask.text


def test_the_engine_profile_says_so(store: RemoteStore) -> None:
    engine = store.client.engine
    assert engine.name == VIRTUOSO.name
    assert not engine.atomic_updates
    assert engine.max_update_triples is not None


def test_a_large_commit_goes_in_claimed_steps(store: RemoteStore) -> None:
    """More statements than one Virtuoso operation takes: stored whole, one version."""
    before = store.version()
    many = [quad(n) for n in range(700)]
    store.commit(ChangeSet(insert=many))
    assert len(held(store)) == 700
    store.commit(ChangeSet(delete=many[:600], insert=[quad(5_000)]))
    assert len(held(store)) == 101
    assert store.version() == before + 2


def test_a_change_the_store_refuses_is_refused_whole(store: RemoteStore) -> None:
    """Virtuoso refuses an ill-typed integer. With a step before it (a graph emptied),
    the dry run refuses the commit before anything is written."""
    store.commit(ChangeSet(insert=[quad(1, OTHER), quad(2)]))
    bad = Quad(NamedNode(f"{BASE}id/bad"), P, Literal("abc", datatype=XSD.integer), G)
    version = store.version()
    with pytest.raises(StoreError):
        store.commit(ChangeSet(drop_graphs=[OTHER], insert=[bad]))
    assert held(store, OTHER) == {f"{BASE}id/x1"}
    assert store.version() == version
    assert not store.writes.steps.pending()


def test_a_commit_failed_half_way_blocks_writes_until_completed(
    store: RemoteStore, virtuoso: VirtuosoProcess
) -> None:
    """A commit whose process dies after its first step: the store holds half of it.
    Writes are refused (a conflict) while its claim is young; once it is as old as a
    lease, the next write completes it from the request kept with the claim, and then
    refuses its own change (computed on the old version), which goes through again."""
    a, b = store, connect(virtuoso)
    try:
        a.commit(ChangeSet(insert=[quad(1, OTHER), quad(2)]))
        version = a.version()
        change = ChangeSet(drop_graphs=[OTHER], insert=[quad(3)])
        steps = a.writes.steps_of(change, version, "dead")
        a.writes.steps._claim(steps)
        a.client.update(steps.before[0])  # the process died after its first step
        assert held(a, OTHER) == set()  # half of it is in the store ...
        assert a.version() == version  # ... and not presented as a commit
        with pytest.raises(WriteConflictError):
            b.commit(ChangeSet(insert=[quad(4)]))
        assert held(b) == {f"{BASE}id/x2"}
        old = datetime.now(UTC) - timedelta(minutes=5)
        node, graph = a.writes.steps.node("dead"), a.graphs.state
        a.client.update(
            f"DELETE {{ GRAPH {graph} {{ {node} ?p ?o }} }} WHERE {{ GRAPH {graph} {{ {node} ?p "
            f"?o }} FILTER(?p = {a.writes.steps.claimed_p}) }} ;\n"
            f"INSERT DATA {{ GRAPH {graph} {{ {node} {a.writes.steps.claimed_p} "
            f"{Literal(old.isoformat(), datatype=XSD.dateTime)} }} }}"
        )
        with pytest.raises(WriteConflictError):  # completes "dead", then finds it moved
            b.commit(ChangeSet(insert=[quad(4)]))
        assert held(b) == {f"{BASE}id/x2", f"{BASE}id/x3"}
        assert b.version() == version + 1
        b.commit(ChangeSet(insert=[quad(4)]))
        assert held(b) == {f"{BASE}id/x2", f"{BASE}id/x3", f"{BASE}id/x4"}
        assert not b.writes.steps.pending()
    finally:
        b.close()


def test_a_store_gone_mid_commit_leaves_it_pending_then_completed(
    tmp_path: Path,
) -> None:
    """The store is killed under a commit in steps and restarted: the commit is either
    complete or pending (never presented as done); Parley's next write settles it."""
    virtuoso = start_virtuoso(tmp_path / "db")
    a = connect(virtuoso)
    try:
        a.replace_all([])
        a.commit(ChangeSet(insert=[quad(n, OTHER) for n in range(3)]))
        version = a.version()
        big = ChangeSet(drop_graphs=[OTHER], insert=[quad(n) for n in range(20_000)])
        errors: list[Exception] = []

        def commit() -> None:
            try:
                a.commit(big)
            except (StoreError, ServiceUnavailableError) as exc:  # killed under it
                errors.append(exc)

        thread = threading.Thread(target=commit)
        thread.start()
        threading.Event().wait(1.5)
        virtuoso.kill()
        thread.join(120)
        virtuoso.restart()
        count = len(held(a))
        if a.version() == version + 1:
            assert count == 20_000  # complete
        else:
            assert errors, "a commit not applied was reported done"
            assert isinstance(errors[0], (HalfWrittenError, StoreError, ServiceUnavailableError))
            old = datetime.now(UTC) - timedelta(minutes=5)
            for node, _at, _text in a.writes.steps.pending():
                g, claimed = a.graphs.state, a.writes.steps.claimed_p
                a.client.update(
                    f"DELETE WHERE {{ GRAPH {g} {{ {node} {claimed} ?t }} }} ;\n"
                    f"INSERT DATA {{ GRAPH {g} {{ {node} {claimed} "
                    f"{Literal(old.isoformat(), datatype=XSD.dateTime)} }} }}"
                )
            a.writes.steps.repair_stale()
            done = a.version() == version + 1
            assert len(held(a)) == (20_000 if done else 0)
            assert held(a, OTHER) == (set() if done else {f"{BASE}id/x{n}" for n in range(3)})
        assert not a.writes.steps.pending()
    finally:
        a.close()
        virtuoso.stop()


def literal_quad(n: int, obj: Literal) -> Quad:
    return Quad(NamedNode(f"{BASE}id/v{n}"), P, obj, G)


TRUE = Literal("true", datatype=XSD.boolean)
ONE = Literal("1", datatype=XSD.integer)


def test_values_virtuoso_would_collapse_are_refused(store: RemoteStore) -> None:
    """``true`` and ``1`` (or ``1`` and ``1.0``) on one subject and predicate would be one
    triple on Virtuoso: such a write is refused, naming both, and nothing is written;
    the same values apart, or one replacing the other, are stored as written."""
    version = store.version()
    with pytest.raises(RemoteStoreLimitError) as refused:
        store.commit(ChangeSet(insert=[literal_quad(1, TRUE), literal_quad(1, ONE)]))
    assert "one triple" in refused.value.detail
    assert refused.value.extras["objects"] == [str(TRUE), str(ONE)]
    with pytest.raises(RemoteStoreLimitError):
        store.commit(
            ChangeSet(
                insert=[literal_quad(1, ONE), literal_quad(1, Literal("1.0", datatype=XSD.decimal))]
            )
        )
    assert store.version() == version
    store.commit(ChangeSet(insert=[literal_quad(1, ONE), literal_quad(2, TRUE)]))
    with pytest.raises(RemoteStoreLimitError):  # beside the stored 1
        store.commit(ChangeSet(insert=[literal_quad(1, TRUE)]))
    with pytest.raises(RemoteStoreLimitError):  # replaced in one write: 1 would stay
        store.commit(ChangeSet(delete=[literal_quad(1, ONE)], insert=[literal_quad(1, TRUE)]))
    store.commit(ChangeSet(delete=[literal_quad(1, ONE)]))
    store.commit(ChangeSet(insert=[literal_quad(1, TRUE)]))  # in two writes: as written
    objects = {q.subject.value: q.object for q in store.quads(None, P, None, G)}  # type: ignore[union-attr]
    assert objects[f"{BASE}id/v1"].datatype == XSD.boolean  # type: ignore[union-attr]
    assert objects[f"{BASE}id/v2"].datatype == XSD.boolean  # type: ignore[union-attr]
    assert store.version() == version + 3


def test_deleted_literals_are_gone(store: RemoteStore) -> None:
    """Literals Virtuoso keeps when a DELETE shares its operation with an INSERT or another
    graph (``tests/test_virtuoso.py::test_a_delete_beside_an_insert_keeps_some_literals``)
    are gone after a commit that deletes them in two graphs and inserts beside."""
    literals = [
        Literal("Зеленський", language="uk"),
        Literal("http://ex/a", datatype=XSD.anyURI),
        Literal("<b>x</b>", datatype=NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#HTML")),
        Literal("x", datatype=NamedNode("http://ex/datatype")),
    ]
    written = [
        Quad(NamedNode(f"{BASE}id/l{n}"), P, literal, graph)
        for n, literal in enumerate(literals)
        for graph in (G, OTHER)
    ]
    store.commit(ChangeSet(insert=written))
    assert len(list(store.quads(None, P, None, None))) == len(written)
    store.commit(ChangeSet(delete=written, insert=[quad(1)]))
    left = [q.subject.value for q in store.quads(None, P, None, None)]  # type: ignore[union-attr]
    assert left == [f"{BASE}id/x1"]


WKT = NamedNode("http://www.opengis.net/ont/geosparql#wktLiteral")


def test_a_datatype_virtuoso_converts_is_refused(
    virtuoso: VirtuosoProcess, store: RemoteStore
) -> None:
    """On the wire, a GeoSPARQL ``wktLiteral`` reads back as Virtuoso's own geometry type;
    through Parley such a write is refused, naming the type, and nothing is written."""
    s = "<http://example.org/geometry>"
    text = f'INSERT DATA {{ GRAPH {s} {{ {s} {s} "POINT(1 2)"^^<{WKT.value}> }} }}'
    assert (
        clients.post(virtuoso.sparql_url, content=text, headers=UPDATE, timeout=30).status_code
        == 200
    )
    read = clients.post(
        virtuoso.sparql_url,
        data={"query": f"SELECT ?o WHERE {{ GRAPH {s} {{ ?s ?p ?o }} }}"},
        headers={"Accept": "application/sparql-results+xml"},
        timeout=30,
    ).text
    assert "virtrdf#Geometry" in read
    assert WKT.value not in read
    version = store.version()
    point = Quad(NamedNode(f"{BASE}id/place"), P, Literal("POINT(1 2)", datatype=WKT), G)
    with pytest.raises(RemoteStoreLimitError) as refused:
        store.commit(ChangeSet(insert=[point, quad(1)]))
    assert refused.value.extras["datatype"] == WKT.value
    assert store.version() == version
    assert held(store) == set()


def test_on_the_wire_true_and_one_collapse(virtuoso: VirtuosoProcess) -> None:
    """What the refusal is for: written together, Virtuoso keeps one of the two."""
    s = "<http://example.org/collapse>"
    text = f"INSERT DATA {{ GRAPH {s} {{ {s} {s} true . {s} {s} 1 }} }}"
    assert clients.post(virtuoso.sparql_url, content=text, headers=UPDATE, timeout=30).is_success
    answer = clients.post(
        virtuoso.sparql_url,
        data={"query": f"SELECT ?o WHERE {{ GRAPH {s} {{ {s} {s} ?o }} }}"},
        headers={"Accept": "application/sparql-results+json"},
        timeout=30,
    )
    assert len(answer.json()["results"]["bindings"]) == 1
