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
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import pyoxigraph

from service.errors import NotAcceptableError, QuerySyntaxError, StoreError
from service.rdf import (
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
    rdf_format,
    readable_syntax_error,
    serialize,
    serialize_capped,
    star_in_written_order,
)
from service.store._base import (
    UNCAPPED,
    Answer,
    ChangeSet,
    DatasetSpec,
    ResultKind,
    Row,
    term_to_sparql,
)
from service.store._oxigraph_update import UpdateLog, apply_update, changeset_to_update
from service.store._rocksdb_logs import prune_old_logs


def _cannot_open(path: Path | None, exc: Exception) -> str:
    """One line that says why the store at ``path`` cannot be used, and what to do."""
    reason = " ".join(str(exc).split())  # RocksDB's messages may hold line breaks
    if "corruption" in reason.lower():
        return (
            f"the store at {path} is damaged ({reason}): restore it from a backup "
            "(`parley restore`) or build it again (`parley build`)"
        )
    return f"cannot open the store at {path}: {reason}"


QueryResult = pyoxigraph.QuerySolutions | pyoxigraph.QueryBoolean | pyoxigraph.QueryTriples


class OxigraphStore:
    """The embedded store. Thread-safe: pyoxigraph stores may be shared across threads."""

    def __init__(
        self,
        store: pyoxigraph.Store,
        vocab: Vocab,
        *,
        path: Path | None,
        read_only: bool,
        update_log_chars: int = 0,
    ) -> None:
        self._store = store
        self.vocab = vocab
        self.path = path
        self.read_only = read_only
        self._version = 0
        self._graphs_cache: tuple[int, list[NamedNode | BlankNode]] | None = None
        self._default_dataset: tuple[int, dict[str, Any]] | None = None
        self._lock = threading.Lock()
        #: The updates of the latest commits, for a copy of the store to catch up with
        #: (``keep_updates``; none by default).
        self._log = UpdateLog(update_log_chars)
        #: When and why the last write failed in the store itself (a full disk), ``None``
        #: once a write succeeds again. RocksDB refuses every write after such a failure
        #: until the store is opened again, even when space is freed: /health reports it,
        #: and the web worker hands over to a new one once the disk has room
        #: (``service.web._worker_life``).
        self.write_failure: str | None = None
        #: The temporary directory of a ``fork``, removed on ``close``.
        self._scratch_root: Path | None = None

    @classmethod
    def open(cls, path: Path | None, vocab: Vocab) -> OxigraphStore:
        """Open (or create) a read-write store; ``None`` keeps it in memory."""
        try:
            store = pyoxigraph.Store(str(path)) if path is not None else pyoxigraph.Store()
        except (OSError, RuntimeError) as exc:  # RuntimeError: RocksDB's "Corruption: ..."
            raise StoreError(_cannot_open(path, exc)) from exc
        if path is not None:
            prune_old_logs(path)  # RocksDB keeps one more at every open, forever
        return cls(store, vocab, path=path, read_only=False)

    @classmethod
    def open_read_only(cls, path: Path, vocab: Vocab) -> OxigraphStore:
        """Open a store that no process writes (a snapshot) for reading."""
        try:
            store = pyoxigraph.Store.read_only(str(path))
        except (OSError, RuntimeError) as exc:
            raise StoreError(_cannot_open(path, exc)) from exc
        return cls(store, vocab, path=path, read_only=True)

    def verify(self) -> None:
        """Read every key of the store's quad index, so that RocksDB, which checks each
        block's checksum as it reads it, finds a damaged file there now rather than under
        a client's request (0.8 s at 1M quads; a read of every term would take 45 s, and
        the other indexes are read only by the queries that use them).

        :raises StoreError: the store is damaged.
        """
        try:
            len(self._store)
        except (OSError, RuntimeError) as exc:
            raise StoreError(_cannot_open(self.path, exc)) from exc

    # -- reading ---------------------------------------------------------

    def dataset_kwargs(self, dataset: DatasetSpec | None) -> dict[str, Any]:
        """Keyword arguments of ``Store.query`` that give the dataset.

        Parley's default: the store's default graph merged with Parley's graphs
        (``Vocab.in_union_default``): Oxigraph's fast union while every named graph is one
        of them.
        """
        if dataset is not None and not dataset.is_default:
            kwargs: dict[str, Any] = {}
            kwargs["default_graph"] = list(dataset.default_graphs or ())
            if dataset.named_graphs is not None:  # None: every named graph (WITH in an update)
                kwargs["named_graphs"] = list(dataset.named_graphs)
            return kwargs
        version = self._version  # read first: a commit meanwhile must not get this answer
        cached = self._default_dataset
        if cached is not None and cached[0] == version:
            return cached[1]
        graphs = self.named_graphs()
        found: dict[str, Any]
        if all(self.vocab.in_union_default(g) for g in graphs):
            found = {"use_default_graph_as_union": True}
        else:
            parley_graphs: list[GraphName] = [g for g in graphs if self.vocab.in_union_default(g)]
            found = {"default_graph": [DefaultGraph(), *parley_graphs]}
        self._default_dataset = (version, found)
        return found

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
            prefixes = self.vocab.prefixes()
            result = self._store.query(query, prefixes=prefixes, base_iri=base, **kwargs)
            if not isinstance(result, pyoxigraph.QuerySolutions):
                return result
            # The engine lists the variables of SELECT * in alphabetical order; people
            # (and other stores) expect the order they are written in. Nothing is evaluated
            # yet (solutions are lazy): ask again, naming them in that order.
            explicit = star_in_written_order(query, [v.value for v in result.variables])
            if explicit is None:
                return result
            return self._store.query(explicit, prefixes=prefixes, base_iri=base, **kwargs)
        except SyntaxError as exc:
            message, position = readable_syntax_error(str(exc), query)
            raise QuerySyntaxError(message, **position) from exc
        except OSError as exc:
            raise StoreError(f"the store failed while evaluating the query: {exc}") from exc

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
        # ``timeout_s`` is not ours to keep: pyoxigraph cannot be interrupted, so the query
        # runner evaluates in a process it kills at the limit (``service.query``).
        result = self.raw_query(
            query, dataset=dataset, query_has_dataset=query_has_dataset, base_iri=base_iri
        )
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
            capped = serialize_capped(result, fmt, max_rows=max_rows, max_bytes=max_bytes)
        except OSError as exc:
            raise StoreError(f"the store failed while evaluating the query: {exc}") from exc
        return Answer(kind, fmt, capped.body, capped.rows, capped.truncated)

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
        version = self._version  # read first: a commit meanwhile must not get this answer
        cached = self._graphs_cache
        if cached is not None and cached[0] == version:
            return cached[1]
        graphs = sorted(self._store.named_graphs(), key=str)
        self._graphs_cache = (version, graphs)
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

    def reads(self, *, nodes: bool = True) -> AbstractContextManager[None]:
        return contextlib.nullcontext()  # lookups are in-process already

    def changes_since(self, version: int) -> tuple[int, list[NamedNode] | None]:
        return self._version, []  # no other process writes an embedded store

    def commit(self, changes: ChangeSet) -> None:
        """Apply a change in one transaction."""
        if not changes:
            return
        if self.read_only:
            raise StoreError("this store was opened read-only")
        self.apply(changeset_to_update(changes))

    def apply(self, update: str) -> None:
        """Run an update made by ``changeset_to_update`` in one transaction (also how the
        query process's replica follows the store: ``updates_since``)."""
        try:
            with self._lock:
                apply_update(self._store, update)
                self._version += 1
                self._log.append(self._version, update)
        except OSError as exc:  # the disk (full, failing): /health says so until a write works
            self._write_failed(exc)
            raise StoreError(f"the store failed while committing a change: {exc}") from exc
        except SyntaxError as exc:
            raise StoreError(f"the store failed while committing a change: {exc}") from exc
        self.write_failure = None

    def _write_failed(self, exc: OSError) -> None:
        self.write_failure = f"{time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())} {exc}"

    def keep_updates(self, max_chars: int) -> None:
        """Keep the updates of the latest commits, up to ``max_chars`` of text, for a copy
        of the store to replay (``updates_since``)."""
        with self._lock:
            self._log = UpdateLog(max_chars, floor=self._version)

    def updates_since(self, version: int) -> list[tuple[int, str]] | None:
        """The updates that took the store from ``version`` to now, with the version each
        made; ``None`` when they are no longer all known (a copy must start afresh)."""
        with self._lock:
            return self._log.since(version, self._version)

    def checkpoint(self, target: Path) -> int:
        """A consistent copy on disk (``backup``) and the version it holds."""
        with self._lock:
            self.backup(target)
            return self._version

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
            self._log.forget(self._version)

    def bulk_extend(self, quads: Iterable[Quad]) -> None:
        """Add many quads fast; not atomic (the pipeline builds into a fresh store)."""
        with self._lock:
            self._store.bulk_extend(quads)
            self._version += 1
            self._log.forget(self._version)

    def optimize(self) -> None:
        self._store.optimize()

    def backup(self, target: Path) -> None:
        """A consistent on-disk copy (hard links where possible; about 10 ms at 1M triples)."""
        if not self.read_only:  # a read-only store has nothing to flush (and cannot)
            try:
                self._store.flush()
            except OSError as exc:  # a flush that fails stops RocksDB's writes as a commit's does
                self._write_failed(exc)
                raise StoreError(f"cannot back the store up to {target}: {exc}") from exc
        try:
            self._store.backup(str(target))
        except OSError as exc:
            raise StoreError(f"cannot back the store up to {target}: {exc}") from exc

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
