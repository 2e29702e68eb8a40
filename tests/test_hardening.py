"""What a hostile client tried around the data (the reliability review's findings 9,
36, 37 and 39; graph names, finding 24, are ``tests/test_graph_names.py``'s):

- every answer carries the security headers, and the pages need nothing inline;
- a forged ``X-Request-Id`` or path cannot forge an access-log line;
- a redirect is built from the base IRI, never from ``Host``;
- a 503 says why: loading, overload or timeout.

In-process on a copy of the built model (the middleware and the query pool are the
objects a real server runs; the browser crawl of ``tests/test_browse_browser.py`` runs
the pages under the policy in Chromium).
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from flask import Flask
from flask.testing import FlaskClient

import service.web
from service.errors import OverloadedError, QueryTimeoutError, StoreLoadingError
from service.logsetup import TextFormatter
from service.query import QueryJob, QueryPool
from service.rdf import JSON, NamedNode, Quad, Vocab
from service.store import ChangeSet, OxigraphStore
from service.web._middleware import CLIENT_REQUEST_ID, CONTENT_SECURITY_POLICY
from service.web.views import ROUTES
from tests.browser import CHROMIUM_FLAGS, chromium_path
from tests.support import AppSite, copy_store, free_port, open_app, start_server
from tests.test_routes import SAMPLES

TURTLE = {"Content-Type": "text/turtle"}
TRIPLE = b'<http://example.org/a> <http://example.org/b> "c" .'
#: What every answer carries.
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}


@pytest.fixture
def site(private_site: AppSite) -> AppSite:
    """Writes land on a private copy of the model (the conftest's ``http`` uses it)."""
    return private_site


# -- security headers -----------------------------------------------------------------


def test_every_route_answers_with_the_security_headers(app: Flask, client: FlaskClient) -> None:
    """Each route of the table, each of its methods, as ``tests/test_routes.py`` walks them
    (writes without the token: a 401 problem), plus what no route answers (404, 405)."""
    base = app.extensions["parley"].settings.base_iri
    answers = []
    for route in ROUTES:
        url = SAMPLES[route.rule].format(base=base)
        for method in route.methods:
            body = TRIPLE if method in ("POST", "PUT") else None
            with client.open(url, method=method, data=body, headers=TURTLE) as response:
                answers.append((f"{method} {url}", response.status_code, response.headers))
    for url, accept in (("/no/such/page", "text/html"), ("/health", "application/json")):
        with client.open(url, method="DELETE", headers={"Accept": accept}) as response:
            answers.append((f"DELETE {url}", response.status_code, response.headers))
    statuses = {status for _, status, _ in answers}
    assert {200, 401, 404, 405} <= statuses  # pages, data, problems and static files
    missing = [
        f"{what} ({status}): {name}"
        for what, status, headers in answers
        for name, value in SECURITY_HEADERS.items()
        if headers.get(name) != value
    ]
    assert not missing, missing


def test_a_rate_limited_refusal_carries_the_security_headers(
    store_copy: Path, base_iri: str
) -> None:
    site = open_app(store_copy, base_iri, query_workers=0, rate_limit_per_minute=1)
    try:
        with site.client() as http:
            answers = [http.get("/sparql", params={"query": "ASK {}"}) for _ in range(2)]
    finally:
        site.stop()
    assert [a.status_code for a in answers] == [200, 429]
    assert {name: answers[1].headers.get(name) for name in SECURITY_HEADERS} == SECURITY_HEADERS


def test_the_policy_allows_nothing_inline_and_the_pages_need_nothing_inline() -> None:
    """The CSP has no ``unsafe-inline`` because the templates have no inline script,
    style, ``style=`` or ``on…=`` attribute (the browser crawl in
    ``tests/test_browse_browser.py`` sees no console error: no CSP violation)."""
    assert "unsafe" not in CONTENT_SECURITY_POLICY
    assert "frame-ancestors 'none'" in CONTENT_SECURITY_POLICY
    inline = re.compile(
        r"<script(?![^>]*\bsrc=)|<style\b|\sstyle\s*=|\son[a-z]+\s*=|javascript:", re.IGNORECASE
    )
    templates = Path(service.web.__file__).parent / "templates"
    found = [
        f"{page.name}: {match.group()}"
        for page in sorted(templates.glob("*.html"))
        for match in inline.finditer(page.read_text())
    ]
    assert not found, found


# -- request ids and the access log ---------------------------------------------------


@pytest.mark.parametrize(
    "forged",
    [
        "forged method=DELETE path=/admin status=200",
        "x\r\nrequest_id=forged",
        "a" * 65,
        "<script>",
    ],
)
def test_a_forged_request_id_is_replaced(http: httpx.Client, forged: str) -> None:
    answer = http.get("/health", headers={"X-Request-Id": forged})
    given = answer.headers["X-Request-Id"]
    assert given != forged
    assert CLIENT_REQUEST_ID.fullmatch(given)


def test_a_plain_request_id_is_kept(http: httpx.Client) -> None:
    plain = "3f2a9c1e-7b4d-4e0a-9a55-1c2b3d4e5f60"
    assert http.get("/health", headers={"X-Request-Id": plain}).headers["X-Request-Id"] == plain


def test_a_path_cannot_forge_an_access_log_line(
    http: httpx.Client, caplog: pytest.LogCaptureFixture
) -> None:
    """The path is the client's too: spaces, ``key=value`` and CR/LF come quoted."""
    forged = "/id/x%20status=200%0D%0Arequest_id=forged%20method=DELETE%20path=/admin"
    with caplog.at_level(logging.INFO, logger="parley.access"):
        answer = http.get(forged, headers={"X-Request-Id": "victim-1"})
    assert answer.status_code == 404
    records = [r for r in caplog.records if r.name == "parley.access"]
    assert len(records) == 1
    line = TextFormatter("%(levelname)s %(name)s %(message)s").format(records[0])
    assert len(line.splitlines()) == 1
    fields = re.findall(r' (\w+)=("(?:[^"\\]|\\.)*"|\S+)', line)
    names = [name for name, _ in fields]
    assert names == ["request_id", "method", "path", "status", "ms", "bytes"]
    values = dict(fields)
    assert values["request_id"] == "victim-1"
    assert values["status"] == "404"
    assert (
        json.loads(values["path"])
        == "/id/x status=200\r\nrequest_id=forged method=DELETE path=/admin"
    )


# -- redirects ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "canonical"),
    [("/static//parley.css", "static/parley.css"), ("/id//Putin", "id/Putin")],
)
def test_a_redirect_is_built_from_the_base_iri_not_the_host_header(
    http: httpx.Client, base_iri: str, path: str, canonical: str
) -> None:
    answer = http.get(path, headers={"Host": "evil.example", "X-Forwarded-Host": "evil.example"})
    assert answer.status_code == 308
    assert answer.headers["Location"] == base_iri + canonical
    assert answer.headers["X-Content-Type-Options"] == "nosniff"


# -- a truthful 503 -------------------------------------------------------------------


@pytest.fixture
def small_store(tmp_path: Path) -> Iterator[OxigraphStore]:
    opened = OxigraphStore.open(tmp_path / "store", Vocab("http://127.0.0.1:1/"))
    p = NamedNode("http://ex/p")
    graph = NamedNode("http://example.org/g")
    quads = [
        Quad(NamedNode(f"http://ex/s{i}"), p, NamedNode("http://ex/o"), graph) for i in range(50)
    ]
    opened.commit(ChangeSet(insert=quads))
    yield opened
    opened.close()


def _ask() -> QueryJob:
    return QueryJob("ASK { GRAPH ?g { ?s ?p ?o } }", None, False, JSON, None, 10**6, 1 << 20)


def _wait_ready(pool: QueryPool) -> None:
    deadline = time.monotonic() + 60
    while not pool.ready():
        assert time.monotonic() < deadline, "the query copy did not load"
        time.sleep(0.05)


@pytest.mark.server  # query processes
def test_a_query_that_waits_for_the_copy_to_load_is_told_so(small_store: OxigraphStore) -> None:
    pool = QueryPool(
        small_store, workers=1, max_concurrent=4, timeout_s=0.01, base_iri=small_store.vocab.base
    )
    try:
        with pytest.raises(StoreLoadingError) as loading:
            pool.run(_ask())  # the copy is still loading: this query waits past its 10 ms
        assert loading.value.slug == "store-loading"
        assert loading.value.headers["Retry-After"]
    finally:
        pool.close()


@pytest.mark.server  # query processes
def test_a_query_that_waits_under_load_is_told_the_server_is_overloaded(
    small_store: OxigraphStore,
) -> None:
    """The review's 50 concurrent slow queries got ``store-loading`` with nothing loading:
    they waited while other requests started query processes. Holding the lock those
    requests hold (the pool's ``_sync_lock``) makes the same wait on demand."""
    pool = QueryPool(
        small_store, workers=1, max_concurrent=4, timeout_s=0.3, base_iri=small_store.vocab.base
    )
    try:
        _wait_ready(pool)
        # The copy is loaded and a query process serves it.
        assert b"true" in b"".join(pool.run(_ask()).chunks)
        graph = NamedNode("http://example.org/g")
        late = Quad(NamedNode("http://ex/late"), NamedNode("http://ex/p"), graph, graph)
        small_store.commit(ChangeSet(insert=[late]))  # the next query needs a new process
        time.sleep(0.35)  # the last load ended before the next query starts waiting
        # Another request is bringing the process up to date.
        with pool._sync_lock, pytest.raises(OverloadedError) as overloaded:
            pool.run(_ask())
        assert "overloaded" in overloaded.value.detail
        assert overloaded.value.headers["Retry-After"]
        assert not isinstance(overloaded.value, StoreLoadingError)
        # A query that ran and lost its process until its limit: a timeout, as it was.
        assert isinstance(pool._waited(1, time.monotonic()), QueryTimeoutError)
    finally:
        pool.close()


# -- the policy in a real browser -----------------------------------------------------


@pytest.mark.server  # a real `parley serve` and Chromium
def test_the_validate_page_works_under_the_policy_which_blocks_inline_script(
    built_store: Path, base_iri: str, tmp_path: Path
) -> None:
    """The one page with a script (``validate.js``, a file) validates pasted Turtle with no
    console error (a script or style the policy blocked would log one), and a script put
    inline into the page does not run."""
    from playwright.sync_api import ConsoleMessage, Error, sync_playwright

    store = copy_store(built_store, tmp_path / "store", base_iri)
    server = start_server(store, port=free_port(), log_dir=tmp_path, base_iri=base_iri)
    errors: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            errors.append(message.text)

    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=chromium_path(), args=CHROMIUM_FLAGS
            )
            page = browser.new_page()
            page.on("console", on_console)
            answer = page.goto(server.url + "validate")
            assert answer is not None
            assert answer.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
            page.fill("#data-text", f"<{base_iri}id/x> <http://example.org/p> 1 .")
            page.evaluate("window.samePage = true")  # gone if the form posted instead
            page.click("#validate-form button[type=submit]")
            page.locator("#report-status", has_text="conform").wait_for()
            status = page.text_content("#report-status") or ""
            by_script = page.evaluate("window.samePage === true")
            clean = list(errors)
            with pytest.raises(Error):
                page.add_script_tag(content="window.injected = true;")
            injected = page.evaluate("window.injected === true")
            browser.close()
    finally:
        server.stop()
    assert "The data conforms to the shapes." in status
    assert by_script  # validate.js answered, without leaving the page
    assert not clean, clean  # nothing blocked before the injection
    assert not injected
    assert any("Content Security Policy" in error for error in errors)
