"""The OpenAPI description of ``GET /changes`` (``service.web.views.changes``): the JSON
and Atom feeds of accepted writes, the page, and the live stream (Server-Sent Events)."""

from __future__ import annotations

from service.web.views.openapi_components import JSONDoc, ref


def _named(what: str) -> JSONDoc:
    return {
        "type": "object",
        "description": what,
        "required": ["iri", "label", "href"],
        "properties": {
            "iri": {"type": "string"},
            "label": {"type": "string"},
            "href": {"type": ["string", "null"], "description": "Its page (a path here)."},
        },
    }


def _subjects(side: str) -> JSONDoc:
    return {
        "type": "object",
        "description": f"The main subjects the write {side}, most statements first (a "
        "dependent node such as `id/claim/x#evidence-1` counts for `id/claim/x`).",
        "required": ["total", "top"],
        "properties": {
            "total": {"type": "integer", "minimum": 0},
            "top": {"type": "array", "maxItems": 5, "items": _named("A subject.")},
        },
    }


def _entry() -> JSONDoc:
    count = {"type": "integer", "minimum": 0}
    return {
        "type": "object",
        "required": [
            "id",
            "record",
            "editor",
            "operation",
            "started",
            "ended",
            "graphs",
            "added",
            "removed",
            "inferred",
            "subjectsAdded",
            "subjectsRemoved",
        ],
        "properties": {
            "id": {
                "type": "string",
                "description": "The write record's IRI: what `since=` and `Last-Event-ID` take.",
            },
            "record": _named("The write record in graph/provenance; its label is the operation."),
            "editor": _named(
                "Who wrote: the agent (prov:wasAssociatedWith), labelled with the name "
                "recorded with the write, else its IRI's local name."
            ),
            "operation": {"type": "string"},
            "started": {"type": "string", "description": "xsd:dateTime."},
            "ended": {"type": "string", "description": "xsd:dateTime: the feed's order."},
            "graphs": {"type": "array", "items": _named("A graph the write changed.")},
            "added": count,
            "removed": count,
            "inferred": {**count, "description": "Inferred statements added and removed."},
            "subjectsAdded": _subjects("added statements about"),
            "subjectsRemoved": _subjects("removed statements about"),
        },
    }


def _feed() -> JSONDoc:
    return {
        "type": "object",
        "required": ["entries", "last", "more", "next"],
        "properties": {
            "entries": {"type": "array", "items": _entry()},
            "last": {
                "type": ["string", "null"],
                "description": "The id to resume after (`since=`): the last entry's, "
                "or the `since=` given when the page is empty.",
            },
            "more": {"type": "boolean", "description": "More entries remained."},
            "next": {
                "type": ["string", "null"],
                "description": "The next page, while more remain (also `Link: rel=next`).",
            },
        },
    }


def changes_paths() -> JSONDoc:
    entry_id = {"type": "string", "maxLength": 2000}
    return {
        "/changes": {
            "get": {
                "summary": "Every accepted write: a feed to resume, or a live stream",
                "description": "JSON or Atom (RFC 4287) by Accept or `format=`: the writes "
                "oldest first, from the first or after `since=`, `limit=` at a time, with a "
                "`next` link (and `Link: rel=next`) while more remain; a reader that "
                "resumes after the last id it read gets every write exactly once. "
                "`Accept: text/event-stream`: a live stream of Server-Sent Events (event "
                "`change`, `id` the entry's id, `data` its JSON), after `Last-Event-ID`, "
                "else after `since=`, else from now; it ends after about a minute with a "
                "`retry:` hint, and past the server's stream limit the answer is 503 with "
                "Retry-After. A browser gets the page, newest first (`before=` goes back).",
                "parameters": [
                    {
                        "name": "since",
                        "in": "query",
                        "description": "An entry's id: the entries after it.",
                        "schema": entry_id,
                    },
                    {
                        "name": "limit",
                        "in": "query",
                        "description": "Entries at most (default 50).",
                        "schema": {"type": "integer", "minimum": 1, "maximum": 500},
                    },
                    {
                        "name": "before",
                        "in": "query",
                        "description": "The page only: the entries before this id.",
                        "schema": entry_id,
                    },
                    {
                        "name": "format",
                        "in": "query",
                        "description": "The answer's format; beats the Accept header.",
                        "schema": {"type": "string", "enum": ["html", "json", "atom"]},
                    },
                ],
                "responses": {
                    "200": {
                        "description": "The feed, the page or the stream.",
                        "headers": {
                            "X-Request-Id": ref("RequestId", "headers"),
                            "Vary": ref("Vary", "headers"),
                            "Link": {
                                "description": 'rel="next": the next page of the feed.',
                                "schema": {"type": "string"},
                            },
                        },
                        "content": {
                            "application/json": {"schema": _feed()},
                            "application/atom+xml": {"schema": {"type": "string"}},
                            "text/event-stream": {"schema": {"type": "string"}},
                            "text/html": {"schema": {"type": "string"}},
                        },
                    },
                    **{
                        str(status): ref(f"Problem{status}", "responses")
                        for status in (400, 406, 503)
                    },
                },
            }
        }
    }
