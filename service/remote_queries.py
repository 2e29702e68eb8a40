"""Clients' queries on a remote store: passed through, under the endpoint's limits.

The embedded store's query pool (``service.querypool``) cannot apply: the
remote store evaluates. What Parley still owns is the same as for the pool:
admission (503 past ``max_concurrent``), the time limit, and the caps. The time
limit is passed to the store when it has a per-request parameter
(``--store-timeout-param``, Fuseki's ``timeout``) and enforced here in any case
by closing the connection at the deadline, which is how most stores learn that
a client gave up. The answer is asked for one item per line (TSV, N-Triples),
so the caps cut it while it streams in and the rest is never read.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING

from service.errors import (
    NotAcceptableError,
    QuerySyntaxError,
    QueryTimeoutError,
    StoreAnswerError,
)
from service.formats import NTRIPLES, Format
from service.queryjob import Admission, QueryJob, QueryLimits, Streamed
from service.rdfio import (
    Capped,
    capped_from_lines,
    parse_boolean,
    serialize_capped,
    syntax_position,
)
from service.sparql_client import query_timeout, read_chunks
from service.sparql_text import query_form
from service.store import DatasetSpec, ResultKind

TSV_RESULTS = "text/tab-separated-values"
JSON_RESULTS = "application/sparql-results+json"

if TYPE_CHECKING:
    from service.remote_store import RemoteStore


class RemoteQueryRunner:
    """``QueryRunner`` for a remote store."""

    def __init__(
        self, store: RemoteStore, limits: QueryLimits, on_timeout: Callable[[], None]
    ) -> None:
        self.store = store
        self.limits = limits
        self.on_timeout = on_timeout
        self._admission = Admission(limits.max_concurrent)

    def run(self, job: QueryJob) -> Streamed:
        self._admission.enter()
        try:
            return self._run(job)
        except QueryTimeoutError:
            self.on_timeout()
            raise
        except StoreAnswerError as exc:
            # Stores that stop a query at their own limit (Oxigraph's --timeout-s) say so
            # inside an answer they have begun: for the client it is a timeout.
            self.on_timeout()
            raise QueryTimeoutError(
                f"the store stopped the query (its own time limit) and its answer broke off "
                f"({exc.detail})"
            ) from exc
        finally:
            self._admission.leave()

    def _run(self, job: QueryJob) -> Streamed:
        _kind, fmt, capped = answer(
            self.store,
            job.text,
            dataset=job.dataset,
            query_has_dataset=job.query_has_dataset,
            base_iri=job.base_iri,
            results_format=job.results_format,
            graph_format=job.graph_format,
            max_rows=job.max_rows,
            max_bytes=job.max_bytes,
            timeout_s=self.limits.timeout_s,
        )
        return Streamed.whole(fmt, capped.rows, capped.truncated, capped.body)

    def running(self) -> int:
        return self._admission.running()

    def ready(self) -> bool:
        return True  # the store evaluates

    def worker_pids(self) -> list[int]:
        return []  # the store evaluates

    def close(self) -> None:
        pass  # the store's client is closed with the store


def answer(
    store: RemoteStore,
    text: str,
    *,
    dataset: DatasetSpec | None,
    query_has_dataset: bool,
    base_iri: str | None,
    results_format: Format | None,
    graph_format: Format | None,
    max_rows: int,
    max_bytes: int,
    timeout_s: float | None = None,
) -> tuple[ResultKind, Format, Capped]:
    """A query's answer from the store, in the format for its kind, held to the caps
    (and to ``timeout_s``); what clients' queries and ``GraphStore.evaluate`` share.

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
    default, named = store.dataset_params(dataset, query_has_dataset=query_has_dataset)
    prologue = store.prologue(base_iri)
    # One item per line (TSV, N-Triples), so the caps cut the answer while it streams in.
    accept = {"boolean": JSON_RESULTS, "graph": NTRIPLES.media_type}.get(kind, TSV_RESULTS)
    try:
        with store.client.stream_query(
            prologue + text,
            accept=accept,
            default_graphs=default,
            named_graphs=named,
            timeout_s=timeout_s,
        ) as response:
            chunks = _until(read_chunks(response, timeout_s), timeout_s)
            if kind == "boolean":
                boolean = parse_boolean(b"".join(chunks))
                return kind, fmt, serialize_capped(boolean, fmt, max_rows=1, max_bytes=max_bytes)
            capped = capped_from_lines(
                chunks, fmt, graph=kind == "graph", max_rows=max_rows, max_bytes=max_bytes
            )
            return kind, fmt, capped
    except QuerySyntaxError as exc:
        raise client_position(exc, prologue) from exc


def _until(chunks: Iterable[bytes], limit_s: float | None) -> Iterator[bytes]:
    """The chunks, until ``limit_s`` from now has passed (then the caller closes the
    connection)."""
    deadline = None if limit_s is None else time.monotonic() + limit_s
    for chunk in chunks:
        if deadline is not None and limit_s is not None and time.monotonic() > deadline:
            raise query_timeout(limit_s)
        yield chunk


def client_position(error: QuerySyntaxError, prologue: str) -> QuerySyntaxError:
    """The store's syntax error, with its line counted in the client's query (Parley put
    ``prologue`` before it)."""
    position = syntax_position(error.detail)
    shift = prologue.count("\n")
    if not position or position["line"] <= shift:
        return error
    line = position["line"] - shift
    detail = error.detail.replace(
        f"{position['line']}:{position['column']}", f"{line}:{position['column']}", 1
    )
    return QuerySyntaxError(detail, line=line, column=position["column"])
