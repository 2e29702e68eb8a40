"""The SPARQL 1.1 Protocol endpoint: ``GET``/``POST /sparql`` (query, update, description)."""

from __future__ import annotations

from flask import Blueprint, Response, g, jsonify, render_template, request

from service.app import services
from service.auth import require_write_access
from service.endpoint import endpoint_services
from service.errors import NotAcceptableError, ProtocolError, QueryTimeoutError
from service.formats import (
    JSON,
    NTRIPLES,
    RDF_FORMATS,
    RESULT_FORMATS,
    Format,
    negotiate,
    prefers_html,
)
from service.outbound import check_outbound
from service.protocol import Operation, parse_operation
from service.queryjob import QueryJob, Streamed
from service.service_description import service_description
from service.sparql_text import has_dataset_clause, query_form
from service.update_effect import UpdateContext, compute_update
from service.views import query_page

bp = Blueprint("sparql", __name__)

#: Response header that says an answer was cut at a cap ("rows" or "bytes").
TRUNCATED_HEADER = "Parley-Truncated"


def _maybe(
    accept: str | None, candidates: tuple[Format, ...], override: str | None
) -> Format | None:
    try:
        return negotiate(accept, candidates, override=override)
    except NotAcceptableError:
        return None


@bp.route("/sparql", methods=["GET", "POST"])
def endpoint() -> Response | str:
    endpoint_services().limit_rate(request.remote_addr or "-")
    op = parse_operation(
        method=request.method,
        content_type=request.content_type,
        args=request.args.to_dict(flat=False),
        body=request.get_data(cache=False) if request.method == "POST" else b"",
    )
    if op is None:
        if prefers_html(request.headers.get("Accept")):
            return render_template("query.html", prefixes=services().vocab.prefixes())
        return _description()
    if op.kind == "update":
        return _update(op)
    return _query(op)


def _description() -> Response:
    svc = services()
    fmt = negotiate(request.headers.get("Accept"), RDF_FORMATS, override=request.args.get("format"))
    body = service_description(svc.store, svc.settings, fmt)
    response = Response(body, content_type=fmt.content_type)
    response.headers["Vary"] = "Accept"
    return response


def _query(op: Operation) -> Response | str:
    settings = services().settings
    check_outbound(op.text, settings.outbound_allow)
    accept = request.headers.get("Accept")
    override = op.options.get("format")
    form = query_form(op.text)
    graphs, tables = form in ("CONSTRUCT", "DESCRIBE"), form in ("SELECT", "ASK")
    if override is None and prefers_html(accept):
        # A person at the query page: a table, evaluated under the same limits.
        page = _run(op, None if graphs else JSON, NTRIPLES if graphs else None)
        return query_page.render_answer(op, body=b"".join(page.chunks))
    results_fmt = None if graphs else _maybe(accept, RESULT_FORMATS, override)
    graph_fmt = None if tables else _maybe(accept, RDF_FORMATS, override)
    if results_fmt is None and graph_fmt is None:
        candidates = RESULT_FORMATS if form in ("SELECT", "ASK") else RDF_FORMATS
        negotiate(accept, candidates, override=override)  # raises the 406 with the list
    answer = _run(op, results_fmt, graph_fmt)
    response = Response(answer.chunks, status=200, content_type=answer.format.content_type)
    response.content_length = answer.size
    response.headers["Vary"] = "Accept"
    response.headers["Parley-Result-Rows"] = str(answer.rows)
    if answer.truncated:
        response.headers[TRUNCATED_HEADER] = (
            f"{answer.truncated}; rows={answer.rows}; "
            f"max-rows={settings.max_result_rows}; max-bytes={settings.max_response_bytes}"
        )
    return response


def _run(op: Operation, results_fmt: Format | None, graph_fmt: Format | None) -> Streamed:
    """Evaluate a client's query in the query pool (time limit, caps, admission)."""
    settings = services().settings
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
    try:
        return endpoint_services().queries.run(job)
    except QueryTimeoutError:
        g.timed_out = True  # a 503 that is a timeout, not an overload (metrics)
        raise


def _update(op: Operation) -> Response:
    svc = services()
    agent = require_write_access(request.headers.get("Authorization"), svc.settings)
    context = UpdateContext(
        base_iri=svc.settings.base_iri + "sparql",
        prefixes=svc.vocab.prefixes(),
        dataset=op.dataset(),
        outbound_allow=svc.settings.outbound_allow,
        max_load_bytes=svc.settings.max_body_bytes,
    )
    check_outbound(op.text, svc.settings.outbound_allow)
    if not op.text.strip():
        raise ProtocolError("the update is empty")
    with svc.writer.exclusive():
        changes = compute_update(svc.store, op.text, context)
        outcome = svc.writer.submit(changes, agent=agent, operation="sparql-update")
    return jsonify(outcome.to_json())


@bp.get("/.well-known/void")
def void() -> Response:
    """VoID with live statistics (cached until the store changes)."""
    svc = services()
    fmt = negotiate(request.headers.get("Accept"), RDF_FORMATS, override=request.args.get("format"))
    body = endpoint_services().void.describe(svc.store, svc.settings.base_iri, fmt)
    response = Response(body, content_type=fmt.content_type)
    response.headers["Vary"] = "Accept"
    return response
