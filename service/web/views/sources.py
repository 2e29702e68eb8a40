"""Adding a source: the form (``GET /sources/new``) and ``POST /sources``.

``POST /sources`` reads JSON (``{"title": ..., "text": ...}``), or form data
(``application/x-www-form-urlencoded``, or ``multipart/form-data`` with the text pasted
as ``text`` or uploaded as a ``.txt`` / ``.html`` file in ``file``). A program (a JSON
body, or ``Accept`` that ranks JSON first, as ``curl``'s ``*/*`` does) gets 201 with
``Location`` and the new source as JSON, or a 422 problem whose ``results`` name the
field of each message; a browser's form post gets 303 to the new source's page, or the
form again with each message next to its field. ``?dry-run=true`` checks everything,
the write gate included, and writes nothing. The core is ``service.editing._sources``.
"""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify, render_template, request

from service.editing import (
    FieldError,
    SourceDraft,
    SourceText,
    UploadError,
    field_of,
    field_result,
    pasted_text,
    plan_source,
    source_kinds,
    uploaded_text,
)
from service.errors import BadRequestError, ShapeViolationError, UnsupportedMediaTypeError
from service.store import ChangeSet
from service.web._auth import require_writer
from service.web._services import services

#: The form's fields that are not the source's.
_FORM_ONLY = ("csrf_token", "file", "text")
#: Languages offered as the form's suggestions (any BCP 47 tag is taken).
LANGUAGE_SUGGESTIONS = ("en", "uk", "ru", "de", "fr", "pl", "it", "es", "tr", "zh", "ar")


def new_source() -> str:
    """The form (a signed-in editor's; others see a link to sign in)."""
    return _form(SourceDraft(language="en"), {}, "")


def create() -> Response | tuple[Response, int] | tuple[str, int]:
    """Check the fields, write the source through the gate, and answer as the client asked."""
    svc = services()
    writer = require_writer()
    dry_run = _dry_run()
    as_json = _wants_json()
    draft, text, errors = _read_request()
    if errors:
        return _refused(errors, draft, as_json)
    gate = svc.writer
    # The slug is chosen and written under one lock: two sources with one title get two.
    with gate.exclusive():
        plan, errors = plan_source(
            svc.store, draft, text, max_text_bytes=svc.settings.max_literal_bytes
        )
        if plan is None:
            return _refused(errors, draft, as_json)
        try:
            outcome = gate.submit(
                ChangeSet(insert=plan.quads),
                agent=writer.iri,
                agent_name=writer.name,
                operation="add source",
                dry_run=dry_run,
            )
        except ShapeViolationError as refused:
            results = refused.extras.get("results", [])
            found = [
                FieldError(
                    field_of(svc.vocab, plan.iri.value, r.get("focusNode"), r.get("resultPath")),
                    str(r.get("message") or ""),
                )
                for r in results
            ]
            return _refused(found, draft, as_json, results)
    if not as_json:
        if dry_run:
            return _form(draft, {}, text.text if text else "", checked=True), 200
        # The page's path on this server: a browser follows it whatever host it used.
        page = "/" + plan.iri.value.removeprefix(svc.vocab.base)
        return Response(status=303, headers={"Location": page})
    body: dict[str, Any] = {
        "iri": plan.iri.value,
        "identifier": plan.slug,
        "graph": plan.graph.value,
        "record": outcome.record,
        "sha256": plan.sha256,
        "characters": len(plan.text),
        "source": plan.record,
        "added": outcome.added,
        "dryRun": dry_run,
    }
    response = jsonify(body)
    if dry_run:
        return response, 200
    response.headers["Location"] = plan.iri.value
    return response, 201


# -- reading the request ------------------------------------------------------------


def _wants_json() -> bool:
    """A JSON body, or an ``Accept`` that does not rank HTML first (``*/*`` does not; no
    ``Accept`` at all is a program's too: a browser always sends one)."""
    if request.is_json:
        return True
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return best != "text/html"


def _dry_run() -> bool:
    value = request.args.get("dry-run", "false").strip().lower()
    if value not in ("true", "false", "1", "0", "yes", "no"):
        raise BadRequestError(f"dry-run must be true or false, not {value!r}")
    return value in ("true", "1", "yes")


def _read_request() -> tuple[SourceDraft, SourceText | None, list[FieldError]]:
    if request.is_json:
        return _read_json()
    if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        return _read_form()
    raise UnsupportedMediaTypeError(
        "send the source as JSON (application/json) or as a form "
        "(application/x-www-form-urlencoded, or multipart/form-data with a .txt or .html file)",
        accepted=["application/json", "application/x-www-form-urlencoded", "multipart/form-data"],
    )


def _read_json() -> tuple[SourceDraft, SourceText | None, list[FieldError]]:
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict):
        raise BadRequestError("the body is not a JSON object of the source's fields")
    names = (*SourceDraft.names(), "text")
    errors = [
        FieldError(key, f"{key!r} is not a field of a source; the fields are {', '.join(names)}.")
        for key in payload
        if key not in names
    ]
    errors += [
        FieldError(key, "Give it as a string.")
        for key, value in payload.items()
        if key in names and value is not None and not isinstance(value, str)
    ]
    if errors:
        return SourceDraft(), None, errors
    raw = payload.get("text")
    return SourceDraft.from_fields(payload), pasted_text(raw) if raw else None, []


def _read_form() -> tuple[SourceDraft, SourceText | None, list[FieldError]]:
    draft = SourceDraft.from_fields(request.form)
    upload = request.files.get("file")
    if upload is not None and upload.filename:
        data = upload.read()
        try:
            text = uploaded_text(upload.filename, upload.content_type or "", data)
        except UploadError as exc:
            return draft, None, [FieldError("file", str(exc))]
        page = text.page
        if page is not None:
            # What the page says about itself fills a field left empty.
            draft = SourceDraft(
                **{
                    **draft.__dict__,
                    "title": draft.title or page.title,
                    "language": draft.language or page.language,
                    "url": draft.url or page.canonical,
                }
            )
        if request.form.get("text", "").strip():
            return draft, text, [FieldError("text", "Paste the text or upload a file, not both.")]
        return draft, text, []
    pasted = request.form.get("text", "")
    return draft, pasted_text(pasted) if pasted.strip() else None, []


# -- answering ----------------------------------------------------------------------


def _refused(
    errors: list[FieldError],
    draft: SourceDraft,
    as_json: bool,
    gate_results: list[dict[str, Any]] | None = None,
) -> tuple[str, int]:
    """The form again with the messages (422), or raise the 422 problem for a program.

    :param gate_results: the gate's SHACL results the errors were read from, in order.
    """
    if as_json:
        by_field: dict[str, list[str]] = {}
        for error in errors:
            by_field.setdefault(error.field or "", []).append(error.message)
        raise ShapeViolationError(
            "the source was not added: "
            + "; ".join(f"{e.field or 'source'}: {e.message}" for e in errors),
            conforms=False,
            results=[
                field_result(e, gate_results[n] if gate_results else None)
                for n, e in enumerate(errors)
            ],
            fields=by_field,
        )
    messages: dict[str, list[str]] = {}
    for error in errors:
        messages.setdefault(error.field or "form", []).append(error.message)
    pasted = request.form.get("text", "") if not request.is_json else ""
    return _form(draft, messages, pasted), 422


def _form(
    draft: SourceDraft, errors: dict[str, list[str]], pasted: str, *, checked: bool = False
) -> str:
    svc = services()
    return render_template(
        "source_new.html",
        draft=draft,
        errors=errors,
        pasted=pasted,
        checked=checked,
        kinds=source_kinds(svc.store),
        languages=LANGUAGE_SUGGESTIONS,
        max_text_bytes=svc.settings.max_literal_bytes,
    )
