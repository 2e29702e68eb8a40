"""Pages: the latency of every page type, side by side with its main SPARQL query.

``python -m bench.pages --size 1000000`` generates synthetic data that follows the
shapes (``bench.synth``: an actor with 10,000 claims at 1M triples, sources of 1,000
claims, propositions, reviews), adds the ontology and the class memberships the
reasoner would derive (``rdf:type`` up ``rdfs:subClassOf``, in ``graph/inferred``;
the rest of the OWL RL closure is left out: owlrl does not finish on a million
triples), and writes it into a store and a hard-link copy of it.

On the copy, the application runs in this process (Flask's test client, queries in
the process) and renders each page while every SPARQL query it asks is timed: the
page's *main query* is its costliest one. Then ``parley serve`` (every protection
on, as ``bench.sparql`` runs it) serves the store, and one client asks, in turn, each
page and its main query of ``/sparql`` on the same server, ``--requests`` times per
page type (cycling over a few entities of the type). So ``ratio`` (the page's p50 over
its query's p50) is the page's own cost: its other queries, the view model, the
template.

The pages whose lists grow (the actor with 10,000 claims, a source with 1,000) must
be paged: the bench asserts that they show at most ``MAX_CLAIM_LINKS`` links to
claims, at most ``MAX_PAGE_BYTES`` of HTML, and a link to the rest (their next page, or
a query that lists the rest).

It prints, per page type, the page's and the query's p50 and p99 (milliseconds), the
ratio and the page's size; then, as its last line, the worst p50 and p99 over the page
types and whether every page type met the targets (p50 < 100 ms, p99 < 300 ms).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import httpx

from bench._sparql_report import percentile as _percentile
from bench.sparql import _free_port, _serving, _token
from bench.synth import CLAIMS_PER_SOURCE, PROPOSITIONS, QUADS_PER_CLAIM, REVIEW_EVERY, generate
from service.build import ModelFiles, load_ontology
from service.rdf import RDF, RDFS, NamedNode, Quad, Vocab
from service.settings import Settings
from service.store import OxigraphStore

#: The targets of issue 14, per page type.
TARGET_P50_MS, TARGET_P99_MS = 100.0, 300.0
#: A paged list shows one page: claim links on the page of a long list, at most. A
#: source's text links each of its claims once (a source holds at most 1,000), so its
#: page may show that many and one page of its list.
MAX_CLAIM_LINKS = 1000 + 200
MAX_PAGE_BYTES = 2_000_000
_CLAIM_LINK = re.compile(r'href="/id/claim/[^"#?]+"')
#: A link to the rest of a long list: its next page, the list alone (paged), or a query.
_REST_LINKS = ("page=2", "?section=", 'href="/sparql?query=')


@dataclass(frozen=True)
class PageType:
    name: str
    paths: list[str]
    #: A long list: the page must be bounded and link to its next page.
    paged: bool = False


def page_types(size: int, base: str) -> list[PageType]:
    """The page types and a few pages of each, for data of ``size`` quads."""
    claims = max(20, size // QUADS_PER_CLAIM)
    actors, events = max(10, claims // 25), max(5, claims // 40)
    cities = max(4, claims // 200)
    sources = -(-claims // CLAIMS_PER_SOURCE)

    def spread(n: int, template: str, count: int = 5, step: int = 1) -> list[str]:
        return [template.format(k * step) for k in _picks(n // step, count)]

    cls = quote(base + "ontology#")
    return [
        PageType("home", ["/"]),
        PageType(
            "search",
            ["/search?q=ceasefire+envoy", "/search?q=Actor+17", "/search?q=delegation+border"],
        ),
        PageType("timeline", ["/timeline"]),
        PageType("actor", spread(actors, "/id/synth/actor-{}")),
        PageType("actor (10,000 claims)", ["/id/synth/prolific-0"], paged=True),
        PageType("place", spread(cities, "/id/synth/city-{}")),
        PageType("event", spread(events, "/id/synth/event-{}")),
        PageType("claim", spread(claims, "/id/claim/synthetic-{}")),
        PageType("source (1,000 claims)", spread(sources, "/id/source/synthetic-{}", 3), True),
        PageType("review", spread(claims, "/id/review/synthetic-{}", step=REVIEW_EVERY)),
        PageType("proposition", spread(PROPOSITIONS, "/id/proposition/synthetic-{}", 3)),
        PageType("reference source", spread(5, "/id/ref/synthetic-{}", 3)),
        PageType("named graph", spread(sources, "/graph/claims/synthetic-{}", 3)),
        PageType("instances", [f"/instances?class={cls}Claim", f"/instances?class={cls}Event"]),
        PageType("data", ["/data"]),
    ]


def _picks(n: int, count: int) -> list[int]:
    """``count`` numbers spread over ``range(n)`` (all of them when fewer)."""
    if n <= count:
        return list(range(n))
    return [(n - 1) * k // (count - 1) for k in range(count)]


# -- the store ------------------------------------------------------------------------


def type_closure(quads: list[Quad], ontology: list[Quad], vocab: Vocab) -> Iterator[Quad]:
    """The ``rdf:type`` statements the reasoner adds up ``rdfs:subClassOf`` (in
    ``graph/inferred``), for the data's members of the ontology's classes."""
    parents: dict[NamedNode, set[NamedNode]] = {}
    for q in ontology:
        sub, sup = q.subject, q.object
        is_class_pair = isinstance(sub, NamedNode) and isinstance(sup, NamedNode)
        if q.predicate == RDFS.subClassOf and is_class_pair:
            parents.setdefault(sub, set()).add(sup)  # type: ignore[arg-type]
    ancestors: dict[NamedNode, set[NamedNode]] = {}

    def up(cls: NamedNode) -> set[NamedNode]:
        if cls not in ancestors:
            ancestors[cls] = set()
            for parent in parents.get(cls, ()):
                ancestors[cls] |= {parent, *up(parent)}
        return ancestors[cls]

    inferred = vocab.inferred_graph
    for q in quads:
        if q.predicate == RDF.type and isinstance(q.object, NamedNode):
            for cls in sorted(up(q.object) - {q.object}, key=str):
                yield Quad(q.subject, RDF.type, cls, inferred)


def build_store(size: int, base: str, root: Path) -> tuple[Path, Path, int]:
    """The store for ``parley serve`` and a copy for the in-process capture; its size."""
    vocab = Vocab(base)
    settings = Settings(base_iri=base)
    files = ModelFiles(settings.ontology_dir, settings.shapes_dir, settings.data_dir)
    started = time.perf_counter()
    ontology = load_ontology(files, vocab)
    data = list(generate(size, base))
    closure = set(type_closure(data, ontology, vocab))
    store = OxigraphStore.open(root / "built", vocab)
    store.bulk_extend([*ontology, *data, *closure])
    store.optimize()
    served, captured = root / "served", root / "captured"
    store.backup(served)
    store.backup(captured)
    total = store.count()
    store.close()
    print(
        f"data: {len(data):,} quads generated, {len(closure):,} inferred types, "
        f"{len(ontology):,} of ontology; {total:,} in the store "
        f"({time.perf_counter() - started:.1f} s)",
        file=sys.stderr,
    )
    return served, captured, total


# -- the main query of each page ------------------------------------------------------


@contextmanager
def _recording() -> Iterator[list[tuple[float, str]]]:
    """Every SELECT, ASK and CONSTRUCT the embedded store evaluates meanwhile, timed
    (each of these reads its whole answer)."""
    asked: list[tuple[float, str]] = []
    originals = {name: getattr(OxigraphStore, name) for name in _ASKING}

    def timing(original: Callable[..., object]) -> Callable[..., object]:
        def timed(self: OxigraphStore, query: str, **kwargs: object) -> object:
            started = time.perf_counter()
            result = original(self, query, **kwargs)
            asked.append((time.perf_counter() - started, query))
            return result

        return timed

    for name, original in originals.items():
        setattr(OxigraphStore, name, timing(original))
    try:
        yield asked
    finally:
        for name, original in originals.items():
            setattr(OxigraphStore, name, original)


#: The store's methods that evaluate a query (``select`` calls ``select_with_variables``).
_ASKING = ("select_with_variables", "ask", "construct")


def main_queries(captured: Path, base: str, types: list[PageType]) -> dict[str, str | None]:
    """Each page's costliest query (median of three renders), by path; pages that answer
    anything but 200 are left out of ``types`` (a page this version does not have)."""
    from service.web import create_app

    settings = Settings(base_iri=base, store_path=captured, query_workers=0)
    app = create_app(settings)
    client = app.test_client()
    found: dict[str, str | None] = {}
    try:
        client.get("/search?q=warm")  # the search index is built on first use
        for kind in types:
            for path in list(kind.paths):
                costs: dict[str, list[float]] = {}
                for _ in range(3):
                    with _recording() as asked:
                        response = client.get(path, headers={"Accept": "text/html"})
                    if response.status_code != 200:
                        break
                    for seconds, query in asked:
                        costs.setdefault(query, []).append(seconds)
                if response.status_code != 200:
                    print(f"{path}: {response.status_code}, left out", file=sys.stderr)
                    kind.paths.remove(path)
                    continue
                found[path] = (
                    max(costs, key=lambda q: sorted(costs[q])[len(costs[q]) // 2])
                    if costs
                    else None
                )
    finally:
        app.extensions["parley"].store.close()
    return found


# -- the measurement ------------------------------------------------------------------


@dataclass
class Measured:
    page: list[float] = field(default_factory=list)
    query: list[float] = field(default_factory=list)
    page_bytes: int = 0
    claim_links: int = 0
    has_next: bool = False


def measure(
    url: str, types: list[PageType], queries: dict[str, str | None], requests: int
) -> dict[str, Measured]:
    """One client: each page type's pages in turn, each followed by its main query."""
    results = {kind.name: Measured() for kind in types if kind.paths}
    with httpx.Client(base_url=url, timeout=120) as http:
        for kind in types:  # warm-up: connections, caches, the query processes
            for path in kind.paths:
                _get(http, path)
        for n in range(requests):
            for kind in types:
                if not kind.paths:
                    continue
                path = kind.paths[n % len(kind.paths)]
                m = results[kind.name]
                seconds, body = _get(http, path)
                m.page.append(seconds)
                m.page_bytes = max(m.page_bytes, len(body))
                m.claim_links = max(m.claim_links, len(_CLAIM_LINK.findall(body)))
                m.has_next = any(link in body for link in _REST_LINKS)
                query = queries.get(path)
                if query is not None:
                    m.query.append(_sparql(http, query))
    return results


def _get(http: httpx.Client, path: str) -> tuple[float, str]:
    started = time.perf_counter()
    response = http.get(path, headers={"Accept": "text/html"})
    body = response.text
    seconds = time.perf_counter() - started
    if response.status_code != 200:
        raise RuntimeError(f"{path}: {response.status_code} {body[:300]}")
    return seconds, body


def _sparql(http: httpx.Client, query: str) -> float:
    started = time.perf_counter()
    response = http.post(
        "/sparql",
        content=query.encode(),
        headers={
            "Content-Type": "application/sparql-query",
            "Accept": "application/sparql-results+json",
        },
    )
    response.read()
    seconds = time.perf_counter() - started
    if response.status_code != 200:
        raise RuntimeError(f"/sparql: {response.status_code} {response.text[:300]}\n{query}")
    return seconds


def report(size: int, total: int, types: list[PageType], results: dict[str, Measured]) -> bool:
    """The table and the summary line; True when every page type met the targets."""
    requests = max(len(m.page) for m in results.values())
    print(f"size={size} quads_in_store={total} requests_per_page_type={requests}")
    header = ("page", "p50 ms", "p99 ms", "query p50", "query p99", "ratio", "KB", "claims")
    print(f"{header[0]:<24}" + "".join(f"{h:>11}" for h in header[1:]))
    worst50, worst99, missed = (0.0, ""), (0.0, ""), []
    for kind in types:
        if kind.name not in results:
            continue
        m = results[kind.name]
        p50, p99 = _percentile(m.page, 50) * 1000, _percentile(m.page, 99) * 1000
        q50 = _percentile(m.query, 50) * 1000 if m.query else float("nan")
        q99 = _percentile(m.query, 99) * 1000 if m.query else float("nan")
        ratio = p50 / q50 if m.query else float("nan")
        print(
            f"{kind.name:<24}{p50:>11.1f}{p99:>11.1f}{q50:>11.1f}{q99:>11.1f}{ratio:>11.1f}"
            f"{m.page_bytes / 1024:>11.0f}{m.claim_links:>11}"
        )
        worst50 = max(worst50, (p50, kind.name))
        worst99 = max(worst99, (p99, kind.name))
        if p50 >= TARGET_P50_MS or p99 >= TARGET_P99_MS:
            missed.append(kind.name)
    met = not missed
    print(
        f"p50_max={worst50[0]:.1f} ({worst50[1]}) p99_max={worst99[0]:.1f} ({worst99[1]}) "
        f"targets p50<{TARGET_P50_MS:g} p99<{TARGET_P99_MS:g}: "
        + ("met by every page type" if met else "missed by " + ", ".join(missed))
    )
    return met


def check_paged(types: Iterable[PageType], results: dict[str, Measured]) -> None:
    """The long lists are paged: bounded pages that link to the rest of the list."""
    for kind in types:
        if not kind.paged or kind.name not in results:
            continue
        m = results[kind.name]
        assert m.claim_links <= MAX_CLAIM_LINKS, f"{kind.name}: {m.claim_links} claim links"
        assert m.page_bytes <= MAX_PAGE_BYTES, f"{kind.name}: {m.page_bytes} bytes"
        assert m.has_next, f"{kind.name}: no link to the rest of the list"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1_000_000, help="triples to generate")
    parser.add_argument("--requests", type=int, default=100, help="per page type and query")
    parser.add_argument("--port", type=int, default=0, help="for parley serve (0: any free)")
    parser.add_argument(
        "--only", default="", help="page types to measure, separated by ';' (or ',')"
    )
    args = parser.parse_args()
    port = args.port or _free_port()
    base = f"http://127.0.0.1:{port}/"
    root = Path(tempfile.mkdtemp(prefix="parley-bench-pages-"))
    try:
        served, captured, total = build_store(args.size, base, root)
        types = page_types(args.size, base)
        if args.only:
            # Names hold commas ("actor (10,000 claims)"): ';' separates them too.
            wanted = {w.strip() for w in re.split(r";|,(?! ?\d)", args.only)}
            types = [t for t in types if t.name in wanted]
        started = time.perf_counter()
        queries = main_queries(captured, base, types)
        print(f"main queries captured ({time.perf_counter() - started:.1f} s)", file=sys.stderr)
        shutil.rmtree(captured, ignore_errors=True)
        bin_dir = Path(sys.executable).parent
        parley_args = [
            str(bin_dir / "parley"), "serve", "--store", str(served), "--port", str(port),
            "--base-iri", base, "--query-timeout", "30", "--query-workers", "4",
            "--max-concurrent-queries", "8", "--rate-limit", "1000000",
            "--write-token-file", str(_token(root)),
        ]  # fmt: skip
        env = {k: v for k, v in os.environ.items() if not k.startswith("PARLEY_")}
        log = root / "serve.log"
        try:
            with _serving(parley_args, base + "health", log, env):
                results = measure(base.rstrip("/"), types, queries, args.requests)
        except RuntimeError:
            print(log.read_text(errors="replace")[-3000:], file=sys.stderr)
            raise
        report(args.size, total, types, results)
        check_paged(types, results)
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
