"""The OpenAPI description of a claim's new version, its withdrawal, and a new review
(``service.web.views.revisions``)."""

from __future__ import annotations

from service.web.views.openapi_components import JSONDoc, ref

_SLUG = {
    "name": "slug",
    "in": "path",
    "required": True,
    "description": "The claim's name: its IRI is {base}id/claim/{slug}.",
    "schema": {"type": "string"},
    "example": "sovereignty-crimea-donbas",
}
_DRY_RUN = {
    "name": "dry-run",
    "in": "query",
    "description": "Check in the store's context; write nothing (200).",
    "schema": {"enum": ["true", "false", "1", "0", "yes", "no"]},
}
_TEXT = {"type": "string"}
_FORM = {"type": "object", "additionalProperties": {"type": "string"}}
_LOCATION = {"required": True, "schema": {"type": "string"}}


def _answer(description: str, schema: JSONDoc, **headers: JSONDoc) -> JSONDoc:
    return {
        "description": description,
        "headers": {"X-Request-Id": ref("RequestId", "headers"), **headers},
        "content": {"application/json": {"schema": schema}},
    }


def _problems(*statuses: int) -> JSONDoc:
    return {str(s): ref(f"Problem{s}", "responses") for s in statuses}


def _check() -> JSONDoc:
    return {
        "type": "object",
        "required": ["conforms", "results"],
        "properties": {
            "conforms": {"type": "boolean"},
            "results": {"type": "array", "items": ref("ValidationResult")},
        },
    }


def _see_page() -> JSONDoc:
    return {
        "description": "A browser's form post: done; see the claim's page.",
        "headers": {"Location": _LOCATION},
    }


def _version() -> JSONDoc:
    return {
        "post": {
            "summary": "Write a new version of a claim; the old one is kept in graph/history",
            "description": "The same fields as POST /claims (JSON or form data). The claim "
            "keeps its IRI and identifier; its old version becomes {claim}/v{n} in "
            "graph/history, which queries that name no graph do not see, and the new one "
            "links to it with prov:wasRevisionOf. Refused: 422, each result naming its "
            "field; a withdrawn claim: 409.",
            "security": [{"writeToken": []}],
            "parameters": [_SLUG, _DRY_RUN],
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {"type": "object"},
                        "example": {"modality": "modality-asserted"},
                    },
                    "application/x-www-form-urlencoded": {"schema": _FORM},
                },
            },
            "responses": {
                "200": _answer("A dry run: whether it would be written, and why not.", _check()),
                "201": _answer(
                    "Written.",
                    {
                        "type": "object",
                        "required": ["iri", "identifier", "previousVersion", "record"],
                        "properties": {
                            "iri": {**_TEXT, "description": "The claim (its current version)."},
                            "identifier": _TEXT,
                            "previousVersion": {"type": ["string", "null"]},
                            "record": {"type": ["string", "null"]},
                        },
                    },
                    Location=_LOCATION,
                ),
                "303": _see_page(),
                **_problems(400, 401, 403, 404, 409, 413, 415, 422, 429, 503),
            },
        }
    }


def _retraction() -> JSONDoc:
    return {
        "post": {
            "summary": "Withdraw a claim, with the reason",
            "description": "The claim's statements move to graph/history under the same "
            "IRI, marked parley:withdrawn with the reason, the time "
            "(prov:invalidatedAtTime) and the editor; its address keeps working. A reason "
            "is required (422 without one); a claim withdrawn already: 409.",
            "security": [{"writeToken": []}],
            "parameters": [_SLUG],
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "required": ["reason"],
                            "properties": {"reason": _TEXT},
                        },
                        "example": {"reason": "A duplicate of C18."},
                    },
                    "application/x-www-form-urlencoded": {"schema": _FORM},
                },
            },
            "responses": {
                "200": _answer(
                    "Withdrawn.",
                    {
                        "type": "object",
                        "required": ["iri", "withdrawn", "reason", "record"],
                        "properties": {
                            "iri": _TEXT,
                            "withdrawn": {"const": True},
                            "reason": _TEXT,
                            "record": {"type": ["string", "null"]},
                        },
                    },
                ),
                "303": _see_page(),
                **_problems(400, 401, 403, 404, 409, 413, 415, 422, 429, 503),
            },
        }
    }


def _review() -> JSONDoc:
    return {
        "post": {
            "summary": "Add an editorial review of a claim",
            "description": "The review form's fields, from the shapes of parley:ClaimReview "
            "(attribution, accuracy, reviewBody, source for dcterms:source, reviewNote, "
            "datePublished, ...), and claim: the IRI of the claim reviewed. The author is "
            "the editor who writes it. Written to graph/editorial as review:C<n> (C<n>-2 "
            "for a second review). Refused: 422, each result naming its field.",
            "security": [{"writeToken": []}],
            "parameters": [_DRY_RUN],
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "required": ["claim"],
                            "properties": {"claim": _TEXT},
                        },
                        "example": {
                            "claim": "id/claim/sovereignty-crimea-donbas",
                            "attribution": "attribution-differs",
                            "reviewBody": "The words are not in the transcript consulted.",
                            "source": "id/ref/kremlin-2025-11-27",
                        },
                    },
                    "application/x-www-form-urlencoded": {"schema": _FORM},
                },
            },
            "responses": {
                "200": _answer("A dry run: whether it would be written, and why not.", _check()),
                "201": _answer(
                    "Added.",
                    {
                        "type": "object",
                        "required": ["iri", "claim", "record"],
                        "properties": {
                            "iri": _TEXT,
                            "claim": _TEXT,
                            "record": {"type": ["string", "null"]},
                        },
                    },
                    Location=_LOCATION,
                ),
                "303": _see_page(),
                **_problems(400, 401, 403, 404, 409, 413, 415, 422, 429, 503),
            },
        }
    }


def revisions_paths() -> JSONDoc:
    """``POST /claims/{slug}/versions``, ``POST /claims/{slug}/retraction``, ``POST /reviews``."""
    return {
        "/claims/{slug}/versions": _version(),
        "/claims/{slug}/retraction": _retraction(),
        "/reviews": _review(),
    }
