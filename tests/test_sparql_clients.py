"""Real clients against a real `parley serve` (the session's ``server``): SPARQLWrapper and
rdflib's SPARQL stores, which open sockets; plus what the endpoint says about itself
(service description, VoID, metrics, the access log the server writes).

The module's data lives in its own graph of the session server, removed at the end."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pyoxigraph
import pytest
import rdflib
from rdflib.plugins.stores.sparqlstore import SPARQLStore, SPARQLUpdateStore
from SPARQLWrapper import CSV, JSON, TURTLE, XML, SPARQLWrapper

from tests import clients
from tests.support import ServerProcess

EX = rdflib.Namespace("http://example.org/clients/")


def graph_of(server: ServerProcess) -> str:
    """One of Parley's graphs (under {base}graph/), so it is part of the default graph."""
    return server.url + "graph/claims/clients"


@pytest.fixture(scope="module")
def served(server: ServerProcess) -> Iterator[ServerProcess]:
    """The session server, with the module's three triples in the module's graph."""
    update = {**server.auth(), "Content-Type": "application/sparql-update"}
    data = (
        f"INSERT DATA {{ GRAPH <{graph_of(server)}> {{ "
        "<http://example.org/clients/alice> <http://example.org/clients/knows> "
        "<http://example.org/clients/bob> . <http://example.org/clients/alice> "
        '<http://example.org/clients/name> "Alice"@en . '
        '<http://example.org/clients/bob> <http://example.org/clients/name> "Bob" . } }'
    )
    with server.client() as http:
        response = http.post("/sparql", content=data, headers=update)
        assert response.status_code == 200, response.text
    yield server
    with server.client() as http:
        drop = http.post("/sparql", content=f"DROP GRAPH <{graph_of(server)}>", headers=update)
        assert drop.status_code == 200, drop.text


def _convert(sparql: SPARQLWrapper) -> Any:
    """The converted answer (its type depends on the return format)."""
    return sparql.query().convert()


def _wrapper(server: ServerProcess) -> SPARQLWrapper:
    return SPARQLWrapper(server.url + "sparql")


#: Ordered by the names' text: SPARQL leaves the order of a plain literal ("Bob") and a
#: language-tagged one ("Alice"@en) to the engine (Oxigraph puts "Alice"@en first,
#: Virtuoso "Bob").
NAMES = "SELECT ?s ?name WHERE { ?s <http://example.org/clients/name> ?name } ORDER BY STR(?name)"


def test_sparqlwrapper_json(served: ServerProcess) -> None:
    sparql = _wrapper(served)
    sparql.setQuery(NAMES)
    sparql.setReturnFormat(JSON)
    result = _convert(sparql)
    bindings = result["results"]["bindings"]
    assert [b["name"]["value"] for b in bindings] == ["Alice", "Bob"]
    assert bindings[0]["name"]["xml:lang"] == "en"


def test_sparqlwrapper_xml(served: ServerProcess) -> None:
    sparql = _wrapper(served)
    sparql.setQuery(NAMES)
    sparql.setReturnFormat(XML)
    document = _convert(sparql)
    literals = [node.firstChild.data for node in document.getElementsByTagName("literal")]
    assert literals == ["Alice", "Bob"]


def test_sparqlwrapper_csv(served: ServerProcess) -> None:
    sparql = _wrapper(served)
    sparql.setQuery(NAMES)
    sparql.setReturnFormat(CSV)
    text = _convert(sparql).decode("utf-8")
    assert text.splitlines() == [
        "s,name",
        "http://example.org/clients/alice,Alice",
        "http://example.org/clients/bob,Bob",
    ]


def test_sparqlwrapper_construct_as_turtle(served: ServerProcess) -> None:
    sparql = _wrapper(served)
    sparql.setQuery("CONSTRUCT WHERE { ?s <http://example.org/clients/knows> ?o }")
    sparql.setReturnFormat(TURTLE)
    data = _convert(sparql)
    graph = rdflib.Graph().parse(data=data, format="turtle")
    assert set(graph) == {(EX.alice, EX.knows, EX.bob)}


def test_rdflib_sparqlstore_queries_through_a_graph(served: ServerProcess) -> None:
    store = SPARQLStore(served.url + "sparql")
    graph = rdflib.Graph(store=store)
    rows = list(graph.query(NAMES))
    assert [str(row[1]) for row in rows] == ["Alice", "Bob"]  # type: ignore[index]
    assert (EX.alice, EX.knows, EX.bob) in graph  # Parley's union default graph


def test_rdflib_sparqlupdatestore_writes_with_the_token(served: ServerProcess) -> None:
    store = SPARQLUpdateStore(
        served.url + "sparql",
        served.url + "sparql",
        headers={"Authorization": f"Bearer {served.token}"},
        autocommit=True,
    )
    graph = rdflib.Graph(store=store, identifier=rdflib.URIRef(graph_of(served)))
    graph.add((EX.carol, EX.name, rdflib.Literal("Carol")))
    graph.remove((EX.alice, EX.knows, EX.bob))
    with served.client() as http:
        response = http.get(
            "/sparql",
            params={"query": f"SELECT ?p ?o {{ GRAPH <{graph_of(served)}> {{ ?s ?p ?o }} }}"},
            headers={"Accept": "application/sparql-results+json"},
        )
    values = {b["o"]["value"] for b in json.loads(response.content)["results"]["bindings"]}
    assert values == {"Alice", "Bob", "Carol"}  # the knows edge is gone


def test_rdflib_update_without_token_is_refused(served: ServerProcess) -> None:
    store = SPARQLUpdateStore(served.url + "sparql", served.url + "sparql", autocommit=True)
    graph = rdflib.Graph(store=store, identifier=rdflib.URIRef(graph_of(served)))
    with pytest.raises(Exception, match="401"):
        graph.add((EX.mallory, EX.name, rdflib.Literal("Mallory")))


def test_service_description(served: ServerProcess) -> None:
    response = clients.get(served.url + "sparql", headers={"Accept": "text/turtle"})
    assert response.status_code == 200
    graph = rdflib.Graph().parse(data=response.text, format="turtle")
    sd = rdflib.Namespace("http://www.w3.org/ns/sparql-service-description#")
    endpoint = rdflib.URIRef(served.url + "sparql")
    assert (endpoint, sd.feature, sd.UnionDefaultGraph) in graph
    assert (endpoint, sd.supportedLanguage, sd.SPARQL11Update) in graph
    assert rdflib.URIRef(graph_of(served)) in set(graph.objects(None, sd.name))
    as_jsonld = clients.get(served.url + "sparql", headers={"Accept": "application/ld+json"})
    assert as_jsonld.headers["content-type"].startswith("application/ld+json")
    parsed = pyoxigraph.parse(as_jsonld.content, pyoxigraph.RdfFormat.JSON_LD)
    assert len(list(parsed)) == len(graph)
    page = clients.get(served.url + "sparql", headers={"Accept": "text/html,*/*;q=0.8"})
    assert page.headers["content-type"].startswith("text/html")
    assert "<form" in page.text


def test_health_names_the_engine_and_its_limits(served: ServerProcess) -> None:
    engine = clients.get(served.url + "health").json()["engine"]
    if served.backend == "virtuoso":
        assert engine["name"] == "Virtuoso"
        assert served.virtuoso is not None
        # What Parley reads from the store is what its virtuoso.ini says.
        ini = (served.virtuoso.root / "virtuoso.ini").read_text()
        rows = re.search(r"^ResultSetMaxRows\s*=\s*(\d+)", ini, re.MULTILINE)
        seconds = re.search(r"^MaxQueryExecutionTime\s*=\s*(\d+)", ini, re.MULTILINE)
        assert rows is not None
        assert seconds is not None
        assert (engine["max_rows"], engine["max_time_s"]) == (int(rows[1]), int(seconds[1]))
        assert f"row cap {rows[1]}" in engine["about"]
    else:
        assert engine["name"] == "Oxigraph"
        assert "max_rows" not in engine


def test_void_has_live_statistics(served: ServerProcess) -> None:
    void = rdflib.Namespace("http://rdfs.org/ns/void#")
    sd = rdflib.Namespace("http://www.w3.org/ns/sparql-service-description#")

    def graph_triples() -> int:
        response = clients.get(served.url + ".well-known/void", headers={"Accept": "text/turtle"})
        graph = rdflib.Graph().parse(data=response.text, format="turtle")
        subset = next(graph.subjects(sd.name, rdflib.URIRef(graph_of(served))))
        assert (None, void.classPartition, None) in graph or (
            None,
            void.propertyPartition,
            None,
        ) in graph
        return int(str(graph.value(subset, void.triples)))

    before = graph_triples()
    with served.client() as http:
        http.post(
            "/sparql",
            content=f"INSERT DATA {{ GRAPH <{graph_of(served)}> {{ {EX.x.n3()} a {EX.T.n3()} }} }}",
            headers={**served.auth(), "Content-Type": "application/sparql-update"},
        )
    assert graph_triples() == before + 1


def test_metrics_and_access_log(served: ServerProcess) -> None:
    with served.client() as http:
        answered = http.get(
            "/sparql", params={"query": NAMES}, headers={"X-Request-Id": "trace-me-123"}
        )
        metrics = http.get("/metrics")
    assert answered.headers["X-Request-Id"] == "trace-me-123"
    text = metrics.text
    assert metrics.headers["content-type"].startswith("text/plain")
    assert 'parley_http_requests_total{method="GET",route="/sparql",status="200"}' in text
    assert "parley_http_request_duration_seconds_bucket" in text
    assert "parley_store_quads" in text
    (line,) = served.log_lines_with("trace-me-123")
    assert "status=200" in line
    assert "path=/sparql" in line
    assert f"bytes={len(answered.content)}" in line


def test_negotiation_override_and_406(served: ServerProcess) -> None:
    with served.client() as http:
        csv = http.get(
            "/sparql",
            params={"query": NAMES, "format": "csv"},
            headers={"Accept": "application/sparql-results+json"},
        )
        refused = http.get("/sparql", params={"query": NAMES}, headers={"Accept": "image/png"})
        preferred = http.get(
            "/sparql",
            params={"query": NAMES},
            headers={"Accept": "text/csv;q=0.5, application/sparql-results+xml;q=0.9"},
        )
    assert csv.headers["content-type"].startswith("text/csv")
    assert refused.status_code == 406
    assert "application/sparql-results+json" in json.loads(refused.content)["supported"]
    assert preferred.headers["content-type"].startswith("application/sparql-results+xml")
