"""The SPARQL 1.1 Protocol endpoint: ``GET``/``POST /sparql``."""

from __future__ import annotations

from flask import Blueprint, Response, render_template, request

from service.app import services
from service.errors import NotAcceptableError, ProtocolError
from service.formats import RDF_FORMATS, RESULT_FORMATS, Format, negotiate, prefers_html
from service.protocol import parse_operation
from service.sparql_text import has_dataset_clause, query_form
from service.views import query_page

bp = Blueprint("sparql", __name__)


def _maybe(
    accept: str | None, candidates: tuple[Format, ...], override: str | None
) -> Format | None:
    try:
        return negotiate(accept, candidates, override=override)
    except NotAcceptableError:
        return None


@bp.route("/sparql", methods=["GET", "POST"])
def endpoint() -> Response | str:
    op = parse_operation(
        method=request.method,
        content_type=request.content_type,
        args=request.args.to_dict(flat=False),
        body=request.get_data(cache=False) if request.method == "POST" else b"",
    )
    svc = services()
    if op is None:
        if prefers_html(request.headers.get("Accept")):
            return render_template("query.html", prefixes=svc.vocab.prefixes())
        raise ProtocolError("GET /sparql needs a 'query' parameter")
    if op.kind == "update":
        raise ProtocolError("this endpoint answers queries; updates are not enabled")
    accept = request.headers.get("Accept")
    override = op.options.get("format")
    if override is None and prefers_html(accept):
        return query_page.render_answer(op)  # a person at the query page: a table
    form = query_form(op.text)
    graphs = form in ("CONSTRUCT", "DESCRIBE")
    results_fmt = None if graphs else _maybe(accept, RESULT_FORMATS, override)
    graph_fmt = _maybe(accept, RDF_FORMATS, override) if form not in ("SELECT", "ASK") else None
    if results_fmt is None and graph_fmt is None:
        candidates = RESULT_FORMATS if form in ("SELECT", "ASK") else RDF_FORMATS
        negotiate(accept, candidates, override=override)  # raises the 406 with the list
    answer = svc.store.evaluate(
        op.text,
        dataset=op.dataset(),
        query_has_dataset=has_dataset_clause(op.text),
        results_format=results_fmt,
        graph_format=graph_fmt,
    )
    response = Response(answer.body, status=200, content_type=answer.format.content_type)
    response.headers["Vary"] = "Accept"
    return response
