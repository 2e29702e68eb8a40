"""What the rules derive is never stated: a write that states a dispute (or a position an
agent holds) is refused, whoever sends it, and nothing is written; the stances it would
follow from are accepted and the dispute is derived from them."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

AUTH = {"Authorization": "Bearer test-token"}
SPARQL_JSON = {"Accept": "application/sparql-results+json"}


@pytest.mark.parametrize(
    "statement",
    [
        "claim:headline parley:disputes claim:fine-tuning .",
        "id:Putin parley:inDisputeWith id:Zelensky .",
        "id:Putin parley:supportsPosition <id/proposition/ukraine-neutral> .",
        # An inverse states the same thing backwards.
        "<id/proposition/ukraine-neutral> parley:positionOpposedBy id:Zelensky .",
    ],
)
def test_a_derived_property_is_refused(reader: FlaskClient, base_iri: str, statement: str) -> None:
    body = (
        f"@prefix parley: <{base_iri}ontology#> . @prefix id: <{base_iri}id/> . "
        f"@prefix claim: <{base_iri}id/claim/> .\n{statement}"
    ).encode()
    before = _count(reader)
    refused = reader.post(
        "/data",
        query_string={"graph": f"{base_iri}graph/editorial"},
        data=body,
        headers={**AUTH, "Content-Type": "text/turtle"},
    )
    assert refused.status_code == 403, refused.data
    problem = refused.get_json()
    assert problem["type"].endswith("/problems/ontology-statement")
    assert "derived by the ontology's rules" in problem["detail"]
    assert _count(reader) == before


def _count(client: FlaskClient) -> int:
    query = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"
    rows = client.get("/sparql", query_string={"query": query}, headers=SPARQL_JSON).get_json()
    return int(rows["results"]["bindings"][0]["n"]["value"])
