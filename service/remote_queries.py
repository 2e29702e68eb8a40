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
from service.formats import NTRIPLES
from service.queryjob import Admission, QueryJob, QueryLimits, Streamed
from service.rdfio import capped_from_lines, parse_boolean, serialize_capped, syntax_position
from service.sparql_client import read_chunks
from service.sparql_text import query_form

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
        except QuerySyntaxError as exc:
            raise client_position(exc, self.store.prologue(job.base_iri)) from exc
        finally:
            self._admission.leave()

    def _run(self, job: QueryJob) -> Streamed:
        form = query_form(job.text)
        graph = form in ("CONSTRUCT", "DESCRIBE")
        fmt = job.graph_format if graph else job.results_format
        if fmt is None:
            family = "an RDF format" if graph else "a SPARQL results format"
            raise NotAcceptableError(
                f"the query's answer needs {family}; none of them is acceptable"
            )
        store, limit = self.store, self.limits.timeout_s
        default, named = store.dataset_params(job.dataset, query_has_dataset=job.query_has_dataset)
        text = store.prologue(job.base_iri) + job.text
        accept = (
            "application/sparql-results+json" if form == "ASK" else
            NTRIPLES.media_type if graph else "text/tab-separated-values"
        )  # fmt: skip
        deadline = time.monotonic() + limit
        with store.client.stream_query(
            text, accept=accept, default_graphs=default, named_graphs=named, timeout_s=limit
        ) as response:
            chunks = _until(read_chunks(response, limit), deadline, limit)
            if form == "ASK":
                answer = parse_boolean(b"".join(chunks))
                capped = serialize_capped(answer, fmt, max_rows=1, max_bytes=job.max_bytes)
            else:
                capped = capped_from_lines(
                    chunks, fmt, graph=graph, max_rows=job.max_rows, max_bytes=job.max_bytes
                )
        return Streamed(fmt, capped.rows, capped.truncated, len(capped.body), iter([capped.body]))

    def running(self) -> int:
        return self._admission.running()

    def worker_pids(self) -> list[int]:
        return []  # the store evaluates

    def close(self) -> None:
        pass  # the store's client is closed with the store


def _until(chunks: Iterable[bytes], deadline: float, limit: float) -> Iterator[bytes]:
    """The chunks, until the deadline passes (then the caller closes the connection)."""
    for chunk in chunks:
        if time.monotonic() > deadline:
            raise QueryTimeoutError(
                f"the query ran longer than the {limit:g} s limit and was stopped (the "
                "connection to the store was closed)",
                timeoutSeconds=limit,
            )
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
