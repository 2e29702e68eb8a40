"""The SPARQL 1.1 Protocol endpoint: ``GET``/``POST /sparql``, its one handler.

Every request to ``/sparql`` comes here: a program's query (answered by
``service.sparql._answer``, the core without a web framework), a person's query
(the query page with the answer as a table), an update, the service description,
and the query page itself. The request id, rate limit, access log and metrics are
the request-wide middleware's (``service.web._middleware``); errors become
problem documents in the error handlers (``service.web._problems``).
"""

from __future__ import annotations

from flask import Response, jsonify, request

from service.errors import ParleyError, ProtocolError
from service.rdf import JSON, NTRIPLES, RDF_FORMATS, negotiate, prefers_html, query_form
from service.sparql import (
    Operation,
    UpdateContext,
    answer_query,
    apply_update,
    check_outbound,
    parse_operation,
    run_query,
    service_description,
)
from service.web._asgi import CLIENT_GONE
from service.web._auth import require_writer
from service.web._problems import log_error
from service.web._services import services
from service.web.views.query_page import render_answer, render_failure, render_form


def endpoint() -> Response | str:
    op = parse_operation(
        method=request.method,
        content_type=request.content_type,
        args=request.args.to_dict(flat=False),
        body=request.get_data(cache=False) if request.method == "POST" else b"",
    )
    if op is None:
        if prefers_html(request.headers.get("Accept")):
            return render_form()
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
    # Set when the client hangs up (``parley serve``: ``service.web._asgi``): the query
    # is then stopped, not run to its time limit for nobody.
    gone = request.environ.get(CLIENT_GONE)
    accept = request.headers.get("Accept")
    if op.options.get("format") is None and prefers_html(accept):
        # A person at the query page: a table, evaluated under the same limits. A query
        # that fails comes back in the form, as written, with the reason beside it.
        try:
            check_outbound(op.text, settings.outbound_allow)
            graphs = query_form(op.text) in ("CONSTRUCT", "DESCRIBE")
            results_fmt, graph_fmt = (None, NTRIPLES) if graphs else (JSON, None)
            page = run_query(op, results_fmt, graph_fmt, settings, runner, gone)
            return render_answer(op, body=b"".join(page.chunks))
        except ParleyError as error:
            log_error(error)
            return render_failure(op.text, error)
    answered = answer_query(op, accept, settings, runner, gone)
    answer = answered.answer
    # A whole answer is sent as it is; a large one as its chunks arrive (closed with the
    # response, which gives its query process back).
    body = answer.body if answer.body is not None else answer.chunks
    return Response(body, status=200, headers=answered.headers)


def _update(op: Operation) -> Response:
    svc = services()
    writer = require_writer(op.options.get("csrf_token"))
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
    # Its WHERE clauses run where the time limit can stop them (service.sparql._update_job).
    outcome = apply_update(
        svc.store, svc.writer, svc.guard, op.text, context, agent=writer.iri, agent_name=writer.name
    )
    return jsonify(outcome.to_json())


def void() -> Response:
    """VoID with live statistics (cached until the store changes)."""
    svc = services()
    fmt = negotiate(request.headers.get("Accept"), RDF_FORMATS, override=request.args.get("format"))
    body = services().void.describe(svc.store, svc.settings.base_iri, fmt)
    response = Response(body, content_type=fmt.content_type)
    response.headers["Vary"] = "Accept"
    return response
