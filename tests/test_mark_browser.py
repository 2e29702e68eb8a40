"""Marking a claim's words (static/mark.js) in Chromium: the offsets it opens the claim form
with are Unicode code points of the source's text, the way Python and the evidence spans
count them, whatever the page holds: characters beyond the Basic Multilingual Plane (which
JavaScript counts twice), the claim tags before highlighted spans (not the source's words),
white space at the ends of a selection, several paragraphs, the keyboard.

The page is a source page's text as ``_source.html`` renders it (paragraphs with their
``data-start``), served by Playwright's router with the real script: no server is needed.
The whole workflow (sign in, mark, fill, submit) is the workflow test's.
"""

from __future__ import annotations

from collections.abc import Iterator
from html import escape
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Browser, Page, Route

from service.settings import PROJECT_ROOT
from tests.browser import chromium

ORIGIN = "http://parley.test"
SOURCE = "http://parley.test/id/source/s"
MARK_JS = PROJECT_ROOT / "service" / "web" / "static" / "mark.js"
#: Three paragraphs: a flag (two code points, four UTF-16 units), a mathematical letter (one
#: code point, two units), a claim tag before a highlighted span.
LINES = [
    "Emoji \U0001f1fa\U0001f1e6 first: talks resume in \U0001d50aeneva today.",
    "",
    "Second paragraph, \U0001f600 with words after it.",
]
TEXT = "\n".join(LINES)


def _page_html() -> str:
    first = LINES[0]
    at = first.index("talks resume")
    span = (
        f'{escape(first[:at])}<a class="claim-start who-0" href="/id/claim/c1">C01'
        '<span class="vmark" aria-hidden="true">\u2713</span></a>'
        f'<a class="span" href="/id/claim/c1" tabindex="-1"><mark>{escape(first[at : at + 12])}'
        f"</mark></a>{escape(first[at + 12 :])}"
    )
    second = TEXT.index(LINES[2])
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8><title>s</title></head><body>"
        f'<div class="mark-bar" id="mark-bar" data-mark data-source="{SOURCE}" data-form="/claims/new">'
        '<button type="button" id="mark-selection" hidden>Mark a claim</button>'
        '<button type="button" id="mark-keyboard" hidden>Select with the keyboard</button>'
        '<span id="mark-preview"></span></div>'
        '<div class="source-text" data-claim-nav>'
        f'<p data-start="0">{span}</p>\n'
        f'<p data-start="{second}">{escape(LINES[2])}</p>\n'
        "</div><script src=/static/mark.js></script></body></html>"
    )


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as instance:
        yield instance


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context()
    page = context.new_page()

    def serve(route: Route) -> None:
        path = urlsplit(route.request.url).path
        if path == "/static/mark.js":
            route.fulfill(body=MARK_JS.read_text(), content_type="text/javascript")
        elif path == "/claims/new":
            route.fulfill(body="<!doctype html><title>form</title>", content_type="text/html")
        else:
            route.fulfill(body=_page_html(), content_type="text/html")

    page.route(f"{ORIGIN}/**", serve)
    page.goto(f"{ORIGIN}/id/source/s")
    page.wait_for_selector("#mark-selection:not([hidden])")
    yield page
    context.close()


SELECT_JS = """
([from, to]) => {
  // A boundary point: the first text node (claim tags included) holding a piece of text,
  // at the start of that piece plus a number of UTF-16 units.
  const root = document.querySelector('.source-text');
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  const nodes = []; let n; while ((n = walker.nextNode())) nodes.push(n);
  const at = ([piece, units]) => {
    const node = nodes.find(x => x.data.includes(piece));
    return [node, node.data.indexOf(piece) + units];
  };
  const range = document.createRange();
  range.setStart(...at(from));
  range.setEnd(...at(to));
  const s = getSelection(); s.removeAllRanges(); s.addRange(range);
  return nodes.map(x => x.data);
}
"""


def _opened(page: Page) -> tuple[int, int]:
    """The offsets the form was opened with, after "Mark a claim"."""
    page.click("#mark-selection")
    page.wait_for_url(f"{ORIGIN}/claims/new?**")
    query = parse_qs(urlsplit(page.url).query)
    assert query["source"] == [SOURCE]
    return int(query["start"][0]), int(query["end"][0])


def _utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def test_the_offsets_are_code_points_past_astral_characters_and_claim_tags(page: Page) -> None:
    nodes = page.evaluate(SELECT_JS, [["talks", 0], ["resume", 6]])  # the highlighted span
    assert [x for x in nodes if x in ("C01", "\u2713")] == ["C01", "\u2713"], "the tag's text"
    start, end = _opened(page)
    assert TEXT[start:end] == "talks resume"
    assert start == TEXT.index("talks resume") < _utf16(TEXT[:start])


def test_a_selection_from_inside_a_claim_tag_starts_at_the_words(page: Page) -> None:
    page.evaluate(SELECT_JS, [["C01", 1], [" in ", 3]])  # from inside "C01" to " in"
    start, end = _opened(page)
    assert TEXT[start:end] == "talks resume in"


def test_white_space_at_the_ends_is_left_out_and_paragraphs_count_their_line_breaks(
    page: Page,
) -> None:
    # From the space before "\U0001d50aeneva" into the second paragraph, past its emoji and
    # the space after it.
    page.evaluate(
        SELECT_JS, [[" \U0001d50a", 0], ["Second", _utf16("Second paragraph, \U0001f600 ")]]
    )
    start, end = _opened(page)
    assert TEXT[start:end] == "\U0001d50aeneva today.\n\nSecond paragraph, \U0001f600"
    assert start == LINES[0].index("\U0001d50a")


def test_the_keyboard_selects_and_enter_marks(page: Page) -> None:
    page.click("#mark-keyboard")
    assert page.get_attribute(".source-text", "contenteditable") == "true"
    page.evaluate(
        """() => { const p = document.querySelectorAll('.source-text p')[1];
                   getSelection().collapse(p.firstChild, 'Second paragraph, '.length); }"""
    )
    for _ in range(3):  # the emoji (one key press), the space, "w"
        page.keyboard.press("Shift+ArrowRight")
    page.keyboard.type("x")  # typing changes nothing
    page.keyboard.press("Enter")
    page.wait_for_url(f"{ORIGIN}/claims/new?**")
    query = parse_qs(urlsplit(page.url).query)
    start, end = int(query["start"][0]), int(query["end"][0])
    assert TEXT[start:end] == "\U0001f600 w"
