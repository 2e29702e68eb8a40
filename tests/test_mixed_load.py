"""Mixed load on a real server (the reliability review's attack 46, bounded): clients asking
SPARQL queries and loading pages while a writer writes, all at once.

Nothing fails (every request answers 200, or 503 with ``Retry-After`` when admission is
full), every acknowledged write is in the store afterwards, and a stop with SIGTERM leaves
no process of the server behind. No timing is asserted: the load runs for a fixed
number of requests, not for a time.
"""

from __future__ import annotations

import os
import signal
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests.support import ServerProcess, copy_store, descendant_ticks, free_port, start_server

pytestmark = pytest.mark.server

QUERIES = (
    "SELECT ?claim ?who WHERE { ?claim parley:claimant ?who } LIMIT 50",
    "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }",
    "CONSTRUCT { ?s rdfs:label ?l } WHERE { ?s a parley:Claim ; rdfs:label ?l }",
    "ASK { ?s parley:accuracy ?a }",
    "SELECT ?p (COUNT(*) AS ?n) WHERE { ?s ?p ?o } GROUP BY ?p ORDER BY DESC(?n)",
)
PAGES = ("/", "/id/Putin", "/search?q=Istanbul", "/timeline", "/id/c17", "/ontology")
QUERY_CLIENTS, PAGE_CLIENTS, REQUESTS_EACH, WRITES = 5, 2, 20, 25
SCRATCH = "store/mixed-load"


@pytest.fixture
def loaded(tmp_path: Path, built_store: Path, base_iri: str) -> Iterator[ServerProcess]:
    """A server of its own (the test stops it), on a copy of the model at its base IRI."""
    store = copy_store(built_store, tmp_path / "store", base_iri)
    server = start_server(store, port=free_port(), log_dir=tmp_path, base_iri=base_iri)
    yield server
    server.stop()


def _ask(server: ServerProcess, n: int) -> list[httpx.Response]:
    with server.client() as http:
        return [
            http.get("/sparql", params={"query": QUERIES[(n + i) % len(QUERIES)]})
            for i in range(REQUESTS_EACH)
        ]


def _browse(server: ServerProcess, n: int) -> list[httpx.Response]:
    with server.client(follow_redirects=True) as http:
        return [
            http.get(PAGES[(n + i) % len(PAGES)], headers={"Accept": "text/html"})
            for i in range(REQUESTS_EACH)
        ]


def _write(server: ServerProcess, graph: str) -> tuple[list[httpx.Response], list[int]]:
    answers, acknowledged = [], []
    with server.client() as http:
        for i in range(WRITES):
            update = f"INSERT DATA {{ GRAPH <{graph}> {{ <urn:load:{i}> <urn:load:n> {i} }} }}"
            answer = http.post(
                "/sparql",
                content=update,
                headers={**server.auth(), "Content-Type": "application/sparql-update"},
            )
            answers.append(answer)
            if answer.is_success:
                acknowledged.append(i)
    return answers, acknowledged


def _fine(response: httpx.Response) -> bool:
    if response.status_code == 503:  # admission full: told when to come back
        return "Retry-After" in response.headers
    return response.is_success


def test_mixed_load_fails_nothing_and_loses_no_write(loaded: ServerProcess, base_iri: str) -> None:
    graph = base_iri + SCRATCH
    workers = QUERY_CLIENTS + PAGE_CLIENTS + 1
    with ThreadPoolExecutor(workers) as pool:
        asked = [pool.submit(_ask, loaded, n) for n in range(QUERY_CLIENTS)]
        browsed = [pool.submit(_browse, loaded, n) for n in range(PAGE_CLIENTS)]
        written = pool.submit(_write, loaded, graph)
        server_tree = set(descendant_ticks(loaded.process.pid))
        responses = [r for f in asked + browsed for r in f.result()]
        writes, acknowledged = written.result()
    statuses = Counter(r.status_code for r in [*responses, *writes])
    assert all(_fine(r) for r in [*responses, *writes]), (statuses, loaded.log()[-3000:])
    assert statuses[200] >= len(responses) // 2, statuses  # mostly answered, not refused
    assert acknowledged, "no write was acknowledged"

    # Every acknowledged write is in the store; nothing else was written there.
    with loaded.client() as http:
        stored = http.get(
            "/sparql",
            params={"query": f"SELECT ?n WHERE {{ GRAPH <{graph}> {{ ?s <urn:load:n> ?n }} }}"},
            headers={"Accept": "application/sparql-results+json"},
        )
    assert stored.status_code == 200
    numbers = sorted(int(b["n"]["value"]) for b in stored.json()["results"]["bindings"])
    assert numbers == acknowledged

    # A stop leaves nothing of the server behind (its worker and query processes).
    server_tree |= set(descendant_ticks(loaded.process.pid))
    assert server_tree, "the server runs its work in child processes"
    os.kill(loaded.process.pid, signal.SIGTERM)
    loaded.process.wait(timeout=30)
    deadline, left = time.monotonic() + 10, server_tree
    while left and time.monotonic() < deadline:  # children see their parent go, then exit
        left = {pid for pid in server_tree if _state(pid) not in ("gone", "Z")}
        time.sleep(0.1)
    assert not left, f"processes left behind after SIGTERM: {left}"


def _state(pid: int) -> str:
    try:
        return (Path(f"/proc/{pid}") / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "gone"
