"""A write interrupted by killing the server: after a restart the store holds all of
it or none of it.

The write is one ``POST /data`` whose body holds a claim for Parley's graphs and
a bulk of quads for a client graph, so validation, reasoning and a large
commit all take time; the server (Granian's main process and the worker that owns
the store) is killed with SIGKILL during it, at three moments in turn on one store:
each round's write is another claim and another client graph, and the server started
again after a round, which must serve, is the next round's. The store is
then opened again (RocksDB recovers from its log) and compared with its state
before the write. On the remote backend the killed server is Parley, in front of
an `oxigraph serve` that lives on: the store must hold the whole write or none
of it, as Parley commits it in one SPARQL Update. On Virtuoso, whose update
requests are not all or nothing, a commit killed between its steps is left
pending (never presented as done) and the next write completes it: the store
then holds the whole write.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from service.rdf import NQUADS, TURTLE, XSD, Literal, NamedNode, Quad, Vocab, parse, serialize
from service.settings import Settings
from service.store import OxigraphStore, RemoteStore
from service.store._remote_graphs import StoreGraphs
from tests import clients
from tests.gate_examples import PREFIXES, claim
from tests.gatekit import build_fixture
from tests.support import ServerProcess, base_for, free_port, start_backend, start_server

pytestmark = pytest.mark.server

BULK_SIZE = 40_000
#: Before the commit, around it, and after it (about 0.6-1.2 s into the write here).
DELAYS = (0.3, 0.9, 2.0)


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        text = (task / "children").read_text().split()
        found.extend(int(t) for t in text)
    return found


def _kill(server: ServerProcess) -> None:
    """SIGKILL the master first (so it starts no new worker), then its workers."""
    workers = _children(server.process.pid)
    os.kill(server.process.pid, signal.SIGKILL)
    for pid in workers:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    server.process.wait(timeout=10)
    deadline = time.monotonic() + 10
    while any(Path(f"/proc/{pid}").exists() for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.05)


def _dump(path: Path, vocab: Vocab) -> set[Quad]:
    store = OxigraphStore.open(path, vocab)
    try:
        return set(store.quads())
    finally:
        store.close()


def _bulk(token: str) -> NamedNode:
    return NamedNode(f"http://example.org/bulk-{token}")


def _body(vocab: Vocab, token: str) -> bytes:
    claim_quads = parse(
        (PREFIXES + claim().replace("{k}", token)).encode(), TURTLE, base_iri=vocab.base
    )
    note = NamedNode("http://example.org/note")
    bulk = [
        Quad(NamedNode(f"http://example.org/n{i}"), note, Literal(str(i)), _bulk(token))
        for i in range(BULK_SIZE)
    ]
    return serialize([*claim_quads, *bulk], NQUADS)


def _virtuoso_dump(server: ServerProcess, vocab: Vocab) -> set[Quad]:
    """The quads of the Virtuoso behind ``server``, Parley's default graph as the default
    graph (as ``_dump`` reads a store directory)."""
    assert server.virtuoso is not None
    graphs = StoreGraphs(vocab)
    # A parser gives blank nodes labels of its own each time: Virtuoso's (stable) are kept
    # as IRIs, so that two dumps compare.
    lines = re.sub(r"_:(\w+)", r"<urn:virtuoso-bnode:\1>", "\n".join(server.virtuoso.dump()))
    return {
        Quad(q.subject, q.predicate, q.object, graphs.from_store(q.graph_name))
        for q in parse(lines.encode(), NQUADS)
    }


def _complete_a_pending_commit(server: ServerProcess, vocab: Vocab) -> bool:
    """On Virtuoso, a commit killed between its steps stays pending (its claim in the
    store-state graph, the version not moved) until the next write of any Parley process
    completes it, once the claim is as old as a lease. The claim is aged here instead of
    waiting, and a Parley started on the store makes that next write."""
    settings = Settings(base_iri=vocab.base, store_url=server.virtuoso.sparql_url)  # type: ignore[union-attr]
    store = RemoteStore.connect(settings, vocab)
    try:
        pending = store.writes.steps.pending()
        if not pending:
            return False
        g, claimed = store.graphs.state, store.writes.steps.claimed_p
        old = Literal((datetime.now(UTC) - timedelta(minutes=5)).isoformat(), datatype=XSD.dateTime)
        for node, _at, _text in pending:
            store.client.update(
                f"DELETE WHERE {{ GRAPH {g} {{ {node} {claimed} ?t }} }} ;\n"
                f"INSERT DATA {{ GRAPH {g} {{ {node} {claimed} {old} }} }}"
            )
        store.writes.steps.repair_stale()  # what the next write does first
        assert not store.writes.steps.pending()
        return True
    finally:
        store.close()


def test_a_killed_write_is_all_or_nothing(tmp_path: Path, backend: str) -> None:
    port = free_port()
    vocab = Vocab(base_for(port))
    store = build_fixture(tmp_path / "store", vocab.base)
    before = _dump(store, vocab)
    server = start_backend(backend, store, port=port, log_dir=tmp_path)
    if server.virtuoso is not None:  # as Virtuoso holds it (its own blank node ids)
        before = _virtuoso_dump(server, vocab)
    try:
        for round_, delay in enumerate(DELAYS):
            server, before = _kill_a_write(server, store, vocab, f"k{round_}", delay, before)
    finally:
        server.stop()  # and the store behind it


def _kill_a_write(
    server: ServerProcess,
    store: Path,
    vocab: Vocab,
    token: str,
    delay: float,
    before: set[Quad],
) -> tuple[ServerProcess, set[Quad]]:
    """Kill ``server`` (on the store directory ``store``, or on the Virtuoso it holds)
    ``delay`` seconds into a write, check that the store holds all of it or none of it,
    and start the server again: it must serve. The new server, and what the store holds
    now."""
    # On a remote store Parley keeps its version, lease and change log in a graph of its
    # own, which a write killed mid-way may leave holding its lease: compared apart there.
    state = NamedNode(vocab.base + ".well-known/parley/store-state")
    kept_apart = state if server.backend in ("remote", "virtuoso") else None
    body = _body(vocab, token)
    answers: list[int] = []

    def write() -> None:
        try:
            response = clients.post(
                server.url + "data",
                params={"graph": "graph/claims/article"},
                content=body,
                headers={"Content-Type": NQUADS.media_type, **server.auth()},
                timeout=120,
            )
            answers.append(response.status_code)
        except httpx.HTTPError:
            answers.append(0)  # the server died under the request

    thread = threading.Thread(target=write)
    thread.start()
    time.sleep(delay)
    _kill(server)
    thread.join(timeout=60)
    if server.oxigraph is not None:
        server.oxigraph.stop()  # it releases the store directory, to be read here
    if server.virtuoso is not None:
        # The store lives on: what a commit killed between its steps left is pending,
        # never the version moved on; the next write completes it.
        pending = _complete_a_pending_commit(server, vocab)
        after = _virtuoso_dump(server, vocab)
        assert not pending or answers != [201]
    else:
        after = _dump(store, vocab)
    added = {q for q in after - before if q.graph_name != kept_apart}
    claim_iri = vocab.id[f"claim/X{token}"]
    if not added:
        assert {q for q in after if q.graph_name != kept_apart} == {
            q for q in before if q.graph_name != kept_apart
        }
        assert answers != [201]  # a write the client saw accepted is stored
    else:
        assert {q for q in before if q.graph_name != kept_apart} <= after  # nothing was lost
        assert {q for q in added if q.graph_name == _bulk(token)} == {
            q for q in parse(body, NQUADS) if q.graph_name == _bulk(token)
        }
        assert any(q.subject == claim_iri for q in added)
        assert any(q.graph_name == vocab.inferred_graph for q in added)
        assert any(q.graph_name == vocab.provenance_graph for q in after - before)
    # The store still serves after the crash.
    log_dir = server.log_path.parent
    if server.virtuoso is not None:
        again = start_server(
            None, port=server.port, log_dir=log_dir, store_url=server.virtuoso.sparql_url
        )
        again.backend, again.virtuoso = server.backend, server.virtuoso
    else:
        again = start_backend(server.backend, store, port=server.port, log_dir=log_dir)
    try:
        assert clients.get(again.url + "health", timeout=10).status_code == 200
    except BaseException:
        again.stop()
        raise
    return again, after
