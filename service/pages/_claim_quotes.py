"""A claim's quotes, and the passages of its source that hold them.

A claim may have several evidence spans close together ("Even Western analysts,
Putin says, are beginning to suggest..." is cut around "Putin says"): spans whose
surrounding passages overlap are shown in one passage with every span
highlighted, never as two nearly identical passages.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from service.pages._labels import Labels, TermView, integer, lexical
from service.pages._text_spans import Segment, Span, segments, window
from service.rdf import NamedNode
from service.store import GraphStore


@dataclass
class Quote:
    """An evidence span of a claim: its words and where they are."""

    exact: str
    source: TermView
    start: int | None = None
    end: int | None = None


@dataclass
class Passage:
    """A stretch of a source around one or more of the claim's quotes, highlighted."""

    source: TermView
    context: list[Segment]
    #: The highlighted quotes' offsets, in text order.
    ranges: list[tuple[int, int]] = field(default_factory=list)


def quotes(store: GraphStore, labels: Labels, iri: NamedNode) -> tuple[list[Quote], list[Passage]]:
    """The claim's evidence spans, and the passages of their sources that hold them."""
    rows = store.select(
        f"SELECT ?ev ?exact ?start ?end ?source ?text WHERE {{ {iri} parley:hasEvidence ?ev . "
        "?ev oa:hasSelector ?q . ?q oa:exact ?exact . "
        "OPTIONAL { ?ev oa:hasSelector ?p . ?p oa:start ?start ; oa:end ?end } "
        "OPTIONAL { ?ev oa:hasSource ?source OPTIONAL { ?source schema:text ?text } } "
        "} ORDER BY ?start ?ev"
    )
    labels.fetch(r["source"] for r in rows if "source" in r)
    found: list[Quote] = []
    texts: dict[str, str] = {}
    for r in rows:
        exact = lexical(r.get("exact")) or ""
        quote = Quote(exact, labels.view(r["source"]) if "source" in r else labels.view(iri))
        text = lexical(r.get("text"))
        start, end = integer(r.get("start")), integer(r.get("end"))
        if text is not None and (start is None or text[start:end] != exact) and exact in text:
            # Offsets that do not match: find the words themselves.
            start = text.index(exact)
            end = start + len(exact)
        if text is not None and start is not None and end is not None:
            quote.start, quote.end = start, end
            texts[quote.source.key] = text
        found.append(quote)
    return found, _passages(found, texts)


def _passages(found: list[Quote], texts: dict[str, str]) -> list[Passage]:
    """One passage per run of quotes of a source whose surrounding windows overlap."""
    runs: list[tuple[TermView, int, int, list[tuple[int, int]]]] = []
    placed = sorted(
        ((q.source, q.start, q.end) for q in found if q.start is not None and q.end is not None),
        key=lambda placed: (placed[0].key, placed[1]),
    )
    for source, start, end in placed:
        left, right = window(texts[source.key], start, end)
        last = runs[-1] if runs else None
        if last is not None and last[0].key == source.key and left <= last[2]:
            runs[-1] = (last[0], last[1], max(last[2], right), [*last[3], (start, end)])
        else:
            runs.append((source, left, right, [(start, end)]))
    passages = []
    for source, left, right, ranges in runs:
        spans = [Span(s, e, "", "", "") for s, e in ranges]
        context = segments(texts[source.key], spans, start=left, end=right)
        passages.append(Passage(source, context, ranges))
    return passages
