"""Finding things (issue 14): an identifier a person sees finds its thing, in search and as a
URL; the 404 page of an unknown entity offers search and suggestions; snippets are cut
between words; search tolerates a typo and knows the ``skos:altLabel`` synonyms."""

from __future__ import annotations

import re

import pytest
from bs4 import BeautifulSoup
from flask import Flask
from flask.testing import FlaskClient

from service.pages._search_text import MATCH_END, MATCH_START, snippet
from service.rdf import DCTERMS, RDF, RDFS, Literal, Quad
from service.store import ChangeSet
from service.web._services import services


@pytest.fixture
def client(reader: FlaskClient) -> FlaskClient:
    """These tests only read: the session's shared application (``reader``). The one that
    writes has an application of its own (``app``)."""
    return reader


def results(client: FlaskClient, text: str) -> list[dict[str, str]]:
    response = client.get("/search", query_string={"q": text, "format": "json"})
    assert response.status_code == 200
    return list(response.get_json()["results"])


def found(client: FlaskClient, text: str) -> list[str]:
    return [hit["iri"] for hit in results(client, text)]


def path_of(iri: str) -> str:
    return "/" + iri.split("/", 3)[3]


# -- an identifier finds its thing --------------------------------------------------


@pytest.mark.parametrize("typed", ["C17", "c17", " C17 "])
def test_a_claim_identifier_is_the_first_hit(client: FlaskClient, typed: str) -> None:
    hits = found(client, typed)
    assert hits, typed
    assert hits[0].endswith("/id/claim/sovereignty-crimea-donbas")


def test_a_local_name_is_the_first_hit(client: FlaskClient) -> None:
    assert found(client, "putin")[0].endswith("/id/Putin")


@pytest.mark.parametrize("path", ["/id/C17", "/id/c17", "/id/putin", "/id/PUTIN", "/id/istanbul"])
def test_an_identifier_url_redirects_to_the_entity(client: FlaskClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code in (301, 303)
    target = response.headers["Location"]
    canonical = {
        "c17": "/id/claim/sovereignty-crimea-donbas",
        "putin": "/id/Putin",
        "istanbul": "/id/Istanbul",
    }[path.rsplit("/", 1)[1].lower()]
    assert (path_of(target) if target.startswith("http") else target) == canonical
    assert client.get(target).status_code == 200


def test_an_identifier_url_keeps_its_format(client: FlaskClient) -> None:
    response = client.get("/id/putin.ttl")
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/id/Putin.ttl")


def test_the_canonical_url_is_not_redirected(client: FlaskClient) -> None:
    assert client.get("/id/Putin").status_code == 200


def test_an_identifier_of_several_entities_goes_to_the_search(app: Flask) -> None:
    # Two new entities share a local name ("Twin"), under different paths.
    client = app.test_client()
    with app.app_context():
        svc = services()
        vocab, graph = svc.vocab, svc.vocab.reference_graph
        source = next(svc.store.quads(vocab.id["Putin"], DCTERMS.source, None, graph)).object
        quads = []
        for iri in (vocab.id["Twin"], vocab.id["ref/twin"]):
            quads += [
                Quad(iri, RDF.type, vocab.parley.Person, graph),
                Quad(iri, RDFS.label, Literal("A twin", language="en"), graph),
                Quad(iri, DCTERMS.source, source, graph),
            ]
        svc.writer.submit(ChangeSet(insert=quads), agent="test", operation="test")
    response = client.get("/id/nobody/TWIN")
    assert response.status_code in (301, 303)
    assert response.headers["Location"].endswith("/search?q=TWIN")
    assert client.get("/id/TWIN").headers["Location"].endswith("/id/Twin")  # its path
    assert client.get("/id/Twin").status_code == 200  # the exact IRI is itself


# -- the 404 page ----------------------------------------------------------------------


def test_the_not_found_page_offers_search_and_suggestions(client: FlaskClient) -> None:
    response = client.get("/id/Zelenskiy", headers={"Accept": "text/html"})
    assert response.status_code == 404
    page = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    box = page.select_one("main input[name=q]")
    assert box is not None
    assert box["value"] == "Zelenskiy"
    form = box.find_parent("form")
    assert form is not None
    assert form["action"] == "/search"
    suggestions = page.select("ul.suggestions a")
    assert 1 <= len(suggestions) <= 5
    assert suggestions[0]["href"] == "/id/Zelensky"


def test_the_not_found_page_escapes_the_segment(client: FlaskClient) -> None:
    response = client.get('/id/"><b>x', headers={"Accept": "text/html"})
    assert response.status_code == 404
    assert "<b>x" not in response.get_data(as_text=True)


def test_the_not_found_problem_carries_the_suggestions(client: FlaskClient) -> None:
    response = client.get("/id/Istambul", headers={"Accept": "application/json"})
    assert response.status_code == 404
    doc = response.get_json()
    assert doc["search"] == "Istambul"
    assert doc["suggestions"][0]["iri"].endswith("/id/Istanbul")
    assert len(doc["suggestions"]) <= 5


# -- snippets --------------------------------------------------------------------------


def test_snippets_are_cut_between_words() -> None:
    text = " ".join(["negotiator Turkey"] * 40) + " Istanbul " + " ".join(["ceasefire"] * 40)
    cut = snippet(["istanbul"], text, width=100)
    plain = cut.replace(MATCH_START, "").replace(MATCH_END, "")
    assert plain.startswith("… ")
    assert plain.endswith(" …")
    words = set(text.split())
    assert all(word in words for word in plain.strip("… ").split())
    assert f"{MATCH_START}Istanbul{MATCH_END}" in cut


def test_search_snippets_have_only_whole_words(client: FlaskClient) -> None:
    cut = [h for h in results(client, "Russia") if "…" in h["snippet"]]
    assert cut, "some snippet long enough to be cut"
    with client.application.app_context():
        store = services().store
        texts = " ".join(
            str(row["v"].value)
            for row in store.select("SELECT ?v WHERE { ?s ?p ?v FILTER(isLiteral(?v)) }")
        )
    words = set(re.findall(r"\w+", texts))
    for hit in cut:
        inner = hit["snippet"].removeprefix("… ").removesuffix(" …")
        assert "…" not in inner.replace("...", "")
        # Every word at a cut is a whole word of the data, not a piece of one.
        pieces = re.findall(r"\w+", inner)
        assert pieces[0] in words, hit["snippet"]
        assert pieces[-1] in words, hit["snippet"]


# -- typos and synonyms ----------------------------------------------------------------


def test_one_typo_is_tolerated(client: FlaskClient) -> None:
    assert any(iri.endswith("/id/Istanbul") for iri in found(client, "Istambul"))
    assert found(client, "Istanbul")[0].endswith("/id/Istanbul")  # the exact word still first


def test_an_alt_label_is_a_synonym(client: FlaskClient) -> None:
    # id:Front is labelled "The front (line of contact)", also known as "the battlefield".
    front = [h for h in results(client, "battlefield") if h["iri"].endswith("/id/Front")]
    assert front, "found by its altLabel"
    assert "battlefield" not in front[0]["label"].lower()  # not by its label


def test_the_typo_word_is_highlighted_in_the_snippet(client: FlaskClient) -> None:
    page = client.get("/search", query_string={"q": "Istambul"}).get_data(as_text=True)
    marked = {m.get_text().lower() for m in BeautifulSoup(page, "html.parser").select("mark")}
    assert "istanbul" in marked


# -- facets by kind --------------------------------------------------------------------


def search_json(client: FlaskClient, **args: str) -> dict[str, object]:
    response = client.get("/search", query_string={**args, "format": "json"})
    assert response.status_code == 200
    body = response.get_json()
    assert isinstance(body, dict)
    return body


def test_facets_count_the_matches_by_kind(client: FlaskClient) -> None:
    body = search_json(client, q="Putin")
    facets = {f["kind"]: f["count"] for f in body["facets"]}  # type: ignore[attr-defined]
    assert len(facets) >= 2, facets  # Putin is a person, and the subject of claims
    hits = body["results"]
    assert isinstance(hits, list)
    for kind, count in facets.items():
        # A facet counts every match of its kind, not only the best 50 shown.
        assert count >= sum(1 for h in hits if h["kind"] == kind)
        assert count > 0


def test_a_facet_keeps_the_hits_of_its_kind(client: FlaskClient) -> None:
    facets = search_json(client, q="Putin")["facets"]
    assert isinstance(facets, list)
    kind, count = facets[-1]["kind"], facets[-1]["count"]
    narrowed = search_json(client, q="Putin", kind=kind)
    hits = narrowed["results"]
    assert isinstance(hits, list)
    assert len(hits) == min(count, 50)
    assert {h["kind"] for h in hits} == {kind}
    # the facets stay those of the whole search, so a person can widen it again
    assert narrowed["facets"] == facets


def test_the_search_page_shows_the_facets_as_links(client: FlaskClient) -> None:
    page = client.get("/search", query_string={"q": "Putin"}).get_data(as_text=True)
    nav = BeautifulSoup(page, "html.parser").select_one("nav.facets")
    assert nav is not None
    links = nav.select("a")
    assert links[0].get_text() == "All kinds"
    assert links[0].get("aria-current") == "page"
    assert all("kind=" in str(a["href"]) for a in links[1:])
    narrowed = client.get(str(links[1]["href"])).get_data(as_text=True)
    current = BeautifulSoup(narrowed, "html.parser").select_one("nav.facets a[aria-current]")
    assert current is not None
    assert current["href"] == links[1]["href"]
