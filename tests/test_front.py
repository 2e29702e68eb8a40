"""The route in front of Flask (``service.web._front``): programs' queries are answered there,
everything else by Flask, and both say the same things the same way.

Against the session's real `parley serve` on the built model, on both backends; and
in-process, with Flask's test client, to see which door each request goes through.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pyoxigraph
import pytest
from flask import Flask
from flask.testing import FlaskClient

from service.settings import Settings
from service.web._app import create_app
from service.web._front import Front
from tests.support import ServerProcess

QUERY = {"Content-Type": "application/sparql-query"}
JSON_RESULTS = {"Accept": "application/sparql-results+json"}
#: Every triple of the model: several MiB of N-Triples, so it arrives in chunks.
EVERYTHING = "CONSTRUCT WHERE { ?s ?p ?o }"


@pytest.mark.server
def test_a_large_answer_is_streamed_whole_and_logged_with_its_size(server: ServerProcess) -> None:
    with server.client() as http:
        response = http.get(
            "/sparql",
            params={"query": EVERYTHING},
            headers={"Accept": "application/n-triples", "X-Request-Id": "front-large-1"},
        )
    assert response.status_code == 200
    assert len(response.content) == int(response.headers["Content-Length"])
    assert len(response.content) > 1 << 20  # more than the query process's 256 KiB chunks
    triples = list(pyoxigraph.parse(response.content, pyoxigraph.RdfFormat.N_TRIPLES))
    assert len(triples) == int(response.headers["Parley-Result-Rows"])
    assert response.headers["X-Request-Id"] == "front-large-1"
    # The line is written when the server closes the answer, maybe just after the client
    # has its last byte.
    deadline, lines = time.monotonic() + 10, list[str]()
    while not lines and time.monotonic() < deadline:
        lines = [line for line in server.log().splitlines() if "front-large-1" in line]
        time.sleep(0.05)
    assert len(lines) == 1
    assert f"bytes={len(response.content)}" in lines[0]
    assert "status=200" in lines[0]


@pytest.mark.server
def test_a_chunked_body_is_answered_by_flask_the_same_way(server: ServerProcess) -> None:
    """A body without Content-Length is Flask's to read within the cap; the answer is the
    same as the front's for the same query."""

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


@pytest.mark.server
def test_head_and_the_query_page_are_answered(server: ServerProcess) -> None:
    ask = {"query": "ASK { ?s ?p ?o }"}
    with server.client() as http:
        head = http.head("/sparql", params=ask, headers=JSON_RESULTS)
        page = http.get("/sparql", params=ask, headers={"Accept": "text/html"})
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["content-type"].startswith("application/sparql-results+json")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert 'class="boolean">Yes (true)' in page.text  # the query page, with the answer


@pytest.mark.server
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
            "/sparql", params=params, headers={**headers, "X-Request-Id": f"front-{slug}"}
        )
    assert response.status_code == status
    assert response.headers["content-type"].startswith("application/problem+json")
    doc = json.loads(response.content)
    assert doc["type"] == f"{server.url}problems/{slug}"
    assert doc["status"] == status
    assert doc["instance"].startswith("/sparql?")
    assert response.headers["X-Request-Id"] == f"front-{slug}"
    assert response.headers["Vary"] == "Accept"


@pytest.mark.server
def test_the_front_and_flask_answer_alike(server: ServerProcess) -> None:
    """The same query, once for a program (the front) and once as a form post with a
    charset (still the front) and once with ``format=`` from a browser (Flask): the same
    solutions in each."""
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


# -- which door answers (in-process, Flask's test client through the WSGI front) --------


class _Doors:
    """Records whether each request reached Flask (the front's fallback)."""

    def __init__(self, app: Flask) -> None:
        front = app.wsgi_app
        assert isinstance(front, Front)
        self.flask = 0
        fallback = front.fallback

        def recording(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
            self.flask += 1
            return fallback(environ, start_response)

        front.fallback = recording


@pytest.fixture
def doors(app: Flask) -> _Doors:
    return _Doors(app)


ASK = "ASK { ?s ?p ?o }"
FORM = "application/x-www-form-urlencoded"


@pytest.mark.parametrize(
    ("method", "kwargs", "door", "status"),
    [
        ("GET", {"query_string": {"query": ASK}, "headers": JSON_RESULTS}, "front", 200),
        ("POST", {"data": ASK, "headers": {**QUERY, **JSON_RESULTS}}, "front", 200),
        ("POST", {"data": {"query": ASK}, "content_type": FORM}, "front", 200),
        ("GET", {"query_string": {"query": "ASK {"}, "headers": JSON_RESULTS}, "front", 400),
        ("GET", {"query_string": {"query": ASK}, "headers": {"Accept": "text/html"}}, "flask", 200),
        ("HEAD", {"query_string": {"query": ASK}, "headers": JSON_RESULTS}, "flask", 200),
        ("GET", {"headers": {"Accept": "text/turtle"}}, "flask", 200),  # service description
        (
            "POST",
            {"data": "CLEAR DEFAULT", "content_type": "application/sparql-update"},
            "flask",
            401,
        ),
        ("GET", {"query_string": [("query", ASK), ("query", ASK)]}, "flask", 400),
    ],
)
def test_each_request_goes_through_one_door(
    client: FlaskClient,
    doors: _Doors,
    method: str,
    kwargs: dict[str, Any],
    door: str,
    status: int,
) -> None:
    response = client.open("/sparql", method=method, **kwargs)
    assert response.status_code == status, response.get_data(as_text=True)
    assert doors.flask == (1 if door == "flask" else 0)
    assert response.headers["X-Request-Id"]


def test_the_rate_limit_counts_each_request_once_whichever_door(
    settings: Settings, store_copy: Path
) -> None:
    app = create_app(settings.replace(store_path=store_copy, rate_limit_per_minute=4))
    try:
        doors, client = _Doors(app), app.test_client()
        for _ in range(2):  # the front answers these
            assert client.get("/sparql", query_string={"query": ASK}).status_code == 200
        # The front counts these, then leaves them to Flask (a description, an update).
        assert client.get("/sparql", headers={"Accept": "text/turtle"}).status_code == 200
        assert (
            client.post(
                "/sparql", data="CLEAR DEFAULT", content_type="application/sparql-update"
            ).status_code
            == 401
        )
        assert doors.flask == 2
        refused = client.get("/sparql", query_string={"query": ASK})
        assert refused.status_code == 429  # the fifth in the minute
        assert refused.headers["Retry-After"]
        assert refused.get_json()["type"].endswith("/problems/rate-limited")
        assert doors.flask == 2  # refused by the front itself
    finally:
        app.extensions["parley"].store.close()
