"""For every shape, a valid and an invalid write, on top of the gate's test fixture.

Each example is Turtle with relative IRIs (resolved against the server's base)
and a ``{k}`` placeholder that each write path fills with its own token, so the
paths can run against one store without colliding. The invalid write breaks
exactly one shape; ``message`` is a fragment of that shape's message.
"""

from __future__ import annotations

from dataclasses import dataclass

PREFIXES = """@prefix parley: <ontology#> . @prefix id: <id/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix oa: <http://www.w3.org/ns/oa#> . @prefix schema: <https://schema.org/> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .
"""

#: A claim by Trump quoting the fixture's article; ``{extra}`` adds statements to it.
CLAIM = """
<id/claim/X{k}> a parley:Claim ; rdfs:label "Trump: the plan is a good basis for peace"@en ;
    parley:claimant id:Trump ; parley:appearsIn <id/source/article> ;
    parley:modality parley:modality-asserted ; {claim_type}
    parley:aboutActor id:USA ; parley:aboutEvent id:Talks2025 ;
    parley:hasEvidence <id/claim/X{k}#e> {extra} .
<id/claim/X{k}#e> a parley:EvidenceSpan ; oa:hasSource <id/source/article> ;
    oa:hasSelector <id/claim/X{k}#q>, <id/claim/X{k}#p> .
<id/claim/X{k}#q> a oa:TextQuoteSelector ; oa:exact "{quote}" .
<id/claim/X{k}#p> a oa:TextPositionSelector ;
    oa:start "{start}"^^xsd:nonNegativeInteger ; oa:end "145"^^xsd:nonNegativeInteger .
"""


def claim(
    *,
    extra: str = "",
    claim_type: str = "parley:claimType parley:type-evaluative ;",
    quote: str = "a good basis for peace",
    start: str = "123",
) -> str:
    return (
        CLAIM.replace("{extra}", extra)
        .replace("{claim_type}", claim_type)
        .replace("{quote}", quote)
        .replace("{start}", start)
    )


@dataclass(frozen=True)
class Example:
    """A shape, and a write that conforms to it and one that does not."""

    shape: str
    graph: str
    valid: str
    invalid: str
    message: str

    def text(self, which: str, token: str) -> bytes:
        body = self.valid if which == "valid" else self.invalid
        return (PREFIXES + body.replace("{k}", token)).encode("utf-8")


ACTOR = """id:Lavrov{k} a parley:Person ; rdfs:label "Sergey Lavrov"@en {source} ."""
PLACE = """id:Sochi{k} a parley:City ; parley:locatedIn id:Russia {label} ;
    dcterms:source <id/ref/kremlin> ."""
EVENT = """id:Call{k} a parley:PublicStatement ; rdfs:label "A phone call"@en ;
    dcterms:source <id/ref/reuters> ;
    schema:startDate "2025-11-20"^^xsd:date ; schema:endDate "{end}"^^xsd:date ."""
PARTICIPATION = """<id/Talks2025#x{k}> a parley:Participation ; parley:participant id:USA ;
    {role} dcterms:source <id/ref/reuters> ."""
REVIEW = """<id/review/X{k}> a parley:ClaimReview ; parley:reviews <id/claim/C2> ;
    parley:attribution parley:attribution-not-found ; schema:author <id/editor/parley> ;
    parley:reviewNote "A demand: accuracy does not apply."@en ;
    schema:reviewBody "{body}"@en ; dcterms:source <id/ref/reuters> ."""
#: An accuracy verdict on ``{claim}``, citing ``{sources}``.
ACCURACY = """<id/review/X{k}> a parley:ClaimReview ; parley:reviews {claim} ;
    parley:accuracy parley:accuracy-consistent ; schema:author <id/editor/parley> ;
    schema:reviewBody "The record bears the claim out."@en ; dcterms:source {sources} ."""
SOURCE = """<id/source/s{k}> a parley:Article ; rdfs:label "Another article"@en ;
    schema:author id:author {text} ."""
REFSOURCE = """<id/ref/r{k}> a parley:ReferenceSource ; rdfs:label "TASS, 1 December 2025"@en
    ; schema:datePublished {date} ; dcterms:date "2025-12-01"^^xsd:date
    {publisher} {url} {kind} {affiliation} ."""


def refsource(
    *,
    publisher: str = '; dcterms:publisher "TASS"',
    date: str = '"2025-12-01"^^xsd:date',
    url: str = "; schema:url <https://tass.example/r{k}>",
    kind: str = "; parley:sourceKind parley:kind-state-media",
    affiliation: str = "; parley:affiliatedWith id:Russia",
) -> str:
    """A state-affiliated reference source (TASS), whole unless told otherwise."""
    return (
        REFSOURCE.replace("{publisher}", publisher)
        .replace("{date}", date)
        .replace("{url}", url)
        .replace("{kind}", kind)
        .replace("{affiliation}", affiliation)
    )


#: A claim by Trump that takes ``{stance}`` the fixture's proposition that C5 (Trump's
#: claim) supports.
STANCE = "; parley:{stance} <id/proposition/us-plan-basis>"
#: An editor-stated relation between two claims of the fixture, with ``{statement}``.
RELATION = """<id/claim/C4> parley:supportsClaim <id/claim/C2> . {statement}"""
STATEMENT = """<id/claim/C4#supports-C2-{k}> a rdf:Statement ; rdf:subject <id/claim/C4> ;
    rdf:predicate parley:supportsClaim ; rdf:object <id/claim/C2> ;
    dcterms:creator <id/editor/parley> ;
    skos:note "The gain Putin reports is what the analysts' advice rests on."@en ."""

EXAMPLES = [
    Example(
        "ClaimShape",
        "graph/claims/article",
        claim(),
        claim(claim_type=""),
        "exactly one parley:claimType",
    ),
    Example(
        "EvidenceShape",
        "graph/claims/article",
        claim(),
        claim(quote="a good basis for war"),
        "is not the text of its source",
    ),
    Example(
        "StanceShape",
        "graph/claims/article",
        claim(
            extra="; parley:hasStance <id/claim/X{k}#s> . <id/claim/X{k}#s> a parley:Stance ; "
            "parley:stanceToward id:USA ; parley:stanceValue parley:stance-favourable"
        ),
        claim(
            extra="; parley:hasStance <id/claim/X{k}#s> . <id/claim/X{k}#s> a parley:Stance ; "
            "parley:stanceToward id:USA"
        ),
        "Each parley:hasStance needs",
    ),
    Example(
        "ReportClaimShape",
        "graph/claims/article",
        claim(extra="; a parley:ReportClaim ; parley:reportsClaim <id/claim/C1>"),
        claim(extra="; a parley:ReportClaim ; parley:reportsClaim <id/claim/X{k}>"),
        "loops back to this claim",
    ),
    Example(
        "ActorShape",
        "graph/reference",
        ACTOR.replace("{source}", "; dcterms:source <id/ref/kremlin>"),
        ACTOR.replace("{source}", ""),
        "An actor is a reference entity",
    ),
    Example(
        "EditorShape",
        "graph/editorial",
        """<id/editor/e{k}> a parley:Editor ; rdfs:label "A second editor"@en .""",
        """<id/editor/e{k}> a parley:Editor .""",
        "An editor is named",
    ),
    Example(
        "WikidataLinkShape",
        "graph/reference",
        ACTOR.replace(
            "{source}",
            "; dcterms:source <id/ref/kremlin> ; "
            "skos:exactMatch <http://www.wikidata.org/entity/Q80552>",
        ),
        ACTOR.replace(
            "{source}",
            "; dcterms:source <id/ref/kremlin> ; "
            "skos:exactMatch <https://www.wikidata.org/wiki/Q80552>",
        ),
        "A Wikidata link is the entity IRI",
    ),
    Example(
        "NoSameAsShape",
        "graph/reference",
        ACTOR.replace("{source}", "; dcterms:source <id/ref/kremlin> ; skos:exactMatch id:Putin"),
        ACTOR.replace("{source}", "; dcterms:source <id/ref/kremlin> ; owl:sameAs id:Putin"),
        "Do not use owl:sameAs",
    ),
    Example(
        "EventShape",
        "graph/reference",
        EVENT.replace("{end}", "2025-11-21"),
        EVENT.replace("{end}", "2025-11-19"),
        "an event cannot end before it starts",
    ),
    Example(
        "ParticipationShape",
        "graph/reference",
        PARTICIPATION.replace("{role}", "parley:role ;").replace(
            "parley:role ;", "parley:role parley:role-mediator ;"
        ),
        PARTICIPATION.replace("{role}", ""),
        "A participation has exactly one parley:role",
    ),
    Example(
        "DatePropertiesShape",
        "graph/reference",
        refsource(date='"2025-12-01"^^xsd:date'),
        refsource(date='"1 December 2025"'),
        "schema:datePublished must be an xsd:date",
    ),
    Example(
        "PlaceShape",
        "graph/reference",
        PLACE.replace("{label}", '; rdfs:label "Sochi"@en'),
        PLACE.replace("{label}", ""),
        "A place needs an English rdfs:label",
    ),
    Example(
        "DisputedTerritoryShape",
        "graph/reference",
        """id:Zone{k} a parley:DisputedTerritory ; rdfs:label "A disputed zone"@en ;
            dcterms:source <id/ref/reuters> ; parley:locatedIn id:Europe .""",
        """id:Zone{k} a parley:DisputedTerritory ; rdfs:label "A disputed zone"@en ;
            dcterms:source <id/ref/reuters> ; parley:locatedIn id:Moscow .""",
        "Sovereignty over a disputed territory is a claim",
    ),
    Example(
        "ClaimReviewShape",
        "graph/editorial",
        REVIEW.replace("{body}", "No public record confirms or refutes the figure."),
        REVIEW.replace("{body}", "Unclear."),
        "An editorial review has one schema:reviewBody",
    ),
    Example(
        "SourceShape",
        "graph/claims/s{k}",
        SOURCE.replace("{text}", '; schema:text "The full text of another article."'),
        SOURCE.replace("{text}", ""),
        "A source carries its full text",
    ),
    Example(
        "ReferenceSourceShape",
        "graph/reference",
        refsource(date='"2025-12-01"^^xsd:date'),
        refsource(publisher=""),
        "A reference source names its dcterms:publisher",
    ),
    Example(
        "ReferenceSourceShape:address",
        "graph/reference",
        refsource(),
        refsource(url=""),
        "has an address of its own",
    ),
    Example(
        "ReferenceSourceShape:kind",
        "graph/reference",
        refsource(),
        refsource(kind=""),
        "has one parley:sourceKind",
    ),
    Example(
        "ReferenceSourceShape:affiliation",
        "graph/reference",
        refsource(),
        refsource(affiliation=""),
        "speaks for a party",
    ),
    Example(
        "ClaimReviewShape:checkable",
        "graph/editorial",
        ACCURACY.replace("{claim}", "<id/claim/C4>").replace("{sources}", "<id/ref/reuters>"),
        ACCURACY.replace("{claim}", "<id/claim/C2>").replace("{sources}", "<id/ref/reuters>"),
        "is not a checkable factual claim",
    ),
    Example(
        "ClaimReviewShape:independence",
        "graph/editorial",
        ACCURACY.replace("{claim}", "<id/claim/C4>").replace(
            "{sources}", "<id/ref/kremlin>, <id/ref/reuters>"
        ),
        ACCURACY.replace("{claim}", "<id/claim/C4>").replace(
            "{sources}", "<id/ref/kremlin>, <id/ref/tass>"
        ),
        "rests only on sources affiliated with",
    ),
    Example(
        "PropositionShape",
        "graph/editorial",
        """<id/proposition/p{k}> a parley:Proposition ; rdfs:label "Ukraine is neutral"@en ;
            skos:definition "Supporting it: Ukraine joins no military alliance."@en .""",
        """<id/proposition/p{k}> a parley:Proposition ; rdfs:label "Ukraine is neutral"@en .""",
        "needs a skos:definition",
    ),
    Example(
        "PositionShape",
        "graph/claims/article",
        claim(extra=STANCE.replace("{stance}", "supportsProposition")),
        claim(extra=STANCE.replace("{stance}", "opposesProposition")),
        "both supports and opposes",
    ),
    Example(
        "ClaimRelationShape",
        "graph/editorial",
        RELATION.replace("{statement}", STATEMENT),
        "<id/claim/C5> parley:repeatsClaim <id/claim/C1> .",
        "is stated without its provenance",
    ),
    Example(
        "IndividualValuesShape",
        "graph/claims/article",
        claim(),
        claim(extra='; parley:reportedIn "a report"'),
        "its value must be an IRI",
    ),
]
