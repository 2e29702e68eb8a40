"""Dereferencing, content negotiation, search and the query page, over HTTP.

The session's site (in-process on the embedded store, a real server on the remote
one) serves the project's model at a base IRI equal to its own URL, so every IRI
in the graph is fetched at that very address.
"""

from __future__ import annotations

import json

import httpx
import pytest
from bs4 import BeautifulSoup

from service.rdf import JSONLD, NTRIPLES, RDFXML, TURTLE, Format, Triple, parse
from tests.support import Site

RDF_PAGE_FORMATS = (TURTLE, JSONLD, NTRIPLES, RDFXML)


def select(http: httpx.Client, query: str) -> list[dict[str, str]]:
    response = http.get(
        "/sparql",
        params={"query": query},
        headers={"Accept": "application/sparql-results+json"},
    )
    assert response.status_code == 200, response.text
    return [{k: v["value"] for k, v in b.items()} for b in response.json()["results"]["bindings"]]


def claim_iri(http: httpx.Client, identifier: str) -> str:
    rows = select(http, f'SELECT ?c WHERE {{ ?c dcterms:identifier "{identifier}" }}')
    assert len(rows) == 1, rows
    return rows[0]["c"]


def triples(body: bytes, fmt: Format, base: str) -> set[Triple]:
    return {q.triple for q in parse(body, fmt, base_iri=base)}


def describe_construct(iri: str) -> str:
    """The description of an entity, written independently as one SPARQL CONSTRUCT: its
    outgoing and incoming triples, those of its fragment nodes, and the rdfs:label of
    every IRI they mention.

    A fragment node is one named under the entity (``{iri}#…``), found by its name, not
    by a path from the entity (``<e> (<p>|!<p>)+ ?d``, which finds the same nodes in this
    model): Virtuoso 7.2 gives up on that path here ("Exceeded 1000000000 bytes in
    transitive temp memory")."""
    e = f"<{iri}>"
    frag = f'STRSTARTS(STR(?d), "{iri}#")'
    return f"""CONSTRUCT {{ ?s ?p ?o }} WHERE {{
      {{ BIND({e} AS ?s) {e} ?p ?o }}
      UNION {{ BIND({e} AS ?o) ?s ?p {e} }}
      UNION {{ ?d ?p ?o FILTER({frag}) BIND(?d AS ?s) }}
      UNION {{
        {{ {e} ?a ?x }} UNION {{ ?x ?a {e} }}
        UNION {{ ?d ?a ?x FILTER({frag}) }}
        UNION {{ ?d ?a ?any FILTER({frag}) BIND(?d AS ?x) }}
        FILTER(isIRI(?x) && ?x != {e})
        ?x rdfs:label ?o . BIND(?x AS ?s) BIND(rdfs:label AS ?p)
      }}
    }}"""


@pytest.fixture(scope="module")
def entities(site: Site) -> dict[str, str]:
    """An actor, a reported claim, an event and the source."""
    with site.client() as http:
        claim = claim_iri(http, "C51")
    return {
        "actor": site.url + "id/Putin",
        "claim": claim,
        "event": site.url + "id/Istanbul2022",
        "source": site.url + "id/source/article",
    }


@pytest.mark.parametrize("kind", ["actor", "claim", "event", "source"])
def test_turtle_and_jsonld_are_the_construct_of_the_description(
    site: Site, http: httpx.Client, entities: dict[str, str], kind: str
) -> None:
    iri = entities[kind]
    expected_body = http.get(
        "/sparql",
        params={"query": describe_construct(iri)},
        headers={"Accept": "application/n-triples"},
    ).content
    expected = triples(expected_body, NTRIPLES, site.url)
    assert len(expected) > 10
    for fmt in (TURTLE, JSONLD):
        response = http.get(iri, headers={"Accept": fmt.media_type})
        assert response.status_code == 200
        assert response.headers["content-type"].startswith(fmt.media_type)
        # Parley's graphs hold no blank nodes, so isomorphism is equality of the sets.
        assert triples(response.content, fmt, site.url) == expected, fmt.name


@pytest.mark.parametrize("fmt", RDF_PAGE_FORMATS, ids=lambda f: f.name)
def test_suffix_and_accept_agree(
    site: Site, http: httpx.Client, entities: dict[str, str], fmt: Format
) -> None:
    iri = entities["event"]
    by_accept = http.get(iri, headers={"Accept": fmt.media_type})
    by_suffix = http.get(f"{iri}.{fmt.suffix}", headers={"Accept": "text/html"})
    assert by_accept.status_code == by_suffix.status_code == 200
    assert by_accept.headers["content-type"] == by_suffix.headers["content-type"]
    assert triples(by_accept.content, fmt, site.url) == triples(by_suffix.content, fmt, site.url)
    assert by_accept.headers["vary"] == "Accept"
    links = by_accept.headers["link"]
    for other in RDF_PAGE_FORMATS:
        assert f'rel="alternate"; type="{other.media_type}"' in links


def test_browser_gets_the_page_with_a_link_to_each_format(
    http: httpx.Client, entities: dict[str, str]
) -> None:
    response = http.get(entities["actor"], headers={"Accept": "text/html,*/*;q=0.8"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    page = BeautifulSoup(response.text, "html.parser")
    assert page.h1 is not None
    assert page.h1.get_text(strip=True) == "Vladimir Putin"
    hrefs = {a["href"] for a in page.select("p.formats a")}
    assert hrefs == {f"/id/Putin.{f.suffix}" for f in RDF_PAGE_FORMATS}
    alternates = {link["type"] for link in page.select('link[rel="alternate"]')}
    assert alternates == {f.media_type for f in RDF_PAGE_FORMATS}


def test_fragment_nodes_are_inlined_in_their_owner(
    site: Site, http: httpx.Client, entities: dict[str, str]
) -> None:
    claim = entities["claim"]
    body = http.get(claim + ".nt").content
    subjects = {str(t.subject) for t in triples(body, NTRIPLES, site.url)}
    assert any(s.startswith(f"<{claim}#evidence-") for s in subjects)
    page = BeautifulSoup(http.get(claim, headers={"Accept": "text/html"}).text, "html.parser")
    assert page.find(id="evidence-1") is not None


def test_unknown_iri_is_404_page_or_problem(site: Site, http: httpx.Client) -> None:
    html = http.get("/id/NoSuchThing", headers={"Accept": "text/html"})
    assert html.status_code == 404
    assert html.headers["content-type"].startswith("text/html")
    problem = http.get("/id/NoSuchThing", headers={"Accept": "text/turtle"})
    assert problem.status_code == 404
    assert problem.headers["content-type"] == "application/problem+json"
    assert problem.json()["iri"] == site.url + "id/NoSuchThing"
    assert http.get("/graph/no-such-graph").status_code == 404


def test_ontology_terms_and_shapes_dereference(site: Site, http: httpx.Client) -> None:
    page = BeautifulSoup(http.get("/ontology").text, "html.parser")
    for anchor in ("Claim", "claimant", "ReportClaim", "modality-demanded", "role-host"):
        entry = page.find(id=anchor)
        assert entry is not None, anchor
    claim = page.find(id="Claim")
    assert claim is not None
    assert "ClaimShape" in str(claim)
    ontology = triples(http.get("/ontology.ttl").content, TURTLE, site.url)
    assert any(str(t.subject) == f"<{site.url}ontology#Claim>" for t in ontology)
    shapes = BeautifulSoup(http.get("/shapes").text, "html.parser")
    assert shapes.find(id="ClaimShape") is not None
    assert http.get("/graph/reference", headers={"Accept": "text/html"}).status_code == 200


def search(http: httpx.Client, text: str) -> list[dict[str, object]]:
    response = http.get("/search", params={"q": text, "format": "json"})
    assert response.status_code == 200
    results: list[dict[str, object]] = response.json()["results"]
    return results


def test_search_finds_the_istanbul_talks(http: httpx.Client) -> None:
    hits = [h["iri"] for h in search(http, "Istanbul")]
    events = select(
        http,
        "SELECT ?e WHERE { ?e a parley:Negotiation ; rdfs:label ?l "
        'FILTER(CONTAINS(?l, "Istanbul")) }',
    )
    assert events
    assert events[0]["e"] in hits[:5]


def test_search_finds_putins_claims(site: Site, http: httpx.Client) -> None:
    claims = {r["c"] for r in select(http, "SELECT ?c WHERE { ?c parley:claimant id:Putin }")}
    assert len(claims) >= 5
    hits = {str(h["iri"]) for h in search(http, "Putin")}
    assert claims <= hits
    assert site.url + "id/Putin" in hits


def test_search_page_and_bad_input(http: httpx.Client) -> None:
    page = http.get("/search", params={"q": "Witkoff"}, headers={"Accept": "text/html"})
    soup = BeautifulSoup(page.text, "html.parser")
    assert soup.select("ol.hits li mark")
    assert http.get("/search", params={"q": "x" * 600}).status_code == 400
    assert search(http, '"unbalanced OR (') == []


def test_query_page_shows_a_table_with_labels(http: httpx.Client) -> None:
    query = "SELECT ?claim ?who WHERE { ?claim parley:claimant ?who } LIMIT 3"
    response = http.post("/sparql", data={"query": query}, headers={"Accept": "text/html"})
    assert response.status_code == 200
    soup = BeautifulSoup(response.text, "html.parser")
    cells = soup.select("table.results tbody tr")
    assert len(cells) == 3
    links = cells[0].select("a")
    assert links
    assert all(str(a["href"]).startswith("/id/") for a in links)
    assert not links[0].get_text().startswith("http")  # a label, not the IRI
    downloads = {a.get_text() for a in soup.select("p.downloads a")}
    assert downloads == {"json", "xml", "csv", "tsv"}


def test_example_questions_run(http: httpx.Client) -> None:
    from service.pages import EXAMPLES

    answered = {}
    for example in EXAMPLES:
        response = http.get(
            "/sparql",
            params={"query": example.query},
            headers={"Accept": "application/sparql-results+json"},
        )
        assert response.status_code == 200, (example.slug, response.text)
        answered[example.slug] = len(json.loads(response.content)["results"]["bindings"])
    for slug in ("putin-claims", "reported-speech", "istanbul", "contested", "timeline"):
        assert answered[slug] > 0, slug


@pytest.mark.parametrize(
    ("identifier", "sentence"),
    [
        # The analysts' claim reaches the reader through Putin's report, published by the author.
        (
            "C51",
            "reports that Vladimir Putin says that 'Western analysts' (unnamed, as reported by Putin) suggest:",
        ),
        # A loosely defined group's own claim: the verb agrees with the plural group.
        ("C47", "'Russian estimates' (unspecified Russian sources) assert:"),
        ("C17", "Vladimir Putin demands:"),
    ],
)
def test_claim_page_says_who_says_it_through_whom(
    http: httpx.Client, identifier: str, sentence: str
) -> None:
    response = http.get(claim_iri(http, identifier), headers={"Accept": "text/html"})
    assert response.status_code == 200
    text = " ".join(BeautifulSoup(response.text, "html.parser").get_text(" ").split())
    assert sentence in text
