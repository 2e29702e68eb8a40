"""The write gate through its API, on stores opened in the test process.

The key property: the verdict the gate reaches in context (a few nodes, a few
hundred triples) is the verdict a validation of the whole store reaches, for
random changes (``test_in_context_verdict_equals_whole_store_verdict``).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from service.errors import OntologyStatementError, ProtectedGraphError, ShapeViolationError
from service.gate import ShaclValidator
from service.gate._write_gate import GateModel, WriteGate
from service.rdf import (
    RDF,
    TURTLE,
    XSD,
    BlankNode,
    Literal,
    NamedNode,
    Quad,
    Vocab,
    parse,
    to_rdflib,
)
from service.reasoning import closure, infer_change
from service.store import ChangeSet, OxigraphStore
from tests import gatekit
from tests.gate_examples import EXAMPLES, PREFIXES, claim
from tests.gatekit import dump, full_report

BASE = "http://gate.test/"
VOCAB = Vocab(BASE)
AGENT = BASE + "id/agent/test"


@pytest.fixture(scope="module")
def fixture_quads() -> list[Quad]:
    """The fixture model, built once: every quad of the store."""
    return gatekit.fixture_quads(BASE)


@pytest.fixture(scope="module")
def model(fixture_quads: list[Quad]) -> GateModel:
    return GateModel.from_store(_memory_store(fixture_quads))


def _memory_store(quads: list[Quad]) -> OxigraphStore:
    store = OxigraphStore.open(None, VOCAB)
    store.bulk_extend(quads)
    return store


@pytest.fixture
def store(fixture_quads: list[Quad]) -> Iterator[OxigraphStore]:
    s = _memory_store(fixture_quads)
    yield s
    s.close()


@pytest.fixture
def gate(store: OxigraphStore, model: GateModel) -> WriteGate:
    return WriteGate(store, model)


def turtle(text: str, graph: str = "graph/claims/article", token: str = "t") -> list[Quad]:
    body = (PREFIXES + text.replace("{k}", token)).encode()
    return parse(body, TURTLE, base_iri=BASE, graph=VOCAB.graph(graph.removeprefix("graph/")))


def test_the_fixture_conforms_as_a_whole(store: OxigraphStore) -> None:
    assert full_report(store).conforms


# -- the verdict in context is the verdict on the whole store ------------------------


def _pool() -> list[tuple[str, list[Quad]]]:
    groups = []
    for n, example in enumerate(EXAMPLES):
        if example.shape == "IndividualValuesShape":
            continue  # checked on what is sent, not by the shapes (see test below)
        for which in ("valid", "invalid"):
            graph = example.graph.replace("{k}", f"{which[0]}{n}")
            body = example.text(which, f"{which[0]}{n}")
            target = NamedNode(BASE + graph)
            groups.append(
                (f"{example.shape}-{which}", parse(body, TURTLE, base_iri=BASE, graph=target))
            )
    return groups


POOL = _pool()


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_in_context_verdict_equals_whole_store_verdict(
    data: st.DataObject, fixture_quads: list[Quad], model: GateModel
) -> None:
    store = _memory_store(fixture_quads)
    gate = WriteGate(store, model)
    asserted = sorted((q for q in fixture_quads if VOCAB.is_reasoned_graph(q.graph_name)), key=str)
    groups = data.draw(st.lists(st.sampled_from(POOL), max_size=2), label="inserted")
    doomed = data.draw(st.lists(st.sampled_from(asserted), max_size=4), label="deleted")
    change = ChangeSet(delete=doomed, insert=[q for _name, quads in groups for q in quads])
    in_context = gate.validate(change)
    # Apply the change whatever the verdict, with its inferences, and validate everything.
    prepared = gate.prepare(change)
    inferred = infer_change(gate.reasoner, store, VOCAB, prepared.delete, prepared.insert)
    store.commit(
        ChangeSet(
            delete=[*prepared.delete, *inferred.delete],
            insert=[*prepared.insert, *inferred.insert],
        )
    )
    whole = full_report(store)

    def results(report: object) -> set[tuple[str, str, str]]:
        return {(r.focus_node, r.source_shape, r.message) for r in report.results}  # type: ignore[attr-defined]

    assert results(in_context) == results(whole)
    assert in_context.conforms == whole.conforms
    store.close()


def test_in_context_verdict_on_a_relation_stated_the_other_way(gate: WriteGate) -> None:
    """C3 contradicts C2 (stated, with its rdf:Statement); C2 contradicts C3 is inferred
    (the relation is symmetric), and its provenance is the same statement read the other
    way. A change that makes C2 a focus must see that statement in context."""
    c2 = VOCAB.id["claim/C2"]
    doomed = list(gate.store.quads(c2, RDFS_LABEL, None))
    in_context = gate.validate(ChangeSet(delete=doomed))
    assert {(r.focus_node, r.source_shape) for r in in_context.results} == {
        (f"<{c2.value}>", f"<{BASE}shapes#ClaimShape-label>")
    }


def test_validating_focus_nodes_gives_the_whole_verdict_about_them(store: OxigraphStore) -> None:
    """``ShaclValidator.validate`` with focus nodes (``parley validate`` without a store)
    evaluates only their shapes: the results about them are those of the whole data's
    validation. Every broken and valid example at once; the invalid ones' nodes in focus."""
    data = [*gatekit.data_quads(store), *(q for _name, quads in POOL for q in quads)]
    shapes = list(store.quads(None, None, None, VOCAB.shapes_graph))
    validator = ShaclValidator(
        to_rdflib(shapes), list(store.quads(None, None, None, VOCAB.ontology_graph))
    )
    focus = {
        term
        for name, quads in POOL
        if name.endswith("-invalid")
        for q in quads
        for term in (q.subject, q.object)
        if isinstance(term, NamedNode)
    }
    wanted = {f"<{node.value}>" for node in focus}
    whole = [r for r in validator.validate(data).results if r.focus_node in wanted]
    focused = validator.validate(data, focus_nodes=focus)
    assert whole, "the broken examples break the shapes"
    assert focused.results == tuple(whole)
    assert not focused.conforms


# -- every shape, through the gate API ---------------------------------------------


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda e: e.shape)
def test_each_shape_valid_and_invalid(gate: WriteGate, example: object) -> None:
    from tests.gate_examples import Example

    assert isinstance(example, Example)
    graph = VOCAB.graph(example.graph.removeprefix("graph/").replace("{k}", "v"))
    valid = parse(example.text("valid", "v"), TURTLE, base_iri=BASE, graph=graph)
    assert gate.submit(ChangeSet(insert=valid), agent=AGENT, operation="test").committed
    graph = VOCAB.graph(example.graph.removeprefix("graph/").replace("{k}", "i"))
    invalid = parse(example.text("invalid", "i"), TURTLE, base_iri=BASE, graph=graph)
    before = dump(gate.store)  # type: ignore[arg-type]
    with pytest.raises(ShapeViolationError) as refused:
        gate.submit(ChangeSet(insert=invalid), agent=AGENT, operation="test")
    messages = [r["message"] for r in refused.value.extras["results"]]
    assert any(example.message in m for m in messages), messages
    assert dump(gate.store) == before  # type: ignore[arg-type]


# -- deletions that break other data ---------------------------------------------------


def test_removing_the_editor_a_review_cites_is_refused(gate: WriteGate) -> None:
    editor = VOCAB.id["editor/parley"]
    doomed = list(gate.store.quads(editor, None, None, VOCAB.editorial_graph))
    with pytest.raises(ShapeViolationError) as refused:
        gate.submit(ChangeSet(delete=doomed), agent=AGENT, operation="test")
    focus = {r["focusNode"] for r in refused.value.extras["results"]}
    # The reviews, not the deleted editor.
    assert focus == {f"<{BASE}id/review/C1>", f"<{BASE}id/review/R2>"}


def test_removing_a_reported_claim_is_refused(gate: WriteGate) -> None:
    """R2 reports C2: without its statements C2 is still a claim (the range of
    reportsClaim), and one without claimant, evidence or source."""
    c2 = VOCAB.id["claim/C2"]
    graph = VOCAB.claims_graph("article")
    doomed = list(gate.store.quads(c2, None, None, graph))
    with pytest.raises(ShapeViolationError) as refused:
        gate.submit(ChangeSet(delete=doomed), agent=AGENT, operation="test")
    messages = " ".join(r["message"] for r in refused.value.extras["results"])
    assert "exactly one claimant" in messages


def test_removing_a_claim_with_everything_that_points_to_it_is_accepted(gate: WriteGate) -> None:
    """C2 goes with R2 (which reports it), R2's review, and the editor's statement that C3
    contradicts C2; C3 stays, and so does the proposition C2 supported."""
    c2, r2 = VOCAB.id["claim/C2"], VOCAB.id["claim/R2"]
    review, statement = VOCAB.id["review/R2"], VOCAB.id["claim/C3#contradicts-C2"]
    asserted = [q for q in gate.store.quads() if VOCAB.is_reasoned_graph(q.graph_name)]
    doomed = [
        q
        for q in asserted
        if str(q.subject).strip("<>").startswith((c2.value, r2.value))
        or q.subject in (review, statement)
        or q.object in (c2, r2)
    ]
    outcome = gate.submit(ChangeSet(delete=doomed), agent=AGENT, operation="test")
    assert outcome.committed
    assert outcome.removed == len(doomed)
    # Nothing inferred about the removed claims is left behind: no dispute either.
    assert not list(gate.store.quads(c2, None, None, VOCAB.inferred_graph))
    assert not list(gate.store.quads(None, None, c2, VOCAB.inferred_graph))
    c3 = VOCAB.id["claim/C3"]
    assert not list(gate.store.quads(c3, VOCAB.parley.disputes, None))
    assert not list(gate.store.quads(c3, RDF.type, VOCAB.parley.DisputedClaim))


# -- what no data write may do ----------------------------------------------------------


@pytest.mark.parametrize("graph", ["ontology", "shapes", "inferred", "provenance"])
def test_build_only_graphs_are_refused(gate: WriteGate, graph: str) -> None:
    quad = Quad(VOCAB.id.x, RDF.type, VOCAB.parley.Claim, VOCAB.graph(graph))
    with pytest.raises(ProtectedGraphError):
        gate.submit(ChangeSet(insert=[quad]), agent=AGENT, operation="test")
    with pytest.raises(ProtectedGraphError):
        gate.submit(ChangeSet(drop_graphs=[VOCAB.graph(graph)]), agent=AGENT, operation="test")


@pytest.mark.parametrize(
    "statement",
    [
        "id:X rdfs:subClassOf parley:Claim .",
        "id:X a owl:Class .",
        "id:X owl:inverseOf parley:claimant .",
        'parley:Claim rdfs:label "a claim"@en .',
        'rdf:type rdfs:label "type"@en .',
        "<id/claim/C1> parley:reportedIn parley:Claim .",
    ],
)
def test_ontology_statements_in_data_graphs_are_refused(gate: WriteGate, statement: str) -> None:
    prefixes = "@prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .\n"
    quads = turtle(prefixes + statement)
    before = dump(gate.store)  # type: ignore[arg-type]
    with pytest.raises(OntologyStatementError, match="rebuilding"):
        gate.submit(ChangeSet(insert=quads), agent=AGENT, operation="test")
    assert dump(gate.store) == before  # type: ignore[arg-type]


def test_writes_to_other_graphs_pass_unvalidated_without_a_record(gate: WriteGate) -> None:
    own = NamedNode("http://example.org/mine")
    quads = [Quad(NamedNode("http://example.org/a"), RDFS_SUBCLASS, VOCAB.parley.Claim, own)]
    outcome = gate.submit(ChangeSet(insert=quads), agent=AGENT, operation="test")
    assert outcome.committed
    assert outcome.record is None
    assert set(gate.store.quads(None, None, None, own)) == set(quads)


RDFS_SUBCLASS = NamedNode("http://www.w3.org/2000/01/rdf-schema#subClassOf")
RDFS_LABEL = NamedNode("http://www.w3.org/2000/01/rdf-schema#label")


# -- literals, blank nodes, provenance ---------------------------------------------------


def test_literals_are_validated_as_sent_and_stored_canonical(gate: WriteGate) -> None:
    outcome = gate.submit(
        ChangeSet(insert=turtle(claim(start="0123"))), agent=AGENT, operation="test"
    )
    selector = VOCAB.id["claim/Xt#p"]
    start = NamedNode("http://www.w3.org/ns/oa#start")
    stored = [q.object for q in gate.store.quads(selector, start, None)]
    assert stored == [Literal("123", datatype=XSD.integer)]
    # The record lists the statement as the store holds it.
    assert outcome.record is not None
    objects = {
        q.object
        for q in gate.store.quads(None, RDF.object, None, VOCAB.provenance_graph)
        if isinstance(q.object, Literal) and q.object.datatype == XSD.integer
    }
    assert Literal("123", datatype=XSD.integer) in objects


def test_a_literal_the_store_would_rewrite_into_a_valid_one_is_refused(gate: WriteGate) -> None:
    """``"123"^^xsd:int`` would be stored as ``xsd:integer`` (which the shape accepts);
    the client sent an ``xsd:int``, which it does not."""
    quads = turtle(claim().replace('"123"^^xsd:nonNegativeInteger', '"123"^^xsd:int'))
    with pytest.raises(ShapeViolationError, match="breaks the shapes"):
        gate.submit(ChangeSet(insert=quads), agent=AGENT, operation="test")


def test_blank_nodes_become_skolem_iris(gate: WriteGate) -> None:
    text = claim(
        extra="; parley:hasStance [ a parley:Stance ; parley:stanceToward id:USA ; "
        "parley:stanceValue parley:stance-neutral ]"
    )
    outcome = gate.submit(ChangeSet(insert=turtle(text)), agent=AGENT, operation="test")
    stances = list(gate.store.quads(VOCAB.id["claim/Xt"], VOCAB.parley.hasStance, None))
    assert len(stances) == 1
    assert VOCAB.genid.contains(stances[0].object)
    assert not any(isinstance(q.subject, BlankNode) for q in outcome.changes.insert)


def test_each_write_leaves_a_record(gate: WriteGate) -> None:
    quads = turtle(claim())
    outcome = gate.submit(ChangeSet(insert=quads), agent=AGENT, operation="test")
    assert outcome.record is not None
    rows = gate.store.select(
        f"""SELECT ?agent ?added ?removed ?inferred ?graph (COUNT(?st) AS ?statements)
        WHERE {{ GRAPH graph:provenance {{
            <{outcome.record}> a parley:WriteRecord ; prov:wasAssociatedWith ?agent ;
                parley:addedCount ?added ; parley:removedCount ?removed ;
                parley:inferredCount ?inferred ; parley:targetGraph ?graph ;
                parley:addedStatement ?st .
            ?st a rdf:Statement ; parley:inGraph ?graph . }} }}
        GROUP BY ?agent ?added ?removed ?inferred ?graph"""
    )
    assert len(rows) == 1
    row = rows[0]
    assert row["agent"] == NamedNode(AGENT)
    assert int(row["added"].value) == len(quads) == int(row["statements"].value)
    assert int(row["removed"].value) == 0
    assert int(row["inferred"].value) == outcome.inferred_added > 0
    assert row["graph"] == VOCAB.claims_graph("article")


def test_a_dry_run_writes_nothing(gate: WriteGate) -> None:
    before = dump(gate.store)  # type: ignore[arg-type]
    outcome = gate.submit(
        ChangeSet(insert=turtle(claim())), agent=AGENT, operation="test", dry_run=True
    )
    assert not outcome.committed
    assert outcome.added == len(turtle(claim()))
    assert outcome.inferred_added > 0
    assert dump(gate.store) == before  # type: ignore[arg-type]


# -- the inferred graph after writes -----------------------------------------------------


def _check_inferred(store: OxigraphStore) -> None:
    ontology = list(store.quads(None, None, None, VOCAB.ontology_graph))
    asserted = [q for q in store.quads() if VOCAB.is_reasoned_graph(q.graph_name)]
    want = set(closure(asserted, ontology, VOCAB.inferred_graph))
    got = set(store.quads(None, None, None, VOCAB.inferred_graph))
    assert sorted(map(str, got - want)) == []
    assert sorted(map(str, want - got)) == []


def test_inferred_graph_after_additions_and_deletions(gate: WriteGate) -> None:
    store = gate.store
    assert isinstance(store, OxigraphStore)
    factual = claim(claim_type="parley:claimType parley:type-factual ;")
    gate.submit(ChangeSet(insert=turtle(factual)), agent=AGENT, operation="test")
    # R2's review makes it contested; removing the review retracts that, and a new
    # review makes the new (checkable) claim supported.
    review = VOCAB.id["review/R2"]
    gate.submit(
        ChangeSet(
            delete=list(store.quads(review, None, None, VOCAB.editorial_graph)),
            insert=turtle(
                """<id/review/X{k}> a parley:ClaimReview ; parley:reviews <id/claim/X{k}> ;
                parley:accuracy parley:accuracy-consistent ; schema:author <id/editor/parley> ;
                schema:reviewBody "The record agrees with the claim, as far as it goes."@en ;
                dcterms:source <id/ref/reuters> .""",
                graph="graph/editorial",
            ),
        ),
        agent=AGENT,
        operation="test",
    )
    contested = Quad(
        VOCAB.id["claim/R2"], RDF.type, VOCAB.parley.ContestedClaim, VOCAB.inferred_graph
    )
    supported = Quad(
        VOCAB.id["claim/Xt"], RDF.type, VOCAB.parley.SupportedClaim, VOCAB.inferred_graph
    )
    inferred = set(store.quads(None, None, None, VOCAB.inferred_graph))
    assert contested not in inferred
    assert supported in inferred
    _check_inferred(store)


def test_replacing_a_graph_keeps_what_is_put_back(gate: WriteGate) -> None:
    graph = VOCAB.editorial_graph
    kept = list(gate.store.quads(None, None, None, graph))
    outcome = gate.submit(
        ChangeSet(drop_graphs=[graph], insert=kept), agent=AGENT, operation="test"
    )
    assert (outcome.added, outcome.removed) == (0, 0)
    assert set(gate.store.quads(None, None, None, graph)) == set(kept)


def test_asserting_an_inferred_triple_moves_it_out_of_the_inferred_graph(gate: WriteGate) -> None:
    c1, putin = VOCAB.id["claim/C1"], VOCAB.id.Putin
    attributed = NamedNode("http://www.w3.org/ns/prov#wasAttributedTo")
    inferred = Quad(c1, attributed, putin, VOCAB.inferred_graph)
    asserted = Quad(c1, attributed, putin, VOCAB.claims_graph("article"))
    assert inferred in set(gate.store.quads(c1, attributed, None))
    gate.submit(ChangeSet(insert=[asserted]), agent=AGENT, operation="test")
    assert set(gate.store.quads(c1, attributed, None)) == {asserted}
    gate.submit(ChangeSet(delete=[asserted]), agent=AGENT, operation="test")
    assert set(gate.store.quads(c1, attributed, None)) == {inferred}


def test_the_model_is_read_from_the_store(tmp_path: Path) -> None:
    """A scratch store (no ontology, no shapes) takes any data, reasons about nothing."""
    store = OxigraphStore.open(tmp_path / "s", VOCAB)
    gate = WriteGate(store)
    outcome = gate.submit(ChangeSet(insert=turtle(claim())), agent=AGENT, operation="test")
    assert outcome.committed
    assert outcome.inferred_added == 0
    store.close()


# -- parley build applies the same guard to the seed data --------------------------------


@pytest.mark.parametrize(
    ("statement", "error"),
    [
        ("id:Zed rdfs:subClassOf parley:Actor .", OntologyStatementError),
        ('<id/claim/C1> parley:reportedIn "a report" .', ShapeViolationError),
    ],
)
def test_the_build_refuses_what_the_gate_refuses(
    tmp_path: Path, statement: str, error: type[Exception]
) -> None:
    import shutil

    from tests.gatekit import FIXTURE_DATA
    from tests.support import build_store

    data = tmp_path / "data"
    shutil.copytree(FIXTURE_DATA, data)
    (data / "reference" / "extra.ttl").write_text(PREFIXES + statement)
    with pytest.raises(error):
        build_store(tmp_path / "store", BASE, data_dir=data)
    assert not (tmp_path / "store").exists()
