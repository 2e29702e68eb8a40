"""The rules of issue 13 that the write gate enforces, through its HTTP doors.

Two verdicts, never one: ``parley:attribution`` (was it said, and so?) and
``parley:accuracy`` (is it so?), the second only for checkable factual claims (asserted,
factual or causal) and only on a source independent of the claimant's side (the claimant
and whatever it acts on behalf of). Reference sources say what they are (kind, address,
date, and the party a transcript or state media speaks for). A claimant takes one stance
on a proposition; a relation an editor states between claims carries its provenance.

Each refusal is a 422 problem whose result messages say why; each is checked against a
write that differs only in what the rule is about and is accepted. The app runs in-process
on the gate's fixture (``tests/fixtures/gate/data``): C2 is a demand (Western analysts),
C4 a checkable factual claim of Putin's, C5 an evaluation of Trump's; ``ref/kremlin``
(a transcript) and ``ref/tass`` (state media) are affiliated with Russia, ``ref/reuters``
(a wire report) with nobody. Every test takes out what it added.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.gatekit import build_fixture
from tests.support import AppSite, open_app

BASE = "http://review-rules.test/"
PREFIXES = f"""@prefix parley: <{BASE}ontology#> . @prefix id: <{BASE}id/> .
@prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix schema: <https://schema.org/> . @prefix dcterms: <http://purl.org/dc/terms/> .
@prefix oa: <http://www.w3.org/ns/oa#> .
"""


class Doors:
    """``POST /data`` and SPARQL Update on the module's site."""

    def __init__(self, site: AppSite, client: httpx.Client) -> None:
        self.site = site
        self.client = client

    def post(self, graph: str, turtle: str) -> httpx.Response:
        return self.client.post(
            "/data",
            params={"graph": graph},
            content=(PREFIXES + turtle).encode(),
            headers={"Content-Type": "text/turtle", **self.site.auth()},
        )

    def update(self, text: str) -> httpx.Response:
        """A SPARQL update (its relative IRIs resolve against the base, as the server's)."""
        return self.client.post(
            "/sparql",
            content=text.encode(),
            headers={"Content-Type": "application/sparql-update", **self.site.auth()},
        )

    def ask(self, query: str) -> bool:
        response = self.client.get(
            "/sparql",
            params={"query": f"ASK {{ {query} }}"},
            headers={"Accept": "application/sparql-results+json"},
        )
        assert response.status_code == 200, response.text
        return bool(response.json()["boolean"])

    def remove(self, graph: str, *subjects: str) -> None:
        """Take out every statement about ``subjects`` (prefixed names or IRIs) in ``graph``."""
        for subject in subjects:
            response = self.update(f"DELETE WHERE {{ GRAPH <{graph}> {{ {subject} ?p ?o }} }}")
            assert response.status_code == 200, response.text
            assert not self.ask(f"{subject} ?p ?o"), subject


@pytest.fixture(scope="module")
def doors(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Doors]:
    store = build_fixture(tmp_path_factory.mktemp("review-rules") / "store", BASE)
    site = open_app(store, BASE, query_workers=0)
    with site.client() as client:
        yield Doors(site, client)
    site.stop()


def accepted(response: httpx.Response) -> None:
    assert response.status_code in (200, 201), response.text


def refused(response: httpx.Response) -> str:
    """The messages of a refusal, as one text."""
    assert response.status_code == 422, response.text
    assert response.headers["Content-Type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["type"].endswith("/shape-violation")
    return "\n".join(r["message"] for r in problem["results"])


def review(name: str, claim: str, verdict: str, sources: str) -> str:
    return f"""<id/review/{name}> a parley:ClaimReview ; parley:reviews <id/claim/{claim}> ;
        {verdict} ; schema:author <id/editor/parley> ;
        schema:reviewBody "What the record consulted says about the claim."@en ;
        dcterms:source {sources} ."""


ACCURATE = "parley:accuracy parley:accuracy-consistent"
EDITORIAL, REFERENCE, CLAIMS = "graph/editorial", "graph/reference", "graph/claims/article"
RUSSIA = f"<{BASE}id/Russia>"


# -- the independence rule --------------------------------------------------------------


def test_accuracy_on_the_claimants_side_only_is_refused_until_an_independent_source_is_added(
    doors: Doors,
) -> None:
    """A Kremlin transcript may attest what Putin said, never that it is so."""
    for sources in ("<id/ref/kremlin>", "<id/ref/kremlin>, <id/ref/tass>"):
        why = refused(doors.post(EDITORIAL, review("own-side", "C4", ACCURATE, sources)))
        assert "rests only on sources affiliated with" in why
        assert RUSSIA in why  # the side: Putin acts on behalf of Russia
        assert f"<{BASE}id/claim/C4>" in why
        assert not doors.ask("<id/review/own-side> ?p ?o")
    independent = "<id/ref/kremlin>, <id/ref/reuters>"
    accepted(doors.post(EDITORIAL, review("own-side", "C4", ACCURATE, independent)))
    assert doors.ask("<id/claim/C4> a parley:SupportedClaim")
    # Taking the independent source out again breaks the rule: refused too.
    why = refused(
        doors.update(
            "DELETE DATA { GRAPH <graph/editorial> "
            "{ <id/review/own-side> dcterms:source <id/ref/reuters> } }"
        )
    )
    assert "rests only on sources affiliated with" in why
    assert doors.ask("<id/review/own-side> dcterms:source <id/ref/reuters>")
    doors.remove(EDITORIAL, "<id/review/own-side>")
    assert not doors.ask("<id/claim/C4> a parley:SupportedClaim")


def test_the_side_is_whoever_the_claimant_acts_for(doors: Doors) -> None:
    """A spokesman acts for the Kremlin, which acts for Russia: Russian state media are his
    side too; a source affiliated with another party is independent of it."""
    accepted(
        doors.post(
            REFERENCE,
            """id:Spokesman a parley:Person ; rdfs:label "A Kremlin spokesman"@en ;
                dcterms:source <id/ref/kremlin> ; parley:actsOnBehalfOf id:Kremlin .
            <id/ref/kyiv> a parley:ReferenceSource ; rdfs:label "Ukraine's government"@en ;
                dcterms:publisher "Government of Ukraine" ; dcterms:date "2025-11-03"^^xsd:date ;
                schema:url <https://kyiv.example/statement> ;
                parley:sourceKind parley:kind-primary ; parley:affiliatedWith id:Ukraine .""",
        )
    )
    accepted(
        doors.post(
            CLAIMS,
            """<id/claim/S1> a parley:Claim ; rdfs:label "Spokesman: the town is taken"@en ;
                parley:claimant id:Spokesman ; parley:appearsIn <id/source/article> ;
                parley:modality parley:modality-asserted ; parley:claimType parley:type-factual ;
                parley:aboutActor id:Russia ; parley:hasEvidence <id/claim/S1#e> .
            <id/claim/S1#e> a parley:EvidenceSpan ; oa:hasSource <id/source/article> ;
                oa:hasSelector <id/claim/S1#q>, <id/claim/S1#p> .
            <id/claim/S1#q> a oa:TextQuoteSelector ; oa:exact "his forces had taken the town" .
            <id/claim/S1#p> a oa:TextPositionSelector ;
                oa:start "210"^^xsd:nonNegativeInteger ; oa:end "239"^^xsd:nonNegativeInteger .""",
        )
    )
    why = refused(doors.post(EDITORIAL, review("spokesman", "S1", ACCURATE, "<id/ref/tass>")))
    assert "rests only on sources affiliated with" in why
    assert RUSSIA in why
    accepted(
        doors.post(EDITORIAL, review("spokesman", "S1", ACCURATE, "<id/ref/tass>, <id/ref/kyiv>"))
    )
    doors.remove(EDITORIAL, "<id/review/spokesman>")
    doors.remove(CLAIMS, "<id/claim/S1>", "<id/claim/S1#e>", "<id/claim/S1#q>", "<id/claim/S1#p>")
    doors.remove(REFERENCE, "id:Spokesman", "<id/ref/kyiv>")


def test_a_source_that_turns_out_affiliated_is_refused_when_a_review_rests_on_it(
    doors: Doors,
) -> None:
    """The gate checks the reviews a change elsewhere affects, not only what it writes."""
    accepted(
        doors.post(
            REFERENCE,
            """<id/ref/wire> a parley:ReferenceSource ; rdfs:label "A wire report"@en ;
                dcterms:publisher "A wire" ; dcterms:date "2025-11-04"^^xsd:date ;
                schema:url <https://wire.example/report> ; parley:sourceKind parley:kind-wire .""",
        )
    )
    accepted(
        doors.post(EDITORIAL, review("wire", "C4", ACCURATE, "<id/ref/kremlin>, <id/ref/wire>"))
    )
    response = doors.post(REFERENCE, "<id/ref/wire> parley:affiliatedWith id:Russia .")
    assert "rests only on sources affiliated with" in refused(response)
    assert {r["focusNode"] for r in response.json()["results"]} == {f"<{BASE}id/review/wire>"}
    assert not doors.ask("<id/ref/wire> parley:affiliatedWith ?party")
    accepted(doors.post(REFERENCE, "<id/ref/wire> parley:affiliatedWith id:Ukraine ."))
    doors.remove(EDITORIAL, "<id/review/wire>")
    doors.remove(REFERENCE, "<id/ref/wire>")


# -- accuracy only for checkable claims --------------------------------------------------


@pytest.mark.parametrize(
    ("claim", "why"),
    [("C2", "modality-demanded"), ("C5", "type-evaluative"), ("C1", "modality-predicted")],
    ids=["demand", "opinion", "prediction"],
)
def test_accuracy_on_a_claim_that_is_not_checkable_is_refused(
    doors: Doors, claim: str, why: str
) -> None:
    name = f"not-checkable-{claim}"
    reason = refused(doors.post(EDITORIAL, review(name, claim, ACCURATE, "<id/ref/reuters>")))
    assert "is not a checkable factual claim" in reason
    assert why in reason
    assert f"<{BASE}id/claim/{claim}>" in reason
    said = "parley:attribution parley:attribution-faithful"
    accepted(doors.post(EDITORIAL, review(name, claim, said, "<id/ref/reuters>")))
    doors.remove(EDITORIAL, f"<id/review/{name}>")


def test_a_reviewed_claim_cannot_become_a_demand(doors: Doors) -> None:
    accepted(
        doors.post(EDITORIAL, review("turns", "C4", ACCURATE, "<id/ref/kremlin>, <id/ref/reuters>"))
    )
    graph = f"<{BASE}{CLAIMS}>"
    why = refused(
        doors.update(
            f"DELETE DATA {{ GRAPH {graph} {{ <{BASE}id/claim/C4> parley:modality "
            "parley:modality-asserted } } ; "
            f"INSERT DATA {{ GRAPH {graph} {{ <{BASE}id/claim/C4> parley:modality "
            "parley:modality-demanded } }"
        )
    )
    assert "is not a checkable factual claim" in why
    assert doors.ask("<id/claim/C4> parley:modality parley:modality-asserted")
    doors.remove(EDITORIAL, "<id/review/turns>")


def test_the_accuracy_classes_follow_accuracy_only(doors: Doors) -> None:
    """A demand said verbatim is a claim that is not checkable, never one "consistent with
    the record"; a checkable claim with an accuracy verdict is."""
    verbatim = "parley:attribution parley:attribution-verbatim"
    accepted(doors.post(EDITORIAL, review("verbatim", "C2", verbatim, "<id/ref/reuters>")))
    accepted(
        doors.post(
            EDITORIAL, review("checked", "C4", ACCURATE, "<id/ref/kremlin>, <id/ref/reuters>")
        )
    )
    assert doors.ask(
        "<id/claim/C2> parley:hasReview/parley:attribution parley:attribution-verbatim"
    )
    assert doors.ask("<id/claim/C2> a parley:NotCheckableClaim")
    for cls in ("SupportedClaim", "ContestedClaim", "ContradictedClaim", "CheckableClaim"):
        assert not doors.ask(f"<id/claim/C2> a parley:{cls}"), cls
    assert doors.ask("<id/claim/C4> a parley:SupportedClaim")
    assert doors.ask("<id/claim/C4> a parley:CheckableClaim")
    assert not doors.ask("<id/claim/C4> a parley:NotCheckableClaim")
    doors.remove(EDITORIAL, "<id/review/verbatim>", "<id/review/checked>")
    assert not doors.ask("<id/claim/C4> a parley:SupportedClaim")


# -- stances and relations ----------------------------------------------------------------


def test_a_claimant_that_supports_and_opposes_one_proposition_is_refused(doors: Doors) -> None:
    """The analysts' C2 supports that Ukraine cedes territory; C3 (Zelensky) opposes it."""
    cedes = f"<{BASE}id/proposition/ukraine-cedes-territory>"
    graph = f"<{BASE}{CLAIMS}>"
    swap = (
        f"DELETE DATA {{ GRAPH {graph} {{ <{BASE}id/claim/C3> parley:claimant id:Zelensky }} }} ;"
        f" INSERT DATA {{ GRAPH {graph} {{ <{BASE}id/claim/C3> parley:claimant id:Analysts }} }}"
    )
    why = refused(doors.update(swap))
    assert "both supports and opposes" in why
    assert f"<{BASE}id/Analysts>" in why
    assert cedes in why
    # One claim both ways.
    why = refused(
        doors.update(
            f"INSERT DATA {{ GRAPH {graph} {{ <{BASE}id/claim/C3> "
            f"parley:supportsProposition {cedes} }} }}"
        )
    )
    assert "never both" in why or "both supports and opposes" in why
    assert doors.ask("<id/claim/C3> parley:claimant id:Zelensky")
    assert not doors.ask(f"<id/claim/C3> parley:supportsProposition {cedes}")
    # Another claimant may: Trump's C5 supports it too (accepted), then is taken out.
    stance = f"<{BASE}id/claim/C5> parley:supportsProposition {cedes}"
    accepted(doors.update(f"INSERT DATA {{ GRAPH {graph} {{ {stance} }} }}"))
    accepted(doors.update(f"DELETE DATA {{ GRAPH {graph} {{ {stance} }} }}"))


STATEMENT = """<id/claim/C4#supports-C2> a rdf:Statement ; rdf:subject <id/claim/C4> ;
    rdf:predicate parley:supportsClaim ; rdf:object <id/claim/C2> ;
    dcterms:creator <id/editor/parley> ;
    skos:note "The analysts' advice rests on the gain Putin reports."@en ."""


def test_an_editor_stated_relation_needs_its_statement(doors: Doors) -> None:
    relation = "<id/claim/C4> parley:supportsClaim <id/claim/C2> ."
    why = refused(doors.post(EDITORIAL, relation))
    assert "is stated without its provenance" in why
    assert f"<{BASE}id/claim/C4>" in why
    no_creator = STATEMENT.replace("dcterms:creator <id/editor/parley> ;", "")
    assert "is stated without its provenance" in refused(
        doors.post(EDITORIAL, relation + no_creator)
    )
    accepted(doors.post(EDITORIAL, relation + STATEMENT))
    assert doors.ask("<id/claim/C2> parley:supportsClaim <id/claim/C4>") is False
    # The statement cannot go while the relation stays.
    why = refused(
        doors.update(f"DELETE WHERE {{ GRAPH ?g {{ <{BASE}id/claim/C4#supports-C2> ?p ?o }} }}")
    )
    assert "is stated without its provenance" in why
    graph = f"<{BASE}{EDITORIAL}>"
    accepted(
        doors.update(
            f"DELETE DATA {{ GRAPH {graph} {{ <{BASE}id/claim/C4> parley:supportsClaim "
            f"<{BASE}id/claim/C2> }} }}"
        )
    )
    doors.remove(EDITORIAL, "<id/claim/C4#supports-C2>")


# -- reference sources ----------------------------------------------------------------------

SOURCE = """<id/ref/{name}> a parley:ReferenceSource ; rdfs:label "A source"@en ;
    dcterms:publisher "A publisher" {date} {url} {kind} {affiliation} ."""
WHOLE = {
    "date": '; dcterms:date "2025-11-05"^^xsd:date',
    "url": "; schema:url <https://source.example/{name}>",
    "kind": "; parley:sourceKind parley:kind-transcript",
    "affiliation": "; parley:affiliatedWith id:Russia",
}


@pytest.mark.parametrize(
    ("broken", "why"),
    [
        ({"kind": ""}, "has one parley:sourceKind"),
        ({"kind": "; parley:sourceKind parley:role-host"}, "has one parley:sourceKind"),
        ({"url": ""}, "has an address of its own"),
        ({"url": '; schema:url "https://source.example/x"'}, "has an address of its own"),
        ({"date": ""}, "has one publication date"),
        ({"affiliation": ""}, "speaks for a party"),
    ],
    ids=["no-kind", "kind-outside-scheme", "no-url", "url-a-string", "no-date", "unaffiliated"],
)
def test_a_reference_source_says_what_it_is(doors: Doors, broken: dict[str, str], why: str) -> None:
    name = "source-" + "-".join(broken)
    fields = {**WHOLE, **broken}
    text = SOURCE
    for field, value in fields.items():
        text = text.replace("{" + field + "}", value)
    text = text.replace("{name}", name)
    assert why in refused(doors.post(REFERENCE, text))
    assert not doors.ask(f"<id/ref/{name}> ?p ?o")
    whole = SOURCE
    for field, value in WHOLE.items():
        whole = whole.replace("{" + field + "}", value)
    accepted(doors.post(REFERENCE, whole.replace("{name}", name)))
    doors.remove(REFERENCE, f"<id/ref/{name}>")
