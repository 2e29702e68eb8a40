"""The seed data keeps faith with its source and the record (on the built store)."""

from __future__ import annotations

from collections import Counter

from service.rdf import Literal, NamedNode
from service.settings import PROJECT_ROOT
from service.store import OxigraphStore
from tests.support import SHARED_ARTICLE

ARTICLE = PROJECT_ROOT / "data" / "claims" / "article" / "article.txt"

#: The Wikidata IDs research verified in two or more independent public files
#: (shared/design/domain-research.md, section 3). Nothing else may be linked.
VERIFIED_QIDS = {
    "Q7747", "Q22686", "Q3874799", "Q159", "Q212", "Q30", "Q458", "Q7184", "Q8880",
    "Q46", "Q649", "Q1899", "Q239", "Q61", "Q406", "Q2280", "Q184", "Q7835", "Q171334",
    "Q1141123", "Q329347", "Q15860072", "Q110999040", "Q43", "Q142", "Q183", "Q31", "Q39",
}  # fmt: skip


def _value(term: object) -> str:
    assert isinstance(term, Literal | NamedNode)
    return term.value


def test_the_article_is_a_byte_for_byte_copy() -> None:
    assert ARTICLE.read_bytes() == SHARED_ARTICLE.read_bytes()


def test_the_source_node_holds_the_full_text(model_store: OxigraphStore) -> None:
    rows = model_store.select("SELECT ?text WHERE { id:source\\/article schema:text ?text }")
    assert [_value(r["text"]) for r in rows] == [ARTICLE.read_text(encoding="utf-8")]


def test_every_quote_is_verbatim_at_its_offsets(model_store: OxigraphStore) -> None:
    text = ARTICLE.read_text(encoding="utf-8")
    rows = model_store.select(
        """SELECT ?claim ?exact ?start ?end WHERE {
            ?claim parley:hasEvidence ?ev . ?ev oa:hasSource id:source\\/article ;
                oa:hasSelector ?q, ?p .
            ?q oa:exact ?exact . ?p oa:start ?start ; oa:end ?end }"""
    )
    assert len(rows) >= 79
    for row in rows:
        start, end = int(_value(row["start"])), int(_value(row["end"]))
        assert text[start:end] == _value(row["exact"]), row["claim"]


def test_claims_count_ids_and_claimants(model_store: OxigraphStore) -> None:
    rows = model_store.select(
        """SELECT ?claim ?id (COUNT(DISTINCT ?who) AS ?claimants) WHERE {
            GRAPH graph:claims\\/article { ?claim a ?type ; dcterms:identifier ?id }
            FILTER(?type IN (parley:Claim, parley:ReportClaim))
            OPTIONAL { ?claim parley:claimant ?who } } GROUP BY ?claim ?id"""
    )
    assert 95 <= len(rows) <= 110  # C01-C101
    ids = [_value(r["id"]) for r in rows]
    assert len(set(ids)) == len(ids)
    assert all(_value(r["claimants"]) == "1" for r in rows)


def test_claims_are_numbered_in_text_order(model_store: OxigraphStore) -> None:
    """IDs never change once published (fact-checkers cite them): C01-C79 are in text order,
    and the claims added later (C80 on) are in text order among themselves."""
    rows = model_store.select(
        """SELECT ?id (MIN(?start) AS ?first) WHERE {
            ?claim dcterms:identifier ?id ; parley:hasEvidence/oa:hasSelector/oa:start ?start
        } GROUP BY ?id"""
    )
    by_number = sorted((int(_value(r["id"])[1:]), int(_value(r["first"]))) for r in rows)
    numbers = [n for n, _ in by_number]
    assert numbers == list(range(1, len(numbers) + 1))  # no gaps, none reused
    for batch in ([s for n, s in by_number if n <= 79], [s for n, s in by_number if n >= 80]):
        assert batch == sorted(batch)


def test_every_reference_fact_carries_its_source(model_store: OxigraphStore) -> None:
    missing = model_store.select(
        """SELECT ?node WHERE {
            GRAPH graph:reference {
                ?node a ?type FILTER(?type NOT IN (parley:ReferenceSource))
                FILTER NOT EXISTS { ?node dcterms:source ?source }
            } }"""
    )
    assert missing == []
    assert model_store.ask(
        "ASK { id:Istanbul2022 schema:startDate '2022-03-29'^^xsd:date ; dcterms:source ?s ."
        " ?s a parley:ReferenceSource ; dcterms:publisher ?p }"
    )


def test_only_verified_wikidata_ids_and_no_same_as(model_store: OxigraphStore) -> None:
    rows = model_store.select("SELECT ?qid WHERE { ?x skos:exactMatch ?qid }")
    qids = {_value(r["qid"]).rsplit("/", 1)[1] for r in rows}
    assert qids
    assert qids <= VERIFIED_QIDS
    assert not model_store.ask("ASK { ?a owl:sameAs ?b }")
    counts = Counter(
        _value(r["x"]) for r in model_store.select("SELECT ?x WHERE { ?x skos:exactMatch ?q }")
    )
    assert max(counts.values()) == 1


def test_sovereignty_is_never_geography(model_store: OxigraphStore) -> None:
    """Disputed territories are in no country, asserted or inferred; Putin's position is a claim."""
    assert model_store.select("SELECT ?t WHERE { ?t a parley:DisputedTerritory }")
    assert not model_store.ask(
        """ASK { ?t a parley:DisputedTerritory ;
                    (parley:locatedIn|schema:containedInPlace|^parley:containsPlace)+ ?c .
                 ?c a schema:Country }"""
    )
    assert model_store.ask(
        """ASK { ?c parley:claimant id:Putin ; parley:aboutPlace id:Crimea ;
                    parley:hasEvidence/oa:hasSelector/oa:exact ?q
                 FILTER(CONTAINS(?q, "sovereignty over Crimea")) }"""
    )


def test_claimed_only_events_are_not_reference_facts(model_store: OxigraphStore) -> None:
    """The claimed breakthrough and the claimed losses exist only as claims."""
    labels = [
        _value(r["label"]).lower()
        for r in model_store.select("SELECT ?label WHERE { ?e a parley:Event ; rdfs:label ?label }")
    ]
    assert labels
    assert not any("breakthrough" in label or "losses" in label for label in labels)
    assert model_store.ask(
        "ASK { ?c parley:claimant id:Putin ; parley:aboutPlace id:NorthernZaporizhzhia }"
    )
