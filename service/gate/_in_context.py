"""Validating a change in the context of the store, at a cost in proportion to it.

``InContextValidator.validate`` takes the closure after a change (a view over
the store, see ``service.reasoning._inferred``) and validates only what the change can
affect (``service.gate._context``): the focus nodes, on the triples their
validation reads, plus the ontology's class hierarchy (which ``sh:class`` and
``sh:targetClass`` walk). The graph handed to pyshacl holds the client's own
literals for the triples it sent, not the store's canonical forms: the gate
validates what the client sent.

(The values of individual-valued properties are checked apart, on what is
sent: ``service.gate._model_guard``.)

``graph/history`` is not validated: an earlier version or a withdrawn claim is
not current data. A withdrawn claim keeps its IRI, and reviews, reports and
relations keep pointing at it, so:

- a withdrawn claim (``parley:withdrawn true`` in ``graph/history``, or in what
  the change moves there) is never a focus node: the links to it still entail
  that it is a ``parley:Claim`` (``rdfs:range``), but its own statements are gone
  from the current graphs, and it is not to be held to the claim's shape;
- for a node the context reaches that has no type in the current graphs and is
  not itself a focus, its types in ``graph/history`` count (``sh:class
  parley:Claim`` on a link to a withdrawn claim holds whatever the ontology
  entails).
"""

from __future__ import annotations

from collections.abc import Iterable

from service.gate._context import ContextPlanner
from service.gate._validation import ShaclValidator, ValidationReport, conforming_report
from service.rdf import RDF, RDFS, NamedNode, Quad, Vocab, to_rdflib
from service.reasoning import Fact, OverBudget, Overlay, StoreFacts
from service.store import GraphStore


class InContextValidator:
    """The server's shapes, compiled for validation in context."""

    def __init__(self, shapes: list[Quad], ontology: list[Quad], vocab: Vocab) -> None:
        self.vocab = vocab
        self.shapes_graph = to_rdflib(shapes)
        self.validator = ShaclValidator(self.shapes_graph)
        self.planner = ContextPlanner(self.shapes_graph)
        self.hierarchy: list[Fact] = [
            (q.subject, q.predicate, q.object)
            for q in ontology
            if q.predicate == RDFS.subClassOf
            and isinstance(q.subject, NamedNode)
            and isinstance(q.object, NamedNode)
        ]

    def facts(self, store: GraphStore) -> StoreFacts:
        """What validation reads from the store: data, inferences and the ontology's types."""
        vocab = self.vocab
        extra = (vocab.inferred_graph, vocab.ontology_graph)
        return StoreFacts(store, lambda g: g in extra or vocab.is_reasoned_graph(g))

    def validate(
        self,
        store: GraphStore,
        closure: Overlay,
        *,
        sent: Iterable[Quad],
        stored: Iterable[Quad],
        max_triples: int | None = None,
        history: Iterable[Quad] = (),
    ) -> ValidationReport:
        """Validate the state ``closure`` describes, where the change can matter.

        :param sent: the quads the client inserts, as it sent them.
        :param stored: the same quads as the store will hold them (canonical literals).
        :param max_triples: the most triples to hand pyshacl, whose time grows with them
            and cannot be interrupted.
        :param history: the quads the change inserts into ``graph/history``.
        :raises OverBudget: the context is larger than ``max_triples``.
        """
        before = self.facts(store)
        after = Overlay(before)
        for fact in closure.removed:
            after.remove(fact)
        for fact in closure.added:
            after.add(fact)
        sent, stored = list(sent), list(stored)
        foci = self.planner.foci(closure.added, closure.removed, before, after)
        foci |= {q.subject for q in stored}
        history = list(history)
        withdrawn = self._withdrawn(store, foci, history)
        named = sorted(
            (f for f in foci if isinstance(f, NamedNode) and f not in withdrawn), key=str
        )
        if not named:
            return conforming_report()
        as_sent: dict[Fact, Fact] = {
            (c.subject, c.predicate, c.object): (s.subject, s.predicate, s.object)
            for c, s in zip(stored, sent, strict=True)
        }
        context = self.planner.extract(named, after)
        triples: list[Fact] = [as_sent.get(f, f) for f in context]
        triples += [(q.subject, q.predicate, q.object) for q in sent]
        triples += self._withdrawn_types(store, triples, set(named), history)
        triples += self.hierarchy
        if max_triples is not None and len(triples) > max_triples:
            raise OverBudget
        return self.validator.validate_context(triples, named)  # type: ignore[arg-type]

    def _withdrawn(
        self, store: GraphStore, foci: Iterable[object], history: list[Quad]
    ) -> set[NamedNode]:
        """The foci that are withdrawn claims (entities only: ``{base}id/``)."""
        withdrawn = self.vocab.parley.withdrawn
        found = {
            q.subject
            for q in history
            if q.predicate == withdrawn and isinstance(q.subject, NamedNode)
        }
        graph = self.vocab.history_graph
        for node in foci:
            if (
                isinstance(node, NamedNode)
                and self.vocab.id.contains(node)
                and node not in found
                and next(store.quads(node, withdrawn, None, graph), None) is not None
            ):
                found.add(node)
        return found

    def _withdrawn_types(
        self, store: GraphStore, triples: list[Fact], foci: set[NamedNode], history: Iterable[Quad]
    ) -> list[Fact]:
        """The ``graph/history`` types of the nodes the context links to that have no type
        of their own in it and are not validated (withdrawn claims): see the module doc."""
        typed = {s for s, p, _o in triples if p == RDF.type}
        # Entities only (``{base}id/``): classes and concepts are never withdrawn.
        entities = self.vocab.id
        linked = {o for _s, _p, o in triples if entities.contains(o)}
        wanted = linked - typed - foci
        if not wanted:
            return []
        graph = self.vocab.history_graph
        found: list[Fact] = [
            (q.subject, q.predicate, q.object)
            for q in history
            if q.predicate == RDF.type and q.subject in wanted
        ]
        for node in sorted((n for n in wanted if isinstance(n, NamedNode)), key=str):
            found += [
                (q.subject, q.predicate, q.object) for q in store.quads(node, RDF.type, None, graph)
            ]
        return list(dict.fromkeys(found))
