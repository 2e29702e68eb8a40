"""``GET /openapi.json``: the OpenAPI 3.1 description of Parley's HTTP API for programs.

Described: the write gate (``POST /validate``, ``POST /data``), a new source
(``POST /sources``, ``openapi_sources``), the feed of changes (``openapi_changes``),
search's JSON,
``/health``, ``/metrics``, the problem types, and every IRI's RDF (``/id/...``,
``/graph/...``, ``/ontology``, ``/shapes``). Not described: the SPARQL 1.1 Protocol
and the Graph Store Protocol (their W3C specifications and ``/.well-known/void`` do),
and the pages that are only for a person.

The document is built from the code it describes wherever the code holds the fact: the
media types from the format tables, the problem ``type`` IRIs from the base IRI.
``tests/test_openapi.py`` checks that it names every route of the table it should, and
fuzzes each operation against it (schemathesis). The ``servers`` URL is the configured
base IRI, never the request's ``Host``: a client chooses that header.
"""

from __future__ import annotations

import functools

from flask import Response, jsonify

from service.rdf import HTML, JSON, NTRIPLES, RDF_FORMATS, TURTLE, Format
from service.web._services import services
from service.web.views.browse import PAGE_FORMATS
from service.web.views.data import REPORT_JSON
from service.web.views.openapi_changes import changes_paths
from service.web.views.openapi_claims import claims_paths
from service.web.views.openapi_components import JSONDoc, components, ref
from service.web.views.openapi_revisions import revisions_paths
from service.web.views.openapi_sources import sources_paths


def document() -> Response:
    """The description, for this server's base IRI."""
    return jsonify(openapi_document(services().settings.base_iri))


def _format_names(formats: tuple[Format, ...]) -> list[str]:
    """Every value ``format=`` accepts for ``formats`` (``service.rdf.negotiate``)."""
    names: dict[str, None] = {}
    for fmt in formats:
        for name in (fmt.name, fmt.suffix, fmt.media_type, *fmt.nicknames, *fmt.aliases):
            names.setdefault(name, None)
    return list(names)


def _format_param(formats: tuple[Format, ...]) -> JSONDoc:
    return {
        "name": "format",
        "in": "query",
        "description": "The answer's format; beats the Accept header.",
        "schema": {"type": "string", "enum": _format_names(formats)},
    }


def _bodies(formats: tuple[Format, ...], json_schema: JSONDoc | None = None) -> JSONDoc:
    """One ``content`` entry per format: plain JSON as ``json_schema`` says, JSON-LD any
    JSON, the others text."""
    content: JSONDoc = {}
    for fmt in formats:
        schema: JSONDoc = {"type": "string"}
        if fmt.media_type == "application/json":
            schema = json_schema or {}
        elif fmt.media_type.endswith("+json"):
            schema = {"description": "JSON-LD."}
        content[fmt.media_type] = {"schema": schema}
    return content


def _answer(description: str, content: JSONDoc, **headers: JSONDoc) -> JSONDoc:
    return {
        "description": description,
        "headers": {"X-Request-Id": ref("RequestId", "headers"), **headers},
        "content": content,
    }


def _problems(*statuses: int) -> JSONDoc:
    """The problem responses of an operation (the shared component of each status)."""
    return {str(status): ref(f"Problem{status}", "responses") for status in statuses}


#: A statement any data graph accepts.
_EXAMPLE_STATEMENT = (
    '<http://example.org/a> <http://www.w3.org/2000/01/rdf-schema#label> "an example" .\n'
)


def _rdf_request() -> JSONDoc:
    content = _bodies(RDF_FORMATS)
    content[TURTLE.media_type]["example"] = _EXAMPLE_STATEMENT
    content[NTRIPLES.media_type]["example"] = _EXAMPLE_STATEMENT
    content["multipart/form-data"] = {
        "schema": {
            "type": "object",
            "required": ["data"],
            "properties": {
                "data": {"type": "string", "description": "The RDF (its part's Content-Type)."},
                "shapes": {"type": "string", "description": "SHACL shapes (POST /validate)."},
            },
        }
    }
    return {"required": True, "content": content}


def _graph_param(required: bool) -> JSONDoc:
    return {
        "name": "graph",
        "in": "query",
        "required": required,
        "description": "The graph's IRI, absolute or relative to the base IRI.",
        "schema": {"type": "string", **({"minLength": 1} if required else {})},
        "example": "graph/editorial",
    }


def _write_gate() -> JSONDoc:
    report_formats = (REPORT_JSON, *RDF_FORMATS, HTML)
    outcome = {"application/json": {"schema": ref("WriteOutcome")}}
    server_timing = {"schema": {"type": "string"}, "description": "Each stage's time (ms)."}
    return {
        "/validate": {
            "post": {
                "summary": "Validate RDF without writing it",
                "description": "With the server's shapes in the store's context, or with a "
                "multipart 'shapes' part against the data alone. Non-conformance is a "
                "200 answer.",
                "parameters": [_graph_param(False), _format_param(report_formats)],
                "requestBody": _rdf_request(),
                "responses": {
                    "200": _answer(
                        "The SHACL report.",
                        _bodies(report_formats, ref("ValidationReport")),
                        Vary=ref("Vary", "headers"),
                    ),
                    **_problems(400, 406, 413, 415, 429, 503),
                },
            }
        },
        "/data": {
            "post": {
                "summary": "Validate RDF and write it into a graph",
                "security": [{"writeToken": []}],
                "parameters": [
                    _graph_param(True),
                    {
                        "name": "dry-run",
                        "in": "query",
                        "description": "Say what would happen; write nothing.",
                        "schema": {"enum": ["true", "false", "1", "0", "yes", "no"]},
                    },
                ],
                "requestBody": _rdf_request(),
                "responses": {
                    "200": _answer("A dry run: what would be written.", outcome),
                    "201": _answer(
                        "Written.",
                        outcome,
                        **{"Server-Timing": {**server_timing, "required": True}},
                    ),
                    **_problems(400, 401, 403, 413, 415, 422, 429, 503),
                },
            }
        },
    }


def _rdf_resource(
    summary: str,
    *params: JSONDoc,
    problems: tuple[int, ...] = (406,),
    redirects: JSONDoc | None = None,
) -> JSONDoc:
    headers = {"Vary": ref("Vary", "headers"), "Link": ref("Link", "headers")}
    return {
        "get": {
            "summary": summary,
            "description": "HTML for a person; RDF by Accept, or by a suffix "
            + ", ".join("." + f.suffix for f in PAGE_FORMATS)
            + " (which beats Accept).",
            "parameters": list(params),
            "responses": {
                "200": _answer("The description.", _bodies(PAGE_FORMATS), **headers),
                **({"303": redirects} if redirects is not None else {}),
                **_problems(*problems),
            },
        }
    }


def _path_param(name: str, example: str, description: str) -> JSONDoc:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "description": description,
        "schema": {"type": "string", "minLength": 1},
        "example": example,
    }


def _resources() -> JSONDoc:
    local = "The IRI's path after the prefix; it may contain '/'."
    suffix = _path_param("suffix", "ttl", "A format's suffix.")
    # 400: the path makes no IRI (a space, '<', a control character); 404: nothing has it.
    iri_problems = (400, 404, 406)
    return {
        "/id/{local}": _rdf_resource(
            "An entity under {base}id/",
            _path_param("local", "Putin", local),
            problems=iri_problems,
            redirects={
                "description": "The path names no IRI but an identifier a person sees, "
                "case-insensitively (a claim's identifier, `C17`; a local name, `putin`): to "
                "the one entity it names, or to the search when it names several.",
                "headers": {
                    "Location": {"schema": {"type": "string"}, "required": True},
                    "X-Request-Id": ref("RequestId", "headers"),
                },
            },
        ),
        "/.well-known/genid/{local}": _rdf_resource(
            "A skolemised blank node",
            _path_param("local", "unknown", local),
            problems=iri_problems,
        ),
        "/graph/{local}": _rdf_resource(
            "A named graph under {base}graph/",
            _path_param("local", "reference", local),
            problems=iri_problems,
        ),
        "/ontology": _rdf_resource("The ontology"),
        "/ontology.{suffix}": _rdf_resource(
            "The ontology in one format", suffix, problems=(404, 406)
        ),
        "/shapes": _rdf_resource("The SHACL shapes"),
        "/shapes.{suffix}": _rdf_resource("The shapes in one format", suffix, problems=(404, 406)),
    }


def _service() -> JSONDoc:
    text = {"schema": {"type": "string"}}
    return {
        "/search": {
            "get": {
                "summary": "Full-text search over names and texts",
                "parameters": [
                    {
                        "name": "q",
                        "in": "query",
                        "schema": {"type": "string", "maxLength": 500},
                        "example": "Putin",
                    },
                    {
                        "name": "kind",
                        "in": "query",
                        "description": "Only the hits of this kind (a facet's `kind`).",
                        "schema": {"type": "string", "maxLength": 200},
                    },
                    _format_param((HTML, JSON)),
                ],
                "responses": {
                    "200": _answer(
                        "The hits, best first (a page unless JSON is asked for).",
                        {"text/html": text, "application/json": {"schema": ref("SearchResults")}},
                        Vary=ref("Vary", "headers"),
                    ),
                    **_problems(400, 406),
                },
            }
        },
        "/choices": {
            "get": {
                "summary": "Instances of a class whose names match (the form's pickers)",
                "description": "What a search-as-you-type picker of the claim form offers: "
                "the instances of `class` (by `rdf:type`, inferred types included) whose "
                "names match `q`, best first; all of them by label when `q` is empty.",
                "parameters": [
                    {
                        "name": "class",
                        "in": "query",
                        "required": True,
                        "schema": {"type": "string", "maxLength": 2000},
                        "example": "http://127.0.0.1:8000/ontology#Agent",
                    },
                    {
                        "name": "q",
                        "in": "query",
                        "schema": {"type": "string", "maxLength": 200},
                        "example": "Putin",
                    },
                    {
                        "name": "limit",
                        "in": "query",
                        "schema": {"type": "integer", "minimum": 1, "maximum": 50},
                    },
                ],
                "responses": {
                    "200": _answer(
                        "The matching instances, best first.",
                        {"application/json": {"schema": ref("Choices")}},
                    ),
                    **_problems(400),
                },
            }
        },
        "/context.jsonld": {
            "get": {
                "summary": "The JSON-LD context of Parley's prefixes",
                "description": "What every JSON-LD answer states inline, as a document of "
                'its own: `{"@context": {"id": "{base}id/", ...}}`.',
                "responses": {
                    "200": _answer(
                        "The context.",
                        {
                            "application/ld+json": {
                                "schema": {
                                    "type": "object",
                                    "required": ["@context"],
                                    "properties": {
                                        "@context": {
                                            "type": "object",
                                            "additionalProperties": {"type": "string"},
                                        }
                                    },
                                }
                            }
                        },
                    )
                },
            }
        },
        "/health": {
            "get": {
                "summary": "Liveness, readiness and the store's identity",
                "responses": {
                    "200": _answer("Alive.", {"application/json": {"schema": ref("Health")}})
                },
            }
        },
        "/metrics": {
            "get": {
                "summary": "Metrics in the Prometheus text format",
                "responses": {"200": _answer("The metrics.", {"text/plain": text})},
            }
        },
        "/problems/{slug}": {
            "get": {
                "summary": "What a problem type means (a problem's 'type' IRI)",
                "parameters": [_path_param("slug", "not-found", "The problem type's name.")],
                "responses": {
                    "200": _answer("A page describing it.", {"text/html": text}),
                    **_problems(404),
                },
            }
        },
        "/openapi.json": {
            "get": {
                "summary": "This description",
                "responses": {
                    "200": _answer(
                        "OpenAPI 3.1.",
                        {"application/json": {"schema": {"type": "object"}}},
                    )
                },
            }
        },
    }


@functools.lru_cache(maxsize=4)
def openapi_document(base_iri: str) -> JSONDoc:
    """The OpenAPI 3.1 document for a server whose base IRI is ``base_iri`` (cached: it
    depends on nothing else; callers must not change it)."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Parley",
            "version": "1",
            "description": "An RDF knowledge graph: every write validated against SHACL "
            "shapes, every IRI dereferenceable. SPARQL is at /sparql (the SPARQL 1.1 "
            "Protocol) and graphs at /store (the Graph Store Protocol); they are "
            "described by their W3C specifications and /.well-known/void, not here.",
        },
        # The configured base IRI (the paths below start with '/'), never the Host header.
        "servers": [{"url": base_iri.rstrip("/")}],
        "paths": {
            **_write_gate(),
            **sources_paths(),
            **claims_paths(),
            **revisions_paths(),
            **changes_paths(),
            **_service(),
            **_resources(),
        },
        "components": components(base_iri),
    }
