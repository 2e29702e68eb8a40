"""Long lists are paged, never rendered whole (issue 14, "Speed").

A store of its own, built by ``parley build`` from synthetic data files
(``bench.synth``): one source whose ~130 claims are all made by one actor. The actor
page shows the first of them and links to its list alone, which pages through them
all, each claim once; the source page lists a bounded number beside its text and
links to the rest. ``bench/pages.py`` checks the same at 10,000 claims.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from bs4 import BeautifulSoup, Tag

from bench.synth import generate
from service.rdf import NTRIPLES, Triple, Vocab, serialize
from tests.support import AppSite, build_store, open_app

#: Quads of synthetic data: about 130 claims, every one by the prolific actor (more than a
#: page holds; the build's reasoning and validation grow with the data).
SIZE = 3500
ACTOR = "/id/synth/prolific-0"
SOURCE = "/id/source/synthetic-0"
#: Claims the pages may list at once: far fewer than the actor makes.
MOST_ON_A_PAGE = 100
_CLAIM = re.compile(r"^/id/claim/synthetic-\d+$")


def write_data(data: Path, base_iri: str) -> int:
    """The synthetic quads as data files, one directory per named graph (as ``data/`` is
    laid out); how many claims they hold."""
    vocab = Vocab(base_iri)
    graphs: dict[str, list[Triple]] = defaultdict(list)
    claims = 0
    for q in generate(SIZE, base_iri, prolific_every=1):
        name = q.graph_name.value.removeprefix(vocab.base + "graph/")  # type: ignore[union-attr]
        graphs[name].append(Triple(q.subject, q.predicate, q.object))
        claims += q.predicate.value.endswith("#claimant")
    for name, triples in graphs.items():
        folder = data / name
        folder.mkdir(parents=True)
        (folder / "synthetic.nt").write_bytes(serialize(triples, NTRIPLES))
    return claims


@pytest.fixture(scope="module")
def long_lists(tmp_path_factory: pytest.TempPathFactory, base_iri: str) -> Iterator[AppSite]:
    root = tmp_path_factory.mktemp("long-lists")
    write_data(root / "data", base_iri)
    build_store(root / "store", base_iri, data_dir=root / "data")
    site = open_app(root / "store", base_iri, query_workers=0)
    yield site
    site.stop()


@pytest.fixture
def web(long_lists: AppSite) -> Iterator[httpx.Client]:
    with long_lists.client() as client:
        yield client


def page(web: httpx.Client, path: str) -> BeautifulSoup:
    response = web.get(path, headers={"Accept": "text/html"})
    assert response.status_code == 200, (path, response.status_code)
    return BeautifulSoup(response.text, "html.parser")


def claims_in(node: Tag | BeautifulSoup | None) -> list[str]:
    """The claims a part of a page links to, in order (with repeats)."""
    assert node is not None
    return [str(a["href"]) for a in node.select("a[href]") if _CLAIM.match(str(a["href"]))]


def section(soup: BeautifulSoup, heading_id: str) -> Tag:
    found = soup.find("section", attrs={"aria-labelledby": heading_id})
    assert isinstance(found, Tag), heading_id
    return found


def total_claims(web: httpx.Client) -> int:
    response = web.get(
        "/sparql",
        params={"query": "SELECT (COUNT(?c) AS ?n) WHERE { ?c a parley:Claim }"},
        headers={"Accept": "application/sparql-results+json"},
    )
    return int(response.json()["results"]["bindings"][0]["n"]["value"])


def test_the_actor_page_shows_the_first_claims_and_links_to_all(web: httpx.Client) -> None:
    total = total_claims(web)
    assert total > MOST_ON_A_PAGE  # a list too long to render whole
    made = section(page(web, ACTOR), "h-made")
    shown = claims_in(made)
    assert 0 < len(set(shown)) <= MOST_ON_A_PAGE
    assert f"({total})" in made.get_text()  # the total is said, not shown
    more = [a for a in made.select("a[href]") if "section=" in str(a["href"])]
    assert more, "no link to the whole list"


def test_the_actors_list_alone_pages_through_every_claim_once(web: httpx.Client) -> None:
    total = total_claims(web)
    link = section(page(web, ACTOR), "h-made").select_one('a[href*="section="]')
    assert link is not None
    path: str | None = str(link["href"])
    seen: list[str] = []
    pages = 0
    while path is not None:
        soup = page(web, path)
        on_page = list(dict.fromkeys(claims_in(section(soup, "h-made"))))
        assert 0 < len(on_page) <= MOST_ON_A_PAGE, (path, len(on_page))
        seen += on_page
        pages += 1
        following = soup.select_one('nav.pager a[rel="next"]')
        path = str(following["href"]) if following is not None else None
        assert pages <= total, "the pager does not end"
    assert pages > 1
    assert len(seen) == len(set(seen)) == total  # every claim once, over the pages


def test_the_source_page_lists_a_bounded_number_of_claims_and_links_to_the_rest(
    web: httpx.Client,
) -> None:
    total = total_claims(web)
    listed = section(page(web, SOURCE), "h-source-claims")
    shown = set(claims_in(listed))
    assert 0 < len(shown) <= MOST_ON_A_PAGE < total
    rest = [
        str(a["href"])
        for a in listed.select("a[href]")
        if "page=" in str(a["href"]) or str(a["href"]).startswith("/sparql?")
    ]
    assert rest, "no link to the claims not listed"
    answer = web.get(rest[0], headers={"Accept": "application/sparql-results+json"})
    assert answer.status_code == 200
    if rest[0].startswith("/sparql?"):  # the rest as a query: it answers every claim
        claims = {b["claim"]["value"] for b in answer.json()["results"]["bindings"]}
        assert len(claims) == total


def text_claims(soup: BeautifulSoup) -> list[str]:
    """The claims whose spans start in the text shown (their tags), in text order."""
    return [str(a["href"]) for a in soup.select(".source-text a.claim-start")]


def test_a_long_text_is_paged_and_every_claim_is_on_one_page(
    web: httpx.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A source with more claim spans than a page holds is shown a page at a time
    (``?section=text&page=N``): each page holds about that many, no span is cut, and the
    pages together show every claim of the source once."""
    from service.pages import _source

    monkeypatch.setattr(_source, "TEXT_PAGE_SPANS", 50)  # the synthetic source has ~130
    total = total_claims(web)
    first = page(web, SOURCE)
    seen, soup, pages = text_claims(first), first, 1
    assert 50 <= len(seen) < total
    listed = set(claims_in(section(first, "h-source-claims")))
    assert listed == set(seen)  # the list beside the text is the page's claims
    while (following := soup.select_one(".text-pager a[rel=next]")) is not None:
        soup = page(web, SOURCE + str(following["href"]))
        pages += 1
        shown = text_claims(soup)
        assert shown, f"page {pages} of the text shows no claim"
        seen += shown
        assert pages <= total, "the pager does not end"
    assert pages > 1
    assert len(seen) == len(set(seen)) == total
    assert soup.select_one(".text-pager a[rel=prev]") is not None


def test_a_very_long_literal_is_cut_in_the_statement_tables(long_lists: AppSite) -> None:
    """A source's whole text (100 KB at 1,000 claims) is not repeated in the folded table
    of its statements: the first 5,000 characters, and where the whole of it is."""
    from flask import render_template_string

    from service.pages._labels import TermView

    app = long_lists.app
    text = "word " * 10_000  # 50,000 characters
    with app.test_request_context("/"):
        html = render_template_string(
            '{% from "_macros.html" import term %}{{ term(t) }}',
            t=TermView('"..."', text, None, "literal"),
        )
    assert "50,000 characters" in html
    assert len(html) < 8_000
    short = "word " * 1_000  # 5,000 characters: shown whole, folded
    with app.test_request_context("/"):
        whole = render_template_string(
            '{% from "_macros.html" import term %}{{ term(t) }}',
            t=TermView('"..."', short, None, "literal"),
        )
    assert whole.count("word") == 1_000 + 160 // 5  # the summary's start, then all of it
