"""The remote store's write protocol against a real `oxigraph serve`: compare-and-swap
commits, the write lease, the change log, Parley's default graph and blank nodes.

Two ``RemoteStore`` objects on one server stand for two Parley processes.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from service.errors import RemoteStoreLimitError, WriteConflictError
from service.rdf import BlankNode, DefaultGraph, Literal, NamedNode, Quad, Vocab
from service.settings import Settings
from service.store import ChangeSet, DatasetSpec, RemoteStore
from service.store._remote_lease import LEASE_WAIT_S
from tests.support import OxigraphProcess, free_port, start_oxigraph

BASE = "http://parley.test/"
G = NamedNode(BASE + "graph/reference")
P = NamedNode("http://example.org/p")


@pytest.fixture(scope="module")
def oxigraph(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OxigraphProcess]:
    root = tmp_path_factory.mktemp("remote-commit")
    server = start_oxigraph(root / "store", port=free_port(), log_dir=root)
    yield server
    server.stop()


@pytest.fixture
def stores(oxigraph: OxigraphProcess) -> Iterator[tuple[RemoteStore, RemoteStore]]:
    settings = Settings(base_iri=BASE, store_url=oxigraph.sparql_url)
    a = RemoteStore.connect(settings, Vocab(BASE))
    b = RemoteStore.connect(settings, Vocab(BASE))
    a.client.update("DROP SILENT ALL")
    yield a, b
    a.close()
    b.close()


def quad(n: int, graph: NamedNode | DefaultGraph = G) -> Quad:
    return Quad(NamedNode(f"{BASE}id/x{n}"), P, Literal(str(n)), graph)


def test_commit_moves_the_version_and_logs_what_it_touched(
    stores: tuple[RemoteStore, RemoteStore],
) -> None:
    a, b = stores
    start = a.version()
    a.commit(ChangeSet(insert=[quad(1), quad(2)]))
    assert b.version() == start + 1
    version, touched = b.changes_since(start)
    assert version == start + 1
    assert touched is not None
    assert {t.value for t in touched} == {f"{BASE}id/x1", f"{BASE}id/x2"}
    assert b.changes_since(version) == (version, [])


def test_a_stale_commit_writes_nothing(stores: tuple[RemoteStore, RemoteStore]) -> None:
    """a computes its change under the lease; b commits meanwhile, as a process does once
    a stalled holder's lease has lapsed: a's commit finds another version."""
    a, b = stores
    seen = a.version()
    with a.exclusive():
        b.commit(ChangeSet(insert=[quad(3)]))
        with pytest.raises(WriteConflictError):
            a.commit(ChangeSet(insert=[quad(4)], delete=[quad(3)]))
    held = {str(q.subject) for q in b.quads(None, P, None, G)}
    assert held == {f"<{BASE}id/x3>"}
    assert b.version() == seen + 1


def test_the_update_itself_is_conditioned_on_the_version(
    stores: tuple[RemoteStore, RemoteStore],
) -> None:
    """A commit computed against a version the store has left (a lapsed lease) is sent
    as it would be, and the store applies none of it."""
    a, _b = stores
    a.commit(ChangeSet(insert=[quad(5)]))
    stale = a.version() - 1
    text = a.writes.update_text(ChangeSet(insert=[quad(6)], delete=[quad(5)]), stale, "x")
    a.client.update(text)
    assert {str(q.subject) for q in a.quads(None, P, None, G)} == {f"<{BASE}id/x5>"}


def test_the_lease_keeps_the_other_process_waiting(
    stores: tuple[RemoteStore, RemoteStore],
) -> None:
    a, b = stores
    order: list[str] = []
    with a.exclusive():
        entered = threading.Event()

        def other() -> None:
            with b.exclusive():
                order.append("b")
                entered.set()

        thread = threading.Thread(target=other)
        thread.start()
        assert not entered.wait(0.5)  # b cannot take the lease while a holds it
        order.append("a")
        a.commit(ChangeSet(insert=[quad(7)]))
    thread.join(LEASE_WAIT_S)
    assert order == ["a", "b"]


def test_the_lease_is_reentrant_and_released(stores: tuple[RemoteStore, RemoteStore]) -> None:
    a, b = stores
    with a.exclusive(), a.exclusive():
        a.commit(ChangeSet(insert=[quad(8)]))
    with b.exclusive():  # released: b takes it at once
        b.commit(ChangeSet(insert=[quad(9)]))
    lease = a.vocab.parley.leaseHolder
    assert not list(a.quads(None, lease, None))


def test_parleys_default_graph_is_a_hidden_named_graph(
    stores: tuple[RemoteStore, RemoteStore],
) -> None:
    a, _b = stores
    a.commit(ChangeSet(insert=[quad(10, DefaultGraph())]))
    assert NamedNode(BASE + "graph/default") not in a.named_graphs()
    assert [q.graph_name for q in a.quads(NamedNode(f"{BASE}id/x10"))] == [DefaultGraph()]
    rows = a.select("SELECT ?o WHERE { ?s <http://example.org/p> ?o }")
    assert Literal("10") in {r["o"] for r in rows}
    assert not a.select("SELECT ?g WHERE { GRAPH ?g { ?s <http://example.org/p> '10' } }")
    only_named = DatasetSpec(default_graphs=(), named_graphs=None)
    assert not a.select("SELECT ?s WHERE { ?s ?p ?o }", dataset=only_named)


def test_blank_nodes_are_deleted_all_at_once(stores: tuple[RemoteStore, RemoteStore]) -> None:
    a, _b = stores
    g = NamedNode("http://example.org/client-graph")
    two = [Quad(BlankNode("b1"), P, Literal("x"), g), Quad(BlankNode("b2"), P, Literal("y"), g)]
    a.commit(ChangeSet(insert=[*two, quad(11, g)]))
    held = list(a.quads(None, None, None, g))
    blank = [q for q in held if isinstance(q.subject, BlankNode)]
    assert len(blank) == 2
    with pytest.raises(RemoteStoreLimitError):  # one of the graph's blank nodes, not both
        a.commit(ChangeSet(delete=blank[:1]))
    assert len(list(a.quads(None, None, None, g))) == 3
    a.commit(ChangeSet(delete=blank))  # all of them (a PUT of the graph): allowed
    assert [str(q.subject) for q in a.quads(None, None, None, g)] == [f"<{BASE}id/x11>"]


def test_build_loads_in_batches_with_progress(
    stores: tuple[RemoteStore, RemoteStore], tmp_path: Path
) -> None:
    a, b = stores
    before = a.version()
    seen: list[int] = []
    quads = [quad(n) for n in range(12_000)] + [Quad(BlankNode("z"), P, Literal("z"), G)]
    a.replace_all(quads, progress=seen.append)
    assert seen[-1] == len(quads)
    assert len(seen) >= 3
    assert b.count(G) == len(quads)
    assert b.version() == before + 1
    assert b.changes_since(before)[1] is None  # a rebuild: readers re-read everything
