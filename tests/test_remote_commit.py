"""The remote store's write protocol against a real `oxigraph serve` and a real Virtuoso:
compare-and-swap commits, the write lease, the change log, Parley's default graph and
blank nodes.

Two ``RemoteStore`` objects on one server stand for two Parley processes.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from service.errors import RemoteStoreLimitError, WriteConflictError
from service.rdf import BlankNode, DefaultGraph, Literal, NamedNode, Quad, Vocab
from service.settings import Settings
from service.store import ChangeSet, DatasetSpec, RemoteStore
from service.store._remote_lease import LEASE_WAIT_S
from tests.support import OxigraphProcess, free_port, start_oxigraph
from tests.virtuoso import VirtuosoProcess, start_virtuoso

pytestmark = pytest.mark.server

#: The engines every test here runs on.
ENGINES = ("oxigraph", "virtuoso")
BASE = "http://parley.test/"
G = NamedNode(BASE + "graph/reference")
P = NamedNode("http://example.org/p")
OTHER = NamedNode("http://example.org/other")


@pytest.fixture(scope="module", params=ENGINES)
def engine(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[OxigraphProcess | VirtuosoProcess]:
    """The store server, one of each engine (``oxigraph serve``, Virtuoso)."""
    root = tmp_path_factory.mktemp(f"remote-commit-{request.param}")
    server: OxigraphProcess | VirtuosoProcess
    if request.param == "virtuoso":
        server = start_virtuoso(root / "virtuoso")
    else:
        server = start_oxigraph(root / "store", port=free_port(), log_dir=root)
    yield server
    server.stop()


def empty(store: RemoteStore) -> None:
    """Every graph of the store dropped (Virtuoso's ``DROP ALL`` keeps them)."""
    store.replace_all([])


@pytest.fixture
def stores(
    engine: OxigraphProcess | VirtuosoProcess,
) -> Iterator[tuple[RemoteStore, RemoteStore]]:
    settings = Settings(base_iri=BASE, store_url=engine.sparql_url)
    a = RemoteStore.connect(settings, Vocab(BASE))
    b = RemoteStore.connect(settings, Vocab(BASE))
    empty(a)
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
    as it would be, and the store applies none of it: its claim is conditioned on the
    version."""
    a, _b = stores
    a.commit(ChangeSet(insert=[quad(5)]))
    stale = a.version() - 1
    change = ChangeSet(insert=[quad(6)], delete=[quad(5)], drop_graphs=[OTHER])
    with pytest.raises(WriteConflictError):
        a.writes.commit_at(change, stale, "y")
    assert {str(q.subject) for q in a.quads(None, P, None, G)} == {f"<{BASE}id/x5>"}
    assert a.version() == stale + 1
    assert not a.writes.steps.pending()


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
    # Virtuoso takes every graph for a named-graph-uri set not given: Parley always
    # spells out both (service/store/_remote.py, _spelt_out).
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


def test_writers_racing_on_one_version_never_both_win(
    engine: OxigraphProcess | VirtuosoProcess, stores: tuple[RemoteStore, RemoteStore]
) -> None:
    """Eight processes commit at once, all on the version they read before (what the
    lease's version is for holders whose lease lapsed), four rounds: per round at most
    one wins, its change is stored whole, the others' not at all, and the version moves
    once per win. (Virtuoso's updates are not isolated: two updates conditioned on one
    version can both pass it, which the claim of ``service.store._remote_steps`` covers.)"""
    settings = Settings(base_iri=BASE, store_url=engine.sparql_url)
    racers = [RemoteStore.connect(settings, Vocab(BASE)) for _ in range(8)]
    a, _b = stores
    start = a.version()
    wins = 0
    try:
        for rnd in range(4):
            barrier = threading.Barrier(len(racers))
            version = a.version()

            def commit(
                i: int, rnd: int = rnd, version: int = version, barrier: threading.Barrier = barrier
            ) -> bool:
                change = ChangeSet(insert=[quad(rnd * 100 + i * 10 + k) for k in range(3)])
                barrier.wait(timeout=30)
                try:
                    racers[i].writes.commit_at(change, version, f"r{rnd}w{i}")
                except WriteConflictError:
                    return False
                return True

            with ThreadPoolExecutor(len(racers)) as pool:
                won = list(pool.map(commit, range(len(racers))))
            assert sum(won) <= 1
            wins += sum(won)
            stored = {q.subject.value for q in a.quads(None, P, None, G)}  # type: ignore[union-attr]
            for i, did in enumerate(won):
                mine = {f"{BASE}id/x{rnd * 100 + i * 10 + k}" for k in range(3)}
                assert (mine <= stored) if did else not (mine & stored), (rnd, i, did)
        assert wins >= 1
        assert a.version() == start + wins
        assert not a.writes.steps.pending()
    finally:
        for racer in racers:
            racer.close()
