"""Under load and under kill -9: what the reliability review's attacks 9, 26 and 41 found.

- Past the admission limit a query gets a fast 503 with ``Retry-After``, on a real
  server: the admitted queries cannot take every Granian thread, so the extra requests
  reach Python and are refused there instead of waiting in Granian's queue; ``/health``
  answers meanwhile.
- A large write does not hold the write lock while the search index catches up: a small
  write made meanwhile is not held up, and search finds the large write once caught up.
- RocksDB's old info logs do not pile up in the store directory.
- kill -9 of the whole server, again and again, at random moments during writes: every
  acknowledged write is there after a restart, no write is there in part (its claim's
  statements, its provenance record and its inferences: all or none), and the store
  still conforms to the shapes with the inferred graph equal to a fresh closure.
"""

from __future__ import annotations

import contextlib
import os
import random
import signal
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from service.rdf import NTRIPLES, TURTLE, Vocab, parse
from service.settings import Settings
from service.store import OxigraphStore
from service.web._server import granian_threads
from tests import clients
from tests.gate_examples import PREFIXES, claim
from tests.gatekit import build_fixture, inferred_difference, model_report, server_data
from tests.support import (
    CROSS_PRODUCT,
    ServerProcess,
    base_for,
    env_for,
    free_port,
    insert_test_triples,
    open_app,
    start_server,
)

QUERY = {"Content-Type": "application/sparql-query"}
#: What a refusal, /health or a small write may take on a loaded test machine.
QUICK_S = 2.0

# -- admission -------------------------------------------------------------------------

#: The slow queries' server: 3 admitted, 1 evaluated at a time, 2 request threads.
ADMISSION = {
    "max_concurrent_queries": 3,
    "query_workers": 1,
    "query_timeout_s": 8.0,
    "threads": 2,
}


@dataclass
class Timed:
    response: httpx.Response | None = None
    seconds: float = 0.0
    error: str = ""


def _post_query(url: str, text: str, outcome: Timed) -> None:
    started = time.monotonic()
    try:
        outcome.response = clients.post(url + "sparql", content=text, headers=QUERY, timeout=60)
    except httpx.HTTPError as error:
        outcome.error = repr(error)
    outcome.seconds = time.monotonic() - started


def _in_threads(url: str, count: int) -> tuple[list[Timed], list[threading.Thread]]:
    outcomes = [Timed() for _ in range(count)]
    threads = [threading.Thread(target=_post_query, args=(url, CROSS_PRODUCT, o)) for o in outcomes]
    for thread in threads:
        thread.start()
    return outcomes, threads


def test_granian_has_a_thread_beyond_everything_admission_lets_in() -> None:
    settings = Settings(threads=2, max_concurrent_queries=3, max_change_streams=2)
    # Queries and guarded jobs have an admission limit each, and each live stream of changes
    # holds a thread; all full, 2 threads are left.
    assert granian_threads(settings) == 2 + 3 + 3 + 2


@pytest.mark.server
def test_past_the_admission_limit_a_query_gets_a_fast_503(tmp_path: Path) -> None:
    server = start_server(
        tmp_path / "store", port=free_port(), log_dir=tmp_path, env=env_for(ADMISSION)
    )
    try:
        insert_test_triples(server)
        admitted, admitted_threads = _in_threads(server.url, 3)
        time.sleep(1.5)  # all three admitted: one evaluated, two waiting for the slot
        extra, extra_threads = _in_threads(server.url, 4)
        for thread in extra_threads:
            thread.join(30)
        for outcome in extra:
            assert outcome.response is not None, outcome.error
            assert outcome.response.status_code == 503, outcome.response.text
            assert outcome.response.json()["type"] == f"{server.url}problems/overloaded"
            assert int(outcome.response.headers["Retry-After"]) > 0
            assert outcome.seconds < QUICK_S, f"a refusal took {outcome.seconds:.1f} s"
        # The server answers meanwhile: its health, and a cheap query (refused at once).
        started = time.monotonic()
        health = clients.get(server.url + "health", timeout=30)
        assert health.status_code == 200
        cheap = clients.get(server.url + "sparql", params={"query": "ASK {}"}, timeout=30)
        assert time.monotonic() - started < QUICK_S
        assert cheap.status_code == 503
        assert int(cheap.headers["Retry-After"]) > 0
        assert all(outcome.response is None for outcome in admitted)  # still running
        for thread in admitted_threads:
            thread.join(60)
        # The admitted ones ran to the time limit; then a cheap query is answered.
        assert [o.response.status_code if o.response else o.error for o in admitted] == [503] * 3
        assert all(o.seconds > 5 for o in admitted)
        deadline = time.monotonic() + 30
        while True:
            cheap = clients.get(server.url + "sparql", params={"query": "ASK {}"}, timeout=30)
            if cheap.status_code == 200 or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert cheap.status_code == 200, cheap.text
    finally:
        server.stop()


# -- the search index after a large write ------------------------------------------------

#: Entities of the large write (two triples each): 25,000 triples, which the index takes
#: seconds to catch up with, and a small write 0.1 s.
LARGE_ENTITIES = 12_500


def _entities(prefix: str, count: int) -> bytes:
    lines = []
    for i in range(count):
        subject = f"<http://example.org/{prefix}/{i}>"
        lines.append(
            f'{subject} <http://www.w3.org/2000/01/rdf-schema#label> "{prefix}{i} thing" .'
        )
        lines.append(f'{subject} <http://example.org/n> "{i}" .')
    return "\n".join(lines).encode()


def test_a_large_write_does_not_hold_writes_while_search_catches_up(
    store_copy: Path, base_iri: str
) -> None:
    site = open_app(store_copy, base_iri)
    try:
        search = site.services.search
        store = site.services.store
        with site.client() as http:
            assert http.get("/search", params={"q": "Zyxwv7"}).status_code == 200  # built
            before = store.version()
            large = Timed()

            def write_large() -> None:
                started = time.monotonic()
                with site.client() as own:
                    large.response = own.post(
                        "/store",
                        params={"default": ""},
                        content=_entities("Zyxwv", LARGE_ENTITIES),
                        headers={"Content-Type": NTRIPLES.media_type, **site.auth()},
                        timeout=600,
                    )
                large.seconds = time.monotonic() - started

            thread = threading.Thread(target=write_large)
            thread.start()
            deadline = time.monotonic() + 120
            while store.version() == before:  # until the large write is committed
                assert time.monotonic() < deadline, "the large write was never committed"
                time.sleep(0.01)
            started = time.monotonic()
            small = http.post(
                "/store",
                params={"default": ""},
                content=_entities("Qoppa", 1),
                headers={"Content-Type": NTRIPLES.media_type, **site.auth()},
            )
            small_s = time.monotonic() - started
            assert small.status_code in (201, 204), small.text
            # The small write did not wait for the large one's indexing, which goes on.
            assert small_s < QUICK_S, f"the small write waited {small_s:.1f} s"
            behind = not search.wait_until_current(0)
            thread.join(120)
            assert large.response is not None
            assert large.response.status_code in (201, 204)
            assert search.wait_until_current(300), "the index never caught up"
            assert behind, "the index had caught up before the small write: too small a test"
            last = f"Zyxwv{LARGE_ENTITIES - 1}"
            hits = http.get("/search", params={"q": last, "format": "json"}).json()
            assert [h["iri"] for h in hits["results"]] == [
                f"http://example.org/Zyxwv/{LARGE_ENTITIES - 1}"
            ]
            hits = http.get("/search", params={"q": "Qoppa0", "format": "json"}).json()
            assert [h["iri"] for h in hits["results"]] == ["http://example.org/Qoppa/0"]
    finally:
        site.stop()


def test_a_search_right_after_a_small_write_finds_it(store_copy: Path, base_iri: str) -> None:
    """Eventually consistent, but a small write is indexed within the wait of a search."""
    site = open_app(store_copy, base_iri)
    try:
        with site.client() as http:
            assert http.get("/search", params={"q": "Qoppa0"}).status_code == 200  # built
            written = http.post(
                "/store",
                params={"default": ""},
                content=_entities("Qoppa", 1),
                headers={"Content-Type": NTRIPLES.media_type, **site.auth()},
            )
            assert written.status_code in (201, 204), written.text
            hits = http.get("/search", params={"q": "Qoppa0", "format": "json"}).json()
        assert [h["iri"] for h in hits["results"]] == ["http://example.org/Qoppa/0"]
    finally:
        site.stop()


# -- RocksDB's old logs ---------------------------------------------------------------------


def test_old_rocksdb_logs_are_pruned_at_open(tmp_path: Path) -> None:
    vocab = Vocab(base_for(free_port()))
    path = tmp_path / "store"
    for _ in range(6):
        OxigraphStore.open(path, vocab).close()
    old = sorted(p.name for p in path.glob("LOG.old.*"))
    assert len(old) == 3, old  # each open made one more; the newest three are kept
    assert (path / "LOG").exists()
    stamps = [int(name.removeprefix("LOG.old.")) for name in old]
    (path / "LOG.old.1").write_text("older than any")  # a stale one from long ago
    OxigraphStore.open(path, vocab).close()
    kept = sorted(int(p.name.removeprefix("LOG.old.")) for p in path.glob("LOG.old.*"))
    assert len(kept) == 3
    assert 1 not in kept
    assert kept[0] > min(stamps)


# -- kill -9 during writes ----------------------------------------------------------------

#: Rounds of kill -9, and when in a round the server dies: this long after the round's
#: first acknowledged write (a write takes about 0.3 s; the next is on its way then).
KILL_ROUNDS = 5
KILL_AFTER_S = (0.0, 0.8)


@dataclass
class Writes:
    """What the writer sent: every token tried, and those the server acknowledged."""

    tried: list[str] = field(default_factory=list)
    acked: list[str] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)
    #: Set while the server is up: the writer waits while it restarts (writes hammering a
    #: starting server on a loaded machine starve its health check, not what is tested).
    up: threading.Event = field(default_factory=threading.Event)


def _claim_body(token: str) -> bytes:
    return (PREFIXES + claim().replace("{k}", token)).encode()


def _writer(url: dict[str, str], writes: Writes) -> None:
    """One claim after another, each with a token of its own, until told to stop."""
    n = 0
    while not writes.stop.is_set():
        if not writes.up.wait(1):
            continue
        token = f"kill{n}"
        n += 1
        writes.tried.append(token)
        try:
            response = clients.post(
                url["base"] + "data",
                params={"graph": "graph/claims/article"},
                content=_claim_body(token),
                headers={"Content-Type": TURTLE.media_type, "Authorization": url["auth"]},
                timeout=30,
            )
        except httpx.HTTPError:
            time.sleep(0.05)  # the server is down: try the next one
            continue
        if response.status_code == 201:
            writes.acked.append(token)
        else:
            time.sleep(0.05)


def _until_acked(writes: Writes, count: int, wait_s: float = 60) -> None:
    deadline = time.monotonic() + wait_s
    while len(writes.acked) < count:
        assert time.monotonic() < deadline, f"no write acknowledged in {wait_s} s"
        time.sleep(0.02)


def _descendants(pid: int) -> list[int]:
    found: list[int] = []
    pending = [pid]
    while pending:
        parent = pending.pop()
        with contextlib.suppress(OSError):
            for task in Path(f"/proc/{parent}/task").iterdir():
                children = [int(c) for c in (task / "children").read_text().split()]
                found.extend(children)
                pending.extend(children)
    return found


def _kill_all(server: ServerProcess) -> None:
    """SIGKILL the server's whole process tree: the master first (it would start a new
    worker), then the worker, its query processes and the guard's workers."""
    tree = _descendants(server.process.pid)
    os.kill(server.process.pid, signal.SIGKILL)
    for pid in tree:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    server.process.wait(timeout=10)
    deadline = time.monotonic() + 10
    while any(Path(f"/proc/{pid}").exists() for pid in tree) and time.monotonic() < deadline:
        time.sleep(0.02)


def _stored(http: httpx.Client, vocab: Vocab, token: str) -> dict[str, int]:
    """How many statements of the write ``token`` are stored: of its claim (and the claim's
    fragments), of its provenance record, and inferred about the claim."""
    claim_iri = vocab.id[f"claim/X{token}"].value
    query = f"""SELECT
      (SUM(IF(?kind = "claim", 1, 0)) AS ?claim)
      (SUM(IF(?kind = "record", 1, 0)) AS ?record)
      (SUM(IF(?kind = "inferred", 1, 0)) AS ?inferred) WHERE {{
      {{ GRAPH <{vocab.claims_graph("article").value}> {{ ?s ?p ?o }}
         FILTER(?s = <{claim_iri}> || STRSTARTS(STR(?s), "{claim_iri}#")) BIND("claim" AS ?kind) }}
      UNION {{ GRAPH <{vocab.provenance_graph.value}> {{ ?st rdf:subject <{claim_iri}> }}
         BIND("record" AS ?kind) }}
      UNION {{ GRAPH <{vocab.inferred_graph.value}> {{ <{claim_iri}> ?p ?o }}
         BIND("inferred" AS ?kind) }}
    }}"""
    response = http.get(
        "/sparql", params={"query": query}, headers={"Accept": "application/sparql-results+json"}
    )
    assert response.status_code == 200, response.text
    row = response.json()["results"]["bindings"][0]
    return {k: int(row[k]["value"]) if k in row else 0 for k in ("claim", "record", "inferred")}


@pytest.mark.server
def test_kill_9_during_writes_loses_nothing_acknowledged(tmp_path: Path) -> None:
    port = free_port()
    vocab = Vocab(base_for(port))
    store = build_fixture(tmp_path / "store", vocab.base)
    seed = random.randrange(1_000_000)
    chance = random.Random(seed)
    server = start_server(store, port=port, log_dir=tmp_path, wait_s=60)
    url = {"base": server.url, "auth": server.auth()["Authorization"]}
    writes = Writes()
    writes.up.set()
    writer = threading.Thread(target=_writer, args=(url, writes), name="writer")
    writer.start()
    try:
        for _ in range(KILL_ROUNDS):
            _until_acked(writes, len(writes.acked) + 1)
            time.sleep(chance.uniform(*KILL_AFTER_S))
            writes.up.clear()  # what is on its way is sent; the next write waits
            _kill_all(server)
            server = start_server(store, port=port, log_dir=tmp_path, wait_s=60)
            writes.up.set()
        _until_acked(writes, len(writes.acked) + 1)  # one more on the last server
        writes.stop.set()
        writer.join(60)
        # Every round killed the server while a write was on its way (one follows another).
        assert len(writes.tried) > len(writes.acked), f"no kill landed during a write ({seed})"
        whole = len(parse(_claim_body("x"), TURTLE, base_iri=vocab.base))
        with server.client() as http:
            for token in writes.tried:
                found = _stored(http, vocab, token)
                if token in writes.acked or found["claim"]:
                    assert found["claim"] == whole, f"{token}: {found} (seed {seed})"
                    assert found["record"] > 0, f"{token}: no provenance record ({found})"
                    assert found["inferred"] > 0, f"{token}: no inferences ({found})"
                else:
                    assert found == {"claim": 0, "record": 0, "inferred": 0}, f"{token}: {found}"
            report = model_report(vocab, server_data(http, vocab))
            assert report.conforms, report.results
            assert inferred_difference(http, vocab) == ([], [])
    finally:
        writes.stop.set()
        writer.join(60)
        server.stop()
