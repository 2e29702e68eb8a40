"""Change, retract, review: an editor's edit of a claim, its withdrawal, a new review.

- ``GET /claims/<slug>/edit``: the claim form (``claim_form.claim_form_page``) filled with
  the claim's current version; it posts to
- ``POST /claims/<slug>/versions``: a new version from the same fields as ``POST /claims``
  (JSON or a form; ``?dry-run=true`` checks only). The old version is kept as
  ``<claim>/v<n>`` in ``graph/history`` (``service.editing._versions``). 201 with
  ``Location`` (the claim) for a program, 303 to the claim's page for a browser; 422 (or
  the form again) with each message at its field.
- ``POST /claims/<slug>/retraction``: withdraw the claim, with a ``reason`` (required):
  its statements move to ``graph/history``, marked withdrawn. 200 (a program) or 303.
- ``GET /reviews/new?claim=IRI`` and ``POST /reviews``: an editorial review of a claim,
  from the form generated from the review's shapes. 201 + ``Location`` / 303 / 422.

Who writes: ``require_writer()`` (a bearer token, or a signed-in editor's session with its
CSRF token). Every write goes through the gate with the editor as its agent.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from flask import Response, jsonify, redirect, render_template, request
from werkzeug.wrappers import Response as BaseResponse

from service.editing import (
    ClaimFields,
    ClaimFieldsError,
    FieldProblem,
    add_review,
    claim_fields_from_form,
    claim_fields_from_json,
    claim_form_values,
    edit_claim,
    is_withdrawn,
    retract_claim,
    review_form,
)
from service.errors import (
    BadRequestError,
    ClaimWithdrawnError,
    EntityNotFoundError,
    ShapeViolationError,
)
from service.pages import Labels
from service.rdf import DCTERMS, Literal, NamedNode
from service.web._auth import current_editor, require_writer
from service.web._services import services
from service.web.views._asks import editing_body, wants_json
from service.web.views.claim_form import claim_form_page, form_state, refused_claim

_WRITTEN = tuple[Response, int] | BaseResponse


# -- reading a request -------------------------------------------------------------------


def _claim(slug: str) -> NamedNode:
    """The claim ``{base}id/claim/<slug>``."""
    if not slug or "#" in slug or "?" in slug:
        raise EntityNotFoundError(f"no claim is named {slug!r}")
    try:
        return services().vocab.id["claim/" + slug]
    except ValueError as exc:  # not an IRI's characters: no claim is named so
        raise EntityNotFoundError(f"no claim is named {slug!r}") from exc


def _claim_param(value: str | None) -> NamedNode:
    """A claim named by its IRI, or relative to the base (``id/claim/...``)."""
    vocab = services().vocab
    text = (value or "").strip()
    if not text:
        raise BadRequestError("say which claim to review: ?claim=IRI")
    iri = text if text.startswith(("http://", "https://")) else vocab.base + text.lstrip("/")
    try:
        return NamedNode(iri)
    except ValueError as exc:
        raise BadRequestError(f"{text!r} is not the IRI of a claim") from exc


def _page(claim: NamedNode) -> str:
    return "/" + claim.value.removeprefix(services().vocab.base)


def _identifier(claim: NamedNode) -> str:
    for q in services().store.quads(claim, DCTERMS.identifier, None, None):
        if isinstance(q.object, Literal):
            return q.object.value
    return claim.value.rsplit("/", 1)[-1]


# -- an edit ---------------------------------------------------------------------------------


def edit_page(slug: str) -> str:
    """The claim form filled with the claim's current version."""
    claim = _claim(slug)
    values = claim_form_values(services().store, claim)
    return claim_form_page(
        values,
        [],
        action=f"/claims/{slug}/versions",
        heading=f"Edit claim {_identifier(claim)}",
    )


def new_version(slug: str) -> _WRITTEN | tuple[str, int]:
    """A new version of the claim from its fields; the old one goes to ``graph/history``."""
    writer = require_writer()
    claim = _claim(slug)
    as_json = wants_json()
    values, payload, dry_run = editing_body()
    try:
        fields: ClaimFields = (
            claim_fields_from_json(payload) if payload is not None or request.is_json
            else claim_fields_from_form(values)
        )  # fmt: skip
    except ClaimFieldsError as error:
        results = [FieldProblem(error.field, error.message).to_json(claim.value)]
        return _refused_edit(slug, claim, results, values, as_json=as_json, dry_run=dry_run)
    outcome = edit_claim(services().writer, claim, fields, writer, dry_run=dry_run)
    if not outcome.conforms:
        return _refused_edit(
            slug, claim, outcome.results(), values, as_json=as_json, dry_run=dry_run
        )
    if dry_run:
        if as_json:
            return jsonify({"conforms": True, "results": []}), 200
        page = claim_form_page(
            values,
            [],
            checked=True,
            action=f"/claims/{slug}/versions",
            heading=f"Edit claim {outcome.draft.identifier}",
        )
        return page, 200
    if not as_json:
        return redirect(_page(claim), code=303)
    write = outcome.write
    version = next(
        (q.object.value for q in write.changes.insert if q.subject == claim
         and q.predicate.value.endswith("wasRevisionOf") and isinstance(q.object, NamedNode)),
        None,
    ) if write is not None else None  # fmt: skip
    response = jsonify(
        {
            "iri": claim.value,
            "identifier": outcome.draft.identifier,
            "previousVersion": version,
            "record": write.record if write is not None else None,
        }
    )
    response.headers["Location"] = claim.value
    return response, 201


def _refused_edit(
    slug: str,
    claim: NamedNode,
    results: list[dict[str, Any]],
    values: Mapping[str, Sequence[str]],
    *,
    as_json: bool,
    dry_run: bool,
) -> tuple[Response, int] | tuple[str, int]:
    return refused_claim(
        results,
        values,
        as_json=as_json,
        dry_run=dry_run,
        what="the new version was not written",
        action=f"/claims/{slug}/versions",
        heading=f"Edit claim {_identifier(claim)}",
    )


# -- a retraction ----------------------------------------------------------------------------


def retract(slug: str) -> _WRITTEN:
    """Withdraw the claim, with the reason the editor gives."""
    writer = require_writer()
    claim = _claim(slug)
    as_json = wants_json()
    values, payload, dry_run = editing_body()
    if dry_run:  # never taken as a retraction that writes: say so, and write nothing
        raise BadRequestError("a retraction has no dry run (dry-run=true); nothing was withdrawn")
    if isinstance(payload, dict):
        reason = payload.get("reason")
        reason = reason if isinstance(reason, str) else ""
    else:
        reason = next(iter(values.get("reason", [])), "")
    outcome = retract_claim(services().writer, claim, reason, writer)
    if isinstance(outcome, FieldProblem):  # no reason given
        raise ShapeViolationError(
            "the claim was not withdrawn: say why (reason)",
            conforms=False,
            results=[outcome.to_json(claim.value)],
        )
    if not as_json:
        return redirect(_page(claim), code=303)
    return jsonify(
        {
            "iri": claim.value,
            "withdrawn": True,
            "reason": reason.strip(),
            "record": outcome.record,
        }
    ), 200


# -- a review --------------------------------------------------------------------------------


def new_review_page() -> str:
    """The review form for ``?claim=IRI``, from the review's shapes."""
    claim = _claim_param(request.args.get("claim"))
    values = {k: [v for v in request.args.getlist(k) if v] for k in request.args if k != "claim"}
    return _review_page(claim, values, [])


def _review_page(
    claim: NamedNode,
    values: Mapping[str, Sequence[str]],
    errors: Any,
    *,
    checked: bool = False,
) -> str:
    svc = services()
    store = svc.store
    if is_withdrawn(store, claim):
        raise ClaimWithdrawnError(
            f"{claim.value} was withdrawn; it is reviewed no more. Nothing was written.",
            claim=claim.value,
        )
    labels = Labels(store, svc.vocab)
    labels.fetch([claim])
    form = review_form(store)
    return render_template(
        "review_new.html",
        claim=labels.view(claim),
        claim_iri=claim.value,
        identifier=_identifier(claim),
        form=form,
        blocks=form.layout(),
        state=form_state(form, values, errors, labels=labels),
        checked=checked,
        editor=current_editor(),
    )


def create_review() -> _WRITTEN | tuple[str, int]:
    """A review of ``claim`` (a form field, or a JSON member) through the gate."""
    writer = require_writer()
    as_json = wants_json()
    values, payload, dry_run = editing_body()
    if payload is not None:
        if not isinstance(payload, dict):
            raise BadRequestError("a review is a JSON object of fields")
        values = {
            str(k): [str(x) for x in (v if isinstance(v, list) else [v]) if x is not None]
            for k, v in payload.items()
        }
    claim = _claim_param(next(iter(values.get("claim", [])), None))
    today = datetime.now(UTC).date()
    outcome = add_review(services().writer, claim, values, writer, today=today, dry_run=dry_run)
    if not outcome.conforms:
        results = outcome.results()
        if as_json and dry_run:
            return jsonify({"conforms": False, "results": results}), 200
        if as_json:
            raise ShapeViolationError(
                "the review was not added: "
                + "; ".join(f"{r['field'] or 'review'}: {r['message']}" for r in results),
                conforms=False,
                results=results,
            )
        return _review_page(claim, values, results), 200 if dry_run else 422
    if dry_run:
        if as_json:
            return jsonify({"conforms": True, "results": []}), 200
        return _review_page(claim, values, [], checked=True), 200
    if not as_json:
        return redirect(_page(claim), code=303)
    write = outcome.write
    response = jsonify(
        {
            "iri": outcome.iri.value,
            "claim": claim.value,
            "record": write.record if write is not None else None,
        }
    )
    response.headers["Location"] = outcome.iri.value
    return response, 201
