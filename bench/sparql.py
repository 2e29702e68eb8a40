"""SPARQL endpoint throughput: `parley serve` against `oxigraph serve`, same data, same queries.

``python -m bench.sparql --size 100000`` generates synthetic data that follows
the shapes (``bench.synth``), writes it into a store and hard-link copies of
it, serves one with ``parley serve`` (every protection on: worker processes with the query time
limit, caps, admission control, rate limit) and one with ``oxigraph serve
--union-default-graph`` (so both answer the same queries the same way), and
drives each with 4 concurrent clients through a fixed query mix: every client
sends the eight queries of the mix in turn (each client starting at a
different one), with parameters (entities, dates) drawn from a seeded
generator so both servers see the same requests. Both servers run side by
side and are measured in alternating rounds (``--rounds`` of ``--seconds``
each, the order reversed every other round), so the machine's drift affects
both alike. Parley is measured once its ``/health`` says it is ready (its
query processes started, with the ``copy`` engine its copy of the store loaded;
its search index built).

``--oxigraph-memory`` adds a third server, ``oxigraph serve`` on an in-memory
copy of the same data: the ``copy`` engine's query processes evaluate on such
a copy, so that ratio is its own cost, like for like.

``--virtuoso`` adds Virtuoso (Debian's 7.2, ``bench._virtuoso``: the tests' scratch
server, the data bulk-loaded), queried directly, and ``parley serve --store-url`` on
each remote store: on the ``oxigraph serve`` above and on that Virtuoso (the same
flags; a remote store's queries are evaluated by the store, so its row in the PSS table
is Parley's own processes and the store's is the store's row). Virtuoso's time to ready
includes its bulk load; its queries are sent as a form (its 7.2 answers a bare
``application/sparql-query`` body with a wrong Content-Length). The ratios then also put
each ``parley-on-X`` against X, and Virtuoso against ``oxigraph serve``.
``--remote-parley virtuoso`` (or ``none``) limits the ``parley-on-X`` servers: at 1M on a
loaded machine, Parley on ``oxigraph serve`` took more than 6 minutes to build its search
index over HTTP (``--remote-wait`` bounds the wait).

``--engine copy,checkpoint`` serves the data with one ``parley serve`` per
query engine (``--query-engine``; each on its own hard-link copy of the store),
measured side by side in the same rounds.

It prints queries per second, p50 and p99 (milliseconds) per server and query;
per server, the seconds from its start until it answered, until its queries
were ready and until it was ready, and the PSS of all
its processes (at rest once ready, and after the run); the load average of the
machine before and after; then, for each Parley server, ``ratio_qps``
(Parley's requests per second over the whole mix, divided by Oxigraph's) and
``ratio_p99`` (Parley's p99 over all requests, divided by Oxigraph's), against
``oxigraph serve`` in memory (with ``--oxigraph-memory``) and on disk.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from bench._sparql_report import (
    Served,
    loadavg,
    pss,
    report,
    report_ratios,
    report_servers,
    summary,
)
from bench._virtuoso import virtuoso as _virtuoso
from bench.synth import WORDS, generate
from service.rdf import NQUADS, DefaultGraph, Vocab
from service.store import OxigraphStore

CLIENTS = 4
PREFIXES = """PREFIX parley: <{base}ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX schema: <https://schema.org/>
PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
PREFIX oa: <http://www.w3.org/ns/oa#>
"""


@dataclass(frozen=True)
class Mix:
    """How many entities of each kind the generated data has (for query parameters)."""

    actors: int
    events: int


#: The fixed query mix; {actor}, {event}, {start}, {end}, {word} and {word2} vary per request.
#: The text regex scans the claims' text (their quotes), as a person searching what was
#: said would; the measurements in shared/design/measurements.md used the same scan.
QUERY_MIX = {
    "point lookup": "SELECT ?p ?o WHERE {{ {actor} ?p ?o }}",
    "claims by claimant": """SELECT ?claim ?label WHERE {{
        ?claim parley:claimant {actor} ; rdfs:label ?label }}""",
    "events in date range": """SELECT ?e ?d WHERE {{ ?e schema:startDate ?d
        FILTER(?d >= "{start}"^^xsd:date && ?d < "{end}"^^xsd:date) }} ORDER BY ?d""",
    "count by type": "SELECT ?t (COUNT(?s) AS ?n) WHERE {{ ?s a ?t }} GROUP BY ?t",
    "two-hop join": """SELECT ?claim ?event ?city WHERE {{
        ?claim parley:claimant {actor} ; parley:aboutEvent ?event .
        ?event parley:occurredAt ?city }}""",
    "optional": """SELECT ?claim ?event ?place WHERE {{ ?claim parley:aboutActor {actor}
        OPTIONAL {{ ?claim parley:aboutEvent ?event }}
        OPTIONAL {{ ?claim parley:aboutPlace ?place }} }}""",
    "property path": """SELECT ?place WHERE {{
        {event} parley:subEventOf*/parley:occurredAt/parley:locatedIn? ?place }}""",
    "text regex": """SELECT ?claim ?quote WHERE {{
        ?claim parley:hasEvidence/oa:hasSelector/oa:exact ?quote
        FILTER(regex(?quote, "{word} {word2}", "i")) }}""",
}


def _queries(base: str, mix: Mix) -> dict[str, Callable[[random.Random], str]]:
    prologue = PREFIXES.format(base=base)

    def make(template: str) -> Callable[[random.Random], str]:
        def render(rng: random.Random) -> str:
            year, month = rng.randrange(2014, 2024), rng.randrange(1, 12)
            return prologue + template.format(
                actor=f"<{base}id/synth/actor-{rng.randrange(mix.actors)}>",
                event=f"<{base}id/synth/event-{rng.randrange(mix.events)}>",
                start=f"{year}-{month:02d}-01",
                end=f"{year}-{month + 1:02d}-01",
                word=rng.choice(WORDS),
                word2=rng.choice(WORDS),
            )

        return render

    return {name: make(template) for name, template in QUERY_MIX.items()}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait(url: str, process: subprocess.Popen[bytes], seconds: float = 300) -> dict[str, float]:
    """Until ``url`` answers; for Parley's ``/health``, until it says it is ready (its query
    processes started, its search index built: work it does once, at start). When it first
    answered (``up``), said its queries were ready (``queries``), and was ready."""
    deadline = time.monotonic() + seconds
    seen: dict[str, float] = {}
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args!r} exited with {process.returncode}")
        try:
            response = httpx.get(url, timeout=2)
            now = time.monotonic()
            if response.status_code < 500:
                seen.setdefault("up", now)
                health = response.json() if url.endswith("/health") else {"ready": True}
                if health.get("queries", "ready") == "ready":
                    seen.setdefault("queries", now)
                if health.get("ready"):
                    seen.setdefault("ready", now)
                    return seen
        except (httpx.HTTPError, ValueError):  # ValueError: not JSON (not Parley there yet)
            pass
        time.sleep(0.05)
    raise RuntimeError(f"{url} did not answer")


@contextmanager
def _serving(
    args: list[str], url: str, log: Path, env: dict[str, str], wait_s: float = 300
) -> Iterator[Served]:
    started = time.monotonic()
    with log.open("wb") as out:
        process = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, env=env)
    try:
        seen = _wait(url, process, wait_s)
        yield Served(
            process, seen["up"] - started, seen["queries"] - started, seen["ready"] - started
        )
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _drive(
    endpoint: str,
    queries: dict[str, Callable[[random.Random], str]],
    seconds: float,
    seed: int,
    *,
    form: bool = False,
) -> dict[str, list[float]]:
    """4 clients send the mix's queries in turn for ``seconds``; latencies per query."""
    names = list(queries)
    latencies: dict[str, list[float]] = {name: [] for name in names}
    lock = threading.Lock()
    stop = time.monotonic() + seconds
    accept = {"Accept": "application/sparql-results+json"}
    direct = {"Content-Type": "application/sparql-query", **accept}

    def client(number: int) -> None:
        rng = random.Random(seed * 100 + number)
        mine: list[tuple[str, float]] = []
        turn = number * len(names) // CLIENTS  # stagger: the clients start apart in the mix
        with httpx.Client(timeout=600) as http:  # a regex through Parley on oxigraph at 1M: ~1 min
            while time.monotonic() < stop:
                name = names[turn % len(names)]
                turn += 1
                query = queries[name](rng)
                started = time.perf_counter()
                response = (
                    http.post(endpoint, data={"query": query}, headers=accept)
                    if form
                    else http.post(endpoint, content=query.encode(), headers=direct)
                )
                response.read()
                mine.append((name, time.perf_counter() - started))
                if response.status_code != 200:
                    raise RuntimeError(f"{endpoint}: {response.status_code} {response.text[:300]}")
        with lock:
            for name, latency in mine:
                latencies[name].append(latency)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies


def _build(
    size: int, base: str, root: Path, engines: list[str]
) -> tuple[dict[str, Path], Path, Mix]:
    vocab = Vocab(base)
    parley_stores = {engine: root / f"parley-{engine}" for engine in engines}
    started = time.perf_counter()
    store = OxigraphStore.open(root / "source", vocab)
    quads = list(generate(size, base))
    store.bulk_extend(quads)
    store.optimize()
    oxigraph_store = root / "oxigraph"
    store.backup(oxigraph_store)
    for path in parley_stores.values():
        store.backup(path)
    store.close()
    labelled = [str(q.subject) for q in quads if q.predicate.value.endswith("#label")]
    actors = len([s for s in labelled if "/id/synth/actor-" in s])
    events = len([s for s in labelled if "/id/synth/event-" in s])
    print(
        f"data: {len(quads):,} quads, {actors} actors, {events} events "
        f"({time.perf_counter() - started:.1f} s to generate and load)",
        file=sys.stderr,
    )
    return parley_stores, oxigraph_store, Mix(actors, events)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=100_000, help="triples to generate")
    parser.add_argument("--seconds", type=float, default=5.0, help="per round and server")
    parser.add_argument("--rounds", type=int, default=4, help="alternating rounds per server")
    parser.add_argument(
        "--oxigraph-memory",
        action="store_true",
        help="also measure `oxigraph serve` on an in-memory copy of the data (the engine "
        "Parley's query process evaluates on), for a like-for-like ratio",
    )
    parser.add_argument(
        "--engine",
        default="copy",
        help="Parley's query engine(s), comma-separated (copy, checkpoint): one `parley serve` "
        "each, measured side by side",
    )
    parser.add_argument(
        "--virtuoso",
        action="store_true",
        help="also measure Virtuoso directly, and `parley serve --store-url` on `oxigraph "
        "serve` and on Virtuoso",
    )
    parser.add_argument(
        "--remote-parley",
        default="oxigraph,virtuoso",
        help="with --virtuoso: the remote stores to run `parley serve --store-url` on",
    )
    parser.add_argument(
        "--remote-wait",
        type=float,
        default=3600,
        help="seconds a `parley serve --store-url` may take to be ready",
    )
    parser.add_argument(
        "--parley-args", default="", help="extra `parley serve` flags (experiments only)"
    )
    args = parser.parse_args()
    engines = args.engine.split(",")
    bin_dir = Path(sys.executable).parent
    ports = {engine: _free_port() for engine in engines}
    port_oxigraph, port_memory = _free_port(), _free_port()
    base = f"http://127.0.0.1:{ports[engines[0]]}/"  # one base IRI: the same data for all
    root = Path(tempfile.mkdtemp(prefix="parley-bench-"))
    load_before = loadavg()
    try:
        parley_stores, oxigraph_store, mix = _build(args.size, base, root, engines)
        queries = _queries(base, mix)
        nquads = root / "data.nq"  # for Virtuoso's bulk loader, before a server opens the store
        if args.virtuoso:
            nquads.write_bytes(_nquads(oxigraph_store))
        env = {k: v for k, v in os.environ.items() if not k.startswith("PARLEY_")}
        oxigraph_args = [
            str(bin_dir / "oxigraph"), "serve", "--location", str(oxigraph_store),
            "--bind", f"127.0.0.1:{port_oxigraph}", "--union-default-graph",
        ]  # fmt: skip
        oxigraph_url = f"http://127.0.0.1:{port_oxigraph}/"
        endpoints: dict[str, str] = {}
        served: dict[str, Served] = {}
        with contextlib.ExitStack() as servers:
            for engine in engines:  # one at a time: each is timed to ready on its own
                url = f"http://127.0.0.1:{ports[engine]}/"
                where = ["--store", str(parley_stores[engine]), "--query-engine", engine]
                parley_args = _parley_args(where, ports[engine], base, root, args.parley_args)
                log = root / f"p-{engine}.log"
                served[f"parley-{engine}"] = servers.enter_context(
                    _serving(parley_args, url + "health", log, env)
                )
                endpoints[f"parley-{engine}"] = url + "sparql"
            served["oxigraph"] = servers.enter_context(
                _serving(oxigraph_args, oxigraph_url, root / "o.log", env)
            )
            endpoints["oxigraph"] = oxigraph_url + "query"
            if args.oxigraph_memory:
                memory_url = f"http://127.0.0.1:{port_memory}/"
                memory_args = [
                    str(bin_dir / "oxigraph"), "serve", "--bind", f"127.0.0.1:{port_memory}",
                    "--union-default-graph",
                ]  # fmt: skip
                started = time.monotonic()
                memory = servers.enter_context(
                    _serving(memory_args, memory_url, root / "m.log", env)
                )
                _load_over_http(oxigraph_store, memory_url + "store")
                memory.queries_s = memory.ready_s = time.monotonic() - started  # data in
                served["oxigraph-mem"] = memory
                endpoints["oxigraph-mem"] = memory_url + "query"
            if args.virtuoso:
                on_stores = {"oxigraph": ["--store-url", oxigraph_url + "sparql"]}
                virtuoso = servers.enter_context(_virtuoso(root / "virtuoso", nquads=nquads))
                served["virtuoso"] = Served(
                    virtuoso.server.process, virtuoso.up_s, virtuoso.ready_s, virtuoso.ready_s
                )
                endpoints["virtuoso"] = virtuoso.server.sparql_url
                on_stores["virtuoso"] = [
                    "--store-url", virtuoso.server.sparql_url,
                    "--store-gsp-url", virtuoso.server.gsp_url,
                ]  # fmt: skip
                for store, where in on_stores.items():
                    if store not in args.remote_parley.split(","):
                        continue
                    port = _free_port()
                    url = f"http://127.0.0.1:{port}/"
                    parley_args = _parley_args(where, port, base, root, args.parley_args)
                    # Ready once its search index is built, over HTTP: more than 6 minutes
                    # on `oxigraph serve` at 1M on a loaded machine.
                    log = root / f"p-{store}.log"
                    served[f"parley-on-{store}"] = servers.enter_context(
                        _serving(parley_args, url + "health", log, env, args.remote_wait)
                    )
                    endpoints[f"parley-on-{store}"] = url + "sparql"
            for server in served.values():
                server.pss_rest = pss(server.process.pid)
            collected = _measure(endpoints, queries, args.rounds, args.seconds)
            for server in served.values():
                server.pss_run = pss(server.process.pid)
        total_seconds = args.seconds * args.rounds
        results = {
            server: {name: summary(values, total_seconds) for name, values in per_query.items()}
            for server, per_query in collected.items()
        }
        report(args.size, CLIENTS, results, total_seconds)
        report_servers(served)
        print(f"loadavg before={load_before} after={loadavg()}")
        report_ratios(results, total_seconds)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _parley_args(where: list[str], port: int, base: str, root: Path, extra: str) -> list[str]:
    """`parley serve` on ``where`` (a store and its engine, or a remote store's URLs), every
    protection on."""
    return [
        str(Path(sys.executable).parent / "parley"), "serve", *where,
        "--port", str(port), "--base-iri", base,
        "--query-timeout", "30", "--query-workers", "4",
        "--max-concurrent-queries", "8", "--rate-limit", "1000000",
        "--write-token-file", str(_token(root)), *extra.split(),
    ]  # fmt: skip


def _measure(
    endpoints: dict[str, str],
    queries: dict[str, Callable[[random.Random], str]],
    rounds: int,
    seconds: float,
) -> dict[str, dict[str, list[float]]]:
    """Latencies per server and query: rounds of ``seconds`` each, the servers' order
    reversed every other round, so the machine's drift touches them all alike."""
    collected: dict[str, dict[str, list[float]]] = {
        server: {name: [] for name in queries} for server in endpoints
    }
    for server, endpoint in endpoints.items():  # warm-up: caches, connections, processes
        _drive(endpoint, queries, 1.0, seed=0, form=server == "virtuoso")
    for round_ in range(rounds):
        order = list(endpoints) if round_ % 2 == 0 else list(reversed(endpoints))
        for server in order:
            measured = _drive(
                endpoints[server], queries, seconds, round_ + 1, form=server == "virtuoso"
            )
            for name, values in measured.items():
                collected[server][name].extend(values)
    return collected


def _load_over_http(store: Path, url: str) -> None:
    """Put the store's quads into an (empty) `oxigraph serve` through its /store endpoint."""
    response = httpx.post(
        url, content=_nquads(store), headers={"Content-Type": NQUADS.media_type}, timeout=600
    )
    response.raise_for_status()


def _nquads(store: Path) -> bytes:
    source = OxigraphStore.open_read_only(store, Vocab("http://127.0.0.1/"))
    try:
        return source.serialize_graph(DefaultGraph(), NQUADS)  # every graph: N-Quads dumps all
    finally:
        source.close()


def _token(root: Path) -> Path:
    path = root / "token"
    path.write_text("bench-token")
    return path


if __name__ == "__main__":
    main()
