"""The ontology and the shapes as documentation pages.

Every class and property of the ontology with its label, definition, super-
and sub-terms, domain, range and the shapes that apply to it; every concept
(modalities, roles, verdicts...) with its scheme; every node shape with its
targets and constraints. Each entry has the HTML id of its IRI's fragment, so
``{base}ontology#Claim`` and ``{base}shapes#ClaimShape`` dereference to it.

Both graphs are small (a few thousand triples) and full of blank nodes
(restrictions, property shapes, RDF lists), so they are read once into memory
and walked in Python.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from service.pages._labels import Labels, TermView, lexical
from service.rdf import OWL, RDF, RDFS, SH, SKOS, BlankNode, NamedNode, Term, Triple
from service.store import GraphStore


class _Graph:
    """Triples indexed by subject and by object."""

    def __init__(self, store: GraphStore, graph: NamedNode) -> None:
        self.out: dict[Term, list[tuple[NamedNode, Term]]] = {}
        self.into: dict[Term, list[tuple[NamedNode, Term]]] = {}
        for q in store.quads(None, None, None, graph):
            s, o = q.subject, q.object
            if isinstance(s, Triple) or isinstance(o, Triple):
                continue
            self.out.setdefault(s, []).append((q.predicate, o))
            self.into.setdefault(o, []).append((q.predicate, s))

    def objects(self, s: Term, p: NamedNode) -> list[Term]:
        return [o for pp, o in self.out.get(s, []) if pp == p]

    def subjects(self, p: NamedNode, o: Term) -> list[Term]:
        return [s for pp, s in self.into.get(o, []) if pp == p]

    def first(self, s: Term, p: NamedNode) -> Term | None:
        found = self.objects(s, p)
        return found[0] if found else None

    def items(self, head: Term | None) -> list[Term]:
        """The members of an RDF list."""
        out: list[Term] = []
        while head is not None and head != RDF.nil and len(out) < 1000:
            first = self.first(head, RDF.first)
            if first is not None:
                out.append(first)
            head = self.first(head, RDF.rest)
        return out


@dataclass
class TermDoc:
    anchor: str
    term: TermView
    definition: str
    kind: str
    supers: list[TermView] = field(default_factory=list)
    subs: list[TermView] = field(default_factory=list)
    facts: list[tuple[str, list[TermView]]] = field(default_factory=list)
    shapes: list[TermView] = field(default_factory=list)


@dataclass
class OntologyDoc:
    title: str
    definition: str
    classes: list[TermDoc]
    properties: list[TermDoc]
    concepts: list[TermDoc]


def _anchor(term: NamedNode) -> str:
    return term.value.rsplit("#", 1)[-1]


def _named(terms: list[Term]) -> list[NamedNode]:
    return sorted((t for t in terms if isinstance(t, NamedNode)), key=lambda t: t.value)


def ontology_doc(store: GraphStore, labels: Labels) -> OntologyDoc:
    vocab = store.vocab
    onto = _Graph(store, vocab.ontology_graph)
    shapes = _Graph(store, vocab.shapes_graph)
    ns = str(vocab.parley)
    own = [s for s in onto.out if isinstance(s, NamedNode) and s.value.startswith(ns)]
    labels.fetch([t for s in onto.out for _, t in onto.out[s]] + list(onto.out))
    labels.fetch(t for s in shapes.out for t in (s, *(o for _, o in shapes.out[s])))
    classes, properties, concepts = [], [], []
    for term in sorted(own, key=lambda t: t.value):
        types = set(onto.objects(term, RDF.type))
        doc = TermDoc(
            _anchor(term),
            labels.view(term),
            lexical(onto.first(term, SKOS.definition)) or "",
            "class",
        )
        if OWL.Class in types:
            _class_facts(doc, term, onto, shapes, labels)
            classes.append(doc)
        elif types & {OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty}:
            _property_facts(doc, term, onto, shapes, labels, types)
            properties.append(doc)
        elif term.value != ns and types:
            doc.kind = "concept"
            doc.facts.append(("type", [labels.view(t) for t in _named(list(types))]))
            doc.facts.append(
                ("in scheme", [labels.view(t) for t in _named(onto.objects(term, SKOS.inScheme))])
            )
            concepts.append(doc)
    head = vocab.ontology_iri
    return OntologyDoc(
        title=labels.label(head),
        definition=lexical(onto.first(head, SKOS.definition)) or "",
        classes=classes,
        properties=properties,
        concepts=concepts,
    )


def _class_facts(
    doc: TermDoc, term: NamedNode, onto: _Graph, shapes: _Graph, labels: Labels
) -> None:
    supers = _named(onto.objects(term, RDFS.subClassOf))
    doc.supers = [labels.view(t) for t in supers]
    doc.subs = [labels.view(t) for t in _named(onto.subjects(RDFS.subClassOf, term))]
    applying: list[NamedNode] = []
    for cls in _ancestors(term, onto):
        applying += _named(shapes.subjects(SH.targetClass, cls))
    doc.shapes = [labels.view(s) for s in dict.fromkeys(applying)]


def _ancestors(term: NamedNode, onto: _Graph) -> list[NamedNode]:
    found, pending = [term], [term]
    while pending:
        for parent in _named(onto.objects(pending.pop(), RDFS.subClassOf)):
            if parent not in found:
                found.append(parent)
                pending.append(parent)
    return found


def _property_facts(
    doc: TermDoc,
    term: NamedNode,
    onto: _Graph,
    shapes: _Graph,
    labels: Labels,
    types: set[Term],
) -> None:
    doc.kind = "property"
    doc.supers = [labels.view(t) for t in _named(onto.objects(term, RDFS.subPropertyOf))]
    doc.subs = [labels.view(t) for t in _named(onto.subjects(RDFS.subPropertyOf, term))]
    for caption, predicate in (
        ("domain", RDFS.domain),
        ("range", RDFS.range),
        ("inverse of", OWL.inverseOf),
    ):
        values = _named(onto.objects(term, predicate))
        if values:
            doc.facts.append((caption, [labels.view(v) for v in values]))
    if OWL.TransitiveProperty in types:
        doc.facts.append(("characteristic", [labels.view(OWL.TransitiveProperty)]))
    for chain in onto.objects(term, OWL.propertyChainAxiom):
        doc.facts.append(("holds along the chain", [labels.view(t) for t in onto.items(chain)]))
    owners: list[NamedNode] = []
    for prop_shape in shapes.subjects(SH.path, term):
        owners += _named(shapes.subjects(SH.property, prop_shape))
    for target in (SH.targetSubjectsOf, SH.targetObjectsOf):
        owners += _named(shapes.subjects(target, term))
    doc.shapes = [labels.view(s) for s in dict.fromkeys(owners)]


# -- shapes ------------------------------------------------------------------

_PARAMS = (
    ("min count", SH.minCount),
    ("max count", SH.maxCount),
    ("class", SH["class"]),
    ("datatype", SH.datatype),
    ("node kind", SH.nodeKind),
    ("node shape", SH.node),
    ("pattern", SH.pattern),
    ("min length", SH.minLength),
    ("less than or equal to", SH.lessThanOrEquals),
    ("qualified min count", SH.qualifiedMinCount),
    ("qualified max count", SH.qualifiedMaxCount),
    ("languages", SH.languageIn),
    ("unique language", SH.uniqueLang),
)


@dataclass
class Constraint:
    path: str
    params: list[tuple[str, list[TermView]]]
    message: str


@dataclass
class ShapeDoc:
    anchor: str
    shape: TermView
    targets: list[tuple[str, list[TermView]]]
    constraints: list[Constraint]
    queries: list[tuple[str, str]]


def shapes_doc(store: GraphStore, labels: Labels) -> list[ShapeDoc]:
    g = _Graph(store, store.vocab.shapes_graph)
    labels.fetch(t for s in g.out for t in (s, *(o for _, o in g.out[s])))
    node_shapes = list(_named(g.subjects(RDF.type, SH.NodeShape)))
    docs = []
    for shape in node_shapes:
        targets = []
        for caption, p in (
            ("class", SH.targetClass),
            ("subjects of", SH.targetSubjectsOf),
            ("objects of", SH.targetObjectsOf),
        ):
            found = g.objects(shape, p)
            if found:
                targets.append((caption, [labels.view(t) for t in found]))
        constraints = [_constraint(g, ps, labels) for ps in g.objects(shape, SH.property)]
        if any(g.objects(shape, p) for _, p in _PARAMS):
            constraints.insert(0, _constraint(g, shape, labels, path="the node itself"))
        queries = [
            (lexical(g.first(q, SH.message)) or "", lexical(g.first(q, SH.select)) or "")
            for q in g.objects(shape, SH.sparql)
        ]
        docs.append(ShapeDoc(_anchor(shape), labels.view(shape), targets, constraints, queries))
    return docs


def _constraint(g: _Graph, node: Term, labels: Labels, path: str | None = None) -> Constraint:
    params: list[tuple[str, list[TermView]]] = []
    for caption, p in _PARAMS:
        for value in g.objects(node, p):
            members = (
                g.items(value) if isinstance(value, BlankNode) and p == SH.languageIn else [value]
            )
            params.append(
                (caption, [labels.view(m) for m in members if not isinstance(m, BlankNode)])
            )
    for value in g.objects(node, SH["in"]):
        params.append(("one of", [labels.view(m) for m in g.items(value)]))
    return Constraint(
        path or _path_text(g, g.first(node, SH.path), labels),
        params,
        lexical(g.first(node, SH.message)) or "",
    )


def _path_text(g: _Graph, path: Term | None, labels: Labels) -> str:
    """A SHACL path written as a SPARQL property path with labels."""
    if path is None:
        return ""
    if isinstance(path, NamedNode):
        return labels.compact(path)
    alternatives = g.first(path, SH.alternativePath)
    if alternatives is not None:
        return " | ".join(_path_text(g, p, labels) for p in g.items(alternatives))
    inverse = g.first(path, SH.inversePath)
    if inverse is not None:
        return "^" + _path_text(g, inverse, labels)
    if g.first(path, RDF.first) is not None:
        return " / ".join(_path_text(g, p, labels) for p in g.items(path))
    return "(a complex path)"
