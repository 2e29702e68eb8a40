"""The OpenAPI description of ``POST /claims`` (``service.web.views.claims``)."""

from __future__ import annotations

from service.web.views.openapi_components import JSONDoc, ref

#: A claim of the seed article (C17's words), as a program sends it.
_EXAMPLE = {
    "source": "id/source/article",
    "exact": "Russian sovereignty over Crimea and Donbas is not up for negotiation",
    "start": 1774,
    "end": 1842,
    "claimant": "id/Putin",
    "modality": "modality-demanded",
    "claimType": "type-normative",
    "aboutPlace": ["id/Crimea", "id/Donbas"],
    "stances": [{"toward": "id/Russia", "value": "stance-favourable"}],
}

_NAMES = {"type": ["string", "array"], "items": {"type": "string"}}


def _claim_fields() -> JSONDoc:
    text = {"type": "string"}
    offset = {"type": ["integer", "string"], "description": "Unicode code points."}
    return {
        "type": "object",
        "description": "A claim's fields. Besides those listed, every property of the claim "
        "shape is a field named by its sh:path's local name (claimant, modality, claimType, "
        "aboutActor, aboutEvent, aboutPlace, label, supportsProposition, "
        "opposesProposition, statedIn, attributionNote, ...). Values are IRIs (absolute or "
        "relative to the base: id/Putin), local names (Putin, modality-demanded), labels, "
        "or claim identifiers (C17); a list where a field repeats.",
        "properties": {
            "source": {**text, "description": "The source quoted (its IRI)."},
            "exact": {**text, "description": "The quote; filled from start/end if left out."},
            "start": {**offset, "description": "Where the quote starts (code points)."},
            "end": {**offset, "description": "Where it ends, exclusive (code points)."},
            "stances": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {"toward": text, "value": text},
                },
            },
            "about": {**_NAMES, "description": "Actors, events or places, sorted by type."},
            "reportsClaim": {**text, "description": "The claim this one reports."},
            "contradictsClaim": _NAMES,
            "supportsClaim": _NAMES,
            "sameProposition": _NAMES,
            "repeatsClaim": _NAMES,
            "relationNote": {**text, "description": "Why the relations hold (skos:note)."},
            "new-actor-label": {**text, "description": "A new actor's name..."},
            "new-actor-type": {**text, "description": "...and class; point at it: new-actor."},
        },
    }


def _batch() -> JSONDoc:
    return {
        "type": "object",
        "required": ["claims"],
        "description": "Many claims in one change (parley ingest). Claims that cannot be "
        "written are left out and reported by row; the rest are written together.",
        "properties": {
            "source": {
                "description": "The IRI of the source the claims quote, or a new source's "
                "fields with its text (as POST /sources takes them).",
                "type": ["string", "object"],
            },
            "claims": {"type": "array", "items": {"type": "object"}, "maxItems": 5000},
        },
    }


def _check() -> JSONDoc:
    return {
        "type": "object",
        "required": ["conforms", "results"],
        "properties": {
            "conforms": {"type": "boolean"},
            "results": {"type": "array", "items": ref("ValidationResult")},
        },
        "additionalProperties": False,
    }


def _created() -> JSONDoc:
    text = {"type": "string"}
    return {
        "type": "object",
        "required": ["iri", "identifier", "record"],
        "properties": {
            "iri": {**text, "description": "The claim's IRI: its page's address."},
            "identifier": {**text, "description": "Its dcterms:identifier, C<n>."},
            "record": {"type": ["string", "null"], "description": "The write's record."},
            "added": {"type": "integer"},
            "newActors": {"type": "array", "items": text},
        },
    }


def _batch_outcome() -> JSONDoc:
    return {
        "type": "object",
        "required": ["source", "written", "taken", "refused", "rows"],
        "properties": {
            "source": {"type": ["string", "null"]},
            "written": {"type": "boolean"},
            "record": {"type": ["string", "null"]},
            "taken": {"type": "integer"},
            "refused": {"type": "integer"},
            "rows": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["row", "taken", "results"],
                    "properties": {
                        "row": {"type": "integer"},
                        "taken": {"type": "boolean"},
                        "iri": {"type": ["string", "null"]},
                        "identifier": {"type": ["string", "null"]},
                        "results": {"type": "array", "items": ref("ValidationResult")},
                    },
                },
            },
        },
    }


def claims_paths() -> JSONDoc:
    """``POST /claims``."""

    def answer(description: str, schema: JSONDoc, **headers: JSONDoc) -> JSONDoc:
        return {
            "description": description,
            "headers": {"X-Request-Id": ref("RequestId", "headers"), **headers},
            "content": {"application/json": {"schema": schema}},
        }

    location = {"required": True, "schema": {"type": "string"}}
    problems = {
        str(s): ref(f"Problem{s}", "responses") for s in (400, 401, 403, 413, 415, 422, 429, 503)
    }
    form = {"type": "object", "additionalProperties": {"type": "string"}}
    return {
        "/claims": {
            "post": {
                "summary": "Add a claim from its fields, through the write gate",
                "description": "JSON (one claim, or a batch {source, claims}) or form data "
                "(the claim form's fields). The quote must be the source's text at its "
                "offsets. A program gets 201 with Location; a browser's form post 303 to "
                "the claim's page. Refused: 422, each result naming its field.",
                "security": [{"writeToken": []}],
                "parameters": [
                    {
                        "name": "dry-run",
                        "in": "query",
                        "description": "Check in the store's context; write nothing (200).",
                        "schema": {"enum": ["true", "false", "1", "0", "yes", "no"]},
                    }
                ],
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {"anyOf": [_claim_fields(), _batch()]},
                            "example": _EXAMPLE,
                        },
                        "application/x-www-form-urlencoded": {"schema": form},
                    },
                },
                "responses": {
                    "200": answer(
                        "A dry run: whether it would be written, and why not.",
                        {"anyOf": [_check(), _batch_outcome()]},
                    ),
                    "201": answer(
                        "Added.", {"anyOf": [_created(), _batch_outcome()]}, Location=location
                    ),
                    "303": {
                        "description": "A browser's form post: added; see its page.",
                        "headers": {"Location": location},
                    },
                    **problems,
                },
            }
        }
    }
