"""The OpenAPI description of ``POST /sources`` (``service.web.views.sources``)."""

from __future__ import annotations

from service.web.views.openapi_components import JSONDoc, ref

#: A source any store of Parley's takes (its kind is one of ``parley:sourceKinds``).
_EXAMPLE = {
    "title": "Talks in Geneva resume",
    "url": "https://example.org/news/talks-in-geneva",
    "publisher": "Example News",
    "date": "2025-12-01",
    "kind": "newspaper",
    "language": "en",
    "author": "",
    "text": "Delegations met in Geneva on Monday.\nBoth sides said the talks would go on.",
}


def _fields(*, with_file: bool) -> JSONDoc:
    text = {"type": ["string", "null"]}
    properties: JSONDoc = {
        "title": {"type": "string", "description": "The source's title (rdfs:label, headline)."},
        "url": {**text, "description": "Its own address: an http(s) URL (schema:url)."},
        "publisher": {**text, "description": "Who published it (dcterms:publisher)."},
        "date": {**text, "description": "Published on: YYYY-MM-DD, YYYY-MM or YYYY."},
        "kind": {
            "type": "string",
            "description": "One of parley:sourceKinds: its IRI, local name (kind-wire) or "
            "short name (wire, newspaper, primary, transcript, research, state-media, "
            "advocacy, reference-work).",
        },
        "language": {"type": "string", "description": "A BCP 47 tag (en, uk, pt-BR)."},
        "author": {
            **text,
            "description": "An agent's IRI (absolute or id/...), or a name; empty: unnamed.",
        },
        "text": {
            "type": "string",
            "description": "The whole text; stored in Unicode NFC with LF line breaks.",
        },
    }
    required = ["title", "kind", "language", "text"]
    if with_file:
        properties["file"] = {
            "type": "string",
            "contentMediaType": "text/html",
            "description": "The text as a .txt file or an .html page (instead of text).",
        }
        required = ["title", "kind", "language"]
    return {"type": "object", "required": required, "properties": properties}


def _created() -> JSONDoc:
    text = {"type": "string"}
    return {
        "type": "object",
        "required": ["iri", "identifier", "graph", "record", "sha256", "characters", "source"],
        "properties": {
            "iri": {**text, "description": "The new source's IRI: its page's address."},
            "identifier": {**text, "description": "Its slug, in its IRI and its graph's."},
            "graph": {**text, "description": "Its graph, graph/claims/<slug>."},
            "record": {
                "type": ["string", "null"],
                "description": "The write's provenance record (null on a dry run).",
            },
            "sha256": {**text, "description": "SHA-256 of the stored text (parley:textSha256)."},
            "characters": {"type": "integer", "description": "Code points of the text."},
            "source": {"type": "object", "description": "The fields as stored."},
            "added": {"type": "integer"},
            "dryRun": {"type": "boolean"},
        },
    }


def sources_paths() -> JSONDoc:
    """``POST /sources``."""

    def answer(description: str, **headers: JSONDoc) -> JSONDoc:
        return {
            "description": description,
            "headers": {"X-Request-Id": ref("RequestId", "headers"), **headers},
            "content": {"application/json": {"schema": _created()}},
        }

    location = {"required": True, "schema": {"type": "string"}}
    problems = {str(s): ref(f"Problem{s}", "responses") for s in (400, 401, 403, 413, 415)}
    problems.update({str(s): ref(f"Problem{s}", "responses") for s in (422, 429, 503)})
    return {
        "/sources": {
            "post": {
                "summary": "Add a source: its fields and its text, through the write gate",
                "description": "JSON, or form data (multipart with a .txt or .html file). A "
                "program (a JSON body, or an Accept that ranks JSON first) gets 201 with "
                "Location; a browser's form post gets 303 to the source's page. Fields that "
                "cannot be taken: 422, each result naming its field.",
                "security": [{"writeToken": []}],
                "parameters": [
                    {
                        "name": "dry-run",
                        "in": "query",
                        "description": "Check everything; write nothing.",
                        "schema": {"enum": ["true", "false", "1", "0", "yes", "no"]},
                    }
                ],
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": _fields(with_file=False),
                            "example": _EXAMPLE,
                        },
                        "application/x-www-form-urlencoded": {"schema": _fields(with_file=False)},
                        "multipart/form-data": {"schema": _fields(with_file=True)},
                    },
                },
                "responses": {
                    "200": answer("A dry run: what would be written."),
                    "201": answer("Added.", Location=location),
                    "303": {
                        "description": "A browser's form post: added; see its page.",
                        "headers": {"Location": location},
                    },
                    **problems,
                },
            }
        }
    }
