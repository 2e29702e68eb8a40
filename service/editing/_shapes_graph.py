"""The shapes graph as a form reads it: read with one CONSTRUCT (blank nodes keep their
identity within one answer, on the embedded and the remote store alike), indexed by subject
and predicate, with its RDF lists and language-tagged texts."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from service.rdf import RDF, BlankNode, Literal, NamedNode, Term, Triple
from service.store import GraphStore

Node = NamedNode | BlankNode


class ShapesGraph:
    """The shapes graph, indexed by subject and predicate."""

    def __init__(self, triples: Iterable[Triple]) -> None:
        self._by: dict[tuple[Node, str], list[Term]] = defaultdict(list)
        for t in triples:
            if isinstance(t.subject, NamedNode | BlankNode) and not isinstance(t.object, Triple):
                self._by[(t.subject, t.predicate.value)].append(t.object)

    def objects(self, s: Term, p: NamedNode) -> list[Term]:
        if not isinstance(s, NamedNode | BlankNode):
            return []
        return self._by.get((s, p.value), [])

    def one(self, s: Term, p: NamedNode) -> Term | None:
        found = self.objects(s, p)
        return found[0] if found else None

    def subjects(self, p: NamedNode, o: Term) -> list[Node]:
        return [s for (s, pv), objs in self._by.items() if pv == p.value and o in objs]

    def pairs(self, p: NamedNode) -> list[tuple[Node, Term]]:
        """Every subject and object of ``p``."""
        return [(s, o) for (s, pv), objs in self._by.items() if pv == p.value for o in objs]

    def items(self, head: Term | None) -> list[Term]:
        """The members of an RDF list."""
        out: list[Term] = []
        seen: set[Term] = set()
        while head is not None and head != RDF.nil and head not in seen:
            seen.add(head)
            first = self.one(head, RDF.first)
            if first is not None:
                out.append(first)
            head = self.one(head, RDF.rest)
        return out


def text_of(g: ShapesGraph, s: Term, p: NamedNode, lang: str = "en") -> str | None:
    """The ``lang`` (else untagged, else any) literal of ``s p``."""
    found = [o for o in g.objects(s, p) if isinstance(o, Literal)]
    for want in (lang, None):
        for o in found:
            if o.language == want:
                return o.value
    return found[0].value if found else None


def number_of(g: ShapesGraph, s: Term, p: NamedNode) -> float | None:
    o = g.one(s, p)
    if isinstance(o, Literal):
        try:
            return float(o.value)
        except ValueError:
            return None
    return None


def read_shapes(store: GraphStore) -> ShapesGraph:
    graph = store.vocab.shapes_graph
    return ShapesGraph(
        store.construct(f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH {graph} {{ ?s ?p ?o }} }}")
    )
