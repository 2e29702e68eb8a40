"""A query whose client hangs up is stopped, not run on to its time limit for nobody.

A real `parley serve`, as it starts by default (on Granian's ASGI interface, which
tells the application that a connection closed: ``service.web._asgi``): a query that
would run for minutes is sent on a raw socket, which is closed half a second later. The
server must stop the evaluation (its query process is killed), give the admission slot
back (the next query is answered, not refused 503 with the server still "full"), and
count the request as 499, not as a timeout.
"""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import clients
from tests.support import (
    CROSS_PRODUCT,
    ServerProcess,
    descendant_ticks,
    first_subjects,
    free_port,
    insert_test_triples,
    start_server,
)

pytestmark = pytest.mark.server

JSON_RESULTS = {"Accept": "application/sparql-results+json"}
#: Far past the test: a query still running at the end ran on for nobody.
TIMEOUT_S = 120


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    root = tmp_path_factory.mktemp("client-gone")
    server = start_server(
        root / "store",
        port=free_port(),
        log_dir=root,
        env={
            "PARLEY_QUERY_TIMEOUT": str(TIMEOUT_S),
            "PARLEY_QUERY_WORKERS": "2",
            # One query at a time: while the abandoned one held its slot, any other query
            # would be refused 503.
            "PARLEY_MAX_CONCURRENT_QUERIES": "1",
        },
    )
    try:
        insert_test_triples(server)
        yield server
    finally:
        server.stop()


def _metric(server: ServerProcess, pattern: str) -> float:
    """The value of the first sample in ``/metrics`` whose line matches ``pattern``."""
    text = clients.get(server.url + "metrics", timeout=10).text
    for line in text.splitlines():
        if re.search(pattern, line):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def _gone_requests(server: ServerProcess) -> float:
    return _metric(server, r'^parley_http_requests_total\{.*route="/sparql".*status="499"')


def _busy(server: ServerProcess, before: dict[int, int], within_s: float) -> int:
    """The server's process whose CPU time climbs (the one evaluating the query), or 0."""
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        time.sleep(0.05)
        now = descendant_ticks(server.process.pid)
        grown = {p: t - before.get(p, 0) for p, t in now.items() if t - before.get(p, 0) >= 5}
        if grown:
            return max(grown, key=lambda p: grown[p])
    return 0


def _send_and_hang_up(server: ServerProcess, query: str, after_s: float) -> None:
    """POST ``query`` on a raw connection, read nothing, and close it after ``after_s``."""
    body = query.encode()
    head = (
        f"POST /sparql HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n"
        "Content-Type: application/sparql-query\r\n"
        "Accept: application/sparql-results+json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode()
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(head + body)
        time.sleep(after_s)


def test_a_query_whose_client_hangs_up_is_stopped(served: ServerProcess) -> None:
    with clients.client(base_url=served.url, timeout=30) as http:  # the query process, started
        for _ in range(3):
            http.get("/sparql", params={"query": "ASK {}"}, headers=JSON_RESULTS)
    time.sleep(0.3)
    before_gone = _gone_requests(served)
    before = descendant_ticks(served.process.pid)
    started = time.monotonic()

    busy: dict[str, int] = {}

    def watch() -> None:
        busy["pid"] = _busy(served, before, within_s=5)

    watcher = threading.Thread(target=watch)
    watcher.start()
    _send_and_hang_up(served, CROSS_PRODUCT, after_s=0.5)
    watcher.join()
    assert busy["pid"], "no process was evaluating the query"

    # The server notices, and answers for it (status 499, which nobody reads).
    deadline = time.monotonic() + 10
    while _gone_requests(served) == before_gone and time.monotonic() < deadline:
        time.sleep(0.1)
    stopped_after = time.monotonic() - started
    assert _gone_requests(served) == before_gone + 1, "the abandoned query was not stopped"
    assert stopped_after < TIMEOUT_S / 4
    assert _metric(served, r"^parley_query_timeouts_total ") == 0.0

    # Its evaluation stopped: the query process that ran it was killed, and nothing burns
    # CPU any more.
    assert busy["pid"] not in descendant_ticks(served.process.pid)
    first = descendant_ticks(served.process.pid)
    time.sleep(0.5)
    second = descendant_ticks(served.process.pid)
    burnt = sum(second[p] - first[p] for p in second if p in first)
    assert burnt <= 10, f"the server's processes still used {burnt} CPU ticks"

    # Its admission slot is free: with one query admitted at a time, the next is answered.
    with clients.client(base_url=served.url, timeout=30) as http:
        answer = http.get("/sparql", params={"query": "ASK { ?s ?p 3 }"}, headers=JSON_RESULTS)
    assert answer.status_code == 200, answer.text
    assert answer.json()["boolean"] is True


def test_a_client_that_stays_gets_its_answer(served: ServerProcess) -> None:
    """The watch stops nothing whose client waits: a query of about a second (past the
    server's first looks at the connection) is answered whole."""
    four_way = (
        f"SELECT (COUNT(*) AS ?n) WHERE {{ {first_subjects('a', 15)} ?a <http://ex/p> ?c . "
        "?d <http://ex/p> ?f . ?g <http://ex/p> ?i . ?j <http://ex/p> ?l }"
    )
    before_gone = _gone_requests(served)
    with clients.client(base_url=served.url, timeout=60) as http:
        answer = http.post(
            "/sparql",
            content=four_way,
            headers={"Content-Type": "application/sparql-query", **JSON_RESULTS},
        )
    assert answer.status_code == 200, answer.text
    assert answer.json()["results"]["bindings"][0]["n"]["value"] == str(15 * 60**3)
    assert _gone_requests(served) == before_gone


def test_keep_abandoned_queries_runs_a_query_on_to_its_limit(tmp_path: Path) -> None:
    """``--keep-abandoned-queries`` (here its variable) serves through Granian's WSGI
    interface, which says nothing of the connection: as the README says, a query whose
    client hung up runs on, holding a core, until its time limit stops it."""
    server = start_server(
        tmp_path / "store",
        port=free_port(),
        log_dir=tmp_path,
        env={"PARLEY_STOP_ABANDONED_QUERIES": "false", "PARLEY_QUERY_TIMEOUT": "6"},
    )
    try:
        insert_test_triples(server)
        with clients.client(base_url=server.url, timeout=30) as http:  # the query process, started
            for _ in range(3):
                http.get("/sparql", params={"query": "ASK {}"}, headers=JSON_RESULTS)
        before = descendant_ticks(server.process.pid)
        _send_and_hang_up(server, CROSS_PRODUCT, after_s=0.5)
        hung_up = time.monotonic()
        busy = _busy(server, before, within_s=2)
        assert busy, "no process was evaluating the query"
        # Well after the hang-up (and past the ASGI watch's quarter second), it still runs.
        time.sleep(max(0.0, hung_up + 1.0 - time.monotonic()))
        first = descendant_ticks(server.process.pid)
        time.sleep(1.0)
        second = descendant_ticks(server.process.pid)
        assert busy in second, "the query's process was stopped before its time limit"
        # A core's second is 100 ticks; a machine busy with other tests gives it less.
        assert second[busy] - first.get(busy, 0) >= 15, "the query stopped early"
        assert _gone_requests(server) == 0.0
        # The time limit stops it, as any query.
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if _metric(server, r"^parley_query_timeouts_total ") == 1.0:
                break
            time.sleep(0.2)
        assert _metric(server, r"^parley_query_timeouts_total ") == 1.0
    finally:
        server.stop()
