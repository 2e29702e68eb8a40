"""The query page for a person: the SPARQL view hands a browser's request here.

One template serves three moments: the empty form, a query with its answer (a table
with labelled, linked IRIs, and a link to download the answer in each format the
endpoint serves for its kind), and a query that failed, kept verbatim in the form
with the reason beside it (for a syntax error, the line and column in words and the
line itself, marked). The page reads without JavaScript; where YASGUI has been
vendored (``make yasgui``), ``static/query.js`` turns the textarea into YASGUI's
editor and results (table, chart, downloads) over this same endpoint.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from flask import Response, current_app, render_template

from service.errors import ParleyError
from service.pages import Labels, from_ntriples, from_results_json
from service.rdf import RDF_FORMATS, RESULT_FORMATS, Format, query_form
from service.sparql import Operation
from service.web._services import services

#: Where ``make yasgui`` puts YASGUI's build (git-ignored), under the static folder.
YASGUI_DIR = "vendor/yasgui"
YASGUI_FILES = ("yasgui.min.js", "yasgui.min.css")


def editor_vendored() -> bool:
    """Whether YASGUI's build is there to serve: the page names it only then, so a server
    without it sends no reference that would answer 404, and keeps the plain form."""
    static = current_app.static_folder
    if static is None:
        return False
    folder = Path(static) / YASGUI_DIR
    return all((folder / name).is_file() for name in YASGUI_FILES)


def render_form() -> str:
    """The page with an example query in the editor and no answer."""
    return _render()


def render_answer(op: Operation, *, body: bytes) -> str:
    """The query page with the answer to ``op`` as a table.

    ``body`` is the answer already evaluated (SPARQL JSON, or N-Triples for graphs) by
    the endpoint's query pool, under its time limit and caps.
    """
    svc = services()
    graphs = query_form(op.text) in ("CONSTRUCT", "DESCRIBE")
    labels = Labels(svc.store, svc.vocab)
    table = from_ntriples(body, labels) if graphs else from_results_json(body, labels)
    downloads = [
        (fmt, "/sparql?" + urlencode({"query": op.text, "format": fmt.name}))
        for fmt in (RDF_FORMATS if graphs else RESULT_FORMATS)
    ]
    return _render(sparql=op.text, table=table, downloads=downloads)


def render_failure(text: str, error: ParleyError) -> Response:
    """The page with ``text`` kept as it was sent and, beside it, why it was not answered:
    the error's status, so a program that asked for HTML still learns it failed."""
    detail = error.detail[:1].upper() + error.detail[1:]
    failure = {"title": error.title, "detail": detail, "type": error.slug}
    line, column = error.extras.get("line"), error.extras.get("column")
    if isinstance(line, int) and isinstance(column, int):
        failure.update(_excerpt(text, line, column))
    body = _render(sparql=text, failure=failure)
    response = Response(body, status=error.status, mimetype="text/html")
    for name, value in error.headers.items():
        response.headers[name] = value
    response.headers["Vary"] = "Accept"
    return response


def _excerpt(text: str, line: int, column: int) -> dict[str, Any]:
    """The line of ``text`` the error is on, cut around ``column`` (1-based, in code
    points, as the engine counts), and where the mark goes in it."""
    lines = text.split("\n")
    found = lines[line - 1] if 0 < line <= len(lines) else ""
    start = max(0, column - 1 - 60)
    shown = found[start : start + 120]
    return {
        "line": line,
        "column": column,
        "before": shown[: column - 1 - start],
        "at": shown[column - 1 - start : column - start],
        "after": shown[column - start :],
    }


def _formats(formats: tuple[Format, ...]) -> list[dict[str, str]]:
    return [{"name": fmt.name, "type": fmt.media_type} for fmt in formats]


def _render(**context: Any) -> str:
    return render_template(
        "query.html",
        prefixes=services().vocab.prefixes(),
        editor=editor_vendored(),
        yasgui_dir=YASGUI_DIR,
        result_formats=_formats(RESULT_FORMATS),
        graph_formats=_formats(RDF_FORMATS),
        **context,
    )
