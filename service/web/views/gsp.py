"""The SPARQL 1.1 Graph Store HTTP Protocol at ``/store``.

Graphs are named indirectly (``/store?graph=IRI``, ``/store?default``) or
directly (``/store/<path>`` is the graph ``{base}store/<path>``). GET/HEAD
read a graph; PUT replaces it, POST adds to it (``POST /store`` creates a new
graph: 201 with its IRI in ``Location``), DELETE removes it. Each write is a
``ChangeSet`` submitted to the writer, so it is atomic and goes through the
write gate. ``?default`` is the store's own default graph (Parley's union
default applies to queries only). Under the base IRI a write may name Parley's
data graphs (validated) or ``{base}store/…``, the client's own (``Vocab.may_write``:
the gate refuses any other, with the name that was probably meant).
"""

from __future__ import annotations

import uuid

from flask import Response, request

from service.errors import GraphNotFoundError, ProtocolError
from service.rdf import (
    RDF_FORMATS,
    DefaultGraph,
    GraphName,
    NamedNode,
    Quad,
    negotiate,
    parse,
    rdf_format_for_content_type,
    serialize,
)
from service.store import ChangeSet
from service.web._auth import require_writer
from service.web._services import services
from service.web.views.paging import client_iri

#: The methods of both doors (``/store`` and ``/store/<path>``).
METHODS = ("GET", "HEAD", "PUT", "POST", "DELETE")


def _indirect() -> GraphName | None:
    """The graph ``?graph=`` / ``?default`` names; ``None`` when neither is given."""
    graphs = request.args.getlist("graph")
    has_default = "default" in request.args
    if len(graphs) > 1 or (graphs and has_default):
        raise ProtocolError("name one graph: either ?graph=IRI or ?default")
    if has_default:
        return DefaultGraph()
    if not graphs:
        return None
    iri = graphs[0]
    if ":" not in iri or any(c in iri for c in ' <>"{}|\\^`'):
        raise ProtocolError(f"?graph={iri!r} is not an absolute IRI")
    return client_iri(iri, ProtocolError(f"?graph={iri!r} is not a valid IRI"))


def indirect() -> Response:
    graph = _indirect()
    if graph is None:
        if request.method != "POST":
            raise ProtocolError(
                "name the graph with ?graph=IRI or ?default (or POST to /store to create one)"
            )
        return _create()
    return _handle(graph)


def direct(graph_path: str) -> Response:
    if request.args:
        raise ProtocolError("a directly named graph (/store/<path>) takes no ?graph or ?default")
    iri = services().settings.base_iri + "store/" + graph_path
    return _handle(client_iri(iri, ProtocolError(f"<{iri}> is not a valid IRI")))


def _handle(graph: GraphName) -> Response:
    if request.method in ("GET", "HEAD"):
        return _get(graph)
    if request.method == "DELETE":
        return _delete(graph)
    return _write(graph, replace=request.method == "PUT")


def _get(graph: GraphName) -> Response:
    store = services().store
    if not store.graph_exists(graph):
        raise GraphNotFoundError(f"the graph {graph} does not exist", graph=str(graph))
    fmt = negotiate(request.headers.get("Accept"), RDF_FORMATS, override=request.args.get("format"))
    if fmt.quads and isinstance(graph, DefaultGraph):
        body = serialize(store.quads(graph=graph), fmt)
    else:
        body = store.serialize_graph(graph, fmt)
    response = Response(body, content_type=fmt.content_type)
    response.headers["Vary"] = "Accept"
    return response


def _body(graph: GraphName) -> list[Quad]:
    """The request body's triples, put into ``graph`` (multipart/form-data: every part)."""
    base = graph.value if isinstance(graph, NamedNode) else services().settings.base_iri
    media = (request.content_type or "").split(";", 1)[0].strip().lower()
    if media == "multipart/form-data":
        parts = [(f.content_type, f.read(), f.filename) for f in request.files.values()]
        if not parts:
            raise ProtocolError("the multipart/form-data body has no file parts")
    else:
        parts = [(request.content_type, request.get_data(), None)]
    quads: list[Quad] = []
    for content_type, data, name in parts:
        fmt = rdf_format_for_content_type(content_type)
        what = f"the part {name!r}" if name else "the request body"
        quads += parse(data, fmt, base_iri=base, graph=graph, what=what)
    if any(q.graph_name != graph for q in quads):
        raise ProtocolError(f"the body names graphs other than {graph}; send triples")
    return quads


def _write(graph: GraphName, *, replace: bool) -> Response:
    svc = services()
    writer = require_writer()
    quads = _body(graph)
    with svc.writer.exclusive():
        existed = svc.store.graph_exists(graph)
        changes = ChangeSet(insert=quads)
        if isinstance(graph, NamedNode):
            if replace and existed:
                changes.drop_graphs.append(graph)
            if replace or not existed:
                changes.create_graphs.append(graph)
        elif replace:
            changes.delete = list(svc.store.quads(graph=graph))
        svc.writer.submit(
            changes,
            agent=writer.iri,
            agent_name=writer.name,
            operation="gsp-put" if replace else "gsp-post",
        )
    created = isinstance(graph, NamedNode) and not existed
    return Response(status=201 if created else 204)


def _create() -> Response:
    """POST /store: a new graph ``{base}store/<uuid>`` holding the body (201 + Location)."""
    graph = NamedNode(services().settings.base_iri + "store/" + uuid.uuid4().hex)
    _write(graph, replace=False)
    response = Response(status=201)
    response.headers["Location"] = graph.value
    return response


def _delete(graph: GraphName) -> Response:
    svc = services()
    writer = require_writer()
    with svc.writer.exclusive():
        if not svc.store.graph_exists(graph):
            raise GraphNotFoundError(f"the graph {graph} does not exist", graph=str(graph))
        if isinstance(graph, NamedNode):
            changes = ChangeSet(drop_graphs=[graph])
        else:
            changes = ChangeSet(delete=list(svc.store.quads(graph=graph)))
        svc.writer.submit(changes, agent=writer.iri, agent_name=writer.name, operation="gsp-delete")
    return Response(status=204)
