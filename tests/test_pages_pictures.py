"""The pictures (issue 14): the timeline of events and claims, and who reports whom.

In-process (httpx over the WSGI app) on a copy of the project's model. What each
picture must show is asked of the model by SPARQL here, written apart from the
pages' own queries (the network's edges through the derived ``parley:reportedBy``
and ``parley:publishedBy``), so the test follows the data and not the page's code.
The SVG is read as XML, as a browser reads it; the pure builders are fed labels with
``<`` and ``&``.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from bs4 import BeautifulSoup

from service.pages._labels import TermView
from service.pages._network import Edge
from service.pages._network_svg import draw, layout
from service.pages._svg import element, fit
from service.pages._timeline import ClaimDate, Dated, TimelinePage
from service.pages._timeline_svg import OPEN_END, draw_pictures
from tests.support import AppSite, copy_store, open_app

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(scope="module")
def model_site(
    tmp_path_factory: pytest.TempPathFactory, built_store: Path, base_iri: str
) -> Iterator[AppSite]:
    path = copy_store(built_store, tmp_path_factory.mktemp("pictures") / "store", base_iri)
    site = open_app(path, base_iri, query_workers=0)
    yield site
    site.stop()


@pytest.fixture
def web(model_site: AppSite) -> Iterator[httpx.Client]:
    with model_site.client() as client:
        yield client


def html(http: httpx.Client, path: str) -> str:
    response = http.get(path, headers={"Accept": "text/html"})
    assert response.status_code == 200, (path, response.status_code)
    return response.text


def pictures(page: str) -> list[ET.Element]:
    """Every ``<svg>`` of a page, parsed as XML (a stray ``&`` or ``<`` fails here)."""
    return [ET.fromstring(svg) for svg in re.findall(r"<svg\b.*?</svg>", page, flags=re.S)]


def select(http: httpx.Client, query: str) -> list[dict[str, str]]:
    response = http.get(
        "/sparql", params={"query": query}, headers={"Accept": "application/sparql-results+json"}
    )
    assert response.status_code == 200, response.text
    rows = response.json()["results"]["bindings"]
    return [{k: v["value"] for k, v in row.items()} for row in rows]


def path(iri: str) -> str:
    return urlsplit(iri).path


def marks_of(svg: ET.Element, href: str) -> list[ET.Element]:
    """The marks (``<a>``) that link to ``href``."""
    return [a for a in svg.iter(f"{SVG}a") if a.get("href") == href]


def event_mark(svg: ET.Element, href: str) -> ET.Element:
    """The one mark of an event's own row (not the row of the claims stated in it)."""
    (mark,) = [m for m in marks_of(svg, href) if "claim" not in ET.tostring(m, "unicode")]
    return mark


def share(length: str | None) -> float:
    assert length is not None
    assert length.endswith("%"), length
    return float(length[:-1])


def accessible(svg: ET.Element) -> None:
    # A group, not an image: its marks are links (an image's content is presentational).
    assert svg.get("role") == "group"
    title, desc = svg.find(f"{SVG}title"), svg.find(f"{SVG}desc")
    assert title is not None
    assert title.text, "the picture has a title"
    assert desc is not None
    assert desc.text, "the picture has a description"
    assert set((svg.get("aria-labelledby") or "").split()) == {title.get("id"), desc.get("id")}


# -- the timeline --------------------------------------------------------------------


def test_the_timeline_is_well_formed_svg_with_a_title_and_a_description(
    web: httpx.Client,
) -> None:
    svgs = pictures(html(web, "/timeline"))
    assert len(svgs) == 2, "the whole record by year, and its latest year by month"
    for svg in svgs:
        accessible(svg)
        # Text keeps its size: no viewBox scales the picture down on a phone.
        assert svg.get("viewBox") is None


def test_a_longer_event_is_a_longer_bar(web: httpx.Client) -> None:
    rows = select(
        web,
        """SELECT ?e ?start ?end WHERE { ?e a parley:Event ;
             schema:startDate ?start ; schema:endDate ?end FILTER (?end > ?start) }""",
    )
    spans = sorted(
        ((date.fromisoformat(r["end"]) - date.fromisoformat(r["start"])).days, r["e"]) for r in rows
    )
    assert len(spans) >= 2
    assert spans[0][0] < spans[-1][0], spans
    whole = pictures(html(web, "/timeline"))[0]
    widths = []
    for _, event in (spans[0], spans[-1]):
        mark = event_mark(whole, path(event))
        bars = [r for r in mark.iter(f"{SVG}rect") if "bar" in (r.get("class") or "").split()]
        assert len(bars) == 1, f"{event} is drawn as a bar"
        assert mark.find(f"{SVG}circle") is None
        widths.append(share(bars[0].get("width")))
    assert 0 < widths[0] < widths[1], widths


def test_a_single_day_is_a_dot(web: httpx.Client) -> None:
    rows = select(
        web,
        """SELECT ?e WHERE { ?e a parley:Event ; schema:startDate ?d ; schema:endDate ?d }
           ORDER BY ?e LIMIT 3""",
    )
    assert rows
    whole = pictures(html(web, "/timeline"))[0]
    for r in rows:
        mark = event_mark(whole, path(r["e"]))
        dot = mark.find(f"{SVG}circle")
        assert dot is not None
        assert "dot" in (dot.get("class") or "")
        assert mark.find(f"{SVG}rect") is None


def test_an_event_with_no_end_runs_to_the_right_edge_and_says_so(web: httpx.Client) -> None:
    rows = select(
        web,
        """SELECT ?e WHERE { ?e a parley:Event ; schema:startDate ?d
             FILTER NOT EXISTS { ?e schema:endDate|parley:endPeriod ?end } } ORDER BY ?d""",
    )
    assert rows, "the war since 2014 has no end date in the record"
    page = html(web, "/timeline")
    whole = pictures(page)[0]
    for r in rows:
        mark = event_mark(whole, path(r["e"]))
        (bar,) = [r for r in mark.iter(f"{SVG}rect") if "open" in (r.get("class") or "")]
        assert share(bar.get("x")) + share(bar.get("width")) == pytest.approx(99, abs=0.05)
        assert OPEN_END in "".join(mark.itertext())
    table = BeautifulSoup(page, "html.parser").select_one("table.timeline-table")
    assert table is not None
    assert f"({OPEN_END})" in table.get_text()


def test_when_the_claims_were_made_is_drawn_beside_the_events(web: httpx.Client) -> None:
    stated = select(
        web,
        """SELECT ?e (COUNT(DISTINCT ?c) AS ?n) WHERE { ?c parley:statedIn ?e } GROUP BY ?e""",
    )
    sources = select(
        web,
        """SELECT DISTINCT ?s ?from WHERE { ?c parley:appearsIn ?s .
             ?s parley:publishedNotBefore ?from }""",
    )
    assert stated
    assert sources
    page = html(web, "/timeline")
    whole = pictures(page)[0]
    for r in stated:
        claim_marks = [
            m for m in marks_of(whole, path(r["e"])) if "claim" in ET.tostring(m, "unicode")
        ]
        assert len(claim_marks) == 1, r
        assert f"{r['n']} claim" in "".join(claim_marks[0].itertext())
    soup = BeautifulSoup(page, "html.parser")
    listed = soup.select("table.timeline-table")[-1]
    for r in sources:
        (mark,) = marks_of(whole, path(r["s"]))
        assert "claim" in ET.tostring(mark, "unicode")
        assert r["from"] in listed.get_text()
    # The band of the claims' source crosses the whole picture.
    assert any("claim-band" in (e.get("class") or "") for e in whole.iter(f"{SVG}rect"))
    assert soup.select_one('a[href="/network"]') is not None


# -- who reports whom ----------------------------------------------------------------


def reporting_edges(http: httpx.Client) -> dict[tuple[str, str], int]:
    """The edges, from the derived properties: a report claim's claimant reports its claim's
    claimant; a source's author reports a claim no report claim relays."""
    rows = select(
        http,
        """SELECT ?x ?y (COUNT(DISTINCT ?c) AS ?n) WHERE {
             ?c parley:claimant ?y .
             { ?c parley:reportedBy ?x }
             UNION
             { ?c parley:publishedBy ?x FILTER NOT EXISTS { ?c parley:reportedBy ?any } }
             FILTER (?x != ?y) } GROUP BY ?x ?y""",
    )
    return {(path(r["x"]), path(r["y"])): int(r["n"]) for r in rows}


def test_the_network_lists_every_reporting_edge(web: httpx.Client) -> None:
    expected = reporting_edges(web)
    assert len(expected) >= 3, expected
    assert any(x != "/id/author" for x, _ in expected), "a party reports another"
    soup = BeautifulSoup(html(web, "/network"), "html.parser")
    listed = {}
    for row in soup.select("table.network-table tbody tr"):
        cells = row.find_all("td")
        reporter, claimant = cells[0].find("a"), cells[1].find("a")
        count = cells[2].select_one(".count")
        assert reporter is not None
        assert claimant is not None
        assert count is not None
        listed[(str(reporter["href"]), str(claimant["href"]))] = int(count.get_text())
    assert listed == expected
    (svg,) = pictures(str(soup))
    accessible(svg)
    titles = [
        "".join(t.itertext()) for line in svg.iter(f"{SVG}g") for t in line.findall(f"{SVG}title")
    ]
    assert sum(1 for t in titles if " reports " in t) == len(expected), "one arrow an edge"


def test_every_agent_of_the_network_links_to_its_page(web: httpx.Client) -> None:
    agents = {agent for edge in reporting_edges(web) for agent in edge}
    (svg,) = pictures(html(web, "/network"))
    nodes = [a for a in svg.iter(f"{SVG}a") if a.find(f"{SVG}circle") is not None]
    assert {a.get("href") for a in nodes} == agents
    for href in agents:
        assert web.get(href, headers={"Accept": "text/html"}).status_code == 200, href


def test_the_pictures_are_in_the_navigation(web: httpx.Client) -> None:
    nav = BeautifulSoup(html(web, "/"), "html.parser").select_one("header.site nav")
    assert nav is not None
    assert {"/timeline", "/network"} <= {str(a["href"]) for a in nav.select("a[href]")}


# -- escaping ------------------------------------------------------------------------

AWKWARD = "Q&A <draft> \"one\" & 'two'"


def test_the_svg_builder_escapes_text_and_attributes() -> None:
    built = element("text", {"x": "5%", "data-label": AWKWARD}, AWKWARD)
    parsed = ET.fromstring(str(built))
    assert parsed.text == AWKWARD
    assert parsed.get("data-label") == AWKWARD
    assert "<draft>" not in built
    with pytest.raises(ValueError, match="attribute name"):
        element("text", {'x="1" onload': "alert(1)"})


def test_labels_with_markup_characters_are_drawn_as_text() -> None:
    odd = TermView("odd", AWKWARD, "/id/odd?a=1&b=<2>", "iri")
    plain = TermView("plain", "Plain agent", "/id/plain", "iri")
    edges = [Edge(odd, plain, "report", 2), Edge(plain, odd, "source", 1)]
    network = ET.fromstring(str(draw(layout(edges), edges)))
    texts = " ".join("".join(t.itertext()) for t in network.iter(f"{SVG}text"))
    assert "Q&A" in texts
    assert {a.get("href") for a in network.iter(f"{SVG}a")} == {"/id/odd?a=1&b=<2>", "/id/plain"}
    event = Dated(odd, date(2020, 1, 1), date(2021, 6, 30), "2020-01-01 – 2021-06-30")
    page = TimelinePage(events=[event], claim_dates=[ClaimDate(event, 3, "stated in")])
    (timeline,) = [ET.fromstring(str(svg)) for svg in draw_pictures(page)]
    drawn = " ".join("".join(t.itertext()) for t in timeline.iter(f"{SVG}text"))
    assert fit(AWKWARD, 50) in drawn
    assert "3 claims stated in: Q&A <draft>" in drawn
