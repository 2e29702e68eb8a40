"""Every page type in a real browser, at a laptop's width and a phone's.

Headless Chromium (Debian's, driven by Playwright) opens one page of each type, at
1280x900 and as a phone (390x844, touch, three device pixels to a CSS pixel), and checks
rules that hold whatever a page's layout is:

- **No sideways scrolling**: the document is no wider than the viewport. A wide table
  may scroll inside its own wrapper (``overflow-x: auto``); that is not the page's width.
- **No word broken inside a table cell.** A word (a run of non-space characters) stays
  on one line. A long token without spaces (an IRI, a CURIE, an identifier) may wrap only
  after ``/ # _ - . : ? & = , ; | > )`` or a dash, or between a lower-case and an
  upper-case letter (``actsOnBehalf⏎Of``): the pages mark those places with ``<wbr>``
  (service/web/views/_breaks.py), and a table still too wide scrolls in its wrapper. A
  word split anywhere else ("Turke⏎y") fails, with the page, the word and its cell.
  Hyphenation is not used (Chromium without its hyphenation data would not do it, and a
  hyphenated word in a cell is a broken word to this test).
- **The verdicts are in the first screen of a claim page**: the labels of both verdicts of
  a reviewed claim (the one with the longest quote) are shown above the fold.
- **axe-core** (`make axe` installs it from the npm registry; the test injects it, nothing
  comes from a CDN) finds no serious or critical violation.

Screenshots of every page type at both widths are written to ``test-artifacts/pages/``
for a person to look at. The pages are found at run time (SPARQL and the site's own
links), not by fixed IRIs: the data and the pages change. The pages' layout does not
depend on the store backend, so this runs on the embedded one only (the crawler in
test_browse_browser.py renders the remote one).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import quote, urljoin

import pytest

from tests import clients
from tests.browser import (
    AXE_JS_RUN,
    BREAK_AFTER,
    BROKEN_WORDS_JS,
    JPEG,
    OVERFLOWING_JS,
    axe_path,
    chromium,
    first_of,
    select,
)
from tests.support import ARTIFACTS_DIR, EMBEDDED_ONLY, ServerProcess

if TYPE_CHECKING:
    from playwright.sync_api import Browser, FloatRect, Page

pytestmark = [
    pytest.mark.server,
    EMBEDDED_ONLY,
]

SHOTS = ARTIFACTS_DIR / "pages"
#: The two screens: a laptop's, and a phone's (an iPhone's size and pixel density).
SCREENS: dict[str, dict[str, object]] = {
    "1280": {"viewport": {"width": 1280, "height": 900}},
    "390": {
        "viewport": {"width": 390, "height": 844},
        "screen": {"width": 390, "height": 844},
        "device_scale_factor": 3,
        "is_mobile": True,
        "has_touch": True,
    },
}
#: The screenshots' height at most, in CSS pixels.
MAX_SHOT = 8_000
#: Pages some work may add; tested when the server has them (found in the header's links
#: too).
MAYBE = ("/data", "/catalogue", "/network")

CLAIM_WITH_VERDICTS = """
SELECT ?c ?attribution ?accuracy WHERE {
  ?r parley:reviews ?c ; parley:attribution ?a ; parley:accuracy ?b .
  ?a skos:prefLabel ?attribution . ?b skos:prefLabel ?accuracy .
  ?c parley:hasEvidence/oa:hasSelector/oa:exact ?quote .
} ORDER BY DESC(STRLEN(?quote)) ?c LIMIT 1
"""
#: A claim the shapes refuse: the validate page's report lists long IRIs.
BAD_CLAIM = """@prefix parley: <{base}ontology#> .
<{base}id/claim/browser-test-claim-without-a-source> a parley:Claim ;
    parley:claimant <{base}id/SomebodyTheGraphDoesNotKnowAbout> ."""
#: Long values in many columns: the results table at its widest.
RESULTS_QUERY = """SELECT ?claim ?claimant ?modality ?quote WHERE {
  ?claim parley:claimant ?claimant ; parley:modality ?modality ;
         parley:hasEvidence/oa:hasSelector/oa:exact ?quote .
} ORDER BY ?claim LIMIT 15"""


@dataclass
class Visit:
    """What one page showed at one width."""

    name: str
    width: str
    url: str
    status: int
    overflow: list[str] = field(default_factory=list)
    #: How many table cells the page has (``broken_words`` looks in each).
    cells: int = 0
    broken_words: list[str] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)
    #: For the claim page: the verdict labels not shown in the first screen.
    verdicts_below: list[str] = field(default_factory=list)


def page_types(server: ServerProcess) -> dict[str, str]:
    """A URL for each type of page, found in the store and the site's links."""
    base = server.url
    claim = select(server, CLAIM_WITH_VERDICTS)
    assert claim, "no claim has both verdicts"
    actor = first_of(
        server,
        "SELECT ?c WHERE { ?x parley:claimant ?c . FILTER EXISTS { ?p parley:participant ?c } }"
        " GROUP BY ?c ORDER BY DESC(COUNT(?x)) ?c LIMIT 1",
    )
    word = select(server, f"SELECT ?l WHERE {{ <{actor}> rdfs:label ?l }} LIMIT 1")[0]["l"]
    found = {
        "home": base,
        "search": f"{base}search?q={quote(word.split()[-1])}",
        "timeline": base + "timeline",
        "changes": base + "changes",
        "sign-in": base + "sign-in",
        "instances": f"{base}instances?class={quote(base + 'ontology#Claim')}",
        "validate": base + "validate",
        "validate-report": base + "validate",
        "query": base + "sparql",
        "query-results": f"{base}sparql?query={quote(RESULTS_QUERY)}",
        "actor": actor,
        "place": first_of(
            server,
            "SELECT ?c WHERE { ?x parley:aboutPlace ?c } GROUP BY ?c"
            " ORDER BY DESC(COUNT(?x)) ?c LIMIT 1",
        ),
        "event": first_of(
            server,
            "SELECT ?c WHERE { ?c parley:hasParticipation ?p } GROUP BY ?c"
            " ORDER BY DESC(COUNT(?p)) ?c LIMIT 1",
        ),
        "claim": claim[0]["c"],
        "source": first_of(server, "SELECT DISTINCT ?c WHERE { ?x parley:appearsIn ?c } LIMIT 1"),
        "review": first_of(
            server, "SELECT ?c WHERE { ?c a parley:ClaimReview ; parley:accuracy ?a } LIMIT 1"
        ),
        "proposition": first_of(
            server,
            "SELECT ?c WHERE { { ?x parley:supportsProposition ?c } UNION"
            " { ?x parley:opposesProposition ?c } } GROUP BY ?c"
            " ORDER BY DESC(COUNT(?x)) ?c LIMIT 1",
        ),
        "reference": first_of(
            server,
            "SELECT ?c WHERE { ?c a parley:ReferenceSource ; parley:affiliatedWith ?a }"
            " ORDER BY ?c LIMIT 1",
        ),
        "graph": first_of(
            server, "SELECT DISTINCT ?c WHERE { GRAPH ?c { ?s a parley:Claim } } LIMIT 1"
        ),
        "ontology": base + "ontology",
        "shapes": base + "shapes",
        "problem": problem_type(server),
        "not-found": base + "id/no-such-thing-here",
    }
    return optional_pages(server, set(found.values())) | found


def problem_type(server: ServerProcess) -> str:
    """The page of the problem type a query that does not parse answers with."""
    answer = clients.get(
        server.url + "sparql", params={"query": "SELEC"}, headers={"Accept": "application/json"}
    )
    assert answer.status_code == 400
    return str(answer.json()["type"])


def optional_pages(server: ServerProcess, known: set[str]) -> dict[str, str]:
    """Pages the header links to, and those of ``MAYBE`` the server has, not yet known."""
    from bs4 import BeautifulSoup

    home = BeautifulSoup(clients.get(server.url).text, "html.parser")
    links = [urljoin(server.url, str(a["href"])) for a in home.select("header a[href]")]
    links += [server.url + path.lstrip("/") for path in MAYBE]
    found: dict[str, str] = {}
    for url in dict.fromkeys(links):
        if url in known or not url.startswith(server.url) or url == server.url:
            continue
        answer = clients.get(url, headers={"Accept": "text/html"})
        if answer.status_code == 200 and answer.headers["content-type"].startswith("text/html"):
            found[url.removeprefix(server.url).split("?")[0].strip("/").replace("/", "-")] = url
    return found


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as instance:
        yield instance


@pytest.fixture(scope="module")
def visits(server: ServerProcess, browser: Browser) -> list[Visit]:
    """Every page type at both widths, looked at once: the tests judge what was seen."""
    axe = axe_path()
    targets = page_types(server)
    claim = select(server, CLAIM_WITH_VERDICTS)[0]
    SHOTS.mkdir(parents=True, exist_ok=True)
    seen: list[Visit] = []
    for width, options in SCREENS.items():
        context = browser.new_context(bypass_csp=True, **options)  # type: ignore[arg-type]
        # axe-core comes with every page the context opens, before the page's own scripts.
        context.add_init_script(path=axe)
        page = context.new_page()
        for name, url in targets.items():
            seen.append(look_at(page, name, width, url))
            if name == "claim":
                seen[-1].verdicts_below = below_the_fold(
                    page, [claim["attribution"], claim["accuracy"]]
                )
        context.close()
    return seen


def look_at(page: Page, name: str, width: str, url: str) -> Visit:
    answer = page.goto(url)
    assert answer is not None, url
    visit = Visit(name, width, url, answer.status)
    if name == "validate-report":
        show_a_report(page, url)
    visit.overflow = overflow(page, int(width))
    words = page.evaluate(BROKEN_WORDS_JS, BREAK_AFTER)
    visit.broken_words, visit.cells = words["found"], words["cells"]
    visit.violations = page.evaluate(AXE_JS_RUN)
    # The whole page, down to MAX_SHOT pixels: the ontology's 35,000 would take seconds.
    height = min(int(page.evaluate("document.documentElement.scrollHeight")), MAX_SHOT)
    shot: FloatRect = {"x": 0, "y": 0, "width": int(width), "height": height}
    page.screenshot(
        path=str(SHOTS / f"{name}-{width}.jpg"), full_page=True, clip=shot, scale="css", **JPEG
    )
    return visit


def show_a_report(page: Page, base: str) -> None:
    """The validate page's report of data that breaks the shapes, long IRIs in its cells."""
    base = base.removesuffix("validate")
    page.get_by_role("textbox", name="RDF").fill(BAD_CLAIM.format(base=base))
    page.get_by_role("button", name="Validate").click()
    page.locator("#report table tbody tr").first.wait_for()


def overflow(page: Page, width: int) -> list[str]:
    """What makes the page wider than the viewport; nothing when it fits."""
    scroll_width = int(page.evaluate("document.documentElement.scrollWidth"))
    if scroll_width <= width:
        return []
    return [f"{scroll_width}px wide", *page.evaluate(OVERFLOWING_JS, width)]


def below_the_fold(page: Page, labels: list[str]) -> list[str]:
    """The labels that no visible element shows in the first screen."""
    height = page.viewport_size["height"] if page.viewport_size else 0
    page.evaluate("window.scrollTo(0, 0)")
    missing = []
    for label in labels:
        shown = page.get_by_text(label)
        boxes = [shown.nth(i).bounding_box() for i in range(shown.count())]
        if not any(
            box and box["height"] > 0 and box["y"] + box["height"] <= height for box in boxes
        ):
            missing.append(label)
    return missing


def report(visits: list[Visit], what: str) -> str:
    lines = []
    for visit in visits:
        problems: list[str] = getattr(visit, what)
        if problems:
            lines.append(f"{visit.name} at {visit.width}px ({visit.url}):")
            lines += [f"    {problem}" for problem in problems[:12]]
    return "\n".join(lines)


def test_every_page_type_answers(visits: list[Visit]) -> None:
    names = {visit.name for visit in visits}
    assert len(names) >= 20, sorted(names)
    wrong = [
        f"{v.name} at {v.width}: {v.status}"
        for v in visits
        if v.status != (404 if v.name == "not-found" else 200)
    ]
    assert not wrong, wrong


def test_no_page_is_wider_than_the_screen(visits: list[Visit]) -> None:
    assert not any(v.overflow for v in visits), "\n" + report(visits, "overflow")


def test_no_word_is_broken_inside_a_table_cell(visits: list[Visit]) -> None:
    with_tables = {v.name for v in visits if v.cells}
    assert len(with_tables) >= 6, f"only these pages have tables: {sorted(with_tables)}"
    assert not any(v.broken_words for v in visits), "\n" + report(visits, "broken_words")


def test_the_verdicts_are_in_the_first_screen_of_a_claim(visits: list[Visit]) -> None:
    claims = [v for v in visits if v.name == "claim"]
    assert len(claims) == len(SCREENS)
    assert not any(v.verdicts_below for v in claims), "\n" + report(claims, "verdicts_below")


def test_axe_finds_no_serious_or_critical_violation(visits: list[Visit]) -> None:
    assert not any(v.violations for v in visits), "\n" + report(visits, "violations")


def test_screenshots_of_every_page_type(visits: list[Visit]) -> None:
    for visit in visits:
        shot = SHOTS / f"{visit.name}-{visit.width}.jpg"
        assert shot.stat().st_size > 5_000, shot


@pytest.mark.parametrize("width", list(SCREENS))
def test_a_dispute_page_is_one_click_from_home(
    server: ServerProcess, browser: Browser, width: str
) -> None:
    """A person on the home page clicks a question of the positions matrix (as a mouse or a
    finger would: the link must be visible and not covered) and lands on its dispute page,
    both sides set out."""
    context = browser.new_context(**SCREENS[width])  # type: ignore[arg-type]
    try:
        page = context.new_page()
        page.goto(server.url)
        question = page.locator("#h-positions ~ * a[href^='/id/proposition/']").first
        question.scroll_into_view_if_needed()
        target = str(question.get_attribute("href"))
        question.click()
        page.wait_for_url("**" + target.split("#")[0] + "*")
        assert page.locator(".side-supports").count() == 1
        assert page.locator(".side-opposes").count() == 1
        assert page.locator("a[href='/#h-positions']").count() >= 1  # and back to the matrix
    finally:
        context.close()
