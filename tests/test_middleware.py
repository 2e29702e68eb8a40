"""What every request gets, once (``service.web._middleware``): a request id, the rate limit
on the routes that evaluate a client's work, the access-log line and the metrics (when the
last byte has gone, for a streamed answer too), and errors as problem documents; and
``/sparql`` answered by its one handler, whatever the client sends.

Against the session's real `parley serve`, on both backends, for what a server shows
(Granian closing a streamed answer, chunked bodies); in-process (httpx over the WSGI
app, which closes each answer as a server does) for the rest.
"""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pyoxigraph
import pytest
from flask import Flask
from werkzeug.test import EnvironBuilder

from service.errors import OverloadedError, QueryTimeoutError
from service.settings import Settings
from service.web import _app
from service.web.views import sparql as sparql_view
from tests import clients
from tests.support import ServerProcess

QUERY = {"Content-Type": "application/sparql-query"}
JSON_RESULTS = {"Accept": "application/sparql-results+json"}
BROWSER = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
#: Every triple of the model: several MiB of N-Triples, so it arrives in chunks.
EVERYTHING = "CONSTRUCT WHERE { ?s ?p ?o }"
ASK = "ASK { ?s ?p ?o }"
UPDATE = "application/sparql-update"


# -- a real server ---------------------------------------------------------------------


def test_a_large_answer_is_streamed_whole_and_logged_with_its_size(server: ServerProcess) -> None:
    with server.client() as http:
        response = http.get(
            "/sparql",
            params={"query": EVERYTHING},
            headers={"Accept": "application/n-triples", "X-Request-Id": "streamed-large-1"},
        )
    assert response.status_code == 200
    assert len(response.content) == int(response.headers["Content-Length"])
    assert len(response.content) > 1 << 20  # more than the query process's 256 KiB chunks
    triples = list(pyoxigraph.parse(response.content, pyoxigraph.RdfFormat.N_TRIPLES))
    assert len(triples) == int(response.headers["Parley-Result-Rows"])
    assert response.headers["X-Request-Id"] == "streamed-large-1"
    lines = server.log_lines_with("streamed-large-1")
    assert len(lines) == 1
    assert f"bytes={len(response.content)}" in lines[0]
    assert "status=200" in lines[0]


def test_a_chunked_body_is_answered_as_a_whole_one(server: ServerProcess) -> None:
    """A body without Content-Length is read within the cap, and answered alike."""

    def chunks() -> Iterator[bytes]:
        yield b"SELECT (COUNT(*) AS ?n) "
        yield b"WHERE { ?s ?p ?o }"

    with server.client() as http:
        chunked = http.post("/sparql", content=chunks(), headers={**QUERY, **JSON_RESULTS})
        whole = http.post(
            "/sparql",
            content=b"SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }",
            headers={**QUERY, **JSON_RESULTS},
        )
    assert "content-length" not in chunked.request.headers
    assert chunked.status_code == whole.status_code == 200
    assert json.loads(chunked.content) == json.loads(whole.content)
    assert int(json.loads(whole.content)["results"]["bindings"][0]["n"]["value"]) > 1000


def test_head_and_the_query_page_are_answered(server: ServerProcess) -> None:
    ask = {"query": ASK}
    with server.client() as http:
        head = http.head("/sparql", params=ask, headers=JSON_RESULTS)
        page = http.get("/sparql", params=ask, headers={"Accept": "text/html"})
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["content-type"].startswith("application/sparql-results+json")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert 'class="boolean">Yes (true)' in page.text  # the query page, with the answer


@pytest.mark.parametrize(
    ("params", "headers", "status", "slug"),
    [
        ({"query": "SELECT * WHERE { ?s ?p }"}, JSON_RESULTS, 400, "sparql-syntax"),
        ({"query": "ASK {}"}, {"Accept": "image/png"}, 406, "not-acceptable"),
        ({"query": "ASK {}", "default-graph-uri": "not an iri"}, JSON_RESULTS, 400, "protocol"),
    ],
)
def test_refusals_are_problems_with_the_request_id(
    server: ServerProcess, params: dict[str, str], headers: dict[str, str], status: int, slug: str
) -> None:
    with server.client() as http:
        response = http.get(
            "/sparql", params=params, headers={**headers, "X-Request-Id": f"refused-{slug}"}
        )
    assert response.status_code == status
    assert response.headers["content-type"].startswith("application/problem+json")
    doc = json.loads(response.content)
    assert doc["type"] == f"{server.url}problems/{slug}"
    assert doc["status"] == status
    assert doc["instance"].startswith("/sparql?")
    assert response.headers["X-Request-Id"] == f"refused-{slug}"
    assert response.headers["Vary"] == "Accept"


def test_a_program_a_form_and_a_browser_get_the_same_solutions(server: ServerProcess) -> None:
    """The same query from a program, as a form post with a charset, and with ``format=``
    from a browser: the same solutions in each."""
    text = "SELECT ?p (COUNT(*) AS ?n) WHERE { ?s ?p ?o } GROUP BY ?p ORDER BY ?p"
    with server.client() as http:
        program = http.get("/sparql", params={"query": text}, headers=JSON_RESULTS)
        form = http.post(
            "/sparql",
            content=str(httpx.QueryParams({"query": text})).encode(),
            headers={
                "Content-Type": "application/x-www-form-urlencoded; charset=UTF-8",
                **JSON_RESULTS,
            },
        )
        browser = http.get(
            "/sparql", params={"query": text, "format": "json"}, headers={"Accept": "text/html"}
        )
    assert program.status_code == form.status_code == browser.status_code == 200
    assert json.loads(program.content) == json.loads(form.content) == json.loads(browser.content)
    assert program.headers["Parley-Result-Rows"] == browser.headers["Parley-Result-Rows"]


# -- in-process ------------------------------------------------------------------------


@pytest.fixture
def make_app(settings: Settings, store_copy: Path) -> Iterator[Callable[..., Flask]]:
    """Applications on the private copy of the model, with ``Settings`` fields changed."""
    made: list[Flask] = []

    def make(**fields: Any) -> Flask:
        made.append(_app.create_app(settings.replace(store_path=store_copy, **fields)))
        return made[-1]

    yield make
    for app in made:
        app.extensions["parley"].store.close()


def _http(app: Flask) -> httpx.Client:
    """A client of ``app`` that, like a server, closes each answer once it has read it."""
    base = app.extensions["parley"].settings.base_iri
    return clients.client(transport=httpx.WSGITransport(app=app), base_url=base)


def _counted(app: Flask) -> dict[tuple[str, str, str], float]:
    """``parley_http_requests_total`` by (route, method, status)."""
    registry = app.extensions["parley"].metrics.registry
    return {
        (s.labels["route"], s.labels["method"], s.labels["status"]): s.value
        for metric in registry.collect()
        if metric.name == "parley_http_requests"
        for s in metric.samples
        if s.name.endswith("_total")
    }


def _rejected(app: Flask) -> dict[str, float]:
    registry = app.extensions["parley"].metrics.registry
    return {
        s.labels["reason"]: s.value
        for metric in registry.collect()
        if metric.name == "parley_rejected_requests"
        for s in metric.samples
        if s.name.endswith("_total")
    }


@pytest.mark.parametrize(
    ("method", "kwargs", "status"),
    [
        ("GET", {"params": {"query": ASK}, "headers": JSON_RESULTS}, 200),
        ("POST", {"content": ASK, "headers": {**QUERY, **JSON_RESULTS}}, 200),
        ("POST", {"data": {"query": ASK}}, 200),
        ("GET", {"params": {"query": "ASK {"}, "headers": JSON_RESULTS}, 400),
        ("GET", {"params": {"query": ASK}, "headers": {"Accept": "text/html"}}, 200),
        ("HEAD", {"params": {"query": ASK}, "headers": JSON_RESULTS}, 200),
        ("GET", {"headers": {"Accept": "text/turtle"}}, 200),  # the service description
        ("GET", {"headers": BROWSER}, 200),  # the query page
        ("POST", {"content": "CLEAR DEFAULT", "headers": {"Content-Type": UPDATE}}, 401),
        ("GET", {"params": [("query", ASK), ("query", ASK)]}, 400),
        ("PUT", {"content": ASK, "headers": QUERY}, 405),
    ],
)
def test_each_request_is_answered_counted_and_logged_once(
    make_app: Callable[..., Flask],
    caplog: pytest.LogCaptureFixture,
    method: str,
    kwargs: dict[str, Any],
    status: int,
) -> None:
    app = make_app()
    headers = {**kwargs.pop("headers", {}), "X-Request-Id": "once-1"}
    with caplog.at_level(logging.INFO, logger="parley.access"), _http(app) as http:
        response = http.request(method, "/sparql", headers=headers, **kwargs)
    assert response.status_code == status, response.text
    assert response.headers["X-Request-Id"] == "once-1"
    lines = [r.__dict__ for r in caplog.records if r.name == "parley.access"]
    assert [(line["request_id"], line["status"]) for line in lines] == [("once-1", status)]
    route = "(unmatched)" if status == 405 else "/sparql"
    assert _counted(app) == {(route, method, str(status)): 1.0}


def test_a_request_without_an_id_gets_a_new_one(make_app: Callable[..., Flask]) -> None:
    with _http(make_app()) as http:
        ids = [http.get(path).headers["X-Request-Id"] for path in ("/health", "/nowhere") * 2]
    assert all(ids)
    assert len(set(ids)) == 4


def test_the_rate_limit_counts_each_request_once_on_the_routes_that_evaluate_work(
    make_app: Callable[..., Flask],
) -> None:
    app = make_app(rate_limit_per_minute=4)
    with _http(app) as http:
        for _ in range(2):
            assert http.get("/sparql", params={"query": ASK}).status_code == 200
        assert http.get("/sparql", headers={"Accept": "text/turtle"}).status_code == 200
        update = http.post("/sparql", content="CLEAR DEFAULT", headers={"Content-Type": UPDATE})
        assert update.status_code == 401  # refused, and counted: it reached the endpoint
        refused = http.get("/sparql", params={"query": ASK}, headers=JSON_RESULTS)
        assert refused.status_code == 429  # the fifth in the minute
        assert int(refused.headers["Retry-After"]) >= 1
        assert refused.headers["X-Request-Id"]
        doc = refused.json()
        assert doc["type"].endswith("/problems/rate-limited")
        assert doc["instance"].startswith("/sparql?query=")
        # Every door that evaluates a client's work is behind the same limit...
        for limited in (
            http.get("/store", params={"default": ""}),
            http.put("/store/g", content=b"", headers={"Content-Type": "text/turtle"}),
            http.post("/validate", content=b"", headers={"Content-Type": "text/turtle"}),
            http.post("/data", content=b"", headers={"Content-Type": "text/turtle"}),
        ):
            assert limited.status_code == 429, limited.request.url
        # ...and a person's pages are not.
        for page in ("/health", "/id/Putin", "/validate", "/metrics"):
            assert http.get(page).status_code == 200, page
        browser = http.get("/sparql", params={"query": ASK}, headers=BROWSER)
    assert browser.status_code == 429
    assert browser.headers["content-type"].startswith("text/html")  # a page, as any problem
    assert _rejected(app) == {"rate-limit": 6.0, "unauthenticated": 1.0}


def test_a_refused_request_is_refused_before_its_body_is_read(
    make_app: Callable[..., Flask],
) -> None:
    app = make_app(rate_limit_per_minute=1)

    class Unread(io.BytesIO):
        def read(self, *args: Any) -> bytes:
            raise AssertionError("the body was read")

        readline = read

    statuses: list[str] = []

    def start_response(status: str, headers: list[tuple[str, str]], *_: Any) -> Any:
        statuses.append(status)
        return lambda data: None

    def post(address: str) -> str:
        environ = EnvironBuilder(
            path="/validate", method="POST", data=b"<a:b> <a:c> <a:d> .", content_type="text/turtle"
        ).get_environ()
        environ["wsgi.input"], environ["REMOTE_ADDR"] = Unread(), address
        answer = app(environ, start_response)
        b"".join(answer)
        getattr(answer, "close", lambda: None)()
        return statuses[-1]

    with _http(app) as http:
        assert http.get("/sparql", params={"query": ASK}).status_code == 200
    assert post("127.0.0.1").startswith("429")  # httpx's address: past its limit
    # Another address is let through, and the body is read (here it cannot be: 400).
    assert post("192.0.2.1").startswith("400")


@pytest.mark.parametrize(
    ("error", "status", "reason"),
    [
        (QueryTimeoutError("the query ran past its 30 s"), 503, None),
        (OverloadedError("too many queries", retryAfter=1), 503, "overloaded"),
        (RuntimeError("a bug"), 500, None),
    ],
)
def test_a_timeout_is_not_an_overload_and_a_bug_is_a_500(
    make_app: Callable[..., Flask],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    error: Exception,
    status: int,
    reason: str | None,
) -> None:
    def failing(*args: object) -> None:
        raise error

    monkeypatch.setattr(sparql_view, "answer_query", failing)
    app = make_app()
    with caplog.at_level(logging.INFO), _http(app) as http:
        response = http.get("/sparql", params={"query": ASK}, headers={"X-Request-Id": "fail-1"})
    assert response.status_code == status
    assert response.headers["X-Request-Id"] == "fail-1"
    doc = response.json()
    assert doc["status"] == status
    if status == 500:
        assert doc["detail"] == (
            "The server failed while answering; the error is logged. Nothing was written."
        )
        assert "a bug" not in response.text
        tracebacks = [r for r in caplog.records if r.exc_info and "a bug" in str(r.exc_info[1])]
        assert len(tracebacks) == 1
    assert _counted(app) == {("/sparql", "GET", str(status)): 1.0}
    assert _rejected(app) == ({reason: 1.0} if reason else {})


def test_the_route_label_is_the_matched_rule(make_app: Callable[..., Flask]) -> None:
    app = make_app()
    with _http(app) as http:
        assert http.get("/id/Putin").status_code == 200
        assert http.get("/no/such/page").status_code == 404
        assert http.post("/health").status_code == 405
        assert http.get("/static/parley.css").status_code == 200
    assert _counted(app) == {
        ("/id/<path:local>", "GET", "200"): 1.0,
        ("(unmatched)", "GET", "404"): 1.0,
        ("(unmatched)", "POST", "405"): 1.0,
        ("/static/<path:filename>", "GET", "200"): 1.0,
    }
