"""The SPARQL 1.1 Protocol endpoint: ``GET``/``POST /sparql`` (query, update, description)."""

from __future__ import annotations

from flask import Blueprint, Response, g, jsonify, render_template, request

from service.errors import ProtocolError, QueryTimeoutError
from service.rdf._formats import JSON, NTRIPLES, RDF_FORMATS, negotiate, prefers_html
from service.rdf._sparql_text import query_form
from service.sparql._answer import answer_query, run_query
from service.sparql._description import service_description
from service.sparql._outbound import check_outbound
from service.sparql._protocol import Operation, parse_operation
from service.sparql._update_effect import UpdateContext, compute_update
from service.web._auth import require_write_access
from service.web._front import RATE_CHECKED
from service.web._services import services
from service.web.views import query_page

bp = Blueprint("sparql", __name__)


@bp.route("/sparql", methods=["GET", "POST"])
def endpoint() -> Response | str:
    if not request.environ.get(RATE_CHECKED):  # the front counted it already
        services().rate_limiter.check(request.remote_addr or "-")
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
    runner = services().queries
    accept = request.headers.get("Accept")
    try:
        if op.options.get("format") is None and prefers_html(accept):
            # A person at the query page: a table, evaluated under the same limits.
            check_outbound(op.text, settings.outbound_allow)
            graphs = query_form(op.text) in ("CONSTRUCT", "DESCRIBE")
            results_fmt, graph_fmt = (None, NTRIPLES) if graphs else (JSON, None)
            page = run_query(op, results_fmt, graph_fmt, settings, runner)
            return query_page.render_answer(op, body=b"".join(page.chunks))
        answered = answer_query(op, accept, settings, runner)
    except QueryTimeoutError:
        g.timed_out = True  # a 503 that is a timeout, not an overload (metrics)
        raise
    response = Response(answered.answer.chunks, status=200)
    for name, value in answered.headers:
        response.headers[name] = value
    return response


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
    body = services().void.describe(svc.store, svc.settings.base_iri, fmt)
    response = Response(body, content_type=fmt.content_type)
    response.headers["Vary"] = "Accept"
    return response
