"""The pages of the record a fact-checker cites (issue 13): the two verdicts of a claim,
the notice on claims that are not checkable, positions, disputes and relations, the
reference source and proposition pages.

They run in-process (httpx over the WSGI app) on a small fixture of their own
(``tests/fixtures/pages/data``), built once for the module, whose every answer is worked
out by hand below: the seed data changes, these pages' rules do not. The checks that
hold on any data (a claim that is not checkable never reads "consistent with the
record") also run over the project's model.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from bs4 import BeautifulSoup, Tag

from service.rdf import JSONLD, TURTLE, parse
from service.settings import PROJECT_ROOT
from tests.support import AppSite, Site, build_store, open_app

FIXTURE_DATA = PROJECT_ROOT / "tests" / "fixtures" / "pages" / "data"
NOTICE = "not a checkable claim: the record can show it was said, not that it is true."


@pytest.fixture(scope="module")
def fixture_site(tmp_path_factory: pytest.TempPathFactory, base_iri: str) -> Iterator[AppSite]:
    path: Path = tmp_path_factory.mktemp("pages-fixture") / "store"
    build_store(path, base_iri, data_dir=FIXTURE_DATA)
    site = open_app(path, base_iri, query_workers=0)
    yield site
    site.stop()


@pytest.fixture
def web(fixture_site: AppSite) -> Iterator[httpx.Client]:
    with fixture_site.client() as client:
        yield client


def page(http: httpx.Client, path: str) -> BeautifulSoup:
    response = http.get(path, headers={"Accept": "text/html"})
    assert response.status_code == 200, (path, response.status_code)
    assert response.headers["content-type"].startswith("text/html")
    return BeautifulSoup(response.text, "html.parser")


def text(node: Tag | BeautifulSoup | None) -> str:
    assert node is not None
    return " ".join(node.get_text(" ").split())


def flat(node: Tag | None) -> str:
    """The text as a reader sees it: no space added between an element and what follows."""
    assert node is not None
    return " ".join(node.get_text().split())


def head(soup: BeautifulSoup) -> str:
    """The claim page's header: its title, claimant and verdicts."""
    return text(soup.select_one("header.entity-head .claim-head"))


def hrefs(node: Tag | None) -> set[str]:
    assert node is not None
    return {str(a["href"]) for a in node.select("a[href]")}


# -- the two verdicts ----------------------------------------------------------------


def test_verdicts_sit_in_the_header_next_to_the_claimant(web: httpx.Client) -> None:
    soup = page(web, "/id/claim/talks-resumed")
    header = head(soup)
    assert "Claimant: the article's author" in header
    # The author's own claim: no attribution to check; a factual claim with an accuracy verdict.
    assert "Attribution: the source’s own claim" in header
    assert "Accuracy: consistent with the record" in header
    # Before the body of the page: the verdicts are the first thing after the title.
    html = str(soup)
    assert html.index("verdict-accuracy") < html.index('id="h-claim"')


def test_a_demand_is_never_consistent_with_the_record(web: httpx.Client) -> None:
    soup = page(web, "/id/claim/no-nato")
    header = head(soup)
    assert "Attribution: faithful paraphrase" in header
    assert "Accuracy: does not apply: not a checkable claim" in header
    notice = text(soup.select_one(".not-checkable"))
    assert notice.startswith(f"A demand and a norm — {NOTICE}")
    # The review's note says why accuracy does not apply.
    assert "A demand: the record can show that Moscow sets it, not whether it is right." in notice
    assert "consistent with the record" not in text(soup)


def test_a_prediction_and_an_evaluation_say_what_they_are(web: httpx.Client) -> None:
    prediction = page(web, "/id/claim/fail-before-spring")
    assert "Attribution: verbatim in a primary record" in head(prediction)
    assert text(prediction.select_one(".not-checkable")).startswith(f"A prediction — {NOTICE}")
    evaluation = page(web, "/id/claim/good-basis")
    assert "Attribution: not reviewed" in head(evaluation)
    assert text(evaluation.select_one(".not-checkable")).startswith(f"An evaluation — {NOTICE}")


def test_the_notice_follows_the_inferred_class(fixture_site: AppSite, web: httpx.Client) -> None:
    """Every claim typed parley:NotCheckableClaim (derived) has the notice and shows no
    accuracy verdict; every other claim has neither the notice nor its wording."""
    rows = fixture_site.services.store.select(
        "SELECT ?c ?n WHERE { ?c a parley:Claim "
        "OPTIONAL { ?c a parley:NotCheckableClaim BIND(true AS ?n) } }"
    )
    assert len(rows) == 7
    assert sum("n" in r for r in rows) == 5
    base = fixture_site.url
    for r in rows:
        soup = page(web, "/" + r["c"].value.removeprefix(base))
        if "n" in r:
            assert soup.select_one(".not-checkable") is not None, r["c"]
            assert "Accuracy: does not apply" in head(soup)
            assert "consistent with the record" not in text(soup)
        else:
            assert soup.select_one(".not-checkable") is None, r["c"]


def test_reviews_show_both_verdicts(web: httpx.Client) -> None:
    soup = page(web, "/id/claim/no-nato")
    review = text(soup.select_one("article.review"))
    assert "Attribution faithful paraphrase" in review
    assert "Accuracy does not apply: not a checkable claim" in review
    assert "Kremlin: transcript of the press conference" in review


# -- positions, disputes, relations ---------------------------------------------------


def test_claim_shows_its_positions_disputes_and_relations(web: httpx.Client) -> None:
    soup = page(web, "/id/claim/no-nato")
    positions = soup.select_one("ul.positions")
    assert text(positions) == "opposes Ukraine joins NATO"
    assert hrefs(positions) == {"/id/proposition/ukraine-joins-nato"}
    disputes = soup.select_one("ul.disputes")
    # The claimant once, then the claim's words: never "European governments: European
    # governments: ..." (issue 14: the label's own speaker is dropped beside the claimant).
    assert "European governments: Ukraine must stay free to join NATO" in flat(disputes)
    assert "European governments: European governments" not in flat(disputes)
    assert "(on Ukraine joins NATO)" in flat(disputes)
    assert {"/id/claim/free-to-join", "/id/EuropeanGovernments"} <= hrefs(disputes)
    relations = soup.select("ul.relations > li")
    assert len(relations) == 1
    assert text(relations[0]).startswith("This claim contradicts European governments")
    # The editor's note, escaped, and who stated it.
    assert "whether Ukraine may join NATO &amp; when." in str(relations[0])
    assert "Parley editorial desk" in text(relations[0])


def test_a_symmetric_relation_reads_the_same_from_both_claims(web: httpx.Client) -> None:
    other = page(web, "/id/claim/free-to-join")
    relations = other.select("ul.relations > li")
    assert len(relations) == 1
    assert text(relations[0]).startswith("This claim contradicts Government of Russia")
    supported = page(web, "/id/claim/good-basis").select("ul.relations > li")
    assert [flat(li).split(" The author offers")[0] for li in supported] == [
        "This claim is supported by the article's author: the talks resumed in November"
    ]
    supporting = page(web, "/id/claim/talks-resumed").select("ul.relations > li")
    assert text(supporting[0]).startswith("This claim supports Donald Trump")


def test_a_claim_with_no_standing_has_no_such_section(web: httpx.Client) -> None:
    assert page(web, "/id/claim/kyiv-concede").find(id="h-standing") is None


# -- reference sources ----------------------------------------------------------------


def test_reference_source_page_classifies_the_source(web: httpx.Client) -> None:
    soup = page(web, "/id/ref/later")
    facts = text(soup.select_one("section[aria-labelledby=h-reference] dl"))
    assert "Kind newspaper or broadcaster" in facts
    assert "Publisher A newspaper" in facts
    assert "Date 2026-01-10" in facts
    assert "Published after the article it is cited about" in facts
    link = soup.select_one("a.source-url")
    assert link is not None
    assert link["href"] == "https://paper.example.org/2026/01/10/talks?a=1&b=2"
    assert set(link["rel"]) == {"noopener", "noreferrer", "nofollow"}
    cited = soup.select_one("section[aria-labelledby=h-cited]")
    assert "What cites it (2)" in text(cited)
    assert {"/id/review/C6", "/id/claim/talks-resumed", "/id/Talks2025"} <= hrefs(cited)


def test_state_affiliated_source_names_its_party(web: httpx.Client) -> None:
    soup = page(web, "/id/ref/kremlin")
    facts = soup.select_one("section[aria-labelledby=h-reference] dl")
    assert "Kind transcript of the speaker" in text(facts)
    assert "Affiliated with Russia" in text(facts)
    assert "/id/Russia" in hrefs(facts)
    assert "Published after" not in text(facts)


# -- propositions ---------------------------------------------------------------------


def test_proposition_page_sets_the_sides_side_by_side(web: httpx.Client) -> None:
    soup = page(web, "/id/proposition/ukraine-joins-nato")
    assert text(soup.h1) == "Ukraine joins NATO"
    assert "Ukraine becomes a member of NATO." in text(soup.select_one(".entity-head"))
    supporting = soup.select_one(".side-supports")
    opposing = soup.select_one(".side-opposes")
    assert "European governments" in text(supporting)
    assert "“Ukraine stay free to join NATO”" in text(supporting)
    assert hrefs(supporting) >= {"/id/claim/free-to-join", "/id/EuropeanGovernments"}
    assert "“Ukraine never join NATO”" in text(opposing)
    assert hrefs(opposing) >= {"/id/claim/no-nato", "/id/RussianGov"}
    pairs = soup.select("ul.dispute-pairs > li")
    assert len(pairs) == 1
    assert hrefs(pairs[0]) >= {"/id/claim/free-to-join", "/id/claim/no-nato"}


def test_actor_page_shows_positions_and_opponents(web: httpx.Client) -> None:
    soup = page(web, "/id/RussianGov")
    section = soup.select_one("section[aria-labelledby=h-actor-positions]")
    assert "opposes Ukraine joins NATO" in text(section)
    assert "In dispute with: European governments" in text(section)


@pytest.mark.parametrize(
    "path", ["/id/proposition/ukraine-joins-nato", "/id/ref/later", "/id/claim/no-nato"]
)
def test_new_pages_still_dereference_as_rdf(
    fixture_site: AppSite, web: httpx.Client, path: str
) -> None:
    iri = fixture_site.url + path.lstrip("/")
    for fmt in (TURTLE, JSONLD):
        response = web.get(path, headers={"Accept": fmt.media_type})
        assert response.status_code == 200
        assert response.headers["content-type"].startswith(fmt.media_type)
        subjects = {q.subject for q in parse(response.content, fmt, base_iri=fixture_site.url)}
        assert any(str(s) == f"<{iri}>" for s in subjects)


# -- the project's model: rules that hold whatever the data --------------------------


def claim_path(site: Site, http: httpx.Client, identifier: str) -> str:
    response = http.get(
        "/sparql",
        params={"query": f'SELECT ?c WHERE {{ ?c dcterms:identifier "{identifier}" }}'},
        headers={"Accept": "application/sparql-results+json"},
    )
    rows = response.json()["results"]["bindings"]
    assert len(rows) == 1, rows
    return "/" + str(rows[0]["c"]["value"]).removeprefix(site.url)


@pytest.mark.parametrize("identifier", ["C17", "C20"])
def test_seed_demands_are_never_consistent(site: Site, http: httpx.Client, identifier: str) -> None:
    """C17 (Putin on Crimea and Donbas) and C20 (Moscow on NATO) are demands."""
    soup = page(http, claim_path(site, http, identifier))
    notice = text(soup.select_one(".not-checkable"))
    assert notice.startswith("A demand")
    assert NOTICE in notice
    assert "Accuracy: does not apply" in head(soup)
    assert "consistent with the record" not in text(soup)


def test_seed_kremlin_source_page(site: Site, http: httpx.Client) -> None:
    """A transcript published on kremlin.ru: its kind, its address, its party."""
    response = http.get(
        "/sparql",
        params={
            "query": "SELECT ?s ?url WHERE { ?s a parley:ReferenceSource ; schema:url ?url "
            'FILTER(CONTAINS(STR(?url), "kremlin.ru")) } ORDER BY ?s LIMIT 1'
        },
        headers={"Accept": "application/sparql-results+json"},
    )
    rows = response.json()["results"]["bindings"]
    assert rows, "no reference source on kremlin.ru"
    soup = page(http, "/" + rows[0]["s"]["value"].removeprefix(site.url))
    facts = text(soup.select_one("section[aria-labelledby=h-reference] dl"))
    assert "Kind " in facts
    assert "Affiliated with Russia" in facts
    link = soup.select_one("a.source-url")
    assert link is not None
    assert link["href"] == rows[0]["url"]["value"]
    assert set(link["rel"]) == {"noopener", "noreferrer", "nofollow"}


def test_search_finds_a_review_by_its_note(fixture_site: AppSite, web: httpx.Client) -> None:
    response = web.get("/search", params={"q": "whether it is right", "format": "json"})
    assert response.status_code == 200
    hits = [h["iri"] for h in response.json()["results"]]
    assert fixture_site.url + "id/review/C4" in hits


def test_home_lists_the_questions_in_dispute(web: httpx.Client) -> None:
    section = page(web, "/").select_one("section[aria-labelledby=h-questions]")
    assert "Ukraine joins NATO (1 supporting, 1 opposing)" in text(section)
    assert hrefs(section) == {"/id/proposition/ukraine-joins-nato"}


def test_review_page_shows_the_claim_and_both_verdicts(web: httpx.Client) -> None:
    soup = page(web, "/id/review/C4")
    section = soup.select_one("section[aria-labelledby=h-review]")
    assert "Review of the claim C4: Government of Russia: Ukraine must never join NATO" in flat(
        section
    )
    facts = text(section.select_one("dl") if section else None)
    assert "Attribution faithful paraphrase" in facts
    assert "Accuracy does not apply: not a checkable claim" in facts
    assert "Note A demand: the record can show that Moscow sets it" in facts
    consistent = text(page(web, "/id/review/C6").select_one("section[aria-labelledby=h-review]"))
    assert "Accuracy consistent with the record" in consistent
    assert "Attribution does not apply: the source’s own claim" in consistent
