"""The remote store: a SPARQL 1.1 service (Oxigraph server, Fuseki, GraphDB, ...) over HTTP.

Parley talks to it only through the standard protocols (``service.store._sparql_client``),
so several Parley processes can share one store. The design points (README,
"Deployment"):

- **Parley's default graph** is kept in the named graph ``{base}graph/default``:
  the protocol can name graphs in ``default-graph-uri`` but not a store's own
  default graph. Every query is sent with its dataset spelt out: Parley's graphs
  (that one included) as the default graph, every other named graph as named
  graphs, unless the request names its own. ``graph/default`` is hidden from
  graph listings and from ``GRAPH ?g``, and reads back as the default graph.
- **Writes from several processes** (``service.store._remote_commit``): a write
  holds a lease (``service.store._remote_lease``: a lock statement with an expiry,
  taken by a conditional update) while it reads the store and computes its
  change. No engine Parley has measured isolates one update request from another,
  and Virtuoso's are not even all or nothing, so the commit first claims the store
  (one conditional operation, read back), then applies the change in operations
  conditioned on that claim, the last of which moves the version on
  (``service.store._remote_steps``; a half-applied commit is completed by sending
  its steps again). A commit that finds another version or another claim writes
  nothing and raises ``WriteConflictError``.
- **Each engine's differences** (Virtuoso's above all) live in one profile,
  ``service.store._engines``, learnt from the store's first answer.
- **Replicas catch up**: each commit leaves a change-log entry (the version and
  the IRIs it touched) next to the version, so each process's search index can
  re-read what other processes changed (``changes_since``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager

from service.rdf import (
    NTRIPLES,
    BlankNode,
    DefaultGraph,
    Format,
    GraphName,
    Literal,
    NamedNode,
    Quad,
    Subject,
    Term,
    Triple,
    Vocab,
    parse,
    serialize,
)
from service.settings import Settings
from service.store._base import UNCAPPED, Answer, ChangeSet, DatasetSpec, GraphStore, Row
from service.store._remote_answer import answer
from service.store._remote_cache import ReadCache
from service.store._remote_commit import RemoteWrites
from service.store._remote_graphs import StoreGraphs
from service.store._remote_lease import Lease
from service.store._sparql_client import EMPTY_GRAPH, Endpoints, SparqlClient


def _spelt_out(default: list[str], named: list[str]) -> tuple[list[str], list[str]]:
    """Both graph lists of a query's dataset, an empty one sent as a graph no store holds.
    The protocol empties the set a request does not name when it names the other (2.1.4),
    and naming neither means the store's own dataset; Virtuoso 7.2 takes every graph for
    a set not named, so ``GRAPH ?g`` would match Parley's hidden graphs."""
    return default or [EMPTY_GRAPH], named or [EMPTY_GRAPH]


class RemoteStore:
    """A store reached over the SPARQL 1.1 protocols. Thread-safe."""

    def __init__(self, client: SparqlClient, vocab: Vocab) -> None:
        self.client = client
        self.vocab = vocab
        #: Parley's default graph and the store-state graph, both hidden on the store.
        self.graphs = StoreGraphs(vocab)
        self.lease = Lease(client, vocab, self.graphs)
        self.writes = RemoteWrites(client, vocab, self.graphs, self.lease)
        self._reads = ReadCache(self._quads)
        #: The named graphs as a writer holding the lease last listed them, with the store
        #: version then: every write's queries name them, the listing is a scan of the
        #: store (Virtuoso at 17M quads: 0.3 s), and while the lease is held the version
        #: is known without asking; every commit moves it.
        self._graphs_at: tuple[int, list[NamedNode | BlankNode]] | None = None

    @classmethod
    def connect(cls, settings: Settings, vocab: Vocab) -> RemoteStore:
        """The settings' remote store (``--store-url`` and friends; credentials from the
        environment)."""
        assert settings.store_url is not None
        endpoints = Endpoints(
            query_url=settings.store_url,
            update_url=settings.store_update_url or settings.store_url,
            gsp_url=settings.store_gsp_url,
            username=settings.store_user,
            password=settings.store_password,
            token=settings.store_token,
            timeout_param=settings.store_timeout_param,
        )
        return cls(SparqlClient(endpoints), vocab)

    # -- queries -----------------------------------------------------------

    def prologue(self, base_iri: str | None = None) -> str:
        """BASE and Parley's prefixes, put before every query (a query's own override them)."""
        lines = [f"BASE <{base_iri or self.vocab.base}>"]
        lines += [f"PREFIX {p}: <{iri}>" for p, iri in self.vocab.prefixes().items()]
        return "\n".join(lines) + "\n"

    def dataset_params(
        self, dataset: DatasetSpec | None, *, query_has_dataset: bool = False
    ) -> tuple[list[str], list[str]]:
        """``default-graph-uri`` and ``named-graph-uri`` values for a query."""
        if dataset is not None and not dataset.is_default:
            default = [self.graphs.to_store(g).value for g in dataset.default_graphs or ()]
            if dataset.named_graphs is None:
                named = [g.value for g in self.named_graphs()]
            else:
                named = [g.value for g in dataset.named_graphs]
            return _spelt_out(default, named)
        if query_has_dataset:
            return [], []
        graphs = self.named_graphs()
        default = [self.graphs.default.value]
        default += [g.value for g in graphs if self.vocab.in_union_default(g)]
        return _spelt_out(default, [g.value for g in graphs])

    def _query(self, query: str, accept: str, dataset: DatasetSpec | None) -> bytes:
        default, named = self.dataset_params(dataset)
        return self.client.query(
            self.prologue() + query, accept=accept, default_graphs=default, named_graphs=named
        )

    def select(self, query: str, *, dataset: DatasetSpec | None = None) -> list[Row]:
        return self.select_with_variables(query, dataset=dataset)[0]

    def select_with_variables(
        self, query: str, *, dataset: DatasetSpec | None = None
    ) -> tuple[list[Row], list[str]]:
        default, named = self.dataset_params(dataset)
        names, rows = self.client.select(
            self.prologue() + query, default_graphs=default, named_graphs=named
        )
        return rows, names

    def ask(self, query: str, *, dataset: DatasetSpec | None = None) -> bool:
        default, named = self.dataset_params(dataset)
        return self.client.ask(self.prologue() + query, default_graphs=default, named_graphs=named)

    def construct(self, query: str, *, dataset: DatasetSpec | None = None) -> list[Triple]:
        body = self._query(query, NTRIPLES.media_type, dataset)
        triples = [q.triple for q in parse(body, NTRIPLES, what="the store's answer")]
        self.client.check_whole(len(triples))
        return triples

    def answer(
        self,
        query: str,
        *,
        dataset: DatasetSpec | None,
        query_has_dataset: bool,
        results_format: Format | None,
        graph_format: Format | None,
        base_iri: str | None = None,
        max_rows: int = UNCAPPED,
        max_bytes: int = UNCAPPED,
        timeout_s: float | None = None,
    ) -> Answer:
        default, named = self.dataset_params(dataset, query_has_dataset=query_has_dataset)
        return answer(
            self.client,
            query,
            prologue=self.prologue(base_iri),
            default_graphs=default,
            named_graphs=named,
            results_format=results_format,
            graph_format=graph_format,
            max_rows=max_rows,
            max_bytes=max_bytes,
            timeout_s=timeout_s,
        )

    def reads(self, *, nodes: bool = True) -> AbstractContextManager[None]:
        """Within the block, this thread's pattern lookups by subject (or by object) are
        answered from one query per node: the gate's reasoning and context lookups are
        hundreds of small ones, each a round trip. The graph list and the version are
        read once, when first asked for (a commit clears all three). A writer's block,
        under the lease, sees the store as it was when first read; a reader's block
        (a GET request, ``nodes=False``) keeps its first version while its other reads
        are live, so what it reads is never older than that version."""
        return self._reads.active(nodes=nodes)

    def quads(
        self,
        subject: Subject | None = None,
        predicate: NamedNode | None = None,
        obj: Term | None = None,
        graph: GraphName | None = None,
    ) -> Iterator[Quad]:
        cached = self._reads.lookup(subject, predicate, obj)
        if cached is not None:
            for q in cached:
                if (
                    (predicate is None or q.predicate == predicate)
                    and (obj is None or q.object == obj)
                    and (graph is None or q.graph_name == graph)
                ):
                    yield q
            return
        yield from self._quads(subject, predicate, obj, graph)

    def _quads(
        self,
        subject: Subject | None = None,
        predicate: NamedNode | None = None,
        obj: Term | None = None,
        graph: GraphName | None = None,
    ) -> Iterator[Quad]:
        fixed = (subject, predicate, obj, graph)
        if any(isinstance(t, Triple) for t in fixed) or isinstance(graph, BlankNode):
            return
        # A blank node from an earlier answer cannot be named in a query to the store: it
        # matches any blank node there, and the answer keeps the caller's node. (Parley's
        # graphs hold none; this serves the gate's checks on clients' graphs, such as
        # whether a quad it is asked to delete is held.)
        # Unbound terms are ?s ?p ?o ?g; a blank node is ?bs or ?bo, which the answer rows
        # carry under a name nobody reads, so the caller's node is kept.
        s = "?s" if subject is None else "?bs" if isinstance(subject, BlankNode) else str(subject)
        o = "?o" if obj is None else "?bo" if isinstance(obj, BlankNode) else str(obj)
        p = "?p" if predicate is None else str(predicate)
        g = "?g" if graph is None else str(self.graphs.to_store(graph))
        blank = [f"isBlank({v})" for v in (s, o) if v in ("?bs", "?bo")]
        only = f"FILTER({' && '.join(blank)})" if blank else ""
        text = f"SELECT * WHERE {{ GRAPH {g} {{ {s} {p} {o} {only} }} }}"
        _names, rows = self.client.select(text)
        for row in rows:
            got_s, got_p = row.get("s", subject), row.get("p", predicate)
            got_o = row.get("o", obj)
            got_g = row.get("g", self.graphs.to_store(graph) if graph is not None else None)
            assert isinstance(got_s, (NamedNode, BlankNode))
            assert isinstance(got_p, NamedNode)
            assert got_o is not None
            assert isinstance(got_g, (NamedNode, BlankNode))
            if got_g != self.graphs.state or graph is not None:
                yield Quad(got_s, got_p, got_o, self.graphs.from_store(got_g))

    def named_graphs(self) -> list[NamedNode | BlankNode]:
        return self._reads.graphs(self._listed)

    def _listed(self) -> list[NamedNode | BlankNode]:
        """The named graphs: as listed at the lease's version, for the writer holding it."""
        if not self.lease.mine():
            return self._named_graphs()
        version, known = self.lease.version, self._graphs_at
        if known is not None and known[0] == version:
            return list(known[1])
        graphs = self._named_graphs()
        self._graphs_at = (version, graphs)
        return list(graphs)

    def _named_graphs(self) -> list[NamedNode | BlankNode]:
        _names, rows = self.client.select(self.client.engine.graphs_query)
        found = [r["g"] for r in rows if isinstance(r.get("g"), (NamedNode, BlankNode))]
        engine = self.client.engine
        graphs = [
            g for g in found if g not in self.graphs.hidden and not engine.is_system_graph(g.value)
        ]
        return sorted(graphs, key=str)  # type: ignore[arg-type]

    def graph_exists(self, graph: GraphName) -> bool:
        if isinstance(graph, DefaultGraph):
            return True
        return graph in self.named_graphs()

    def count(self, graph: GraphName | None = None) -> int:
        g = "?g" if graph is None else str(self.graphs.to_store(graph))
        hide = f"FILTER(?g != {self.graphs.state})" if graph is None else ""
        text = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH {g} {{ ?s ?p ?o }} {hide} }}"
        _names, rows = self.client.select(text)
        value = rows[0].get("n") if rows else None
        return int(value.value) if isinstance(value, Literal) else 0

    def serialize_graph(self, graph: GraphName, fmt: Format) -> bytes:
        if fmt.quads and isinstance(graph, DefaultGraph):
            return serialize(self.quads(), fmt)
        return serialize(self.quads(None, None, None, graph), fmt)

    # -- writing (service.store._remote_commit) ---------------------------------------

    def version(self) -> int:
        return self._reads.version(self.writes.read_version)

    def exclusive(self) -> AbstractContextManager[None]:
        """Hold the store's write lease: other Parley processes wait to write."""
        return self.lease.held()

    def commit(self, changes: ChangeSet) -> None:
        try:
            self.writes.commit(changes)
        finally:
            self._reads.clear()

    def changes_since(self, version: int) -> tuple[int, list[NamedNode] | None]:
        """The store's version and the IRIs written since ``version`` (``None``: too much
        changed to say; re-read everything)."""
        return self.writes.changes_since(version)

    def replace_all(
        self, quads: Iterable[Quad], *, progress: Callable[[int], None] | None = None
    ) -> None:
        try:
            self.writes.replace_all(quads, progress=progress)
        finally:
            self._reads.clear()

    def fork(self) -> GraphStore:
        """A private in-memory copy of every quad (its cost grows with the store)."""
        from service.store._oxigraph import OxigraphStore

        copy = OxigraphStore.open(None, self.vocab)
        copy.bulk_extend(self.quads())
        return copy

    def close(self) -> None:
        self.client.close()
