"""The pages that are not one IRI's: home, search, timeline, class index, validate; and the
pages' static files and template helpers.

The search index is created with the application and listens to the writer,
so a committed write is searchable at once.
"""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, jsonify, render_template, request
from markupsafe import Markup, escape

from service.errors import BadRequestError
from service.pages import (
    EXAMPLES,
    MATCH_END,
    MATCH_START,
    Labels,
    SearchIndex,
    home_page,
    instances,
    network_page,
    overview,
    timeline_page,
)
from service.rdf import HTML, JSON, NamedNode, negotiate
from service.web._services import services
from service.web.views.paging import client_iri, page_number

_SEARCH_FORMATS = (HTML, JSON)


def search_index() -> SearchIndex:
    return services().search


def home() -> str:
    """Who says what about whom: positions, claimants, contested claims, sources, changes."""
    svc = services()
    labels = Labels(svc.store, svc.vocab)
    return render_template("home.html", home=home_page(svc.store, labels))


def data_page() -> str:
    """What the graph holds, by class and by named graph (``POST /data`` writes to it)."""
    svc = services()
    labels = Labels(svc.store, svc.vocab)
    return render_template("data.html", overview=overview(svc.store, labels))


def search() -> Response | str:
    text = request.args.get("q", "").strip()
    if len(text) > 500:
        raise BadRequestError("a search is at most 500 characters")
    fmt = negotiate(
        request.headers.get("Accept"), _SEARCH_FORMATS, override=request.args.get("format")
    )
    kind = request.args.get("kind", "").strip() or None
    if kind is not None and len(kind) > 200:
        raise BadRequestError("a kind is at most 200 characters")
    index = search_index()
    hits = index.search(text, kind=kind) if text else []
    facets = index.facets(text) if text else []
    if fmt != HTML:
        response = jsonify(
            {
                "query": text,
                "kind": kind,
                "facets": [{"kind": f.kind, "count": f.count} for f in facets],
                "results": [h.to_json() for h in hits],
            }
        )
    else:
        response = Response(
            render_template("search.html", query=text, hits=hits, facets=facets, kind=kind)
        )
    response.headers["Vary"] = "Accept"
    return response


def timeline() -> str:
    """When events happened, and beside them when the claims were made."""
    svc = services()
    labels = Labels(svc.store, svc.vocab)
    return render_template("timeline.html", timeline=timeline_page(svc.store, labels))


def network() -> str:
    """Who reports whom: the agents of reported speech, as a picture and a table."""
    svc = services()
    labels = Labels(svc.store, svc.vocab)
    return render_template("network.html", network=network_page(svc.store, labels))


def class_index() -> str:
    svc = services()
    iri = request.args.get("class", "")
    if not iri.startswith(("http://", "https://")):
        raise BadRequestError("give the class IRI as ?class=")
    labels = Labels(svc.store, svc.vocab)
    cls = client_iri(iri, BadRequestError(f"?class={iri!r} is not a valid IRI"))
    listing = instances(svc.store, labels, cls, page_number())
    return render_template("instances.html", listing=listing, cls=iri)


def validate_page() -> str:
    """The form; it posts to ``POST /validate`` (the write gate) and shows the report."""
    return render_template("validate.html")


def local_href(iri: str) -> str:
    """The link for an IRI: its path when it is under the base IRI."""
    svc = services()
    return Labels(svc.store, svc.vocab).href(NamedNode(iri)) or iri


def highlight(snippet: str) -> Markup:
    """A search snippet with the matched words marked (the index brackets them)."""
    escaped = str(escape(snippet))
    return Markup(escaped.replace(MATCH_START, "<mark>").replace(MATCH_END, "</mark>"))


def template_globals() -> dict[str, Any]:
    """Shared by every template: the example questions (home page, query page)."""
    return {"examples": EXAMPLES}


def favicon() -> Response:
    """No icon, said once a day: the pages declare none (``data:,``), but a browser showing
    a document that is not a page (``/openapi.json``) still asks for ``/favicon.ico``."""
    return Response(status=204, headers={"Cache-Control": "public, max-age=86400"})


def static(filename: str) -> Response:
    """The pages' stylesheet and script (``service/web/static``), served as Flask's own
    static route serves them (conditional requests, ``SEND_FILE_MAX_AGE_DEFAULT``)."""
    return current_app.send_static_file(filename)
