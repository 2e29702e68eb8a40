"""A client's query answered by a remote store: passed through, held to the caps.

The remote store evaluates; Parley keeps the caps and the time limit. The time
limit is passed to the store when it has a per-request parameter
(``--store-timeout-param``, Fuseki's ``timeout``) and enforced here in any case
by closing the connection at the deadline, which is how most stores learn that
a client gave up. The answer is asked for one item per line (TSV, N-Triples),
so the caps cut it while it streams in and the rest is never read.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable, Iterator

from service.errors import (
    NotAcceptableError,
    QuerySyntaxError,
)
from service.rdf import (
    NTRIPLES,
    Format,
    capped_from_lines,
    parse_boolean,
    query_form,
    readable_syntax_error,
    serialize_capped,
    syntax_position,
)
from service.store._base import Answer, ResultKind
from service.store._sparql_client import SparqlClient, query_timeout, read_chunks

TSV_RESULTS = "text/tab-separated-values"
#: Oxigraph's own message, as an Oxigraph store sends it back: "error at L:C: expected …".
_ENGINE_MESSAGE = re.compile(r"error at \d+:\d+: .*", re.DOTALL)
JSON_RESULTS = "application/sparql-results+json"


def answer(
    client: SparqlClient,
    text: str,
    *,
    prologue: str,
    default_graphs: list[str],
    named_graphs: list[str],
    results_format: Format | None,
    graph_format: Format | None,
    max_rows: int,
    max_bytes: int,
    timeout_s: float | None = None,
) -> Answer:
    """A query's answer from the store, in the format for its kind, held to the caps
    (and to ``timeout_s``); ``prologue`` goes before the query, and the dataset is the
    protocol's ``default-graph-uri`` and ``named-graph-uri`` lists.

    :raises NotAcceptableError: the answer's kind has no acceptable format.
    :raises QuerySyntaxError: the store refused the query (the position is the query's).
    """
    form = query_form(text)
    kind: ResultKind = (
        "graph" if form in ("CONSTRUCT", "DESCRIBE") else
        "boolean" if form == "ASK" else "solutions"
    )  # fmt: skip
    fmt = graph_format if kind == "graph" else results_format
    if fmt is None:
        family = "an RDF format" if kind == "graph" else "a SPARQL results format"
        raise NotAcceptableError(
            f"the query's answer is {kind}, which needs {family}; none of them is acceptable"
        )
    # One item per line (TSV, N-Triples), so the caps cut the answer while it streams in.
    accept = {"boolean": JSON_RESULTS, "graph": NTRIPLES.media_type}.get(kind, TSV_RESULTS)
    try:
        with client.stream_query(
            prologue + text,
            accept=accept,
            default_graphs=default_graphs,
            named_graphs=named_graphs,
            timeout_s=timeout_s,
        ) as response:
            chunks = _until(read_chunks(response, timeout_s), timeout_s)
            if kind == "boolean":
                boolean = parse_boolean(b"".join(chunks))
                capped = serialize_capped(boolean, fmt, max_rows=1, max_bytes=max_bytes)
            else:
                capped = capped_from_lines(
                    chunks, fmt, graph=kind == "graph", max_rows=max_rows, max_bytes=max_bytes
                )
            return Answer(kind, fmt, capped.body, capped.rows, capped.truncated)
    except QuerySyntaxError as exc:
        raise client_position(exc, prologue, text) from exc


def _until(chunks: Iterable[bytes], limit_s: float | None) -> Iterator[bytes]:
    """The chunks, until ``limit_s`` from now has passed (then the caller closes the
    connection)."""
    deadline = None if limit_s is None else time.monotonic() + limit_s
    for chunk in chunks:
        if deadline is not None and limit_s is not None and time.monotonic() > deadline:
            raise query_timeout(limit_s)
        yield chunk


def client_position(error: QuerySyntaxError, prologue: str, text: str) -> QuerySyntaxError:
    """The store's syntax error, with its line counted in the client's query ``text``
    (Parley put ``prologue`` before it); an Oxigraph store's message is put in words as
    the embedded store's is (``readable_syntax_error``), not left as its grammar's dump."""
    position = syntax_position(error.detail)
    shift = prologue.count("\n")
    if not position or position["line"] <= shift:
        return error
    line = position["line"] - shift
    engine = _ENGINE_MESSAGE.search(error.detail)
    if engine is not None:
        own = engine.group(0).replace(
            f"{position['line']}:{position['column']}", f"{line}:{position['column']}", 1
        )
        message, where = readable_syntax_error(own, text)
        return QuerySyntaxError(message, **where)
    detail = error.detail.replace(
        f"{position['line']}:{position['column']}", f"{line}:{position['column']}", 1
    )
    return QuerySyntaxError(detail, line=line, column=position["column"])
