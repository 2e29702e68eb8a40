"""Writing to a store that several Parley processes share, with SPARQL Update only.

Why both a lease and a compare-and-swap: a write reads the store (context for the
shapes, premises for the reasoner) and then commits a change computed from what
it read. The **lease** (``service.store._remote_lease``) keeps other processes
from committing in between, so writes from several replicas are serialised the
way one process's writes are. The **compare-and-swap** (``RemoteWrites.commit``) makes that safe
even when a lease lapses (a holder stalled past ``LEASE_TTL_S``): every data
operation of the commit is conditioned on the store version the change was
computed against, and the last operation moves the version on, all in one
update request, which the store applies atomically. A commit that was not
applied raises ``WriteConflictError`` and nothing of it is stored.

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

from service.errors import RemoteStoreLimitError
from service.rdf import (
    NTRIPLES,
    RDF,
    NamedNode,
    Quad,
    Vocab,
    parse_boolean,
    parse_solutions,
    serialize,
)
from service.store._base import ChangeSet, Row, has_blank_node, quad_block
from service.store._remote_graphs import StoreGraphs
from service.store._remote_lease import TSV, Lease, conflict, int_of
from service.store._sparql_client import SparqlClient

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

    def _select(self, text: str) -> list[Row]:
        return parse_solutions(self.client.query(text, accept=TSV))[1]

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
        commit_id = uuid.uuid4().hex
        self.client.update(self.update_text(changes, version, commit_id))
        applied = self.client.query(
            f'ASK {{ GRAPH {self.graph} {{ {self.head} {self.commit_p} "{commit_id}" }} }}',
            accept="application/sparql-results+json",
        )
        if not parse_boolean(applied):
            raise conflict(
                "another Parley process wrote to the store while this write was computed; "
                "nothing was written"
            )
        if lease.mine():
            lease.version = version + 1

    def update_text(self, changes: ChangeSet, version: int, commit_id: str) -> str:
        """One update request: the change, each data operation conditioned on ``version``,
        then the version moved on and the change logged."""
        graphs = self.graphs
        g, head, v = self.graph, self.head, self.version_p
        cond = (
            f"GRAPH {g} {{ {head} {v} {version} }}"
            if version
            else f"FILTER NOT EXISTS {{ GRAPH {g} {{ {head} {v} ?any }} }}"
        )
        dropped = set(changes.drop_graphs)
        ops = [f"DROP SILENT GRAPH {graphs.to_store(d)}" for d in changes.drop_graphs]
        delete = [graphs.store_quad(q) for q in changes.delete if q.graph_name not in dropped]
        blank = "FILTER(isBlank(?s) || isBlank(?o))"
        emptied = self._blank_node_graphs(delete)
        for graph in emptied:
            ops.append(
                f"DELETE {{ GRAPH {graph} {{ ?s ?p ?o }} }} "
                f"WHERE {{ {cond} GRAPH {graph} {{ ?s ?p ?o {blank} }} }}"
            )
        delete = [q for q in delete if not has_blank_node(q)]
        if delete:
            ops.append(f"DELETE {{ {quad_block(delete)} }} WHERE {{ {cond} }}")
        insert = [graphs.store_quad(q) for q in changes.insert]
        if insert:
            ops.append(f"INSERT {{ {quad_block(insert)} }} WHERE {{ {cond} }}")
        ops += [f"CREATE SILENT GRAPH {graphs.to_store(c)}" for c in changes.create_graphs]
        new = version + 1
        entry = graphs.state_node(f"change-{new}")
        log = [f"{entry} a {self.change_c} ; {v} {new}"]
        log += [f"{entry} {self.touched_p} {n}" for n in _touched(changes, self.provenance)]
        log += [f"{entry} {self.dropped_p} {graphs.to_store(d)}" for d in changes.drop_graphs]
        log += [f"{entry} {self.dropped_p} {graph}" for graph in emptied]
        old = f"{head} {v} {version} . " if version else ""
        ops.append(
            f"DELETE {{ GRAPH {g} {{ {old}{head} {self.commit_p} ?c }} }} "
            f'INSERT {{ GRAPH {g} {{ {head} {v} {new} . {head} {self.commit_p} "{commit_id}" . '
            + " . ".join(log)
            + f" }} }} WHERE {{ {cond} OPTIONAL {{ GRAPH {g} {{ {head} {self.commit_p} ?c }} }} }}"
        )
        return " ;\n".join(ops)

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
        by_graph: dict[NamedNode, list[Quad]] = {}
        for q in quads:
            stored = self.graphs.store_quad(q)
            assert isinstance(stored.graph_name, NamedNode)
            by_graph.setdefault(stored.graph_name, []).append(stored)
        loaded = 0
        for graph, in_graph in by_graph.items():
            for batch in _batches(in_graph):
                if client.endpoints.gsp_url:
                    client.post_graph(
                        graph.value, serialize(batch, NTRIPLES), "application/n-triples"
                    )
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


def _batches(quads: list[Quad]) -> Iterator[list[Quad]]:
    """Ground quads in batches; quads with blank nodes all in the last (one request keeps
    one blank node one node)."""
    ground = [q for q in quads if not has_blank_node(q)]
    for start in range(0, len(ground), LOAD_BATCH):
        yield ground[start : start + LOAD_BATCH]
    blank = [q for q in quads if has_blank_node(q)]
    if blank:
        yield blank
