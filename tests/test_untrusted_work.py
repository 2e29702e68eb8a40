"""Every door that evaluates work whose cost a client controls stops it at the time limit
(``service.query._guard``): a hostile request gets 503 within the limit, its process is
killed, nothing is written, and the server answers others meanwhile.

The doors: a query (``/sparql``), ``POST /validate`` with the client's own shapes (a
``sh:sparql`` product), ``POST /validate`` with the server's shapes (a chain whose
inferences grow with the square of its length), and a SPARQL Update whose ``WHERE`` is a
product. In-process, on a copy of the built model, with real query processes and guard
workers (nothing is mocked); and an update on a remote store (a real server in front of
`oxigraph serve`), where the store evaluates and Parley stops waiting, and a write whose
check a guard worker does on the remote store. Also: a validation
or an update holds nothing a write needs, and an update computed while a write landed is
computed again. The time bounds are generous: a hostile request takes hours.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from service.web._services import Services
from tests.support import AppSite, copy_store, open_app, start_site

#: The time limit of the hostile requests' server, and what they may take beyond it. Each
#: hostile request keeps a process busy until the limit, so the limit is short: each of
#: them takes many times longer, and two innocent requests (milliseconds each, in this
#: process) are answered well within it (``_others_answer``).
LIMIT_S = 1.0
MARGIN_S = 5.0
#: What an innocent request may take while a hostile one runs: two fit within the limit.
QUICK_S = LIMIT_S / 2
#: The time limit where the work that must go through meanwhile includes starting a second
#: guard worker (a process that imports its modules: most of a second on a loaded machine).
PATIENT_LIMIT_S = 2.0
#: The time limit of the server of the requests that must be answered, not stopped.
ROOMY_LIMIT_S = 60.0

SPARQL_JSON = {"Accept": "application/sparql-results+json"}
UPDATE = {"Content-Type": "application/sparql-update"}
#: Every quad of the model (about 8,700) three times over: never counted to the end.
PRODUCT = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
HOSTILE_UPDATE = (
    "INSERT { GRAPH <http://example.org/hostile> { <http://example.org/x> "
    f"<http://example.org/n> ?n }} }} WHERE {{ {{ {PRODUCT} }} }}"
)
SH = "@prefix sh: <http://www.w3.org/ns/shacl#> .\n"


def _client_shapes(ways: int) -> dict[str, tuple[str, bytes, str]]:
    """40 triples and a shape whose SPARQL constraint is a ``ways``-way product of them
    (three ways: seconds; four: minutes)."""
    data = "\n".join(f"<http://example.org/s{i}> <http://example.org/p> {i} ." for i in range(40))
    patterns = " ".join(f"?a{j} <http://example.org/p> ?b{j} ." for j in range(ways))
    shapes = (
        f"{SH}<http://example.org/S> a sh:NodeShape ; sh:targetNode <http://example.org/s0> ;\n"
        f'  sh:sparql [ sh:select "SELECT $this WHERE {{ {patterns} FILTER(?b0 < 0) }}" ] .\n'
    )
    return {
        "data": ("data.ttl", data.encode(), "text/turtle"),
        "shapes": ("shapes.ttl", shapes.encode(), "text/turtle"),
    }


CHEAP_SHAPES = {
    "data": ("data.ttl", b"<http://example.org/a> <http://example.org/p> 1 .", "text/turtle"),
    "shapes": (
        "shapes.ttl",
        f"{SH}<http://example.org/S> a sh:NodeShape ; sh:targetNode <http://example.org/a> ;"
        " sh:property [ sh:path <http://example.org/p> ; sh:minCount 1 ] .".encode(),
        "text/turtle",
    ),
}


def _chain(base: str, links: int, name: str = "chain") -> bytes:
    """People, each acting on behalf of the next: the reasoner's inferences grow with the
    square of the chain and its work with the cube (200 links: seconds; 600: many minutes)."""
    lines = [f"@prefix parley: <{base}ontology#> .", f"@prefix id: <{base}id/> ."]
    lines += [
        f"id:{name}{i} a parley:Person ; parley:actsOnBehalfOf id:{name}{i + 1} ; "
        f'<http://www.w3.org/2000/01/rdf-schema#label> "link {i}"@en ; '
        f"<http://purl.org/dc/terms/source> <{base}id/ref/wikidata> ."
        for i in range(links)
    ]
    return "\n".join(lines).encode()


def _long_insert_data(triples: int) -> str:
    """An ``INSERT DATA`` into a client's graph that only parsing makes costly (rdflib
    parses about a thousand triples a second)."""
    body = " ".join(
        f'<http://example.org/s{i}> <http://example.org/p> "value {i}" .' for i in range(triples)
    )
    return f"INSERT DATA {{ GRAPH <http://example.org/long> {{ {body} }} }}"


def _short_chain_update(base: str) -> str:
    """A chain short enough in text (under 8 KiB) to be parsed in the web process, whose
    check (reasoning, validation) is not: 190 links, millions of steps."""
    links = " ".join(f"id:c{i} parley:actsOnBehalfOf id:c{i + 1} ." for i in range(190))
    text = (
        f"PREFIX parley: <{base}ontology#> PREFIX id: <{base}id/>\n"
        f"INSERT DATA {{ GRAPH <{base}graph/reference> {{ {links} }} }}"
    )
    assert len(text) < 8_192
    return text


def _ready(site: AppSite) -> AppSite:
    """``site`` ready for a test: its query copy loaded and a guard worker started (a test
    before may have had it killed; the next job starts another)."""
    _until(site.services.queries.ready, "the query copy is loaded")
    with site.client() as http:
        assert http.post("/validate", files=CHEAP_SHAPES).status_code == 200
    return site


def _module_site(
    factory: pytest.TempPathFactory, built_store: Path, base_iri: str, limit_s: float
) -> Iterator[AppSite]:
    """The app on its own copy of the model, with the time limit ``limit_s`` and two
    workers: one for the module (an app and its processes cost more to start than most
    of these tests take). Each test leaves it as it found it: a hostile request writes
    nothing, and what a test writes is in graphs of its own."""
    store = copy_store(built_store, factory.mktemp("guarded") / "store", base_iri)
    site = open_app(store, base_iri, query_timeout_s=limit_s, query_workers=2)
    try:
        yield site
    finally:
        site.stop()


@pytest.fixture(scope="module")
def _hostile_site(
    tmp_path_factory: pytest.TempPathFactory, built_store: Path, base_iri: str
) -> Iterator[AppSite]:
    yield from _module_site(tmp_path_factory, built_store, base_iri, LIMIT_S)


@pytest.fixture(scope="module")
def _patient_site(
    tmp_path_factory: pytest.TempPathFactory, built_store: Path, base_iri: str
) -> Iterator[AppSite]:
    yield from _module_site(tmp_path_factory, built_store, base_iri, PATIENT_LIMIT_S)


@pytest.fixture(scope="module")
def _roomy_site(
    tmp_path_factory: pytest.TempPathFactory, built_store: Path, base_iri: str
) -> Iterator[AppSite]:
    yield from _module_site(tmp_path_factory, built_store, base_iri, ROOMY_LIMIT_S)


@pytest.fixture
def guarded(_hostile_site: AppSite) -> AppSite:
    """The app of the hostile requests, time limit ``LIMIT_S``, ready."""
    return _ready(_hostile_site)


@pytest.fixture
def patient(_patient_site: AppSite) -> AppSite:
    """The same with the time limit ``PATIENT_LIMIT_S``, ready."""
    return _ready(_patient_site)


@pytest.fixture
def roomy(_roomy_site: AppSite) -> AppSite:
    """The app of requests that must be answered, not stopped: the same, but with a time
    limit they never come near (a loaded machine is no reason for them to fail)."""
    return _ready(_roomy_site)


def _until(condition: Callable[[], bool], what: str, wait_s: float = 30) -> None:
    deadline = time.monotonic() + wait_s
    while not condition():
        assert time.monotonic() < deadline, f"waited {wait_s} s until {what}"
        time.sleep(0.02)


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _guard_pids(services: Services) -> set[int]:
    """The guard's own workers (without the query runner's processes)."""
    guard = services.guard
    return set(guard.worker_pids()) - set(guard.queries.worker_pids())


@dataclass
class Outcome:
    response: httpx.Response | None = None
    seconds: float = 0.0


class Hostile:
    """A request sent on a thread of its own, timed."""

    def __init__(self, site: AppSite, send: Callable[[httpx.Client], httpx.Response]) -> None:
        self.outcome = Outcome()

        def run() -> None:
            with site.client() as http:
                started = time.monotonic()
                self.outcome.response = send(http)
                self.outcome.seconds = time.monotonic() - started

        self.thread = threading.Thread(target=run, name="hostile")
        self.thread.start()

    def running(self) -> bool:
        return self.thread.is_alive()

    def result(self, wait_s: float = LIMIT_S + 2 * MARGIN_S) -> tuple[httpx.Response, float]:
        """Its response (within ``wait_s``), and the seconds it took."""
        self.thread.join(wait_s)
        assert not self.thread.is_alive(), "the hostile request was never answered"
        assert self.outcome.response is not None
        return self.outcome.response, self.outcome.seconds


def _quick(http: httpx.Client, method: str, url: str, **kwargs: object) -> httpx.Response:
    """An innocent request: answered, and soon."""
    started = time.monotonic()
    response = http.request(method, url, **kwargs)  # type: ignore[arg-type]
    elapsed = time.monotonic() - started
    assert response.status_code < 300, response.text
    assert elapsed < QUICK_S, f"{method} {url} took {elapsed:.2f} s while a hostile request ran"
    return response


def _others_answer(site: AppSite) -> None:
    """/health and a cheap query answer while the hostile request runs."""
    with site.client() as http:
        assert _quick(http, "GET", "/health").json()["status"] == "ok"
        answer = _quick(http, "GET", "/sparql", params={"query": "ASK {}"}, headers=SPARQL_JSON)
        assert answer.json()["boolean"] is True


@dataclass(frozen=True)
class Door:
    name: str
    #: The problem type the hostile request gets.
    slug: str
    send: Callable[[AppSite, httpx.Client], httpx.Response]
    #: The processes that do this door's work (the one that ran it is killed).
    processes: Callable[[Services], set[int]]


DOORS = [
    Door(
        "query",
        "query-timeout",
        lambda site, http: http.get("/sparql", params={"query": PRODUCT}, headers=SPARQL_JSON),
        lambda services: set(services.guard.queries.worker_pids()),
    ),
    Door(
        "validate-client-shapes",
        "validation-timeout",
        lambda site, http: http.post("/validate", files=_client_shapes(4)),
        _guard_pids,
    ),
    Door(
        "validate-in-context",
        "validation-timeout",
        lambda site, http: http.post(
            "/validate", content=_chain(site.url, 600), headers={"Content-Type": "text/turtle"}
        ),
        _guard_pids,
    ),
    Door(
        "write-data",
        "validation-timeout",
        lambda site, http: http.post(
            "/data",
            params={"graph": site.url + "graph/reference"},
            content=_chain(site.url, 600),
            headers={"Content-Type": "text/turtle", **site.auth()},
        ),
        _guard_pids,
    ),
    Door(
        "write-data-dry-run",
        "validation-timeout",
        lambda site, http: http.post(
            "/data",
            params={"graph": site.url + "graph/reference", "dry-run": "true"},
            content=_chain(site.url, 600),
            headers={"Content-Type": "text/turtle", **site.auth()},
        ),
        _guard_pids,
    ),
    Door(
        "write-graph-store",
        "validation-timeout",
        lambda site, http: http.post(
            "/store",
            params={"graph": site.url + "graph/reference"},
            content=_chain(site.url, 600),
            headers={"Content-Type": "text/turtle", **site.auth()},
        ),
        _guard_pids,
    ),
    Door(
        "update-insert-data",
        "validation-timeout",
        lambda site, http: http.post(
            "/sparql", content=_short_chain_update(site.url), headers={**UPDATE, **site.auth()}
        ),
        _guard_pids,
    ),
    # Ten seconds of parsing, ten times the limit (the web process scans the text first,
    # outside the limit: a second for 10,000 triples).
    Door(
        "update-long-insert-data",
        "query-timeout",
        lambda site, http: http.post(
            "/sparql", content=_long_insert_data(10_000), headers={**UPDATE, **site.auth()}
        ),
        _guard_pids,
    ),
    Door(
        "update-where",
        "query-timeout",
        lambda site, http: http.post(
            "/sparql", content=HOSTILE_UPDATE, headers={**UPDATE, **site.auth()}
        ),
        _guard_pids,
    ),
]


@pytest.mark.parametrize("door", DOORS, ids=[d.name for d in DOORS])
def test_hostile_work_is_killed_at_the_limit_while_the_server_answers(
    guarded: AppSite, door: Door
) -> None:
    services = guarded.services
    version, count = services.store.version(), services.store.count()
    # The query copy is ready (``_ready``) a moment before its first query process is forked.
    _until(lambda: bool(door.processes(services)), "a process for the work is running")
    workers = door.processes(services)
    hostile = Hostile(guarded, lambda http: door.send(guarded, http))
    _until(lambda: services.guard.running() > 0, "the hostile request is admitted")
    # The process that took the work may be new (a query after an earlier test's write is
    # served by a process forked for that version): count every one seen while it ran.
    workers |= door.processes(services)

    _others_answer(guarded)
    assert hostile.running()  # they were answered while it ran
    workers |= door.processes(services)

    response, seconds = hostile.result()
    assert response.status_code == 503, response.text
    problem = response.json()
    assert problem["type"].endswith(f"/problems/{door.slug}")
    assert problem["timeoutSeconds"] == LIMIT_S
    assert seconds < LIMIT_S + MARGIN_S
    # The work was killed, not abandoned (SIGKILL lands a moment after the 503 is sent).
    _until(lambda: any(not _alive(pid) for pid in workers), "the worker is killed", wait_s=5)
    assert (services.store.version(), services.store.count()) == (version, count)
    _others_answer(guarded)  # and the next requests are served as before


def test_a_costly_write_is_checked_by_the_guard_and_committed_as_here(roomy: AppSite) -> None:
    """A write past the web process's budget (a 60-link chain: 72,000 steps) is checked in
    a guard worker and committed with the inferences the web process would have drawn; an
    ordinary write is checked in the web process."""
    services = roomy.services
    reference = {"graph": roomy.url + "graph/reference"}
    headers = {"Content-Type": "text/turtle", **roomy.auth()}

    def write(name: str, links: int, **params: str) -> httpx.Response:
        with roomy.client() as http:
            body = _chain(roomy.url, links, name)
            return http.post("/data", params={**reference, **params}, content=body, headers=headers)

    small = write("small", 5)
    assert small.status_code == 201, small.text
    assert "guarded" not in small.headers["Server-Timing"]
    costly = write("guarded", 60)
    assert costly.status_code == 201, costly.text
    assert "guarded;dur=" in costly.headers["Server-Timing"]
    # The same chain, checked in the web process (a dry run: the counts, nothing written).
    offload, services.writer.offload = services.writer.offload, None
    try:
        here = write("here", 60, **{"dry-run": "true"})
    finally:
        services.writer.offload = offload  # the module's app, as it was
    assert here.status_code == 200, here.text
    assert "guarded" not in here.headers["Server-Timing"]
    counts = ("added", "removed", "inferredAdded", "inferredRemoved")
    assert [costly.json()[k] for k in counts] == [here.json()[k] for k in counts]
    assert costly.json()["inferredAdded"] > 60 * 59 // 2  # the transitive closure, at least
    with roomy.client() as http:
        ask = (
            f"ASK {{ GRAPH <{roomy.url}graph/inferred> {{ <{roomy.url}id/guarded0> "
            f"<{roomy.url}ontology#actsOnBehalfOf> <{roomy.url}id/guarded60> }} }}"
        )
        answer = http.get("/sparql", params={"query": ask}, headers=SPARQL_JSON)
        assert answer.json()["boolean"] is True


def test_a_long_insert_data_is_computed_by_the_guard_and_written(roomy: AppSite) -> None:
    """An update over 8 KiB is computed in a guard worker, and written: 300 triples (18 KiB)
    parse in a third of a second (rdflib's translation keeps them in the order written)."""
    graph = "http://example.org/long"
    text = _long_insert_data(300)
    assert len(text) > 8_192
    with roomy.client() as http:
        written = http.post("/sparql", content=text, headers={**UPDATE, **roomy.auth()})
        assert written.status_code == 200, written.text
        assert written.json()["added"] == 300
        count = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"
        rows = http.get("/sparql", params={"query": count}, headers=SPARQL_JSON).json()
    assert rows["results"]["bindings"][0]["n"]["value"] == "300"


def test_a_validation_holds_nothing_that_writes_or_other_validations_need(
    patient: AppSite,
) -> None:
    """While a client's shapes run (hostile), a write and another validation go through
    (the other validation starts the second guard worker: ``PATIENT_LIMIT_S``)."""
    services = patient.services
    hostile = Hostile(patient, lambda http: http.post("/validate", files=_client_shapes(4)))
    _until(lambda: services.guard.running() > 0, "the hostile validation is admitted")
    version = services.store.version()
    probe = b'<http://example.org/probe> <http://example.org/p> "written" .'
    with patient.client() as http:
        written = _quick(
            http,
            "POST",
            "/data",
            params={"graph": "http://example.org/probe"},
            content=probe,
            headers={"Content-Type": "application/n-triples", **patient.auth()},
        )
        assert written.json()["added"] == 1
        # Another validation is answered meanwhile (by the second worker).
        checked = http.post("/validate", files=CHEAP_SHAPES)
        assert checked.status_code == 200
        assert checked.json()["conforms"] is True
    assert hostile.running()
    assert services.store.version() == version + 1
    assert hostile.result()[0].status_code == 503


def test_an_update_holds_no_write_lock_while_its_where_runs(guarded: AppSite) -> None:
    services = guarded.services
    hostile = Hostile(
        guarded,
        lambda http: http.post(
            "/sparql", content=HOSTILE_UPDATE, headers={**UPDATE, **guarded.auth()}
        ),
    )
    _until(lambda: services.guard.running() > 0, "the hostile update is admitted")
    with guarded.client() as http:
        _quick(
            http,
            "POST",
            "/sparql",
            content="INSERT DATA { GRAPH <http://example.org/probe> { <http://example.org/a> "
            '<http://example.org/b> "c" } }',
            headers={**UPDATE, **guarded.auth()},
        )
    assert hostile.running()
    assert hostile.result()[0].status_code == 503
    with guarded.client() as http:
        ask = "ASK { GRAPH ?g { <http://example.org/x> ?p ?o } }"
        answer = http.get("/sparql", params={"query": ask}, headers=SPARQL_JSON)
        assert answer.json()["boolean"] is False  # nothing of the hostile update
        ask = 'ASK { GRAPH <http://example.org/probe> { ?s ?p "c" } }'
        answer = http.get("/sparql", params={"query": ask}, headers=SPARQL_JSON)
        assert answer.json()["boolean"] is True


def test_an_update_computed_while_a_write_landed_is_computed_again(roomy: AppSite) -> None:
    """The update's WHERE runs outside the write lock, on a snapshot; a write that lands
    meanwhile is not lost on it: the update is computed again, on top of the write."""
    site = roomy
    numbers = "http://example.org/numbers"
    n = 160  # the WHERE counts n^3 rows: a second (the write lands in milliseconds)
    triples = "".join(f"<http://example.org/s{i}> <http://example.org/n> {i} .\n" for i in range(n))
    count = (
        f"INSERT {{ GRAPH <http://example.org/out> {{ <http://example.org/count> "
        f"<http://example.org/is> ?c }} }} WHERE {{ SELECT (COUNT(*) AS ?c) WHERE {{ GRAPH "
        f"<{numbers}> {{ ?a <http://example.org/n> ?x . ?b <http://example.org/n> ?y . "
        f"?d <http://example.org/n> ?z }} }} }}"
    )
    with site.client() as http:
        headers = {"Content-Type": "text/turtle", **site.auth()}
        put = http.post("/data", params={"graph": numbers}, content=triples, headers=headers)
        assert put.status_code == 201, put.text
        update = Hostile(
            site, lambda h: h.post("/sparql", content=count, headers={**UPDATE, **site.auth()})
        )
        # Admitted: its snapshot is taken. The write lands while its WHERE runs.
        _until(lambda: site.services.guard.running() > 0, "the update is admitted")
        one_more = f"<http://example.org/s{n}> <http://example.org/n> {n} .\n"
        added = http.post("/data", params={"graph": numbers}, content=one_more, headers=headers)
        assert added.status_code == 201, added.text
        assert update.running()  # the write did not wait for the update
        assert update.result(ROOMY_LIMIT_S)[0].status_code == 200
        ask = "SELECT ?c WHERE { GRAPH <http://example.org/out> { ?s ?p ?c } }"
        rows = http.get("/sparql", params={"query": ask}, headers=SPARQL_JSON).json()
        counted = [int(b["c"]["value"]) for b in rows["results"]["bindings"]]
        assert counted == [(n + 1) ** 3]


@pytest.mark.server
def test_a_hostile_update_on_a_remote_store_is_cut_off_at_the_limit(tmp_path: Path) -> None:
    """On a remote store the store evaluates the WHERE clauses; Parley stops waiting at the
    limit (it closes the connection), answers 503, writes nothing, and answers others."""
    site = start_site(
        "remote", tmp_path / "store", log_dir=tmp_path, query_timeout_s=LIMIT_S, query_workers=2
    )
    try:
        with site.client() as http:
            rows = "".join(
                f"<http://example.org/s{i}> <http://example.org/n> {i} .\n" for i in range(2000)
            )
            headers = {"Content-Type": "text/turtle", **site.auth()}
            graph = {"graph": "http://example.org/numbers"}
            assert (
                http.post("/data", params=graph, content=rows, headers=headers).status_code == 201
            )
        hostile_update = HOSTILE_UPDATE.replace(
            "{ ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }",
            "{ GRAPH <http://example.org/numbers> { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i } }",
        )
        assert hostile_update != HOSTILE_UPDATE
        started = time.monotonic()
        with site.client() as http:
            hostile = http.post(
                "/sparql", content=hostile_update, headers={**UPDATE, **site.auth()}
            )
            seconds = time.monotonic() - started
            assert hostile.status_code == 503, hostile.text
            assert hostile.json()["type"].endswith("/problems/query-timeout")
            assert hostile.json()["timeoutSeconds"] == LIMIT_S
            assert seconds < LIMIT_S + MARGIN_S
            _quick(http, "GET", "/health")
            ask = "ASK { GRAPH ?g { <http://example.org/x> ?p ?o } }"
            answer = http.get("/sparql", params={"query": ask}, headers=SPARQL_JSON)
            assert answer.json()["boolean"] is False  # nothing of it was written
            # A write whose check is hostile is checked by a guard worker reading the
            # remote store, and stopped there.
            started = time.monotonic()
            write = http.post(
                "/data",
                params={"graph": site.url + "graph/reference"},
                content=_chain(site.url, 600),
                headers=headers,
            )
            assert write.status_code == 503, write.text
            assert write.json()["type"].endswith("/problems/validation-timeout")
            assert time.monotonic() - started < LIMIT_S + MARGIN_S
            ask = f"ASK {{ GRAPH ?g {{ <{site.url}id/chain0> ?p ?o }} }}"
            answer = http.get("/sparql", params={"query": ask}, headers=SPARQL_JSON)
            assert answer.json()["boolean"] is False
    finally:
        site.stop()
