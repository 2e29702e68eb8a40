"""The embedded store: pyoxigraph's RocksDB-backed ``Store``, on disk or in memory.

This module is the only one that holds a ``pyoxigraph.Store``; it translates
pyoxigraph's ``SyntaxError``/``OSError`` into Parley's errors.

Two engine facts shape it:

- ``Store.update`` runs a whole multi-operation update in one transaction, so
  a ``ChangeSet`` is committed as one update request. Blank nodes cannot be
  named in ``DELETE DATA``, so quads that mention an existing blank node are
  deleted through a custom function that returns the stored blank node by its
  identifier (Parley's own graphs hold no blank nodes: they are skolemised on
  the way in; this path serves other graphs).
- Oxigraph's union of graphs does not merge duplicates across graphs, and a
  list of default graphs costs about 3x the built-in union. When every named
  graph is one of Parley's, the built-in union *is* Parley's default graph,
  so it is used; otherwise the explicit list is.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import pyoxigraph

from service.errors import NotAcceptableError, QuerySyntaxError, StoreError
from service.formats import Format
from service.queryjob import Answered, QueryJob, QueryLimits, QueryRunner
from service.rdfio import rdf_format, serialize, serialize_capped, syntax_position
from service.rdfio import results_format as results_format_of
from service.store import (
    ChangeSet,
    DatasetSpec,
    Evaluated,
    ResultKind,
    Row,
    has_blank_node,
    quad_block,
    term_to_sparql,
)
from service.terms import (
    BlankNode,
    DefaultGraph,
    GraphName,
    Literal,
    NamedNode,
    Quad,
    Subject,
    Term,
    Triple,
)
from service.vocab import Vocab

#: The custom function that names a stored blank node in an update.
_BNODE_FN = NamedNode("urn:parley:fn:bnode")

QueryResult = pyoxigraph.QuerySolutions | pyoxigraph.QueryBoolean | pyoxigraph.QueryTriples


class OxigraphStore:
    """The embedded store. Thread-safe: pyoxigraph stores may be shared across threads."""

    def __init__(
        self, store: pyoxigraph.Store, vocab: Vocab, *, path: Path | None, read_only: bool
    ) -> None:
        self._store = store
        self.vocab = vocab
        self.path = path
        self.read_only = read_only
        self._version = 0
        self._graphs_cache: tuple[int, list[NamedNode | BlankNode]] | None = None
        self._lock = threading.Lock()
        #: The temporary directory of a ``fork``, removed on ``close``.
        self._scratch_root: Path | None = None

    @classmethod
    def open(cls, path: Path | None, vocab: Vocab) -> OxigraphStore:
        """Open (or create) a read-write store; ``None`` keeps it in memory."""
        try:
            store = pyoxigraph.Store(str(path)) if path is not None else pyoxigraph.Store()
        except OSError as exc:
            raise StoreError(f"cannot open the store at {path}: {exc}") from exc
        return cls(store, vocab, path=path, read_only=False)

    @classmethod
    def open_read_only(cls, path: Path, vocab: Vocab) -> OxigraphStore:
        """Open a store that no process writes (a snapshot) for reading."""
        try:
            store = pyoxigraph.Store.read_only(str(path))
        except OSError as exc:
            raise StoreError(f"cannot open the store at {path} read-only: {exc}") from exc
        return cls(store, vocab, path=path, read_only=True)

    # -- reading ---------------------------------------------------------

    def dataset_kwargs(self, dataset: DatasetSpec | None) -> dict[str, Any]:
        """Keyword arguments of ``Store.query`` that give the dataset.

        Parley's default: the store's default graph merged with Parley's graphs.
        """
        if dataset is not None and not dataset.is_default:
            kwargs: dict[str, Any] = {}
            kwargs["default_graph"] = list(dataset.default_graphs or ())
            if dataset.named_graphs is not None:  # None: every named graph (WITH in an update)
                kwargs["named_graphs"] = list(dataset.named_graphs)
            return kwargs
        graphs = self.named_graphs()
        if all(self.vocab.is_parley_graph(g) for g in graphs):
            return {"use_default_graph_as_union": True}
        parley_graphs: list[GraphName] = [g for g in graphs if self.vocab.is_parley_graph(g)]
        return {"default_graph": [DefaultGraph(), *parley_graphs]}

    def raw_query(
        self,
        query: str,
        *,
        dataset: DatasetSpec | None = None,
        query_has_dataset: bool = False,
        base_iri: str | None = None,
    ) -> QueryResult:
        """Evaluate a query and return pyoxigraph's lazy result.

        :param query_has_dataset: the query names its own dataset (FROM / FROM
            NAMED), which then applies unless ``dataset`` overrides it.
        :raises QuerySyntaxError: with the line and column of the error.
        """
        kwargs: dict[str, Any] = {}
        if dataset is not None and not dataset.is_default:
            kwargs = self.dataset_kwargs(dataset)
        elif not query_has_dataset:
            kwargs = self.dataset_kwargs(None)
        try:
            # Relative IRIs resolve against the base: <id/Putin> is the server's own entity.
            base = base_iri or self.vocab.base
            return self._store.query(query, prefixes=self.vocab.prefixes(), base_iri=base, **kwargs)
        except SyntaxError as exc:
            raise QuerySyntaxError(
                f"the query does not parse: {exc}", **syntax_position(str(exc))
            ) from exc
        except OSError as exc:
            raise StoreError(f"the store failed while evaluating the query: {exc}") from exc

    def evaluate(
        self,
        query: str,
        *,
        dataset: DatasetSpec | None,
        query_has_dataset: bool,
        results_format: Format | None,
        graph_format: Format | None,
    ) -> Evaluated:
        result = self.raw_query(query, dataset=dataset, query_has_dataset=query_has_dataset)
        kind: ResultKind
        if isinstance(result, pyoxigraph.QueryTriples):
            kind, fmt = "graph", graph_format
        else:
            kind = "boolean" if isinstance(result, pyoxigraph.QueryBoolean) else "solutions"
            fmt = results_format
        if fmt is None:
            family = "an RDF format" if kind == "graph" else "a SPARQL results format"
            raise NotAcceptableError(
                f"the query's answer is {kind}, which needs {family}; none of them is acceptable",
            )
        try:
            if kind == "graph":
                body = result.serialize(format=rdf_format(fmt))  # type: ignore[arg-type]
            else:
                body = result.serialize(format=results_format_of(fmt))  # type: ignore[arg-type]
        except OSError as exc:
            raise StoreError(f"the store failed while evaluating the query: {exc}") from exc
        assert body is not None
        return Evaluated(kind, fmt, body)

    def answer(self, job: QueryJob) -> Answered:
        """Evaluate a client's query; the answer serialised and held to the job's caps."""
        result = self.raw_query(
            job.text,
            dataset=job.dataset,
            query_has_dataset=job.query_has_dataset,
            base_iri=job.base_iri,
        )
        graph = isinstance(result, pyoxigraph.QueryTriples)
        fmt = job.graph_format if graph else job.results_format
        if fmt is None:
            family = "an RDF format" if graph else "a SPARQL results format"
            raise NotAcceptableError(
                f"the query's answer needs {family}; none of them is acceptable",
            )
        try:
            capped = serialize_capped(result, fmt, max_rows=job.max_rows, max_bytes=job.max_bytes)
        except OSError as exc:
            raise StoreError(f"the store failed while evaluating the query: {exc}") from exc
        return Answered(fmt, capped.body, capped.rows, capped.truncated)

    def select(self, query: str, *, dataset: DatasetSpec | None = None) -> list[Row]:
        return self.select_with_variables(query, dataset=dataset)[0]

    def select_with_variables(
        self, query: str, *, dataset: DatasetSpec | None = None
    ) -> tuple[list[Row], list[str]]:
        """Rows of a SELECT query and its variables, in the query's order."""
        result = self.raw_query(query, dataset=dataset)
        if not isinstance(result, pyoxigraph.QuerySolutions):
            raise TypeError("select() needs a SELECT query")
        names = [v.value for v in result.variables]
        rows: list[Row] = []
        for solution in result:
            row: Row = {}
            for name in names:
                value = solution[name]
                if value is not None and not isinstance(value, Triple):
                    row[name] = value
            rows.append(row)
        return rows, names

    def ask(self, query: str, *, dataset: DatasetSpec | None = None) -> bool:
        result = self.raw_query(query, dataset=dataset)
        if not isinstance(result, pyoxigraph.QueryBoolean):
            raise TypeError("ask() needs an ASK query")
        return bool(result)

    def construct(self, query: str, *, dataset: DatasetSpec | None = None) -> list[Triple]:
        result = self.raw_query(query, dataset=dataset)
        if not isinstance(result, pyoxigraph.QueryTriples):
            raise TypeError("construct() needs a CONSTRUCT or DESCRIBE query")
        return list(result)

    def quads(
        self,
        subject: Subject | None = None,
        predicate: NamedNode | None = None,
        obj: Term | None = None,
        graph: GraphName | None = None,
    ) -> Iterator[Quad]:
        try:
            yield from self._store.quads_for_pattern(subject, predicate, obj, graph)
        except OSError as exc:
            raise StoreError(f"the store failed while reading: {exc}") from exc

    def named_graphs(self) -> list[NamedNode | BlankNode]:
        cached = self._graphs_cache
        if cached is not None and cached[0] == self._version:
            return cached[1]
        graphs = sorted(self._store.named_graphs(), key=str)
        self._graphs_cache = (self._version, graphs)
        return graphs

    def graph_exists(self, graph: GraphName) -> bool:
        if isinstance(graph, DefaultGraph):
            return True
        return bool(self._store.contains_named_graph(graph))

    def count(self, graph: GraphName | None = None) -> int:
        if graph is None:
            return len(self._store)
        if isinstance(graph, DefaultGraph):
            query = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
            rows = self._store.query(query, default_graph=DefaultGraph())
        else:
            query = (
                f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH {term_to_sparql(graph)} {{ ?s ?p ?o }} }}"
            )
            rows = self._store.query(query)
        assert isinstance(rows, pyoxigraph.QuerySolutions)
        for row in rows:
            value = row["n"]
            return int(value.value) if isinstance(value, Literal) else 0
        return 0

    def serialize_graph(self, graph: GraphName, fmt: Format) -> bytes:
        if fmt.quads and isinstance(graph, DefaultGraph):
            data = self._store.dump(format=rdf_format(fmt))
        elif fmt.quads:
            data = serialize(self.quads(None, None, None, graph), fmt)
        else:
            data = self._store.dump(format=rdf_format(fmt), from_graph=graph)
        assert data is not None
        return data

    def version(self) -> int:
        return self._version

    # -- writing ---------------------------------------------------------

    def exclusive(self) -> AbstractContextManager[None]:
        return contextlib.nullcontext()  # one process owns the store: its writer's lock does

    def reads(self) -> AbstractContextManager[None]:
        return contextlib.nullcontext()  # lookups are in-process already

    def changes_since(self, version: int) -> tuple[int, list[NamedNode] | None]:
        return self._version, []  # no other process writes an embedded store

    def commit(self, changes: ChangeSet) -> None:
        """Apply a change in one transaction."""
        if not changes:
            return
        if self.read_only:
            raise StoreError("this store was opened read-only")
        update = changeset_to_update(changes)
        try:
            with self._lock:
                self._store.update(update, custom_functions={_BNODE_FN: _stored_blank_node})
                self._version += 1
        except (OSError, SyntaxError) as exc:
            raise StoreError(f"the store failed while committing a change: {exc}") from exc

    def replace_all(
        self, quads: Iterable[Quad], *, progress: Callable[[int], None] | None = None
    ) -> None:
        quads = list(quads)
        with self._lock:
            self._store.clear()
            self._store.bulk_extend(quads)
            if progress is not None:
                progress(len(quads))
            self._store.flush()
            self._version += 1

    def bulk_extend(self, quads: Iterable[Quad]) -> None:
        """Add many quads fast; not atomic (the pipeline builds into a fresh store)."""
        with self._lock:
            self._store.bulk_extend(quads)
            self._version += 1

    def optimize(self) -> None:
        self._store.optimize()

    def backup(self, target: Path) -> None:
        """A consistent on-disk copy (hard links where possible; about 10 ms at 1M triples)."""
        try:
            self._store.flush()
            self._store.backup(str(target))
        except OSError as exc:
            raise StoreError(f"cannot back the store up to {target}: {exc}") from exc

    def query_runner(self, limits: QueryLimits, on_timeout: Callable[[], None]) -> QueryRunner:
        """The query pool: queries on threads of one killable process (``service.querypool``)."""
        from service.querypool import QueryPool

        return QueryPool(
            self,
            workers=limits.workers,
            max_concurrent=limits.max_concurrent,
            timeout_s=limits.timeout_s,
            base_iri=limits.base_iri,
            on_timeout=on_timeout,
        )

    def fork(self) -> OxigraphStore:
        """A private read-write copy (a hard-link checkpoint on disk; a full copy in memory),
        removed by ``close``. Used to evaluate an update's later operations after earlier ones."""
        if self.path is None:
            copy = OxigraphStore(pyoxigraph.Store(), self.vocab, path=None, read_only=False)
            copy.bulk_extend(self.quads())
            return copy
        root = Path(tempfile.mkdtemp(prefix="parley-fork-"))
        self.backup(root / "store")
        copy = OxigraphStore.open(root / "store", self.vocab)
        copy._scratch_root = root
        return copy

    def close(self) -> None:
        """Release the store (RocksDB closes when the last reference goes)."""
        if not self.read_only:
            self._store.flush()
        del self._store
        if self._scratch_root is not None:
            shutil.rmtree(self._scratch_root, ignore_errors=True)


def canonical_quads(quads: list[Quad]) -> list[Quad]:
    """The quads as the store will hold them: typed literals in canonical form.

    Oxigraph rewrites typed literals when it stores them (``"05"^^xsd:integer``
    reads back as ``"5"``, and every integer type becomes ``xsd:integer``); this
    asks a scratch in-memory store for that form, so a change can be compared
    with what the store holds.

    >>> from service.terms import XSD, NamedNode as N
    >>> q = Quad(N("http://s"), N("http://p"), Literal("05", datatype=XSD.nonNegativeInteger))
    >>> canonical_quads([q])[0].object
    <Literal value=5 datatype=<NamedNode value=http://www.w3.org/2001/XMLSchema#integer>>
    """
    typed = {
        q.object
        for q in quads
        if isinstance(q.object, Literal)
        and not q.object.language
        and q.object.datatype.value != "http://www.w3.org/2001/XMLSchema#string"
    }
    if not typed:
        return quads
    scratch = pyoxigraph.Store()
    predicate = NamedNode("urn:parley:canonical")
    originals = {NamedNode(f"urn:parley:literal:{i}"): lit for i, lit in enumerate(typed)}
    scratch.extend(Quad(s, predicate, lit) for s, lit in originals.items())
    canonical: dict[object, object] = {originals[q.subject]: q.object for q in scratch}
    return [
        q
        if q.object not in canonical or canonical[q.object] == q.object
        else Quad(q.subject, q.predicate, canonical[q.object], q.graph_name)  # type: ignore[arg-type]
        for q in quads
    ]


def _stored_blank_node(identifier: Term) -> BlankNode:
    return BlankNode(identifier.value)


def changeset_to_update(changes: ChangeSet) -> str:
    """The SPARQL update that applies a change set, as one request.

    >>> from service.terms import NamedNode as N, Literal as L
    >>> g = N("http://g")
    >>> change = ChangeSet(insert=[Quad(N("http://s"), N("http://p"), L("o"), g)])
    >>> print(changeset_to_update(change))
    INSERT DATA { GRAPH <http://g> { <http://s> <http://p> "o" . } }
    """
    ops: list[str] = [f"DROP SILENT GRAPH {term_to_sparql(g)}" for g in changes.drop_graphs]
    ground_delete = [q for q in changes.delete if not has_blank_node(q)]
    ground_insert = [q for q in changes.insert if not has_blank_node(q)]
    blank_delete = [q for q in changes.delete if has_blank_node(q)]
    blank_insert = [q for q in changes.insert if has_blank_node(q)]
    if ground_delete:
        ops.append(f"DELETE DATA {{ {quad_block(ground_delete, {})} }}")
    if blank_delete or blank_insert:
        variables: dict[str, str] = {}
        delete_block = quad_block(blank_delete, variables)
        insert_block = quad_block(blank_insert, variables)
        binds = " ".join(
            f'BIND(<{_BNODE_FN.value}>("{bnode}") AS {var})' for bnode, var in variables.items()
        )
        clauses = []
        if blank_delete:
            clauses.append(f"DELETE {{ {delete_block} }}")
        if blank_insert:
            clauses.append(f"INSERT {{ {insert_block} }}")
        ops.append(" ".join(clauses) + f" WHERE {{ {binds} }}")
    if ground_insert:
        ops.append(f"INSERT DATA {{ {quad_block(ground_insert, {})} }}")
    ops.extend(f"CREATE SILENT GRAPH {term_to_sparql(g)}" for g in changes.create_graphs)
    return " ;\n".join(ops)
