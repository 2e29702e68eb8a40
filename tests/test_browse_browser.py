"""The pages in a real browser: headless Chromium (Debian's ``chromium``) driven by Playwright.

A crawler starts at the home page and follows every internal link (bounded):
no page answers 4xx or 5xx, no page logs a console error, and no page asks
for anything outside the server (on the remote backends the browser renders one page
of each kind, ``MIN_KINDS``). The main kinds of page fit a laptop's screen and a phone's,
the verdicts of a claim in the first screen, on every backend (the screenshots for
people to look at are the page tour's, test_pages_browser.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING
from urllib.parse import urldefrag, urljoin, urlsplit

import httpx
import pytest

from tests import clients
from tests.browser import chromium, first_of
from tests.support import ServerProcess

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = pytest.mark.server

#: HTML pages the crawler reaches, and data links it fetches, at most. A breadth-first
#: crawl of 120 pages reaches every kind of page from the home page, on each backend. A
#: page costs 0.04 s of the server's time on the embedded store, 0.1 s on `oxigraph
#: serve` and 0.27 s on Virtuoso (26-46 queries a page, each a round trip).
MAX_PAGES = 120
#: The embedded crawl renders all its pages in the browser. On the remote backends
#: (`oxigraph serve`, Virtuoso) the same templates render the same data through the other
#: store adapter: the crawl fetches each page over HTTP (its status, its links), and the
#: browser renders the first page of each kind (an entity page's ``kind-*``, else its
#: path's first segment) for what only a browser sees (a console error, a request outside
#: the server). Rendering all 120 again cost 0.2 s of Chromium's CPU a page, 24 s of a
#: run's CPU on each remote backend. The kinds a remote crawl renders, at least (19 today):
MIN_KINDS = 15
#: Data answers fetched at most, in the order found: the data links of the pages and
#: each page's RDF versions (its ``<link rel="alternate">``, every format), so the first
#: pages' every format, on each backend.
MAX_FETCHES = 120
#: A page's links (getAttribute, not .href: an SVG link's href is an object, not a
#: string), and its own data in other formats as a program dereferences it (its
#: ``<link rel="alternate">``), in one round trip to the browser.
LINKS_JS = """() => ({
  links: [...document.querySelectorAll("a[href]")].map(
    a => new URL(a.getAttribute("href"), document.baseURI).href),
  data: [...document.querySelectorAll("link[rel=alternate]")].map(l => l.href),
})"""
#: Links whose answer is data, not a page: fetched and checked, not rendered.
DATA_SUFFIXES = (".ttl", ".jsonld", ".nt", ".rdf")


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as instance:
        yield instance


def is_data_link(url: str) -> bool:
    parts = urlsplit(url)
    return parts.path.endswith(DATA_SUFFIXES) or "format=" in parts.query


def test_crawl_finds_no_broken_page_and_no_console_error(
    server: ServerProcess, browser: object
) -> None:
    from playwright.sync_api import Browser, ConsoleMessage, Request

    assert isinstance(browser, Browser)
    page = browser.new_page()
    problems: list[str] = []
    outside: list[str] = []
    current = {"url": ""}

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            problems.append(f"console error on {current['url']}: {message.text}")

    def on_request(request: Request) -> None:
        if not request.url.startswith((server.url, "data:")):
            outside.append(f"{current['url']} asked for {request.url}")

    page.on("console", on_console)
    page.on("pageerror", lambda error: problems.append(f"{current['url']}: {error}"))
    page.on("request", on_request)

    every_page_rendered = server.backend == "embedded"
    rendered: set[str] = set()
    queue, seen = [server.url], {server.url}
    data_links: list[str] = []
    pages = 0
    with clients.client(timeout=60) as http:
        while queue and pages < MAX_PAGES:
            url = queue.pop(0)
            current["url"] = url
            if is_data_link(url):
                data_links.append(url)
                continue
            pages += 1
            if every_page_rendered:
                status, found = _rendered(page, url)
            else:
                status, found, kind = _fetched(http, url)
                if status < 400 and kind not in rendered:
                    rendered.add(kind)
                    status, _links = _rendered(page, url)
            if status >= 400:
                problems.append(f"{url} answered {status}")
                continue
            for href in found["links"]:
                target, _fragment = urldefrag(href)
                if target.startswith(server.url) and target not in seen:
                    seen.add(target)
                    queue.append(target)
            data_links += found["data"]
    # Data links are answers for programs, not pages: fetched over plain HTTP, a few at a
    # time (the browser would render nothing of them), and each must answer.
    assert data_links, "no page links its data"
    problems += _broken(data_links[:MAX_FETCHES])
    page.close()
    assert pages == MAX_PAGES, f"the crawl reached only {pages} pages"
    if not every_page_rendered:
        assert len(rendered) >= MIN_KINDS, f"the browser saw only these kinds: {sorted(rendered)}"
    assert not problems, "\n".join(problems[:20])
    assert not outside, "\n".join(outside[:20])


def _rendered(page: Page, url: str) -> tuple[int, dict[str, list[str]]]:
    """``url`` loaded in the browser: its status, and its links and data links."""
    answer = page.goto(url)
    assert answer is not None
    if answer.status >= 400:
        return answer.status, {"links": [], "data": []}
    found: dict[str, list[str]] = page.evaluate(LINKS_JS)
    return answer.status, found


def _fetched(http: httpx.Client, url: str) -> tuple[int, dict[str, list[str]], str]:
    """``url`` fetched over HTTP as a browser asks for it: its status, its links and data
    links (as ``LINKS_JS`` finds them), and its kind: an entity page's ``kind-*`` class,
    else its path's first segment."""
    from bs4 import BeautifulSoup

    answer = http.get(url, headers={"Accept": "text/html"})
    if answer.status_code >= 400:
        return answer.status_code, {"links": [], "data": []}, ""
    soup = BeautifulSoup(answer.text, "html.parser")
    found = {
        "links": [urljoin(url, str(a["href"])) for a in soup.select("a[href]")],
        "data": [urljoin(url, str(link["href"])) for link in soup.select("link[rel=alternate]")],
    }
    entity = soup.select_one("article.entity")
    kinds = (
        [c for c in entity.get_attribute_list("class") if c.startswith("kind-")] if entity else []
    )
    kind = kinds[0] if kinds else urlsplit(url).path.split("/")[1]
    return answer.status_code, found, kind


def _broken(links: list[str]) -> list[str]:
    """The data links that answer 4xx or 5xx."""

    with clients.client(timeout=60) as http, ThreadPoolExecutor(max_workers=4) as pool:
        statuses = list(pool.map(lambda link: http.get(link).status_code, links))
    return [
        f"{link} answered {code}" for link, code in zip(links, statuses, strict=True) if code >= 400
    ]


def claim_with_chain(server: ServerProcess) -> str:
    return first_of(server, 'SELECT ?c WHERE { ?c dcterms:identifier "C51" }')


def test_the_main_pages_fit_each_screen(server: ServerProcess, browser: object) -> None:
    from playwright.sync_api import Browser

    assert isinstance(browser, Browser)
    main_pages = {
        "home": server.url,
        "actor": server.url + "id/Putin",
        "claim": claim_with_chain(server),
        "event": server.url + "id/Istanbul2022",
        "source": server.url + "id/source/article",
        "timeline": server.url + "timeline",
        "proposition": first_of(server, "SELECT ?c WHERE { ?c a parley:Proposition } ORDER BY ?c"),
        "reference": first_of(
            server,
            "SELECT ?c WHERE { ?c a parley:ReferenceSource ; parley:affiliatedWith ?a } ORDER BY ?c",
        ),
    }
    for width in (1280, 390):
        page = browser.new_page(viewport={"width": width, "height": 900})
        for name, url in main_pages.items():
            answer = page.goto(url)
            assert answer is not None, url
            assert answer.status == 200, url
            assert page.locator("h1").count() == 1, url
            # Nothing is wider than the screen: the page fits a phone without sideways scrolling.
            overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 1, f"{url} is {overflow}px wider than {width}px"
            if name == "claim":
                # The two verdicts are in the first screen, next to the claimant.
                box = page.locator(".claim-head ul.verdicts").bounding_box()
                assert box is not None, url
                assert box["y"] + box["height"] <= 900, (
                    f"the verdicts are below the fold at {width}"
                )
        page.close()


def test_timeline_marks_and_keyboard_use(server: ServerProcess, browser: object) -> None:
    from playwright.sync_api import Browser

    assert isinstance(browser, Browser)
    page = browser.new_page()
    page.goto(server.url + "timeline")
    marks = page.locator("svg.timeline-svg a")
    assert marks.count() >= 10
    first = marks.first.get_attribute("href")
    assert first is not None
    assert first.startswith("/id/")
    assert page.locator("svg.timeline-svg title").count() > marks.count()  # every mark titled
    # The skip link comes first and takes the keyboard to the content.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip"
    page.keyboard.press("Enter")
    page.wait_for_url("**/timeline#main", timeout=5_000)  # the fragment is set a moment later
    page.close()
