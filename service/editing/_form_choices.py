"""What a shape-generated form offers and shows besides its fields: the instances a picker
chooses from, the kinds of a new actor, and the quote an editor marked in a source.

A picker (a field with ``sh:class``) chooses among the class's existing instances. The
page lists them in a plain ``<select>`` when there are few (so the form works without a
script); a script asks ``GET /choices`` as the editor types, which searches the full-text
index and keeps the hits of the class (its instances by ``rdf:type``, inferred types too).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from service.editing._form_model import Choice, FieldError, local_name
from service.pages import Labels, SearchIndex
from service.rdf import Literal, NamedNode, Vocab
from service.store import GraphStore

#: A picker lists its class's instances in a ``<select>`` up to this many; beyond, a text
#: input takes an IRI (and a script searches as the editor types).
PICKER_OPTIONS = 400
#: Code points of context kept before and after a quote (W3C Web Annotation's
#: ``TextQuoteSelector`` prefix and suffix).
CONTEXT = 32
#: Classes an inline new actor may not have (an editor is added with ``parley editor add``).
_NOT_NEW_ACTOR_TYPES = ("Editor",)


@dataclass(frozen=True)
class Quote:
    """The words an editor marked: offsets in Unicode code points, end exclusive."""

    source: str
    source_label: str
    start: int
    end: int
    exact: str
    prefix: str
    suffix: str
    #: The text's length (the largest offset there is).
    length: int


def quote_at(
    store: GraphStore, labels: Labels, source: NamedNode, start: int, end: int
) -> tuple[Quote | None, list[FieldError]]:
    """The quote at ``[start, end)`` of the source's ``schema:text``, with up to
    ``CONTEXT`` code points before and after; whitespace at either end is left out (a
    double click selects the space after a word)."""
    rows = store.select(f"SELECT ?text WHERE {{ {source} schema:text ?text }} LIMIT 1")
    text = rows[0].get("text") if rows else None
    if not isinstance(text, Literal):
        return None, [FieldError("source", f"{source.value} is not a source with a text.")]
    value = text.value
    if not 0 <= start < end <= len(value):
        return None, [
            FieldError(
                "start",
                f"The offsets {start}-{end} are not within the text "
                f"(0-{len(value)} Unicode code points).",
            )
        ]
    while start < end and value[start].isspace():
        start += 1
    while end > start and value[end - 1].isspace():
        end -= 1
    if start == end:
        return None, [FieldError("exact", "The marked words are only white space.")]
    labels.fetch([source])
    return Quote(
        source=source.value,
        source_label=labels.view(source).text,
        start=start,
        end=end,
        exact=value[start:end],
        prefix=value[max(0, start - CONTEXT) : start],
        suffix=value[end : end + CONTEXT],
        length=len(value),
    ), []


def picker_options(
    store: GraphStore, labels: Labels, cls: str, limit: int = PICKER_OPTIONS
) -> list[Choice] | None:
    """The instances of ``cls`` by label, or ``None`` when there are more than ``limit``
    (kept per store version: every form page lists them)."""
    version = store.version()
    key = (version, cls, limit)
    with _kept_lock:
        if _kept.store is store and key in _kept.options:
            return _kept.options[key]
    options = _read_options(store, labels, cls, limit)
    if store.version() == version:
        with _kept_lock:
            if _kept.store is not store or any(k[0] != version for k in _kept.options):
                _kept.store, _kept.options = store, {}
            _kept.options[key] = options
    return options


class _Kept:
    """Picker options kept for one store (the store itself, not its ``id``: a new store may
    get a closed one's) and one version, by class and limit."""

    def __init__(self) -> None:
        self.store: GraphStore | None = None
        self.options: dict[tuple[int, str, int], list[Choice] | None] = {}


_kept = _Kept()
_kept_lock = threading.Lock()


def _read_options(store: GraphStore, labels: Labels, cls: str, limit: int) -> list[Choice] | None:
    rows = store.select(
        f"SELECT DISTINCT ?x WHERE {{ ?x a <{cls}> FILTER (isIRI(?x)) }} LIMIT {limit + 1}"
    )
    found = [x for r in rows if isinstance(x := r.get("x"), NamedNode)]
    if len(found) > limit:
        return None
    return sorted(_choices(labels, found), key=lambda c: (c.label.casefold(), c.iri))


def choices_matching(
    store: GraphStore, labels: Labels, index: SearchIndex, cls: str, text: str, limit: int = 20
) -> list[Choice]:
    """Instances of ``cls`` whose names match ``text`` (the search index's ranking), or
    the first ``limit`` instances by label when ``text`` is empty."""
    if not text.strip():
        options = picker_options(store, labels, cls, limit=1000) or []
        return options[:limit]
    hits = index.search(text, limit=max(100, limit * 5))
    if not hits:
        return []
    values = " ".join(f"<{h.iri}>" for h in hits)
    rows = store.select(f"SELECT DISTINCT ?x WHERE {{ VALUES ?x {{ {values} }} ?x a <{cls}> }}")
    members = {r["x"].value for r in rows if isinstance(r.get("x"), NamedNode)}
    kept = [NamedNode(h.iri) for h in hits if h.iri in members][:limit]
    return _choices(labels, kept)


def actor_types(store: GraphStore, labels: Labels) -> list[Choice]:
    """The classes a new actor may have: the subclasses of ``parley:Agent``."""
    agent = store.vocab.parley.Agent
    rows = store.select(
        f"SELECT DISTINCT ?c WHERE {{ ?c rdfs:subClassOf+ {agent} FILTER (isIRI(?c)) }}"
    )
    found = [
        c
        for r in rows
        if isinstance(c := r.get("c"), NamedNode)
        and local_name(c.value) not in _NOT_NEW_ACTOR_TYPES
    ]
    return sorted(_choices(labels, found), key=lambda c: c.label.casefold())


def takes_new_actor(vocab: Vocab, cls: str | None, types: list[Choice]) -> bool:
    """Whether a picker of ``cls`` may point at a new actor created inline."""
    agents = {vocab.parley.Agent.value, "http://www.w3.org/ns/prov#Agent"}
    return cls is not None and (cls in agents or any(t.iri == cls for t in types))


def _choices(labels: Labels, iris: list[NamedNode]) -> list[Choice]:
    labels.fetch(iris)
    return [Choice(i.value, local_name(i.value), labels.view(i).text) for i in iris]
