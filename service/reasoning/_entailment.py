"""What the inferred graph holds: the policy both reasoners follow.

``graph/inferred`` holds the OWL 2 RL consequences of Parley's asserted data
graphs under the ontology, *about the data* (the ABox), minus what is already
asserted. Left out, because they are noise or unusable:

- generalised triples with a literal subject (``"x" rdf:type rdfs:Literal``);
- ``owl:sameAs`` (reflexive ones are trivial, and Parley forbids the rest);
- ``rdf:type`` of an anonymous class expression (a restriction's blank node)
  and ``rdf:type owl:Thing``;
- statements about the ontology's own terms (the TBox closure): the ontology
  graph already states the hierarchy, and SPARQL property paths walk it;
- statements about the RDF, RDFS, OWL and XSD vocabularies themselves (owlrl's
  axiomatic triples, such as ``xsd:string rdf:type rdfs:Datatype``).

owlrl computes the full closure at build time (``service.reasoning._owlrl_closure``); the
write path keeps the graph current incrementally, and the tests compare the
two on the same data.
"""

from __future__ import annotations

from collections.abc import Iterable

from service.rdf import OWL, RDF, RDFS, XSD, BlankNode, NamedNode

_SAME_AS = OWL.sameAs
_TYPE = RDF.type
_THING = OWL.Thing
_BUILT_IN = (str(RDF), str(RDFS), str(OWL), str(XSD))


def keep_inference(
    subject: object, predicate: object, obj: object, tbox_terms: frozenset[NamedNode]
) -> bool:
    """True if an entailed triple belongs in ``graph/inferred``.

    >>> from service.rdf._terms import NamedNode as N
    >>> keep_inference(N("http://a"), RDF.type, OWL.Thing, frozenset())
    False
    >>> keep_inference(N("http://a"), RDF.type, N("http://C"), frozenset())
    True
    >>> keep_inference(N("http://C"), RDF.type, N("http://D"), frozenset({N("http://C")}))
    False
    >>> keep_inference(XSD.string, RDF.type, RDFS.Datatype, frozenset())
    False
    """
    if not isinstance(subject, NamedNode) or not isinstance(predicate, NamedNode):
        return False
    if predicate == _SAME_AS:
        return False
    if predicate == _TYPE and (isinstance(obj, BlankNode) or obj == _THING):
        return False
    if subject.value.startswith(_BUILT_IN):
        return False
    return subject not in tbox_terms


def tbox_terms(ontology_subjects: Iterable[object]) -> frozenset[NamedNode]:
    """The IRIs the ontology graph describes (its classes, properties, concepts)."""
    return frozenset(s for s in ontology_subjects if isinstance(s, NamedNode))
