"""A claim as an editor or a program sends it: named fields, before anything is resolved.

The names are those of WORKBENCH's contract, shared by the form, ``POST /claims`` and
``parley ingest``: a property field is named by the local name of its ``sh:path`` in
the claim shape (``claimant``, ``modality``, ``aboutActor``, ``label``, ...), and the
structured parts have fixed names (the evidence span ``source``/``exact``/``start``/
``end``/``prefix``/``suffix``; stances; ``reportsClaim``; the relations to other
claims; a new actor). Values stay text here: IRIs, names and labels are resolved
against the store later (``service.editing._claim_names``), so the same fields come
from JSON, a form post or a row of a spreadsheet.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

#: Fields of the evidence span (W3C Web Annotation selectors; offsets in code points).
EVIDENCE_FIELDS = ("source", "exact", "start", "end", "prefix", "suffix")
#: The relations an editor states between this claim and others (``data/README.md``).
RELATION_FIELDS = ("contradictsClaim", "supportsClaim", "sameProposition", "repeatsClaim")
#: The value of a field that points at the actor created inline.
NEW_ACTOR = "new-actor"
#: Not claim fields: what a form carries besides, and the claims' structured parts.
_STRUCTURED = frozenset(
    {
        *EVIDENCE_FIELDS,
        *RELATION_FIELDS,
        "stances",
        "stance-toward",
        "stance-value",
        "reportsClaim",
        "relationNote",
        "new-actor-label",
        "new-actor-type",
        "csrf_token",
        "dry-run",
        "about",
        "row",
    }
)


class ClaimFieldsError(ValueError):
    """The request's fields cannot be read at all (not an object, a list where one value
    goes); ``field`` names the culprit."""

    def __init__(self, field_name: str | None, message: str) -> None:
        super().__init__(message)
        self.field = field_name
        self.message = message


@dataclass(frozen=True)
class StanceField:
    """A stance toward an actor: the actor's name and the stance value's name."""

    toward: str
    value: str


@dataclass(frozen=True)
class Span:
    """One evidence span as sent: any of quote and offsets (the server fills the rest)."""

    exact: str | None = None
    start: str | None = None
    end: str | None = None
    prefix: str | None = None
    suffix: str | None = None


@dataclass
class ClaimFields:
    """The fields of one claim, as text."""

    source: str | None = None
    spans: list[Span] = field(default_factory=list)
    stances: list[StanceField] = field(default_factory=list)
    reports_claim: str | None = None
    #: Relation local name -> the other claims' names.
    relations: dict[str, list[str]] = field(default_factory=dict)
    relation_note: str | None = None
    new_actor_label: str | None = None
    new_actor_type: str | None = None
    #: Things the claim is about, of any kind: sorted into aboutActor/Event/Place by type.
    about: list[str] = field(default_factory=list)
    #: The shape-driven fields: local name of the ``sh:path`` -> values.
    properties: dict[str, list[str]] = field(default_factory=dict)

    def values(self, name: str) -> list[str]:
        return self.properties.get(name, [])

    def first(self, name: str) -> str | None:
        found = self.values(name)
        return found[0] if found else None


def _text(value: object, name: str) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ClaimFieldsError(
            name, f"{name} must be text (or a number), not {type(value).__name__}"
        )
    return str(value).strip()


def _texts(value: object, name: str) -> list[str]:
    items = value if isinstance(value, list) else [value]
    return [t for t in (_text(v, name) for v in items if v is not None) if t]


def _one(values: Sequence[str], name: str) -> str | None:
    kept = [v for v in values if v]
    if len(kept) > 1:
        raise ClaimFieldsError(name, f"{name} takes one value, not {len(kept)}")
    return kept[0] if kept else None


def _filled(pairs: Iterable[tuple[str, Sequence[str]]]) -> ClaimFields:
    """Fields from name -> values pairs (a form, or a JSON object flattened)."""
    given = {name: [v for v in values if v] for name, values in pairs}
    fields = ClaimFields(source=_one(given.get("source", []), "source"))
    span = Span(*(_one(given.get(name, []), name) for name in EVIDENCE_FIELDS[1:]))
    if any(getattr(span, n) is not None for n in ("exact", "start", "end")):
        fields.spans.append(span)
    fields.reports_claim = _one(given.get("reportsClaim", []), "reportsClaim")
    fields.relation_note = _one(given.get("relationNote", []), "relationNote")
    fields.new_actor_label = _one(given.get("new-actor-label", []), "new-actor-label")
    fields.new_actor_type = _one(given.get("new-actor-type", []), "new-actor-type")
    fields.about = given.get("about", [])
    for name in RELATION_FIELDS:
        if given.get(name):
            fields.relations[name] = given[name]
    for name, values in given.items():
        if name not in _STRUCTURED and values:
            fields.properties[name] = values
    return fields


def claim_fields_from_form(form: Mapping[str, Sequence[str]]) -> ClaimFields:
    """Fields from a form post (``name -> values``, repeated names repeated): stances are
    ``stance-toward`` / ``stance-value`` pairs in order.

    >>> f = claim_fields_from_form({"claimant": ["id/Putin"], "stance-toward": ["id/Russia", ""],
    ...                       "stance-value": ["stance-favourable", ""], "start": ["3"]})
    >>> f.first("claimant"), f.stances, f.spans[0].start
    ('id/Putin', [StanceField(toward='id/Russia', value='stance-favourable')], '3')
    """
    pairs = [(name, [v.strip() for v in values]) for name, values in form.items()]
    fields = _filled(pairs)
    towards, values = list(form.get("stance-toward", [])), list(form.get("stance-value", []))
    for n in range(max(len(towards), len(values))):
        toward = towards[n].strip() if n < len(towards) else ""
        value = values[n].strip() if n < len(values) else ""
        if toward or value:
            fields.stances.append(StanceField(toward, value))
    return fields


def claim_fields_from_json(payload: object) -> ClaimFields:
    """Fields from a JSON object: a list where a field repeats, ``stances`` as
    ``[{"toward": ..., "value": ...}]``, ``evidence`` as a list of spans for a claim
    quoted in several places.

    >>> f = claim_fields_from_json({"claimant": "Putin", "aboutActor": ["Russia", "Ukraine"],
    ...                       "start": 3, "end": 9, "stances": [{"toward": "Russia",
    ...                       "value": "favourable"}]})
    >>> f.values("aboutActor"), f.spans[0].end, f.stances[0].value
    (['Russia', 'Ukraine'], '9', 'favourable')
    """
    if not isinstance(payload, dict):
        raise ClaimFieldsError(None, "a claim is a JSON object of fields")
    pairs: list[tuple[str, list[str]]] = []
    for name, value in payload.items():
        if name in ("stances", "evidence"):
            continue
        pairs.append((str(name), _texts(value, str(name))))
    fields = _filled(pairs)
    for n, span in enumerate(_objects(payload.get("evidence"), "evidence")):
        values = [_text(span[k], k) if span.get(k) is not None else None for k in EVIDENCE_FIELDS]
        if values[0] and not fields.source:
            fields.source = values[0]
        if n == 0 and fields.spans:
            raise ClaimFieldsError(
                "evidence", "give the quote either as evidence or as exact/start/end"
            )
        fields.spans.append(Span(*values[1:]))
    for stance in _objects(payload.get("stances"), "stances"):
        toward = _text(stance.get("toward") or "", "stances")
        value = _text(stance.get("value") or "", "stances")
        if toward or value:
            fields.stances.append(StanceField(toward, value))
    return fields


def _objects(value: object, name: str) -> list[dict[str, Any]]:
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    if not all(isinstance(item, dict) for item in items):
        raise ClaimFieldsError(name, f"{name} is a list of objects")
    return items  # type: ignore[return-value]
