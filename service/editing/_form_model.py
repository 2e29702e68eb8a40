"""The model of a form generated from the SHACL shapes: its fields, their kinds and choices.

``service.editing._form`` reads it from ``graph/shapes``; templates render it; the values an
editor sends become triples in ``service.editing._form_values``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal as TypingLiteral

from service.rdf import RDF, XSD, NamedNode

FieldKind = TypingLiteral[
    "choice",
    "picker",
    "text",
    "textarea",
    "integer",
    "decimal",
    "date",
    "datetime",
    "boolean",
    "iri",
]

#: The field value that points a picker at the actor created inline
#: (``new-actor-label`` + ``new-actor-type``).
NEW_ACTOR = "new-actor"

#: Fields the claims and history code builds itself (the evidence span from ``source`` /
#: ``exact`` / ``start`` / ``end``, the stances, reported speech, the relations between
#: claims with their reified statements): a form renders them with their own widgets and
#: ``triples_from_fields`` skips them. By the local name of the path.
STRUCTURED_NAMES = frozenset(
    {
        "hasEvidence",
        "appearsIn",
        "hasStance",
        "reportsClaim",
        "contradictsClaim",
        "supportsClaim",
        "sameProposition",
        "repeatsClaim",
    }
)

#: A DASH hint (https://datashapes.org/forms.html) a property shape may carry for a long text.
DASH_EDITOR = NamedNode("http://datashapes.org/dash#editor")
DASH_TEXTAREA = NamedNode("http://datashapes.org/dash#TextAreaEditor")

KIND_OF_DATATYPE: dict[str, FieldKind] = {
    XSD.string.value: "text",
    RDF.langString.value: "text",
    XSD.integer.value: "integer",
    XSD.nonNegativeInteger.value: "integer",
    XSD.positiveInteger.value: "integer",
    XSD.int.value: "integer",
    XSD.decimal.value: "decimal",
    XSD.double.value: "decimal",
    XSD.date.value: "date",
    XSD.gYearMonth.value: "text",
    XSD.gYear.value: "text",
    XSD.dateTime.value: "datetime",
    XSD.boolean.value: "boolean",
    XSD.anyURI.value: "iri",
}
UNORDERED = 1e9


@dataclass(frozen=True)
class Choice:
    """One member of an ``sh:in`` list (or one instance a picker offers)."""

    iri: str
    #: The local name (``modality-demanded``): a form may send it instead of the IRI.
    name: str
    label: str
    #: The member's ``skos:definition``, for a hint.
    help: str = ""


@dataclass(frozen=True)
class Field:
    """One input of a form, read from one property shape."""

    name: str
    path: str
    label: str
    help: str
    message: str
    kind: FieldKind
    required: bool
    many: bool
    order: float = UNORDERED
    choices: tuple[Choice, ...] = ()
    #: The ``sh:class`` a picker's values are instances of.
    picker_class: str | None = None
    #: Accepted datatypes, in preference order (several for an ``sh:or`` of datatypes).
    datatypes: tuple[str, ...] = ()
    #: The default language of a language-tagged text (``rdf:langString`` accepted).
    language: str | None = None
    min_length: int | None = None
    max_length: int | None = None
    min_inclusive: int | None = None
    #: The ``sh:group`` label, and its order.
    group: str | None = None
    group_order: float = UNORDERED
    #: What the group is for (the alternative path's ``sh:description``, or the group's).
    group_help: str = ""
    #: Built by the caller (evidence, stances, reported speech, relations): skipped by
    #: ``triples_from_fields``.
    structured: bool = False

    @property
    def is_literal(self) -> bool:
        return self.kind not in ("choice", "picker") and not (
            self.kind == "iri" and XSD.anyURI.value not in self.datatypes
        )


@dataclass(frozen=True)
class OneOf:
    """An ``sh:alternativePath`` with ``sh:minCount``: at least ``min_count`` values among
    ``fields`` together (a claim is about an actor, an event or a place)."""

    name: str
    fields: tuple[str, ...]
    min_count: int
    message: str
    #: The shape's ``sh:name`` and ``sh:description``.
    label: str = ""
    help: str = ""


@dataclass(frozen=True)
class Form:
    """The fields of one class's shapes, in order."""

    target_class: str
    label: str
    fields: tuple[Field, ...]
    one_of: tuple[OneOf, ...] = ()

    def field(self, name: str) -> Field | None:
        return next((f for f in self.fields if f.name == name), None)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)

    def layout(self) -> list[Block]:
        """The fields as a form shows them, in order: each field alone, and the fields of
        one ``sh:group`` or of one ``OneOf`` together in a fieldset."""
        blocks: list[Block] = []
        for f in self.fields:
            group = next((g for g in self.one_of if f.name in g.fields), None)
            if group is not None:
                key, label, help_ = group.name, group.label, group.help
            elif f.group is not None:
                key = re.sub(r"\W+", "-", f.group.lower()).strip("-")
                label, help_ = f.group, f.group_help
            else:
                blocks.append(Block(f.name, f.label, f.help, (f,), grouped=False))
                continue
            last = blocks[-1] if blocks else None
            if last is not None and last.grouped and last.name == key:
                blocks[-1] = Block(key, label, help_, (*last.fields, f), grouped=True)
            else:
                blocks.append(Block(key, label, help_, (f,), grouped=True))
        return blocks


@dataclass(frozen=True)
class Block:
    """A run of fields shown together: one field, or a fieldset (``grouped``) named by its
    group (the ``OneOf`` name, so a message about the group is shown with it)."""

    name: str
    label: str
    help: str
    fields: tuple[Field, ...]
    grouped: bool


@dataclass(frozen=True)
class FieldError:
    """Why one field's value (``field``; ``None`` for the whole form) was not accepted."""

    field: str | None
    message: str


def local_name(iri: str) -> str:
    """The part of an IRI after its last ``#`` or ``/``.

    >>> local_name("http://h/ontology#aboutActor"), local_name("https://schema.org/author")
    ('aboutActor', 'author')
    """
    return re.split(r"[#/]", iri.rstrip("/#"))[-1]
