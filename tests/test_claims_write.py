"""``POST /claims``: a claim from its fields, written through the gate, or refused by field.

In-process on a private copy of the built model (the seed article is the source quoted).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from service.editing import Registry, editors_file
from tests.support import AppSite

#: A passage of the seed article and where it is (code points, end exclusive).
QUOTE = "Russian sovereignty over Crimea and Donbas is not up for negotiation"
START, END = 1774, 1842
PROV = "http://www.w3.org/ns/prov#"
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"


@pytest.fixture
def client(private_site: AppSite) -> Iterator[httpx.Client]:
    with private_site.client() as http:
        yield http


def _claim(**changes: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "source": "id/source/article",
        "exact": QUOTE,
        "start": START,
        "end": END,
        "claimant": "Putin",
        "modality": "modality-demanded",
        "claimType": "normative",
        "aboutPlace": ["id/Crimea", "Donbas"],
        "stances": [{"toward": "id/Russia", "value": "stance-favourable"}],
    }
    fields.update(changes)
    return {k: v for k, v in fields.items() if v is not None}


def _select(site: AppSite, query: str) -> list[dict[str, str]]:
    with site.client() as http:
        answer = http.get(
            "/sparql",
            params={"query": query},
            headers={"Accept": "application/sparql-results+json"},
        )
    assert answer.status_code == 200, answer.text
    return [{k: v["value"] for k, v in row.items()} for row in answer.json()["results"]["bindings"]]


def _claims_count(site: AppSite) -> int:
    rows = _select(site, "SELECT (COUNT(?c) AS ?n) WHERE { ?c a parley:Claim }")
    return int(rows[0]["n"])


def test_a_json_claim_is_written_with_its_quote_at_its_offsets(
    private_site: AppSite, client: httpx.Client
) -> None:
    answer = client.post("/claims", json=_claim(), headers=private_site.auth())
    assert answer.status_code == 201, answer.text
    body = answer.json()
    iri = body["iri"]
    assert answer.headers["Location"] == iri
    assert iri.startswith(f"{private_site.url}id/claim/russian-sovereignty")
    assert body["identifier"] == "C102"  # the seed's largest is C101
    rows = _select(
        private_site,
        f"SELECT ?exact ?start ?end ?text ?prefix ?stance ?label WHERE {{ <{iri}> "
        "parley:claimant id:Putin ; parley:appearsIn ?src ; rdfs:label ?label ; "
        "parley:aboutActor id:Russia ; parley:hasStance/parley:stanceValue ?stance ; "
        "parley:hasEvidence ?ev . ?ev oa:hasSource ?src ; oa:hasSelector ?q, ?p . "
        "?q oa:exact ?exact ; oa:prefix ?prefix . ?p oa:start ?start ; oa:end ?end . "
        "?src schema:text ?text }",
    )
    assert len(rows) == 1
    row = rows[0]
    start, end = int(row["start"]), int(row["end"])
    assert (row["exact"], start, end) == (QUOTE, START, END)
    assert row["text"][start:end] == row["exact"]
    assert row["text"][start - len(row["prefix"]) : start] == row["prefix"]
    assert row["stance"].endswith("#stance-favourable")
    assert row["label"] == f"Vladimir Putin: {QUOTE}"
    page = client.get(iri.removeprefix(private_site.url.rstrip("/")))
    assert page.status_code == 200
    assert "C102" in page.text


def test_offsets_given_alone_take_the_quote_from_the_text(
    private_site: AppSite, client: httpx.Client
) -> None:
    answer = client.post(
        "/claims", json=_claim(exact=None, label="Putin: sovereignty"), headers=private_site.auth()
    )
    assert answer.status_code == 201, answer.text
    iri = answer.json()["iri"]
    rows = _select(
        private_site, f"SELECT ?e WHERE {{ <{iri}> parley:hasEvidence/oa:hasSelector/oa:exact ?e }}"
    )
    assert rows == [{"e": QUOTE}]


def test_offsets_that_do_not_match_the_text_are_refused_on_the_quote(
    private_site: AppSite, client: httpx.Client
) -> None:
    before = _claims_count(private_site)
    answer = client.post(
        "/claims", json=_claim(start=START + 1, end=END + 1), headers=private_site.auth()
    )
    assert answer.status_code == 422, answer.text
    assert answer.headers["Content-Type"].startswith("application/problem+json")
    results = answer.json()["results"]
    assert [r["field"] for r in results] == ["exact"]
    assert "is not the text at 1775-1843" in results[0]["message"]
    assert _claims_count(private_site) == before


def test_a_missing_claimant_is_refused_on_its_field(
    private_site: AppSite, client: httpx.Client
) -> None:
    answer = client.post(
        "/claims", json=_claim(claimant=None, label="A claim"), headers=private_site.auth()
    )
    assert answer.status_code == 422, answer.text
    fields = [r["field"] for r in answer.json()["results"]]
    assert fields == ["claimant"]


def test_the_gates_violations_come_back_by_field(
    private_site: AppSite, client: httpx.Client
) -> None:
    """Supporting and opposing one proposition passes the field checks; the gate's
    sh:disjoint result is mapped back to the field."""
    proposition = "id/proposition/recognition-crimea-donbas"
    claim = _claim(supportsProposition=[proposition], opposesProposition=[proposition])
    answer = client.post("/claims", json=claim, headers=private_site.auth())
    assert answer.status_code == 422, answer.text
    results = answer.json()["results"]
    supports = [r for r in results if r["field"] == "supportsProposition"]
    assert supports, results
    assert supports[0]["path"] == f"{private_site.url}ontology#supportsProposition"
    assert supports[0]["focus"].startswith(f"{private_site.url}id/claim/")
    assert supports[0]["focusNode"] == f"<{supports[0]['focus']}>"


def test_a_dry_run_answers_the_check_and_writes_nothing(
    private_site: AppSite, client: httpx.Client
) -> None:
    before = _claims_count(private_site)
    good = client.post("/claims?dry-run=true", json=_claim(), headers=private_site.auth())
    bad = client.post(
        "/claims?dry-run=true", json=_claim(modality="ordered"), headers=private_site.auth()
    )
    assert (good.status_code, bad.status_code) == (200, 200), bad.text
    assert good.json() == {"conforms": True, "results": []}
    assert bad.json()["conforms"] is False
    assert [r["field"] for r in bad.json()["results"]] == ["modality"]
    assert _claims_count(private_site) == before


def test_a_form_post_redirects_to_the_claim_page(
    private_site: AppSite, client: httpx.Client
) -> None:
    form = {
        "source": "id/source/article",
        "start": str(START),
        "end": str(END),
        "claimant": "id/Putin",
        "modality": "modality-demanded",
        "claimType": "type-normative",
        "aboutActor": "id/Ukraine",
        "stance-toward": ["id/Russia", ""],
        "stance-value": ["stance-favourable", ""],
    }
    answer = client.post(
        "/claims", data=form, headers={**private_site.auth(), "Accept": "text/html"}
    )
    assert answer.status_code == 303, answer.text
    location = answer.headers["Location"]
    assert location.startswith("/id/claim/russian-sovereignty")
    page = client.get(location)
    assert page.status_code == 200
    assert QUOTE in page.text


def test_the_provenance_names_the_editor_who_wrote_the_claim(
    private_site: AppSite, client: httpx.Client
) -> None:
    path = editors_file(private_site.services.settings)
    assert path is not None
    _editor, token = Registry(path).add("Mira Holt")
    answer = client.post("/claims", json=_claim(), headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 201, answer.text
    record = answer.json()["record"]
    editor = f"{private_site.url}id/editor/mira-holt"
    rows = _select(
        private_site,
        f"SELECT ?name WHERE {{ GRAPH <{private_site.url}graph/provenance> {{ "
        f"<{record}> <{PROV}wasAssociatedWith> <{editor}> . <{editor}> <{RDFS_LABEL}> ?name }} }}",
    )
    assert rows == [{"name": "Mira Holt"}]


def test_a_relation_and_a_new_actor_are_written_as_the_data_writes_them(
    private_site: AppSite, client: httpx.Client
) -> None:
    claim = _claim(
        **{
            "contradictsClaim": ["id/claim/not-defeated-party"],
            "relationNote": "The two cannot both be held.",
            "new-actor-label": "Kremlin press pool",
            "new-actor-type": "ontology#Organization",
            "aboutActor": ["new-actor"],
            "reportsClaim": "C51",
        }
    )
    answer = client.post("/claims", json=claim, headers=private_site.auth())
    assert answer.status_code == 201, answer.text
    iri = answer.json()["iri"]
    actor = f"{private_site.url}id/KremlinPressPool"
    assert answer.json()["newActors"] == [actor]
    statement = f"{iri}#contradicts-not-defeated-party"
    rows = _select(
        private_site,
        f"SELECT ?creator ?src WHERE {{ "
        f"GRAPH <{private_site.url}graph/editorial> {{ <{iri}> parley:contradictsClaim ?o . "
        f"<{statement}> rdf:subject <{iri}> ; rdf:object ?o ; dcterms:creator ?creator }} "
        f"GRAPH <{private_site.url}graph/reference> {{ <{actor}> dcterms:source ?src }} "
        f"<{iri}> a parley:ReportClaim ; parley:aboutActor <{actor}> }}",
    )
    assert len(rows) == 1
    assert rows[0]["src"] == f"{private_site.url}id/source/article"
    assert rows[0]["creator"].startswith(f"{private_site.url}id/agent/token-")


def test_writes_need_a_writer(client: httpx.Client) -> None:
    answer = client.post("/claims", json=_claim())
    assert answer.status_code == 401


def test_a_refused_form_post_shows_the_form_again_with_the_message(
    private_site: AppSite, client: httpx.Client
) -> None:
    """An editor signed in with the session cookie posts the form without a claimant."""
    path = editors_file(private_site.services.settings)
    assert path is not None
    _editor, token = Registry(path).add("Ann Lee")
    client.post("/sign-in", data={"token": token, "next": "/"})
    found = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/sign-in").text)
    assert found, "a signed-in page carries the CSRF token"
    form = {
        "csrf_token": found.group(1),
        "source": "id/source/article",
        "start": str(START),
        "end": str(END),
        "modality": "modality-demanded",
        "claimType": "type-normative",
        "aboutActor": "id/Ukraine",
    }
    answer = client.post(
        "/claims", data=form, headers={"Accept": "text/html", "Origin": private_site.url}
    )
    assert answer.status_code == 422
    assert answer.headers["Content-Type"].startswith("text/html")
    assert "A claim has exactly one claimant" in answer.text
    assert _claims_count(private_site) == 101


def test_the_forms_live_check_answers_json_by_field(
    private_site: AppSite, client: httpx.Client
) -> None:
    """What form.js sends while an editor types: the form's fields, JSON wanted."""
    form = {"source": "id/source/article", "exact": "not in the article at all"}
    answer = client.post(
        "/claims?dry-run=true",
        data=form,
        headers={**private_site.auth(), "Accept": "application/json"},
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["conforms"] is False
    assert "exact" in {r["field"] for r in body["results"]}
