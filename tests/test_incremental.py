"""The incremental reasoner against owlrl's full closure (the reference).

Random sequences of additions and deletions are applied to a store through
``service.reasoning._inferred.infer_change``; after each step ``graph/inferred`` must equal
what ``service.reasoning._owlrl_closure.closure`` computes from scratch on the same asserted
data. Two ontologies: a small one that uses every supported construct (so
owlrl stays fast enough to run per step), and the project's own.
"""

from __future__ import annotations

import functools
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from service.build._files import ModelFiles, load_data, load_ontology
from service.errors import UnsupportedOntologyError
from service.rdf import (
    DCTERMS,
    RDF,
    RDFS,
    SKOS,
    TURTLE,
    XSD,
    Literal,
    NamedNode,
    Quad,
    Vocab,
    parse,
)
from service.reasoning import Reasoner, closure, compile_rules, infer_change
from service.settings import PROJECT_ROOT
from service.store import ChangeSet, OxigraphStore

VOCAB = Vocab("http://h/")
ONT = "http://h/ontology#"

#: Every construct the compiler supports, in a few axioms.
SMALL_ONTOLOGY = f"""
@prefix : <{ONT}> . @prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
:A a owl:Class ; rdfs:subClassOf :B . :B a owl:Class ; owl:equivalentClass :C .
:C a owl:Class . :D a owl:Class . :E a owl:Class . :F a owl:Class . :G a owl:Class .
:p a owl:ObjectProperty ; rdfs:subPropertyOf :q ; owl:inverseOf :pi ; rdfs:domain :A .
:q a owl:ObjectProperty ; owl:equivalentProperty :q2 ; rdfs:range :D .
:q2 a owl:ObjectProperty . :pi a owl:ObjectProperty .
:s a owl:ObjectProperty, owl:SymmetricProperty .
:t a owl:ObjectProperty, owl:TransitiveProperty ; owl:inverseOf :ti . :ti a owl:ObjectProperty .
:h a owl:ObjectProperty ; owl:propertyChainAxiom ( :p :t ) .
:r a owl:ObjectProperty ; owl:propertyChainAxiom ( :r :s ) .
:d a owl:DatatypeProperty ; rdfs:subPropertyOf :d2 ;
    rdfs:range <http://www.w3.org/2001/XMLSchema#integer> .
:d2 a owl:DatatypeProperty .
[ a owl:Restriction ; owl:onProperty :p ; owl:someValuesFrom :D ] rdfs:subClassOf :E .
[ a owl:Restriction ; owl:onProperty :q ;
  owl:someValuesFrom [ a owl:Restriction ; owl:onProperty :t ; owl:hasValue :v ] ]
    rdfs:subClassOf :F .
[ owl:unionOf ( [ a owl:Restriction ; owl:onProperty :p ; owl:hasValue :v ]
                [ a owl:Restriction ; owl:onProperty :s ; owl:someValuesFrom owl:Thing ] ) ]
    rdfs:subClassOf :G .
"""

INDIVIDUALS = [NamedNode(f"http://h/id/i{n}") for n in range(5)] + [NamedNode(ONT + "v")]
OBJECT_PROPS = [NamedNode(ONT + n) for n in ("p", "q", "q2", "pi", "s", "t", "ti", "h", "r")]
CLASSES = [NamedNode(ONT + n) for n in "ABCDEFG"]
GRAPHS = [VOCAB.graph("a"), VOCAB.graph("claims/b")]


def _individual(n: int) -> NamedNode:
    # :v is named by the ontology (as a value) but is not one of its subjects.
    return INDIVIDUALS[n]


@st.composite
def small_quads(draw: st.DrawFn) -> Quad:
    graph = draw(st.sampled_from(GRAPHS))
    subject = _individual(draw(st.integers(0, 4)))
    kind = draw(st.sampled_from(["object", "object", "object", "type", "literal"]))
    if kind == "type":
        return Quad(subject, RDF.type, draw(st.sampled_from(CLASSES)), graph)
    if kind == "literal":
        value = Literal(str(draw(st.integers(0, 2))), datatype=XSD.integer)
        return Quad(subject, NamedNode(ONT + "d"), value, graph)
    prop = draw(st.sampled_from(OBJECT_PROPS))
    return Quad(subject, prop, _individual(draw(st.integers(0, 5))), graph)


#: owlrl's closures, by ontology and asserted state (``Harness.reference``).
_REFERENCES: dict[tuple[frozenset[Quad], frozenset[Quad]], set[Quad]] = {}


class Harness:
    """A store, its ontology, and the write path's inference upkeep."""

    def __init__(self, ontology: list[Quad]) -> None:
        self.ontology = ontology
        self.reasoner = Reasoner(compile_rules(ontology))
        self.store = OxigraphStore.open(None, VOCAB)
        self.store.bulk_extend(ontology)

    def asserted(self) -> list[Quad]:
        return [q for q in self.store.quads() if VOCAB.is_reasoned_graph(q.graph_name)]

    def apply(self, delete: list[Quad], insert: list[Quad]) -> None:
        present = set(self.asserted())
        delete = [q for q in dict.fromkeys(delete) if q in present]
        insert = [q for q in dict.fromkeys(insert) if q not in present and q not in delete]
        change = infer_change(self.reasoner, self.store, VOCAB, delete, insert)
        self.store.commit(ChangeSet(delete=delete + change.delete, insert=insert + change.insert))

    def inferred(self) -> set[Quad]:
        return set(self.store.quads(None, None, None, VOCAB.inferred_graph))

    def reference(self) -> set[Quad]:
        """owlrl's closure of the asserted quads: the truth the upkeep is held to. A state
        met before (the fixture whole, a deletion wholly restored) is looked up, not
        closed again: owlrl takes over a second on the project's model."""
        key = (frozenset(self.ontology), frozenset(self.asserted()))
        if key not in _REFERENCES:
            _REFERENCES[key] = set(closure(self.asserted(), self.ontology, VOCAB.inferred_graph))
        return _REFERENCES[key]

    def check(self) -> None:
        got, want = self.inferred(), self.reference()
        assert sorted(map(str, got - want)) == [], "inferred but not entailed"
        assert sorted(map(str, want - got)) == [], "entailed but not inferred"


#: The shape of the project's positions and disputes (``ontology/parley.ttl``), in short
#: names: claims ``c`` by a claimant (``cl``, inverse ``mk``: makes claim) ``sp`` support or
#: ``op`` oppose a proposition (inverses ``spi``, ``opi``); two claims with opposite stances
#: on one proposition ``di`` (dispute, symmetric); a claim that disputes one is a ``:Dc``
#: (disputed claim); agents support (``ps``) or oppose (``po``) a position through the
#: claims they make (chains over an inverse); two agents with opposite positions are ``dw``
#: (in dispute with: a chain over chains, symmetric).
POSITIONS_ONTOLOGY = f"""
@prefix : <{ONT}> . @prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
:C a owl:Class . :Dc a owl:Class ; rdfs:subClassOf :C .
:cl a owl:ObjectProperty ; owl:inverseOf :mk . :mk a owl:ObjectProperty .
:sp a owl:ObjectProperty ; owl:inverseOf :spi ; rdfs:domain :C . :spi a owl:ObjectProperty .
:op a owl:ObjectProperty ; owl:inverseOf :opi ; rdfs:domain :C . :opi a owl:ObjectProperty .
:di a owl:ObjectProperty, owl:SymmetricProperty ; owl:propertyChainAxiom ( :sp :opi ) .
:ps a owl:ObjectProperty ; owl:propertyChainAxiom ( :mk :sp ) ; owl:inverseOf :psi .
:po a owl:ObjectProperty ; owl:propertyChainAxiom ( :mk :op ) ; owl:inverseOf :poi .
:psi a owl:ObjectProperty . :poi a owl:ObjectProperty .
:dw a owl:ObjectProperty, owl:SymmetricProperty ; owl:propertyChainAxiom ( :ps :poi ) .
[ a owl:Restriction ; owl:onProperty :di ; owl:someValuesFrom :C ] rdfs:subClassOf :Dc .
"""

CLAIMS = [NamedNode(f"http://h/id/claim{n}") for n in range(4)]
AGENTS = [NamedNode(f"http://h/id/agent{n}") for n in range(3)]
PROPOSITIONS = [NamedNode(f"http://h/id/prop{n}") for n in range(2)]


@st.composite
def stance_quads(draw: st.DrawFn) -> Quad:
    """A claimant or a stance of a claim: the facts the dispute rules follow."""
    graph = draw(st.sampled_from(GRAPHS))
    claim = draw(st.sampled_from(CLAIMS))
    kind = draw(st.sampled_from(["claimant", "supports", "opposes"]))
    if kind == "claimant":
        return Quad(claim, NamedNode(ONT + "cl"), draw(st.sampled_from(AGENTS)), graph)
    prop = NamedNode(ONT + ("sp" if kind == "supports" else "op"))
    return Quad(claim, prop, draw(st.sampled_from(PROPOSITIONS)), graph)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_dispute_rules_random_changes(data: st.DataObject) -> None:
    """Disputes come and go with the stances and claimants they follow from."""
    harness = Harness(parse(POSITIONS_ONTOLOGY.encode(), TURTLE, graph=VOCAB.ontology_graph))
    for _step in range(data.draw(st.integers(1, 3), label="steps")):
        current = harness.asserted()
        doomed = data.draw(st.lists(st.sampled_from(current), max_size=4)) if current else []
        added = data.draw(st.lists(stance_quads(), max_size=8))
        harness.apply(doomed, added)
        harness.check()


def test_dispute_rules_derive_what_the_model_says() -> None:
    """The reference itself, on a known case: opposite stances of two claimants."""
    harness = Harness(parse(POSITIONS_ONTOLOGY.encode(), TURTLE, graph=VOCAB.ontology_graph))
    c0, c1, c2 = CLAIMS[:3]
    a0, a1 = AGENTS[:2]
    p0 = PROPOSITIONS[0]
    term = {n: NamedNode(ONT + n) for n in ("cl", "sp", "op", "di", "dw", "Dc")}
    g = GRAPHS[0]
    harness.apply(
        [],
        [
            Quad(c0, term["cl"], a0, g),
            Quad(c1, term["cl"], a1, g),
            Quad(c2, term["cl"], a0, g),
            Quad(c0, term["sp"], p0, g),
            Quad(c2, term["sp"], p0, g),
            Quad(c1, term["op"], p0, g),
        ],
    )
    inferred = {q.triple for q in harness.inferred()}
    di = {(q[0], q[2]) for q in inferred if q[1] == term["di"]}
    assert di == {(c0, c1), (c1, c0), (c2, c1), (c1, c2)}
    dw = {(q[0], q[2]) for q in inferred if q[1] == term["dw"]}
    assert dw == {(a0, a1), (a1, a0)}
    assert {q[0] for q in inferred if q[1] == RDF.type and q[2] == term["Dc"]} == {c0, c1, c2}
    harness.check()
    harness.apply([Quad(c1, term["op"], p0, g)], [])
    assert not any(q.predicate in (term["di"], term["dw"]) for q in harness.inferred())
    harness.check()


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_small_ontology_random_changes(data: st.DataObject) -> None:
    harness = Harness(parse(SMALL_ONTOLOGY.encode(), TURTLE, graph=VOCAB.ontology_graph))
    for _step in range(data.draw(st.integers(1, 4), label="steps")):
        current = harness.asserted()
        doomed = data.draw(st.lists(st.sampled_from(current), max_size=5)) if current else []
        added = data.draw(st.lists(small_quads(), max_size=8))
        harness.apply(doomed, added)
        harness.check()


#: Annotations entail nothing; leaving them out makes owlrl twice as fast.
ANNOTATIONS = {RDFS.label, SKOS.definition, SKOS.prefLabel, SKOS.inScheme, DCTERMS.license}


def _model() -> tuple[list[Quad], list[Quad]]:
    """The project's ontology (its axioms) and the gate's fixture data, parsed once: the
    same quads, blank nodes and all, for every test, so that a state one test met (the
    fixture whole) is looked up by the next (``Harness.reference``), not closed again."""
    axioms, data = _parsed_model()
    return list(axioms), list(data)


@functools.cache
def _parsed_model() -> tuple[tuple[Quad, ...], tuple[Quad, ...]]:
    fixture = PROJECT_ROOT / "tests" / "fixtures" / "gate" / "data"
    files = ModelFiles(PROJECT_ROOT / "ontology", PROJECT_ROOT / "shapes", fixture)
    ontology = load_ontology(files, VOCAB)
    axioms = [q for q in ontology if q.predicate not in ANNOTATIONS]
    # The same terms are described, so the inferred graph's policy is the same.
    assert {q.subject for q in axioms} == {q.subject for q in ontology}
    return tuple(axioms), tuple(load_data(files, VOCAB))


def test_fixture_inserted_whole_matches_the_build() -> None:
    ontology, data = _model()
    harness = Harness(ontology)
    harness.apply([], data)
    assert len(harness.inferred()) > 100  # the fixture exercises every kind of inference
    harness.check()


@settings(max_examples=2, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_project_ontology_random_deletions_and_restores(data: st.DataObject) -> None:
    ontology, fixture = _model()
    harness = Harness(ontology)
    harness.apply([], fixture)
    for _step in range(2):
        doomed = data.draw(st.lists(st.sampled_from(harness.asserted()), min_size=1, max_size=12))
        restored = data.draw(st.lists(st.sampled_from(doomed), max_size=len(doomed)))
        harness.apply(doomed, [])
        harness.check()
        harness.apply([], restored)
        harness.check()


def test_project_ontology_stance_deleted_and_restored() -> None:
    """The fixture's dispute (C2 and C3, the analysts and Zelensky) ends when C3's stance
    goes, and comes back with it; owlrl agrees at each step."""
    ontology, fixture = _model()
    harness = Harness(ontology)
    harness.apply([], fixture)
    parley = VOCAB.parley
    stance = next(q for q in fixture if q.predicate == parley.opposesProposition)
    disputes = {q for q in harness.inferred() if q.predicate == parley.disputes}
    assert {(q.subject, q.object) for q in disputes} == {
        (VOCAB.id["claim/C2"], VOCAB.id["claim/C3"]),
        (VOCAB.id["claim/C3"], VOCAB.id["claim/C2"]),
    }
    harness.apply([stance], [])
    assert not {q for q in harness.inferred() if q.predicate == parley.disputes}
    harness.check()
    harness.apply([], [stance])
    assert {q for q in harness.inferred() if q.predicate == parley.disputes} == disputes
    harness.check()


def test_asserting_an_inferred_triple_moves_it_out_and_back() -> None:
    harness = Harness(parse(SMALL_ONTOLOGY.encode(), TURTLE, graph=VOCAB.ontology_graph))
    i0, i1 = INDIVIDUALS[0], INDIVIDUALS[1]
    p, q = NamedNode(ONT + "p"), NamedNode(ONT + "q")
    harness.apply([], [Quad(i0, p, i1, GRAPHS[0])])
    inferred_q = Quad(i0, q, i1, VOCAB.inferred_graph)
    assert inferred_q in harness.inferred()
    harness.apply([], [Quad(i0, q, i1, GRAPHS[1])])
    assert inferred_q not in harness.inferred()
    harness.check()
    harness.apply([Quad(i0, q, i1, GRAPHS[1])], [])
    assert inferred_q in harness.inferred()
    harness.check()


@pytest.mark.parametrize(
    ("axiom", "message"),
    [
        (":p a owl:FunctionalProperty .", "FunctionalProperty"),
        (":p owl:propertyChainAxiom ( :p :p :p ) .", "two-step"),
        (
            "[ a owl:Restriction ; owl:onProperty :p ; owl:allValuesFrom :A ] rdfs:subClassOf :B .",
            "allValuesFrom",
        ),
        (
            ":A rdfs:subClassOf [ a owl:Restriction ; owl:onProperty :p ; owl:hasValue :v ] .",
            "superclass",
        ),
        (":A owl:disjointWith :B .", "disjointWith"),
        (":role :p :v .", "facts with a reasoned property"),
    ],
)
def test_unsupported_constructs_fail_at_compile_time(axiom: str, message: str) -> None:
    text = f"@prefix : <{ONT}> . @prefix owl: <http://www.w3.org/2002/07/owl#> . "
    text += "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> . "
    text += ":p rdfs:subPropertyOf :q . " + axiom
    with pytest.raises(UnsupportedOntologyError, match=message):
        compile_rules(parse(text.encode(), TURTLE, graph=VOCAB.ontology_graph))


def test_project_ontology_compiles() -> None:
    rules = compile_rules(_model()[0])
    parley = VOCAB.parley
    assert parley.claimant in rules.individual_valued  # it has an inverse
    assert parley.actsOnBehalfOf in rules.individual_valued  # via the involves chain
    assert parley.modality not in rules.individual_valued  # its values are ontology terms


def test_incremental_engine_agrees_with_the_build_on_the_real_model(
    built_store: Path, vocab: Vocab
) -> None:
    """``parley build`` reasons with owlrl; the write path keeps the result current
    incrementally. Both, on the seed data in ``data/``, give the same inferred graph."""
    built = OxigraphStore.open_read_only(built_store, vocab)
    try:
        ontology = list(built.quads(None, None, None, vocab.ontology_graph))
        data = [q for q in built.quads() if vocab.is_reasoned_graph(q.graph_name)]
        by_build = set(built.quads(None, None, None, vocab.inferred_graph))
    finally:
        built.close()
    assert data, "the seed data is built"
    store = OxigraphStore.open(None, vocab)
    store.bulk_extend(ontology)
    reasoner = Reasoner(compile_rules(ontology))
    change = infer_change(reasoner, store, vocab, [], data)
    assert change.delete == []
    assert set(change.insert) == by_build
