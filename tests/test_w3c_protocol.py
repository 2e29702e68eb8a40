"""The W3C SPARQL 1.1 Protocol (34 tests) and Graph Store Protocol (13 tests) manifests,
replayed over HTTP against one Parley on a scratch store, on each backend (in-process on
the embedded store, a real `parley serve` on the remote one).

The manifests' paths start with ``/sparql/`` and ``/gsp``; they are mapped to
Parley's ``/sparql`` and ``/store``. Every request carries the site's write
token (the manifests assume an open endpoint). Before each test the store is
emptied with ``DROP ALL`` and the test's ``ut:graphData`` is loaded with the
Graph Store Protocol.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pyoxigraph
import pytest

from tests.support import Site, start_site
from tests.w3c import (
    HttpRequest,
    ProtocolCase,
    empty_store,
    graphs_isomorphic,
    protocol_cases,
    status_matches,
    to_ntriples,
)

PROTOCOL = protocol_cases("protocol")
GSP = protocol_cases("graph-store-protocol", "manifest-indirect.ttl") + protocol_cases(
    "graph-store-protocol", "manifest-direct.ttl"
)
RESULT_TYPES = {
    "application/sparql-results+json": pyoxigraph.QueryResultsFormat.JSON,
    "application/sparql-results+xml": pyoxigraph.QueryResultsFormat.XML,
}
TABULAR = {*RESULT_TYPES, "text/csv", "text/tab-separated-values"}
RDF_TYPES = {
    "text/turtle",
    "application/n-triples",
    "application/rdf+xml",
    "application/ld+json",
    "application/n-quads",
    "application/trig",
}


@pytest.fixture(scope="module")
def w3c_site(tmp_path_factory: pytest.TempPathFactory, backend: str) -> Iterator[Site]:
    root = tmp_path_factory.mktemp("w3c-protocol")
    site = start_site(backend, root / "store", log_dir=root)
    yield site
    site.stop()


def test_manifests_have_the_expected_number_of_tests() -> None:
    assert len(PROTOCOL) == 34
    assert len(GSP) == 13


def _path(path: str) -> str:
    if path.startswith("/sparql/"):
        return "/sparql" + path[len("/sparql/") :]
    if path.startswith("/gsp"):
        return "/store" + path[len("/gsp") :]
    raise AssertionError(f"unexpected path {path}")


def _reset(site: Site, case: ProtocolCase, http: httpx.Client) -> None:
    empty_store(site, http)
    for path, graph in case.graph_data:
        put = http.put(
            "/store",
            params={"graph": graph},
            content=to_ntriples(path, graph),
            headers={**site.auth(), "Content-Type": "application/n-triples"},
        )
        assert put.status_code in (201, 204), put.text


def _media(response: httpx.Response) -> str:
    return str(response.headers.get("content-type", "")).split(";")[0].strip().lower()


def _check(request: HttpRequest, response: httpx.Response, label: str) -> None:
    assert status_matches(response.status_code, request.statuses), (
        f"{label}: status {response.status_code} not in {request.statuses}: {response.text[:500]}"
    )
    media = _media(response)
    if request.result_format == "boolean" or request.boolean is not None:
        assert media in RESULT_TYPES, f"{label}: {media} is not a boolean results format"
    if request.result_format == "tabular":
        assert media in TABULAR, f"{label}: {media} is not a tabular results format"
    if request.result_format == "RDF":
        assert media in RDF_TYPES, f"{label}: {media} is not an RDF format"
    if request.boolean is not None:
        parsed = pyoxigraph.parse_query_results(response.content, format=RESULT_TYPES[media])
        assert bool(parsed) is request.boolean, f"{label}: expected {request.boolean}"
    expected_type = request.response_headers.get("content-type")
    if expected_type is not None:
        normal = "".join(response.headers.get("content-type", "").lower().split())
        assert normal == "".join(expected_type.lower().split()), (
            f"{label}: Content-Type {response.headers.get('content-type')} != {expected_type}"
        )
    if request.response_body is not None and request.method != "HEAD":
        assert graphs_isomorphic(response.text, request.response_body, str(response.url)), (
            f"{label}: the graph differs from the expected one:\n{response.text}"
        )


def _replay(site: Site, case: ProtocolCase) -> None:
    variables: dict[str, str] = {}
    with site.client() as http:
        _reset(site, case, http)
        for i, request in enumerate(case.requests):
            path = _path(request.path)
            body = request.body
            for name, value in variables.items():
                path = path.replace(name, value)
                body = body.replace(name.encode(), value.encode()) if body else body
            response = http.request(
                request.method,
                httpx.URL(site.url.rstrip("/") + path),
                content=body,
                headers={**request.headers, **site.auth()},
            )
            _check(request, response, f"{case.name} request {i + 1} ({request.method} {path})")
            if request.location_var:
                variables[request.location_var] = response.headers["Location"]


@pytest.mark.parametrize("case", PROTOCOL, ids=lambda c: c.name)
def test_sparql_protocol(w3c_site: Site, case: ProtocolCase) -> None:
    _replay(w3c_site, case)


@pytest.mark.parametrize("case", GSP, ids=lambda c: c.name)
def test_graph_store_protocol(w3c_site: Site, case: ProtocolCase) -> None:
    _replay(w3c_site, case)


def test_suite_directory_exists() -> None:
    assert Path(PROTOCOL[0].requests[0].path).as_posix().startswith("/sparql")
