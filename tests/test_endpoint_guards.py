"""Protection of the public endpoint.

The query time limit answers 503 and really stops the work (on the embedded
store the worker process is killed and its CPU released), caps cut answers into
valid documents that say so, and every refusal (401, 403, 413, 429, 503, SSRF) is
an RFC 9457 problem. The module's sites run on both backends: in-process on the
embedded store (whose query processes are children of this process), a real
`parley serve` in front of an `oxigraph serve` on the remote one.
"""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pyoxigraph
import pytest

from tests.support import (
    CROSS_PRODUCT,
    ServerProcess,
    Site,
    base_for,
    descendant_ticks,
    first_subjects,
    free_port,
    insert_test_triples,
    open_app,
    start_site,
)

UPDATE = {"Content-Type": "application/sparql-update"}
QUERY = {"Content-Type": "application/sparql-query"}
JSON_RESULTS = {"Accept": "application/sparql-results+json"}


#: The remote store's own time limit (seconds): Parley stops waiting at its limit (2 s),
#: but only the store can stop its evaluation (an operator sets it on `oxigraph serve`,
#: or in Virtuoso's ini file).
STORE_TIMEOUT_S = 3


@pytest.fixture(scope="module")
def guarded(tmp_path_factory: pytest.TempPathFactory, backend: str) -> Iterator[Site]:
    root = tmp_path_factory.mktemp(f"guarded-{backend}")
    site = start_site(
        backend,
        root / "store",
        log_dir=root,
        store_timeout_s=STORE_TIMEOUT_S,
        query_timeout_s=2,
        query_workers=2,
        max_concurrent_queries=3,
        max_result_rows=5,
        max_body_bytes=8192,
    )
    insert_test_triples(site)
    yield site
    site.stop()


def _problem(response: httpx.Response, status: int) -> dict[str, object]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    doc = json.loads(response.content)
    assert doc["status"] == status
    assert "/problems/" in str(doc["type"])
    assert doc["title"]
    assert doc["detail"]
    return dict(doc)


def _parley_pid(site: Site) -> int:
    """The process Parley's query processes descend from: the server's, or this one (a site
    in-process)."""
    return site.process.pid if isinstance(site, ServerProcess) else os.getpid()


def _evaluators(site: Site) -> dict[int, int]:
    """The processes that may evaluate a client's query, and their CPU ticks: Parley's
    query processes (embedded), or the `oxigraph serve` process (remote)."""
    if isinstance(site, ServerProcess) and site.oxigraph is not None:
        pid = site.oxigraph.process.pid
        return {pid: _ticks(pid)}
    if isinstance(site, ServerProcess) and site.virtuoso is not None:
        pid = site.virtuoso.process.pid
        return {pid: _ticks(pid)}
    return descendant_ticks(_parley_pid(site))


def _ticks(pid: int) -> int:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def test_timeout_stops_the_query_and_others_are_served(guarded: Site) -> None:
    outcome: dict[str, httpx.Response] = {}

    def heavy() -> None:
        with guarded.client() as http:
            outcome["heavy"] = http.post("/sparql", content=CROSS_PRODUCT, headers=QUERY)

    with guarded.client() as http:  # start every pool worker first: start-up costs CPU too
        for _ in range(4):
            http.get("/sparql", params={"query": "ASK {}"}, headers=JSON_RESULTS)
    time.sleep(0.5)
    before = _evaluators(guarded)
    thread = threading.Thread(target=heavy)
    thread.start()
    # Poll (a loaded machine may take a while to schedule the worker) for the process
    # whose CPU time grows: the one evaluating the query.
    busy, deadline = 0, time.monotonic() + 1.8
    while time.monotonic() < deadline and not busy:
        time.sleep(0.05)
        during = _evaluators(guarded)
        # The evaluating worker is the one whose CPU time keeps climbing (the web
        # process spends a tick or two dispatching the request, no more).
        grown = {p: t - before.get(p, 0) for p, t in during.items() if t - before.get(p, 0) >= 5}
        busy = max(grown, key=lambda p: grown[p]) if grown else 0
    assert busy, "no process is evaluating the query"
    with guarded.client() as http:  # another client, answered while the heavy query runs
        light = http.get("/sparql", params={"query": "ASK { ?s ?p 3 }"}, headers=JSON_RESULTS)
    still_running = thread.is_alive()
    thread.join(30)
    assert light.status_code == 200
    assert json.loads(light.content)["boolean"] is True
    assert still_running, "the light query should have been answered during the heavy one"
    doc = _problem(outcome["heavy"], 503)
    assert doc["type"] == f"{guarded.url}problems/query-timeout"
    time.sleep(1.0)
    if guarded.backend == "embedded":
        # Parley stops its own evaluation: the query process is killed, at once.
        assert not Path(f"/proc/{busy}").exists() or busy not in descendant_ticks(
            _parley_pid(guarded)
        )
        settle_s = 0.0
    else:
        # Only the store can stop its evaluation: at its own limit (STORE_TIMEOUT_S), which
        # it checks every so often; then the store and Parley are both idle.
        settle_s = 8.0
    burnt, deadline = 0, time.monotonic() + settle_s
    while True:
        first = {**descendant_ticks(_parley_pid(guarded)), **_evaluators(guarded)}
        time.sleep(0.5)
        second = {**descendant_ticks(_parley_pid(guarded)), **_evaluators(guarded)}
        burnt = sum(second[p] - first[p] for p in second if p in first)
        if burnt <= 10 or time.monotonic() > deadline:
            break
    assert burnt <= 10, f"processes still used {burnt} CPU ticks after the timeout"
    with guarded.client() as http:
        metrics = http.get("/metrics").text
    assert "parley_query_timeouts_total 1.0" in metrics


# Embedded only: the query processes are the embedded store's (a remote store evaluates).
def test_queries_sharing_a_stopped_process_are_answered_on_its_replacement(
    tmp_path: Path,
) -> None:
    """Queries share one query process; when it is stopped under a query (as a time limit
    stops it), that query is run again on the replacement and its client still gets the
    answer."""
    site = open_app(tmp_path / "store", base_for(free_port()), query_timeout_s=60)
    try:
        insert_test_triples(site)
        with site.client() as http:
            http.get("/sparql", params={"query": "ASK {}"}, headers=JSON_RESULTS)  # start it
        outcome: dict[str, httpx.Response] = {}
        four_way = (
            f"SELECT (COUNT(*) AS ?n) WHERE {{ {first_subjects('a', 15)} "
            "?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
        )

        def slow() -> None:  # about a second of work: 15 x 60^3 solutions counted
            with site.client() as http:
                outcome["slow"] = http.post(
                    "/sparql", content=four_way, headers={**QUERY, **JSON_RESULTS}
                )

        before = descendant_ticks(os.getpid())
        thread = threading.Thread(target=slow)
        thread.start()
        busy, deadline = 0, time.monotonic() + 5
        while time.monotonic() < deadline and not busy:
            time.sleep(0.05)
            during = descendant_ticks(os.getpid())
            grown = {
                p: t - before.get(p, 0) for p, t in during.items() if t - before.get(p, 0) >= 5
            }
            busy = max(grown, key=lambda p: grown[p]) if grown else 0
        assert busy, "no process is evaluating the query"
        os.kill(busy, signal.SIGKILL)  # what a time limit does to the process
        thread.join(60)
        answer = outcome["slow"]
        assert answer.status_code == 200, answer.text
        assert answer.json()["results"]["bindings"][0]["n"]["value"] == str(15 * 60**3)
        assert busy not in descendant_ticks(os.getpid())
    finally:
        site.stop()


def test_concurrency_cap_answers_503_with_retry_after(guarded: Site) -> None:
    responses: list[httpx.Response] = []

    def heavy() -> None:
        with guarded.client() as http:
            responses.append(http.post("/sparql", content=CROSS_PRODUCT, headers=QUERY))

    threads = [threading.Thread(target=heavy) for _ in range(3)]
    for thread in threads:
        thread.start()
    time.sleep(0.4)
    with guarded.client() as http:
        refused = http.get("/sparql", params={"query": "ASK {}"})
    for thread in threads:
        thread.join(30)
    doc = _problem(refused, 503)
    assert doc["type"] == f"{guarded.url}problems/overloaded"
    assert int(refused.headers["Retry-After"]) > 0
    assert all(r.status_code == 503 for r in responses)


@pytest.mark.parametrize(
    ("accept", "fmt"),
    [
        ("application/sparql-results+json", pyoxigraph.QueryResultsFormat.JSON),
        ("application/sparql-results+xml", pyoxigraph.QueryResultsFormat.XML),
        ("text/tab-separated-values", pyoxigraph.QueryResultsFormat.TSV),
    ],
)
def test_row_cap_cuts_a_valid_document_and_says_so(
    guarded: Site, accept: str, fmt: pyoxigraph.QueryResultsFormat
) -> None:
    with guarded.client() as http:
        response = http.get(
            "/sparql", params={"query": "SELECT ?s ?o { ?s ?p ?o }"}, headers={"Accept": accept}
        )
    assert response.status_code == 200
    assert response.headers["Parley-Truncated"].startswith("rows; rows=5")
    rows = list(pyoxigraph.parse_query_results(response.content, format=fmt))  # type: ignore[arg-type]
    assert len(rows) == 5


def test_row_cap_applies_to_graphs(guarded: Site) -> None:
    with guarded.client() as http:
        response = http.get(
            "/sparql",
            params={"query": "CONSTRUCT WHERE { ?s ?p ?o }"},
            headers={"Accept": "text/turtle"},
        )
    assert response.status_code == 200
    assert "Parley-Truncated" in response.headers
    assert len(list(pyoxigraph.parse(response.content, pyoxigraph.RdfFormat.TURTLE))) == 5


def test_complete_answers_are_not_marked(guarded: Site) -> None:
    with guarded.client() as http:
        response = http.get("/sparql", params={"query": "SELECT ?o { <http://ex/s1> ?p ?o }"})
    assert response.status_code == 200
    assert "Parley-Truncated" not in response.headers
    assert response.headers["Parley-Result-Rows"] == "1"


def test_body_cap_is_413(guarded: Site) -> None:
    big = "ASK { " + "?s ?p ?o . " * 2000 + "}"
    with guarded.client() as http:
        response = http.post("/sparql", content=big, headers=QUERY)
    _problem(response, 413)


def test_query_syntax_error_says_where(guarded: Site) -> None:
    with guarded.client() as http:
        response = http.get("/sparql", params={"query": "SELECT * WHERE {\n  ?s ?p \n}"})
    doc = _problem(response, 400)
    assert doc["line"] == 3
    assert isinstance(doc["column"], int)


def test_update_syntax_error_says_where(guarded: Site) -> None:
    with guarded.client() as http:
        response = http.post(
            "/sparql",
            content="INSERT DATA { <http://a> <http://b> 1 } ;\nCLEAR XYZ",
            headers={**UPDATE, **guarded.auth()},
        )
    doc = _problem(response, 400)
    assert doc["line"] == 2
    assert isinstance(doc["column"], int)


@pytest.mark.parametrize(
    "text",
    [
        "SELECT * { SERVICE <http://169.254.169.254/latest/meta-data> { ?s ?p ?o } }",
        "SELECT * { SERVICE SILENT <http://127.0.0.1:22/> { ?s ?p ?o } }",
        "SELECT * { SERVICE ?endpoint { ?s ?p ?o } }",
    ],
)
def test_service_to_hosts_not_allowed_is_refused(guarded: Site, text: str) -> None:
    with guarded.client() as http:
        response = http.get("/sparql", params={"query": text})
    doc = _problem(response, 403)
    assert doc["type"] == f"{guarded.url}problems/outbound-request"


def test_load_is_refused_before_anything_is_written(guarded: Site) -> None:
    update = "INSERT DATA { <http://ex/loaded> <http://ex/p> 1 } ; LOAD <http://10.0.0.1/x.ttl>"
    with guarded.client() as http:
        response = http.post("/sparql", content=update, headers={**UPDATE, **guarded.auth()})
        ask = http.get("/sparql", params={"query": "ASK { <http://ex/loaded> ?p ?o }"})
    _problem(response, 403)
    assert json.loads(ask.content)["boolean"] is False


def test_jsonld_remote_context_is_never_fetched(guarded: Site) -> None:
    body = json.dumps({"@context": "http://127.0.0.1:9/context.jsonld", "@id": "http://ex/x"})
    with guarded.client() as http:
        response = http.put(
            "/store",
            params={"graph": "http://ex/jsonld"},
            content=body,
            headers={**guarded.auth(), "Content-Type": "application/ld+json"},
        )
    doc = _problem(response, 400)
    assert "never fetched" in str(doc["detail"])


def test_failing_update_changes_nothing(guarded: Site) -> None:
    update = (
        "INSERT DATA { GRAPH <http://ex/atomic> { <http://ex/a> <http://ex/p> 1 } } ;\n"
        "DELETE WHERE { <http://ex/s1> ?p ?o } ;\n"
        "CREATE GRAPH <http://ex/atomic>"
    )
    with guarded.client() as http:
        # Within this site's 2 s limit, even a small update may not be computed in time on
        # a loaded machine (on Virtuoso above all): that 503 writes nothing either, and a
        # client sends it again.
        for _attempt in range(3):
            response = http.post("/sparql", content=update, headers={**UPDATE, **guarded.auth()})
            inserted = http.get(
                "/sparql", params={"query": "ASK { GRAPH <http://ex/atomic> { ?s ?p ?o } }"}
            )
            kept = http.get("/sparql", params={"query": "ASK { <http://ex/s1> ?p 1 }"})
            assert json.loads(inserted.content)["boolean"] is False
            assert json.loads(kept.content)["boolean"] is True
            if response.status_code != 503:
                break
            assert _problem(response, 503)["type"] == f"{guarded.url}problems/query-timeout"
    doc = _problem(response, 400)
    assert doc["type"] == f"{guarded.url}problems/update-failed"


@pytest.mark.parametrize(
    ("headers", "status"),
    [({}, 401), ({"Authorization": "Bearer wrong"}, 401), ({"Authorization": "Basic eDp5"}, 401)],
)
def test_writes_need_the_token(guarded: Site, headers: dict[str, str], status: int) -> None:
    with guarded.client() as http:
        update = http.post("/sparql", content="CLEAR ALL", headers={**UPDATE, **headers})
        gsp = http.delete("/store", params={"default": ""}, headers=headers)
    for response in (update, gsp):
        _problem(response, status)
        assert response.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.fixture(scope="module")
def limited(tmp_path_factory: pytest.TempPathFactory, backend: str) -> Iterator[Site]:
    root = tmp_path_factory.mktemp(f"limited-{backend}")
    site = start_site(
        backend,
        root / "store",
        log_dir=root,
        read_only=True,
        rate_limit_per_minute=4,
        query_workers=0,
    )
    yield site
    site.stop()


def test_read_only_refuses_writes_and_rate_limit_answers_429(limited: Site) -> None:
    with limited.client() as http:
        write = http.post("/sparql", content="CLEAR ALL", headers={**UPDATE, **limited.auth()})
        doc = _problem(write, 403)
        assert doc["type"] == f"{limited.url}problems/read-only"
        # A read-only server validates nothing either (no token needed to be refused).
        check = http.post(
            "/validate",
            content=b"<http://e/a> <http://e/b> 1 .",
            headers={"Content-Type": "text/turtle"},
        )
        assert _problem(check, 403)["type"] == f"{limited.url}problems/read-only"
        statuses = [http.get("/sparql", params={"query": "ASK {}"}).status_code for _ in range(3)]
        refused = http.get("/sparql", params={"query": "ASK {}"})
    assert statuses == [200, 200, 429]  # the refused write and validation counted too
    _problem(refused, 429)
    assert int(refused.headers["Retry-After"]) >= 1
