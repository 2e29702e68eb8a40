"""The gate's answer on a claim, as problems next to the form's fields.

A SHACL result names a focus node and a path; the editor sees fields. A result whose
focus is the claim goes to the field named by its path's local name (``claimant``,
``label`` for ``rdfs:label``); one on a node of the claim's own (``#evidence-1``,
``#quote-1``, ``#position-1``, ``#stance-russia``, ``#contradicts-...``) to the
structured field that made it; one on the inline new actor to ``new-actor-label``.
Each answer keeps the SHACL keys too (``focusNode``, ``resultPath``, ...), so a
client that reads the gate's reports reads these.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from service.editing._claim_fields import RELATION_FIELDS

#: ``sh:Violation``, as the gate's reports write it.
VIOLATION = "<http://www.w3.org/ns/shacl#Violation>"
#: A problem found before the gate: its "constraint component".
FIELD_CHECK = "field-check"

#: Paths on the claim that no field is named after: the field that makes them.
_FIELD_OF_PATH = {
    "hasEvidence": "exact",
    "appearsIn": "source",
    "hasStance": "stance-toward",
}
#: The statement of a relation, ``<claim#contradicts-other>``: its field.
_RELATION_PREFIXES = {
    "contradicts-": "contradictsClaim",
    "supports-": "supportsClaim",
    "same-proposition-": "sameProposition",
    "repeats-": "repeatsClaim",
}
assert set(_RELATION_PREFIXES.values()) == set(RELATION_FIELDS)


@dataclass(frozen=True)
class FieldProblem:
    """Why a field's value cannot be written; ``focus``/``path`` when the gate said so."""

    field: str | None
    message: str
    focus: str | None = None
    path: str | None = None
    #: The SHACL result it came from (``ValidationResult.to_json()``), if any.
    result: Mapping[str, Any] | None = None

    def to_json(self, claim: str | None = None) -> dict[str, Any]:
        focus = self.focus or claim
        shacl = (
            dict(self.result)
            if self.result is not None
            else {
                "focusNode": f"<{focus}>" if focus else "",
                "resultPath": None,
                "value": None,
                "sourceConstraintComponent": FIELD_CHECK,
                "sourceShape": "",
                "resultSeverity": VIOLATION,
                "message": self.message,
            }
        )
        return {
            **shacl,
            "field": self.field,
            "message": self.message,
            "focus": focus,
            "path": self.path,
        }


def _plain(term: str | None) -> str | None:
    """An N-Triples IRI as the IRI (a path stays as written)."""
    if term is None:
        return None
    if term.startswith("<") and term.endswith(">") and term.count("<") == 1:
        return term[1:-1]
    return term


def _local(iri: str) -> str:
    return iri.rsplit("#", 1)[-1].rsplit("/", 1)[-1]


def _path_field(path: str, fields: Collection[str]) -> str:
    """The field of a path on the claim: a plain path's local name; for an alternative
    path, the first alternative that is a field of the form."""
    names = [_local(p.strip("<>()")) for p in path.strip("()").split("|")]
    names = [_FIELD_OF_PATH.get(n, n) for n in names]
    return next((n for n in names if n in fields), names[0])


def field_of(
    focus: str, path: str | None, claim: str, fields: Collection[str], new_actors: Iterable[str]
) -> str | None:
    """The field a result on ``focus`` (at ``path``) belongs to, for the claim ``claim``.

    >>> fields = {"claimant", "aboutActor", "label"}
    >>> c = "http://h/id/claim/x"
    >>> field_of(c, "<http://www.w3.org/2000/01/rdf-schema#label>", c, fields, [])
    'label'
    >>> field_of(c, "(<http://h/ontology#about>|<http://h/ontology#aboutActor>)", c, fields, [])
    'aboutActor'
    >>> [field_of(c + f, None, c, fields, []) for f in ("#position-1", "#contradicts-y")]
    ['start', 'contradictsClaim']
    """
    plain = _plain(path)
    if focus == claim:
        return _path_field(plain, fields) if plain else None
    if focus in new_actors:
        return "new-actor-type" if plain and _local(plain) == "type" else "new-actor-label"
    if not focus.startswith(claim + "#"):
        return None
    node = focus[len(claim) + 1 :]
    if node.startswith("evidence-"):
        return "source" if plain and _local(plain) == "hasSource" else "exact"
    if node.startswith("quote-"):
        return "exact"
    if node.startswith("position-"):
        return "start"
    if node.startswith("stance-"):
        return "stance-value" if plain and _local(plain) == "stanceValue" else "stance-toward"
    for prefix, name in _RELATION_PREFIXES.items():
        if node.startswith(prefix):
            return name
    return None


def problems_from_results(
    results: Iterable[Mapping[str, Any]],
    claim: str,
    fields: Collection[str],
    new_actors: Iterable[str] = (),
) -> list[FieldProblem]:
    """The gate's results (``ValidationResult.to_json()``) as field problems of ``claim``."""
    actors = set(new_actors)
    found = []
    for result in results:
        focus = _plain(result.get("focusNode")) or ""
        path = result.get("resultPath")
        found.append(
            FieldProblem(
                field=field_of(focus, path, claim, fields, actors),
                message=str(result.get("message") or ""),
                focus=focus,
                path=_plain(path),
                result=result,
            )
        )
    return found
