"""The query page: YASGUI served by Parley itself, a failed query kept beside its reason, and
the plain form without JavaScript.

Over HTTP (Flask's test client): the page names YASGUI's files only where ``make yasgui``
vendored them, and never another host; a syntax error answers 400 with the query kept
verbatim and its line and column in words; a query in the URL renders its answer.

In headless Chromium (Debian's, driven by Playwright) on a real server, where every request
for another host is refused and counted: the editor loads from Parley's own origin, running
the example draws YASR's table and the local chart, a syntax error keeps the query in the
editor with the position marked, prefix completion offers Parley's prefixes (and nothing
from prefix.cc's list), and with JavaScript off the form still answers.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest
from bs4 import BeautifulSoup
from flask import Flask
from flask.testing import FlaskClient

from service.web.views.query_page import YASGUI_DIR, YASGUI_FILES
from tests.browser import CHROMIUM_FLAGS, JPEG, chromium_path
from tests.support import ARTIFACTS_DIR, EMBEDDED_ONLY, ServerProcess

HTML = {"Accept": "text/html"}
STATIC = Path(__file__).resolve().parents[1] / "service" / "web" / "static"
#: A query with a syntax error on its third line, and characters HTML must escape.
BROKEN = 'SELECT ?x WHERE {\n  ?x rdfs:label "a < b & c" .\n  ?x parley:claimant ) .\n}'
#: Where the engine says it stops: the stray ")", line 3, column 22.
BROKEN_AT = (3, 22)
COUNTS = (
    "SELECT ?who (COUNT(?claim) AS ?claims) WHERE {\n"
    "  ?claim parley:claimant/rdfs:label ?who\n} GROUP BY ?who ORDER BY DESC(?claims)"
)


def vendor(folder: Path) -> None:
    """A stand-in for YASGUI's build in a static folder (the HTTP tests need no browser)."""
    target = folder / YASGUI_DIR
    target.mkdir(parents=True)
    for name in YASGUI_FILES:
        (target / name).write_text("/* stand-in */\n")


@pytest.fixture
def static_copy(app: Flask, tmp_path: Path) -> Path:
    """The app's static folder replaced by a copy of Parley's own files, without YASGUI."""
    folder = tmp_path / "static"
    folder.mkdir()
    for name in ("parley.css", "query.css", "query.js"):
        (folder / name).write_bytes((STATIC / name).read_bytes())
    app.static_folder = str(folder)
    return folder


def page_assets(html: str) -> list[str]:
    """Every script and stylesheet address the page loads."""
    soup = BeautifulSoup(html, "html.parser")
    scripts = [str(s["src"]) for s in soup.select("script[src]")]
    styles = [str(s["href"]) for s in soup.select("link[rel~=stylesheet]")]
    return scripts + styles


def test_the_page_names_yasgui_only_when_it_is_vendored(
    client: FlaskClient, static_copy: Path
) -> None:
    plain = client.get("/sparql", headers=HTML)
    assert plain.status_code == 200
    assert "yasgui" not in plain.text.lower()
    assert "query.js" not in plain.text
    assert BeautifulSoup(plain.text, "html.parser").select_one("form#query-form textarea")

    vendor(static_copy)
    page = client.get("/sparql", headers=HTML)
    assets = page_assets(page.text)
    assert f"/static/{YASGUI_DIR}/yasgui.min.js" in assets
    assert f"/static/{YASGUI_DIR}/yasgui.min.css" in assets
    assert "/static/query.js" in assets
    # Every file the page loads is the server's own, and each one answers.
    for address in assets:
        assert address.startswith("/static/"), address
        with client.get(address) as answer:
            assert answer.status_code == 200, address
    # No address of another host anywhere in what loads or runs code.
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page.text)
    # Parley's prefixes are handed to the editor (no prefix.cc).
    form = BeautifulSoup(page.text, "html.parser").select_one("form#query-form")
    assert form is not None
    assert "parley" in form["data-prefixes"]


def test_query_js_reaches_no_other_host() -> None:
    source = (STATIC / "query.js").read_text()
    code = re.sub(r"(^|\s)//.*$", "", source, flags=re.MULTILINE)  # comments name prefix.cc
    assert "prefix.cc" not in code
    assert "lov" not in code.lower()
    # No address but SVG's namespace, and no request of its own: YASQE asks /sparql.
    assert not re.search(r"fetch\(|XMLHttpRequest|https?://(?!www\.w3\.org/2000/svg)", code)
    assert 'endpoint: "/sparql"' in code
    assert "prefixCcApi = null" in code
    assert 'autocompleters = ["parleyPrefixes", "variables"]' in code


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_a_syntax_error_keeps_the_query_beside_its_reason(reader: FlaskClient, method: str) -> None:
    if method == "GET":
        response = reader.get("/sparql", query_string={"query": BROKEN}, headers=HTML)
    else:
        response = reader.post("/sparql", data={"query": BROKEN}, headers=HTML)
    assert response.status_code == 400
    assert response.mimetype == "text/html"
    soup = BeautifulSoup(response.text, "html.parser")
    textarea = soup.select_one("form#query-form textarea#query")
    assert textarea is not None
    assert textarea.get_text() == BROKEN  # verbatim, "<" and "&" included
    assert textarea["aria-describedby"] == "query-error"
    error = soup.select_one("form#query-form #query-error")
    assert error is not None
    assert not error.has_attr("hidden")
    line, column = BROKEN_AT
    text = " ".join(error.get_text().split())
    assert f"line {line}, column {column}" in text
    assert f"Line {line}, column {column}:" in text
    assert "..=" not in text  # no grammar dump
    # The line itself is shown, the position marked.
    assert error.select_one("pre.error-line mark") is not None
    shown = error.select_one("pre.error-line")
    assert shown is not None
    assert [mark.get_text() for mark in shown.select("mark")] == [")"]
    assert "?x parley:claimant" in shown.get_text()
    assert (error["data-line"], error["data-column"]) == (str(line), str(column))
    # The site's search box is not filled with the query.
    search_box = soup.select_one("header input#site-q")
    assert search_box is not None
    assert search_box.get("value", "") == ""


def test_a_program_still_gets_a_problem_document(reader: FlaskClient) -> None:
    response = reader.get(
        "/sparql",
        query_string={"query": BROKEN},
        headers={"Accept": "application/sparql-results+json"},
    )
    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"
    assert (response.get_json()["line"], response.get_json()["column"]) == BROKEN_AT


def test_a_query_in_the_url_renders_its_answer(reader: FlaskClient) -> None:
    response = reader.get("/sparql", query_string={"query": COUNTS}, headers=HTML)
    assert response.status_code == 200
    soup = BeautifulSoup(response.text, "html.parser")
    textarea = soup.select_one("textarea#query")
    assert textarea is not None
    assert textarea.get_text() == COUNTS
    rows = soup.select("#server-answer table.results tbody tr")
    assert len(rows) >= 3
    assert [th.get_text() for th in soup.select("#server-answer thead th")] == ["?who", "?claims"]
    downloads = soup.select("#server-answer p.downloads a")
    assert {a.get_text() for a in downloads} == {"json", "xml", "csv", "tsv"}
    assert all(str(a["href"]).startswith("/sparql?") for a in downloads)
    error = soup.select_one("#query-error")
    assert error is not None
    assert error.has_attr("hidden")


# --- In a browser --------------------------------------------------------------------------


def vendored_yasgui() -> Path:
    """YASGUI's build as `make yasgui` leaves it; fail (never skip) when it is missing."""
    folder = STATIC / YASGUI_DIR
    missing = [name for name in YASGUI_FILES if not (folder / name).is_file()]
    if missing:
        pytest.fail(
            f"YASGUI is not vendored ({', '.join(missing)} missing from {folder}): run "
            "`make yasgui` (npm fetches the pinned @zazuko/yasgui; `make test` runs it)"
        )
    return folder


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    vendored_yasgui()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_FLAGS)
        yield instance
        instance.close()


class Watched:
    """A page whose requests for any other host are refused and counted, and whose console
    errors and script errors are kept."""

    def __init__(self, browser: Any, server: ServerProcess, **context: Any) -> None:
        self.context = browser.new_context(**context)
        self.page = self.context.new_page()
        self.origin = urlsplit(server.url).netloc
        self.outside: list[str] = []
        self.errors: list[str] = []
        self.loaded: list[str] = []
        self.context.route("**/*", self._route)
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda error: self.errors.append(f"script error: {error}"))

    def _route(self, route: Any) -> None:
        url = route.request.url
        if url.startswith("data:") or urlsplit(url).netloc == self.origin:
            self.loaded.append(url)
            route.continue_()
        else:
            self.outside.append(url)
            route.abort()

    def _console(self, message: Any) -> None:
        # A query the server refuses (400) is logged by the browser as a failed load: that
        # is the answer the page shows, not a fault of the page.
        if message.type == "error" and "status of 400" not in message.text:
            self.errors.append(message.text)

    def editor(self, url: str) -> Any:
        self.page.goto(url)
        self.page.wait_for_selector(".yasqe .CodeMirror", timeout=15_000)
        return self.page

    def value(self) -> str:
        return str(
            self.page.evaluate("document.querySelector('.CodeMirror').CodeMirror.getValue()")
        )

    def set_value(self, text: str) -> None:
        self.page.evaluate(
            "t => document.querySelector('.CodeMirror').CodeMirror.setValue(t)", text
        )

    def close(self) -> None:
        self.context.close()
        assert not self.outside, f"requests left the server: {self.outside}"
        assert not self.errors, "\n".join(self.errors)


@pytest.fixture
def watched(browser: Any, server: ServerProcess) -> Iterator[Watched]:
    watch = Watched(browser, server, viewport={"width": 1280, "height": 900})
    yield watch
    watch.close()


def shot(page: Any, name: str) -> None:
    ARTIFACTS_DIR.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS_DIR / f"query-{name}.jpg"), full_page=True, **JPEG)


# The editor's files and its prefix completion (from the server's own settings) are the
# same on every store backend: tested on one (the editor costs Chromium 2 s of CPU to load).
@pytest.mark.server
@EMBEDDED_ONLY
def test_the_editor_loads_from_parleys_own_origin(watched: Watched, server: ServerProcess) -> None:
    page = watched.editor(server.url + "sparql")
    assert page.evaluate("typeof window.Yasgui.Yasqe") == "function"
    assert any(url.endswith(f"/static/{YASGUI_DIR}/yasgui.min.js") for url in watched.loaded)
    assert any(url.endswith(f"/static/{YASGUI_DIR}/yasgui.min.css") for url in watched.loaded)
    # The textarea gave its query to the editor and stepped aside; the editor highlights.
    assert page.locator("textarea#query").is_hidden()
    assert "parley:claimant" in watched.value()
    assert page.locator(".CodeMirror .cm-keyword, .CodeMirror span[class*='cm-']").count() > 5
    # Parley's prefixes are declared for every query: the editor does not mark them.
    assert page.locator(".parseErrorIcon").count() == 0
    assert page.locator(".yasqe_share").count() == 1


@pytest.mark.server
def test_running_an_example_shows_a_table_a_chart_and_a_shareable_url(
    watched: Watched, server: ServerProcess
) -> None:
    page = watched.editor(server.url + "sparql")
    example = watched.value()
    page.click(".yasqe_queryButton")
    page.wait_for_selector(".yasr table tbody tr", timeout=15_000)
    assert page.locator(".yasr table tbody tr").count() >= 5
    # The URL is the query's own: loading it renders the same query.
    assert urlsplit(page.url).path == "/sparql"
    assert f"?{urlencode({'query': example})}" in page.url
    downloads = page.locator("#query-downloads a")
    assert downloads.all_inner_texts() == ["json", "xml", "csv", "tsv"]
    assert page.locator(".yasr_downloadIcon, .yasr_btn.yasr_downloadIcon").count() >= 1
    shot(page, "table")

    watched.set_value(COUNTS)
    page.click(".yasqe_queryButton")
    # The new answer's table, not the example's still on the page: it has a ?claims column.
    page.wait_for_selector(".yasr table thead th:has-text('claims')", timeout=15_000)
    rows = page.locator(".yasr table tbody tr").count()
    page.click(".yasr_header button.select_chart")
    page.wait_for_selector("svg.query-chart", timeout=5_000)
    assert page.locator("svg.query-chart rect.bar").count() == rows
    shot(page, "chart")

    # A shared link opens the page with the query in the editor and its answer.
    page.goto(page.url)
    page.wait_for_selector(".yasqe .CodeMirror", timeout=15_000)
    assert watched.value() == COUNTS
    assert page.locator("#server-answer table.results tbody tr").count() == rows


@pytest.mark.server
def test_a_syntax_error_keeps_the_query_in_the_editor_and_says_where(
    watched: Watched, server: ServerProcess
) -> None:
    page = watched.editor(server.url + "sparql")
    watched.set_value(BROKEN)
    page.click(".yasqe_queryButton")
    page.wait_for_selector("#query-error:not([hidden])", timeout=15_000)
    line, column = BROKEN_AT
    said = " ".join(page.inner_text("#query-error").split())
    assert f"line {line}, column {column}" in said
    assert watched.value() == BROKEN
    assert page.input_value("textarea#query") == BROKEN
    assert page.get_attribute("#query-error a", "href") == "/problems/sparql-syntax"
    # The error sits next to the query: just below the editor, before the prefixes note.
    editor_box = page.locator(".yasqe").bounding_box()
    error_box = page.locator("#query-error").bounding_box()
    assert editor_box is not None
    assert error_box is not None
    assert 0 <= error_box["y"] - (editor_box["y"] + editor_box["height"]) < 80
    # The editor marks the place and puts the cursor there.
    assert page.locator(".CodeMirror .query-error-at").count() == 1
    cursor = page.evaluate("document.querySelector('.CodeMirror').CodeMirror.getCursor()")
    assert (cursor["line"] + 1, cursor["ch"] + 1) == (line, column)
    shot(page, "error")

    # The same query from a shared link: 400, the query in the editor, the place marked.
    answer = page.goto(server.url + "sparql?" + urlencode({"query": BROKEN}))
    assert answer is not None
    assert answer.status == 400
    page.wait_for_selector(".yasqe .CodeMirror", timeout=15_000)
    assert watched.value() == BROKEN
    assert page.locator(".CodeMirror .query-error-at").count() == 1
    assert f"line {line}, column {column}" in " ".join(page.inner_text("#query-error").split())


@pytest.mark.server
@EMBEDDED_ONLY
def test_prefix_completion_offers_parleys_prefixes(watched: Watched, server: ServerProcess) -> None:
    page = watched.editor(server.url + "sparql")
    watched.set_value("")
    page.click(".CodeMirror")
    page.keyboard.type("PREFIX parl")
    page.wait_for_selector(".CodeMirror-hints li", timeout=5_000)
    hints = page.locator(".CodeMirror-hints li").all_inner_texts()
    assert f"parley: <{server.url}ontology#>" in hints
    page.keyboard.press("Enter")
    assert watched.value().startswith(f"PREFIX parley: <{server.url}ontology#>")
    # Nothing from prefix.cc's list (bundled in YASQE): foaf is no prefix of Parley's.
    watched.set_value("")
    page.keyboard.type("PREFIX foa")
    page.wait_for_timeout(500)
    assert page.locator(".CodeMirror-hints li").count() == 0


@pytest.mark.server
def test_without_javascript_the_form_still_answers(browser: Any, server: ServerProcess) -> None:
    watch = Watched(
        browser, server, java_script_enabled=False, viewport={"width": 390, "height": 900}
    )
    page = watch.page
    try:
        page.goto(server.url + "sparql")
        assert page.locator("textarea#query").is_visible()
        page.fill("textarea#query", COUNTS)
        page.click("form#query-form button[type=submit]")
        page.wait_for_selector("#server-answer table.results tbody tr", timeout=15_000)
        assert "query=" in page.url
        assert page.locator("#server-answer table.results tbody tr").count() >= 3
        assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 1

        page.fill("textarea#query", BROKEN)
        page.click("form#query-form button[type=submit]")
        page.wait_for_selector("#query-error", timeout=15_000)
        assert page.input_value("textarea#query") == BROKEN
        line, column = BROKEN_AT
        assert f"line {line}, column {column}" in " ".join(page.inner_text("#query-error").split())
        shot(page, "error-no-js-phone")
    finally:
        watch.close()
