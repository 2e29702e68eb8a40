"""Disputes are derived, never stated: OWL 2 RL finds them in the build, and the write path
keeps them current through writes and deletions.

Two claims by different claimants that take opposite stances on one proposition
(``parley:supportsProposition`` / ``parley:opposesProposition``) dispute each other
(``parley:disputes``, both ways), each is a ``parley:DisputedClaim``, and their claimants
are ``parley:inDisputeWith`` each other. The gate's fixture (``tests/fixtures/gate/data``)
holds one such pair, nobody states a dispute, and one proposition nobody opposes:

- C2, the Western analysts' demand that Kyiv concede, supports
  ``proposition/ukraine-cedes-territory``; C3, Zelensky's refusal, opposes it;
- C5, Trump's praise of the plan, supports ``proposition/us-plan-basis``.

The app runs in-process on the fixture, built by ``parley build`` (owlrl); the writes go
through its doors (``POST /data``, SPARQL Update), so through the write gate and its
incremental upkeep of ``graph/inferred``. After each write the inferred graph is compared
with a full recompute, and where the asserted data is the fixture again, with the build's.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from service.rdf import Vocab
from tests.gatekit import build_fixture, graph_quads, recomputed_difference
from tests.support import AppSite, open_app

BASE = "http://positions.test/"
VOCAB = Vocab(BASE)
CLAIMS = "graph/claims/article"
CEDES = f"<{BASE}id/proposition/ukraine-cedes-territory>"
PLAN = f"<{BASE}id/proposition/us-plan-basis>"

#: The derived terms: what nobody may state and the reasoner must get right.
DERIVED = ("disputes", "inDisputeWith", "supportsPosition", "opposesPosition")


@dataclass
class Setup:
    site: AppSite
    client: httpx.Client
    built: set[str]  # the build's inferred graph (owlrl), as N-Triples lines


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Setup]:
    store = build_fixture(tmp_path_factory.mktemp("positions") / "store", BASE)
    site = open_app(store, BASE, query_workers=0)
    with site.client() as client:
        built = {str(q.triple) for q in graph_quads(client, VOCAB.inferred_graph)}
        yield Setup(site, client, built)
    site.stop()


def short(value: str) -> str:
    return value.removeprefix(BASE + "id/").removeprefix(BASE + "ontology#")


def rows(client: httpx.Client, query: str) -> set[tuple[str, ...]]:
    response = client.get(
        "/sparql", params={"query": query}, headers={"Accept": "application/sparql-results+json"}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    names = body["head"]["vars"]
    return {
        tuple(short(binding[n]["value"]) for n in names) for binding in body["results"]["bindings"]
    }


def pairs(client: httpx.Client, prop: str) -> set[tuple[str, ...]]:
    """Every ``?a parley:<prop> ?b`` the store holds, in any graph."""
    return rows(client, f"SELECT ?a ?b WHERE {{ ?a parley:{prop} ?b }}")


def disputed(client: httpx.Client) -> set[str]:
    return {r[0] for r in rows(client, "SELECT ?c WHERE { ?c a parley:DisputedClaim }")}


def update(client: httpx.Client, site: AppSite, text: str) -> None:
    response = client.post(
        "/sparql",
        content=text.encode(),
        headers={"Content-Type": "application/sparql-update", **site.auth()},
    )
    assert response.status_code == 200, response.text


def post_data(client: httpx.Client, site: AppSite, turtle: str) -> None:
    response = client.post(
        "/data",
        params={"graph": CLAIMS},
        content=turtle.encode(),
        headers={"Content-Type": "text/turtle", **site.auth()},
    )
    assert response.status_code == 201, response.text


def assert_upkept(setup: Setup) -> None:
    """The inferred graph is what a full recompute gives."""
    extra, missing = recomputed_difference(setup.client, VOCAB)
    assert extra == [], "inferred but not entailed"
    assert missing == [], "entailed but not inferred"


def assert_as_built(setup: Setup) -> None:
    """The asserted data is the fixture again: the inferred graph is the build's (owlrl)."""
    now = {str(q.triple) for q in graph_quads(setup.client, VOCAB.inferred_graph)}
    assert sorted(now - setup.built) == []
    assert sorted(setup.built - now) == []


FIXTURE_DISPUTES = {("claim/C2", "claim/C3"), ("claim/C3", "claim/C2")}
FIXTURE_AGENTS = {("Analysts", "Zelensky"), ("Zelensky", "Analysts")}


# -- the build ------------------------------------------------------------------------


def test_the_build_derives_the_dispute_from_opposite_stances(setup: Setup) -> None:
    client = setup.client
    assert pairs(client, "disputes") == FIXTURE_DISPUTES
    assert disputed(client) == {"claim/C2", "claim/C3"}
    assert pairs(client, "inDisputeWith") == FIXTURE_AGENTS
    assert pairs(client, "supportsPosition") == {
        ("Analysts", "proposition/ukraine-cedes-territory"),
        ("Trump", "proposition/us-plan-basis"),
    }
    assert pairs(client, "opposesPosition") == {("Zelensky", "proposition/ukraine-cedes-territory")}


def test_disputes_are_only_in_the_inferred_graph(setup: Setup) -> None:
    """Nothing in the fixture states a dispute: the build's reasoning put each there."""
    for prop in DERIVED:
        stated = rows(
            setup.client,
            f"SELECT ?a ?b WHERE {{ GRAPH ?g {{ ?a parley:{prop} ?b }} "
            "FILTER(?g != graph:inferred) }",
        )
        assert stated == set(), prop
        in_inferred = rows(
            setup.client, f"SELECT ?a ?b WHERE {{ GRAPH graph:inferred {{ ?a parley:{prop} ?b }} }}"
        )
        assert in_inferred == pairs(setup.client, prop), prop
        assert in_inferred, prop
    assert not rows(
        setup.client,
        "SELECT ?c WHERE { GRAPH ?g { ?c a parley:DisputedClaim } FILTER(?g != graph:inferred) }",
    )


# -- the write path ---------------------------------------------------------------------


def test_deleting_a_stance_ends_the_dispute_and_restoring_it_brings_it_back(
    setup: Setup,
) -> None:
    client, site = setup.client, setup.site
    stance = f"<{BASE}id/claim/C3> parley:opposesProposition {CEDES} ."
    graph = f"<{BASE}{CLAIMS}>"
    update(client, site, f"DELETE DATA {{ GRAPH {graph} {{ {stance} }} }}")
    assert pairs(client, "disputes") == set()
    assert disputed(client) == set()
    assert pairs(client, "inDisputeWith") == set()
    assert pairs(client, "opposesPosition") == set()
    # What does not depend on the stance stays: the analysts still support the proposition.
    assert ("Analysts", "proposition/ukraine-cedes-territory") in pairs(client, "supportsPosition")
    assert_upkept(setup)

    update(client, site, f"INSERT DATA {{ GRAPH {graph} {{ {stance} }} }}")
    assert pairs(client, "disputes") == FIXTURE_DISPUTES
    assert disputed(client) == {"claim/C2", "claim/C3"}
    assert pairs(client, "inDisputeWith") == FIXTURE_AGENTS
    assert_as_built(setup)


def test_a_new_stance_posted_starts_a_dispute_that_a_deletion_ends(setup: Setup) -> None:
    """Putin's C1 (the talks will fail) now opposes the proposition Trump's C5 supports."""
    client, site = setup.client, setup.site
    post_data(
        client,
        site,
        f"<{BASE}id/claim/C1> <{BASE}ontology#opposesProposition> {PLAN} .",
    )
    assert pairs(client, "disputes") == FIXTURE_DISPUTES | {
        ("claim/C1", "claim/C5"),
        ("claim/C5", "claim/C1"),
    }
    assert disputed(client) == {"claim/C1", "claim/C2", "claim/C3", "claim/C5"}
    assert pairs(client, "inDisputeWith") == FIXTURE_AGENTS | {
        ("Putin", "Trump"),
        ("Trump", "Putin"),
    }
    assert ("Putin", "proposition/us-plan-basis") in pairs(client, "opposesPosition")
    assert_upkept(setup)

    stance = f"<{BASE}id/claim/C1> parley:opposesProposition {PLAN} ."
    update(client, site, f"DELETE DATA {{ GRAPH <{BASE}{CLAIMS}> {{ {stance} }} }}")
    assert pairs(client, "disputes") == FIXTURE_DISPUTES
    assert pairs(client, "inDisputeWith") == FIXTURE_AGENTS
    assert_as_built(setup)


def test_a_new_claimant_takes_over_the_dispute(setup: Setup) -> None:
    """The dispute between agents follows the claim's claimant: the property chain over a
    property chain (inDisputeWith over supportsPosition) is kept current."""
    client, site = setup.client, setup.site
    swap = """DELETE {{ GRAPH ?g {{ ?c parley:claimant id:{old} }} }}
              INSERT {{ GRAPH ?g {{ ?c parley:claimant id:{new} }} }}
              WHERE {{ GRAPH ?g {{ ?c parley:claimant id:{old} }} FILTER(?c = <{claim}>) }}"""
    claim = f"{BASE}id/claim/C3"
    update(client, site, swap.format(old="Zelensky", new="Kremlin", claim=claim))
    assert pairs(client, "inDisputeWith") == {("Analysts", "Kremlin"), ("Kremlin", "Analysts")}
    assert pairs(client, "disputes") == FIXTURE_DISPUTES  # the claims' dispute is unchanged
    assert_upkept(setup)
    update(client, site, swap.format(old="Kremlin", new="Zelensky", claim=claim))
    assert pairs(client, "inDisputeWith") == FIXTURE_AGENTS
    assert_as_built(setup)


def test_claims_of_one_side_on_one_proposition_are_not_in_dispute(setup: Setup) -> None:
    """A second claim supporting what C2 supports joins the dispute with C3, not with C2."""
    client, site = setup.client, setup.site
    stance = f"<{BASE}id/claim/C5> parley:supportsProposition {CEDES} ."
    update(client, site, f"INSERT DATA {{ GRAPH <{BASE}{CLAIMS}> {{ {stance} }} }}")
    assert pairs(client, "disputes") == FIXTURE_DISPUTES | {
        ("claim/C5", "claim/C3"),
        ("claim/C3", "claim/C5"),
    }
    assert ("Trump", "Analysts") not in pairs(client, "inDisputeWith")
    assert ("Trump", "Zelensky") in pairs(client, "inDisputeWith")
    assert_upkept(setup)
    update(client, site, f"DELETE DATA {{ GRAPH <{BASE}{CLAIMS}> {{ {stance} }} }}")
    assert_as_built(setup)
