"""The claim form (``GET /claims/new``), generated from the shapes, and the picker's
search (``GET /choices``).

``/claims/new?source=IRI&start=N&end=M`` opens the form on the words an editor marked in
a source (``static/mark.js`` computes the offsets, in Unicode code points): the quote is
read from the source's text here, never typed. The fields are the property shapes of
``parley:Claim`` (``service.editing.form_for``), rendered by the macros of
``_shape_form.html``; the form posts to ``POST /claims`` (``views/claims.py``), which
answers a refused form with ``claim_form_page`` again. Without a script the form is plain
inputs and selects and a normal POST; ``static/form.js`` adds the live dry run and the
search-as-you-type pickers (``GET /choices?class=IRI&q=TEXT``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from flask import Response, jsonify, render_template, request

from service.editing import (
    NEW_ACTOR,
    Choice,
    FieldError,
    Form,
    actor_types,
    choices_matching,
    form_for,
    form_for_shape,
    picker_options,
    quote_at,
    resolve_iri,
    takes_new_actor,
)
from service.errors import BadRequestError, ShapeViolationError
from service.pages import Labels
from service.rdf import NamedNode
from service.web._auth import current_editor
from service.web._services import services

#: Fields of the quote, which the form carries as hidden inputs (set by the marking).
QUOTE_FIELDS = ("source", "exact", "start", "end", "prefix", "suffix")
#: Where the messages about the claim's evidence and stances are shown.
QUOTE_ERRORS = ("hasEvidence", "appearsIn", *QUOTE_FIELDS)
STANCE_ERRORS = (
    "hasStance",
    "stances",
    "stance-toward",
    "stance-value",
    "stanceToward",
    "stanceValue",
)
#: Messages for a form: by field name, or as ``FieldError``s or result dicts.
Errors = Mapping[str, Sequence[str]] | Iterable[FieldError | Mapping[str, Any]]
#: Most results ``GET /choices`` answers.
MAX_CHOICES = 50


def new_claim() -> str:
    """The form, opened on the quote ``?source=&start=&end=`` (any other field in the query
    string fills its field)."""
    values: dict[str, list[str]] = {
        key: [v for v in request.args.getlist(key) if v] for key in request.args
    }
    return claim_form_page(values, [])


def claim_form_page(
    values: Mapping[str, Sequence[str]],
    errors: Errors,
    *,
    checked: bool = False,
    action: str = "/claims",
    heading: str = "Mark a claim",
    submit_label: str = "Add the claim",
) -> str:
    """The claim form page (``claim_new.html``) of ``claim_form_context``; ``submit_label``
    names its submit button (the edit form's: "Save the new version")."""
    context = claim_form_context(values, errors, action=action, heading=heading)
    return render_template("claim_new.html", **context, checked=checked, submit_label=submit_label)


def refused_claim(
    results: list[dict[str, Any]],
    values: Mapping[str, Sequence[str]],
    *,
    as_json: bool,
    dry_run: bool,
    what: str,
    **page: str,
) -> tuple[Response, int] | tuple[str, int]:
    """The answer to claim fields the gate (or the fields' own checks) refused, for a new
    claim and a new version alike: a program's dry run gets 200 ``{"conforms": false,
    "results"}``, its write a 422 problem (``what`` says what was not written); a browser
    gets the form again (``page``: ``claim_form_page``'s options) with each message next to
    its field, 200 after a check and 422 after a refused submit."""
    if as_json and dry_run:
        return jsonify({"conforms": False, "results": results}), 200
    if as_json:
        raise ShapeViolationError(
            f"{what}: "
            + "; ".join(f"{r.get('field') or 'claim'}: {r.get('message')}" for r in results),
            conforms=False,
            results=results,
        )
    return claim_form_page(values, results, **page), 200 if dry_run else 422  # type: ignore[arg-type]


def claim_form_context(
    values: Mapping[str, Sequence[str]],
    errors: Errors,
    *,
    action: str = "/claims",
    heading: str = "Mark a claim",
) -> dict[str, Any]:
    """What ``claim_new.html`` renders: the claim form filled with ``values`` (form fields,
    as ``POST /claims`` takes them) and each message of ``errors`` next to its field
    (messages by field name, "form" or "" for the whole claim; or ``FieldError``s; or the
    ``results`` of a refusal, dicts with ``field`` and ``message``). The template also takes
    ``checked``: a dry run found nothing to refuse."""
    svc = services()
    store, vocab = svc.store, svc.vocab
    labels = Labels(store, vocab)
    form = form_for(store, vocab.parley.Claim)
    stance = form_for_shape(store, vocab.shapes.StanceShape)
    quote, quote_errors = None, []
    source = _first(values, "source")
    start, end = _offset(values, "start"), _offset(values, "end")
    source_iri = resolve_iri(source, vocab) if source else None
    if source and source_iri is None:
        quote_errors.append(FieldError("source", f"{source!r} is not an IRI."))
    elif source_iri is not None and start is not None and end is not None:
        quote, quote_errors = quote_at(store, labels, source_iri, start, end)
    state = form_state(form, values, errors, also=(stance,), labels=labels)
    for e in quote_errors:
        state["errors"].setdefault(e.field or "", []).append(e.message)
        state["summary"].append((e.field or "", e.message))
    for name in QUOTE_ERRORS:
        state["anchors"][name] = "g-quote"
    for name in STANCE_ERRORS:
        state["anchors"][name] = "g-stances"
    stance_rows = [(_absolute(t), v) for t, v in _stance_rows(values)]
    labels.fetch([NamedNode(t) for t, _ in stance_rows if t.startswith(("http:", "https:"))])
    state["chosen"].update({t: labels.view(NamedNode(t)).text for t, _ in stance_rows if t})
    return {
        "heading": heading,
        "base": vocab.base,
        "action": action,
        "form": form,
        "blocks": form.layout(),
        "stance": stance,
        "stance_rows": stance_rows,
        "state": state,
        "quote": quote,
        "source": source_iri.value if source_iri is not None else source,
        "offsets": (start, end),
        "actor_types": state["actor_types"],
        "quote_errors": QUOTE_ERRORS,
        "stance_errors": STANCE_ERRORS,
        "editor": current_editor(),
    }


def form_state(
    form: Form,
    values: Mapping[str, Sequence[str]],
    errors: Errors,
    *,
    also: Sequence[Form] = (),
    labels: Labels | None = None,
) -> dict[str, Any]:
    """What the macros of ``_shape_form.html`` read (their ``state``): the values by field
    (a picker's IRIs made absolute), the messages by field, a picker's options by class,
    which pickers take a new actor, the labels of the chosen IRIs, the summary of the
    messages and the element each message's link goes to. ``also``: more forms whose
    pickers the page shows (the stance rows of the claim form)."""
    svc = services()
    store, vocab = svc.store, svc.vocab
    labels = labels or Labels(store, vocab)
    found = _messages(errors)
    types = actor_types(store, labels)
    options: dict[str, list[Choice] | None] = {}
    new_actor: dict[str, bool] = {}
    shown = {k: kept for k, vs in values.items() if (kept := [v for v in vs if v])}
    chosen: list[NamedNode] = []
    anchors: dict[str, str] = {}
    for f in (*form.fields, *(f for other in also for f in other.fields)):
        if f.kind == "picker" and f.picker_class is not None:
            if f.picker_class not in options:
                options[f.picker_class] = picker_options(store, labels, f.picker_class)
            new_actor[f.name] = takes_new_actor(vocab, f.picker_class, types)
            if f.name in shown:
                shown[f.name] = [_absolute(v) for v in shown[f.name]]
            chosen += [
                NamedNode(v) for v in shown.get(f.name, ()) if v.startswith(("http:", "https:"))
            ]
    for group in form.one_of:
        anchors[group.name] = "g-" + group.name
    for name in ("new-actor", "new-actor-label", "new-actor-type"):
        anchors[name] = "g-new-actor"
    labels.fetch(chosen)
    return {
        "values": shown,
        "errors": found,
        "summary": [(name, m) for name, ms in found.items() for m in ms],
        "anchors": anchors,
        "options": options,
        "new_actor": new_actor,
        "actor_types": types,
        "chosen": {i.value: labels.view(i).text for i in chosen},
        "one_of": [group.name for group in form.one_of],
    }


def _absolute(value: str) -> str:
    """A picker's value as an absolute IRI (``id/Putin`` -> ``{base}id/Putin``); "new-actor"
    and what is not an IRI as they are."""
    if value == NEW_ACTOR or not value:
        return value
    iri = resolve_iri(value, services().vocab)
    return iri.value if iri is not None else value


def choices() -> Response:
    """``GET /choices?class=IRI&q=TEXT``: instances of the class whose names match, best
    first (all of them by label when ``q`` is empty), as JSON for the form's pickers."""
    svc = services()
    cls = request.args.get("class", "").strip()
    text = request.args.get("q", "").strip()
    if not cls or resolve_iri(cls, svc.vocab) is None:
        raise BadRequestError("give the class of the choices as ?class=IRI")
    if len(text) > 200:
        raise BadRequestError("a search is at most 200 characters")
    iri = resolve_iri(cls, svc.vocab)
    assert iri is not None
    try:
        limit = min(int(request.args.get("limit", "20")), MAX_CHOICES)
    except ValueError as exc:
        raise BadRequestError("limit is a number") from exc
    labels = Labels(svc.store, svc.vocab)
    found = choices_matching(svc.store, labels, svc.search, iri.value, text, max(limit, 1))
    response = jsonify(
        {
            "class": iri.value,
            "query": text,
            "results": [{"iri": c.iri, "label": c.label, "name": c.name} for c in found],
        }
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def _messages(errors: Errors) -> dict[str, list[str]]:
    """Messages by field name ("" for the form as a whole)."""
    pairs: list[tuple[str | None, str]] = []
    if isinstance(errors, Mapping):
        pairs = [(name, str(m)) for name, ms in errors.items() for m in ms]
    else:
        for e in errors:
            if isinstance(e, FieldError):
                pairs.append((e.field, e.message))
            else:
                pairs.append((e.get("field"), str(e.get("message") or "")))
    found: dict[str, list[str]] = {}
    for name, message in pairs:
        key = "" if name in (None, "form") else str(name)
        if message and message not in found.get(key, []):
            found.setdefault(key, []).append(message)
    return found


def _first(values: Mapping[str, Sequence[str]], name: str) -> str:
    return next((v.strip() for v in values.get(name, ()) if v and v.strip()), "")


def _offset(values: Mapping[str, Sequence[str]], name: str) -> int | None:
    value = _first(values, name)
    try:
        return int(value) if value else None
    except ValueError:
        return None


def _stance_rows(values: Mapping[str, Sequence[str]]) -> list[tuple[str, str]]:
    """The stances sent (``stance-toward`` / ``stance-value`` pairs), and an empty row to
    add one more (two at least, for a page without its script)."""
    toward, value = list(values.get("stance-toward", ())), list(values.get("stance-value", ()))
    rows = [
        (t, value[i] if i < len(value) else "")
        for i, t in enumerate(toward)
        if t or (i < len(value) and value[i])
    ]
    return [*rows, *([("", "")] * max(1, 2 - len(rows)))]
