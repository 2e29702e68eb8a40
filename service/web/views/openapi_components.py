"""The shared parts of ``/openapi.json`` (``service.web.views.openapi``): the problem
document, the JSON bodies, the headers, the write token.

The problem document is described once, as RFC 9457 has it plus the evidence Parley's
errors carry (``ParleyError.extras``); every problem response refers to it.
"""

from __future__ import annotations

from typing import Any

from service.web._problems import PROBLEM_JSON

#: A piece of the JSON document.
JSONDoc = dict[str, Any]


def ref(name: str, kind: str = "schemas") -> JSONDoc:
    """A reference to the component ``name`` of ``kind``."""
    return {"$ref": f"#/components/{kind}/{name}"}


#: The problem responses, and why each comes.
_PROBLEM_STATUSES = {
    400: "The request is malformed (a parameter, the RDF, the shapes).",
    401: "No or a wrong bearer token.",
    403: "The server is read-only, or the graph is not one clients write.",
    404: "Nothing here.",
    406: "No format of this resource fits Accept or format=.",
    409: "The claim was withdrawn: it is neither edited nor withdrawn again.",
    413: "The body is larger than the server accepts.",
    415: "The body's Content-Type is not an RDF format Parley reads.",
    422: "The data breaks the shapes; nothing was written. The report is in the problem.",
    429: "Past the client's rate limit.",
    503: "Past the time limit, or too busy; try again later.",
}


def _problem_schema(base_iri: str) -> JSONDoc:
    """RFC 9457's members, and the evidence Parley adds (``ParleyError.extras``)."""
    escaped = "".join("\\" + c if c in ".^$*+?()[]{}|\\" else c for c in base_iri)
    return {
        "type": "object",
        "required": ["type", "title", "status", "detail", "instance"],
        "properties": {
            "type": {
                "type": "string",
                "format": "uri",
                "pattern": f"^{escaped}problems/[a-z-]+$",
                "description": "The problem type; it dereferences to a page describing it.",
            },
            "title": {"type": "string"},
            "status": {"type": "integer", "minimum": 400, "maximum": 599},
            "detail": {"type": "string", "description": "A sentence a person can act on."},
            "instance": {"type": ["string", "null"], "description": "The request's path."},
            "line": {"type": "integer", "description": "Where the RDF does not parse."},
            "column": {"type": "integer"},
            "format": {"type": "string", "description": "The media type the body was read as."},
            "supported": {"type": "array", "items": {"type": "string"}},
            "graph": {"type": "string", "description": "The graph a write was refused for."},
            "suggestion": {"type": "string", "description": "The graph it probably meant."},
            "statement": {"type": "string", "description": "A statement of the model."},
            "iri": {"type": "string", "description": "The IRI nothing mentions."},
            "search": {
                "type": "string",
                "description": "What to search for instead: the unknown path's last segment.",
            },
            "suggestions": {
                "type": "array",
                "description": "Up to 5 entities whose names are close to it.",
                "items": {
                    "type": "object",
                    "properties": {
                        "iri": {"type": "string"},
                        "label": {"type": "string"},
                        "href": {"type": "string"},
                    },
                },
            },
            "limit": {"type": "integer"},
            "retryAfter": {"type": "integer", "description": "As the Retry-After header."},
            "timeoutSeconds": {"type": "number"},
            "conforms": {"type": "boolean"},
            "results": {"type": "array", "items": ref("ValidationResult")},
        },
    }


def _schemas(base_iri: str) -> JSONDoc:
    text = {"type": "string"}
    optional_text = {"type": ["string", "null"]}
    return {
        "Problem": _problem_schema(base_iri),
        "ValidationResult": {
            "type": "object",
            "description": "One sh:ValidationResult; terms as N-Triples.",
            "required": ["focusNode", "sourceConstraintComponent", "resultSeverity", "message"],
            "properties": {
                "focusNode": text,
                "resultPath": optional_text,
                "value": optional_text,
                "sourceConstraintComponent": text,
                "sourceShape": text,
                "resultSeverity": text,
                "message": text,
                # The editors' workbench names the form field a result is about.
                "field": {
                    **optional_text,
                    "description": "The field of POST /sources or /claims it is about.",
                },
                "focus": {**optional_text, "description": "The focus node's IRI."},
                "path": optional_text,
            },
            "additionalProperties": False,
        },
        "ValidationReport": {
            "type": "object",
            "required": ["conforms", "results"],
            "properties": {
                "conforms": {"type": "boolean"},
                "results": {"type": "array", "items": ref("ValidationResult")},
            },
            "additionalProperties": False,
        },
        "WriteOutcome": {
            "type": "object",
            "required": ["committed", "added", "removed", "graph", "dryRun"],
            "properties": {
                "committed": {"type": "boolean"},
                "added": {"type": "integer", "minimum": 0},
                "removed": {"type": "integer", "minimum": 0},
                "inferredAdded": {"type": "integer", "minimum": 0},
                "inferredRemoved": {"type": "integer", "minimum": 0},
                "record": {**optional_text, "description": "The write's provenance record."},
                "graph": {"type": "string", "format": "iri"},
                "dryRun": {"type": "boolean"},
            },
            "additionalProperties": False,
        },
        "Choices": {
            "type": "object",
            "required": ["class", "query", "results"],
            "properties": {
                "class": text,
                "query": text,
                "results": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["iri", "label", "name"],
                        "properties": {"iri": text, "label": text, "name": text},
                    },
                },
            },
        },
        "SearchResults": {
            "type": "object",
            "required": ["query", "kind", "facets", "results"],
            "properties": {
                "query": text,
                "kind": {
                    "type": ["string", "null"],
                    "description": "The kind the hits were narrowed to (`kind=`), if any.",
                },
                "facets": {
                    "type": "array",
                    "description": "How many entities of each kind match (all, not only "
                    "the hits shown), the most frequent kind first.",
                    "items": {
                        "type": "object",
                        "required": ["kind", "count"],
                        "properties": {"kind": text, "count": {"type": "integer", "minimum": 1}},
                        "additionalProperties": False,
                    },
                },
                "results": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["iri", "label", "kind", "snippet", "score"],
                        "properties": {
                            "iri": {"type": "string", "format": "iri"},
                            "label": text,
                            "kind": text,
                            "snippet": text,
                            "score": {"type": "number"},
                        },
                        "additionalProperties": False,
                    },
                },
            },
            "additionalProperties": False,
        },
        "Health": {
            "type": "object",
            "required": [
                *("status", "ready", "queries", "search"),
                *("base_iri", "store", "version", "engine"),
            ],
            "properties": {
                "status": {"enum": ["ok", "degraded"]},
                "ready": {"type": "boolean", "description": "Queries and search are ready."},
                "queries": {"enum": ["ready", "starting"]},
                "search": {"enum": ["ready", "building"]},
                "writes": {"enum": ["ok", "failing"]},
                "last_write_error": text,
                "base_iri": {"const": base_iri},
                "store": {"enum": ["embedded", "remote"]},
                "version": {"type": "integer"},
                "engine": {
                    "type": "object",
                    "description": "The engine that evaluates queries, and the limits it "
                    "applies by itself: a remote store's row cap (an answer that reaches it "
                    "is marked cut) and time limit.",
                    "required": ["name", "about"],
                    "properties": {
                        "name": {"type": "string", "examples": ["Oxigraph", "Virtuoso"]},
                        "about": {"type": "string", "description": "The engine in words."},
                        "version": {"type": "string"},
                        "max_rows": {"type": "integer"},
                        "max_time_s": {"type": "number"},
                    },
                    "additionalProperties": False,
                },
                "network_isolated": {
                    "type": "boolean",
                    "description": "Clients' queries run in processes without a network.",
                },
                "worker": {"type": "object", "description": "The web worker, under Granian."},
                "recovered": {"type": "boolean"},
            },
            "additionalProperties": False,
        },
    }


def _responses() -> JSONDoc:
    problem = {
        PROBLEM_JSON: {"schema": ref("Problem")},
        "text/html": {"schema": {"type": "string"}},
    }
    found: JSONDoc = {}
    for status, why in _PROBLEM_STATUSES.items():
        headers: JSONDoc = {"X-Request-Id": ref("RequestId", "headers")}
        if status == 401:
            headers["WWW-Authenticate"] = {"required": True, "schema": {"type": "string"}}
        if status == 429:
            headers["Retry-After"] = {"required": True, "schema": {"type": "integer"}}
        found[f"Problem{status}"] = {"description": why, "headers": headers, "content": problem}
    return found


def components(base_iri: str) -> JSONDoc:
    """The ``components`` of the document for a server whose base IRI is ``base_iri``."""
    string = {"schema": {"type": "string"}}
    return {
        "schemas": _schemas(base_iri),
        "responses": _responses(),
        "headers": {
            "RequestId": {
                "description": "The request's id, as in the access log.",
                "required": True,
                **string,
            },
            "Vary": {"required": True, **string},
            "Link": {
                "description": 'One rel="alternate" per format of the resource.',
                "required": True,
                **string,
            },
        },
        "securitySchemes": {
            "writeToken": {
                "type": "http",
                "scheme": "bearer",
                "description": "The server's write token (PARLEY_WRITE_TOKEN or "
                "--write-token-file: the administrator's), or an editor's token (`parley "
                "editor add`); the write's provenance names its holder. A signed-in browser "
                "sends its session cookie and the page's X-CSRF-Token instead.",
            }
        },
    }
