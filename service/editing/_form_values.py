"""The triples an editor's form fields make, checked against the form read from the shapes.

Each value is read by its field's kind (an IRI, a choice by IRI or local name, a typed
literal) before the gate sees it, so a wrong value gets its own message next to its field;
the gate's SHACL validation still has the last word.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation

from service.editing._form_model import NEW_ACTOR, Field, FieldError, Form, local_name
from service.rdf import RDF, XSD, Literal, NamedNode, Term, Triple, Vocab

# --- fields to triples ---------------------------------------------------------------------

_IRI_CHARS = re.compile(r'^[^\s<>"{}|\\^`]+$')
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")


def resolve_iri(value: str, vocab: Vocab) -> NamedNode | None:
    """An IRI a form sent: absolute, a prefixed name (``id:Putin``) or relative to the
    base (``id/Putin``, ``/id/Putin``); ``None`` when it is not one.

    >>> v = Vocab("http://h/")
    >>> [resolve_iri(x, v).value for x in ("id/Putin", "/id/Putin", "id:Putin", "http://x.org/a")]
    ['http://h/id/Putin', 'http://h/id/Putin', 'http://h/id/Putin', 'http://x.org/a']
    >>> resolve_iri("not an iri", v) is None, resolve_iri("a\x87b", v) is None
    (True, True)
    """
    value = value.strip()
    if not value or not _IRI_CHARS.match(value):
        return None
    prefix, _, rest = value.partition(":")
    known = vocab.prefixes()
    if rest and prefix in known and not rest.startswith("//"):
        iri = known[prefix] + rest
    elif _SCHEME.match(value):
        iri = value
    else:
        iri = vocab.base + value.lstrip("/")
    try:
        return NamedNode(iri)
    except ValueError:  # a code point an IRI may not hold (RFC 3987)
        return None


def _lexical_fits(datatype: str, value: str) -> bool:
    try:
        if datatype in (XSD.integer.value, XSD.int.value):
            int(value)
        elif datatype == XSD.nonNegativeInteger.value:
            return int(value) >= 0
        elif datatype == XSD.positiveInteger.value:
            return int(value) > 0
        elif datatype in (XSD.decimal.value, XSD.double.value):
            Decimal(value)
        elif datatype == XSD.date.value:
            dt.date.fromisoformat(value)
            return re.fullmatch(r"\d{4}-\d{2}-\d{2}", value) is not None
        elif datatype == XSD.gYearMonth.value:
            return re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", value) is not None
        elif datatype == XSD.gYear.value:
            return re.fullmatch(r"\d{4}", value) is not None
        elif datatype == XSD.dateTime.value:
            dt.datetime.fromisoformat(value)
        elif datatype == XSD.boolean.value:
            return value in ("true", "false", "1", "0")
        elif datatype == XSD.anyURI.value:
            return _IRI_CHARS.match(value) is not None
    except (ValueError, InvalidOperation):
        return False
    return True


def _why(f: Field, default: str) -> str:
    return f.message or f"{f.label}: {default}"


def _value(
    f: Field, value: str, vocab: Vocab, language: str | None, new_actor: NamedNode | None
) -> Term | str:
    """The RDF term of one value, or why it is not one."""
    if f.kind == "choice":
        for c in f.choices:
            if value in (c.iri, c.name) or resolve_iri(value, vocab) == NamedNode(c.iri):
                return NamedNode(c.iri)
        return _why(f, f"choose one of {', '.join(c.label for c in f.choices)}.")
    if f.kind == "picker" or not f.is_literal:
        if value == NEW_ACTOR:
            return (
                new_actor
                if new_actor is not None
                else _why(f, "the new actor needs a name and a type.")
            )
        iri = resolve_iri(value, vocab)
        return iri if iri is not None else _why(f, f"{value!r} is not an IRI.")
    if f.kind == "boolean":
        value = {"on": "true", "yes": "true", "no": "false", "off": "false"}.get(
            value.lower(), value.lower()
        )
    if f.kind == "datetime" and len(value) == 16:  # <input type=datetime-local> sends no seconds
        value += ":00"
    if f.min_length is not None and len(value) < f.min_length:
        return _why(f, f"at least {f.min_length} characters.")
    if f.max_length is not None and len(value) > f.max_length:
        return _why(f, f"at most {f.max_length} characters.")
    typed = [d for d in f.datatypes if d not in (XSD.string.value, RDF.langString.value)]
    if typed:
        fits = next((d for d in typed if _lexical_fits(d, value)), None)
        if fits is None:
            return _why(f, f"{value!r} is not a valid {', '.join(local_name(d) for d in typed)}.")
        if f.min_inclusive is not None and f.kind == "integer" and int(value) < f.min_inclusive:
            return _why(f, f"at least {f.min_inclusive}.")
        return Literal(value, datatype=NamedNode(fits))
    if f.language is not None and (language or f.language):
        return Literal(value, language=language or f.language)
    return Literal(value)


def triples_from_fields(
    form: Form,
    subject: NamedNode,
    fields: Mapping[str, Sequence[str]],
    vocab: Vocab,
    *,
    new_actor: NamedNode | None = None,
) -> tuple[list[Triple], list[FieldError]]:
    """The triples of ``subject`` that the form's plain fields say, and what is wrong.

    Structured fields (evidence, stances, reported speech, relations) are skipped: the
    caller builds them. Empty values are ignored. A value ``new-actor`` stands for
    ``new_actor``, the actor the caller creates inline. A text field ``label`` is written
    with the language in ``label-lang`` when sent, else the field's default language.
    """
    triples: list[Triple] = []
    errors: list[FieldError] = []
    for f in form.fields:
        if f.structured:
            continue
        values = [v.strip() for v in fields.get(f.name, ()) if v is not None and v.strip()]
        if f.required and not values:
            errors.append(FieldError(f.name, f.message or f"{f.label} is required."))
            continue
        if not f.many and len(values) > 1:
            errors.append(FieldError(f.name, f.message or f"{f.label} takes one value."))
            continue
        language = next(iter(fields.get(f.name + "-lang", ())), None) or None
        seen: set[Term] = set()
        for value in values:
            term = _value(f, value, vocab, language, new_actor)
            if isinstance(term, str):
                errors.append(FieldError(f.name, term))
            elif term not in seen:
                seen.add(term)
                triples.append(Triple(subject, NamedNode(f.path), term))
    for group in form.one_of:
        given = sum(
            1 for name in group.fields for v in fields.get(name, ()) if v is not None and v.strip()
        )
        if given < group.min_count:
            errors.append(FieldError(group.name, group.message))
    return triples, errors
