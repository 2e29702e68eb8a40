"""``POST /claims``: a claim from its fields, through the write gate.

The body is JSON (one claim's fields, or a batch ``{"source": ..., "claims": [...]}``)
or a form post (``application/x-www-form-urlencoded`` or ``multipart/form-data``, the
claim form's fields). ``?dry-run=true`` (or a ``dry-run`` form field) checks the claim
in the context of the store, the gate included, writes nothing and answers 200
``{"conforms", "results"}``: the claim form's live check while an editor types. A
write answers a program 201 with ``Location`` (the claim, whose IRI is its page) and
the claim as JSON, a browser 303 to the claim's page; a refusal a program 422 (a
problem whose ``results`` name each message's field), a browser the form again with
each message next to its field. The core is ``service.editing._claim_writes``.
"""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify, redirect, request
from werkzeug.wrappers import Response as BaseResponse

from service.editing import (
    ClaimFields,
    ClaimFieldsError,
    FieldProblem,
    NewSourceFields,
    Writer,
    add_claim,
    add_claims,
    claim_fields_from_form,
    claim_fields_from_json,
)
from service.errors import BadRequestError, ShapeViolationError
from service.web._auth import require_writer
from service.web._services import services
from service.web.views._asks import editing_body, wants_json
from service.web.views.claim_form import claim_form_page, refused_claim

#: Claims one batch may hold (a spreadsheet of a long source has a few hundred).
MAX_BATCH = 5000


def create() -> BaseResponse | tuple[Response, int] | tuple[str, int]:
    """Check a claim (or a batch), write it through the gate, answer as the client asked."""
    writer = require_writer()
    as_json = wants_json()
    values, payload, dry_run = editing_body("the claim")
    if isinstance(payload, dict) and "claims" in payload:
        return _batch(payload, writer, dry_run)
    if request.is_json:
        read = _fields(lambda: claim_fields_from_json(payload))
    else:
        read = _fields(lambda: claim_fields_from_form(values))
    if isinstance(read, FieldProblem):
        return refused_claim(
            [read.to_json()], values, as_json=as_json, dry_run=dry_run, what=_NOT_ADDED
        )
    outcome = add_claim(services().writer, read, writer, dry_run=dry_run)
    if not outcome.conforms:
        return refused_claim(
            outcome.results(), values, as_json=as_json, dry_run=dry_run, what=_NOT_ADDED
        )
    if dry_run:
        if as_json:
            return jsonify({"conforms": True, "results": []}), 200
        return claim_form_page(values, {}, checked=True), 200
    iri = outcome.draft.iri.value
    if not as_json:
        return redirect("/" + iri.removeprefix(services().vocab.base), code=303)
    write = outcome.write
    response = jsonify(
        {
            "iri": iri,
            "identifier": outcome.draft.identifier,
            "record": write.record if write is not None else None,
            "added": write.added if write is not None else 0,
            "newActors": outcome.draft.new_actors,
        }
    )
    response.headers["Location"] = iri
    return response, 201


# -- reading -----------------------------------------------------------------------------------


def _fields(read: Any) -> ClaimFields | FieldProblem:
    try:
        fields: ClaimFields = read()
    except ClaimFieldsError as error:
        return FieldProblem(error.field, error.message)
    return fields


#: What a refused write of a new claim says.
_NOT_ADDED = "the claim was not added"

# -- answering ---------------------------------------------------------------------------------


def _batch(payload: dict[str, Any], writer: Writer, dry_run: bool) -> tuple[Response, int]:
    """Many claims in one change (``parley ingest``): refused claims are left out and
    reported by their ``row``; 201 when some were written, 422 when none could be."""
    claims = payload.get("claims")
    if not isinstance(claims, list) or len(claims) > MAX_BATCH:
        raise BadRequestError(f"'claims' is a list of at most {MAX_BATCH} claim objects")
    source = payload.get("source")
    new_source = None
    if isinstance(source, dict):
        text = source.get("text")
        if not isinstance(text, str):
            raise BadRequestError("a new source needs its 'text' (a string)")
        new_source = NewSourceFields({k: v for k, v in source.items() if k != "text"}, text)
    elif source is not None and not isinstance(source, str):
        raise BadRequestError("'source' is the IRI of a source, or a new source's fields")
    rows, unread = [], {}
    for n, claim in enumerate(claims, 1):
        row = claim.get("row", n) if isinstance(claim, dict) else n
        number = row if isinstance(row, int) else n
        read = _fields(lambda claim=claim: claim_fields_from_json(claim))
        if isinstance(read, FieldProblem):
            unread[number] = read
            continue
        if not read.source and isinstance(source, str):
            read.source = source
        rows.append((number, read))
    svc = services()
    outcome = add_claims(
        svc.writer,
        rows,
        writer,
        new_source=new_source,
        max_text_bytes=svc.settings.max_literal_bytes,
        dry_run=dry_run,
    )
    body = outcome.to_json()
    body["rows"] += [
        {"row": n, "taken": False, "iri": None, "identifier": None, "results": [p.to_json()]}
        for n, p in unread.items()
    ]
    body["rows"].sort(key=lambda r: r["row"])
    body["refused"] += len(unread)
    body["dryRun"] = dry_run
    if not dry_run and not outcome.taken:
        raise ShapeViolationError(
            f"no claim of the {len(body['rows'])} could be written; nothing was written",
            conforms=False,
            results=[*body["sourceResults"], *(r for row in body["rows"] for r in row["results"])],
            rows=body["rows"],
            sourceResults=body["sourceResults"],
        )
    response = jsonify(body)
    if outcome.source is not None and outcome.taken and not dry_run:
        response.headers["Location"] = outcome.source.iri.value
    return response, 200 if dry_run else 201
