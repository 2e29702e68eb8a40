"""Writes through the gate: a 20-triple write at 10k, 100k and 1M triples.

For each size, a store is built on disk from ``bench.synth`` (data that follows
the shapes), the ontology, the shapes and the inferred graph (computed by the
incremental reasoner in memory: owlrl would take hours at 1M), and served by a
real ``parley serve``. Each write is a new claim with its evidence span,
selectors and a stance, about existing actors and an existing event, quoting
an existing source: 21 triples through ``POST /data``, so validation in
context, reasoning, the provenance record and the commit are all timed, as a
client sees them. Side by side: the same triples through ``oxigraph serve``'s
Graph Store Protocol on a copy of the same store (no validation, no reasoning).
``POST /validate`` of a 10k-triple file (about 480 new claims) is timed too, and the
claim form's live check: ``POST /claims?dry-run=true`` of one claim's fields (JSON),
which builds the claim, checks its quote against the source's text and runs the gate
without writing (target: p50 under 100 ms at 1M).

Prints a table (p50 and p99 of ``--writes`` writes per size, as the client
sees them; the gate's own share and the listeners' (the search index update),
from the ``Server-Timing`` header) and as its last line ``p50_ms_1m=N
ratio_1m_10k=R dry_run_p50_ms_1m=D`` (client-side p50). Targets: p50 at most 100 ms
at 1M and the 1M/10k ratio at most 2; the dry run's p50 under 100 ms at 1M.

    python -m bench.write                      # 10k, 100k, 1M
    python -m bench.write --sizes 10000 --writes 50
    python -m bench.write --remote             # Parley on `oxigraph serve` (--store-url)
    python -m bench.write --remote virtuoso    # Parley on Virtuoso (bench._virtuoso)

Built stores are kept in ``var/bench/`` (delete it to rebuild).
"""

from __future__ import annotations

import argparse
import contextlib
import shutil
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

from bench._virtuoso import virtuoso
from bench.synth import generate
from service.build import ModelFiles, load_ontology, load_shapes
from service.rdf import NTRIPLES, NamedNode, Quad, Vocab, serialize
from service.reasoning import Fact, Node, Reasoner, compile_rules
from service.settings import PROJECT_ROOT, Settings
from service.store import OxigraphStore

BASE = "http://bench.parley.test/"
TOKEN = "bench-token"
BIN = Path(sys.executable).parent
STORES = PROJECT_ROOT / "var" / "bench"
#: On a remote store the time limit (also validation's) is raised: ``/validate`` of the
#: 10k-triple file passed 30 s on Virtuoso (a query per node), and the bench times it.
LONGER = ("--query-timeout", "300")


class _Nothing:
    """An empty closure, to compute a whole one in memory."""

    def contains(self, fact: Fact) -> bool:
        return False

    def objects(self, subject: Node, predicate: NamedNode) -> Iterator[Node]:
        return iter(())

    def subjects(self, predicate: NamedNode, obj: Node) -> Iterator[Node]:
        return iter(())


def build(size: int) -> Path:
    """The store for ``size`` synthetic triples (built once, then reused)."""
    path = STORES / f"store-{size}"
    if (path / ".built").exists():
        return path
    shutil.rmtree(path, ignore_errors=True)
    vocab = Vocab(BASE)
    settings = Settings(base_iri=BASE)
    files = ModelFiles(settings.ontology_dir, settings.shapes_dir, settings.data_dir)
    ontology, shapes = load_ontology(files, vocab), load_shapes(files, vocab)
    started = time.perf_counter()
    data = list(generate(size, BASE))
    asserted = {(q.subject, q.predicate, q.object) for q in data}
    closure = Reasoner(compile_rules(ontology)).update(
        _Nothing(), deleted=[], inserted=list(asserted), still_asserted=asserted.__contains__
    )
    inferred = [
        Quad(s, p, o, vocab.inferred_graph)  # type: ignore[arg-type]
        for s, p, o in closure.added
        if (s, p, o) not in asserted
    ]
    store = OxigraphStore.open(path, vocab)
    store.bulk_extend([*ontology, *shapes, *data, *inferred])
    store.optimize()
    store.close()
    (path / ".built").write_text(f"{size}\n")
    print(
        f"built {size}: {len(data)} data + {len(inferred)} inferred quads "
        f"in {time.perf_counter() - started:.0f} s",
        file=sys.stderr,
    )
    return path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    url: str

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)

    close = stop  # contextlib.closing


def start(args: list[str], url: str, health: str) -> Server:
    process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(url + health, timeout=1).status_code < 500:
                return Server(process, url)
        except httpx.HTTPError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError(f"{args[0]} did not start")


def parley(store: Path | str, *extra: str) -> Server:
    """``parley serve`` on a store directory, or on a remote store's URL."""
    port = free_port()
    where = ["--store-url", store] if isinstance(store, str) else ["--store", str(store)]
    args = [str(BIN / "parley"), "serve", *where, "--port", str(port)]
    args += ["--base-iri", BASE, "--write-token-file", str(_token_file()), *extra]
    return start(args, f"http://127.0.0.1:{port}/", "health")


def _token_file() -> Path:
    path = STORES / "token"
    path.write_text(TOKEN)
    return path


def oxigraph(store: Path) -> Server:
    port = free_port()
    args = [str(BIN / "oxigraph"), "serve", "--location", str(store), "--bind", f"127.0.0.1:{port}"]
    return start(args, f"http://127.0.0.1:{port}/", "query?query=ASK%7B%7D")


@dataclass(frozen=True)
class Anchors:
    """Existing nodes a new claim is about and quotes."""

    actors: list[str]
    event: str
    source: str
    quote: str
    start: str
    end: str


def anchors(client: httpx.Client) -> Anchors:
    query = """SELECT ?actor ?event ?source ?quote ?start ?end WHERE {
        ?c parley:claimant ?actor ; parley:aboutEvent ?event ; parley:hasEvidence ?e .
        ?e oa:hasSource ?source ; oa:hasSelector ?q, ?p .
        ?q oa:exact ?quote . ?p oa:start ?start ; oa:end ?end } LIMIT 20"""
    rows = client.get(
        "sparql", params={"query": query}, headers={"Accept": "application/sparql-results+json"}
    ).json()["results"]["bindings"]
    actors = sorted({r["actor"]["value"] for r in rows})
    row = rows[0]
    return Anchors(
        actors,
        row["event"]["value"],
        row["source"]["value"],
        row["quote"]["value"],
        row["start"]["value"],
        row["end"]["value"],
    )


def claim_turtle(a: Anchors, n: int) -> str:
    """A new claim with its evidence and a stance: 21 triples."""
    c = f"<{BASE}id/claim/bench-{n}>"
    actor, other = a.actors[n % len(a.actors)], a.actors[(n + 1) % len(a.actors)]
    return f"""@prefix parley: <{BASE}ontology#> . @prefix oa: <http://www.w3.org/ns/oa#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
{c} a parley:Claim ; rdfs:label "Benchmark claim {n}"@en ; parley:claimant <{actor}> ;
    parley:appearsIn <{a.source}> ; parley:modality parley:modality-asserted ;
    parley:claimType parley:type-factual ; parley:aboutActor <{other}> ;
    parley:aboutEvent <{a.event}> ; parley:hasEvidence <{c[1:-1]}#e> ;
    parley:hasStance <{c[1:-1]}#s> .
<{c[1:-1]}#s> parley:stanceToward <{other}> ; parley:stanceValue parley:stance-neutral .
<{c[1:-1]}#e> a parley:EvidenceSpan ; oa:hasSource <{a.source}> ;
    oa:hasSelector <{c[1:-1]}#q>, <{c[1:-1]}#p> .
<{c[1:-1]}#q> a oa:TextQuoteSelector ; oa:exact "{a.quote}" .
<{c[1:-1]}#p> a oa:TextPositionSelector ;
    oa:start "{a.start}"^^xsd:nonNegativeInteger ; oa:end "{a.end}"^^xsd:nonNegativeInteger .
"""


def claim_fields(a: Anchors, n: int) -> dict[str, object]:
    """The fields of the claim ``claim_turtle`` writes, as the claim form sends them."""
    actor, other = a.actors[n % len(a.actors)], a.actors[(n + 1) % len(a.actors)]
    return {
        "source": a.source,
        "exact": a.quote,
        "start": a.start,
        "end": a.end,
        "claimant": actor,
        "modality": "modality-asserted",
        "claimType": "type-factual",
        "aboutEvent": a.event,
        "label": f"Benchmark claim {n}",
        "stances": [{"toward": other, "value": "stance-neutral"}],
    }


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


@dataclass
class Row:
    size: int
    quads: int
    p50: float
    p99: float
    gate_p50: float
    listeners_p50: float
    store_p50: float
    validate_ms: float
    dry_run_p50: float


def server_timing(header: str) -> dict[str, float]:
    """``Server-Timing: prepare;dur=1.2, reason;dur=3.4`` as a dict."""
    found = {}
    for part in header.split(","):
        name, _, duration = part.strip().partition(";dur=")
        if duration:
            found[name] = float(duration)
    return found


def measure(size: int, writes: int, validations: int, *, remote: str | None = None) -> Row:
    """One row: Parley on the store of ``size`` (embedded, or on the ``remote`` engine,
    ``oxigraph`` or ``virtuoso``), then the same triples through a store's Graph Store
    Protocol (Virtuoso's own with ``remote="virtuoso"``, else `oxigraph serve`'s)."""
    store = build(size)
    work = STORES / "work"
    shutil.rmtree(work, ignore_errors=True)
    with contextlib.ExitStack() as stack:
        if remote == "virtuoso":  # its database in the scratch directory, loaded in bulk
            shutil.rmtree(STORES / "virtuoso", ignore_errors=True)
            stack.callback(shutil.rmtree, STORES / "virtuoso", True)
            started = stack.enter_context(virtuoso(STORES / "virtuoso", store=store, base_iri=BASE))
            behind = started.server
            print(f"virtuoso {size}: loaded, ready in {started.ready_s:.0f} s", file=sys.stderr)
            server = parley(behind.sparql_url, "--store-gsp-url", behind.gsp_url, *LONGER)
        else:
            shutil.copytree(store, work)
            # --remote: Parley on `oxigraph serve` (over the SPARQL protocols), not on the store.
            on = oxigraph(work) if remote else None
            if on is not None:
                stack.callback(on.stop)
            server = parley(on.url + "sparql", *LONGER) if on else parley(work)
        with contextlib.closing(server):
            a, timed = _through_parley(server, writes, validations)
        if remote == "virtuoso":  # new claims (the numbers past Parley's), Virtuoso's GSP
            raw_times = _raw_writes(behind.gsp_url, "graph-uri", "text/turtle", a, writes, 10_000)
    if remote != "virtuoso":
        shutil.rmtree(work, ignore_errors=True)
        shutil.copytree(store, work)
        with contextlib.closing(oxigraph(work)) as raw:
            raw_times = _raw_writes(raw.url + "store", "graph", "application/n-triples", a, writes)
        shutil.rmtree(work, ignore_errors=True)
    return Row(
        size,
        _count(store),
        statistics.median(timed.times),
        percentile(timed.times, 0.99),
        statistics.median(timed.gate),
        statistics.median(timed.listeners),
        statistics.median(raw_times),
        statistics.median(timed.validate),
        statistics.median(timed.dry_runs),
    )


@dataclass
class Timed:
    """Milliseconds per request through Parley."""

    times: list[float]
    gate: list[float]
    listeners: list[float]
    dry_runs: list[float]
    validate: list[float]


def _through_parley(server: Server, writes: int, validations: int) -> tuple[Anchors, Timed]:
    """Writes, claim dry runs and validations through ``server`` (10 first to warm up)."""
    auth = {"Authorization": f"Bearer {TOKEN}"}
    with httpx.Client(base_url=server.url, timeout=120) as client:
        a = anchors(client)
        # The search index is built in the background at start; wait for it.
        client.get("search", params={"q": "claim"}).raise_for_status()
        timed = Timed([], [], [], [], [])
        for n in range(writes + 10):
            body = claim_turtle(a, n).encode()
            started = time.perf_counter()
            response = client.post(
                "data",
                params={"graph": a.source.replace("/id/source/", "/graph/claims/")},
                content=body,
                headers={"Content-Type": "text/turtle", **auth},
            )
            elapsed = (time.perf_counter() - started) * 1000
            if response.status_code != 201:
                raise RuntimeError(f"write refused: {response.text[:2000]}")
            if n >= 10:  # the first ones warm caches up
                timed.times.append(elapsed)
                stages = server_timing(response.headers.get("Server-Timing", ""))
                timed.listeners.append(stages.pop("listeners", 0.0))
                timed.gate.append(sum(stages.values()))
        for n in range(writes + 10):
            started = time.perf_counter()
            response = client.post(
                "claims", params={"dry-run": "true"}, json=claim_fields(a, n), headers=auth
            )
            elapsed = (time.perf_counter() - started) * 1000
            if response.status_code != 200 or not response.json()["conforms"]:
                raise RuntimeError(f"dry run refused: {response.text[:2000]}")
            if n >= 10:
                timed.dry_runs.append(elapsed)
        big = "\n".join(claim_turtle(a, 100_000 + n) for n in range(480)).encode()
        for _ in range(validations):
            started = time.perf_counter()
            response = client.post("validate", content=big, headers={"Content-Type": "text/turtle"})
            timed.validate.append((time.perf_counter() - started) * 1000)
            assert response.json().get("conforms") is True, response.text[:2000]
    return a, timed


def _raw_writes(
    url: str, graph_param: str, media_type: str, a: Anchors, writes: int, first: int = 0
) -> list[float]:
    """The same claims straight into a store's Graph Store Protocol (``POST``): no gate."""
    times = []
    with httpx.Client(timeout=120) as client:
        for n in range(writes + 10):
            body = serialize(_parse(claim_turtle(a, first + n)), NTRIPLES)  # Turtle too
            started = time.perf_counter()
            response = client.post(
                url,
                params={graph_param: a.source.replace("/id/source/", "/graph/claims/")},
                content=body,
                headers={"Content-Type": media_type},
            )
            elapsed = (time.perf_counter() - started) * 1000
            response.raise_for_status()
            if n >= 10:
                times.append(elapsed)
    return times


def _parse(turtle: str) -> list[Quad]:
    from service.rdf import TURTLE, parse

    return parse(turtle.encode(), TURTLE)


def _count(path: Path) -> int:
    store = OxigraphStore.open(path, Vocab(BASE))
    try:
        return store.count()
    finally:
        store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--writes", type=int, default=100)
    parser.add_argument("--validations", type=int, default=3)
    parser.add_argument(
        "--remote",
        nargs="?",
        const="oxigraph",
        choices=["oxigraph", "virtuoso"],
        help="Parley on a remote store (--store-url): `oxigraph serve` (the default) or "
        "Virtuoso (bench._virtuoso; its own Graph Store Protocol in the raw column)",
    )
    args = parser.parse_args()
    STORES.mkdir(parents=True, exist_ok=True)
    rows = [measure(size, args.writes, args.validations, remote=args.remote) for size in args.sizes]
    header = ["size", "store quads", "p50 ms", "p99 ms", "gate p50 ms", "listeners p50 ms"]
    header += [f"{args.remote or 'oxigraph'} GSP p50 ms", "/validate 10k ms"]
    header += ["claim dry run p50 ms"]
    print(" | ".join(header))
    for r in rows:
        cells = [str(r.size), str(r.quads), f"{r.p50:.1f}", f"{r.p99:.1f}", f"{r.gate_p50:.1f}"]
        cells += [f"{r.listeners_p50:.1f}", f"{r.store_p50:.1f}", f"{r.validate_ms:.0f}"]
        cells += [f"{r.dry_run_p50:.1f}"]
        print(" | ".join(cells))
    by_size = {r.size: r for r in rows}
    big, small = by_size.get(1_000_000, rows[-1]), by_size.get(10_000, rows[0])
    print(
        f"p50_ms_1m={big.p50:.1f} ratio_1m_10k={big.p50 / small.p50:.2f} "
        f"dry_run_p50_ms_1m={big.dry_run_p50:.1f}"
    )


if __name__ == "__main__":
    main()
