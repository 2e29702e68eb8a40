"""The route table (``service.web.views.ROUTES``) is what the application answers: every
route in it answers each of its methods, and the application answers no URL it does not
list.

In-process, on a copy of the built model. Each rule's variables get a sample value of
something that exists (``id/Putin``, written first); a route with no sample here
fails, so a new route is checked the day it is added. Writes are sent without the
token: 401 says the route was found and the method allowed, which is what is checked.
"""

from __future__ import annotations

import re
from pathlib import Path

from flask import Flask, url_for
from flask.testing import FlaskClient

import service.web
from service.web.views import RATE_LIMITED, ROUTES, Route

#: A URL of each rule, naming something that exists in the model or is written first.
SAMPLES = {
    "/": "/",
    "/search": "/search?q=Putin",
    "/timeline": "/timeline",
    "/network": "/network",
    "/instances": "/instances?class={base}ontology%23Stance",
    "/validate": "/validate",
    "/changes": "/changes",
    "/static/<path:filename>": "/static/parley.css",
    "/favicon.ico": "/favicon.ico",
    "/id/<path:local>": "/id/Putin",
    "/.well-known/genid/<path:local>": "/.well-known/genid/sample",
    "/graph/<path:local>": "/graph/reference",
    "/ontology": "/ontology",
    "/ontology.<suffix>": "/ontology.ttl",
    "/shapes": "/shapes",
    "/shapes.<suffix>": "/shapes.ttl",
    "/context.jsonld": "/context.jsonld",
    "/sparql": "/sparql?query=ASK%20%7B%7D",
    "/store": "/store?default",
    "/store/<path:graph_path>": "/store/sample",
    "/.well-known/void": "/.well-known/void",
    "/data": "/data?graph={base}graph/editorial",
    "/health": "/health",
    "/metrics": "/metrics",
    "/problems/<slug>": "/problems/not-found",
    "/openapi.json": "/openapi.json",
    "/sources/new": "/sources/new",
    "/claims/new": "/claims/new?source={base}id/source/article&start=0&end=40",
    "/choices": "/choices?class={base}ontology%23Claim&q=Putin",
    "/sources": "/sources",
    "/claims": "/claims",
    "/sign-in": "/sign-in",
    "/sign-out": "/sign-out",
    "/claims/<path:slug>/edit": "/claims/sovereignty-crimea-donbas/edit",
    "/claims/<path:slug>/versions": "/claims/sovereignty-crimea-donbas/versions",
    "/claims/<path:slug>/retraction": "/claims/sovereignty-crimea-donbas/retraction",
    "/reviews/new": "/reviews/new?claim={base}id/claim/sovereignty-crimea-donbas",
    "/reviews": "/reviews",
}
#: The body of a PUT or POST (a POST to ``/sparql`` sends its query as a form instead).
TURTLE = {"Content-Type": "text/turtle"}
BODY = b"<http://example.org/a> <http://example.org/b> <http://example.org/c> ."
#: Written first: a skolem IRI in one of Parley's graphs (through the write gate).
SKOLEM = (
    '<{base}.well-known/genid/sample> <http://www.w3.org/2000/01/rdf-schema#label> "a sample" .'
)
WRITER = {"Authorization": "Bearer test-token"}


def _url(route: Route, base: str) -> str:
    assert route.rule in SAMPLES, f"give {route.rule} a sample URL in SAMPLES"
    return SAMPLES[route.rule].format(base=base)


def test_every_route_answers_each_of_its_methods(app: Flask, client: FlaskClient) -> None:
    base = app.extensions["parley"].settings.base_iri
    skolem = client.post(
        f"/data?graph={base}graph/editorial",
        data=SKOLEM.format(base=base),
        headers={**TURTLE, **WRITER},
    )
    graph = client.put("/store/sample", data=BODY, headers={**TURTLE, **WRITER})
    assert (skolem.status_code, graph.status_code) == (201, 201), skolem.get_data(as_text=True)
    failures = []
    for route in ROUTES:
        url = _url(route, base)
        for method in route.methods:
            body = BODY if method in ("POST", "PUT") else None
            if route.endpoint == "sparql" and method == "POST":
                url, body = "/sparql", b"query=ASK%20%7B%7D"
                headers = {"Content-Type": "application/x-www-form-urlencoded"}
            else:
                headers = TURTLE if body else {}
            with client.open(url, method=method, data=body, headers=headers) as response:
                status = response.status_code
            if status in (404, 405) or status >= 500:
                failures.append(f"{method} {url} ({route.endpoint}): {status}")
    assert not failures, failures


def test_the_application_answers_exactly_the_routes_of_the_table(app: Flask) -> None:
    """Flask adds ``HEAD`` to a ``GET`` rule and ``OPTIONS`` to every rule itself."""
    table = {
        (route.rule, route.endpoint, frozenset(route.methods) | _head(route.methods))
        for route in ROUTES
    }
    served = [
        (rule.rule, rule.endpoint, frozenset(rule.methods or ()) - {"OPTIONS"})
        for rule in app.url_map.iter_rules()
    ]
    assert len(served) == len(ROUTES)
    assert set(served) == table


def test_data_is_a_page_for_a_person_and_the_write_door_for_a_program(
    client: FlaskClient,
) -> None:
    """``GET /data`` is the data page (the catalogue of classes and graphs); ``POST /data``
    stays the write gate, and only it counts against the rate limit."""
    page = client.get("/data")
    assert page.status_code == 200
    assert page.headers["Content-Type"].startswith("text/html")
    assert 'id="h-classes"' in page.get_data(as_text=True)
    write = client.post("/data", data=BODY, headers=TURTLE)
    assert write.status_code == 401
    assert {r.endpoint for r in ROUTES if r.rule == "/data"} == {"data", "data_page"}
    assert "data_page" not in RATE_LIMITED


def test_the_rate_limited_routes_are_those_that_evaluate_a_clients_work() -> None:
    assert {
        "sparql",
        "store",
        "store_graph",
        "validate",
        "data",
        "sign_in",
        "sources",
        "claims",
        "claim_versions",
        "claim_retraction",
        "reviews",
    } == RATE_LIMITED


def test_every_endpoint_a_template_links_to_is_in_the_table(app: Flask) -> None:
    templates = Path(service.web.__file__).parent / "templates"
    linked = {
        name
        for page in templates.glob("*.html")
        for name in re.findall(r"url_for\(\s*['\"]([^'\"]+)['\"]", page.read_text())
    }
    assert linked, "the templates link with url_for"
    assert linked <= {route.endpoint for route in ROUTES}
    with app.test_request_context("/"):
        assert url_for("static", filename="parley.css") == "/static/parley.css"


def _head(methods: tuple[str, ...]) -> frozenset[str]:
    return frozenset({"HEAD"}) if "GET" in methods else frozenset()
