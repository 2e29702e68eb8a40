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

Built stores are kept in ``var/bench/`` (delete it to rebuild).
"""

from __future__ import annotations

import argparse
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


def parley(store: Path | str) -> Server:
    """``parley serve`` on a store directory, or on a remote store's URL."""
    port = free_port()
    where = ["--store-url", store] if isinstance(store, str) else ["--store", str(store)]
    args = [str(BIN / "parley"), "serve", *where, "--port", str(port)]
    args += ["--base-iri", BASE, "--write-token-file", str(_token_file())]
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
    oxigraph_p50: float
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


def measure(size: int, writes: int, validations: int, *, remote: bool = False) -> Row:
    store = build(size)
    work = STORES / "work"
    shutil.rmtree(work, ignore_errors=True)
    shutil.copytree(store, work)
    # --remote: Parley on `oxigraph serve` (over the SPARQL protocols), not on the directory.
    behind = oxigraph(work) if remote else None
    server = parley(behind.url + "sparql" if behind else work)
    auth = {"Authorization": f"Bearer {TOKEN}"}
    try:
        with httpx.Client(base_url=server.url, timeout=120) as client:
            a = anchors(client)
            # The search index is built in the background at start; wait for it.
            client.get("search", params={"q": "claim"}).raise_for_status()
            times, gate_times, listener_times = [], [], []
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
                    times.append(elapsed)
                    stages = server_timing(response.headers.get("Server-Timing", ""))
                    listener_times.append(stages.pop("listeners", 0.0))
                    gate_times.append(sum(stages.values()))
            dry_runs = []
            for n in range(writes + 10):
                started = time.perf_counter()
                response = client.post(
                    "claims", params={"dry-run": "true"}, json=claim_fields(a, n), headers=auth
                )
                elapsed = (time.perf_counter() - started) * 1000
                if response.status_code != 200 or not response.json()["conforms"]:
                    raise RuntimeError(f"dry run refused: {response.text[:2000]}")
                if n >= 10:
                    dry_runs.append(elapsed)
            big = "\n".join(claim_turtle(a, 100_000 + n) for n in range(480)).encode()
            validate_times = []
            for _ in range(validations):
                started = time.perf_counter()
                response = client.post(
                    "validate", content=big, headers={"Content-Type": "text/turtle"}
                )
                validate_times.append((time.perf_counter() - started) * 1000)
                assert response.json()["conforms"] is True, response.text[:2000]
    finally:
        server.stop()
        if behind is not None:
            behind.stop()
    count = _count(store)
    shutil.rmtree(work, ignore_errors=True)
    shutil.copytree(store, work)
    raw = oxigraph(work)
    try:
        with httpx.Client(base_url=raw.url, timeout=120) as client:
            raw_times = []
            for n in range(writes + 10):
                body = serialize(_parse(claim_turtle(a, n)), NTRIPLES)
                started = time.perf_counter()
                response = client.post(
                    "store",
                    params={"graph": a.source.replace("/id/source/", "/graph/claims/")},
                    content=body,
                    headers={"Content-Type": "application/n-triples"},
                )
                elapsed = (time.perf_counter() - started) * 1000
                response.raise_for_status()
                if n >= 10:
                    raw_times.append(elapsed)
    finally:
        raw.stop()
        shutil.rmtree(work, ignore_errors=True)
    return Row(
        size,
        count,
        statistics.median(times),
        percentile(times, 0.99),
        statistics.median(gate_times),
        statistics.median(listener_times),
        statistics.median(raw_times),
        statistics.median(validate_times),
        statistics.median(dry_runs),
    )


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
        "--remote", action="store_true", help="Parley on an `oxigraph serve` store (--store-url)"
    )
    args = parser.parse_args()
    STORES.mkdir(parents=True, exist_ok=True)
    rows = [measure(size, args.writes, args.validations, remote=args.remote) for size in args.sizes]
    header = ["size", "store quads", "p50 ms", "p99 ms", "gate p50 ms", "listeners p50 ms"]
    header += ["oxigraph p50 ms", "/validate 10k ms", "claim dry run p50 ms"]
    print(" | ".join(header))
    for r in rows:
        cells = [str(r.size), str(r.quads), f"{r.p50:.1f}", f"{r.p99:.1f}", f"{r.gate_p50:.1f}"]
        cells += [f"{r.listeners_p50:.1f}", f"{r.oxigraph_p50:.1f}", f"{r.validate_ms:.0f}"]
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
