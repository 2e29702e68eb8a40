"""Every ``ParleyError`` as a problem: the JSON and the HTML shape of each (datasette's
``test_error_shape``), and the page its ``type`` IRI names.

Each class of the tree (``service.errors``, walked through ``__subclasses__``) is raised
with a detail, rendered by the app's problem rendering (``service.web._problems``) and
also raised from a view of an app on an in-memory store, so the handler the app installs
answers it. No class is listed here: a new error is checked the day it is written.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from bs4 import BeautifulSoup
from flask import Flask
from flask.testing import FlaskClient

from service.errors import ParleyError
from service.settings import Settings
from service.web import create_app
from service.web._problems import from_parley_error, problem_json

BASE = "http://parley.test/"
#: A detail with markup in it: the HTML page must show it as text.
DETAIL = "The <em>thing</em> at line 3 & column 7 is wrong; fix it & try again."
PROBLEM_JSON = "application/problem+json"
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
RFC_9457 = ["type", "title", "status", "detail", "instance"]


def _error_classes() -> list[type[ParleyError]]:
    """``ParleyError`` and every class below it, breadth first."""
    found: list[type[ParleyError]] = []
    pending = [ParleyError]
    while pending:
        cls = pending.pop(0)
        found.append(cls)
        pending.extend(cls.__subclasses__())
    return found


ERRORS = _error_classes()


@pytest.fixture(scope="module")
def problem_app() -> Iterator[Flask]:
    """The app on an in-memory store, with one more view: ``/raise/<class>`` raises it."""
    app = create_app(Settings(base_iri=BASE, write_token="test-token"))
    by_name = {cls.__name__: cls for cls in ERRORS}

    @app.get("/raise/<name>")
    def _raise(name: str) -> str:
        raise by_name[name](DETAIL, line=3, column=7)

    yield app
    services = app.extensions["parley"]
    services.queries.close()
    services.store.close()


@pytest.fixture(scope="module")
def problem_client(problem_app: Flask) -> FlaskClient:
    return problem_app.test_client()


def test_the_walk_finds_the_whole_tree() -> None:
    names = {cls.__name__ for cls in ERRORS}
    # the root, a leaf three levels down, and a class with its own __init__
    assert {"ParleyError", "StoreLoadingError", "AuthenticationError"} <= names
    assert len(ERRORS) > 30
    assert len({cls.slug for cls in ERRORS}) == len(ERRORS), "two errors share a problem type"


def _expected(cls: type[ParleyError], instance: str) -> dict[str, object]:
    return {
        "type": f"{BASE}problems/{cls.slug}",
        "title": cls.title,
        "status": cls.status,
        "detail": DETAIL,
        "instance": instance,
        "line": 3,
        "column": 7,
    }


@pytest.mark.parametrize("cls", ERRORS, ids=lambda cls: cls.__name__)
def test_json_shape(problem_app: Flask, cls: type[ParleyError]) -> None:
    error = cls(DETAIL, line=3, column=7, evidence=object())  # the object is not JSON: left out
    with problem_app.test_request_context(
        "/sparql?query=x", headers={"Accept": "application/json"}
    ):
        response = from_parley_error(error, BASE)
    assert response.status_code == cls.status
    assert response.headers["Content-Type"] == PROBLEM_JSON
    assert response.headers["Vary"] == "Accept"
    for name, value in error.headers.items():  # WWW-Authenticate, Retry-After, ...
        assert response.headers[name] == value
    doc = json.loads(response.get_data())
    assert doc == _expected(cls, "/sparql?query=x")
    assert list(doc)[:5] == RFC_9457  # the RFC's members first, then the evidence
    # A program's answer (no Flask request) is the same document with the same headers.
    body, headers = problem_json(error, BASE, "/sparql?query=x", log=False)
    assert json.loads(body) == doc
    assert ("Content-Type", PROBLEM_JSON) in headers
    assert ("Content-Length", str(len(body))) in headers


@pytest.mark.parametrize("cls", ERRORS, ids=lambda cls: cls.__name__)
def test_html_shape(problem_app: Flask, cls: type[ParleyError]) -> None:
    try:
        raise cls(DETAIL, line=3, column=7)
    except ParleyError as raised:  # raised, so it carries a traceback the page must not show
        with problem_app.test_request_context("/id/x", headers={"Accept": BROWSER}):
            response = from_parley_error(raised, BASE)
    assert response.status_code == cls.status
    assert response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    page = BeautifulSoup(html, "html.parser")
    assert page.h1 is not None
    assert page.h1.get_text(" ", strip=True) == f"{cls.status} · {cls.title}"
    assert page.title is not None
    assert cls.title in page.title.get_text()
    detail = page.select_one("p.detail")
    assert detail is not None
    assert detail.get_text() == DETAIL
    assert detail.find("em") is None  # the client's text is escaped, not markup
    assert page.find("a", href=f"{BASE}problems/{cls.slug}") is not None
    assert "Traceback" not in html
    assert __file__ not in html
    assert "service/" not in html


@pytest.mark.parametrize("cls", ERRORS, ids=lambda cls: cls.__name__)
def test_an_error_raised_in_a_view_is_answered_in_both_shapes(
    problem_client: FlaskClient, cls: type[ParleyError]
) -> None:
    as_json = problem_client.get(f"/raise/{cls.__name__}")
    assert as_json.status_code == cls.status
    assert as_json.headers["Content-Type"] == PROBLEM_JSON
    assert as_json.get_json() == _expected(cls, f"/raise/{cls.__name__}")
    as_html = problem_client.get(f"/raise/{cls.__name__}", headers={"Accept": BROWSER})
    assert as_html.status_code == cls.status
    assert as_html.mimetype == "text/html"
    text = BeautifulSoup(as_html.get_data(as_text=True), "html.parser").get_text(" ")
    assert cls.title in text
    assert DETAIL in text
    assert "Traceback" not in as_html.get_data(as_text=True)


@pytest.mark.parametrize("cls", ERRORS, ids=lambda cls: cls.__name__)
def test_each_problem_type_has_its_page(
    problem_client: FlaskClient, cls: type[ParleyError]
) -> None:
    response = problem_client.get(f"/problems/{cls.slug}", headers={"Accept": BROWSER})
    assert response.status_code == 200, cls.slug
    assert response.mimetype == "text/html"
    text = " ".join(
        BeautifulSoup(response.get_data(as_text=True), "html.parser").get_text().split()
    )
    assert cls.title in text
    assert str(cls.status) in text


def test_an_unknown_problem_type_is_404(problem_client: FlaskClient) -> None:
    response = problem_client.get("/problems/no-such-problem")
    assert response.status_code == 404
    assert response.headers["Content-Type"] == PROBLEM_JSON
