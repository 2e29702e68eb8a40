"""Parley on a remote SPARQL store: real `oxigraph serve` and Virtuoso processes, real
`parley` processes.

``parley build --store-url`` loads the model through the protocol; two Parley replicas
share one store under concurrent writers and lose nothing, never interleave, and find
each other's writes in search; and when the store process is killed, every request
gets a 503 problem, nothing is half-written, and service resumes once the store is back.

One set-up per purpose (the build, the replicas), shared by the tests that use it; the
test that kills the store runs last on the replicas.
"""

from __future__ import annotations

import os
import subprocess
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from bs4 import BeautifulSoup

from service.rdf import NQUADS, TURTLE, Literal, NamedNode, Quad, Triple, Vocab, parse, serialize
from service.store import OxigraphStore
from tests import clients
from tests.gate_examples import PREFIXES, claim
from tests.gatekit import (
    build_fixture,
    inferred_difference,
    model_report,
    post_to_data,
    server_data,
)
from tests.support import (
    CROSS_PRODUCT,
    PARLEY,
    OxigraphProcess,
    ServerProcess,
    base_for,
    free_port,
    insert_test_triples,
    start_oxigraph,
    start_server,
)
from tests.virtuoso import VirtuosoProcess, start_virtuoso

pytestmark = pytest.mark.server

JSON_RESULTS = {"Accept": "application/sparql-results+json"}
UPDATE = {"Content-Type": "application/sparql-update"}
#: How long another replica may take to see a write (search catch-up), at most.
CATCH_UP_S = 10.0
STALE = "http://example.org/stale"
#: The store engines the build and the replicas run on.
ENGINES = ("oxigraph", "virtuoso")
StoreProcess = OxigraphProcess | VirtuosoProcess


def start_store(engine: str, root: Path, store: Path | None, base_iri: str) -> StoreProcess:
    """An `oxigraph serve` or a Virtuoso holding the pyoxigraph store ``store`` (when given;
    empty otherwise), with a row cap above the tests' dumps."""
    if engine == "virtuoso":
        return start_virtuoso(root / "virtuoso", store=store, base_iri=base_iri, max_rows=100_000)
    return start_oxigraph(store or root / "store", port=free_port(), log_dir=root)


def gsp_args(store: StoreProcess) -> tuple[str, ...]:
    """``--store-gsp-url`` for a store that has a Graph Store endpoint Parley is given."""
    return ("--store-gsp-url", store.gsp_url) if isinstance(store, VirtuosoProcess) else ()


def select(server: ServerProcess, query: str) -> list[dict[str, str]]:
    with server.client() as http:
        response = http.get("/sparql", params={"query": query}, headers=JSON_RESULTS)
    assert response.status_code == 200, response.text
    return [{k: v["value"] for k, v in b.items()} for b in response.json()["results"]["bindings"]]


def search(server: ServerProcess, text: str) -> set[str]:
    with server.client() as http:
        response = http.get("/search", params={"q": text, "format": "json"})
    assert response.status_code == 200, response.text
    return {str(hit["iri"]) for hit in response.json()["results"]}


def eventually(check: Callable[[], bool], within_s: float = CATCH_UP_S) -> bool:
    """Whether ``check`` holds within ``within_s`` (polled)."""
    deadline = time.monotonic() + within_s
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.2)
    return True


def assert_problem(response: httpx.Response, status: int, slug: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"].startswith("application/problem+json")
    assert response.json()["type"].endswith(f"/problems/{slug}"), response.text


# -- parley build --store-url ---------------------------------------------------------------


@dataclass
class Built:
    server: ServerProcess
    store: StoreProcess
    output: str


@pytest.fixture(scope="module", params=ENGINES)
def built(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Built]:
    """The project's model built into a store through the protocols (Virtuoso: its Graph
    Store endpoint), served by a Parley process on it."""
    root = tmp_path_factory.mktemp(f"remote-build-{request.param}")
    port = free_port()
    store = start_store(request.param, root, None, base_for(port))
    try:
        stale = f"INSERT DATA {{ GRAPH <{STALE}> {{ <{STALE}> <{STALE}> 1 }} }}"
        assert clients.post(store.sparql_url, content=stale, headers=UPDATE).is_success
        env = {k: v for k, v in os.environ.items() if not k.startswith("PARLEY_")}
        args = ["build", "--store-url", store.sparql_url, *gsp_args(store)]
        args += ["--base-iri", base_for(port)]
        result = subprocess.run(
            [PARLEY, *args], capture_output=True, text=True, env=env, timeout=900, check=False
        )
        assert result.returncode == 0, result.stdout + result.stderr
        server = start_server(
            None, port=port, log_dir=root, store_url=store.sparql_url, extra_args=gsp_args(store)
        )
    except BaseException:
        store.stop()
        raise
    yield Built(server, store, result.stdout + result.stderr)
    server.stop()
    store.stop()


def graph_sizes(rows: list[dict[str, str]], base: str) -> dict[str, int]:
    """Triples per graph, graphs named relative to ``base``; Parley's provenance graph left
    out (a build records itself there, and a remote store keeps Parley's version too)."""
    sizes = {row["g"].removeprefix(base): int(row["n"]) for row in rows}
    sizes.pop("graph/provenance", None)
    return sizes


SIZES = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"
CLAIM_IDS = "SELECT ?id WHERE { ?c a parley:Claim ; dcterms:identifier ?id }"


def test_build_through_the_protocol_holds_the_model(
    built: Built, model_store: OxigraphStore, base_iri: str
) -> None:
    """The same graphs, of the same sizes, and the same claims as the embedded build."""
    assert f"Store written to {built.store.sparql_url}" in built.output
    embedded = [{k: v.value for k, v in row.items()} for row in model_store.select(SIZES)]
    remote = select(built.server, SIZES)
    assert graph_sizes(remote, built.server.url) == graph_sizes(embedded, base_iri)
    claims = {row["id"] for row in select(built.server, CLAIM_IDS)}
    assert len(claims) > 40
    assert claims == {row["id"].value for row in model_store.select(CLAIM_IDS)}
    # The build emptied the store first: what it held before is gone (Virtuoso's DROP ALL
    # keeps every graph: the build drops them one by one).
    count = clients.post(
        built.store.sparql_url,
        data={"query": f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH ?g {{ <{STALE}> ?p ?o }} }}"},
        headers=JSON_RESULTS,
    )
    assert count.json()["results"]["bindings"][0]["n"]["value"] == "0"


def test_pages_render_from_the_remote_store(built: Built) -> None:
    server = built.server
    with server.client(headers={"Accept": "text/html"}) as http:
        home = http.get("/")
        assert home.status_code == 200
        assert home.headers["Content-Type"].startswith("text/html")
        actor = BeautifulSoup(http.get("/id/Putin").text, "html.parser")
        assert actor.h1 is not None
        assert actor.h1.get_text(strip=True) == "Vladimir Putin"
        [row] = select(server, 'SELECT ?c WHERE { ?c dcterms:identifier "C17" }')
        page = http.get(row["c"])
        assert page.status_code == 200
        text = " ".join(BeautifulSoup(page.text, "html.parser").get_text(" ").split())
        assert "Vladimir Putin demands:" in text
        assert http.get("/timeline").status_code == 200
    putins = {r["c"] for r in select(server, "SELECT ?c WHERE { ?c parley:claimant id:Putin }")}
    assert len(putins) >= 5
    assert putins <= search(server, "Putin")


# -- two replicas on one store ----------------------------------------------------------


@dataclass
class Replicas:
    a: ServerProcess
    b: ServerProcess
    store: StoreProcess
    vocab: Vocab


@pytest.fixture(scope="module", params=ENGINES)
def replicas(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Replicas]:
    """Two Parley processes (one base IRI, A's URL) on one store (`oxigraph serve`,
    Virtuoso) holding the gate's fixture model."""
    root = tmp_path_factory.mktemp(f"replicas-{request.param}")
    port_a, port_b = free_port(), free_port()
    vocab = Vocab(base_for(port_a))
    model = build_fixture(root / "store", vocab.base)
    server_store = start_store(request.param, root, model, vocab.base)
    started: list[ServerProcess] = []
    try:
        for port in (port_a, port_b):
            started.append(
                start_server(
                    None,
                    port=port,
                    log_dir=root,
                    store_url=server_store.sparql_url,
                    base_iri=vocab.base,
                )
            )
        yield Replicas(started[0], started[1], server_store, vocab)
    finally:
        for server in started:
            server.stop()
        server_store.stop()


def claim_body(token: str, claim_type: str = "type-evaluative") -> bytes:
    text = claim(claim_type=f"parley:claimType parley:{claim_type} ;")
    return (PREFIXES + text.replace("{k}", token)).encode()


def post_data(
    http: httpx.Client,
    server: ServerProcess,
    data: bytes,
    graph: str = "graph/claims/article",
    content_type: str = "text/turtle",
) -> httpx.Response:
    return post_to_data(http, server.auth(), data, graph, content_type)


Statement = tuple[str, str, str]


def statements(triples: Iterable[Triple]) -> set[Statement]:
    """Triples as (subject, predicate, object value): Parley stores integers of the
    derived XSD types as xsd:integer (the datatype is not what these tests are about)."""
    return {
        (
            str(t.subject),
            str(t.predicate),
            t.object.value if isinstance(t.object, Literal) else str(t.object),
        )
        for t in triples
    }


def stored_claims(server: ServerProcess, vocab: Vocab) -> dict[str, set[Statement]]:
    """The statements of the test's claims (``id/claim/X…`` and their fragments) in the
    claims graph, by claim IRI."""
    prefix = vocab.id["claim/X"].value
    query = (
        f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{vocab.claims_graph('article').value}> "
        f'{{ ?s ?p ?o FILTER(STRSTARTS(STR(?s), "{prefix}")) }} }}'
    )
    with server.client() as http:
        response = http.get("/sparql", params={"query": query}, headers={"Accept": "text/turtle"})
    assert response.status_code == 200, response.text
    found: dict[str, set[Triple]] = {}
    for quad in parse(response.content, TURTLE):
        assert isinstance(quad.subject, NamedNode)
        found.setdefault(quad.subject.value.split("#")[0], set()).add(quad.triple)
    return {iri: statements(triples) for iri, triples in found.items()}


def assert_store_holds_the_shapes(replicas: Replicas) -> None:
    with replicas.a.client() as http:
        report = model_report(replicas.vocab, server_data(http, replicas.vocab))
        assert report.conforms, report.results
        assert inferred_difference(http, replicas.vocab) == ([], [])


def test_concurrent_writers_on_two_replicas_lose_nothing(replicas: Replicas) -> None:
    """4 writers on each replica, 2 claims each, all at once: every accepted claim is
    stored whole, every refused one (503 write-conflict only) not at all."""
    vocab = replicas.vocab
    barrier = threading.Barrier(8)

    def writer(server: ServerProcess, tokens: list[str]) -> list[tuple[str, httpx.Response]]:
        with server.client() as http:
            barrier.wait(timeout=30)
            return [(token, post_data(http, server, claim_body(token))) for token in tokens]

    jobs = [
        (server, [f"{name}{w}n{i}" for i in range(2)])
        for name, server in (("a", replicas.a), ("b", replicas.b))
        for w in range(4)
    ]
    with ThreadPoolExecutor(len(jobs)) as pool:
        outcomes = [o for done in pool.map(lambda job: writer(*job), jobs) for o in done]
    assert len(outcomes) == 16
    accepted: dict[str, str] = {}
    for token, response in outcomes:
        if response.status_code == 201:
            accepted[token] = response.json()["record"]
        else:
            assert_problem(response, 503, "write-conflict")
    assert any(t.startswith("a") for t in accepted), "replica A stored none of its writes"
    assert any(t.startswith("b") for t in accepted), "replica B stored none of its writes"
    stored = stored_claims(replicas.a, vocab)
    for token, _ in outcomes:
        iri = vocab.id[f"claim/X{token}"].value
        if token in accepted:
            sent = statements(
                q.triple for q in parse(claim_body(token), TURTLE, base_iri=vocab.base)
            )
            assert stored.get(iri) == sent, f"accepted write {token} is not stored whole"
        else:
            assert iri not in stored, f"refused write {token} was stored"
    assert stored_claims(replicas.b, vocab) == stored  # both replicas read the same store
    records = {
        r["r"]
        for r in select(
            replicas.b, "SELECT ?r WHERE { GRAPH graph:provenance { ?r a parley:WriteRecord } }"
        )
    }
    assert set(accepted.values()) <= records
    assert_store_holds_the_shapes(replicas)


def race(sides: list[tuple[ServerProcess, str]], token: str) -> list[httpx.Response]:
    """The claim ``token`` with each side's claim type, written on each side's server at
    the same moment."""
    barrier = threading.Barrier(len(sides))

    def write(side: tuple[ServerProcess, str]) -> httpx.Response:
        server, claim_type = side
        with server.client() as http:
            barrier.wait(timeout=30)
            return post_data(http, server, claim_body(token, claim_type))

    with ThreadPoolExecutor(len(sides)) as pool:
        return list(pool.map(write, sides))


def test_racing_writes_of_one_claim_never_interleave(replicas: Replicas) -> None:
    """The same claim with two claim types, written on both replicas at once: each write is
    valid alone, both together break "exactly one claim type". One may win; the other is
    refused (422 against the winner's state, or 503 write-conflict)."""
    vocab = replicas.vocab
    sides = [(replicas.a, "type-evaluative"), (replicas.b, "type-factual")]
    for n in range(3):
        token = f"race{n}"
        responses = race(sides, token)
        statuses = sorted(r.status_code for r in responses)
        assert statuses in ([201, 422], [201, 503], [503, 503]), [r.text for r in responses]
        for response in responses:
            if response.status_code == 503:
                assert_problem(response, 503, "write-conflict")
            elif response.status_code == 422:
                messages = " ".join(r["message"] for r in response.json()["results"])
                assert "exactly one parley:claimType" in messages
        types = {
            r["t"].rsplit("#", 1)[-1]
            for r in select(
                replicas.b,
                f"SELECT ?t WHERE {{ <{vocab.id[f'claim/X{token}'].value}> parley:claimType ?t }}",
            )
        }
        winners = {side[1] for side, r in zip(sides, responses, strict=True) if r.is_success}
        assert types == winners
    assert_store_holds_the_shapes(replicas)


def test_a_write_on_one_replica_is_found_by_search_on_the_other(replicas: Replicas) -> None:
    a, b, vocab = replicas.a, replicas.b, replicas.vocab
    person = vocab.id["Quetzal"].value
    assert search(b, "Quetzalcoatlus") == set()  # B's index exists before the write
    data = PREFIXES + (
        'id:Quetzal a parley:Person ; rdfs:label "Quetzalcoatlus Tlaloc"@en ; '
        "dcterms:source <id/ref/kremlin> ."
    )
    with a.client() as http:
        response = post_data(http, a, data.encode(), graph="graph/reference")
        assert response.status_code == 201, response.text
    assert eventually(lambda: person in search(b, "Quetzalcoatlus")), "B never found A's write"
    rename = (
        f"DELETE DATA {{ GRAPH graph:reference {{ <{person}> rdfs:label "
        f'"Quetzalcoatlus Tlaloc"@en }} }} ; INSERT DATA {{ GRAPH graph:reference {{ '
        f'<{person}> rdfs:label "Tezcatlipoca"@en }} }}'
    )
    with a.client() as http:
        response = http.post("/sparql", content=rename, headers={**UPDATE, **a.auth()})
        assert response.status_code == 200, response.text
    assert eventually(lambda: person in search(b, "Tezcatlipoca")), "B missed the new label"
    assert search(b, "Quetzalcoatlus") == set()


BULK = NamedNode("http://example.org/bulk")
BULK_SIZE = 20_000


def bulk_write(vocab: Vocab, token: str) -> bytes:
    """A claim and a bulk of quads for a client graph: a write that takes a while."""
    note = NamedNode("http://example.org/note")
    bulk = [
        Quad(NamedNode(f"http://example.org/n{i}"), note, Literal(str(i)), BULK)
        for i in range(BULK_SIZE)
    ]
    quads = parse(claim_body(token), TURTLE, base_iri=vocab.base)
    return serialize([*quads, *bulk], NQUADS)


def test_the_store_disappearing_gives_503_and_service_resumes(replicas: Replicas) -> None:
    """Last on the replicas: the store is killed (SIGKILL) under a write, then restarted."""
    a, b, store, vocab = replicas.a, replicas.b, replicas.store, replicas.vocab
    before = store.dump()
    answers: list[httpx.Response] = []

    def big_write() -> None:
        with a.client() as http:
            answers.append(
                post_data(http, a, bulk_write(vocab, "gone"), content_type=NQUADS.media_type)
            )

    thread = threading.Thread(target=big_write)
    thread.start()
    time.sleep(0.3)
    store.kill()
    thread.join(timeout=120)
    [in_flight] = answers
    if in_flight.status_code != 201:
        assert_problem(in_flight, 503, "store-unavailable")
    # The store is gone: every kind of request is a clear 503, at once.
    with a.client() as http:
        query = http.get("/sparql", params={"query": "ASK { ?s ?p ?o }"}, headers=JSON_RESULTS)
        assert_problem(query, 503, "store-unavailable")
        data_page = http.get("/id/Trump", headers={"Accept": "text/turtle"})
        assert_problem(data_page, 503, "store-unavailable")
        html_page = http.get("/id/Trump", headers={"Accept": "text/html"})
        assert html_page.status_code == 503
        assert html_page.headers["Content-Type"].startswith("text/html")
        write = post_data(http, a, claim_body("lost"))
        assert_problem(write, 503, "store-unavailable")
    store.restart()
    # The write lease the interrupted write took (Parley's lock, which lapses by itself) is
    # no data: it is left out of the comparison.
    lease = f"<{vocab.base}.well-known/parley/store-state#lease> "
    after = {line for line in store.dump() if not line.startswith(lease)}
    before = {line for line in before if not line.startswith(lease)}

    def mentions(iri: str) -> bool:
        return any(f"<{iri}>" in line for line in after)

    # All or nothing: the interrupted write is stored whole (whether or not the store could
    # still say so) or not at all; the write refused while the store was gone not at all.
    in_store = {line for line in after if f"<{BULK.value}>" in line}
    if in_store:
        assert len(in_store) == BULK_SIZE
        assert mentions(vocab.id["claim/Xgone"].value)
    else:
        assert in_flight.status_code == 503
        assert after == before
    assert not mentions(vocab.id["claim/Xlost"].value)
    # Service resumes on both replicas, without restarting Parley.
    for server, token in ((a, "backa"), (b, "backb")):
        assert server.process.poll() is None
        with server.client() as http:
            query = http.get("/sparql", params={"query": "ASK {}"}, headers=JSON_RESULTS)
            assert query.status_code == 200, query.text
            response = post_data(http, server, claim_body(token))
            assert response.status_code == 201, response.text
    assert {vocab.id["claim/Xbacka"].value, vocab.id["claim/Xbackb"].value} <= set(
        stored_claims(b, vocab)
    )
    # The lease left behind by the interrupted write was released by its process's next
    # write, not left to lapse.
    assert not any(line.startswith(lease) for line in store.dump())
    assert_store_holds_the_shapes(replicas)


# -- the store's own time limit --------------------------------------------------------------


def test_a_query_the_store_stops_at_its_own_limit_is_a_503(tmp_path: Path) -> None:
    """Oxigraph stops a query at its ``--timeout-s`` and says so inside a 200 answer it has
    begun: Parley (with a longer limit) must answer a 503 problem, not a garbled or 500
    answer."""
    oxigraph = start_oxigraph(
        tmp_path / "store", port=free_port(), log_dir=tmp_path, args=("--timeout-s", "1")
    )
    try:
        server = start_server(
            None,
            port=free_port(),
            log_dir=tmp_path,
            store_url=oxigraph.sparql_url,
            extra_args=("--query-timeout", "30"),
        )
        try:
            insert_test_triples(server)
            with server.client() as http:
                stopped = http.post(
                    "/sparql",
                    content=CROSS_PRODUCT,
                    headers={"Content-Type": "application/sparql-query", **JSON_RESULTS},
                )
            assert stopped.status_code == 503, stopped.text
            assert stopped.headers["Content-Type"].startswith("application/problem+json")
            slug = stopped.json()["type"].rsplit("/", 1)[-1]
            assert slug in ("query-timeout", "store-unavailable"), stopped.text
        finally:
            server.stop()
    finally:
        oxigraph.stop()
