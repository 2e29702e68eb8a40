"""The source page: the full text with every claim's evidence span highlighted and
linked to its claim, and the list of claims in text order."""

from __future__ import annotations

from dataclasses import dataclass

from service.pages._actor import ClaimRow
from service.pages._labels import Labels, TermView, integer, lexical
from service.pages._text_spans import Segment, Span, paragraphs
from service.rdf import NamedNode
from service.store import GraphStore


@dataclass
class SourceView:
    author: TermView | None
    paragraphs: list[list[Segment]]
    claims: list[ClaimRow]
    #: Evidence spans whose offsets do not match the text (shown, not highlighted).
    unplaced: list[ClaimRow]


def source_view(store: GraphStore, labels: Labels, iri: NamedNode) -> SourceView:
    s = str(iri)
    text_rows = store.select(
        f"SELECT ?text ?author WHERE {{ {s} schema:text ?text "
        f"OPTIONAL {{ {s} schema:author ?author }} }} LIMIT 1"
    )
    text = lexical(text_rows[0].get("text")) if text_rows else None
    author = text_rows[0].get("author") if text_rows else None
    rows = store.select(
        "SELECT DISTINCT ?claim ?claimant ?id ?exact ?start ?end WHERE { "
        f"?claim parley:hasEvidence ?ev . ?ev oa:hasSource {s} ; oa:hasSelector ?q . "
        "?q oa:exact ?exact . OPTIONAL { ?claim parley:claimant ?claimant } "
        "OPTIONAL { ?claim dcterms:identifier ?id } "
        "OPTIONAL { ?ev oa:hasSelector ?p . ?p oa:start ?start ; oa:end ?end } "
        "} ORDER BY ?start ?claim"
    )
    labels.fetch([*(r["claim"] for r in rows), *(r["claimant"] for r in rows if "claimant" in r)])
    if author is not None:
        labels.fetch([author])
    spans: list[Span] = []
    claims: list[ClaimRow] = []
    unplaced: list[ClaimRow] = []
    seen: set[str] = set()
    for r in rows:
        claim = labels.view(r["claim"])
        exact = lexical(r.get("exact")) or ""
        row = ClaimRow(claim, labels.maybe(r.get("claimant")), exact)
        start, end = integer(r.get("start")), integer(r.get("end"))
        if text is not None and start is not None and end is not None and text[start:end] == exact:
            tag = lexical(r.get("id")) or claim.text[:12]
            spans.append(Span(start, end, claim.href or "", tag, claim.text))
        else:
            unplaced.append(row)
        if claim.key not in seen:
            seen.add(claim.key)
            claims.append(row)
    return SourceView(
        author=labels.maybe(author),
        paragraphs=paragraphs(text, spans) if text else [],
        claims=claims,
        unplaced=unplaced,
    )
