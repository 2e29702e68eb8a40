"""A client's query answered by a remote store: passed through, held to the caps.

The remote store evaluates; Parley keeps the caps and the time limit. The time
limit is passed to the store when it has a per-request parameter
(``--store-timeout-param``, Fuseki's ``timeout``) and enforced here in any case
by closing the connection at the deadline, which is how most stores learn that
a client gave up. The answer is asked for one item per line (TSV, N-Triples),
so the caps cut it while it streams in and the rest is never read.
"""

from __future__ import annotations

import io
import re
import time
from collections.abc import Iterable, Iterator
from typing import IO, Any, cast

import pyoxigraph

from service.errors import NotAcceptableError, QuerySyntaxError, StoreAnswerError
from service.rdf import (
    NTRIPLES,
    Capped,
    Format,
    boolean_bindings,
    capped_from_lines,
    leading_base,
    parse_boolean,
    parse_results,
    query_form,
    readable_syntax_error,
    serialize_capped,
    syntax_position,
    tokens,
)
from service.store._base import Answer, ResultKind
from service.store._engines import XML, standard_boolean
from service.store._sparql_client import SparqlClient, query_timeout, read_chunks

#: Oxigraph's own message, as an Oxigraph store sends it back: "error at L:C: expected …".
_ENGINE_MESSAGE = re.compile(r"error at \d+:\d+: .*", re.DOTALL)


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
    engine = client.engine
    # One item per line (TSV, N-Triples) where the engine writes it exactly, so the caps
    # cut the answer while it streams in; otherwise XML, parsed as it streams in.
    accept = {"boolean": XML, "graph": NTRIPLES.media_type}.get(kind, engine.solutions)
    sent, shift = _with_prologue(prologue, text)
    try:
        with client.stream_query(
            sent,
            accept=accept,
            default_graphs=default_graphs,
            named_graphs=named_graphs,
            timeout_s=timeout_s,
        ) as response:
            chunks = _until(read_chunks(response, timeout_s), timeout_s)
            if kind == "boolean":
                boolean = parse_boolean(standard_boolean(engine, b"".join(chunks)), XML)
                capped = serialize_capped(boolean, fmt, max_rows=1, max_bytes=max_bytes)
            elif kind == "graph" or engine.streams_lines:
                capped = capped_from_lines(
                    chunks, fmt, graph=kind == "graph", max_rows=max_rows, max_bytes=max_bytes
                )
            else:
                booleans = engine.boolean_rewrites(boolean_bindings(text))
                capped = _capped_from_stream(
                    engine.rewritten(chunks, booleans), accept, fmt, max_rows, max_bytes
                )
    except QuerySyntaxError as exc:
        raise client_position(exc, shift, text, sent) from exc
    truncated = capped.truncated
    if truncated is None and kind != "boolean" and engine.cut_at_cap(capped.rows):
        # The store's own cap cut the answer (or it is exactly that long: no way to tell);
        # the cap is said, since it is not Parley's ``max-rows``.
        truncated = f"store-rows; store-max-rows={engine.max_rows}"
    return Answer(kind, fmt, capped.body, capped.rows, truncated)


def _capped_from_stream(
    chunks: Iterator[bytes], media_type: str, fmt: Format, max_rows: int, max_bytes: int
) -> Capped:
    """Solutions in a results format that is not one per line, parsed as the chunks come
    in and held to the caps (reading stops at a cap)."""
    try:
        solutions = parse_results(cast(IO[bytes], _ChunkReader(chunks)), media_type)
        return serialize_capped(solutions, fmt, max_rows=max_rows, max_bytes=max_bytes)
    except SyntaxError as exc:  # e.g. a store that stops a query writes a message mid-answer
        raise StoreAnswerError(f"the store's answer broke off: {exc}") from exc


class _ChunkReader(io.RawIOBase):
    """A readable file over an iterator of chunks (what pyoxigraph's parsers read)."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._pending:
            chunk = next(self._chunks, None)
            if chunk is None:
                return 0
            self._pending = chunk
        size = min(len(buffer), len(self._pending))
        buffer[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size


def _with_prologue(prologue: str, text: str) -> tuple[str, int]:
    """The query as sent: Parley's ``prologue`` (a ``BASE`` line, then its prefixes) before
    the client's ``text``, and how many lines it adds. A query that opens with its own
    ``BASE`` keeps it first, with Parley's prefixes after it: SPARQL allows a ``BASE``
    after a ``PREFIX``, but Virtuoso's parser does not."""
    split = leading_base(text)
    if not split:
        return prologue + text, prologue.count("\n")
    prefixes = "\n" + prologue.split("\n", 1)[1]
    return text[:split] + prefixes + text[split:], prefixes.count("\n")


def _until(chunks: Iterable[bytes], limit_s: float | None) -> Iterator[bytes]:
    """The chunks, until ``limit_s`` from now has passed (then the caller closes the
    connection)."""
    deadline = None if limit_s is None else time.monotonic() + limit_s
    for chunk in chunks:
        if deadline is not None and limit_s is not None and time.monotonic() > deadline:
            raise query_timeout(limit_s)
        yield chunk


#: What stands for an ASK keyword while Oxigraph's parser looks for an error (a SELECT's
#: solutions are not evaluated until read; an ASK's answer is, at once).
_ASK_STAND_IN = "SELECT (1 AS ?__parley_ask)"


def oxigraph_error(sent: str) -> str | None:
    """Oxigraph's syntax error for the query text ``sent`` ("error at 3:22: …"), or
    ``None`` when it reads it: where a store's message gives no position in the query
    (Virtuoso: "SPARQL compiler, line 0: …"), Parley's own parser says where. Nothing is
    evaluated: an ASK is read as a SELECT (whose solutions are lazy), and the column of
    an error after its keyword is given back as written."""
    ask = next((t for t in tokens(sent) if t.text.upper() == "ASK"), None)
    probe = sent
    if ask is not None and query_form(sent) == "ASK":
        probe = sent[: ask.position] + _ASK_STAND_IN + sent[ask.position + len(ask.text) :]
    try:
        pyoxigraph.Store().query(probe)
    except SyntaxError as exc:
        found = _ENGINE_MESSAGE.search(str(exc))
        where = syntax_position(str(exc))
        if found is None or not where:
            return None
        own = found.group(0)
        if ask is not None and probe is not sent:
            line = sent.count("\n", 0, ask.position) + 1
            column = ask.position - (sent.rfind("\n", 0, ask.position) + 1) + 1
            if where["line"] == line and where["column"] > column:
                moved = where["column"] - len(_ASK_STAND_IN) + len(ask.text)
                own = own.replace(f"{line}:{where['column']}", f"{line}:{moved}", 1)
        return own
    return None


def client_position(
    error: QuerySyntaxError, shift: int, text: str, sent: str | None = None
) -> QuerySyntaxError:
    """The store's syntax error, with its line counted in the client's query ``text``
    (Parley put ``shift`` lines of its own before it, and sent ``sent``); an Oxigraph
    store's message is put in words as the embedded store's is (``readable_syntax_error``),
    not left as its grammar's dump. A message with no position in the query (Virtuoso's
    "line 0") is located by Oxigraph's parser when it finds the error too, the store's
    own words kept after it."""
    position = syntax_position(error.detail)
    store_words = ""
    if (not position or position["line"] == 0) and sent is not None:
        located = oxigraph_error(sent)
        if located is None:
            return error
        store_words = f" ({error.detail})"
        error = QuerySyntaxError(located)
        position = syntax_position(located)
    if not position or position["line"] <= shift:
        return error
    line = position["line"] - shift
    engine = _ENGINE_MESSAGE.search(error.detail)
    if engine is not None:
        own = engine.group(0).replace(
            f"{position['line']}:{position['column']}", f"{line}:{position['column']}", 1
        )
        message, where = readable_syntax_error(own, text)
        return QuerySyntaxError(message + store_words, **where)
    detail = error.detail.replace(
        f"{position['line']}:{position['column']}", f"{line}:{position['column']}", 1
    )
    return QuerySyntaxError(detail, line=line, column=position["column"])
