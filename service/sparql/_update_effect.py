"""The change a SPARQL Update request would make, as one ``ChangeSet``.

Every write goes through the writer (the write gate), which accepts a
``ChangeSet``; so an update is not executed by the engine but *computed*:

- rdflib's SPARQL Update parser gives the structure (operations, templates,
  ``USING``/``USING NAMED``/``WITH``, prologue); a request that does not parse
  is a 400 with the line and column.
- Each ``DELETE/INSERT … WHERE`` has its ``WHERE`` evaluated by Oxigraph as a
  ``SELECT *`` (its text is cut from the request, see ``update_text``), on the
  dataset of ``USING``/``WITH``, else of the protocol's ``using-graph-uri`` /
  ``using-named-graph-uri``, else Parley's default; the templates are
  instantiated per solution (fresh blank nodes per solution; a quad with an
  unbound or ill-placed term is skipped, as SPARQL 1.1 Update §3.1.3 says).
  Their cost is the client's: ``service.sparql._update_job`` runs this module
  where the time limit stops it.
- Operations are sequential: a later one sees the earlier ones' effect. While
  nothing has changed they read the store itself; from the first operation
  that changed something on, they read a private fork of the store (a
  hard-link checkpoint) to which each operation's change is applied.
- The request's net effect is folded into one ``ChangeSet`` (drops, then
  deletions, then insertions, then graph creations), so the writer commits
  the whole request atomically or not at all.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from pyparsing import ParseException
from rdflib import BNode as RdfBNode
from rdflib import Literal as RdfLiteral
from rdflib import URIRef, Variable
from rdflib.plugins.sparql import algebra as rdflib_algebra
from rdflib.plugins.sparql.algebra import translateUpdate
from rdflib.plugins.sparql.parser import parseUpdate
from rdflib.plugins.sparql.parserutils import CompValue
from rdflib.term import Identifier

from service.errors import QuerySyntaxError, QueryTimeoutError, UpdateFailedError
from service.rdf import (
    TSV,
    BlankNode,
    DefaultGraph,
    GraphName,
    Literal,
    NamedNode,
    Quad,
    Term,
    literals_verbatim,
    parse,
    parse_solutions,
    rdf_format_for_content_type,
    without_comments,
)
from service.sparql._outbound import check_outbound, fetch
from service.sparql._update_text import declared_prefixes, operation_texts
from service.store import ChangeSet, DatasetSpec, GraphStore, Row


@dataclass(frozen=True)
class UpdateContext:
    """Request-level facts an update is computed with."""

    #: Base IRI for relative IRIs (the endpoint's URL).
    base_iri: str
    prefixes: Mapping[str, str]
    #: The protocol's using-graph-uri / using-named-graph-uri, if given.
    dataset: DatasetSpec | None = None
    outbound_allow: tuple[str, ...] = ()
    max_load_bytes: int = 16 * 1024 * 1024
    load_timeout_s: float = 10.0
    #: When the WHERE clauses' solutions must have come (``time.monotonic()``), from a
    #: store that evaluates them elsewhere (a remote store: the connection is closed then).
    #: ``None``: an embedded store evaluates them in this process, which the caller bounds
    #: (``service.sparql._update_job``).
    where_deadline: float | None = None


_Triple = tuple[Identifier, Identifier, Identifier]


@contextmanager
def _triples_in_order() -> Iterator[None]:
    """Keep a block's triples in the order written while rdflib translates an update.

    rdflib orders the triples of every block for its own evaluator, in time that
    grows with the square of their number (an ``INSERT DATA`` of 1,800 triples:
    32 s). Parley never evaluates the translation (the store evaluates the
    ``WHERE`` text; templates and data are sets), so the order is kept. The
    function is a module global of rdflib's: swapped only under
    ``literals_verbatim()``'s lock, which every use of rdflib in Parley holds.
    """
    saved = rdflib_algebra.reorderTriples
    rdflib_algebra.reorderTriples = _as_written
    try:
        yield
    finally:
        rdflib_algebra.reorderTriples = saved


def _as_written(l_: Iterable[_Triple]) -> list[_Triple]:  # rdflib's parameter name
    return list(l_)


def parse_update(text: str, ctx: UpdateContext) -> list[CompValue]:
    """The operations of an update, with IRIs resolved and prefixes expanded.

    :raises QuerySyntaxError: with ``line`` and ``column`` of the first error.
    """
    # rdflib keeps one prefix per namespace and re-binds the initial ones before each
    # operation, so a pre-declared prefix would evict the request's own prefix for the
    # same namespace (``dc:`` for dcterms); the request's declarations win.
    own = declared_prefixes(text)
    initial = {
        p: iri for p, iri in ctx.prefixes.items() if p not in own and iri not in own.values()
    }
    try:
        with literals_verbatim(), _triples_in_order():
            parsed = parseUpdate(without_comments(text))  # rdflib's end only at a LF
            update = translateUpdate(parsed, base=ctx.base_iri, initNs=initial)
    except ParseException as exc:
        raise QuerySyntaxError(
            f"the update does not parse at line {exc.lineno}, column {exc.col}: {exc.msg}",
            line=exc.lineno,
            column=exc.col,
        ) from None
    except Exception as exc:  # rdflib raises bare Exceptions for unknown prefixes and the like
        raise QuerySyntaxError(f"the update is not valid SPARQL 1.1 Update: {exc}") from None
    return list(update.algebra)


def compute_update(store: GraphStore, text: str, ctx: UpdateContext) -> ChangeSet:
    """The net change of an update request on ``store`` (which is not modified)."""
    check_outbound(text, ctx.outbound_allow)
    operations = parse_update(text, ctx)
    texts = operation_texts(text)
    if len(texts) != len(operations):
        raise QuerySyntaxError(
            "the update's operations could not be told apart; separate them with ';'"
        )
    with _Sequence(store) as seq:
        for operation, (prologue, where) in zip(operations, texts, strict=True):
            seq.apply(_effect(seq.reader(), operation, prologue, where, ctx))
        return seq.net.changeset()


# -- net effect of a sequence ------------------------------------------------


@dataclass
class _Net:
    """The net effect of operations applied one after another (ordered sets)."""

    drop: dict[NamedNode, None] = field(default_factory=dict)
    delete: dict[Quad, None] = field(default_factory=dict)
    insert: dict[Quad, None] = field(default_factory=dict)
    create: dict[NamedNode, None] = field(default_factory=dict)

    def apply(self, change: ChangeSet) -> None:
        for graph in change.drop_graphs:
            self.insert = {q: None for q in self.insert if q.graph_name != graph}
            self.delete = {q: None for q in self.delete if q.graph_name != graph}
            self.create.pop(graph, None)
            self.drop[graph] = None
        for quad in change.delete:
            self.insert.pop(quad, None)
            self.delete[quad] = None
        for quad in change.insert:
            self.delete.pop(quad, None)
            self.insert[quad] = None
        for graph in change.create_graphs:
            self.create[graph] = None

    def changeset(self) -> ChangeSet:
        return ChangeSet(
            delete=list(self.delete),
            insert=list(self.insert),
            create_graphs=list(self.create),
            drop_graphs=list(self.drop),
        )

    def __bool__(self) -> bool:
        return bool(self.drop or self.delete or self.insert or self.create)


class _Sequence:
    """Reads the store until something changed, then a fork with the changes applied."""

    def __init__(self, store: GraphStore) -> None:
        self.store = store
        self.net = _Net()
        self._fork: GraphStore | None = None

    def __enter__(self) -> _Sequence:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._fork is not None:
            self._fork.close()

    def reader(self) -> GraphStore:
        if self._fork is None and self.net:
            self._fork = self.store.fork()
            self._fork.commit(self.net.changeset())
        return self._fork or self.store

    def apply(self, change: ChangeSet) -> None:
        if not change:
            return
        self.net.apply(change)
        if self._fork is not None:
            self._fork.commit(change)


# -- one operation -----------------------------------------------------------


def _effect(
    store: GraphStore, op: CompValue, prologue: str, where: str | None, ctx: UpdateContext
) -> ChangeSet:
    name = op.name
    if name == "InsertData":
        return ChangeSet(insert=list(_ground(op, DefaultGraph(), {})))
    if name == "DeleteData":
        return ChangeSet(delete=list(_ground(op, DefaultGraph(), None)))
    if name in ("Modify", "DeleteWhere"):
        return _modify(store, op, prologue, where, ctx)
    if name == "Load":
        return _load(op, ctx)
    if name in ("Clear", "Drop"):
        return _clear_or_drop(store, op, drop=name == "Drop")
    if name == "Create":
        graph = _named(op.graphiri)
        if store.graph_exists(graph) and not _opt(op, "silent"):
            raise UpdateFailedError(f"CREATE GRAPH {graph}: the graph exists (use CREATE SILENT)")
        return ChangeSet(create_graphs=[] if store.graph_exists(graph) else [graph])
    if name in ("Add", "Move", "Copy"):
        return _add_move_copy(store, op, name)
    raise UpdateFailedError(f"the update operation {name} is not supported")


def _opt(value: Any, key: str) -> Any:
    """A member of an rdflib ``CompValue`` or ``None`` (its ``get`` returns the key itself)."""
    return dict.get(value, key) if isinstance(value, dict) else None


def _named(term: Any) -> NamedNode:
    return NamedNode(str(term))


def _graph_of(term: Any) -> GraphName:
    return DefaultGraph() if term in (None, "DEFAULT") else _named(term)


def _template(clause: Any, default: GraphName) -> list[tuple[Any, Any, Any, Any]]:
    """(s, p, o, graph) patterns of a template / data block, in rdflib terms."""
    if clause is None:
        return []
    patterns: list[tuple[Any, Any, Any, Any]] = []
    for s, p, o in _opt(clause, "triples") or ():
        patterns.append((s, p, o, default))
    for graph, triples in (_opt(clause, "quads") or {}).items():
        for s, p, o in triples:
            patterns.append((s, p, o, graph))
    return patterns


def _ground(
    op: CompValue, default: GraphName, bnodes: dict[str, BlankNode] | None
) -> Iterator[Quad]:
    """The quads of INSERT DATA / DELETE DATA (``bnodes`` None: blank nodes are refused)."""
    row: Row = {}
    for pattern in _template(op, default):
        quad = _instantiate(pattern, row, bnodes)
        if quad is None:
            raise QuerySyntaxError("DELETE DATA may not contain blank nodes or variables")
        yield quad


def _term(term: Any, row: Row, bnodes: dict[str, BlankNode] | None) -> Term | GraphName | None:
    if isinstance(term, Variable):
        return row.get(str(term))
    if isinstance(term, RdfBNode):
        return None if bnodes is None else bnodes.setdefault(str(term), BlankNode())
    if isinstance(term, URIRef):
        return NamedNode(str(term))
    if isinstance(term, RdfLiteral):
        if term.language:
            return Literal(str(term), language=term.language)
        if term.datatype is not None:
            return Literal(str(term), datatype=NamedNode(str(term.datatype)))
        return Literal(str(term))
    if isinstance(term, NamedNode | BlankNode | Literal | DefaultGraph):
        return term
    return None


def _instantiate(
    pattern: tuple[Any, Any, Any, Any], row: Row, bnodes: dict[str, BlankNode] | None
) -> Quad | None:
    """A quad of a template for one solution; ``None`` when a term is unbound or misplaced."""
    s, p, o, g = (_term(t, row, bnodes) for t in pattern)
    if not isinstance(s, NamedNode | BlankNode) or not isinstance(p, NamedNode):
        return None
    if not isinstance(o, NamedNode | BlankNode | Literal):
        return None
    if not isinstance(g, NamedNode | DefaultGraph):
        return None
    return Quad(s, p, o, g)


def _modify(
    store: GraphStore, op: CompValue, prologue: str, where: str | None, ctx: UpdateContext
) -> ChangeSet:
    if where is None:
        raise QuerySyntaxError("the update's WHERE clause could not be found")
    with_graph = _opt(op, "withClause")
    default: GraphName = _named(with_graph) if with_graph is not None else DefaultGraph()
    using = _opt(op, "using") or []
    dataset: DatasetSpec | None
    if using:
        dataset = DatasetSpec(
            default_graphs=tuple(_named(u.default) for u in using if _opt(u, "default")),
            named_graphs=tuple(_named(u.named) for u in using if _opt(u, "named")),
        )
    elif with_graph is not None:
        dataset = DatasetSpec(default_graphs=(default,), named_graphs=None)
    else:
        dataset = ctx.dataset
    if op.name == "DeleteWhere":
        delete_patterns, insert_patterns = _template(op, default), []
    else:
        delete_patterns = _template(_opt(op, "delete"), default)
        insert_patterns = _template(_opt(op, "insert"), default)
    query = f"BASE <{ctx.base_iri}>\n{prologue}SELECT * WHERE {where}"
    rows = _solutions(store, query, dataset, ctx.where_deadline)
    change = ChangeSet()
    for row in rows:
        for pattern in delete_patterns:
            quad = _instantiate(pattern, row, None)
            if quad is not None:
                change.delete.append(quad)
        bnodes: dict[str, BlankNode] = {}
        for pattern in insert_patterns:
            quad = _instantiate(pattern, row, bnodes)
            if quad is not None:
                change.insert.append(quad)
    return change


def _solutions(
    store: GraphStore, query: str, dataset: DatasetSpec | None, deadline: float | None
) -> list[Row]:
    """The solutions of a WHERE clause; by ``deadline`` when one is given."""
    if deadline is None:
        return store.select(query, dataset=dataset)
    left = deadline - time.monotonic()
    if left <= 0:
        raise QueryTimeoutError("the update's WHERE clauses ran out of time; nothing was written")
    answer = store.answer(
        query,
        dataset=dataset,
        query_has_dataset=False,
        results_format=TSV,
        graph_format=None,
        timeout_s=left,
    )
    return parse_solutions(answer.body)[1]


def _load(op: CompValue, ctx: UpdateContext) -> ChangeSet:
    url = str(op.iri)
    graph = _graph_of(_opt(op, "graphiri"))
    try:
        check_outbound(f"LOAD <{url}>", ctx.outbound_allow)
        data, content_type = fetch(url, max_bytes=ctx.max_load_bytes, timeout_s=ctx.load_timeout_s)
        fmt = rdf_format_for_content_type(content_type)
        quads = parse(data, fmt, base_iri=url, graph=graph, what=f"the document at <{url}>")
    except Exception:
        if _opt(op, "silent"):
            return ChangeSet()
        raise
    return ChangeSet(insert=quads)


def _targets(store: GraphStore, target: Any) -> Sequence[GraphName]:
    if target == "ALL":
        return [DefaultGraph(), *store.named_graphs()]
    if target == "NAMED":
        return list(store.named_graphs())
    return [_graph_of(target)]


def _clear_or_drop(store: GraphStore, op: CompValue, *, drop: bool) -> ChangeSet:
    change = ChangeSet()
    verb = "DROP" if drop else "CLEAR"
    for graph in _targets(store, op.graphiri):
        if isinstance(graph, DefaultGraph):
            change.delete.extend(store.quads(graph=graph))
            continue
        if isinstance(graph, BlankNode):
            continue
        if not store.graph_exists(graph):
            if not _opt(op, "silent"):
                raise UpdateFailedError(
                    f"{verb} GRAPH {graph}: the graph does not exist (use {verb} SILENT)"
                )
            continue
        change.drop_graphs.append(graph)
        if not drop:
            change.create_graphs.append(graph)
    return change


def _add_move_copy(store: GraphStore, op: CompValue, name: str) -> ChangeSet:
    source, target = (_graph_of(g) for g in op.graph)
    if source == target:
        return ChangeSet()
    if not store.graph_exists(source):
        if _opt(op, "silent"):
            return ChangeSet()
        raise UpdateFailedError(f"{name.upper()}: the source graph {source} does not exist")
    change = ChangeSet()
    if name in ("Move", "Copy"):
        change.extend(_clear_target(store, target))
    change.insert.extend(
        Quad(q.subject, q.predicate, q.object, target) for q in store.quads(graph=source)
    )
    if isinstance(target, NamedNode) and not store.graph_exists(target):
        change.create_graphs.append(target)
    if name == "Move":
        if isinstance(source, NamedNode):
            change.drop_graphs.append(source)
        else:
            change.delete.extend(store.quads(graph=source))
    return change


def _clear_target(store: GraphStore, target: GraphName) -> ChangeSet:
    if isinstance(target, NamedNode):
        return ChangeSet(drop_graphs=[target]) if store.graph_exists(target) else ChangeSet()
    return ChangeSet(delete=list(store.quads(graph=target)))
