"""Every IRI under the base dereferences: HTML for a person, RDF for a program.

``/id/...`` (entities), ``/.well-known/genid/...`` (skolem nodes) and
``/graph/...`` (named graphs) answer with the IRI's description; ``/ontology``
and ``/shapes`` with the documentation of every term (``{base}ontology#Term``
is an anchor there). A ``.html``, ``.ttl``, ``.jsonld``, ``.nt`` or ``.rdf``
suffix chooses the format and beats ``Accept``; every answer has ``Vary:
Accept`` and a ``Link: rel="alternate"`` per format.
"""

from __future__ import annotations

import json
from urllib.parse import urlencode

from flask import Response, render_template, request
from werkzeug.urls import iri_to_uri

from service.errors import EntityNotFoundError, GraphNotFoundError, NotFoundError
from service.pages import (
    INCOMING_LIMIT,
    PREVIEW_INCOMING_LIMIT,
    Description,
    Labels,
    Paging,
    describe,
    entity_page,
    fragments_in,
    graph_listing,
    ontology_doc,
    shapes_doc,
)
from service.rdf import (
    HTML,
    JSONLD,
    NTRIPLES,
    RDFXML,
    TURTLE,
    Format,
    NamedNode,
    by_suffix,
    negotiate,
    prefixes_for,
    serialize,
)
from service.web._services import services
from service.web.views.paging import client_iri, page_number

#: What an IRI is served as, HTML first (a client that accepts anything gets the page).
PAGE_FORMATS = (HTML, TURTLE, JSONLD, NTRIPLES, RDFXML)


def split_suffix(path: str) -> tuple[str, Format | None]:
    """``id/Putin.ttl`` -> (``id/Putin``, Turtle); a path without a known suffix is kept.

    >>> split_suffix("id/Putin.jsonld")[1].name
    'jsonld'
    >>> split_suffix("id/ref/tass.com")
    ('id/ref/tass.com', None)
    """
    stem, dot, suffix = path.rpartition(".")
    fmt = by_suffix(suffix) if dot else None
    if fmt is None or fmt not in PAGE_FORMATS:
        return path, None
    return stem, fmt


def choose(fmt: Format | None) -> Format:
    return fmt or negotiate(request.headers.get("Accept"), PAGE_FORMATS)


def with_headers(response: Response, path: str) -> Response:
    """``Vary`` and one ``Link: rel="alternate"`` per format of the resource at ``path``."""
    response.headers["Vary"] = "Accept"
    links = [f'<{path}.{f.suffix}>; rel="alternate"; type="{f.media_type}"' for f in PAGE_FORMATS]
    response.headers["Link"] = ", ".join(links)
    return response


def alternates(path: str) -> list[tuple[Format, str]]:
    return [(f, f"{path}.{f.suffix}") for f in PAGE_FORMATS]


def rdf_response(desc: Description, fmt: Format, path: str) -> Response:
    """The description in ``fmt``, declaring the prefixes it uses (a namespace of its own
    where a declared one would leave escapes in a name: ``id:editor\\/desk``)."""
    triples = desc.triples()
    prefixes = prefixes_for(triples, services().vocab.prefixes(), subject=desc.iri.value)
    body = serialize(triples, fmt, prefixes=prefixes)
    return with_headers(Response(body, content_type=fmt.content_type), path)


def _resolve(path: str) -> tuple[Description, str, Format | None] | Response:
    """The description of the IRI at ``path``; a suffix is a format unless the IRI has it.
    A path that names no IRI but an identifier a person sees (``/id/c17``, ``/id/putin``)
    redirects to the one entity it names, or to the search when it names several."""
    store = services().store
    base = services().vocab.base
    stem, fmt = split_suffix(path)
    # A page previews each property's incoming statements (a property shown alone is paged
    # through them all); the RDF holds the first INCOMING_LIMIT of each.
    paged = choose(fmt) != HTML or request.args.get("only") is not None
    limit = INCOMING_LIMIT if paged else PREVIEW_INCOMING_LIMIT
    desc = describe(store, _path_iri(base + stem), incoming_limit=limit)
    if not desc.exists and fmt is not None:
        whole = describe(store, _path_iri(base + path), incoming_limit=limit)
        if whole.exists:
            desc, stem, fmt = whole, path, None
    if not desc.exists:
        found = _named_by(stem, fmt)
        if found is not None:
            return found
        raise EntityNotFoundError(
            f"nothing in the graph mentions <{base + stem}>",
            iri=base + stem,
            **_suggestions(stem),
        )
    return desc, "/" + stem, fmt


#: Entities the 404 page of an unknown entity suggests, at most.
SUGGESTIONS = 5


def _last_segment(stem: str) -> str:
    return stem.rstrip("/").rsplit("/", 1)[-1]


def _named_by(stem: str, fmt: Format | None) -> Response | None:
    """The redirect for a path under ``id/`` that names an entity by an identifier a
    person sees, case-insensitively: 303 to the entity when it is one, to the search when
    it is several; None when it is none."""
    if not stem.startswith("id/"):
        return None
    index = services().search
    base = services().vocab.base
    last = _last_segment(stem)
    iris = index.lookup(stem) or index.lookup(last)
    iris = [iri for iri in iris if iri.startswith(base)]
    if not iris:
        return None
    if len(iris) > 1:
        target = "/search?" + urlencode({"q": last})
    else:
        target = "/" + iris[0][len(base) :] + (f".{fmt.suffix}" if fmt is not None else "")
    response = Response(status=303)
    response.headers["Location"] = iri_to_uri(target)
    return response


def _suggestions(stem: str) -> dict[str, object]:
    """What the 404 page offers: the search pre-filled with the path's last segment, and
    the entities whose names or local names are close to it."""
    if not stem.startswith("id/"):
        return {}
    term = _last_segment(stem)
    labels = Labels(services().store, services().vocab)
    close = services().search.suggest(term, limit=SUGGESTIONS)
    return {
        "search": term,
        "suggestions": [
            {"iri": hit.iri, "label": hit.label, "href": labels.href(NamedNode(hit.iri)) or hit.iri}
            for hit in close
        ],
    }


def _path_iri(iri: str) -> NamedNode:
    """The IRI a path names; 404 when it is none (``/id/%3Cscript%3E``): nothing has it."""
    return client_iri(iri, EntityNotFoundError(f"<{iri}> is not a valid IRI", iri=iri))


def _paging() -> Paging:
    only = request.args.get("property") or None
    return Paging(
        show_inferred=request.args.get("inferred") != "hide",
        only=only,
        direction="in" if request.args.get("direction") == "in" else "out",
        page=page_number(),
        section=request.args.get("section") or None,
    )


def _entity(path: str) -> Response:
    resolved = _resolve(path)
    if isinstance(resolved, Response):
        return resolved
    desc, href, suffix_fmt = resolved
    fmt = choose(suffix_fmt)
    if fmt != HTML:
        return rdf_response(desc, fmt, href)
    svc = services()
    page = entity_page(svc.store, desc, _paging(), base_href=href)
    html = render_template("entity.html", page=page, path=href, alternates=alternates(href))
    return with_headers(Response(html, content_type=HTML.content_type), href)


def entity(local: str) -> Response:
    return _entity("id/" + local)


def genid(local: str) -> Response:
    return _entity(".well-known/genid/" + local)


def graph(local: str) -> Response:
    svc = services()
    stem, suffix_fmt = split_suffix(local)
    name = svc.vocab.base + "graph/" + stem
    iri = client_iri(name, GraphNotFoundError(f"<{name}> is not a valid IRI", iri=name))
    if not svc.store.graph_exists(iri):
        raise GraphNotFoundError(f"there is no named graph <{iri.value}>", iri=iri.value)
    href = "/graph/" + stem
    fmt = choose(suffix_fmt)
    desc = describe(svc.store, iri)
    if fmt != HTML:
        return rdf_response(desc, fmt, href)
    labels = Labels(svc.store, svc.vocab)
    listing = graph_listing(svc.store, labels, iri, page_number())
    records = [describe(svc.store, node) for node in fragments_in(svc.store, iri)]
    pages = [entity_page(svc.store, d, Paging(), base_href=href) for d in records]
    html = render_template(
        "graph.html",
        listing=listing,
        records=pages,
        path=href,
        alternates=alternates(href),
        page=entity_page(svc.store, desc, _paging(), base_href=href) if desc.exists else None,
    )
    return with_headers(Response(html, content_type=HTML.content_type), href)


def _model(name: str, suffix: str | None) -> Response:
    svc = services()
    suffix_fmt = by_suffix(suffix) if suffix else None
    if suffix and suffix_fmt not in PAGE_FORMATS:
        raise NotFoundError(f"/{name}.{suffix} is not a format of /{name}")
    fmt = choose(suffix_fmt)
    graph_iri = svc.vocab.graph(name)
    href = "/" + name
    if fmt != HTML:
        body = svc.store.serialize_graph(graph_iri, fmt)
        return with_headers(Response(body, content_type=fmt.content_type), href)
    labels = Labels(svc.store, svc.vocab)
    if name == "ontology":
        html = render_template(
            "ontology.html",
            doc=ontology_doc(svc.store, labels),
            path=href,
            alternates=alternates(href),
        )
    else:
        html = render_template(
            "shapes.html",
            shapes=shapes_doc(svc.store, labels),
            path=href,
            alternates=alternates(href),
        )
    return with_headers(Response(html, content_type=HTML.content_type), href)


def jsonld_context() -> Response:
    """The deployment's prefixes as a JSON-LD context: what every JSON-LD answer of Parley
    states inline (so no processor has to fetch it), for clients that write their own."""
    prefixes = {name: iri for name, iri in services().vocab.prefixes().items() if name}
    body = json.dumps({"@context": dict(sorted(prefixes.items()))}, indent=1) + "\n"
    return Response(body, content_type=JSONLD.content_type)


def ontology(suffix: str | None = None) -> Response:
    return _model("ontology", suffix)


def shapes(suffix: str | None = None) -> Response:
    return _model("shapes", suffix)
