"""The home page (issue 14, "what people see first") and the dispute page of a proposition,
against the project's built model on both backends.

Every expectation is computed here by its own SPARQL query through ``/sparql``, never
written out: the seed data changes, the rules of these pages do not. The home page shows
the positions of the parties on the questions in dispute (a table and SVG pictures), the
claimants with their counts, the contested and disputed claims, the sources with their
kind and the latest changes; the catalogue of classes and graphs is the data page's.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from urllib.parse import urldefrag

import httpx
import pytest
from bs4 import BeautifulSoup, Tag

from tests.support import AppSite, Site

SVG = "{http://www.w3.org/2000/svg}"
RDFS_COMMENT = "http://www.w3.org/2000/01/rdf-schema#comment"


def page(http: httpx.Client, path: str) -> BeautifulSoup:
    response = http.get(path, headers={"Accept": "text/html"})
    assert response.status_code == 200, (path, response.status_code)
    assert response.headers["content-type"].startswith("text/html")
    return BeautifulSoup(response.text, "html.parser")


def select(http: httpx.Client, query: str) -> list[dict[str, str]]:
    response = http.get(
        "/sparql", params={"query": query}, headers={"Accept": "application/sparql-results+json"}
    )
    assert response.status_code == 200, response.text
    return [
        {name: str(value["value"]) for name, value in row.items()}
        for row in response.json()["results"]["bindings"]
    ]


def text(node: Tag | BeautifulSoup | None) -> str:
    assert node is not None
    return " ".join(node.get_text(" ").split())


def href(node: Tag | None) -> str:
    """The target of the first link in ``node``."""
    assert node is not None
    link = node.find("a", href=True)
    assert isinstance(link, Tag), node
    return str(link["href"])


def path_of(site: Site, iri: str) -> str:
    assert iri.startswith(site.url), iri
    return "/" + iri.removeprefix(site.url)


def section(soup: BeautifulSoup, heading: str) -> Tag:
    found = soup.select_one(f"section[aria-labelledby={heading}]")
    assert found is not None, heading
    return found


@pytest.fixture
def home(http: httpx.Client) -> BeautifulSoup:
    return page(http, "/")


# -- the positions matrix -------------------------------------------------------------


def stances(site: Site, http: httpx.Client) -> dict[tuple[str, str], str]:
    """(proposition path, party path) -> supports / opposes / both, from the derived
    positions of the agents."""
    found: dict[tuple[str, str], str] = {}
    for r in select(
        http,
        "SELECT ?p ?party ?position WHERE { VALUES ?position { parley:supportsPosition "
        "parley:opposesPosition } ?party ?position ?p }",
    ):
        key = (path_of(site, r["p"]), path_of(site, r["party"]))
        stance = "supports" if r["position"].endswith("#supportsPosition") else "opposes"
        found[key] = stance if found.get(key, stance) == stance else "both"
    return found


def test_the_matrix_lists_every_proposition_and_each_partys_stance(
    site: Site, http: httpx.Client, home: BeautifulSoup
) -> None:
    expected = stances(site, http)
    assert expected, "the model has positions"
    propositions = {
        path_of(site, r["p"]) for r in select(http, "SELECT ?p WHERE { ?p a parley:Proposition }")
    }
    table = section(home, "h-positions").select_one("table.matrix")
    assert table is not None
    parties = [str(th.a["href"]) for th in table.select("thead th") if th.a is not None]
    assert set(parties) == {party for _, party in expected}
    shown: dict[tuple[str, str], str] = {}
    rows = table.select("tbody tr")
    for row in rows:
        proposition = str(row.th.a["href"]) if row.th and row.th.a else ""
        cells = row.select("td")
        assert len(cells) == len(parties)
        for party, cell in zip(parties, cells, strict=True):
            word = cell.select_one("a.stance-word")
            if word is not None:
                shown[(proposition, party)] = {"supports and opposes": "both"}.get(
                    text(word), text(word)
                )
    assert {str(row.th.a["href"]) for row in rows if row.th and row.th.a} == propositions
    assert shown == expected


def test_a_cell_links_to_the_claims_behind_it_and_to_the_dispute_page(
    site: Site, http: httpx.Client, home: BeautifulSoup
) -> None:
    claims: dict[tuple[str, str], set[str]] = {}
    for r in select(
        http,
        "SELECT ?p ?party ?claim WHERE { ?claim parley:claimant ?party ; "
        "parley:supportsProposition|parley:opposesProposition ?p }",
    ):
        key = (path_of(site, r["p"]), path_of(site, r["party"]))
        claims.setdefault(key, set()).add(path_of(site, r["claim"]))
    table = home.select_one("table.matrix")
    assert table is not None
    parties = [str(th.a["href"]) for th in table.select("thead th") if th.a is not None]
    checked = 0
    for row in table.select("tbody tr"):
        proposition = str(row.th.a["href"]) if row.th and row.th.a else ""
        for party, cell in zip(parties, row.select("td"), strict=True):
            word = cell.select_one("a.stance-word")
            if word is None:
                assert (proposition, party) not in claims
                continue
            behind = {str(a["href"]) for a in cell.select(".backing a")}
            assert behind == claims[(proposition, party)]
            assert all(a.get("title") for a in cell.select(".backing a")), "a quote as title"
            target, anchor = urldefrag(str(word["href"]))
            assert target == proposition
            dispute = page(http, target)
            group = dispute.find(id=anchor)
            assert isinstance(group, Tag), (target, anchor)
            assert party in {str(a["href"]) for a in group.select("a[href]")}
            checked += 1
    assert checked == len(stances(site, http))


def svgs(html: str) -> list[ET.Element]:
    """Every inline SVG of a page, parsed as XML (so each must be well-formed)."""
    found = re.findall(r"<svg\b.*?</svg>", html, flags=re.S)
    return [ET.fromstring(svg) for svg in found]


def test_the_pictures_are_well_formed_svg_with_a_title(http: httpx.Client) -> None:
    html = http.get("/", headers={"Accept": "text/html"}).text
    pictures = svgs(html)
    assert len(pictures) == 2, "the heat map and the stances by party"
    for svg in pictures:
        assert svg.tag == SVG + "svg"
        # A group named by its title, not an "img": its marks are links (axe's rule
        # nested-interactive: an image's content is presentational, out of reach).
        assert svg.get("role") == "group"
        title = svg.find(SVG + "title")
        assert title is not None
        assert (title.text or "").strip()
        labelled = (svg.get("aria-labelledby") or "").split()
        assert title.get("id") in labelled
        assert svg.findall(f".//{SVG}text"), "text labels, not colour alone"


def test_the_heat_map_has_a_cell_per_party_and_proposition(site: Site, http: httpx.Client) -> None:
    html = http.get("/", headers={"Accept": "text/html"}).text
    heat = svgs(html)[0]
    parties = {party for _, party in stances(site, http)}
    propositions = select(http, "SELECT ?p WHERE { ?p a parley:Proposition }")
    cells = heat.findall(f".//{SVG}rect")
    assert len(cells) == len(parties) * len(propositions)
    words = [t.text for t in heat.findall(f".//{SVG}text") if t.get("class") == "cell-label"]
    expected = sorted(stances(site, http).values())
    assert sorted(w or "" for w in words) == expected


# -- claimants, contested claims, sources, changes -------------------------------------


def test_claimant_counts_match_a_count_query(
    site: Site, http: httpx.Client, home: BeautifulSoup
) -> None:
    expected = {
        path_of(site, r["who"]): int(r["n"])
        for r in select(
            http,
            "SELECT ?who (COUNT(DISTINCT ?c) AS ?n) WHERE { ?c a parley:Claim ; "
            "parley:claimant ?who } GROUP BY ?who",
        )
    }
    rows = section(home, "h-claimants").select("tbody tr")
    shown = {href(r.td): int(text(r.select_one("td.num"))) for r in rows}
    assert shown == expected
    counts = list(shown.values())
    assert counts == sorted(counts, reverse=True), "most claims first"


def test_contested_and_disputed_claims_are_listed_with_claimant_and_quote(
    site: Site, http: httpx.Client, home: BeautifulSoup
) -> None:
    expected = {
        path_of(site, r["c"])
        for r in select(
            http,
            "SELECT DISTINCT ?c WHERE { { ?r parley:reviews ?c ; parley:accuracy ?a "
            "FILTER(?a IN (parley:accuracy-contested, parley:accuracy-contradicted)) } "
            "UNION { ?c a parley:DisputedClaim } }",
        )
    }
    assert expected
    items = section(home, "h-flagged").select("ul.flagged > li")
    shown = {str(li.a["href"]) for li in items if li.a}
    assert shown == expected
    claimants = {
        path_of(site, r["c"]): path_of(site, r["who"])
        for r in select(http, "SELECT ?c ?who WHERE { ?c parley:claimant ?who }")
    }
    for li in items:
        claim = str(li.a["href"]) if li.a else ""
        assert claimants[claim] in {str(a["href"]) for a in li.select(".who a")}
        assert li.select_one("blockquote") is not None


def test_reference_sources_are_shown_with_their_kind(
    site: Site, http: httpx.Client, home: BeautifulSoup
) -> None:
    kinds = {
        path_of(site, r["s"]): r["label"]
        for r in select(
            http,
            "SELECT ?s ?label WHERE { ?s a parley:ReferenceSource ; parley:sourceKind ?k . "
            "?k skos:prefLabel ?label }",
        )
    }
    rows = section(home, "h-sources").select("table.references tbody tr")
    assert rows
    for row in rows:
        cells = row.select("td")
        assert text(cells[1]) == kinds[href(cells[0])]
    articles = {
        path_of(site, r["s"]) for r in select(http, "SELECT ?s WHERE { ?s a parley:Source }")
    }
    listed = {str(a["href"]) for a in section(home, "h-sources").select(".claim-sources a")}
    assert listed == articles


@pytest.fixture
def writable(private_site: AppSite) -> Iterator[httpx.Client]:
    with private_site.client() as client:
        yield client


def test_latest_changes_show_the_build_then_each_write(
    private_site: AppSite, writable: httpx.Client
) -> None:
    before = section(page(writable, "/"), "h-changes")
    assert "No write since the store was built" in text(before)
    assert "build of the store" in text(before.select_one("table.changes tbody tr"))
    graph = private_site.url + "graph/editorial"
    response = writable.post(
        "/data",
        params={"graph": graph},
        content=f'<{private_site.url}id/Putin> <{RDFS_COMMENT}> "a note" .'.encode(),
        headers={"Content-Type": "text/turtle", **private_site.auth()},
    )
    assert response.status_code == 201, response.text
    after = section(page(writable, "/"), "h-changes")
    assert "No write since" not in text(after)
    newest = after.select_one("table.changes tbody tr")
    assert newest is not None
    assert "/graph/editorial" in {str(a["href"]) for a in newest.select("a")}
    assert "build of the store" not in text(newest)
    assert "POST /data" in text(newest)  # the operation, as the feed of changes names it
    record = str(response.json()["record"])
    assert newest.a is not None
    assert str(newest.a["href"]) == path_of(private_site, record)


# -- the data page; one click from home -----------------------------------------------


def test_the_catalogue_is_on_the_data_page_not_on_home(
    site: Site, http: httpx.Client, home: BeautifulSoup
) -> None:
    assert home.select_one("section[aria-labelledby=h-classes]") is None
    assert "What the graph holds" not in text(home)
    assert "/data" in {str(a["href"]) for a in home.select("a[href]")}
    data = page(http, "/data")
    classes = section(data, "h-classes")
    assert "What the graph holds, by class" in text(classes)
    claims = select(http, "SELECT (COUNT(DISTINCT ?c) AS ?n) WHERE { ?c a parley:Claim }")
    row = next(r for r in classes.select("tbody tr") if r.td and text(r.td.a) == "claim")
    assert int(text(row.select_one("td.num"))) == int(claims[0]["n"])
    assert section(data, "h-graphs").select("tbody tr")
    nav = data.select_one("nav[aria-label=Main]")
    assert nav is not None
    assert "/data" in {str(a["href"]) for a in nav.select("a")}


def test_every_dispute_page_is_one_click_from_home(
    site: Site, http: httpx.Client, home: BeautifulSoup
) -> None:
    links = {urldefrag(str(a["href"]))[0] for a in home.select("a[href]")}
    for r in select(http, "SELECT ?p WHERE { ?p a parley:Proposition }"):
        assert path_of(site, r["p"]) in links
    assert home.select_one("#h-positions") is not None


# -- the dispute page -------------------------------------------------------------------


def quotes_on(site: Site, http: httpx.Client, proposition: str) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {"supports": set(), "opposes": set()}
    for r in select(
        http,
        "SELECT ?stance ?exact WHERE { VALUES ?stance { parley:supportsProposition "
        f"parley:opposesProposition }} ?c ?stance <{proposition}> ; "
        "parley:hasEvidence/oa:hasSelector/oa:exact ?exact }",
    ):
        side = "supports" if r["stance"].endswith("#supportsProposition") else "opposes"
        found[side].add(r["exact"])
    return found


def test_the_dispute_page_sets_both_sides_in_their_own_words(
    site: Site, http: httpx.Client
) -> None:
    disputed = select(
        http,
        "SELECT DISTINCT ?p WHERE { ?a parley:supportsProposition ?p ; parley:disputes ?b . "
        "?b parley:opposesProposition ?p } ORDER BY ?p",
    )
    assert disputed, "the model has a dispute"
    for r in disputed:
        soup = page(http, path_of(site, r["p"]))
        expected = quotes_on(site, http, r["p"])
        for side in ("supports", "opposes"):
            column = soup.select_one(f".side-{side}")
            assert column is not None
            shown = {
                bq.get_text().strip().removeprefix("“").removesuffix("”")
                for bq in column.select("blockquote.verbatim")
            }
            assert shown == expected[side], (r["p"], side)
            assert column.select(".verdicts .verdict-attribution")
        assert "/#h-positions" in {str(a["href"]) for a in soup.select("a[href]")}


def test_the_dispute_page_shows_the_verdicts_and_the_record(site: Site, http: httpx.Client) -> None:
    rows = select(
        http,
        "SELECT ?p ?id ?verdict ?source WHERE { ?c parley:supportsProposition|"
        "parley:opposesProposition ?p ; dcterms:identifier ?id . ?r parley:reviews ?c ; "
        "parley:attribution ?a ; dcterms:source ?source . ?a skos:prefLabel ?verdict } "
        "ORDER BY ?p ?id LIMIT 1",
    )
    assert rows, "a reviewed claim takes a stance"
    soup = page(http, path_of(site, rows[0]["p"]))
    claim = soup.select_one(f"article.stance-claim[aria-label='Claim {rows[0]['id']}']")
    assert claim is not None
    assert f"Attribution: {rows[0]['verdict']}" in text(claim.select_one(".verdicts"))
    cited = {str(a["href"]) for a in claim.select("details.record a[href]")}
    assert path_of(site, rows[0]["source"]) in cited


def test_one_side_of_a_dispute_page_is_shown_alone_and_paged(
    site: Site, http: httpx.Client
) -> None:
    """``?section=supports`` shows the supporting side alone, a page at a time (a question
    with thousands of claims on one side is never rendered whole)."""
    (row,) = select(
        http,
        "SELECT ?p (COUNT(DISTINCT ?c) AS ?n) WHERE { ?c parley:supportsProposition ?p } "
        "GROUP BY ?p ORDER BY DESC(?n) ?p LIMIT 1",
    )
    soup = page(http, path_of(site, row["p"]) + "?section=supports")
    assert soup.select_one(".side-supports") is not None
    assert soup.select_one(".side-opposes") is None  # the other side is not on this page
    assert "Page 1 of" in soup.select_one(".side-supports .more").get_text()  # type: ignore[union-attr]
    shown = {a.get_text() for a in soup.select(".side-supports .claim-ref a[href^='/id/claim']")}
    assert len(shown) == int(row["n"])
