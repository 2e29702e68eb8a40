"""The description of one IRI: the data every representation of its page shares.

One ``Description`` is rendered as HTML, Turtle, JSON-LD, N-Triples and
RDF/XML (datasette's one-data-many-renderers pattern). It holds:

- the IRI's outgoing and incoming statements, each with the named graph it
  comes from (statements of ``graph/inferred`` are the inferred ones);
- its *dependent nodes*, inlined: nodes that belong to it and have no page of
  their own (fragment IRIs ``{iri}#...``, skolem IRIs under
  ``/.well-known/genid/`` and blank nodes reached from it), with their own
  outgoing statements, recursively;
- the ``rdfs:label`` of everything it links to.

Only the statements of the store's default graph and Parley's graphs count, as
for a SPARQL query that names no dataset, and those of ``graph/history`` too
(which that query does not see): a withdrawn claim and an earlier version of a
claim still dereference. An IRI with no statement at all is not described (404).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice

from service.pages._labels import Labels, integer
from service.rdf import (
    RDF,
    RDFS,
    BlankNode,
    DefaultGraph,
    GraphName,
    NamedNode,
    Quad,
    Subject,
    Term,
    Triple,
    Vocab,
)
from service.store import GraphStore

#: Incoming statements kept per property; the page and the RDF say when more exist.
INCOMING_LIMIT = 2000
#: Incoming statements kept per property for a page, which previews each property's values
#: (sorted by label up to ``_statement_tables.LABEL_SORT_LIMIT``, 200; one more says there
#: are more) and pages through one property alone with the whole ``INCOMING_LIMIT``.
PREVIEW_INCOMING_LIMIT = 201
#: Incoming statements read in one scan before the store is asked to count them instead.
_SCAN_FIRST = 200


@dataclass(frozen=True)
class Statement:
    """One stored statement and the graph it comes from."""

    subject: Subject
    predicate: NamedNode
    object: Term
    graph: GraphName

    @property
    def triple(self) -> Triple:
        return Triple(self.subject, self.predicate, self.object)


@dataclass
class Description:
    """Everything Parley says about one IRI (see the module docstring)."""

    iri: NamedNode
    outgoing: list[Statement] = field(default_factory=list)
    incoming: list[Statement] = field(default_factory=list)
    #: How many incoming statements each property has, when more than were kept.
    incoming_cut: dict[NamedNode, int] = field(default_factory=dict)
    #: Dependent nodes in the order they were reached, with their outgoing statements.
    dependents: dict[Subject, list[Statement]] = field(default_factory=dict)
    #: ``rdfs:label`` triples of the IRIs it links to, fetched when ``triples()`` is first
    #: asked for: only the RDF representations carry them (the HTML page fetches the
    #: labels of what it shows, a few of an actor's thousands of claims).
    label_triples: list[Triple] = field(default_factory=list)
    _labels_from: GraphStore | None = field(default=None, repr=False, compare=False)

    @property
    def exists(self) -> bool:
        return bool(self.outgoing or self.incoming)

    def all_statements(self) -> list[Statement]:
        found = [*self.outgoing, *self.incoming]
        for statements in self.dependents.values():
            found.extend(statements)
        return found

    def linked_terms(self) -> list[Term]:
        """Every term the description links to (objects, incoming subjects, predicates)."""
        terms: list[Term] = []
        for s in self.all_statements():
            terms.extend((s.subject, s.predicate, s.object))
        return terms

    def triples(self) -> list[Triple]:
        """The description as RDF: each triple once, whatever graphs hold it."""
        if self._labels_from is not None:
            store, self._labels_from = self._labels_from, None
            _add_labels(store, self)
        seen: dict[Triple, None] = {}
        for s in self.all_statements():
            seen.setdefault(s.triple, None)
        for t in self.label_triples:
            seen.setdefault(t, None)
        return list(seen)

    def types(self) -> list[NamedNode]:
        found: list[NamedNode] = []
        for s in self.outgoing:
            if (
                s.predicate == RDF.type
                and isinstance(s.object, NamedNode)
                and s.object not in found
            ):
                found.append(s.object)
        return found

    def values(self, predicate: NamedNode) -> list[Term]:
        """Objects of the IRI's own statements with ``predicate`` (no duplicates)."""
        found: list[Term] = []
        for s in self.outgoing:
            if s.predicate == predicate and s.object not in found:
                found.append(s.object)
        return found


def in_default_graph(graph: GraphName, vocab: Vocab) -> bool:
    """True for the graphs a description reads: the default graph and Parley's (with
    ``graph/history``, which a query without a dataset does not see)."""
    return isinstance(graph, DefaultGraph) or vocab.is_parley_graph(graph)


def is_dependent(node: Term, owner: NamedNode, vocab: Vocab) -> bool:
    """True when ``node`` belongs to ``owner`` and is shown inside its page.

    >>> v = Vocab("http://h/")
    >>> is_dependent(NamedNode("http://h/id/C1#evidence-1"), NamedNode("http://h/id/C1"), v)
    True
    >>> is_dependent(NamedNode("http://h/id/Putin"), NamedNode("http://h/id/C1"), v)
    False
    """
    if isinstance(node, BlankNode):
        return True
    if not isinstance(node, NamedNode):
        return False
    return node.value.startswith(owner.value + "#") or vocab.genid.contains(node)


def _statements(quads: Iterable[Quad], vocab: Vocab) -> Iterator[Statement]:
    seen: dict[GraphName, bool] = {}  # a store has few graphs: judge each once
    for q in quads:
        subject, obj, graph = q.subject, q.object, q.graph_name
        if isinstance(subject, Triple) or isinstance(obj, Triple):
            continue  # RDF 1.2 triple terms: Parley's graphs hold none
        shown = seen.get(graph)
        if shown is None:
            shown = seen[graph] = in_default_graph(graph, vocab)
        if shown and isinstance(q.predicate, NamedNode):
            yield Statement(subject, q.predicate, obj, graph)


def describe(
    store: GraphStore, iri: NamedNode, *, incoming_limit: int = INCOMING_LIMIT
) -> Description:
    """The description of ``iri`` (empty when no statement mentions it)."""
    vocab = store.vocab
    desc = Description(iri)
    desc.outgoing = list(_statements(store.quads(iri, None, None, None), vocab))
    desc.incoming, desc.incoming_cut = _incoming(store, iri, incoming_limit)
    _add_dependents(store, desc)
    desc._labels_from = store
    return desc


def _incoming(
    store: GraphStore, iri: NamedNode, limit: int
) -> tuple[list[Statement], dict[NamedNode, int]]:
    """At most ``limit`` incoming statements per property, and the properties that have
    more, with their totals. Most IRIs have a few: one scan reads them. An IRI that
    more statements point at (an actor with 10,000 claims) is counted by the store, per
    property, and only the kept statements are read."""
    found: list[Statement] = []
    for s in _statements(store.quads(None, None, iri, None), store.vocab):
        found.append(s)
        if len(found) > min(limit, _SCAN_FIRST):
            break
    else:
        return found, {}
    rows = store.select(
        f"SELECT ?p (COUNT(*) AS ?n) WHERE {{ ?s ?p {iri} }} GROUP BY ?p ORDER BY ?p"
    )
    kept: list[Statement] = []
    cut: dict[NamedNode, int] = {}
    for row in rows:
        predicate, total = row["p"], integer(row.get("n")) or 0
        if not isinstance(predicate, NamedNode):
            continue
        quads = store.quads(None, predicate, iri, None)
        kept.extend(islice(_statements(quads, store.vocab), limit))
        if total > limit:
            cut[predicate] = total
    return kept, cut


def _add_dependents(store: GraphStore, desc: Description) -> None:
    """Walk from the IRI into the nodes that belong to it, breadth first."""
    pending = [s.object for s in desc.outgoing]
    while pending:
        node = pending.pop(0)
        if node in desc.dependents or node == desc.iri:
            continue
        if not is_dependent(node, desc.iri, store.vocab):
            continue
        assert isinstance(node, NamedNode | BlankNode)
        statements = list(_statements(store.quads(node, None, None, None), store.vocab))
        desc.dependents[node] = statements
        pending.extend(s.object for s in statements)


def _add_labels(store: GraphStore, desc: Description) -> None:
    labels = Labels(store, store.vocab)
    linked = [
        term
        for s in desc.all_statements()
        for term in (s.subject, s.object)
        if isinstance(term, NamedNode) and term != desc.iri
    ]
    labels.fetch(linked)
    for term in dict.fromkeys(linked):
        for lit in labels.rdfs_labels.get(term.value, []):
            desc.label_triples.append(Triple(term, RDFS.label, lit))
