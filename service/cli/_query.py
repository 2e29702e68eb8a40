"""What ``parley query`` and ``parley stats`` do (no click here)."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from service.cli._running import in_use_by
from service.errors import ConfigError, NotAcceptableError, StoreInUseError
from service.rdf import (
    RDF_FORMATS,
    RESULT_FORMATS,
    TURTLE,
    BlankNode,
    DefaultGraph,
    Literal,
    NamedNode,
    Term,
    Vocab,
    has_dataset_clause,
    negotiate,
    query_form,
)
from service.settings import Settings
from service.store import GraphStore, open_store


@contextmanager
def local_store(settings: Settings) -> Iterator[GraphStore]:
    """The settings' store, opened for one command and closed after it, for reading: when a
    running ``parley serve`` holds the store, its SPARQL endpoint (found in its server file)."""
    try:
        store = open_local_store(settings)
    except StoreInUseError as error:
        server = in_use_by(settings, error)
        store = open_store(server.sparql_settings(settings), must_exist=True)
    try:
        yield store
    finally:
        store.close()


def open_local_store(settings: Settings) -> GraphStore:
    """The store a command works on: the directory (``--store``) or the remote store
    (``--store-url``)."""
    if settings.store_url is None and settings.store_path is None:
        raise ConfigError(
            "no store given: pass --store DIR or --store-url URL (or set PARLEY_STORE)"
        )
    return open_store(settings, must_exist=True)


def short(term: Term | None, vocab: Vocab) -> str:
    """A term as a person reads it in a table: prefixed names, plain literals."""
    if term is None:
        return ""
    if isinstance(term, Literal):
        return term.value
    if isinstance(term, BlankNode):
        return f"_:{term.value}"
    # The longest namespace first: claim:headline, not id:claim/headline.
    for prefix, iri in sorted(vocab.prefixes().items(), key=lambda p: -len(p[1])):
        if term.value.startswith(iri) and len(term.value) > len(iri):
            return f"{prefix}:{term.value[len(iri) :]}"
    return f"<{term.value}>"


def table(header: list[str], rows: list[list[str]], width: int | None = None) -> str:
    """A plain-text table with column widths fitted to the content and, when ``width``
    is given (a terminal's), to that width: the widest columns are cut first, with "…".
    Piped output (``width`` None) keeps every value whole.

    >>> print(table(["a", "b"], [["1", "two"]]), end="")
    a | b
    --+----
    1 | two
    >>> print(table(["name", "label"], [["C17", "Putin on the sovereignty of Crimea"]], 24), end="")
    name | label
    -----+------------------
    C17  | Putin on the sov…
    """
    natural = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(header)]
    widths = natural if width is None else _fit(natural, width - 3 * (len(header) - 1))
    cut = [
        [c if len(c) <= w else c[: max(w - 1, 0)] + "…" for c, w in zip(row, widths, strict=True)]
        for row in rows
    ]
    widths = [max([len(h)] + [len(r[i]) for r in cut]) for i, h in enumerate(header)]
    lines = [" | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)).rstrip()]
    lines.append("-+-".join("-" * w for w in widths))
    lines.extend(
        " | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in cut
    )
    return "\n".join(lines) + "\n"


#: No column is cut narrower than this, however narrow the terminal.
_MIN_COLUMN = 8


def _fit(natural: list[int], room: int) -> list[int]:
    """Column widths that fit ``room``: narrow columns keep their width, and the room
    left is shared evenly among the wide ones (water-filling)."""
    if sum(natural) <= room:
        return natural
    widths = list(natural)
    wide = sorted(range(len(natural)), key=lambda i: natural[i])
    left = room
    for n, i in enumerate(wide):
        share = left // (len(wide) - n)
        widths[i] = max(min(natural[i], share), min(natural[i], _MIN_COLUMN))
        left -= widths[i]
    return widths


def run_query(settings: Settings, sparql: str, fmt_name: str | None) -> str:
    with local_store(settings) as store:
        return _answer(store, sparql, fmt_name)


def _answer(store: GraphStore, sparql: str, fmt_name: str | None) -> str:
    vocab = store.vocab
    form = query_form(sparql)
    if fmt_name:
        try:
            results_fmt = (
                negotiate(None, RESULT_FORMATS, override=fmt_name)
                if form in ("SELECT", "ASK")
                else None
            )
        except NotAcceptableError:
            results_fmt = None
        graph_fmt = None if results_fmt else negotiate(None, RDF_FORMATS, override=fmt_name)
        answer = store.answer(
            sparql,
            dataset=None,
            query_has_dataset=has_dataset_clause(sparql),
            results_format=results_fmt,
            graph_format=graph_fmt,
        )
        return answer.body.decode("utf-8")
    if form == "ASK":
        return ("true" if store.ask(sparql) else "false") + "\n"
    if form in ("CONSTRUCT", "DESCRIBE"):
        answer = store.answer(
            sparql,
            dataset=None,
            query_has_dataset=has_dataset_clause(sparql),
            results_format=None,
            graph_format=TURTLE,
        )
        return answer.body.decode("utf-8")
    rows, names = store.select_with_variables(sparql)
    body = [[short(row.get(n), vocab) for n in names] for row in rows]
    plural = "s" if len(rows) != 1 else ""
    width = shutil.get_terminal_size().columns if sys.stdout.isatty() else None
    return table(names or ["(no variables)"], body, width) + f"({len(rows)} row{plural})\n"


def store_stats(settings: Settings) -> str:
    with local_store(settings) as store:
        return _stats(store)


def _stats(store: GraphStore) -> str:
    vocab = store.vocab
    graphs: list[NamedNode | BlankNode | DefaultGraph] = [DefaultGraph(), *store.named_graphs()]
    counted: list[tuple[str, str]] = []
    for graph in graphs:
        n = store.count(graph)
        if n or not isinstance(graph, DefaultGraph):
            name = "(default graph)" if isinstance(graph, DefaultGraph) else short(graph, vocab)
            counted.append((name, str(n)))
    counted.append(("total", str(store.count())))
    rows = store.select(
        "SELECT ?class (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a ?class "
        "FILTER(STRSTARTS(STR(?class), STR(parley:))) } GROUP BY ?class ORDER BY DESC(?n) ?class"
    )
    classes = [(short(row["class"], vocab), short(row["n"], vocab)) for row in rows]
    # One width for the names (a client's long graph IRIs included), so the counts align.
    width = max([36, *(len(name) for name, _ in counted + classes)])
    lines = ["Triples per graph:"]
    lines += [f"  {name:<{width}} {n:>8}" for name, n in counted]
    lines.append("Instances per class:")
    lines += [f"  {name:<{width}} {n:>8}" for name, n in classes]
    return "\n".join(lines) + "\n"
