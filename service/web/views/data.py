"""Validating and writing RDF through the gate: ``POST /validate`` and ``POST /data``.

``POST /validate`` answers whether data conforms; non-conformance is an
answer (200), not an error. Without client shapes the server's shapes apply in
the context of the store (``WriteGate.validate``); with a ``shapes`` part the
client's shapes validate the client's data alone. ``POST /data?graph=IRI``
validates and writes (201), or refuses with the report (422); ``dry-run=true``
says what would happen. Both read RDF in any format by Content-Type, or a
``multipart/form-data`` body with a ``data`` part and an optional ``shapes`` part.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urljoin

from flask import Response, jsonify, render_template, request
from werkzeug.datastructures import FileStorage

from service.errors import ProtocolError, ReadOnlyError
from service.gate import (
    ValidateInContext,
    ValidateWithShapes,
    ValidationReport,
    WriteGate,
    report_from_wire,
)
from service.rdf import (
    HTML,
    RDF_FORMATS,
    SH,
    TURTLE,
    Format,
    NamedNode,
    Quad,
    by_suffix,
    from_rdflib,
    negotiate,
    parse,
    rdf_format_for_content_type,
    serialize,
)
from service.store import ChangeSet
from service.web._auth import require_writer
from service.web._services import services
from service.web.views.paging import client_iri

#: The report as plain JSON (``{"conforms", "results"}``).
REPORT_JSON = Format("report", "application/json", "json", "results", nicknames=("json",))
#: JSON for scripts (the default), the report graph in any RDF format, or a page.
_REPORT_FORMATS = (REPORT_JSON, *RDF_FORMATS, HTML)


@dataclass(frozen=True)
class Body:
    """The RDF a request carries."""

    data: bytes
    data_format: Format
    shapes: bytes | None = None
    shapes_format: Format | None = None


def _part_format(part: FileStorage | None, fallback: Format) -> Format:
    if part is not None and part.mimetype and part.mimetype != "application/octet-stream":
        return rdf_format_for_content_type(part.mimetype)
    if part is not None and part.filename and "." in part.filename:
        by_name = by_suffix(part.filename.rsplit(".", 1)[1])
        if by_name is not None:
            return by_name
    return fallback


def _form_part(name: str, *, text_field: str | None) -> tuple[bytes, Format] | None:
    """A form part: an uploaded file (its own content type), or pasted text.

    The browsing pages' form sends pasted text as ``text`` with its media type in
    ``format``; a script sends a ``data`` part.
    """
    upload = request.files.get(name)
    if upload is not None and (upload.filename or upload.mimetype):
        content = upload.read()
        if content:
            return content, _part_format(upload, TURTLE)
    for field_name in (name, text_field):
        if field_name and request.form.get(field_name, "").strip():
            declared = request.form.get("format")
            fmt = rdf_format_for_content_type(declared) if declared else TURTLE
            return request.form[field_name].encode("utf-8"), fmt
    return None


def _read_body() -> Body:
    """The request's RDF: a body in an RDF format, or a multipart form."""
    if request.mimetype == "multipart/form-data":
        data = _form_part("data", text_field="text")
        if data is None:
            raise ProtocolError("a multipart/form-data body needs a 'data' part")
        shapes = _form_part("shapes", text_field=None)
        return Body(data[0], data[1], *(shapes or (None, None)))
    fmt = rdf_format_for_content_type(request.content_type)
    return Body(request.get_data(cache=False), fmt)


def _graph_param(required: bool) -> NamedNode | None:
    value = request.args.get("graph")
    if not value:
        if required:
            raise ProtocolError(
                "say which graph to write with ?graph=IRI (graph/reference, "
                "graph/claims/<source>, graph/editorial, or your own: store/<name>, or any "
                "IRI outside the base)"
            )
        return None
    iri = urljoin(services().settings.base_iri, value)
    return client_iri(iri, ProtocolError(f"?graph={value!r} is not a valid IRI"))


def _flag(name: str) -> bool:
    value = request.args.get(name, "false").strip().lower()
    if value not in ("true", "false", "1", "0", "yes", "no"):
        raise ProtocolError(f"{name} must be true or false, not {value!r}")
    return value in ("true", "1", "yes")


def _gate() -> WriteGate:
    writer = services().writer
    assert isinstance(writer, WriteGate), "the application's writer is the write gate"
    return writer


def _quads(body: Body, graph: NamedNode) -> list[Quad]:
    base = services().settings.base_iri
    return parse(body.data, body.data_format, base_iri=base, graph=graph, what="the data")


def _render(report: ValidationReport) -> Response:
    fmt = negotiate(
        request.headers.get("Accept"), _REPORT_FORMATS, override=request.args.get("format")
    )
    if fmt == HTML:
        response = Response(render_template("validate.html", report=report))
    elif fmt == REPORT_JSON:
        response = jsonify(report.to_json())
    else:
        # pyoxigraph writes the graph: rdflib's Turtle writer puts an ill-typed
        # boolean ("none"^^xsd:boolean) down bare, which no parser reads back.
        data = serialize(from_rdflib(report.graph), fmt, prefixes={"sh": str(SH)})
        response = Response(data, content_type=fmt.content_type)
    response.headers["Vary"] = "Accept"
    return response


def validate() -> Response:
    """Validate without writing: in context with the server's shapes, or alone with the client's.

    The client chooses what that costs, so it runs where the time limit stops it
    (``service.gate._validation_jobs``).
    """
    svc = services()
    if svc.settings.read_only:
        # A read-only server evaluates nobody's shapes or data: it is where a public mirror
        # is meant to do nothing but read.
        raise ReadOnlyError(
            "this server is read-only: it validates nothing (run `parley validate FILE` "
            "against your own copy of the store)"
        )
    body = _read_body()
    if body.shapes is not None:
        assert body.shapes_format is not None
        alone = ValidateWithShapes(
            body.data, body.data_format, body.shapes, body.shapes_format, svc.settings.base_iri
        )
        return _render(report_from_wire(svc.guard.run(alone)))
    graph = _graph_param(required=False) or svc.vocab.graph("validate")
    if svc.guard.can_share(svc.store):
        with svc.guard.shared(svc.store) as store:
            in_context = ValidateInContext(store, body.data, body.data_format, graph)
            wire = svc.guard.run(in_context)
        return _render(report_from_wire(wire))
    # An in-memory store, or no workers: here, with no hard limit.
    report = _gate().validate(ChangeSet(insert=_quads(body, graph)))
    return _render(report)


def write() -> tuple[Response, int]:
    """Validate and write; 201 with the counts, 422 with the report."""
    writer = require_writer()
    graph = _graph_param(required=True)
    assert graph is not None
    dry_run = _flag("dry-run")
    body = _read_body()
    if body.shapes is not None:
        raise ProtocolError("POST /data validates with the server's shapes; drop the 'shapes' part")
    changes = ChangeSet(insert=_quads(body, graph))
    outcome = _gate().submit(
        changes,
        agent=writer.iri,
        agent_name=writer.name,
        operation="POST /data",
        dry_run=dry_run,
    )
    payload = {**outcome.to_json(), "graph": graph.value, "dryRun": dry_run}
    response = jsonify(payload)
    # What each stage of the gate took (W3C Server Timing), for clients and benchmarks.
    response.headers["Server-Timing"] = ", ".join(
        f"{stage};dur={ms}" for stage, ms in outcome.timings.items()
    )
    return response, 200 if dry_run else 201
