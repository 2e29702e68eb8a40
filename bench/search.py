"""Search: the full-text index against a SPARQL regex scan over the same literals.

Builds an in-memory store of ``--size`` synthetic quads (``bench.synth``) plus
the ontology, builds the search index, then times each query both ways:

- ``index``: ``SearchIndex.search`` (SQLite FTS5, BM25-ranked, best 50);
- ``regex``: one SPARQL query that scans the literals the index holds (names,
  descriptions, evidence quotes) with ``FILTER(regex(?v, word, "i"))`` for
  every word. It has no LIMIT: ranking the matches needs all of them.

Prints a table (median of ``--runs`` runs each) and as its last line
``ratio_min=X`` (the smallest regex/index time ratio over the queries).
Target: at least 50 at 1M triples.

    python -m bench.search --size 1000000
"""

from __future__ import annotations

import argparse
import re
import statistics
import time
from collections.abc import Callable

from bench.synth import generate
from service.build import ModelFiles, load_ontology
from service.pages import NAME_PREDICATES, QUOTE_PATH, TEXT_PREDICATES, SearchIndex
from service.rdf import Vocab
from service.settings import Settings
from service.store import OxigraphStore

BASE = "http://bench.parley.test/"
QUERIES = ("ceasefire", "envoy guarantees", "Actor 17", "delegation proposal border", "Event 42")


def regex_query(text: str) -> str:
    """A SPARQL scan of the indexed literals for every word of ``text`` (case-insensitive)."""
    names = " ".join((*NAME_PREDICATES, *TEXT_PREDICATES))
    filters = " && ".join(f'regex(?v, "{re.escape(w)}", "i")' for w in text.split())
    return (
        "SELECT DISTINCT ?s WHERE { "
        f"{{ VALUES ?p {{ {names} }} ?s ?p ?v }} UNION {{ ?s {QUOTE_PATH} ?v }} "
        f"FILTER(isLiteral(?v) && {filters}) }}"
    )


def timed(fn: Callable[[], object], runs: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(runs):
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    vocab = Vocab(BASE)
    store = OxigraphStore.open(None, vocab)
    settings = Settings(base_iri=BASE)
    started = time.perf_counter()
    files = ModelFiles(settings.ontology_dir, settings.shapes_dir, settings.data_dir)
    store.bulk_extend(load_ontology(files, vocab))
    store.bulk_extend(generate(args.size, BASE))
    loaded = time.perf_counter() - started
    print(f"store: {store.count()} quads, loaded in {loaded:.1f} s")

    index = SearchIndex(store)
    started = time.perf_counter()
    index.rebuild()
    print(f"index: {index.count()} documents, built in {time.perf_counter() - started:.1f} s")

    header = ("query", "hits", "index ms", "regex ms", "matches", "ratio")
    print(f"{header[0]:<30} " + " ".join(f"{h:>10}" for h in header[1:]))
    ratios = []
    for text in QUERIES:
        t_index, hits = timed(lambda t=text: index.search(t), args.runs)  # type: ignore[misc]
        regex_runs = max(1, args.runs // 2)
        t_regex, rows = timed(lambda t=text: store.select(regex_query(t)), regex_runs)  # type: ignore[misc]
        assert isinstance(hits, list)
        assert isinstance(rows, list)
        ratio = t_regex / t_index if t_index > 0 else float("inf")
        ratios.append(ratio)
        print(
            f"{text:<30} {len(hits):>10} {t_index * 1000:>10.2f} {t_regex * 1000:>10.1f} "
            f"{len(rows):>10} {ratio:>10.0f}"
        )
    print(f"ratio_min={min(ratios):.0f}")


if __name__ == "__main__":
    main()
