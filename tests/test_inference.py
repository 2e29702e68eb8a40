"""One test per family of OWL 2 RL inferences the ontology promises, on the built store.

Each asks for a triple that only the inferred graph holds (it is not asserted
in any data graph), so a missing axiom or a broken build fails here.
"""

from __future__ import annotations

import pytest

from service.store import OxigraphStore


def inferred(store: OxigraphStore, triple: str) -> bool:
    """True if the triple is in graph/inferred and asserted in no data graph."""
    return store.ask(
        f"""ASK {{ GRAPH graph:inferred {{ {triple} }}
                FILTER NOT EXISTS {{ GRAPH ?g {{ {triple} }} FILTER(?g != graph:inferred) }} }}"""
    )


C10 = "<id/claim/istanbul-walkaway>"
C17 = "<id/claim/sovereignty-crimea-donbas>"
C05 = "<id/claim/basis-for-agreements>"
C40 = "<id/claim/confiscation-reputation>"
C47 = "<id/claim/losses-tens-of-thousands>"
C51 = "<id/claim/western-analysts-concessions>"


@pytest.mark.parametrize(
    "triple",
    [
        f"id:Putin parley:makesClaim {C17}",
        f"id:source\\/article parley:containsClaim {C17}",
        f"{C10} parley:hasReview <id/review/C10>",
        "id:Turkey parley:involvedIn id:Istanbul2022",
        "id:Turkey parley:containsPlace id:Istanbul",
    ],
)
def test_inverse_properties(model_store: OxigraphStore, triple: str) -> None:
    assert inferred(model_store, triple)


@pytest.mark.parametrize(
    "triple",
    [
        f"{C17} prov:wasAttributedTo id:Putin",
        f"{C17} schema:appearance id:source\\/article",
        f"{C17} schema:about id:Crimea",
        f"<id/review/C10> schema:itemReviewed {C10}",
        "id:Istanbul2022 sem:hasActor id:Turkey",
        "id:Istanbul2022 sem:hasPlace id:Istanbul",
        "id:Istanbul2022 schema:superEvent id:Negotiations2022",
        "id:Witkoff prov:actedOnBehalfOf id:Trump",
    ],
)
def test_alignment_to_standard_properties(model_store: OxigraphStore, triple: str) -> None:
    assert inferred(model_store, triple)


@pytest.mark.parametrize(
    "triple",
    [
        "id:Putin a schema:Person",
        "id:Putin a prov:Agent",
        "id:EU a schema:Organization",
        f"{C17} a schema:Claim",
        f"<{C17.strip('<>')}#evidence-1> a oa:SpecificResource",
        "id:Istanbul2022 a schema:Event",
        "id:Istanbul a schema:Place",
        "<id/review/C10> a schema:ClaimReview",
        "id:source\\/article a schema:CreativeWork",
    ],
)
def test_alignment_to_standard_classes(model_store: OxigraphStore, triple: str) -> None:
    assert inferred(model_store, triple)


def test_reported_claims_know_their_report(model_store: OxigraphStore) -> None:
    """reportedIn is derived from reportsClaim; its domain makes the claim a ReportedClaim."""
    rows = model_store.select(f"SELECT ?report WHERE {{ {C51} parley:reportedIn ?report }}")
    assert len(rows) == 1
    report = rows[0]["report"]
    assert inferred(model_store, f"{C51} parley:reportedIn {report}")
    assert model_store.ask(
        f"ASK {{ {C51} a parley:ReportedClaim . {report} parley:claimant id:Putin }}"
    )


@pytest.mark.parametrize(
    "triple",
    [
        f"{C51} parley:reportedBy id:Putin",
        f"{C51} parley:publishedBy id:author",
        f"{C51} parley:relayedBy id:Putin",
        "id:Istanbul2022 parley:involves id:Turkey",
        "id:WitkoffMoscow20251202 parley:involves id:USA",
        f"{C10} parley:indirectlyAboutActor id:Turkey",
        f"{C10} parley:indirectlyAboutPlace id:Istanbul",
        "id:Istanbul2022 parley:occurredAt id:Turkey",
    ],
)
def test_property_chains(model_store: OxigraphStore, triple: str) -> None:
    assert inferred(model_store, triple)


@pytest.mark.parametrize(
    "triple",
    [
        "id:Istanbul2022 parley:subEventOf id:War",
        "id:Witkoff parley:actsOnBehalfOf id:USA",
    ],
)
def test_transitive_properties(model_store: OxigraphStore, triple: str) -> None:
    assert inferred(model_store, triple)


@pytest.mark.parametrize(
    "triple",
    [
        f"{C17} a parley:ContestedClaim",
        f"{C05} a parley:SupportedClaim",
        f"{C40} a parley:ForwardLookingClaim",
        f"{C05} a parley:ForwardLookingClaim",
        f"{C47} a parley:UnnamedSourceClaim",
    ],
)
def test_classes_defined_by_restrictions(model_store: OxigraphStore, triple: str) -> None:
    assert inferred(model_store, triple)


def test_the_inferred_graph_holds_only_what_the_policy_admits(model_store: OxigraphStore) -> None:
    assert model_store.count(model_store.vocab.inferred_graph) > 1000
    assert not model_store.ask("ASK { GRAPH graph:inferred { ?s owl:sameAs ?o } }")
    assert not model_store.ask("ASK { GRAPH graph:inferred { ?s a owl:Thing } }")
    assert not model_store.ask("ASK { GRAPH graph:inferred { ?s a ?c FILTER(isBlank(?c)) } }")
    assert not model_store.ask(
        "ASK { GRAPH graph:inferred { ?s ?p ?o } GRAPH graph:ontology { ?s ?q ?r } }"
    )
    assert not model_store.ask(
        """ASK { GRAPH graph:inferred { ?s ?p ?o }
                 GRAPH ?g { ?s ?p ?o } FILTER(?g != graph:inferred) }"""
    )
