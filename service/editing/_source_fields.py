"""Each field of a new source checked on its own: a cleaned value, or a message that says
what to give instead (``_sources`` puts them together). The kinds of source are read from
the store (``parley:sourceKinds``), never listed here."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from urllib.parse import urljoin, urlsplit

from service.editing._form_model import FieldError
from service.editing._source_text import SourceText
from service.rdf import XSD, Literal, NamedNode
from service.store import GraphStore

#: The longest title or publisher name taken (characters).
MAX_NAME_CHARS = 500
#: The longest address taken (characters).
MAX_URL_CHARS = 2000
#: A well-formed BCP 47 language tag (RFC 5646 2.1, without the grandfathered tags).
_LANGUAGE_TAG = re.compile(
    # A language of 2 or 3 letters (the 5-8 letter ones are registered for no language:
    # "english" is not a tag), with up to three extended language subtags.
    r"[a-z]{2,3}(?:-[a-z]{3}){0,3}"
    r"(?:-[a-z]{4})?"  # script
    r"(?:-(?:[a-z]{2}|[0-9]{3}))?"  # region
    r"(?:-(?:[a-z0-9]{5,8}|[0-9][a-z0-9]{3}))*"  # variants
    r"(?:-[0-9a-wy-z](?:-[a-z0-9]{2,8})+)*"  # extensions
    r"(?:-x(?:-[a-z0-9]{1,8})+)?"  # private use
    r"|x(?:-[a-z0-9]{1,8})+",
    re.IGNORECASE,
)
_DATE = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")


@dataclass(frozen=True)
class SourceKind:
    """One kind of source of ``parley:sourceKinds``, as the store has it."""

    iri: NamedNode
    #: The IRI's local name (``kind-newspaper``).
    name: str
    label: str
    definition: str


def source_kinds(store: GraphStore) -> list[SourceKind]:
    """The kinds of ``parley:sourceKinds`` in the store's ontology, by label."""
    rows = store.select(
        "SELECT ?kind ?label ?definition WHERE { ?kind skos:inScheme parley:sourceKinds "
        "OPTIONAL { ?kind skos:prefLabel ?label } OPTIONAL { ?kind skos:definition ?definition } }"
    )
    found: dict[str, SourceKind] = {}
    for row in rows:
        iri = row["kind"]
        if not isinstance(iri, NamedNode):
            continue
        name = re.split(r"[#/]", iri.value)[-1]
        label = row.get("label")
        definition = row.get("definition")
        kind = SourceKind(
            iri,
            name,
            label.value if isinstance(label, Literal) else name,
            definition.value if isinstance(definition, Literal) else "",
        )
        # One entry a kind: an English label where there are several.
        known = found.get(iri.value)
        if known is None or (isinstance(label, Literal) and label.language == "en"):
            found[iri.value] = kind
    return sorted(found.values(), key=lambda k: (k.label.casefold(), k.name))


def clean(value: str) -> str:
    """NFC, whitespace runs as one space, none at the ends."""
    return " ".join(unicodedata.normalize("NFC", value).split())


def check_name(
    value: str, field: str, what: str, errors: list[FieldError], *, required: bool = False
) -> str:
    cleaned = clean(value)
    if not cleaned and required:
        errors.append(FieldError(field, f"Give {what}."))
    elif len(cleaned) > MAX_NAME_CHARS:
        errors.append(
            FieldError(field, f"Shorten it to {MAX_NAME_CHARS} characters (it has {len(cleaned)}).")
        )
    elif any(unicodedata.category(c) == "Cc" for c in cleaned):
        errors.append(FieldError(field, "Remove the control characters from it."))
    return cleaned


def check_url(value: str, errors: list[FieldError]) -> str:
    """An absolute http(s) address, or ``""``."""
    url = value.strip()
    if not url:
        return ""
    try:
        parts = urlsplit(url)
        host = parts.hostname
        NamedNode(url)
    except ValueError:  # a malformed IPv6 host, or no IRI at all
        host = None
    bad = re.search(r"[\s<>\"{}|\\^`]|[\x00-\x1f\x7f]", url)
    if not host or parts.scheme.lower() not in ("http", "https") or bad:
        errors.append(
            FieldError(
                "url",
                "Give the source's own address as a full http:// or https:// URL "
                "(https://example.org/report), with no spaces.",
            )
        )
    elif len(url) > MAX_URL_CHARS:
        errors.append(FieldError("url", f"An address of at most {MAX_URL_CHARS} characters."))
    return url


def check_date(value: str, today: date, errors: list[FieldError]) -> Literal | None:
    """``YYYY-MM-DD``, ``YYYY-MM`` or ``YYYY`` as ``xsd:date``, ``gYearMonth`` or ``gYear``."""
    text = value.strip()
    if not text:
        return None
    found = _DATE.fullmatch(text)
    try:
        if found is None:
            raise ValueError(text)
        year, month, day = found.groups()
        first = date(int(year), int(month or 1), int(day or 1))
    except ValueError:
        errors.append(
            FieldError(
                "date",
                "Give the publication date as YYYY-MM-DD (2025-12-01), or YYYY-MM or YYYY "
                "where the day or month is not known.",
            )
        )
        return None
    if first > today:
        errors.append(FieldError("date", f"The publication date {text} is after today."))
        return None
    datatype = XSD.date if day else XSD.gYearMonth if month else XSD.gYear
    return Literal(text, datatype=datatype)


def check_kind(store: GraphStore, value: str, errors: list[FieldError]) -> SourceKind | None:
    """A kind given by its IRI (absolute, or relative to the base), local name
    (``kind-wire`` or ``wire``) or label."""
    kinds = source_kinds(store)
    wanted = value.strip()
    if wanted:
        iri = urljoin(store.vocab.base, wanted.removeprefix("parley:"))
        for kind in kinds:
            names = (kind.iri.value, kind.name, kind.name.removeprefix("kind-"), kind.label)
            if iri == kind.iri.value or wanted.casefold() in (n.casefold() for n in names):
                return kind
    choices = "; ".join(f"{k.name.removeprefix('kind-')} ({k.label})" for k in kinds)
    if wanted:
        errors.append(FieldError("kind", f"{wanted!r} is not a kind of source. Choose: {choices}."))
    else:
        errors.append(FieldError("kind", f"Choose the kind of source: {choices}."))
    return None


def check_language(value: str, errors: list[FieldError]) -> str:
    """A well-formed BCP 47 tag, in its conventional case (``en``, ``uk``, ``sr-Latn-RS``).

    >>> check_language("EN-gb", []), check_language("zh-hant-tw", [])
    ('en-GB', 'zh-Hant-TW')
    """
    tag = value.strip()
    if not tag:
        errors.append(
            FieldError("language", "Give the source's language as a BCP 47 tag (en, uk, ru).")
        )
        return ""
    if len(tag) > 35 or not _LANGUAGE_TAG.fullmatch(tag):
        errors.append(
            FieldError(
                "language",
                f"{tag!r} is not a BCP 47 language tag: give one such as en, uk, ru or pt-BR.",
            )
        )
        return ""
    parts = tag.split("-")
    out = [parts[0].lower()]
    for part in parts[1:]:
        if out[-1] == "x" or len(out[-1]) == 1:  # after a singleton: as written, lower
            out.append(part.lower())
        elif len(part) == 4 and part.isalpha():
            out.append(part.title())
        elif len(part) == 2 and part.isalpha():
            out.append(part.upper())
        else:
            out.append(part.lower())
    return "-".join(out)


def check_author(store: GraphStore, value: str, errors: list[FieldError]) -> NamedNode | str:
    """An agent the store knows, by its IRI (absolute or ``id/...``), or a name (``""``:
    not named)."""
    given = clean(value)
    base = store.vocab.base
    looks_like_iri = re.match(r"(?:https?://|id/)\S+$", given) is not None
    if not looks_like_iri:
        if len(given) > MAX_NAME_CHARS:
            errors.append(FieldError("author", f"A name of at most {MAX_NAME_CHARS} characters."))
        return given
    iri = NamedNode(urljoin(base, given))
    if not store.ask(f"ASK {{ {iri} a prov:Agent }}"):
        errors.append(
            FieldError(
                "author",
                f"<{iri.value}> is not an agent Parley knows: give the IRI of a person or "
                "organisation in the record, or the author's name.",
            )
        )
    return iri


def check_text(
    text: SourceText | None, max_bytes: int, errors: list[FieldError]
) -> SourceText | None:
    if text is None or not text.text.strip():
        errors.append(
            FieldError("text", "Paste the source's text, or upload it as a .txt or .html file.")
        )
        return None
    size = len(text.text.encode("utf-8"))
    if size > max_bytes:
        errors.append(
            FieldError(
                "text",
                f"The text has {size:,} bytes; this server keeps at most {max_bytes:,} "
                "(--max-literal-bytes). Split the source into parts.",
            )
        )
        return None
    if "\x00" in text.text:
        errors.append(FieldError("text", "The text holds a NUL character; remove it."))
        return None
    return text
