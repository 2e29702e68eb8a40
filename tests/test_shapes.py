"""Every shape fires on a broken example built for it, and not on the minimal valid graph.

Each case removes some triples from ``fixtures/minimal.ttl`` and/or adds some,
then expects a result with the given focus node, path and source shape.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from service.build import ModelFiles, load_ontology, load_shapes
from service.gate import ShaclValidator, ValidationReport
from service.rdf import TURTLE, NamedNode, Quad, Vocab, parse, to_rdflib
from service.settings import Settings

BASE = "http://parley.test/"
FIXTURE = Path(__file__).parent / "fixtures" / "minimal.ttl"
PREFIXES = """
@prefix parley:  <ontology#> .
@prefix rdf:     <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .
@prefix rdfs:    <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd:     <http://www.w3.org/2001/XMLSchema#> .
@prefix skos:    <http://www.w3.org/2004/02/skos/core#> .
@prefix owl:     <http://www.w3.org/2002/07/owl#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix schema:  <https://schema.org/> .
@prefix oa:      <http://www.w3.org/ns/oa#> .
"""
FULL = {
    "parley:": BASE + "ontology#",
    "rdfs:": "http://www.w3.org/2000/01/rdf-schema#",
    "schema:": "https://schema.org/",
    "oa:": "http://www.w3.org/ns/oa#",
    "dcterms:": "http://purl.org/dc/terms/",
    "skos:": "http://www.w3.org/2004/02/skos/core#",
    "owl:": "http://www.w3.org/2002/07/owl#",
}


def iri(name: str) -> str:
    """``<...>`` of a relative IRI or prefixed name, as the report prints it."""
    for prefix, namespace in FULL.items():
        if name.startswith(prefix):
            return f"<{namespace}{name[len(prefix) :]}>"
    return f"<{BASE}{name}>"


@pytest.fixture(scope="module")
def validator() -> ShaclValidator:
    settings = Settings(base_iri=BASE)
    files = ModelFiles(settings.ontology_dir, settings.shapes_dir, settings.data_dir)
    vocab = Vocab(BASE)
    return ShaclValidator(to_rdflib(load_shapes(files, vocab)), load_ontology(files, vocab))


def minimal() -> list[Quad]:
    return parse(FIXTURE.read_bytes(), TURTLE, base_iri=BASE)


#: A review of Beta's claim with an accuracy verdict, citing ``{sources}``.
BETA_REVIEW = """<id/review/beta> a parley:ClaimReview ; parley:reviews <id/claim/beta-reports> ;
    parley:accuracy parley:accuracy-consistent ; schema:author <id/editor/desk> ;
    schema:reviewBody "The record bears Beta out."@en ; dcterms:source {sources} ."""

#: Beta's claim made checkable (asserted, factual): what to remove, what to add.
CHECKABLE_BETA = (
    (("id/claim/beta-reports", "parley:claimType"),),
    "<id/claim/beta-reports> parley:claimType parley:type-factual .",
)


@dataclass(frozen=True)
class Case:
    name: str
    focus: str
    path: str | None
    shape: str
    remove: tuple[tuple[str, str], ...] = ()
    add: str = ""


CASES = [
    Case(
        "no claimant",
        "id/claim/fail",
        "parley:claimant",
        "ClaimShape",
        remove=(("id/claim/fail", "parley:claimant"),),
    ),
    Case(
        "two claimants",
        "id/claim/fail",
        "parley:claimant",
        "ClaimShape",
        add="<id/claim/fail> parley:claimant <id/Beta> .",
    ),
    Case(
        "claimant not an agent",
        "id/claim/fail",
        "parley:claimant",
        "ClaimShape",
        remove=(("id/claim/fail", "parley:claimant"),),
        add="<id/claim/fail> parley:claimant <id/Town> .",
    ),
    Case(
        "no evidence",
        "id/claim/fail",
        "parley:hasEvidence",
        "ClaimShape",
        remove=(("id/claim/fail", "parley:hasEvidence"),),
    ),
    Case(
        "no source named",
        "id/claim/fail",
        "parley:appearsIn",
        "ClaimShape",
        remove=(("id/claim/fail", "parley:appearsIn"),),
    ),
    Case(
        "modality outside the scheme",
        "id/claim/fail",
        "parley:modality",
        "ClaimShape",
        remove=(("id/claim/fail", "parley:modality"),),
        add="<id/claim/fail> parley:modality parley:type-factual .",
    ),
    Case(
        "two modalities",
        "id/claim/fail",
        "parley:modality",
        "ClaimShape",
        add="<id/claim/fail> parley:modality parley:modality-asserted .",
    ),
    Case(
        "no claim type",
        "id/claim/fail",
        "parley:claimType",
        "ClaimShape",
        remove=(("id/claim/fail", "parley:claimType"),),
    ),
    Case(
        "about nothing",
        "id/claim/fail",
        "(alternatives)",
        "ClaimShape",
        remove=(
            ("id/claim/fail", "parley:aboutEvent"),
            ("id/claim/fail", "parley:aboutActor"),
            ("id/claim/fail", "parley:hasStance"),
        ),
    ),
    Case(
        "about an actor as an event",
        "id/claim/fail",
        "parley:aboutEvent",
        "ClaimShape",
        add="<id/claim/fail> parley:aboutEvent <id/Beta> .",
    ),
    Case(
        "no label",
        "id/claim/fail",
        "rdfs:label",
        "ClaimShape",
        remove=(("id/claim/fail", "rdfs:label"),),
    ),
    Case(
        "stance toward an actor it is not about",
        "id/claim/fail",
        None,
        "ClaimShape",
        add="<id/claim/fail> parley:hasStance <id/claim/fail#stance-beta> ."
        "<id/claim/fail#stance-beta> parley:stanceToward <id/Beta> ;"
        " parley:stanceValue parley:stance-favourable .",
    ),
    Case(
        "stance without a value",
        "id/claim/fail",
        "parley:hasStance",
        "ClaimShape",
        remove=(("id/claim/fail#stance-alpha", "parley:stanceValue"),),
    ),
    Case(
        "evidence from another source",
        "id/claim/fail",
        None,
        "ClaimShape",
        remove=(("id/claim/fail", "parley:appearsIn"),),
        add="<id/claim/fail> parley:appearsIn <id/source/other> ."
        '<id/source/other> a parley:Article ; rdfs:label "Other" ;'
        ' schema:author <id/author> ; schema:text "x" .',
    ),
    Case(
        "quote not at its offsets",
        "id/claim/fail#evidence-1",
        None,
        "EvidenceShape",
        remove=(("id/claim/fail#position-1", "oa:start"),),
        add='<id/claim/fail#position-1> oa:start "1"^^xsd:nonNegativeInteger .',
    ),
    Case(
        "quote not in the text",
        "id/claim/fail#evidence-1",
        None,
        "EvidenceShape",
        remove=(("id/claim/fail#quote-1", "oa:exact"),),
        add='<id/claim/fail#quote-1> oa:exact "the talks will succeed" .',
    ),
    Case(
        "no position selector",
        "id/claim/fail#evidence-1",
        "oa:hasSelector",
        "EvidenceShape",
        remove=(("id/claim/fail#evidence-1", "oa:hasSelector"),),
        add="<id/claim/fail#evidence-1> oa:hasSelector <id/claim/fail#quote-1> .",
    ),
    Case(
        # xsd:integer is accepted when not negative: the store keeps every integer type
        # as xsd:integer, so that is how stored offsets read back.
        "offsets typed as strings",
        "id/claim/fail#evidence-1",
        "oa:hasSelector",
        "EvidenceShape",
        remove=(("id/claim/fail#position-1", "oa:end"),),
        add='<id/claim/fail#position-1> oa:end "30" .',
    ),
    Case(
        "negative offsets",
        "id/claim/fail#evidence-1",
        "oa:hasSelector",
        "EvidenceShape",
        remove=(("id/claim/fail#position-1", "oa:start"),),
        add="<id/claim/fail#position-1> oa:start -1 .",
    ),
    Case(
        "evidence with no source",
        "id/claim/fail#evidence-1",
        "oa:hasSource",
        "EvidenceShape",
        remove=(("id/claim/fail#evidence-1", "oa:hasSource"),),
    ),
    Case(
        "report claim reports nothing",
        "id/claim/beta-reports",
        "parley:reportsClaim",
        "ReportClaimShape",
        remove=(("id/claim/beta-reports", "parley:reportsClaim"),),
    ),
    Case(
        "reported speech in a loop",
        "id/claim/beta-reports",
        None,
        "ReportClaimShape",
        add="<id/claim/fail> a parley:ReportClaim ; parley:reportsClaim <id/claim/beta-reports> .",
    ),
    Case(
        "event without English label",
        "id/Talks",
        "rdfs:label",
        "EventShape",
        remove=(("id/Talks", "rdfs:label"),),
        add='<id/Talks> rdfs:label "Gespräche"@de .',
    ),
    Case(
        "event without source",
        "id/Talks",
        "dcterms:source",
        "EventShape",
        remove=(("id/Talks", "dcterms:source"),),
    ),
    Case(
        "date not an xsd:date",
        "id/Talks",
        "schema:startDate",
        "EventShape",
        remove=(("id/Talks", "schema:startDate"),),
        add='<id/Talks> schema:startDate "2 January 2025" .',
    ),
    Case(
        "event ends before it starts",
        "id/Talks",
        "schema:startDate",
        "EventShape",
        remove=(("id/Talks", "schema:endDate"),),
        add='<id/Talks> schema:endDate "2024-12-31"^^xsd:date .',
    ),
    Case(
        "period ends before it starts",
        "id/Process",
        None,
        "EventShape",
        add='<id/Process> parley:endPeriod "2024-11"^^xsd:gYearMonth .',
    ),
    Case(
        "period with a wrong datatype",
        "id/Process",
        "parley:startPeriod",
        "EventShape",
        remove=(("id/Process", "parley:startPeriod"),),
        add='<id/Process> parley:startPeriod "December 2024" .',
    ),
    Case(
        "event part of itself",
        "id/Process",
        None,
        "EventShape",
        add="<id/Process> parley:subEventOf <id/Talks> .",
    ),
    Case(
        "participation without role",
        "id/Talks#participation-alpha",
        "parley:role",
        "ParticipationShape",
        remove=(("id/Talks#participation-alpha", "parley:role"),),
    ),
    Case(
        "participation without source",
        "id/Talks#participation-alpha",
        "dcterms:source",
        "ParticipationShape",
        remove=(("id/Talks#participation-alpha", "dcterms:source"),),
    ),
    Case(
        "publication window upside down",
        "id/source/text",
        "parley:publishedNotBefore",
        "DatePropertiesShape",
        remove=(("id/source/text", "parley:publishedNotAfter"),),
        add='<id/source/text> parley:publishedNotAfter "2025-01-01"^^xsd:date .',
    ),
    Case(
        "review date not a date",
        "id/review/fail",
        "schema:datePublished",
        "ClaimReviewShape",
        remove=(("id/review/fail", "schema:datePublished"),),
        add='<id/review/fail> schema:datePublished "yesterday" .',
    ),
    Case(
        "place without source",
        "id/Town",
        "dcterms:source",
        "PlaceShape",
        remove=(("id/Town", "dcterms:source"),),
    ),
    Case(
        "disputed territory in a country",
        "id/Zone",
        None,
        "DisputedTerritoryShape",
        add="<id/Zone> parley:locatedIn <id/Land> .",
    ),
    Case(
        "disputed territory in a country through a region",
        "id/Zone",
        None,
        "DisputedTerritoryShape",
        add="<id/Zone> parley:locatedIn <id/Town> .",
    ),
    Case(
        "actor without label",
        "id/Beta",
        "rdfs:label",
        "ActorShape",
        remove=(("id/Beta", "rdfs:label"),),
    ),
    Case(
        "actor without source",
        "id/Beta",
        "dcterms:source",
        "ActorShape",
        remove=(("id/Beta", "dcterms:source"),),
    ),
    Case(
        "unnamed editor",
        "id/editor/desk",
        "rdfs:label",
        "EditorShape",
        remove=(("id/editor/desk", "rdfs:label"),),
    ),
    Case(
        "Wikidata page instead of entity",
        "id/Alpha",
        "skos:exactMatch",
        "WikidataLinkShape",
        remove=(("id/Alpha", "skos:exactMatch"),),
        add="<id/Alpha> skos:exactMatch <https://www.wikidata.org/wiki/Q42> .",
    ),
    Case(
        "two Wikidata links",
        "id/Alpha",
        "skos:exactMatch",
        "WikidataLinkShape",
        add="<id/Alpha> skos:exactMatch <http://www.wikidata.org/entity/Q43> .",
    ),
    Case(
        "owl:sameAs",
        "id/Beta",
        "owl:sameAs",
        "NoSameAsShape",
        add="<id/Beta> owl:sameAs <http://www.wikidata.org/entity/Q1> .",
    ),
    Case(
        "review without verdict",
        "id/review/fail",
        "(alternatives)",
        "ClaimReviewShape",
        remove=(("id/review/fail", "parley:attribution"),),
    ),
    Case(
        "two attribution verdicts",
        "id/review/fail",
        "parley:attribution",
        "ClaimReviewShape",
        add="<id/review/fail> parley:attribution parley:attribution-faithful .",
    ),
    Case(
        "accuracy verdict outside its scheme",
        "id/review/fail",
        "parley:accuracy",
        "ClaimReviewShape",
        add="<id/review/fail> parley:accuracy parley:attribution-faithful .",
    ),
    Case(
        "accuracy verdict on a prediction",
        "id/review/fail",
        None,
        "ClaimReviewShape",
        add="<id/review/fail> parley:accuracy parley:accuracy-contested .",
    ),
    Case(
        "accuracy verdict on an evaluation",
        "id/review/beta",
        None,
        "ClaimReviewShape",
        add=BETA_REVIEW.format(sources="<id/ref/doc>"),
    ),
    Case(
        "accuracy verdict resting only on the claimant's side",
        "id/review/beta",
        None,
        "ClaimReviewShape",
        remove=CHECKABLE_BETA[0],
        add=CHECKABLE_BETA[1] + BETA_REVIEW.format(sources="<id/ref/land-transcript>"),
    ),
    Case(
        "review by a non-editor",
        "id/review/fail",
        "schema:author",
        "ClaimReviewShape",
        remove=(("id/review/fail", "schema:author"),),
        add="<id/review/fail> schema:author <id/Beta> .",
    ),
    Case(
        "review without body",
        "id/review/fail",
        "schema:reviewBody",
        "ClaimReviewShape",
        remove=(("id/review/fail", "schema:reviewBody"),),
    ),
    Case(
        "review without sources",
        "id/review/fail",
        "dcterms:source",
        "ClaimReviewShape",
        remove=(("id/review/fail", "dcterms:source"),),
    ),
    Case(
        "source without text",
        "id/source/text",
        "schema:text",
        "SourceShape",
        remove=(("id/source/text", "schema:text"),),
    ),
    Case(
        "source without author",
        "id/source/text",
        "schema:author",
        "SourceShape",
        remove=(("id/source/text", "schema:author"),),
    ),
    Case(
        "reference source without publisher",
        "id/ref/doc",
        "dcterms:publisher",
        "ReferenceSourceShape",
        remove=(("id/ref/doc", "dcterms:publisher"),),
    ),
    Case(
        "reference source without address",
        "id/ref/doc",
        "schema:url",
        "ReferenceSourceShape",
        remove=(("id/ref/doc", "schema:url"),),
    ),
    Case(
        "reference source address a string",
        "id/ref/doc",
        "schema:url",
        "ReferenceSourceShape",
        remove=(("id/ref/doc", "schema:url"),),
        add='<id/ref/doc> schema:url "https://doc.example/test" .',
    ),
    Case(
        "reference source without kind",
        "id/ref/doc",
        "parley:sourceKind",
        "ReferenceSourceShape",
        remove=(("id/ref/doc", "parley:sourceKind"),),
    ),
    Case(
        "reference source kind outside its scheme",
        "id/ref/doc",
        "parley:sourceKind",
        "ReferenceSourceShape",
        remove=(("id/ref/doc", "parley:sourceKind"),),
        add="<id/ref/doc> parley:sourceKind parley:role-mediator .",
    ),
    Case(
        "reference source without date",
        "id/ref/doc",
        "dcterms:date",
        "ReferenceSourceShape",
        remove=(("id/ref/doc", "dcterms:date"),),
    ),
    Case(
        "transcript without the party it speaks for",
        "id/ref/land-transcript",
        None,
        "ReferenceSourceShape",
        remove=(("id/ref/land-transcript", "parley:affiliatedWith"),),
    ),
    Case(
        "state media affiliated with a non-agent",
        "id/ref/land-transcript",
        "parley:affiliatedWith",
        "ReferenceSourceShape",
        add="<id/ref/land-transcript> parley:affiliatedWith <id/ref/doc> .",
    ),
    Case(
        "proposition without definition",
        "id/proposition/talks-fail",
        "skos:definition",
        "PropositionShape",
        remove=(("id/proposition/talks-fail", "skos:definition"),),
    ),
    Case(
        "proposition without label",
        "id/proposition/talks-fail",
        "rdfs:label",
        "PropositionShape",
        remove=(("id/proposition/talks-fail", "rdfs:label"),),
    ),
    Case(
        "stance on something not a proposition",
        "id/claim/fail",
        "parley:supportsProposition",
        "PositionShape",
        add="<id/claim/fail> parley:supportsProposition <id/Zone> .",
    ),
    Case(
        "claim supports and opposes one proposition",
        "id/claim/fail",
        "parley:supportsProposition",
        "PositionShape",
        add="<id/claim/fail> parley:opposesProposition <id/proposition/talks-fail> .",
    ),
    Case(
        "claimant supports and opposes one proposition in two claims",
        "id/claim/beta-reports",
        None,
        "PositionShape",
        remove=(("id/claim/beta-reports", "parley:claimant"),),
        add="<id/claim/beta-reports> parley:claimant <id/Alpha> .",
    ),
    Case(
        "relation between claims without its provenance",
        "id/claim/beta-reports",
        None,
        "ClaimRelationShape",
        remove=(("id/claim/beta-reports#contradicts-fail", "dcterms:creator"),),
    ),
    Case(
        "relation to something not a claim",
        "id/claim/fail",
        "(alternatives)",
        "ClaimRelationShape",
        add="<id/claim/fail> parley:supportsClaim <id/Zone> .",
    ),
]


def _apply(case: Case) -> list[Quad]:
    drop = {(NamedNode(BASE + s), p) for s, p in case.remove}
    quads = [
        q
        for q in minimal()
        if (q.subject, iri(q.predicate.value)) not in {(s, iri(p)) for s, p in drop}
        and not _drops(q, drop)
    ]
    if case.add:
        quads += parse((PREFIXES + case.add).encode(), TURTLE, base_iri=BASE)
    return quads


def _drops(quad: Quad, drop: set[tuple[NamedNode, str]]) -> bool:
    return any(quad.subject == s and f"<{quad.predicate.value}>" == iri(p) for s, p in drop)


def test_minimal_graph_conforms(validator: ShaclValidator) -> None:
    report = validator.validate(minimal())
    assert report.conforms, report.text()


def _matches(report: ValidationReport, case: Case) -> bool:
    for result in report.results:
        if (
            result.focus_node == iri(case.focus)
            and (
                result.result_path == (iri(case.path) if case.path else None)
                or (case.path == "(alternatives)" and (result.result_path or "").startswith("("))
            )
            and (
                result.source_shape.endswith(f"#{case.shape}>")
                or f"#{case.shape}-" in result.source_shape
            )
        ):
            return True
    return False


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_shape_fires_on_its_broken_example(validator: ShaclValidator, case: Case) -> None:
    report = validator.validate(_apply(case))
    assert not report.conforms
    assert _matches(report, case), report.text()
    assert all(r.message for r in report.results)


def test_every_shape_has_a_broken_example(validator: ShaclValidator) -> None:
    from rdflib.namespace import RDF as RRDF
    from rdflib.namespace import SH as RSH

    shapes = {
        str(s).rsplit("#", 1)[1]
        for s in validator.shapes.subjects(RRDF.type, RSH.NodeShape)
        if "#" in str(s) and str(s) != BASE + "shapes#StanceShape"
    }
    covered = {c.shape for c in CASES}
    assert shapes - covered == set()


def test_an_accuracy_verdict_with_an_independent_source_conforms(
    validator: ShaclValidator,
) -> None:
    """The broken example of the independence rule, with one source not of Beta's side."""
    case = Case(
        "independent",
        "id/review/beta",
        None,
        "ClaimReviewShape",
        remove=CHECKABLE_BETA[0],
        add=CHECKABLE_BETA[1]
        + BETA_REVIEW.format(sources="<id/ref/land-transcript>, <id/ref/doc>"),
    )
    report = validator.validate(_apply(case))
    assert report.conforms, report.text()
