"""SPARQL endpoint throughput: `parley serve` against `oxigraph serve`, same data, same queries.

``python -m bench.sparql --size 100000`` generates synthetic data that follows
the shapes (``bench.synth``), writes it into two stores, serves one with
``parley serve`` (every protection on: worker processes with the query time
limit, caps, admission control, rate limit) and one with ``oxigraph serve
--union-default-graph`` (so both answer the same queries the same way), and
drives each with 4 concurrent clients through a fixed query mix: every client
sends the eight queries of the mix in turn (each client starting at a
different one), with parameters (entities, dates) drawn from a seeded
generator so both servers see the same requests. Both servers run side by
side and are measured in alternating rounds (``--rounds`` of ``--seconds``
each, the order reversed every other round), so the machine's drift affects
both alike. Parley is measured once its ``/health`` says it is ready (its
query process's copy of the store loaded, its search index built).

``--oxigraph-memory`` adds a third server, ``oxigraph serve`` on an in-memory
copy of the same data: Parley's query process evaluates on such a copy, so
that ratio (printed before the last line) is Parley's own cost, like for like.

It prints queries per second, p50 and p99 (milliseconds) per server and query,
then ``ratio_qps`` (Parley's requests per second over the whole mix, divided
by Oxigraph's) and ``ratio_p99`` (Parley's p99 over all requests, divided by
Oxigraph's) as the last line.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import shutil
import signal
import socket
import statistics
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

from bench.synth import WORDS, generate
from service.rdf._formats import NQUADS
from service.rdf._terms import DefaultGraph
from service.rdf._vocab import Vocab
from service.store._oxigraph import OxigraphStore

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


def _wait(url: str, process: subprocess.Popen[bytes], seconds: float = 300) -> None:
    """Until ``url`` answers; for Parley's ``/health``, until it says it is ready (its copy
    of the store loaded, its search index built: work it does once, at start)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args!r} exited with {process.returncode}")
        try:
            response = httpx.get(url, timeout=2)
            if response.status_code < 500 and (
                not url.endswith("/health") or response.json().get("ready")
            ):
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer")


@contextmanager
def _serving(args: list[str], url: str, log: Path, env: dict[str, str]) -> Iterator[None]:
    with log.open("wb") as out:
        process = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, env=env)
    try:
        _wait(url, process)
        yield
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _drive(
    endpoint: str, queries: dict[str, Callable[[random.Random], str]], seconds: float, seed: int
) -> dict[str, list[float]]:
    """4 clients send the mix's queries in turn for ``seconds``; latencies per query."""
    names = list(queries)
    latencies: dict[str, list[float]] = {name: [] for name in names}
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def client(number: int) -> None:
        rng = random.Random(seed * 100 + number)
        mine: list[tuple[str, float]] = []
        turn = number * len(names) // CLIENTS  # stagger: the clients start apart in the mix
        with httpx.Client(timeout=120) as http:
            while time.monotonic() < stop:
                name = names[turn % len(names)]
                turn += 1
                query = queries[name](rng)
                started = time.perf_counter()
                response = http.post(
                    endpoint,
                    content=query.encode(),
                    headers={
                        "Content-Type": "application/sparql-query",
                        "Accept": "application/sparql-results+json",
                    },
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


def _percentile(values: list[float], q: int) -> float:
    return (
        statistics.quantiles(values, n=100, method="inclusive")[q - 1]
        if len(values) > 1
        else values[0]
    )


@dataclass
class Measured:
    qps: float
    p50_ms: float
    p99_ms: float
    latencies: list[float]


def _summary(latencies: list[float], seconds: float) -> Measured:
    return Measured(
        len(latencies) / seconds,
        _percentile(latencies, 50) * 1000,
        _percentile(latencies, 99) * 1000,
        latencies,
    )


def _build(size: int, base: str, root: Path) -> tuple[Path, Path, Mix]:
    vocab = Vocab(base)
    parley_store = root / "parley"
    started = time.perf_counter()
    store = OxigraphStore.open(parley_store, vocab)
    quads = list(generate(size, base))
    store.bulk_extend(quads)
    store.optimize()
    oxigraph_store = root / "oxigraph"
    store.backup(oxigraph_store)
    store.close()
    labelled = [str(q.subject) for q in quads if q.predicate.value.endswith("#label")]
    actors = len([s for s in labelled if "/id/synth/actor-" in s])
    events = len([s for s in labelled if "/id/synth/event-" in s])
    print(
        f"data: {len(quads):,} quads, {actors} actors, {events} events "
        f"({time.perf_counter() - started:.1f} s to generate and load)",
        file=sys.stderr,
    )
    return parley_store, oxigraph_store, Mix(actors, events)


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
        "--parley-args", default="", help="extra `parley serve` flags (experiments only)"
    )
    args = parser.parse_args()
    bin_dir = Path(sys.executable).parent
    port_parley, port_oxigraph, port_memory = _free_port(), _free_port(), _free_port()
    base = f"http://127.0.0.1:{port_parley}/"
    root = Path(tempfile.mkdtemp(prefix="parley-bench-"))
    try:
        parley_store, oxigraph_store, mix = _build(args.size, base, root)
        queries = _queries(base, mix)
        env = {k: v for k, v in os.environ.items() if not k.startswith("PARLEY_")}
        parley_args = [
            str(bin_dir / "parley"), "serve", "--store", str(parley_store),
            "--port", str(port_parley), "--base-iri", base,
            "--query-timeout", "30", "--query-workers", "4", "--max-concurrent-queries", "8",
            "--rate-limit", "1000000", "--write-token-file", str(_token(root)),
            *args.parley_args.split(),
        ]  # fmt: skip
        oxigraph_args = [
            str(bin_dir / "oxigraph"), "serve", "--location", str(oxigraph_store),
            "--bind", f"127.0.0.1:{port_oxigraph}", "--union-default-graph",
        ]  # fmt: skip
        oxigraph_url = f"http://127.0.0.1:{port_oxigraph}/"
        endpoints = {"parley": base + "sparql", "oxigraph": oxigraph_url + "query"}
        with contextlib.ExitStack() as servers:
            servers.enter_context(_serving(parley_args, base + "health", root / "p.log", env))
            servers.enter_context(_serving(oxigraph_args, oxigraph_url, root / "o.log", env))
            if args.oxigraph_memory:
                memory_url = f"http://127.0.0.1:{port_memory}/"
                memory_args = [
                    str(bin_dir / "oxigraph"), "serve", "--bind", f"127.0.0.1:{port_memory}",
                    "--union-default-graph",
                ]  # fmt: skip
                servers.enter_context(_serving(memory_args, memory_url, root / "m.log", env))
                _load_over_http(oxigraph_store, memory_url + "store")
                endpoints["oxigraph-mem"] = memory_url + "query"
            collected = _measure(endpoints, queries, args.rounds, args.seconds)
        total_seconds = args.seconds * args.rounds
        results = {
            server: {name: _summary(values, total_seconds) for name, values in per_query.items()}
            for server, per_query in collected.items()
        }
        _report(args.size, results, total_seconds)
    finally:
        shutil.rmtree(root, ignore_errors=True)


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
    for endpoint in endpoints.values():  # warm-up: caches, connections, query processes
        _drive(endpoint, queries, 1.0, seed=0)
    for round_ in range(rounds):
        order = list(endpoints) if round_ % 2 == 0 else list(reversed(endpoints))
        for server in order:
            for name, values in _drive(endpoints[server], queries, seconds, round_ + 1).items():
                collected[server][name].extend(values)
    return collected


def _load_over_http(store: Path, url: str) -> None:
    """Put the store's quads into an (empty) `oxigraph serve` through its /store endpoint."""
    source = OxigraphStore.open_read_only(store, Vocab("http://127.0.0.1/"))
    data = source.serialize_graph(DefaultGraph(), NQUADS)  # every graph: N-Quads dumps all
    source.close()
    response = httpx.post(
        url, content=data, headers={"Content-Type": NQUADS.media_type}, timeout=600
    )
    response.raise_for_status()


def _token(root: Path) -> Path:
    path = root / "token"
    path.write_text("bench-token")
    return path


def _report(size: int, results: dict[str, dict[str, Measured]], seconds: float) -> None:
    print(f"size={size} clients={CLIENTS} seconds_per_server={seconds:g}")
    print(f"{'query':<22} {'server':<12} {'qps':>9} {'p50 ms':>9} {'p99 ms':>9}")
    for name in results["parley"]:
        for server in results:
            m = results[server][name]
            print(f"{name:<22} {server:<12} {m.qps:>9.1f} {m.p50_ms:>9.2f} {m.p99_ms:>9.2f}")
    total: dict[str, tuple[float, float]] = {}
    for server, measured in results.items():
        latencies = [x for m in measured.values() for x in m.latencies]
        total[server] = (len(latencies) / seconds, _percentile(latencies, 99))
        qps, p99 = total[server]
        print(f"{'all':<22} {server:<12} {qps:>9.1f} {'':>9} {p99 * 1000:>9.2f}")
    if "oxigraph-mem" in total:  # like for like: the same engine on the same in-memory data
        ratio_qps = total["parley"][0] / total["oxigraph-mem"][0]
        ratio_p99 = total["parley"][1] / total["oxigraph-mem"][1]
        print(f"against oxigraph in memory: ratio_qps={ratio_qps:.2f} ratio_p99={ratio_p99:.2f}")
    ratio_qps = total["parley"][0] / total["oxigraph"][0]
    ratio_p99 = total["parley"][1] / total["oxigraph"][1]
    print(f"ratio_qps={ratio_qps:.2f} ratio_p99={ratio_p99:.2f}")


if __name__ == "__main__":
    main()
