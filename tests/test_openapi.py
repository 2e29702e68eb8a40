"""``/openapi.json`` describes the HTTP API for programs, and the API answers as described.

The description must name every route of the table (``service.web.views.ROUTES``) except
the few listed here with why; and schemathesis fuzzes each operation it describes against
the app in-process (a private copy of the built model; writes with the write token, so
they reach the gate): no 500, and every answer's status, content type, headers and JSON
body as the description says. Bounded: a fixed seed, a few examples per operation.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from service.web.views import ROUTES
from service.web.views.openapi import openapi_document
from tests.support import AppSite, copy_store, open_app

#: Routes the description leaves out, and why.
UNDESCRIBED = {
    "/": "a page for a person",
    "/timeline": "a page for a person",
    "/network": "a page for a person",
    "/instances": "a page for a person",
    ("/validate", "GET"): "the form for a person (POST /validate is described)",
    ("/data", "GET"): "the data page for a person (POST /data is described)",
    "/static/<path:filename>": "the pages' stylesheet and script",
    "/favicon.ico": "no icon (204), for browsers that ask",
    "/sparql": "the SPARQL 1.1 Protocol: its W3C specification describes it",
    "/store": "the Graph Store Protocol: its W3C specification describes it",
    "/store/<path:graph_path>": "the Graph Store Protocol: its W3C specification describes it",
    "/.well-known/void": "the SPARQL service's own description (VoID)",
    ("/sources/new", "GET"): "the form for a person (POST /sources is described)",
    ("/claims/new", "GET"): "the claim form for a person (POST /claims is described)",
    "/sign-in": "an editor's sign-in form for a person (programs send a bearer token)",
    "/sign-out": "a signed-in person's sign-out button",
    ("/claims/<path:slug>/edit", "GET"): "the edit form for a person (its POST is described)",
    ("/reviews/new", "GET"): "the review form for a person (POST /reviews is described)",
}


def problem_status_is_the_answers(
    _context: schemathesis.CheckContext, response: schemathesis.Response, _case: Any
) -> bool:
    """A problem document's ``status`` is the HTTP status it came with (RFC 9457 3.1.3)."""
    content_type = response.headers.get("content-type", [""])[0]
    if content_type.startswith("application/problem+json"):
        assert response.json()["status"] == response.status_code
    return True


#: What every fuzzed answer must satisfy.
CHECKS = [
    not_a_server_error,
    problem_status_is_the_answers,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
#: Examples generated per operation, after the description's own examples.
EXAMPLES_PER_OPERATION = 12
#: The RDF media types schemathesis does not know: the body goes as the text it generated.
RDF_TEXT = (
    "application/n-triples",
    "application/n-quads",
    "application/trig",
    "application/rdf+xml",
)


@schemathesis.serializer(*RDF_TEXT)
def _as_text(_context: Any, value: Any) -> bytes:
    return value.encode("utf-8") if isinstance(value, str) else str(value).encode("utf-8")


def _openapi_path(rule: str) -> str:
    """A werkzeug rule as an OpenAPI path: ``/id/<path:local>`` -> ``/id/{local}``."""
    return re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule)


@pytest.fixture(scope="module")
def fuzzed_site(
    tmp_path_factory: pytest.TempPathFactory, built_store: Path, base_iri: str
) -> Iterator[AppSite]:
    """The app on its own copy of the built model, for this module's writes."""
    store = copy_store(built_store, tmp_path_factory.mktemp("openapi") / "store", base_iri)
    site = open_app(store, base_iri)
    yield site
    site.stop()


@pytest.fixture(scope="module")
def api(fuzzed_site: AppSite) -> schemathesis.BaseSchema:
    """The description the app serves, loaded by schemathesis (requests go to the WSGI app)."""
    config = schemathesis.Config.from_dict({"generation": {"database": "none"}})
    return schemathesis.openapi.from_wsgi("/openapi.json", fuzzed_site.app, config=config)


#: Every operation described (the document depends on the base IRI only in its values).
OPERATIONS = [
    (method.upper(), path)
    for path, item in openapi_document("http://parley.test/")["paths"].items()
    for method in item
]


@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_each_operation_answers_as_described(
    api: schemathesis.BaseSchema, fuzzed_site: AppSite, method: str, path: str
) -> None:
    """The description's own examples, then ``EXAMPLES_PER_OPERATION`` generated requests
    (derandomized: the same ones every run)."""
    operation = api[path][method]
    writes: tuple[str, ...] = ("/data", "/sources", "/claims", "/claims/{slug}/versions")
    writes += ("/claims/{slug}/retraction", "/reviews")
    headers = fuzzed_site.auth() if path in writes else None
    bounded = settings(
        max_examples=EXAMPLES_PER_OPERATION,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.explicit, Phase.generate],  # no shrinking: the first failure is shown
    )

    def answers_as_described(case: schemathesis.Case[Any]) -> None:
        case.call_and_validate(headers=headers, checks=CHECKS)

    strategies = [*api.get_strategies_from_examples(operation), operation.as_strategy()]
    described = api.raw_schema["paths"][path][method.lower()]
    if "requestBody" in described or any(
        p["in"] == "query" for p in described.get("parameters", [])
    ):
        # And requests the description forbids (a missing graph, an unknown format, a body
        # that is not what its Content-Type says): a described 4xx, not a 500. (A string in
        # a path is a string still: nothing there to break.)
        strategies.append(operation.as_strategy(schemathesis.GenerationMode.NEGATIVE))
    for strategy in strategies:
        bounded(given(case=strategy)(answers_as_described))()


def test_the_description_is_openapi_3_1(api: schemathesis.BaseSchema) -> None:
    api.validate()  # against the OpenAPI 3.1 schema; raises what breaks it
    assert api.raw_schema["openapi"].startswith("3.1.")


def test_every_route_of_the_api_is_described(fuzzed_site: AppSite) -> None:
    with fuzzed_site.client() as client:
        document = client.get("/openapi.json").json()
    described = {
        (path, method.upper()) for path, item in document["paths"].items() for method in item
    }
    routes = set()
    for route in ROUTES:
        for method in route.methods:
            if route.rule in UNDESCRIBED or (route.rule, method) in UNDESCRIBED:
                continue
            routes.add((_openapi_path(route.rule), method))
    assert routes - described == set(), "describe these routes in service/web/views/openapi.py"
    assert described - routes == set(), "the description names routes the app does not have"


def test_the_servers_url_is_the_base_iri_not_the_host_header(fuzzed_site: AppSite) -> None:
    with fuzzed_site.client() as client:
        answer = client.get("/openapi.json", headers={"Host": "evil.example"})
    assert answer.status_code == 200
    assert answer.headers["Content-Type"] == "application/json"
    assert answer.json()["servers"] == [{"url": fuzzed_site.url.rstrip("/")}]
    assert "evil.example" not in answer.text


def test_writes_are_described_as_needing_the_bearer_token(fuzzed_site: AppSite) -> None:
    with fuzzed_site.client() as client:
        document = client.get("/openapi.json").json()
        refused = client.post(
            "/data?graph=graph/editorial",
            content=b"<http://example.org/a> <http://example.org/b> <http://example.org/c> .",
            headers={"Content-Type": "text/turtle"},
        )
    (requirement,) = document["paths"]["/data"]["post"]["security"]
    (name,) = requirement
    scheme = document["components"]["securitySchemes"][name]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")
    assert refused.status_code == 401
    assert "401" in document["paths"]["/data"]["post"]["responses"]
    assert refused.headers["WWW-Authenticate"].startswith("Bearer")


def test_problems_are_described_once_and_shared(fuzzed_site: AppSite) -> None:
    """Every error answer of every operation is a shared problem response, each of them the
    one problem schema: RFC 9457's members, and a ``type`` under the base IRI."""
    with fuzzed_site.client() as client:
        document = client.get("/openapi.json").json()
    errors = [
        answer
        for item in document["paths"].values()
        for operation in item.values()
        for status, answer in operation["responses"].items()
        if int(status) >= 400
    ]
    assert errors
    assert all(set(answer) == {"$ref"} for answer in errors)
    shared = document["components"]["responses"]
    assert {answer["$ref"].rsplit("/", 1)[1] for answer in errors} == set(shared)
    for answer in shared.values():
        assert answer["content"]["application/problem+json"]["schema"] == {
            "$ref": "#/components/schemas/Problem"
        }
    problem = document["components"]["schemas"]["Problem"]
    assert problem["required"] == ["type", "title", "status", "detail", "instance"]
    assert re.fullmatch(problem["properties"]["type"]["pattern"], f"{fuzzed_site.url}problems/x")
