"""Writing to a store that several Parley processes share, with SPARQL Update only.

Why both a lease and a compare-and-swap: a write reads the store (context for the
shapes, premises for the reasoner) and then commits a change computed from what
it read. The **lease** (``Lease``) keeps other processes from committing in
between, so writes from several replicas are serialised the way one process's
writes are. The **compare-and-swap** (``RemoteWrites.commit``) makes that safe
even when a lease lapses (a holder stalled past ``LEASE_TTL_S``): every data
operation of the commit is conditioned on the store version the change was
computed against, and the last operation moves the version on, all in one
update request, which the store applies atomically. A commit that was not
applied raises ``WriteConflictError`` and nothing of it is stored.

All state lives in a graph of its own (``{base}.well-known/parley/store-state``,
outside Parley's graphs, so queries, graph listings and ``DROP ALL`` never see
it): ``#head`` carries the version and the
last commit's identifier, ``#lease`` the lease, and ``#change-<n>`` one change-log
entry per commit (the IRIs it touched), which other processes read to bring
their search index up to date. Lease expiry compares the writers' clocks, which
must agree to within seconds (NTP).
"""

from __future__ import annotations

import logging
import os
import random
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from service.errors import RemoteStoreLimitError, StoreUnavailableError, WriteConflictError
from service.rdf._formats import NTRIPLES
from service.rdf._io import parse_boolean, parse_solutions, serialize
from service.rdf._terms import RDF, XSD, BlankNode, Literal, NamedNode, Quad
from service.store._base import ChangeSet, Row, has_blank_node, quad_block

GraphTerm = NamedNode | BlankNode

if TYPE_CHECKING:
    from service.store._remote import RemoteStore

logger = logging.getLogger(__name__)

#: Seconds a lease lasts if its holder never releases it.
LEASE_TTL_S = 30.0
#: Seconds a write waits for the lease before answering 503 write-conflict.
LEASE_WAIT_S = 20.0
#: Seconds a client is told to wait after a write conflict.
RETRY_AFTER_S = 2
#: Triples per request when loading without the Graph Store Protocol.
LOAD_BATCH = 5000
TSV = "text/tab-separated-values"


def conflict(detail: str) -> WriteConflictError:
    return WriteConflictError(detail, retryAfter=RETRY_AFTER_S)


class RemoteWrites:
    """The version, commits, the change log and bulk loads of a remote store."""

    def __init__(self, store: RemoteStore) -> None:
        self.store = store
        vocab = store.vocab
        self.graph = store.state_graph
        self.provenance = vocab.provenance_graph
        self.head = NamedNode(self.graph.value + "#head")
        self.version_p = vocab.parley.storeVersion
        self.commit_p = vocab.parley.lastCommit
        self.change_c = vocab.parley.StoreChange
        self.touched_p = vocab.parley.touched
        self.dropped_p = vocab.parley.droppedGraph

    def _select(self, text: str) -> list[Row]:
        return parse_solutions(self.store.client.query(text, accept=TSV))[1]

    def read_version(self) -> int:
        rows = self._select(
            f"SELECT ?v WHERE {{ GRAPH {self.graph} {{ {self.head} {self.version_p} ?v }} }}"
        )
        return max((_int(r.get("v")) for r in rows), default=0)

    # -- commits -----------------------------------------------------------

    def commit(self, changes: ChangeSet) -> None:
        """Commit conditioned on the version read when this thread took the lease (or now,
        without the lease)."""
        if not changes:
            return
        lease = self.store.lease
        version = lease.version if lease.mine() else self.read_version()
        commit_id = uuid.uuid4().hex
        self.store.client.update(self.update_text(changes, version, commit_id))
        applied = self.store.client.query(
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
        store = self.store
        g, head, v = self.graph, self.head, self.version_p
        cond = (
            f"GRAPH {g} {{ {head} {v} {version} }}"
            if version
            else f"FILTER NOT EXISTS {{ GRAPH {g} {{ {head} {v} ?any }} }}"
        )
        dropped = set(changes.drop_graphs)
        ops = [f"DROP SILENT GRAPH {store.to_store(d)}" for d in changes.drop_graphs]
        delete = [store.store_quad(q) for q in changes.delete if q.graph_name not in dropped]
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
        insert = [store.store_quad(q) for q in changes.insert]
        if insert:
            ops.append(f"INSERT {{ {quad_block(insert)} }} WHERE {{ {cond} }}")
        ops += [f"CREATE SILENT GRAPH {store.to_store(c)}" for c in changes.create_graphs]
        new = version + 1
        entry = NamedNode(f"{g.value}#change-{new}")
        log = [f"{entry} a {self.change_c} ; {v} {new}"]
        log += [f"{entry} {self.touched_p} {n}" for n in _touched(changes, self.provenance)]
        log += [f"{entry} {self.dropped_p} {store.to_store(d)}" for d in changes.drop_graphs]
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
            if len(deleted) < max((_int(r.get("n")) for r in rows), default=0):
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
        current = max((_int(r.get("cur")) for r in rows if "cur" in r), default=0)
        if current == seen:
            return current, []
        logged = {_int(r.get("n")) for r in rows if "n" in r}
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
        client = self.store.client
        client.update("DROP SILENT ALL")
        by_graph: dict[NamedNode, list[Quad]] = {}
        for q in quads:
            stored = self.store.store_quad(q)
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


class Lease:
    """The write lease of a shared store, held by one thread of one process at a time.

    Re-entrant within the holding thread (a write path holds it while computing its
    change, and the gate again while validating and committing).
    """

    def __init__(self, store: RemoteStore) -> None:
        self.store = store
        self.node = NamedNode(store.state_graph.value + "#lease")
        self.graph = store.state_graph
        self._lock = threading.RLock()
        self._depth = 0
        self._owner: int | None = None
        self._held: tuple[str, Literal] | None = None
        #: Leases this process could not release (the store was down): released first
        #: thing when the store answers again, rather than left to lapse.
        self._stale: list[tuple[str, Literal]] = []
        #: The store version read when the lease was taken, moved on by each commit.
        self.version = 0
        self._process = f"{socket.gethostname()}/{os.getpid()}"

    def mine(self) -> bool:
        return self._depth > 0 and self._owner == threading.get_ident()

    @contextmanager
    def held(self) -> Iterator[None]:
        with self._lock:
            if self._depth == 0:
                self._acquire()
                self._owner = threading.get_ident()
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
                if self._depth == 0:
                    self._owner = None
                    self._release()

    def _acquire(self) -> None:
        while self._stale:
            self._delete(*self._stale[0])
            self._stale.pop(0)
        holder = f"{self._process}/{uuid.uuid4().hex[:12]}"
        deadline = time.monotonic() + LEASE_WAIT_S
        delay = 0.01
        p = self.store.vocab.parley
        g, node = self.graph, self.node
        while True:
            now = datetime.now(UTC)
            expires = _datetime(now + timedelta(seconds=LEASE_TTL_S))
            held_by, until = f"{node} {p.leaseHolder}", f"{node} {p.leaseExpires}"
            self.store.client.update(
                f"DELETE {{ GRAPH {g} {{ {held_by} ?h . {until} ?e }} }} "
                f'INSERT {{ GRAPH {g} {{ {held_by} "{holder}" . {until} {expires} }} }} '
                f"WHERE {{ OPTIONAL {{ GRAPH {g} {{ {held_by} ?h . {until} ?e }} }} "
                f"FILTER(!BOUND(?e) || ?e < {_datetime(now)}) }}"
            )
            rows = parse_solutions(
                self.store.client.query(
                    f"SELECT ?h ?v WHERE {{ {{ GRAPH {g} {{ {node} {p.leaseHolder} ?h }} }} UNION "
                    f"{{ GRAPH {g} {{ {self.store.writes.head} {p.storeVersion} ?v }} }} }}",
                    accept=TSV,
                )
            )[1]
            holders = {r["h"].value for r in rows if isinstance(r.get("h"), Literal)}
            if holders == {holder}:
                self._held = (holder, expires)
                self.version = max((_int(r.get("v")) for r in rows if "v" in r), default=0)
                return
            if holder in holders:  # two took it at once: both step back and try again
                self._delete(holder, expires)
            if time.monotonic() > deadline:
                raise conflict(
                    f"another Parley process has held the store's write lease for over "
                    f"{LEASE_WAIT_S:g} s; nothing was written"
                )
            time.sleep(delay + random.uniform(0, delay))
            delay = min(delay * 2, 0.2)

    def _release(self) -> None:
        held, self._held = self._held, None
        if held is None:
            return
        try:
            self._delete(*held)
        except StoreUnavailableError as exc:
            self._stale.append(held)
            logger.warning("could not release the write lease (will retry): %s", exc.detail)

    def _delete(self, holder: str, expires: Literal) -> None:
        p = self.store.vocab.parley
        self.store.client.update(
            f'DELETE DATA {{ GRAPH {self.graph} {{ {self.node} {p.leaseHolder} "{holder}" . '
            f"{self.node} {p.leaseExpires} {expires} }} }}"
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


def _datetime(t: datetime) -> Literal:
    return Literal(t.isoformat(), datatype=XSD.dateTime)


def _int(term: object) -> int:
    return int(term.value) if isinstance(term, Literal) else 0


class ReadCache:
    """A thread's cache of lookups by node, while it reads a state it treats as fixed
    (``RemoteStore.reads``)."""

    def __init__(self, store: RemoteStore) -> None:
        self.store = store
        self._local = threading.local()

    @contextmanager
    def active(self) -> Iterator[None]:
        local = self._local
        depth = getattr(local, "depth", 0)
        if depth == 0:
            local.by_subject, local.by_object, local.graphs = {}, {}, None
        local.depth = depth + 1
        try:
            yield
        finally:
            local.depth -= 1
            if local.depth == 0:
                local.by_subject = local.by_object = local.graphs = None

    def clear(self) -> None:
        if getattr(self._local, "depth", 0):
            self._local.by_subject, self._local.by_object = {}, {}
            self._local.graphs = None

    def graphs(self, read: Callable[[], list[GraphTerm]]) -> list[GraphTerm]:
        """The named graphs, read once per block (every query's dataset names them)."""
        if not getattr(self._local, "depth", 0):
            return read()
        if self._local.graphs is None:
            self._local.graphs = read()
        found: list[GraphTerm] = self._local.graphs
        return found

    def lookup(self, subject: object, predicate: object, obj: object) -> list[Quad] | None:
        """Every quad of the pattern's node, from the cache (read once); ``None`` when the
        pattern is not cached (no cache active, or a lookup by class, which can be huge)."""
        if not getattr(self._local, "depth", 0):
            return None
        fetch: tuple[NamedNode | None, None, NamedNode | None]
        if isinstance(subject, NamedNode):
            table, key = self._local.by_subject, subject
            fetch = (subject, None, None)
        elif subject is None and isinstance(obj, NamedNode) and predicate != RDF.type:
            table, key = self._local.by_object, obj
            fetch = (None, None, obj)
        else:
            return None
        found: list[Quad] | None = table.get(key)
        if found is None:
            found = list(self.store._quads(*fetch))
            table[key] = found
        return found
