"""The store interface: what the rest of Parley asks of a triple store.

Two implementations sit behind it: the embedded Oxigraph store
(``service.store._oxigraph``), which is the default, and a remote store reached
over the SPARQL 1.1 protocols. Nothing above this interface knows which one it
talks to.

Changes are always committed as one ``ChangeSet`` (deleted and inserted quads,
created and dropped graphs), atomically: either all of it is stored or none.
A store several processes share makes that safe across them: the writer holds
``exclusive()`` while it reads the store and computes its change, and a commit
finding that another process committed meanwhile writes nothing and raises
``WriteConflictError``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Literal, Protocol

from service.rdf import (
    BlankNode,
    DefaultGraph,
    Format,
    GraphName,
    NamedNode,
    Quad,
    Subject,
    Term,
    Triple,
    Vocab,
)

Row = dict[str, Term]
ResultKind = Literal["solutions", "boolean", "graph"]


#: No cap on an answer's rows or bytes (Parley's own reads, the CLI).
UNCAPPED = 1 << 62


@dataclass(frozen=True)
class Answer:
    """A client's query answered: serialised in the format for its kind, held to the caps."""

    kind: ResultKind
    format: Format
    body: bytes
    #: Solutions or triples in ``body``.
    rows: int
    #: Why the answer was cut ("rows" or "bytes"); ``None`` when complete.
    truncated: str | None


@dataclass(frozen=True)
class DatasetSpec:
    """The RDF dataset a query runs on.

    ``None`` fields mean Parley's default: the default graph is the store's
    default graph merged with Parley's graphs, and every named graph is
    available to ``GRAPH``. When a request names default or named graphs
    (protocol parameters), only those are used, as the SPARQL Protocol says.
    """

    default_graphs: tuple[GraphName, ...] | None = None
    named_graphs: tuple[NamedNode | BlankNode, ...] | None = None

    @property
    def is_default(self) -> bool:
        return self.default_graphs is None and self.named_graphs is None


@dataclass
class ChangeSet:
    """A change to the store, committed atomically.

    Deletions apply before insertions, so a quad both deleted and inserted stays.
    """

    delete: list[Quad] = field(default_factory=list)
    insert: list[Quad] = field(default_factory=list)
    create_graphs: list[NamedNode] = field(default_factory=list)
    drop_graphs: list[NamedNode] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.delete or self.insert or self.create_graphs or self.drop_graphs)

    def extend(self, other: ChangeSet) -> None:
        self.delete.extend(other.delete)
        self.insert.extend(other.insert)
        self.create_graphs.extend(other.create_graphs)
        self.drop_graphs.extend(other.drop_graphs)


class GraphStore(Protocol):
    """A quad store Parley reads and writes."""

    vocab: Vocab

    def select(self, query: str, *, dataset: DatasetSpec | None = None) -> list[Row]:
        """Rows of a SELECT query (unbound variables are absent from a row)."""

    def select_with_variables(
        self, query: str, *, dataset: DatasetSpec | None = None
    ) -> tuple[list[Row], list[str]]:
        """Rows of a SELECT query and its variables, in the query's order."""

    def ask(self, query: str, *, dataset: DatasetSpec | None = None) -> bool:
        """The answer of an ASK query."""

    def construct(self, query: str, *, dataset: DatasetSpec | None = None) -> list[Triple]:
        """The triples of a CONSTRUCT or DESCRIBE query."""

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
        """Evaluate a client's query; the answer serialised in the format for its kind and
        held to the caps. ``timeout_s`` bounds the wait for a store that evaluates
        elsewhere; an embedded store evaluates in the caller's process, which the query
        runner kills at its limit instead.

        :raises NotAcceptableError: the answer's kind has no acceptable format.
        :raises QuerySyntaxError: the query does not parse.
        """

    def quads(
        self,
        subject: Subject | None = None,
        predicate: NamedNode | None = None,
        obj: Term | None = None,
        graph: GraphName | None = None,
    ) -> Iterator[Quad]:
        """Quads matching a pattern; ``None`` matches anything, in every graph."""

    def named_graphs(self) -> list[NamedNode | BlankNode]:
        """Every named graph, empty ones included."""

    def graph_exists(self, graph: GraphName) -> bool:
        """True for the default graph and for every named graph the store holds."""

    def count(self, graph: GraphName | None = None) -> int:
        """Quads in one graph, or in the whole store."""

    def exclusive(self) -> AbstractContextManager[None]:
        """Held by the writer around computing and committing a change: on a store that
        several Parley processes share, the others wait (embedded: nothing to do)."""

    def reads(self, *, nodes: bool = True) -> AbstractContextManager[None]:
        """A block of many small lookups of one state (a write's or a validation's): a
        remote store answers them from a per-node cache (embedded: nothing to do), and
        lists its graphs once. ``nodes=False``: the graph list alone (a page's queries)."""

    def changes_since(self, version: int) -> tuple[int, list[NamedNode] | None]:
        """The store's version, and the IRIs that writes of *other processes* touched
        since ``version`` (``None``: too much to say, re-read everything). A process hears
        of its own writes from its writer's listeners."""

    def commit(self, changes: ChangeSet) -> None:
        """Apply the change atomically.

        :raises WriteConflictError: another process sharing the store committed since this
            one took ``exclusive()``; nothing was written.
        """

    def replace_all(
        self, quads: Iterable[Quad], *, progress: Callable[[int], None] | None = None
    ) -> None:
        """Empty the store and load ``quads`` (used by ``parley build``); ``progress`` is
        called with the number of quads loaded so far."""

    def serialize_graph(self, graph: GraphName, fmt: Format) -> bytes:
        """One graph's triples (or the whole dataset for a quad format and ``DefaultGraph``)."""

    def version(self) -> int:
        """A number that changes with every commit, read afresh (caches and snapshots key on
        it)."""

    def fork(self) -> GraphStore:
        """A private read-write copy, discarded by ``close`` (SPARQL Update evaluates the
        later operations of a request on it, after the earlier ones' effect)."""

    def close(self) -> None:
        """Release the store."""


def term_to_sparql(term: Term | GraphName) -> str:
    """A term in SPARQL/N-Triples syntax (blank nodes as ``_:id``).

    >>> term_to_sparql(NamedNode("http://a/b"))
    '<http://a/b>'
    >>> from service.rdf._terms import Literal
    >>> term_to_sparql(Literal('say "hi"', language="en"))
    '"say \\\\"hi\\\\""@en'
    """
    if isinstance(term, DefaultGraph):
        raise ValueError("the default graph has no term syntax")
    return str(term)


def has_blank_node(quad: Quad) -> bool:
    """True if the quad mentions a blank node anywhere."""
    return any(isinstance(t, BlankNode) for t in (quad.subject, quad.object, quad.graph_name))


def quad_block(quads: Iterable[Quad], variables: dict[str, str] | None = None) -> str:
    """Quads as an update's data block, grouped by graph.

    With ``variables``, blank nodes become variables (named in it); without, they
    stay blank nodes (fresh nodes in an INSERT template or INSERT DATA).

    >>> g = NamedNode("http://g")
    >>> quad_block([Quad(BlankNode("x"), NamedNode("http://p"), NamedNode("http://o"), g)], {})
    'GRAPH <http://g> { ?b0 <http://p> <http://o> . }'
    """

    def term(t: object) -> str:
        if isinstance(t, BlankNode) and variables is not None:
            if t.value not in variables:
                variables[t.value] = f"?b{len(variables)}"
            return variables[t.value]
        return str(t)

    by_graph: dict[GraphName, list[str]] = {}
    for q in quads:
        line = f"{term(q.subject)} {term(q.predicate)} {term(q.object)} ."
        by_graph.setdefault(q.graph_name, []).append(line)
    parts = []
    for graph, lines in by_graph.items():
        body = " ".join(lines)
        parts.append(
            body if isinstance(graph, DefaultGraph) else f"GRAPH {term(graph)} {{ {body} }}"
        )
    return " ".join(parts)
