"""Property paths as the write gate reads them: from SHACL shapes and from SPARQL.

A SHACL shape reads the data along paths (``sh:path`` in all its forms, and
the triple patterns of SPARQL-based constraints). The gate follows the same
paths to cut, out of the store, the part of the graph a validation needs, and
follows them backwards to find which nodes a change can make invalid. This
module holds the path model, its evaluation over a set of facts (recording
every triple it reads), and the readers that turn SHACL path nodes and rdflib's
SPARQL path objects into it. Inverse paths are pushed down to predicates, so
``Pred`` is the only place a direction lives.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import rdflib
from rdflib.collection import Collection
from rdflib.namespace import SH as RSH
from rdflib.paths import AlternativePath, InvPath, MulPath, SequencePath

from service.errors import UnsupportedShapeError
from service.rdf import NamedNode
from service.reasoning import Fact, Facts, Node


@dataclass(frozen=True)
class Pred:
    """One step along a predicate, forwards or backwards."""

    iri: NamedNode
    inverse: bool = False


@dataclass(frozen=True)
class Seq:
    steps: tuple[Path, ...]


@dataclass(frozen=True)
class Alt:
    options: tuple[Path, ...]


@dataclass(frozen=True)
class Repeat:
    """``*`` (neither flag), ``+`` (``at_least_one``) or ``?`` (``at_most_one``)."""

    inner: Path
    at_least_one: bool = False
    at_most_one: bool = False


Path = Pred | Seq | Alt | Repeat

EMPTY = Seq(())


def inverse(path: Path) -> Path:
    """The path walked backwards.

    >>> p, q = Pred(NamedNode("http://p")), Pred(NamedNode("http://q"))
    >>> inverse(Seq((p, q))) == Seq((Pred(q.iri, True), Pred(p.iri, True)))
    True
    """
    if isinstance(path, Pred):
        return Pred(path.iri, not path.inverse)
    if isinstance(path, Seq):
        return Seq(tuple(inverse(s) for s in reversed(path.steps)))
    if isinstance(path, Alt):
        return Alt(tuple(inverse(o) for o in path.options))
    return Repeat(inverse(path.inner), path.at_least_one, path.at_most_one)


def evaluate(
    path: Path, starts: Iterable[Node], facts: Facts, trace: set[Fact] | None = None
) -> set[Node]:
    """The nodes ``path`` reaches from ``starts``; every triple read goes into ``trace``."""
    nodes = set(starts)
    if isinstance(path, Pred):
        out: set[Node] = set()
        for node in nodes:
            if path.inverse:
                for s in facts.subjects(path.iri, node):
                    out.add(s)
                    if trace is not None:
                        trace.add((s, path.iri, node))
            else:
                for o in facts.objects(node, path.iri):
                    out.add(o)
                    if trace is not None:
                        trace.add((node, path.iri, o))
        return out
    if isinstance(path, Seq):
        for step in path.steps:
            nodes = evaluate(step, nodes, facts, trace)
        return nodes
    if isinstance(path, Alt):
        return set().union(*(evaluate(o, nodes, facts, trace) for o in path.options))
    reached: set[Node] = set() if path.at_least_one else set(nodes)
    if path.at_most_one:
        return reached | evaluate(path.inner, nodes, facts, trace)
    frontier = evaluate(path.inner, nodes, facts, trace)
    seen: set[Node] = set()
    while frontier - seen:
        new = frontier - seen
        seen |= new
        frontier = evaluate(path.inner, new, facts, trace)
    return reached | seen


def prefixes(path: Path, predicate: NamedNode) -> list[tuple[Path, bool]]:
    """Where ``path`` reads triples of ``predicate``.

    Each answer ``(prefix, inverse)`` says: walking ``path`` from ``x`` reads the
    triple ``(a predicate b)`` when ``a`` (``b`` if ``inverse``) is reached from
    ``x`` along ``prefix``.
    """
    if isinstance(path, Pred):
        return [(EMPTY, path.inverse)] if path.iri == predicate else []
    if isinstance(path, Seq):
        found = []
        for i, step in enumerate(path.steps):
            for pre, inv in prefixes(step, predicate):
                found.append((_seq((*path.steps[:i], pre)), inv))
        return found
    if isinstance(path, Alt):
        return [hit for option in path.options for hit in prefixes(option, predicate)]
    inner = prefixes(path.inner, predicate)
    if path.at_most_one:
        return inner
    star = Repeat(path.inner)
    return [(_seq((star, pre)), inv) for pre, inv in inner]


def _seq(steps: tuple[Path, ...]) -> Path:
    flat = tuple(s for s in steps if s != EMPTY)
    return flat[0] if len(flat) == 1 else Seq(flat)


def predicates(path: Path) -> set[NamedNode]:
    """Every predicate a path reads."""
    if isinstance(path, Pred):
        return {path.iri}
    if isinstance(path, Seq):
        return set().union(*(predicates(s) for s in path.steps))
    if isinstance(path, Alt):
        return set().union(*(predicates(o) for o in path.options))
    return predicates(path.inner)


# -- readers ----------------------------------------------------------------------


def _iri(node: rdflib.term.Node) -> NamedNode:
    if not isinstance(node, rdflib.URIRef):
        raise UnsupportedShapeError(f"expected an IRI in a path, found {node!r}")
    return NamedNode(str(node))


def from_shacl(graph: rdflib.Graph, node: rdflib.term.Node) -> Path:
    """A SHACL path (``sh:path``'s value)."""
    if isinstance(node, rdflib.URIRef):
        return Pred(NamedNode(str(node)))
    inv = graph.value(node, RSH.inversePath)
    if inv is not None:
        return inverse(from_shacl(graph, inv))
    alt = graph.value(node, RSH.alternativePath)
    if alt is not None:
        return Alt(tuple(from_shacl(graph, o) for o in Collection(graph, alt)))
    for prop, least, most in (
        (RSH.zeroOrMorePath, False, False),
        (RSH.oneOrMorePath, True, False),
        (RSH.zeroOrOnePath, False, True),
    ):
        inner = graph.value(node, prop)
        if inner is not None:
            return Repeat(from_shacl(graph, inner), least, most)
    if graph.value(node, rdflib.RDF.first) is not None:
        return Seq(tuple(from_shacl(graph, s) for s in Collection(graph, node)))
    raise UnsupportedShapeError(f"not a SHACL path: {node!r}")


def from_sparql(path: object) -> Path:
    """A predicate or property path of rdflib's SPARQL algebra."""
    if isinstance(path, rdflib.URIRef):
        return Pred(NamedNode(str(path)))
    if isinstance(path, InvPath):
        return inverse(from_sparql(path.arg))
    if isinstance(path, SequencePath):
        return Seq(tuple(from_sparql(a) for a in path.args))
    if isinstance(path, AlternativePath):
        return Alt(tuple(from_sparql(a) for a in path.args))
    if isinstance(path, MulPath):
        return Repeat(from_sparql(path.path), path.mod == "+", path.mod == "?")
    raise UnsupportedShapeError(f"the SPARQL path {path!r} is not supported (negated or variable)")
