"""Keeping ``graph/inferred`` current across a write, with the incremental reasoner.

``infer_change`` takes the asserted quads a write deletes and inserts in
Parley's data graphs and gives the quads to delete from and insert into
``graph/inferred``, plus the closure after the write (a view over the store,
for validation). The closure is the union of the data graphs and
``graph/inferred``; what it holds is ``service.reasoning._incremental``'s business, where
it lives (asserted or inferred) is this module's:

- a triple asserted in some data graph is never in ``graph/inferred``;
- asserting a triple that was inferred moves it out of ``graph/inferred``;
- deleting the last assertion of a triple that still follows moves it back in.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from service.rdf import BlankNode, GraphName, NamedNode, Quad, Triple, Vocab
from service.reasoning._incremental import Budget, Overlay, Reasoner
from service.reasoning._rules import Fact, Node
from service.store import GraphStore


class StoreFacts:
    """The facts of some of a store's graphs (their union), read by pattern lookups."""

    def __init__(self, store: GraphStore, graphs: Callable[[GraphName], bool]) -> None:
        self.store = store
        self.graphs = graphs

    def contains(self, fact: Fact) -> bool:
        s, p, o = fact
        if not isinstance(s, NamedNode | BlankNode) or isinstance(o, Triple):
            return False
        return any(self.graphs(q.graph_name) for q in self.store.quads(s, p, o))

    def objects(self, subject: Node, predicate: NamedNode) -> Iterator[Node]:
        if not isinstance(subject, NamedNode | BlankNode):
            return
        seen: set[Node] = set()
        for q in self.store.quads(subject, predicate, None):
            if q.object not in seen and self.graphs(q.graph_name):
                seen.add(q.object)
                yield q.object

    def subjects(self, predicate: NamedNode, obj: Node) -> Iterator[Node]:
        if isinstance(obj, Triple):
            return
        seen: set[Node] = set()
        for q in self.store.quads(None, predicate, obj):
            if q.subject not in seen and self.graphs(q.graph_name):
                seen.add(q.subject)
                yield q.subject


def closure_facts(store: GraphStore, vocab: Vocab) -> StoreFacts:
    """The stored closure: Parley's data graphs and ``graph/inferred``."""
    inferred = vocab.inferred_graph
    return StoreFacts(store, lambda g: g == inferred or vocab.is_reasoned_graph(g))


@dataclass(frozen=True)
class InferredChange:
    """What a write does to ``graph/inferred``, and the closure after it."""

    delete: list[Quad]
    insert: list[Quad]
    closure: Overlay


def infer_change(
    reasoner: Reasoner,
    store: GraphStore,
    vocab: Vocab,
    delete: list[Quad],
    insert: list[Quad],
    budget: Budget | None = None,
) -> InferredChange:
    """The change to ``graph/inferred`` that goes with an asserted change.

    :param delete: quads of Parley's data graphs that the write removes (and the store holds).
    :param insert: quads of Parley's data graphs that the write adds (and the store lacks).
    """
    asserted = StoreFacts(store, vocab.is_reasoned_graph)
    deleted_quads = set(delete)
    inserted_triples = {_fact(q) for q in insert}

    def asserted_after(fact: Fact) -> bool:
        if fact in inserted_triples:
            return True
        s, p, o = fact
        if not isinstance(s, NamedNode | BlankNode) or isinstance(o, Triple):
            return False
        return any(
            vocab.is_reasoned_graph(q.graph_name) and q not in deleted_quads
            for q in store.quads(s, p, o)
        )

    gone = [f for f in dict.fromkeys(_fact(q) for q in delete) if not asserted_after(f)]
    gone_set = set(gone)
    new = [f for f in dict.fromkeys(inserted_triples) if not asserted.contains(f)]

    def still_asserted(fact: Fact) -> bool:
        return fact not in gone_set and (fact in inserted_triples or asserted.contains(fact))

    closure = reasoner.update(
        closure_facts(store, vocab),
        deleted=gone,
        inserted=new,
        still_asserted=still_asserted,
        budget=budget or Budget(None),
    )
    graph = vocab.inferred_graph

    def was_inferred(fact: Fact) -> bool:
        s, p, o = fact
        assert isinstance(s, NamedNode | BlankNode)
        assert not isinstance(o, Triple)
        return any(True for _ in store.quads(s, p, o, graph))

    new_set = set(new)
    out_delete = [_quad(f, graph) for f in closure.removed if was_inferred(f)]
    out_delete += [_quad(f, graph) for f in new if was_inferred(f)]
    out_insert = [_quad(f, graph) for f in closure.added if f not in new_set]
    out_insert += [_quad(f, graph) for f in gone if closure.contains(f)]
    return InferredChange(out_delete, out_insert, closure)


def _fact(quad: Quad) -> Fact:
    return (quad.subject, quad.predicate, quad.object)


def _quad(fact: Fact, graph: NamedNode) -> Quad:
    s, p, o = fact
    assert isinstance(s, NamedNode | BlankNode)
    return Quad(s, p, o, graph)
