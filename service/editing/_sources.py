"""A new source: the fields an editor gives, checked one by one, and the quads they become.

A source is described as the seed article is (``data/claims/article/source.ttl``), with
the fields the reference sources have (``data/reference/sources.ttl``)::

    <{base}id/source/<slug>> a parley:Source ;
        rdfs:label "Title"@lang ; schema:headline "Title"@lang ;
        schema:url <https://...> ;                 # its address, if it has one
        dcterms:publisher "Publisher" ;            # if known
        dcterms:date "2025-12-01"^^xsd:date ;      # or xsd:gYearMonth / xsd:gYear, if known
        parley:sourceKind parley:kind-newspaper ;  # one of parley:sourceKinds, read from the store
        schema:inLanguage "lang" ;                 # a BCP 47 tag
        schema:author <agent> ;                    # an agent Parley knows, or its own node
        schema:text "..." ;                        # NFC, LF line breaks (``_source_text``)
        parley:textSha256 "64 hex digits" .

all in the source's own graph ``graph/claims/<slug>``, where its claims will go. The
slug is the title in ASCII kebab case (Cyrillic transliterated), unique in the store.
The shapes require an author (``psh:SourceShape``); an author given by name, or none,
gets a node of its own under the source's IRI (``<source>/author``), as the seed's
unnamed author has one.

Everything here reads the store through ``GraphStore`` and returns quads and per-field
messages; the web layer sends the quads through the write gate.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import date
from typing import Any

from service.editing._form_model import FieldError
from service.editing._source_fields import (
    check_author,
    check_date,
    check_kind,
    check_language,
    check_name,
    check_text,
    check_url,
)
from service.editing._source_text import SourceText
from service.rdf import DCTERMS, RDF, RDFS, SCHEMA, Literal, NamedNode, Quad, Vocab
from service.store import GraphStore

#: The longest slug made from a title (a graph name must stay short to read).
MAX_SLUG_CHARS = 60
#: Cyrillic letters in Latin (Russian and Ukrainian, about as passports spell them), for
#: slugs; the hard and soft signs are dropped.
_CYRILLIC = dict(zip("абвгґдезийклмнопрстуфыэ", "abvggdeziiklmnoprstufye", strict=True))
_CYRILLIC.update(є="ie", ё="e", ж="zh", і="i", ї="i", х="kh", ц="ts", ч="ch", ш="sh")
_CYRILLIC.update(щ="shch", ъ="", ь="", ю="iu", я="ia")


@dataclass(frozen=True)
class SourceDraft:
    """The fields of a new source as a person or a program gives them (strings; ``""``:
    not given). Their names are the form's and the JSON's."""

    title: str = ""
    url: str = ""
    publisher: str = ""
    date: str = ""
    kind: str = ""
    language: str = ""
    author: str = ""

    @classmethod
    def names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in fields(cls))

    @classmethod
    def from_fields(cls, given: Mapping[str, object]) -> SourceDraft:
        """The draft of ``given`` (other names are ignored; ``None`` is not given)."""
        return cls(**{name: str(given.get(name) or "") for name in cls.names()})


@dataclass(frozen=True)
class NewSource:
    """A source ready for the write gate."""

    iri: NamedNode
    slug: str
    graph: NamedNode
    text: str
    sha256: str
    quads: list[Quad]
    #: The fields as they will be stored (normalised), for the answer to a program.
    record: dict[str, str]


def slug_for(title: str) -> str:
    """An ASCII kebab-case slug of a title (Cyrillic transliterated), at most
    ``MAX_SLUG_CHARS`` long, cut between words; ``"source"`` when nothing is left.

    >>> slug_for("Will it be Moscow this time — not Kyiv?")
    'will-it-be-moscow-this-time-not-kyiv'
    >>> slug_for("Переговоры в Стамбуле"), slug_for("Café « crème »"), slug_for("中文")
    ('peregovory-v-stambule', 'cafe-creme', 'source')
    """
    lowered = "".join(_CYRILLIC.get(c, c) for c in title.lower())
    ascii_only = unicodedata.normalize("NFKD", lowered).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_only).strip("-")
    if len(slug) > MAX_SLUG_CHARS:
        cut = slug[: MAX_SLUG_CHARS + 1]
        slug = cut.rsplit("-", 1)[0] if "-" in cut else cut[:MAX_SLUG_CHARS]
    return slug or "source"


def unique_slug(store: GraphStore, wanted: str) -> str:
    """``wanted``, or ``wanted-2``, ``-3``, ...: the first that names no source IRI and no
    graph the store holds (in any graph: a withdrawn source's IRI is never reused)."""
    vocab = store.vocab
    n = 1
    while True:
        slug = wanted if n == 1 else f"{wanted}-{n}"
        iri = vocab.id["source/" + slug]
        used = next(store.quads(iri, None, None, None), None) is not None
        used = used or next(store.quads(None, None, iri, None), None) is not None
        if not used and not store.graph_exists(vocab.claims_graph(slug)):
            return slug
        n += 1


def plan_source(
    store: GraphStore,
    draft: SourceDraft,
    text: SourceText | None,
    *,
    max_text_bytes: int,
    today: date | None = None,
) -> tuple[NewSource | None, list[FieldError]]:
    """The new source's quads, or why not: a message for each field that cannot be taken.

    :param text: the text, pasted or uploaded (``None``: none given).
    :param max_text_bytes: the most UTF-8 bytes of text taken (the gate's literal limit).
    """
    vocab = store.vocab
    errors: list[FieldError] = []
    title = check_name(draft.title, "title", "a title", errors, required=True)
    publisher = check_name(draft.publisher, "publisher", "a publisher's name", errors)
    url = check_url(draft.url, errors)
    published = check_date(draft.date, today or date.today(), errors)
    kind = check_kind(store, draft.kind, errors)
    language = check_language(draft.language, errors)
    author = check_author(store, draft.author, errors)
    body = check_text(text, max_text_bytes, errors)
    if errors:
        return None, errors
    assert kind is not None
    assert body is not None
    slug = unique_slug(store, slug_for(title))
    iri = vocab.id["source/" + slug]
    graph = vocab.claims_graph(slug)
    parley = vocab.parley
    triples: list[tuple[NamedNode, NamedNode, NamedNode | Literal]] = [
        (iri, RDF.type, parley.Source),
        (iri, RDFS.label, Literal(title, language=language)),
        (iri, SCHEMA.headline, Literal(title, language=language)),
        (iri, parley.sourceKind, kind.iri),
        (iri, SCHEMA.inLanguage, Literal(language)),
        (iri, SCHEMA.text, Literal(body.text)),
        (iri, parley.textSha256, Literal(body.sha256)),
    ]
    if url:
        triples.append((iri, SCHEMA.url, NamedNode(url)))
    if publisher:
        triples.append((iri, DCTERMS.publisher, Literal(publisher)))
    if published is not None:
        triples.append((iri, DCTERMS.date, published))
    if isinstance(author, NamedNode):
        triples.append((iri, SCHEMA.author, author))
    else:
        # Named in the field, or not at all: the source's own author node.
        node = NamedNode(iri.value + "/author")
        name = author or f"Author of “{title}” (not named)"
        triples += [
            (iri, SCHEMA.author, node),
            (node, RDF.type, parley.Agent),
            (node, RDFS.label, Literal(name, language="en")),
            (node, DCTERMS.source, iri),
        ]
    record = {
        "title": title,
        "url": url,
        "publisher": publisher,
        "date": published.value if published is not None else "",
        "kind": kind.iri.value,
        "language": language,
        "author": author.value if isinstance(author, NamedNode) else f"{iri.value}/author",
    }
    quads = [Quad(s, p, o, graph) for s, p, o in triples]
    return NewSource(iri, slug, graph, body.text, body.sha256, quads, record), []


#: The field each property of a new source comes from, for the gate's messages.
FIELD_OF_PATH = {
    str(RDFS.label): "title",
    str(SCHEMA.headline): "title",
    str(SCHEMA.url): "url",
    str(DCTERMS.publisher): "publisher",
    str(DCTERMS.date): "date",
    str(SCHEMA.inLanguage): "language",
    str(SCHEMA.author): "author",
    str(SCHEMA.text): "text",
}


#: A problem found before the gate, as a SHACL result's "constraint component".
FIELD_CHECK = "field-check"
#: ``sh:Violation``, as the gate's reports write it.
VIOLATION = "<http://www.w3.org/ns/shacl#Violation>"


def field_result(error: FieldError, gate: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """A message as the workbench's answers give it (``POST /claims`` too): the SHACL
    result's keys (``gate``'s, or a field check's), and the field, focus and path.

    >>> field_result(FieldError("title", "Give a title."))["sourceConstraintComponent"]
    'field-check'
    """
    shacl = (
        dict(gate)
        if gate is not None
        else {
            "focusNode": "",
            "resultPath": None,
            "value": None,
            "sourceConstraintComponent": FIELD_CHECK,
            "sourceShape": "",
            "resultSeverity": VIOLATION,
            "message": error.message,
        }
    )
    focus = str(shacl.get("focusNode") or "")
    path = shacl.get("resultPath")
    plain = focus[1:-1] if focus.startswith("<") and focus.endswith(">") else None
    return {
        **shacl,
        "field": error.field,
        "message": error.message,
        "focus": plain,
        "path": path[1:-1] if isinstance(path, str) and path.startswith("<") else path,
    }


def field_of(vocab: Vocab, source: str, focus: str | None, path: str | None) -> str | None:
    """The field a gate's result about ``focus`` (N-Triples form) along ``path`` is about."""
    if focus is not None and focus.startswith(f"<{source}/author"):
        return "author"
    if path is None:
        return None
    if path == str(vocab.parley.sourceKind):
        return "kind"
    if path == str(vocab.parley.textSha256):
        return "text"
    return FIELD_OF_PATH.get(path)
