"""A client's SPARQL query answered, without a web framework: the checks before
evaluation, content negotiation, the query runner, and the answer's headers.

The endpoint's one handler (``service.web.views.sparql``) calls it; ``service.sparql``
sits below ``service.web`` in the import layers, so the protocol's rules do not depend
on Flask.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from service.errors import NotAcceptableError
from service.query import QueryJob, QueryRunner, Streamed
from service.rdf import (
    RDF_FORMATS,
    RESULT_FORMATS,
    Format,
    has_dataset_clause,
    negotiate,
    query_form,
)
from service.settings import Settings
from service.sparql._outbound import check_outbound
from service.sparql._protocol import Operation

#: Response header that says an answer was cut at a cap ("rows" or "bytes").
TRUNCATED_HEADER = "Parley-Truncated"
#: Response header with the number of solutions or triples in the answer.
ROWS_HEADER = "Parley-Result-Rows"


@dataclass(frozen=True)
class QueryAnswer:
    """An answer ready to send: its body chunks must be consumed or closed."""

    answer: Streamed
    headers: list[tuple[str, str]]


def _maybe(
    accept: str | None, candidates: tuple[Format, ...], override: str | None
) -> Format | None:
    try:
        return negotiate(accept, candidates, override=override)
    except NotAcceptableError:
        return None


def answer_query(
    op: Operation,
    accept: str | None,
    settings: Settings,
    runner: QueryRunner,
    gone: threading.Event | None = None,
) -> QueryAnswer:
    """Evaluate ``op`` (a query) within the endpoint's limits, in the negotiated format;
    stopped when ``gone`` is set (its client has gone: ``QueryRunner.run``).

    :raises ParleyError: the request's problem (406 when no format fits, 403 for an
        outbound request, the query's syntax error, a time limit, an overload).
    """
    check_outbound(op.text, settings.outbound_allow)
    override = op.options.get("format")
    form = query_form(op.text)
    graphs, tables = form in ("CONSTRUCT", "DESCRIBE"), form in ("SELECT", "ASK")
    results_fmt = None if graphs else _maybe(accept, RESULT_FORMATS, override)
    graph_fmt = None if tables else _maybe(accept, RDF_FORMATS, override)
    if results_fmt is None and graph_fmt is None:
        candidates = RESULT_FORMATS if tables else RDF_FORMATS
        negotiate(accept, candidates, override=override)  # raises the 406 with the list
    answer = run_query(op, results_fmt, graph_fmt, settings, runner, gone)
    headers = [
        ("Content-Type", answer.format.content_type),
        ("Content-Length", str(answer.size)),
        ("Vary", "Accept"),
        (ROWS_HEADER, str(answer.rows)),
    ]
    if answer.truncated:
        headers.append(
            (
                TRUNCATED_HEADER,
                f"{answer.truncated}; rows={answer.rows}; "
                f"max-rows={settings.max_result_rows}; max-bytes={settings.max_response_bytes}",
            )
        )
    return QueryAnswer(answer, headers)


def run_query(
    op: Operation,
    results_fmt: Format | None,
    graph_fmt: Format | None,
    settings: Settings,
    runner: QueryRunner,
    gone: threading.Event | None = None,
) -> Streamed:
    """Evaluate a client's query with the runner (time limit, caps, admission; stopped
    when ``gone`` is set)."""
    job = QueryJob(
        text=op.text,
        dataset=op.dataset(),
        query_has_dataset=has_dataset_clause(op.text),
        results_format=results_fmt,
        graph_format=graph_fmt,
        max_rows=settings.max_result_rows,
        max_bytes=settings.max_response_bytes,
        base_iri=settings.base_iri + "sparql",
    )
    return runner.run(job, gone)
