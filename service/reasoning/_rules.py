"""The ontology compiled into the OWL 2 RL rules the incremental reasoner applies.

``compile_rules`` reads the ontology graph's axioms and gives ``Rules``: lookup
tables for exactly the constructs Parley's ontology uses (see the header of
``ontology/parley.ttl``):

- ``rdfs:subClassOf`` / ``owl:equivalentClass`` between named classes (cax-sco),
- ``rdfs:subPropertyOf`` / ``owl:equivalentProperty`` (prp-spo1),
- ``rdfs:domain`` / ``rdfs:range`` with named classes (prp-dom, prp-rng),
- ``owl:inverseOf`` (prp-inv1/2), ``owl:SymmetricProperty`` (prp-symp),
  ``owl:TransitiveProperty`` (prp-trp),
- two-step ``owl:propertyChainAxiom`` (prp-spo2),
- on the subclass side only: ``owl:hasValue`` (cls-hv2), ``owl:someValuesFrom``
  (cls-svf1/2) and ``owl:unionOf`` (cls-uni) class expressions, nested.

Anything else the ontology states with the OWL or RDFS vocabulary raises
``UnsupportedOntologyError`` when the rules are compiled, so a model change the
incremental reasoner cannot follow fails at start-up, never silently.

Generalised triples. owlrl also derives triples whose subject is a literal or an
ontology term (``"x" rdf:type C``, ``parley:Role parley:involvedIn e``); the
inferred graph leaves them out (``service.reasoning._entailment``), and the incremental
reasoner never derives them. Both agree as long as no such triple can lead back
to one that is kept. ``Rules.individual_valued`` is the set of properties through
which that could happen (those with an inverse, symmetric ones, the properties of
``someValuesFrom`` restrictions, and what chains and sub-properties connect to
them): their values must be individuals, never literals or the ontology's own
terms. ``service.gate._model_guard`` enforces that on every write and on the seed
data, which makes the two reasoners agree exactly (``tests/test_incremental.py``
checks it). The ontology's own individuals (roles, verdicts) may carry only
annotations and types.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from service.errors import UnsupportedOntologyError
from service.rdf import OWL, RDF, RDFS, NamedNode, Quad, Term, Triple
from service.reasoning._classes import ClassRule, Expr, Some, Union, class_rules, named

#: A node of a fact: any term (RDF-star triple terms pass through untouched).
Node = Term | Triple
#: A fact: a generalised triple (the subject may be any term while deriving).
Fact = tuple[Node, NamedNode, Node]


@dataclass(frozen=True)
class Chain:
    """``head`` is entailed by ``first`` followed by ``second``."""

    head: NamedNode
    first: NamedNode
    second: NamedNode


@dataclass(frozen=True)
class Rules:
    """The ontology's axioms as lookup tables (every mapping defaults to empty)."""

    super_classes: Mapping[NamedNode, frozenset[NamedNode]]
    sub_classes: Mapping[NamedNode, frozenset[NamedNode]]
    super_props: Mapping[NamedNode, frozenset[NamedNode]]
    sub_props: Mapping[NamedNode, frozenset[NamedNode]]
    domains: Mapping[NamedNode, frozenset[NamedNode]]
    ranges: Mapping[NamedNode, frozenset[NamedNode]]
    domain_props: Mapping[NamedNode, frozenset[NamedNode]]
    range_props: Mapping[NamedNode, frozenset[NamedNode]]
    inverses: Mapping[NamedNode, frozenset[NamedNode]]
    symmetric: frozenset[NamedNode]
    transitive: frozenset[NamedNode]
    chains_by_first: Mapping[NamedNode, tuple[Chain, ...]]
    chains_by_second: Mapping[NamedNode, tuple[Chain, ...]]
    chains_by_head: Mapping[NamedNode, tuple[Chain, ...]]
    class_rules: tuple[ClassRule, ...]
    #: Properties whose values must be individuals (see the module docstring).
    individual_valued: frozenset[NamedNode]
    #: The IRIs the ontology graph describes.
    tbox_terms: frozenset[NamedNode]

    def class_rules_for(self, predicate: NamedNode) -> tuple[ClassRule, ...]:
        return tuple(r for r in self.class_rules if predicate in r.triggers)


_EMPTY: frozenset[NamedNode] = frozenset()

#: Declarations and annotations: read and ignored.
_DECLARATIONS = {
    OWL.Class,
    OWL.ObjectProperty,
    OWL.DatatypeProperty,
    OWL.AnnotationProperty,
    OWL.Ontology,
    OWL.Restriction,
    OWL.NamedIndividual,
    RDFS.Class,
    RDF.Property,
    RDFS.Datatype,
}
_CHARACTERISTICS = {OWL.SymmetricProperty, OWL.TransitiveProperty}
_ANNOTATIONS = {
    OWL.versionInfo,
    OWL.imports,
    OWL.priorVersion,
    OWL.deprecated,
    RDFS.label,
    RDFS.comment,
    RDFS.seeAlso,
    RDFS.isDefinedBy,
}
_HANDLED = {
    RDFS.subClassOf,
    RDFS.subPropertyOf,
    RDFS.domain,
    RDFS.range,
    OWL.equivalentClass,
    OWL.equivalentProperty,
    OWL.inverseOf,
    OWL.propertyChainAxiom,
    OWL.onProperty,
    OWL.hasValue,
    OWL.someValuesFrom,
    OWL.unionOf,
    RDF.first,
    RDF.rest,
    RDF.type,
}


class _Graph:
    """The ontology's triples, indexed by subject and predicate."""

    def __init__(self, quads: Iterable[Quad]) -> None:
        self.by_sp: dict[tuple[Term, NamedNode], list[Term]] = defaultdict(list)
        self.triples: list[tuple[Term, NamedNode, Term]] = []
        for q in quads:
            s, o = q.subject, q.object
            if isinstance(s, Triple) or isinstance(o, Triple):
                raise UnsupportedOntologyError("the ontology holds RDF 1.2 triple terms")
            self.by_sp[(s, q.predicate)].append(o)
            self.triples.append((s, q.predicate, o))

    def value(self, s: Term, p: NamedNode) -> Term | None:
        found = self.by_sp.get((s, p))
        return found[0] if found else None

    def items(self, head: Term) -> list[Term]:
        """The members of an RDF list."""
        out: list[Term] = []
        node: Term | None = head
        while node is not None and node != RDF.nil:
            first = self.value(node, RDF.first)
            if first is None:
                raise UnsupportedOntologyError(f"malformed RDF list at {node}")
            out.append(first)
            node = self.value(node, RDF.rest)
        return out


def _closure(edges: Mapping[NamedNode, set[NamedNode]]) -> dict[NamedNode, frozenset[NamedNode]]:
    """Strict transitive closure of a relation (a node is never its own ancestor)."""
    out: dict[NamedNode, frozenset[NamedNode]] = {}
    for start in edges:
        seen: set[NamedNode] = set()
        stack = list(edges[start])
        while stack:
            node = stack.pop()
            if node in seen:
                continue
            seen.add(node)
            stack.extend(edges.get(node, ()))
        seen.discard(start)
        out[start] = frozenset(seen)
    return out


Table = dict[NamedNode, frozenset[NamedNode]]


def _invert(mapping: Mapping[NamedNode, Iterable[NamedNode]]) -> Table:
    out: dict[NamedNode, set[NamedNode]] = defaultdict(set)
    for key, values in mapping.items():
        for value in values:
            out[value].add(key)
    return {k: frozenset(v) for k, v in out.items()}


def _freeze(mapping: Mapping[NamedNode, Iterable[NamedNode]]) -> Table:
    return {k: frozenset(v) for k, v in mapping.items()}


def compile_rules(ontology: Iterable[Quad]) -> Rules:
    """Compile the ontology graph's axioms.

    :raises UnsupportedOntologyError: a construct outside the supported fragment.
    """
    g = _Graph(ontology)
    sub_class: dict[NamedNode, set[NamedNode]] = defaultdict(set)
    sub_prop: dict[NamedNode, set[NamedNode]] = defaultdict(set)
    domains: dict[NamedNode, set[NamedNode]] = defaultdict(set)
    ranges: dict[NamedNode, set[NamedNode]] = defaultdict(set)
    inverses: dict[NamedNode, set[NamedNode]] = defaultdict(set)
    symmetric: set[NamedNode] = set()
    transitive: set[NamedNode] = set()
    chains: list[Chain] = []
    expr_supers: dict[Term, set[NamedNode]] = defaultdict(set)
    union_members: list[tuple[Term, Term]] = []

    for s, p, o in g.triples:
        if p == RDF.type:
            if o in _CHARACTERISTICS:
                (symmetric if o == OWL.SymmetricProperty else transitive).add(
                    named(s, "a property characteristic's subject")
                )
            elif (isinstance(o, NamedNode) and o.value.startswith(str(OWL))) and (
                o not in _DECLARATIONS
            ):
                raise UnsupportedOntologyError(f"{s} is declared an {o}, which is not supported")
        elif p == RDFS.subClassOf:
            sup = named(o, f"the superclass of {s}")
            if isinstance(s, NamedNode):
                sub_class[s].add(sup)
            else:
                expr_supers[s].add(sup)
        elif p == OWL.equivalentClass:
            a, b = named(s, "an equivalent class"), named(o, "an equivalent class")
            sub_class[a].add(b)
            sub_class[b].add(a)
        elif p == RDFS.subPropertyOf:
            sub_prop[named(s, "a sub-property")].add(named(o, "a super-property"))
        elif p == OWL.equivalentProperty:
            a, b = named(s, "an equivalent property"), named(o, "an equivalent property")
            sub_prop[a].add(b)
            sub_prop[b].add(a)
        elif p in (RDFS.domain, RDFS.range):
            target = domains if p == RDFS.domain else ranges
            target[named(s, "a property")].add(named(o, f"the {p.value} of {s}"))
        elif p == OWL.inverseOf:
            a, b = named(s, "an inverse property"), named(o, "an inverse property")
            inverses[a].add(b)
            inverses[b].add(a)
        elif p == OWL.propertyChainAxiom:
            steps = g.items(o)
            if len(steps) != 2:
                raise UnsupportedOntologyError(
                    f"the property chain of {s} has {len(steps)} steps; only two-step chains "
                    "are supported"
                )
            chains.append(
                Chain(named(s, "a chain"), named(steps[0], "a step"), named(steps[1], "a step"))
            )
        elif p == OWL.unionOf:
            union_members.extend((s, m) for m in g.items(o))
        elif p.value.startswith((str(OWL), str(RDFS))) and p not in _HANDLED | _ANNOTATIONS:
            raise UnsupportedOntologyError(f"{p} (on {s}) is not supported by the reasoner")

    # A union member is a subclass of the union.
    for _union, member in union_members:
        if isinstance(member, NamedNode):
            raise UnsupportedOntologyError(
                f"unionOf with the named class {member}: state rdfs:subClassOf instead"
            )
        expr_supers.setdefault(member, set())
    super_classes = _closure(sub_class)
    compiled = class_rules(g, expr_supers, union_members, super_classes)
    super_props = _closure(sub_prop)
    rules = Rules(
        super_classes=super_classes,
        sub_classes=_invert(super_classes),
        super_props=super_props,
        sub_props=_invert(super_props),
        domains=_freeze(domains),
        ranges=_freeze(ranges),
        domain_props=_invert(domains),
        range_props=_invert(ranges),
        inverses=_freeze(inverses),
        symmetric=frozenset(symmetric),
        transitive=frozenset(transitive),
        chains_by_first=_group(chains, lambda c: c.first),
        chains_by_second=_group(chains, lambda c: c.second),
        chains_by_head=_group(chains, lambda c: c.head),
        class_rules=compiled,
        individual_valued=frozenset(),
        tbox_terms=frozenset(s for s, _p, _o in g.triples if isinstance(s, NamedNode)),
    )
    individual = _individual_valued(rules)
    _check_ontology_facts(g, rules)
    return dataclasses.replace(rules, individual_valued=individual)


def _group(chains: list[Chain], key: object) -> dict[NamedNode, tuple[Chain, ...]]:
    out: dict[NamedNode, list[Chain]] = defaultdict(list)
    for chain in chains:
        out[key(chain)].append(chain)  # type: ignore[operator]
    return {k: tuple(v) for k, v in out.items()}


def _individual_valued(rules: Rules) -> frozenset[NamedNode]:
    """Properties whose values must be individuals for the two reasoners to agree."""
    found: set[NamedNode] = set(rules.inverses) | set(rules.symmetric)

    def walk(expr: Expr) -> None:
        if isinstance(expr, Some):
            found.add(expr.prop)
            walk(expr.filler)
        elif isinstance(expr, Union):
            for m in expr.members:
                walk(m)

    for rule in rules.class_rules:
        walk(rule.expr)
    changed = True
    while changed:
        before = len(found)
        for prop in list(found):
            found |= rules.sub_props.get(prop, _EMPTY)
            for chain in rules.chains_by_head.get(prop, ()):
                found.add(chain.second)
        changed = len(found) != before
    return frozenset(found)


def _check_ontology_facts(g: _Graph, rules: Rules) -> None:
    """The ontology's individuals (roles, verdicts, ...) may carry annotations and types only."""
    reasoned = (
        set(rules.super_props)
        | set(rules.sub_props)
        | set(rules.domains)
        | set(rules.ranges)
        | set(rules.inverses)
        | rules.symmetric
        | rules.transitive
        | set(rules.chains_by_first)
        | set(rules.chains_by_second)
        | rules.individual_valued
    )
    for rule in rules.class_rules:
        reasoned |= rule.triggers
    reasoned.discard(RDF.type)
    for s, p, o in g.triples:
        if p in reasoned:
            raise UnsupportedOntologyError(
                f"the ontology states {s} {p} {o}: facts with a reasoned property belong in "
                "the data graphs"
            )
