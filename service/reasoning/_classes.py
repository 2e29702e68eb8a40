"""Class expressions on the subclass side of the ontology's axioms, compiled.

OWL 2 RL lets ``hasValue``, ``someValuesFrom`` and ``unionOf`` class
expressions stand as subclasses (cls-hv2, cls-svf1/2, cls-uni): a node that
satisfies the expression is an instance of the named superclass. The
incremental reasoner (``service.reasoning._incremental``) evaluates membership of these
anonymous classes on demand rather than storing ``rdf:type`` facts about blank
nodes; ``ClassRule`` says which named classes a member belongs to and which
predicates can make a node a member.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from service.errors import UnsupportedOntologyError
from service.rdf import OWL, RDF, NamedNode, Term


@dataclass(frozen=True)
class Named:
    """A named class: membership is a stored ``rdf:type`` fact."""

    cls: NamedNode


@dataclass(frozen=True)
class Thing:
    """``owl:Thing``: every individual."""


@dataclass(frozen=True)
class HasValue:
    """``[ owl:onProperty p ; owl:hasValue v ]``."""

    prop: NamedNode
    value: Term


@dataclass(frozen=True)
class Some:
    """``[ owl:onProperty p ; owl:someValuesFrom F ]``."""

    prop: NamedNode
    filler: Expr


@dataclass(frozen=True)
class Union:
    """``[ owl:unionOf ( ... ) ]``."""

    members: tuple[Expr, ...]


Expr = Named | Thing | HasValue | Some | Union


@dataclass(frozen=True)
class ClassRule:
    """Members of ``expr`` are instances of every class in ``supers``."""

    expr: Expr
    supers: frozenset[NamedNode]
    #: Predicates of the facts that can make a node a member.
    triggers: frozenset[NamedNode]


class OntologyGraph(Protocol):
    """The lookups compiling an expression needs."""

    def value(self, s: Term, p: NamedNode) -> Term | None: ...

    def items(self, head: Term) -> list[Term]: ...


def named(term: Term, what: str) -> NamedNode:
    if not isinstance(term, NamedNode):
        raise UnsupportedOntologyError(f"{what} must be a named class or property, not {term}")
    return term


def expression(
    g: OntologyGraph, node: Term, unions: Mapping[Term, list[Term]], depth: int = 0
) -> Expr:
    if depth > 10:
        raise UnsupportedOntologyError(f"class expression {node} nests too deeply")
    if node == OWL.Thing:
        return Thing()
    if isinstance(node, NamedNode):
        return Named(node)
    if node in unions:
        return Union(tuple(expression(g, m, unions, depth + 1) for m in unions[node]))
    prop = g.value(node, OWL.onProperty)
    if prop is None:
        raise UnsupportedOntologyError(f"the class expression {node} is not supported")
    prop = named(prop, "a restriction's property")
    value = g.value(node, OWL.hasValue)
    if value is not None:
        return HasValue(prop, value)
    filler = g.value(node, OWL.someValuesFrom)
    if filler is not None:
        return Some(prop, expression(g, filler, unions, depth + 1))
    raise UnsupportedOntologyError(
        f"the restriction {node} on {prop} is neither hasValue nor someValuesFrom"
    )


def triggers(expr: Expr) -> frozenset[NamedNode]:
    if isinstance(expr, Named):
        return frozenset({RDF.type})
    if isinstance(expr, HasValue):
        return frozenset({expr.prop})
    if isinstance(expr, Some):
        return frozenset({expr.prop}) | triggers(expr.filler)
    if isinstance(expr, Union):
        return frozenset().union(*(triggers(m) for m in expr.members))
    return frozenset()


def class_rules(
    g: OntologyGraph,
    expr_supers: Mapping[Term, set[NamedNode]],
    union_members: list[tuple[Term, Term]],
    super_classes: Mapping[NamedNode, frozenset[NamedNode]],
) -> tuple[ClassRule, ...]:
    unions: dict[Term, list[Term]] = defaultdict(list)
    for union, member in union_members:
        unions[union].append(member)
    rules = []
    for node in set(expr_supers) | set(unions):
        direct = set(expr_supers.get(node, ()))
        if not direct:
            continue
        supers = set(direct)
        for cls in direct:
            supers |= super_classes.get(cls, frozenset())
        expr = expression(g, node, unions)
        rules.append(ClassRule(expr, frozenset(supers), triggers(expr)))
    return tuple(sorted(rules, key=repr))
