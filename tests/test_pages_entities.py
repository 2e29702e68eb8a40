"""Actor, place and event pages (issue 14): curated sections first, each with its count
and bounded; the generic statement table last and folded, still complete; one type chip
per type; friendly property labels.

They run over HTTP on the session's model (both backends), and every count or list is
checked against a SPARQL query asked of the same site's endpoint.
"""

from __future__ import annotations

import re

import httpx
import pytest
from bs4 import BeautifulSoup, Tag

from service.pages._listings import PAGE_SIZE, PREVIEW
from tests.support import Site


def select(http: httpx.Client, query: str) -> list[dict[str, str]]:
    response = http.get(
        "/sparql",
        params={"query": query},
        headers={"Accept": "application/sparql-results+json"},
    )
    assert response.status_code == 200, response.text
    return [{k: v["value"] for k, v in b.items()} for b in response.json()["results"]["bindings"]]


def count(http: httpx.Client, pattern: str, var: str) -> int:
    rows = select(http, f"SELECT (COUNT(DISTINCT ?{var}) AS ?n) WHERE {{ {pattern} }}")
    return int(rows[0]["n"])


def paths(site: Site, iris: list[str]) -> set[str]:
    return {"/" + iri.removeprefix(site.url) for iri in iris}


def page(http: httpx.Client, path: str) -> BeautifulSoup:
    response = http.get(path, headers={"Accept": "text/html"})
    assert response.status_code == 200, (path, response.status_code)
    return BeautifulSoup(response.text, "html.parser")


def text(node: Tag | None) -> str:
    assert node is not None
    return " ".join(node.get_text(" ").split())


def section(soup: BeautifulSoup, heading_id: str) -> Tag:
    found = soup.select_one(f"section[aria-labelledby={heading_id}]")
    assert found is not None, heading_id
    return found


def heading_count(part: Tag) -> int:
    """The total a section's heading announces: "Claims by X (14)"."""
    match = re.search(r"\((\d+)\)", text(part.select_one("h2")))
    assert match is not None, text(part.select_one("h2"))
    return int(match.group(1))


def claim_links(part: Tag) -> list[str]:
    """The claims a list links to (a row may also link its claimant, before the claim)."""
    return [
        str(a["href"])
        for li in part.select("ul.claims > li")
        for a in li.select("a[href^='/id/claim/']")[:1]
    ]


def chips(soup: BeautifulSoup) -> list[str]:
    return [text(c) for c in soup.select("header.entity-head .kind .chip")]


def position(soup: BeautifulSoup, element: Tag) -> int:
    return list(soup.descendants).index(element)


# -- the actor page ------------------------------------------------------------------


def test_actor_page_shows_claims_by_before_the_folded_table(site: Site, http: httpx.Client) -> None:
    soup = page(http, "/id/Putin")
    made = section(soup, "h-made")
    putin = f"<{site.url}id/Putin>"
    assert heading_count(made) == count(http, f"?c parley:claimant {putin}", "c") == 14
    about = section(soup, "h-about")
    assert heading_count(about) == count(http, f"?c parley:aboutActor {putin}", "c")
    table = soup.select_one("details.all-statements:has(#h-statements)")
    assert table is not None
    assert not table.has_attr("open")
    assert position(soup, made) < position(soup, about) < position(soup, table)
    for curated in soup.select("section.curated"):
        assert position(soup, curated) < position(soup, table)
    # Folded, still complete: every claim of Putin's is among the table's values.
    statements = text(table)
    assert "claimant (14)" in statements


def test_actor_claims_are_in_identifier_order_within_a_modality(http: httpx.Client) -> None:
    made = section(page(http, "/id/Putin"), "h-made")
    buckets = [text(h) for h in made.select("h3.bucket")]
    assert buckets[0] == "Asserted"
    first = made.select_one("ul.claims")
    assert first is not None
    ids = [text(i) for i in first.select(".claim-id")]
    numbers = [int(i.removeprefix("C")) for i in ids]
    assert numbers == sorted(numbers)
    assert len(numbers) > 1


def test_actor_positions_link_to_the_proposition_pages(site: Site, http: httpx.Client) -> None:
    positions = section(page(http, "/id/Putin"), "h-actor-positions")
    rows = select(
        http,
        f"SELECT ?p WHERE {{ {{ <{site.url}id/Putin> parley:supportsPosition ?p }} UNION "
        f"{{ <{site.url}id/Putin> parley:opposesPosition ?p }} }}",
    )
    links = {str(a["href"]) for a in positions.select("ul.positions a[href]")}
    assert links == paths(site, [r["p"] for r in rows])
    assert heading_count(positions) == len(rows) > 0


def test_actor_events_are_listed_once_each(site: Site, http: httpx.Client) -> None:
    events = section(page(http, "/id/Putin"), "h-events")
    rows = [str(a["href"]) for a in events.select("tbody tr td:first-child a[href]")]
    expected = select(
        http, f"SELECT DISTINCT ?e WHERE {{ ?e parley:involves <{site.url}id/Putin> }}"
    )
    assert len(rows) == len(set(rows)) == heading_count(events)
    assert set(rows) == paths(site, [r["e"] for r in expected])


def test_actor_reviews_and_reported_speech(site: Site, http: httpx.Client) -> None:
    soup = page(http, "/id/Putin")
    reviews = section(soup, "h-reviews")
    putin = f"<{site.url}id/Putin>"
    assert heading_count(reviews) == count(
        http, f"?c parley:claimant {putin} . ?r parley:reviews ?c", "r"
    )
    assert "Attribution:" in text(reviews)
    reported = text(section(soup, "h-reported"))
    # C50 is Putin's report of the 'Western analysts' claim (data/README.md).
    assert "It reports what these say:" in reported
    assert "Western analysts" in reported


def test_a_long_list_is_capped_and_paged(site: Site, http: httpx.Client) -> None:
    author = f"<{site.url}id/author>"
    total = count(http, f"?c parley:claimant {author}", "c")
    assert total > PAGE_SIZE  # the article's author makes most of its claims
    made = section(page(http, "/id/author"), "h-made")
    assert heading_count(made) == total
    assert len(claim_links(made)) == PREVIEW
    more = made.select_one("p.more a")
    assert more is not None
    assert f"See all {total}" in text(more)
    seen: list[str] = []
    for number in range(1, -(-total // PAGE_SIZE) + 1):
        alone = page(http, f"{more['href']}&page={number}" if number > 1 else str(more["href"]))
        assert alone.select_one("details.all-statements") is None  # the section alone
        part = section(alone, "h-made")
        links = claim_links(part)
        assert len(links) == min(PAGE_SIZE, total - len(seen))
        seen.extend(links)
        assert f"page {number} of" in text(part.select_one("nav.pager"))
    expected = select(http, f"SELECT ?c WHERE {{ ?c parley:claimant {author} }}")
    assert len(seen) == len(set(seen)) == total
    assert set(seen) == paths(site, [r["c"] for r in expected])


def test_an_unknown_section_shows_the_whole_page(http: httpx.Client) -> None:
    soup = page(http, "/id/Putin?section=nothing")
    assert soup.select_one("section[aria-labelledby=h-made]") is not None
    assert soup.select_one("details.all-statements") is not None


# -- the place page ------------------------------------------------------------------


@pytest.mark.parametrize("place", ["Front", "Crimea"])
def test_place_page_lists_the_claims_about_it(site: Site, http: httpx.Client, place: str) -> None:
    soup = page(http, f"/id/{place}")
    about = section(soup, "h-place-claims")
    assert text(about.select_one("h2")).startswith("Claims about this place")
    rows = select(http, f"SELECT ?c WHERE {{ ?c parley:aboutPlace <{site.url}id/{place}> }}")
    assert rows
    assert set(claim_links(about)) == paths(site, [r["c"] for r in rows])
    assert heading_count(about) == len(rows)
    table = soup.select_one("details.all-statements")
    assert table is not None
    assert position(soup, about) < position(soup, table)


def test_place_page_shows_the_events_there(site: Site, http: httpx.Client) -> None:
    events = section(page(http, "/id/Crimea"), "h-place-events")
    rows = select(http, f"SELECT ?e WHERE {{ ?e parley:occurredAt <{site.url}id/Crimea> }}")
    assert {str(a["href"]) for a in events.select("a[href]")} == paths(site, [r["e"] for r in rows])


def test_a_state_that_is_a_country_gets_both_kinds_of_section(http: httpx.Client) -> None:
    soup = page(http, "/id/Russia")
    section(soup, "h-made")
    section(soup, "h-place-claims")


# -- the event page ------------------------------------------------------------------


def test_event_page_lists_each_participant_once(site: Site, http: httpx.Client) -> None:
    soup = page(http, "/id/Istanbul2022")
    people = section(soup, "h-participants")
    agents = [str(a["href"]) for a in people.select("tbody td:first-child a[href]")]
    expected = select(
        http,
        f"SELECT DISTINCT ?a WHERE {{ <{site.url}id/Istanbul2022> parley:hasParticipation "
        "/parley:participant ?a }",
    )
    assert len(agents) == len(set(agents)) == heading_count(people)
    assert set(agents) == paths(site, [r["a"] for r in expected])
    # Each source is listed once under the table; the rows cite it by number.
    cited = people.select("ol.citations > li")
    assert len(cited) == len({text(li) for li in cited}) > 0
    assert all(
        re.fullmatch(r"(\[\d+\] ?)+|—", text(row.select("td")[2]))
        for row in people.select("tbody tr")
    )
    assert "When" in text(section(soup, "h-record"))


def test_event_page_lists_claims_stated_at_it(site: Site, http: httpx.Client) -> None:
    rows = select(
        http,
        "SELECT ?e (COUNT(DISTINCT ?c) AS ?n) WHERE { ?c parley:statedIn ?e } "
        "GROUP BY ?e ORDER BY DESC(?n) ?e LIMIT 1",
    )
    event = rows[0]["e"]
    stated = section(page(http, "/" + event.removeprefix(site.url)), "h-event-stated")
    claims = select(http, f"SELECT ?c WHERE {{ ?c parley:statedIn <{event}> }}")
    assert heading_count(stated) == int(rows[0]["n"]) == len(claims)
    links = claim_links(stated)
    assert len(links) == min(len(claims), PREVIEW)
    assert set(links) <= paths(site, [r["c"] for r in claims])


# -- chips and labels on every kind of page ------------------------------------------

PAGES = ["/id/Putin", "/id/Russia", "/id/Crimea", "/id/Istanbul2022", "/id/source/article"]


@pytest.mark.parametrize("path", [*PAGES, "claim:C17", "claim:C51"])
def test_one_chip_per_type_and_no_super_type(site: Site, http: httpx.Client, path: str) -> None:
    if path.startswith("claim:"):
        rows = select(http, f'SELECT ?c WHERE {{ ?c dcterms:identifier "{path[6:]}" }}')
        path = "/" + rows[0]["c"].removeprefix(site.url)
    shown = chips(page(http, path))
    assert shown
    assert len(shown) == len({c.lower() for c in shown}), shown
    for super_type in ("agent", "actor", "creative work", "entity", "place", "event"):
        assert super_type not in [c.lower() for c in shown], (path, shown)


def test_a_person_has_one_chip(http: httpx.Client) -> None:
    assert chips(page(http, "/id/Putin")) == ["person"]


CAMEL = re.compile(r"[a-z][A-Z]")
PREFIXED = re.compile(r"^\w+:\w")


@pytest.mark.parametrize("path", PAGES)
def test_property_labels_are_friendly(http: httpx.Client, path: str) -> None:
    soup = page(http, path)
    names = [text(h).split(" (")[0].lstrip("← ") for h in soup.select(".prop-name")]
    assert names
    for name in names:
        assert not CAMEL.search(name), (path, name)
        assert not PREFIXED.match(name), (path, name)
    # Two properties with one label are told apart (parley:about and schema:about).
    incoming = [text(h) for h in soup.select("section[aria-labelledby=h-in] .prop-name")]
    assert len(incoming) == len(set(incoming))
