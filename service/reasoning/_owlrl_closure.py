"""The full OWL 2 RL closure with owlrl: the reference reasoner.

The only module that imports owlrl. ``parley build`` uses it to compute
``graph/inferred`` from scratch; the write path maintains that graph
incrementally, and the tests check that both agree.

owlrl costs about 0.35 ms per asserted triple on this project's machines (2.5 s for
the 7k of the project's model, with ``_Terms`` below; 6 s without), so it runs in batch,
never per request.
"""

from __future__ import annotations

from collections.abc import Iterable

import owlrl
import owlrl.OWLRL
import rdflib

from service.rdf import NamedNode, Quad, from_rdflib, to_rdflib
from service.reasoning._entailment import keep_inference, tbox_terms

OWL_SAME_AS = rdflib.OWL.sameAs
OWL_ALL_DIFFERENT = rdflib.OWL.AllDifferent
RDF_TYPE = rdflib.RDF.type


class _Terms:
    """A namespace's terms as plain attributes, found once each.

    owlrl's rules name ``OWL.sameAs``, ``RDF.type``, ``RDFS.domain`` ... dozens of times
    for every triple of every cycle, and rdflib's ``DefinedNamespace`` looks each one up
    through a metaclass ``__getattr__`` that checks the name against the namespace's
    definition every time: over half of the closure's time here (5.9 s -> 2.5 s for the
    project's model without it). The terms are the very same ``URIRef`` objects.
    """

    def __init__(self, namespace: object) -> None:
        self._namespace = namespace

    def __getattr__(self, name: str) -> object:
        term = getattr(self._namespace, name)
        setattr(self, name, term)  # from now on an instance attribute: no __getattr__
        return term


# The rules module reads these as module globals; owlrl is imported nowhere else.
for _name in ("OWL", "RDF", "RDFS"):
    setattr(owlrl.OWLRL, _name, _Terms(getattr(rdflib.namespace, _name)))


class _Semantics(owlrl.OWLRL_Semantics):  # type: ignore[misc]
    """OWL 2 RL without rule eq-ref, which adds ``x owl:sameAs x`` for every node of every
    triple: about half of owlrl's work here, and the inferred graph leaves ``owl:sameAs``
    out anyway (``keep_inference``). The other equality rules run for the triples they
    match; nothing else changes (``tests/test_incremental.py`` compares the result with
    the incremental reasoner's)."""

    def _equality(self, triple: tuple[object, object, object], cycle_num: int) -> None:
        _s, p, o = triple
        if p == OWL_SAME_AS or (p == RDF_TYPE and o == OWL_ALL_DIFFERENT):
            super()._equality(triple, cycle_num)


def closure(
    asserted: Iterable[Quad], ontology: Iterable[Quad], inferred_graph: NamedNode
) -> list[Quad]:
    """The inferred quads (in ``inferred_graph``) of ``asserted`` under ``ontology``.

    Only what ``service.reasoning._entailment.keep_inference`` admits, and nothing that is
    already asserted.
    """
    asserted = list(asserted)
    ontology = list(ontology)
    # rdflib's SimpleMemory store keeps no contexts: owlrl runs about twice as fast on it
    # as on the default store, whose context bookkeeping it pays on every lookup.
    graph = to_rdflib([*asserted, *ontology], store="SimpleMemory")
    before = set(graph)
    owlrl.DeductiveClosure(_Semantics).expand(graph)
    new = rdflib.Graph()
    for triple in graph:
        if triple not in before:
            new.add(triple)
    terms = tbox_terms(q.subject for q in ontology)
    asserted_triples = {q.triple for q in asserted}
    return [
        q
        for q in from_rdflib(new, to_graph=inferred_graph)
        if keep_inference(q.subject, q.predicate, q.object, terms)
        and q.triple not in asserted_triples
    ]
