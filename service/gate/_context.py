"""What a change can make invalid, and the part of the store that decides it.

Validation must cost in proportion to the change, not to the store. The shapes
say what they read: each shape with a target is compiled into a ``ShapePlan``,
the walk from a focus node along every path the shape (and the shapes it
nests: ``sh:node``, ``sh:property``, ``sh:qualifiedValueShape``, ``sh:or`` ...)
follows, the SPARQL-based constraints' triple patterns included, plus the
variables whose values' types ``sh:class`` checks. From that:

- ``ContextPlanner.foci``: the nodes whose validity a change can affect. A
  focus node's validity is a function of the triples its validation reads, so
  for every changed triple the plan is walked *backwards* from where that
  triple would be read to the focus node (added triples in the state after the
  change, removed ones in the state before), and target changes count too.
- ``ContextPlanner.extract``: the triples the validation of those nodes reads,
  collected by walking the plans forwards in the state after the change, with
  the types of every node reached. pyshacl then validates that small graph with
  ``focus_nodes`` set, and reaches the verdict it would reach on the store.

A construct the gate cannot follow (a SPARQL pattern not connected to
``$this``, ``sh:closed``, a recursive shape) raises ``UnsupportedShapeError``
when the shapes are compiled, at start-up. A variable means one node set per
SPARQL constraint, across its FILTER (NOT) EXISTS and UNION scopes: two scopes
that mean different nodes must name their variables apart (as
``shapes/positions.shapes.ttl`` does), or the walk from ``$this`` may miss one.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import rdflib
from rdflib.collection import Collection
from rdflib.namespace import SH as RSH
from rdflib.plugins.sparql import prepareQuery
from rdflib.plugins.sparql.parserutils import CompValue

from service.errors import UnsupportedShapeError
from service.gate._shape_paths import (
    EMPTY,
    Path,
    Pred,
    evaluate,
    from_shacl,
    from_sparql,
    inverse,
    predicates,
    prefixes,
)
from service.rdf import RDF, NamedNode
from service.reasoning import Fact, Facts, Node

_TARGETS = (RSH.targetClass, RSH.targetNode, RSH.targetSubjectsOf, RSH.targetObjectsOf)
_LOGICAL = (RSH["or"], RSH["and"], RSH.xone)
_COMPARISONS = (RSH.equals, RSH.disjoint, RSH.lessThan, RSH.lessThanOrEquals)


@dataclass(frozen=True)
class Step:
    """Variable ``dst`` holds the nodes ``path`` reaches from those of ``src``."""

    src: int
    path: Path
    dst: int


@dataclass(frozen=True)
class Targets:
    classes: frozenset[NamedNode] = frozenset()
    nodes: frozenset[NamedNode] = frozenset()
    subjects_of: frozenset[NamedNode] = frozenset()
    objects_of: frozenset[NamedNode] = frozenset()


@dataclass(frozen=True)
class Read:
    """A place a plan reads triples of one predicate (see ``shapepaths.prefixes``)."""

    plan: ShapePlan
    var: int
    prefix: Path
    inverse: bool
    #: For ``rdf:type`` reads by ``sh:class``: the classes that matter.
    classes: frozenset[NamedNode] | None = None


@dataclass(eq=False)
class ShapePlan:
    """The walk a shape's validation takes from its focus node (variable 0)."""

    shape: str
    targets: Targets
    steps: list[Step] = field(default_factory=list)
    class_vars: dict[int, set[NamedNode]] = field(default_factory=lambda: defaultdict(set))

    def new_var(self) -> int:
        return len(self.steps) + 1

    def binding(self, var: int) -> Step:
        return self.steps[var - 1]


class _Compiler:
    """Compiles one shape with targets into a plan."""

    def __init__(self, graph: rdflib.Graph, plan: ShapePlan) -> None:
        self.g = graph
        self.plan = plan
        self.stack: list[rdflib.term.Node] = []

    def bind(self, src: int, path: Path) -> int:
        var = self.plan.new_var()
        self.plan.steps.append(Step(src, path, var))
        return var

    def shape(self, node: rdflib.term.Node, var: int) -> None:
        if node in self.stack:
            raise UnsupportedShapeError(f"the shape {node} refers to itself")
        self.stack.append(node)
        if self.g.value(node, RSH.closed) == rdflib.Literal(True):
            raise UnsupportedShapeError(f"sh:closed ({node}) is not supported by the gate")
        path = self.g.value(node, RSH.path)
        if path is None:
            self.values(node, var)
        else:
            shacl_path = from_shacl(self.g, path)
            self.values(node, self.bind(var, shacl_path))
            for prop in _COMPARISONS:
                for other in self.g.objects(node, prop):
                    self.bind(var, Pred(NamedNode(str(other))))
        for constraint in self.g.objects(node, RSH.sparql):
            self.sparql(constraint, var, has_path=path is not None)
        self.stack.pop()

    def values(self, node: rdflib.term.Node, var: int) -> None:
        """Constraints that apply to the nodes of ``var`` (value nodes, or the focus)."""
        for cls in self.g.objects(node, RSH["class"]):
            self.plan.class_vars[var].add(NamedNode(str(cls)))
        nested = [*self.g.objects(node, RSH.node), *self.g.objects(node, RSH.property)]
        nested += [
            *self.g.objects(node, RSH.qualifiedValueShape),
            *self.g.objects(node, RSH["not"]),
        ]
        for prop in _LOGICAL:
            for members in self.g.objects(node, prop):
                nested.extend(Collection(self.g, members))
        if self.g.value(node, RSH.qualifiedValueShapesDisjoint) == rdflib.Literal(True):
            raise UnsupportedShapeError("sh:qualifiedValueShapesDisjoint is not supported")
        for shape in nested:
            self.shape(shape, var)

    def sparql(self, constraint: rdflib.term.Node, var: int, *, has_path: bool) -> None:
        text = self.g.value(constraint, RSH.select) or self.g.value(constraint, RSH.ask)
        if text is None:
            raise UnsupportedShapeError(f"the SPARQL constraint {constraint} has no query")
        if has_path and "$PATH" in str(text):
            raise UnsupportedShapeError("$PATH in a SPARQL constraint is not supported")
        prefixes = tuple(sorted(self.prefixes(constraint).items()))
        patterns = list(_patterns_of(str(text), prefixes))
        reached: dict[rdflib.term.Node, int] = {rdflib.Variable("this"): var}
        # Walk forwards wherever possible: a backward step from a shared node (a source)
        # would reach all its neighbours (every claim that quotes it).
        while patterns:
            forward = next((t for t in patterns if t[0] in reached), None)
            backward = next((t for t in patterns if t[2] in reached), None)
            if forward is not None:
                s, p, o = forward
                var = self.bind(reached[s], from_sparql(p))
                reached.setdefault(o, var)
                patterns.remove(forward)
            elif backward is not None:
                s, p, o = backward
                reached[s] = self.bind(reached[o], inverse(from_sparql(p)))
                patterns.remove(backward)
            else:
                raise UnsupportedShapeError(
                    f"a SPARQL constraint of {self.plan.shape} reads triples that are not "
                    f"connected to $this: {patterns}"
                )

    def prefixes(self, constraint: rdflib.term.Node) -> dict[str, str]:
        found = {}
        for source in self.g.objects(constraint, RSH.prefixes):
            for decl in self.g.objects(source, RSH.declare):
                prefix, ns = self.g.value(decl, RSH.prefix), self.g.value(decl, RSH.namespace)
                if prefix is not None and ns is not None:
                    found[str(prefix)] = str(ns)
        return found


@lru_cache(maxsize=256)
def _patterns_of(
    text: str, prefixes: tuple[tuple[str, str], ...]
) -> tuple[tuple[rdflib.term.Node, object, rdflib.term.Node], ...]:
    """The triple patterns of a SPARQL constraint's query (parsed once per text)."""
    return tuple(_triple_patterns(prepareQuery(text, initNs=dict(prefixes)).algebra))


def _triple_patterns(
    algebra: object,
) -> Iterable[tuple[rdflib.term.Node, object, rdflib.term.Node]]:
    """Every triple pattern of a query (NOT EXISTS and EXISTS included)."""
    if isinstance(algebra, CompValue):
        if algebra.name == "Graph":
            raise UnsupportedShapeError("GRAPH in a SPARQL constraint is not supported")
        for key, value in algebra.items():
            if key == "triples":
                for s, p, o in _grouped(value):
                    if isinstance(p, rdflib.Variable):
                        raise UnsupportedShapeError("a variable predicate is not supported")
                    yield (s, p, o)
            else:
                yield from _triple_patterns(value)
    elif isinstance(algebra, list | tuple):
        for item in algebra:
            yield from _triple_patterns(item)


def _grouped(triples: list[Any]) -> list[tuple[Any, Any, Any]]:
    """rdflib gives the patterns of a FILTER (NOT) EXISTS written with ``;`` as flat
    lists of terms (three to a pattern), and other patterns as triples."""
    grouped: list[tuple[Any, Any, Any]] = []
    pending = [triples] if triples and not isinstance(triples[0], tuple | list) else triples
    for item in pending:
        if isinstance(item, tuple) and len(item) == 3:
            grouped.append(item)
        else:
            flat = list(item)
            grouped.extend((flat[i], flat[i + 1], flat[i + 2]) for i in range(0, len(flat), 3))
    return grouped


def _targets(graph: rdflib.Graph, shape: rdflib.term.Node) -> Targets:
    def iris(prop: rdflib.URIRef) -> frozenset[NamedNode]:
        return frozenset(NamedNode(str(o)) for o in graph.objects(shape, prop))

    classes = iris(RSH.targetClass)
    if (shape, rdflib.RDF.type, rdflib.RDFS.Class) in graph or (
        shape,
        rdflib.RDF.type,
        rdflib.OWL.Class,
    ) in graph:
        classes |= {NamedNode(str(shape))}
    if (shape, RSH.target, None) in graph:
        raise UnsupportedShapeError(f"SPARQL-based targets ({shape}) are not supported")
    return Targets(
        classes, iris(RSH.targetNode), iris(RSH.targetSubjectsOf), iris(RSH.targetObjectsOf)
    )


class ContextPlanner:
    """The shapes, compiled into plans, with an index from predicates to reads."""

    def __init__(self, shapes: rdflib.Graph) -> None:
        self.plans: list[ShapePlan] = []
        roots = {s for prop in _TARGETS for s in shapes.subjects(prop, None)}
        roots |= {
            s
            for s in shapes.subjects(rdflib.RDF.type, RSH.NodeShape)
            if (s, rdflib.RDF.type, rdflib.RDFS.Class) in shapes
        }
        for root in sorted(roots, key=str):
            if not isinstance(root, rdflib.URIRef):
                raise UnsupportedShapeError("a shape with targets must be named by an IRI")
            plan = ShapePlan(str(root), _targets(shapes, root))
            _Compiler(shapes, plan).shape(root, 0)
            self.plans.append(plan)
        self.reads: dict[NamedNode, list[Read]] = defaultdict(list)
        for plan in self.plans:
            self._index(plan)

    def _index(self, plan: ShapePlan) -> None:
        t = plan.targets
        if t.classes:
            self.reads[RDF.type].append(Read(plan, 0, EMPTY, False, frozenset(t.classes)))
        for prop in t.subjects_of:
            self.reads[prop].append(Read(plan, 0, EMPTY, False))
        for prop in t.objects_of:
            self.reads[prop].append(Read(plan, 0, EMPTY, True))
        for var, classes in plan.class_vars.items():
            self.reads[RDF.type].append(Read(plan, var, EMPTY, False, frozenset(classes)))
        for step in plan.steps:
            for predicate in predicates(step.path):
                for prefix, inv in prefixes(step.path, predicate):
                    self.reads[predicate].append(Read(plan, step.src, prefix, inv))

    # -- which nodes to validate -------------------------------------------------

    def foci(
        self, added: Iterable[Fact], removed: Iterable[Fact], before: Facts, after: Facts
    ) -> set[Node]:
        """The nodes whose validity the change can affect (targeted after the change)."""
        candidates: dict[ShapePlan, set[Node]] = defaultdict(set)
        for facts, state in ((added, after), (removed, before)):
            for fact in facts:
                for read in self.reads.get(fact[1], ()):
                    if read.classes is not None and fact[2] not in read.classes:
                        continue
                    start = fact[2] if read.inverse else fact[0]
                    nodes = evaluate(inverse(read.prefix), {start}, state)
                    candidates[read.plan] |= self._to_focus(read.plan, read.var, nodes, state)
        return {
            node
            for plan, nodes in candidates.items()
            for node in nodes
            if self.targets(plan, node, after)
        }

    def _to_focus(self, plan: ShapePlan, var: int, nodes: set[Node], facts: Facts) -> set[Node]:
        while var != 0 and nodes:
            step = plan.binding(var)
            nodes = evaluate(inverse(step.path), nodes, facts)
            var = step.src
        return nodes

    @staticmethod
    def targets(plan: ShapePlan, node: Node, facts: Facts) -> bool:
        t = plan.targets
        return (
            node in t.nodes
            or any(facts.contains((node, RDF.type, c)) for c in t.classes)
            or any(next(iter(facts.objects(node, p)), None) is not None for p in t.subjects_of)
            or any(next(iter(facts.subjects(p, node)), None) is not None for p in t.objects_of)
        )

    # -- what to validate them on ----------------------------------------------------

    def extract(self, foci: Iterable[Node], facts: Facts) -> set[Fact]:
        """The triples that validating ``foci`` reads, and the types of every node reached."""
        trace: set[Fact] = set()
        reached: set[Node] = set()
        for focus in foci:
            for plan in self.plans:
                if not self.targets(plan, focus, facts):
                    continue
                reached.add(focus)
                self._target_triples(plan, focus, facts, trace)
                bound: dict[int, set[Node]] = {0: {focus}}
                for step in plan.steps:
                    found = evaluate(step.path, bound[step.src], facts, trace)
                    bound[step.dst] = found
                    reached |= found
        for node in reached:
            for cls in facts.objects(node, RDF.type):
                trace.add((node, RDF.type, cls))
        return trace

    @staticmethod
    def _target_triples(plan: ShapePlan, focus: Node, facts: Facts, trace: set[Fact]) -> None:
        """One triple per target predicate, so pyshacl finds the focus node a target."""
        for prop in plan.targets.subjects_of:
            for o in facts.objects(focus, prop):
                trace.add((focus, prop, o))
                break
        for prop in plan.targets.objects_of:
            for s in facts.subjects(prop, focus):
                trace.add((s, prop, focus))
                break
