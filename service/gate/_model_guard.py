"""What no data write may say, whatever the shapes allow: the model's own statements.

The model (ontology and shapes) changes only by ``parley build``. ``ModelGuard``
refuses, in Parley's data graphs:

- axioms (``rdfs:subClassOf``, ``rdfs:domain``, any ``owl:`` predicate but
  ``owl:sameAs``, which the shapes refuse with their own message) and
  declarations (``a owl:Class``, ``a rdf:Property``);
- statements about the ontology's own terms or the RDF/RDFS/OWL/XSD
  vocabularies;
- a property the ontology marks ``parley:derivedOnly`` (or its inverse): the rules
  derive it (``parley:disputes`` between two claimants' opposite stances), and a
  stated value would say what no stance supports;
- an ontology term as the value of an individual-valued property
  (``x parley:involves parley:Claim`` entails ``parley:Claim parley:involvedIn
  x``, a statement about the term);

and checks that individual-valued properties take IRIs, never literals, with a
shape derived from the ontology (``individual_value_shapes``). The last two
keep the incremental reasoner and owlrl in exact agreement (see
``service.reasoning._rules``). The write gate applies the guard to every write, ``parley
build`` to the seed data.
"""

from __future__ import annotations

from collections.abc import Iterable

from service.errors import OntologyStatementError, ShapeViolationError
from service.gate._validation import ShaclValidator, ValidationReport
from service.rdf import OWL, RDF, RDFS, SH, XSD, Literal, NamedNode, Quad, Vocab, to_rdflib
from service.reasoning import Rules, compile_rules

#: Predicates that state the model, never data.
_TBOX_PREDICATES = {RDFS.subClassOf, RDFS.subPropertyOf, RDFS.domain, RDFS.range}
#: Types a data node may have from the OWL vocabulary (anything else declares a term).
_INDIVIDUAL_TYPES = {OWL.NamedIndividual, OWL.Thing}
_MODEL_TYPES = {RDFS.Class, RDF.Property, RDFS.Datatype}
_BUILT_IN = (str(RDF), str(RDFS), str(OWL), str(XSD))


def individual_value_shapes(rules: Rules, vocab: Vocab) -> list[Quad]:
    """A shape saying that the individual-valued properties take IRIs, never literals."""
    graph = vocab.shapes_graph
    shape = vocab.shapes["IndividualValuesShape"]
    out = [
        Quad(shape, RDF.type, SH.NodeShape, graph),
        Quad(shape, RDFS.label, Literal("values that are individuals", language="en"), graph),
    ]
    for n, prop in enumerate(sorted(rules.individual_valued, key=str)):
        node = vocab.shapes[f"IndividualValuesShape-{n}"]
        message = (
            f"{prop.value} relates individuals: its value must be an IRI, never a literal "
            "(the ontology gives it an inverse or reasons over its values)."
        )
        out += [
            Quad(shape, SH.targetSubjectsOf, prop, graph),
            Quad(shape, SH.property, node, graph),
            Quad(node, SH.path, prop, graph),
            Quad(node, SH.nodeKind, SH.IRI, graph),
            Quad(node, SH.message, Literal(message, language="en"), graph),
        ]
    return out


class ModelGuard:
    """The checks, for one compiled ontology."""

    def __init__(self, rules: Rules, vocab: Vocab, ontology: Iterable[Quad] = ()) -> None:
        self.rules = rules
        self.individual = ShaclValidator(to_rdflib(individual_value_shapes(rules, vocab)))
        marked = {
            q.subject
            for q in ontology
            if q.predicate == vocab.parley.derivedOnly and isinstance(q.subject, NamedNode)
        }
        #: Properties only the rules may state: the marked ones and their inverses.
        self.derived_only = frozenset(
            marked | {inv for p in marked for inv in rules.inverses.get(p, ())}
        )

    def check_statement(self, quad: Quad) -> None:
        """Refuse a statement of the model in a data graph.

        :raises OntologyStatementError: with the statement.
        """
        s, p, o = quad.subject, quad.predicate, quad.object
        terms = self.rules.tbox_terms
        reason = None
        if p in _TBOX_PREDICATES or (p.value.startswith(str(OWL)) and p != OWL.sameAs):
            reason = f"{p.value} states an axiom of the model"
        elif p in self.derived_only:
            raise OntologyStatementError(
                f"{p.value} is derived by the ontology's rules and is never stated: state the "
                "stances it follows from (parley:supportsProposition, parley:opposesProposition)",
                statement=f"{s} {p} {o} .",
            )
        elif p == RDF.type and (
            o in _MODEL_TYPES or (OWL.contains(o) and o not in _INDIVIDUAL_TYPES)
        ):
            reason = f"typing a node {o} declares a term of the model"
        elif isinstance(s, NamedNode) and (s in terms or s.value.startswith(_BUILT_IN)):
            reason = f"{s.value} is a term of the ontology or of the RDF/OWL vocabularies"
        elif (
            p in self.rules.individual_valued
            and isinstance(o, NamedNode)
            and (o in terms or o.value.startswith(_BUILT_IN))
        ):
            reason = (
                f"{o.value} is a term of the model, and {p.value} (which has an inverse or "
                "is reasoned over) would state something about it"
            )
        if reason is not None:
            raise OntologyStatementError(
                f"the model changes only by rebuilding the store (`parley build`): {reason}",
                statement=f"{s} {p} {o} .",
            )

    def individual_values(self, quads: Iterable[Quad]) -> ValidationReport | None:
        """The report on literal values of individual-valued properties, if any."""
        literal = [
            q
            for q in quads
            if q.predicate in self.rules.individual_valued and isinstance(q.object, Literal)
        ]
        return self.individual.validate(literal) if literal else None


def check_seed_data(data: list[Quad], ontology: list[Quad], vocab: Vocab) -> None:
    """``parley build``'s check of the data files: the guard, on every quad.

    :raises UnsupportedOntologyError: the reasoner cannot follow the ontology.
    :raises OntologyStatementError: a data file states the model.
    :raises ShapeViolationError: an individual-valued property has a literal value.
    """
    guard = ModelGuard(compile_rules(ontology), vocab, ontology)
    for quad in data:
        guard.check_statement(quad)
    report = guard.individual_values(data)
    if report is not None and not report.conforms:
        raise ShapeViolationError(
            "the data gives literal values to properties that relate individuals; "
            "the store was not changed",
            report=report,
        )
