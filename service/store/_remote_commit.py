"""Writing to a store that several Parley processes share, with SPARQL Update only.

Why both a lease and a compare-and-swap: a write reads the store (context for the
shapes, premises for the reasoner) and then commits a change computed from what
it read. The **lease** (``service.store._remote_lease``) keeps other processes
from committing in between, so writes from several replicas are serialised the
way one process's writes are. The **compare-and-swap** (``RemoteWrites.commit``) makes that safe
even when a lease lapses (a holder stalled past ``LEASE_TTL_S``): the commit
claims the store at the version the change was computed against, every data
operation is conditioned on that claim, and the last one moves the version on
(``service.store._remote_steps``: stores neither isolate an update's condition
from its changes nor, on Virtuoso, apply a request all or nothing: measured, eight
writers on one version of ``oxigraph serve`` with one conditioned request each, two
won). A commit that was not applied raises ``WriteConflictError`` and nothing of it
is stored.

All state lives in a graph of its own (``{base}.well-known/parley/store-state``,
outside Parley's graphs, so queries, graph listings and ``DROP ALL`` never see
it; ``service.store._remote_graphs``): ``#head`` carries the version and the
last commit's identifier, ``#lease`` the lease, and ``#change-<n>`` one change-log
entry per commit (the IRIs it touched), which other processes read to bring
their search index up to date.

The writer is handed what it uses (the client, the vocabulary, the graph names and
the lease), not the store it serves.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

from service.errors import RemoteStoreLimitError
from service.rdf import (
    NTRIPLES,
    RDF,
    GraphName,
    NamedNode,
    Quad,
    Vocab,
    serialize,
)
from service.store._base import ChangeSet, Row, has_blank_node, quad_block
from service.store._remote_graphs import StoreGraphs
from service.store._remote_lease import Lease, int_of
from service.store._remote_steps import StepCommits, Steps
from service.store._remote_values import (
    refuse_collapsing,
    refuse_converted_datatypes,
    refuse_strings_of_iris,
)
from service.store._sparql_client import SparqlClient

_T = TypeVar("_T")

#: Triples per request when loading without the Graph Store Protocol.
LOAD_BATCH = 5000


class RemoteWrites:
    """The version, commits, the change log and bulk loads of a remote store."""

    def __init__(
        self, client: SparqlClient, vocab: Vocab, graphs: StoreGraphs, lease: Lease
    ) -> None:
        self.client = client
        self.graphs = graphs
        self.lease = lease
        self.graph = graphs.state
        self.provenance = vocab.provenance_graph
        self.head = graphs.head
        self.version_p = vocab.parley.storeVersion
        self.commit_p = vocab.parley.lastCommit
        self.change_c = vocab.parley.StoreChange
        self.touched_p = vocab.parley.touched
        self.dropped_p = vocab.parley.droppedGraph
        self.steps = StepCommits(client, vocab, graphs)

    def _select(self, text: str) -> list[Row]:
        return self.client.select(text)[1]

    def read_version(self) -> int:
        rows = self._select(
            f"SELECT ?v WHERE {{ GRAPH {self.graph} {{ {self.head} {self.version_p} ?v }} }}"
        )
        return max((int_of(r.get("v")) for r in rows), default=0)

    # -- commits -----------------------------------------------------------

    def commit(self, changes: ChangeSet) -> None:
        """Commit conditioned on the version read when this thread took the lease (or now,
        without the lease)."""
        if not changes:
            return
        lease = self.lease
        version = lease.version if lease.mine() else self.read_version()
        self.commit_at(changes, version, uuid.uuid4().hex)
        if lease.mine():
            lease.version = version + 1

    def commit_at(self, changes: ChangeSet, version: int, commit_id: str) -> None:
        """Commit ``changes``, computed against ``version``, as ``commit_id``: applied
        whole, or ``WriteConflictError`` and nothing of it stored."""
        engine = self.client.engine
        inserted = [self.graphs.store_quad(q) for q in changes.insert]
        if not engine.keeps_equal_values:
            refuse_collapsing(self.client, inserted, engine.name)
        if engine.strings_become_iris:
            refuse_strings_of_iris(self.client, inserted, engine.name)
        refuse_converted_datatypes(inserted, engine.converted_datatypes, engine.name)
        self.steps.commit(self.steps_of(changes, version, commit_id), self.applied_query(commit_id))

    def applied_query(self, commit_id: str) -> str:
        """Whether the commit ``commit_id`` applied: the last commit, or logged as one."""
        return f'ASK {{ GRAPH {self.graph} {{ ?n {self.commit_p} "{commit_id}" }} }}'

    def steps_of(self, changes: ChangeSet, version: int, commit_id: str) -> Steps:
        """The commit in steps, for an engine whose update requests are neither all or
        nothing nor isolated (``service.store._remote_steps``)."""
        graphs, steps = self.graphs, self.steps
        g, head, v = self.graph, self.head, self.version_p
        claimed = steps.claimed(commit_id)
        dropped = [graphs.to_store(d) for d in changes.drop_graphs]
        atomic = self.client.engine.atomic_updates
        # Where a request may be applied in part, a dropped graph is emptied by pattern,
        # conditioned on the claim (a DROP cannot be), so every step is idempotent while
        # the commit is pending and a repair may send them all again. In one atomic
        # request, DROP (which also forgets the empty graph): it is sent right after
        # the claim is read back, and a claim lapses only after a lease's time.
        empty = "DELETE {{ GRAPH {0} {{ ?s ?p ?o }} }} WHERE {{ {1} GRAPH {0} {{ ?s ?p ?o }} }}"
        before = [f"DROP SILENT GRAPH {d}" if atomic else empty.format(d, claimed) for d in dropped]
        stored = (graphs.store_quad(q) for q in changes.delete)
        delete = [q for q in stored if q.graph_name not in dropped]
        blank = "FILTER(isBlank(?s) || isBlank(?o))"
        emptied = self._blank_node_graphs(delete)
        before += [
            f"DELETE {{ GRAPH {e} {{ ?s ?p ?o }} }} "
            f"WHERE {{ {claimed} GRAPH {e} {{ ?s ?p ?o {blank} }} }}"
            for e in emptied
        ]
        before += [f"CREATE SILENT GRAPH {graphs.to_store(c)}" for c in changes.create_graphs]
        delete = [q for q in delete if not has_blank_node(q)]
        insert = [graphs.store_quad(q) for q in changes.insert]
        new = version + 1
        entry = graphs.state_node(f"change-{new}")
        old = [f"GRAPH {g} {{ {head} {v} {version} }}"] if version else []
        old.append(f"GRAPH {g} {{ {head} {steps.pending_p} {steps.node(commit_id)} }}")
        log = self._log(changes, entry, new, emptied)
        limit = self.client.engine.max_update_triples
        if delete and not self.client.engine.deletes_beside_inserts:
            # Each graph's deletions alone in their operations (conditioned on the claim,
            # idempotent while it holds): beside an INSERT or another graph, the store
            # would keep some literals it was told to delete.
            before += [
                f"DELETE {{ {quad_block(batch)} }} WHERE {{ {claimed} }}"
                for in_graph in _by_graph(delete).values()
                for batch in _chunks(in_graph, limit or len(in_graph))
            ]
            delete = []
        if limit is not None and len(delete) + len(insert) + len(log) > limit:
            # Too much for one operation: the ground statements go before the finish in
            # batches, each conditioned on the claim and idempotent while it holds (a
            # repair sends them all again); blank nodes stay in the finish (one
            # operation keeps one blank node one node).
            before += [
                f"DELETE {{ {quad_block(batch)} }} WHERE {{ {claimed} }}"
                for batch in _chunks(delete, limit)
            ]
            ground = [q for q in insert if not has_blank_node(q)]
            before += [
                f"INSERT {{ {quad_block(batch)} }} WHERE {{ {claimed} }}"
                for batch in _chunks(ground, limit)
            ]
            before += [
                f"INSERT {{ GRAPH {g} {{ {' . '.join(batch)} }} }} WHERE {{ {claimed} }}"
                for batch in _chunks(log[1:], limit)
            ]
            delete, insert, log = [], [q for q in insert if has_blank_node(q)], log[:1]
            if len(insert) > limit:
                raise RemoteStoreLimitError(
                    f"the change adds {len(insert)} statements with blank nodes; "
                    f"{self.client.engine.name} takes at most {limit} statements in one "
                    "update operation, and a blank node cannot span two: name the nodes "
                    "(IRIs) or write them in smaller parts",
                    limit=limit,
                )
        log.append(f'{entry} {self.commit_p} "{commit_id}"')
        finish = (
            f"DELETE {{ {quad_block(delete)} {' '.join(old)} }} "
            f"INSERT {{ {quad_block(insert)} GRAPH {g} {{ {head} {v} {new} . "
            + " . ".join(log)
            + f" }} }} WHERE {{ {claimed} {steps.version_condition(version)} }}"
        )
        return Steps(commit_id, version, before, finish, atomic=atomic)

    def _log(
        self, changes: ChangeSet, entry: NamedNode, new: int, emptied: list[NamedNode]
    ) -> list[str]:
        """The change-log entry ``entry`` of the commit making version ``new``."""
        graphs, v = self.graphs, self.version_p
        log = [f"{entry} a {self.change_c} ; {v} {new}"]
        log += [f"{entry} {self.touched_p} {n}" for n in _touched(changes, self.provenance)]
        log += [f"{entry} {self.dropped_p} {graphs.to_store(d)}" for d in changes.drop_graphs]
        log += [f"{entry} {self.dropped_p} {graph}" for graph in emptied]
        return log

    def _blank_node_graphs(self, delete: list[Quad]) -> list[NamedNode]:
        """Graphs whose stored blank-node statements the change deletes. A stored blank
        node cannot be named in an update, so this is possible only when the change
        deletes all of a graph's blank-node statements (a GSP PUT or DELETE of the graph):
        then they are deleted by pattern."""
        graphs = {q.graph_name for q in delete if has_blank_node(q)}
        found: list[NamedNode] = []
        for graph in graphs:
            assert isinstance(graph, NamedNode)
            deleted = {q for q in delete if q.graph_name == graph and has_blank_node(q)}
            rows = self._select(
                f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH {graph} {{ ?s ?p ?o "
                "FILTER(isBlank(?s) || isBlank(?o)) } }"
            )
            if len(deleted) < max((int_of(r.get("n")) for r in rows), default=0):
                raise RemoteStoreLimitError(
                    f"the change deletes some of the blank-node statements of {graph.value}, "
                    "not all: a stored blank node cannot be named in an update to a remote "
                    "store; replace the whole graph (Graph Store Protocol PUT) instead",
                    graph=graph.value,
                )
            found.append(graph)
        return found

    # -- the change log ----------------------------------------------------

    def changes_since(self, seen: int) -> tuple[int, list[NamedNode] | None]:
        g, v = self.graph, self.version_p
        rows = self._select(
            f"SELECT ?cur ?n ?t ?d WHERE {{ {{ GRAPH {g} {{ {self.head} {v} ?cur }} }} UNION "
            f"{{ GRAPH {g} {{ ?c a {self.change_c} ; {v} ?n FILTER(?n > {seen}) "
            f"OPTIONAL {{ ?c {self.touched_p} ?t }} OPTIONAL {{ ?c {self.dropped_p} ?d }} }} }} }}"
        )
        current = max((int_of(r.get("cur")) for r in rows if "cur" in r), default=0)
        if current == seen:
            return current, []
        logged = {int_of(r.get("n")) for r in rows if "n" in r}
        if current < seen or not set(range(seen + 1, current + 1)) <= logged:
            return current, None  # the store was rebuilt, or the log does not say
        if any("d" in r for r in rows):
            return current, None
        touched = {r["t"] for r in rows if isinstance(r.get("t"), NamedNode)}
        return current, sorted(touched, key=str)  # type: ignore[arg-type]

    # -- bulk loads (parley build) -------------------------------------------

    def replace_all(
        self, quads: Iterable[Quad], *, progress: Callable[[int], None] | None = None
    ) -> None:
        """Empty the store and load ``quads`` graph by graph, in batches. Not atomic: a
        build on a shared store is done with the replicas stopped or read-only."""
        before = self.read_version()
        client = self.client
        client.update("DROP SILENT ALL")
        engine = client.engine
        if not engine.drops_all:  # Virtuoso answers 200 and keeps every graph
            rows = self._select(engine.graphs_query)
            for row in rows:
                held = row.get("g")
                if isinstance(held, NamedNode) and not engine.is_system_graph(held.value):
                    client.update(f"DROP SILENT GRAPH {held}")
        loaded = 0
        for graph, in_graph in _by_graph(self.graphs.store_quad(q) for q in quads).items():
            assert isinstance(graph, NamedNode)
            size = min(LOAD_BATCH, engine.max_update_triples or LOAD_BATCH)
            for batch in _batches(in_graph, LOAD_BATCH if client.endpoints.gsp_url else size):
                if client.endpoints.gsp_url:
                    client.post_graph(
                        graph.value, serialize(batch, NTRIPLES), "application/n-triples"
                    )
                elif any(has_blank_node(q) for q in batch):
                    # A template, not INSERT DATA: the standard allows blank nodes in
                    # both, Virtuoso only in a template (one solution: one node a label).
                    client.update(f"INSERT {{ {quad_block(batch)} }} WHERE {{}}")
                else:
                    client.update(f"INSERT DATA {{ {quad_block(batch)} }}")
                loaded += len(batch)
                if progress is not None:
                    progress(loaded)
        # A new version with no change-log entry: every process re-reads everything.
        client.update(
            f"INSERT DATA {{ GRAPH {self.graph} {{ {self.head} {self.version_p} {before + 1} }} }}"
        )


def _touched(changes: ChangeSet, provenance: NamedNode) -> list[NamedNode]:
    """IRIs the change says something about (write records excepted)."""
    found: dict[NamedNode, None] = {}
    for q in [*changes.delete, *changes.insert]:
        if q.graph_name == provenance:
            continue
        nodes = (q.subject,) if q.predicate == RDF.type else (q.subject, q.object)
        for node in nodes:  # a class gains or loses a member: its own page text is the same
            if isinstance(node, NamedNode):
                found[node] = None
    return list(found)


def _by_graph(quads: Iterable[Quad]) -> dict[GraphName, list[Quad]]:
    """Quads by graph, in the order each graph first comes."""
    found: dict[GraphName, list[Quad]] = {}
    for q in quads:
        found.setdefault(q.graph_name, []).append(q)
    return found


def _chunks(items: list[_T], size: int) -> Iterator[list[_T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _batches(quads: list[Quad], size: int = LOAD_BATCH) -> Iterator[list[Quad]]:
    """Ground quads in batches; quads with blank nodes all in the last (one request keeps
    one blank node one node)."""
    ground = [q for q in quads if not has_blank_node(q)]
    yield from _chunks(ground, size)
    blank = [q for q in quads if has_blank_node(q)]
    if blank:
        yield blank
