"""The source page: the full text with every claim's evidence span highlighted in its
claimant's colour and linked to its claim, a legend of the claimants, the verdict marks
of each claim, and the list of claims in text order.

Colour never stands alone: each span names its claimant (``title`` and the tag's
``aria-label``) and the legend names every colour. A text of up to ``TEXT_PAGE_SPANS``
claim spans (an article) is shown whole; a longer one a page at a time, about that many
spans a page, cut between paragraphs or sentences, never inside a span
(``?section=text&page=N``). The list beside it holds the claims of the page shown, at most
``CLAIM_LIST_LIMIT``, with a link to a query for all: a source with a thousand claims is
never a thousand-link page.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import quote

from service.pages._actor import ClaimRow
from service.pages._labels import Labels, TermView, integer, lexical
from service.pages._listings import SectionPaging
from service.pages._per_version import PerVersionBy
from service.pages._source_facts import SourceFacts, source_facts
from service.pages._text_spans import Mark, Segment, Span, paragraphs
from service.pages._verdicts import LOOKS, local_name
from service.rdf import NamedNode, Term
from service.store import GraphStore, Row

#: Claimant colours in ``parley.css`` (``who-0`` ... ``who-9``); more claimants reuse them
#: in turn, and their names still tell them apart.
COLOURS = 10
#: Claims listed beside the text, at most.
CLAIM_LIST_LIMIT = 100
#: Claim spans a page of the text starts, about (a page ends at the end of a paragraph or
#: a sentence); the article, with 101, is one page.
TEXT_PAGE_SPANS = 120


@dataclass
class LegendEntry:
    """A claimant of the source's claims, its colour and how many claims it has here."""

    claimant: TermView
    colour: int
    count: int


@dataclass
class SourceView:
    author: TermView | None
    paragraphs: list[list[Segment]]
    #: The first ``CLAIM_LIST_LIMIT`` claims, in text order.
    claims: list[ClaimRow]
    #: Evidence spans whose offsets do not match the text (shown, not highlighted).
    unplaced: list[ClaimRow]
    legend: list[LegendEntry]
    #: How many claims the source has (the list may show fewer).
    claims_total: int = 0
    #: A SPARQL query that lists every claim of the source, as a link to the query page.
    all_claims_href: str = ""
    #: How many quotes do not match the text (the list may show fewer).
    unplaced_total: int = 0
    #: The page of the text shown, of how many (one for a text of up to TEXT_PAGE_SPANS).
    text_page: int = 1
    text_pages: int = 1
    #: Where the document comes from: kind, publisher, date, address, language, hash.
    facts: SourceFacts = field(default_factory=SourceFacts)

    @property
    def marks_used(self) -> list[Mark]:
        """Every verdict mark on the text, once, for the legend."""
        found = {
            m.text: m
            for para in self.paragraphs
            for segment in para
            for span in segment.starting
            for m in span.marks
        }
        scale = [glyph for _, glyph in LOOKS.values()]  # attribution's scale, then accuracy's
        return sorted(
            found.values(),
            key=lambda m: (scale.index(m.glyph) if m.glyph in scale else len(scale), m.text),
        )


def source_view(
    store: GraphStore, labels: Labels, iri: NamedNode, sections: SectionPaging | None = None
) -> SourceView:
    """The source's text with its claims; ``sections`` picks a page of a long text."""
    s = str(iri)
    text_rows = store.select(
        f"SELECT ?text ?author WHERE {{ {s} schema:text ?text "
        f"OPTIONAL {{ {s} schema:author ?author }} }} LIMIT 1"
    )
    text = lexical(text_rows[0].get("text")) if text_rows else None
    author = text_rows[0].get("author") if text_rows else None
    rows = _spans_of(store, s)
    placed: list[tuple[int, int, Row]] = []
    unplaced_rows: list[Row] = []
    for r in rows:
        start, end = integer(r.get("start")), integer(r.get("end"))
        exact = lexical(r.get("exact")) or ""
        if text is not None and start is not None and end is not None and text[start:end] == exact:
            placed.append((start, end, r))
        else:
            unplaced_rows.append(r)
    pages = page_bounds(text, [(a, b) for a, b, _ in placed]) if text else [(0, 0)]
    wanted = sections.page if sections is not None and sections.section == "text" else 1
    number = min(max(wanted, 1), len(pages))
    begin, stop = pages[number - 1]
    # Only the page's claims are labelled and marked: a page costs the same however long
    # the source is (its claimants, for the legend, are few).
    on_page = [(a, b, r) for a, b, r in placed if begin <= a < stop]
    unplaced_rows = unplaced_rows[:CLAIM_LIST_LIMIT]
    page_claims = [r["claim"] for _, _, r in on_page] + [r["claim"] for r in unplaced_rows]
    shown_rows = [r for _, _, r in on_page] + unplaced_rows
    labels.fetch([*page_claims, *(r["claimant"] for r in shown_rows if "claimant" in r)])
    if author is not None:
        labels.fetch([author])
    legend = _legend(labels, rows, shown_rows)
    colour = {entry.claimant.key: entry.colour for entry in legend}
    marks = verdict_marks(store, labels, iri, [r["claim"] for _, _, r in on_page])
    spans: list[Span] = []
    claims: list[ClaimRow] = []
    seen: set[str] = set()
    for start, end, r in on_page:
        claim = labels.view(r["claim"])
        claimant = labels.maybe(r.get("claimant"))
        tag = lexical(r.get("id")) or claim.text[:12]
        who = claimant.text if claimant is not None else ""
        hue = colour.get(claimant.key, -1) if claimant is not None else -1
        found = marks.get(claim.key, ())
        spans.append(Span(start, end, claim.href or "", tag, claim.text, who, hue, found))
        if claim.key not in seen:
            seen.add(claim.key)
            claims.append(ClaimRow(claim, claimant, lexical(r.get("exact")) or ""))
    unplaced = [
        ClaimRow(
            labels.view(r["claim"]), labels.maybe(r.get("claimant")), lexical(r.get("exact")) or ""
        )
        for r in unplaced_rows
    ]
    shown = paragraphs(text, spans, begin, stop) if text else []
    return SourceView(
        author=labels.maybe(author),
        paragraphs=shown,
        text_page=number,
        text_pages=len(pages),
        claims=claims[:CLAIM_LIST_LIMIT],
        unplaced=unplaced,
        legend=legend,
        claims_total=len({str(r["claim"]) for r in rows}),
        unplaced_total=len(rows) - len(placed),
        all_claims_href="/sparql?query=" + quote(_all_claims_query(iri)),
        facts=source_facts(store, labels, iri),
    )


def _read_spans(store: GraphStore, s: str) -> list[Row]:
    """Every evidence span of the source ``s`` (N-Triples form), in text order."""
    rows = store.select(
        "SELECT DISTINCT ?claim ?claimant ?id ?exact ?start ?end WHERE { "
        # From the source's evidence nodes first: a quarter faster than from the claims.
        f"?ev oa:hasSource {s} . ?claim parley:hasEvidence ?ev . ?ev oa:hasSelector ?q , ?p . "
        # The position is required, not OPTIONAL, and before the OPTIONALs: the shapes give
        # every span one position selector, and Oxigraph evaluates an OPTIONAL of several
        # patterns, or patterns after an OPTIONAL, as a hash join that reads every selector
        # of the store (1.5 s of a source page at 1M triples, 0.1 s this way: bench/pages.py).
        "?q oa:exact ?exact . ?p oa:start ?start ; oa:end ?end . "
        "OPTIONAL { ?claim parley:claimant ?claimant } "
        "OPTIONAL { ?claim dcterms:identifier ?id } }"
    )
    # In text order, sorted here: Oxigraph's ORDER BY costs tens of microseconds a row.
    rows.sort(key=lambda r: (integer(r.get("start")) or 0, str(r["claim"])))
    return rows


#: Kept per store version: each page of a long text reads them all (for where pages end).
_spans_of: PerVersionBy[str, list[Row]] = PerVersionBy(_read_spans)


def page_bounds(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """``[start, end)`` of each page of ``text``: about ``TEXT_PAGE_SPANS`` claim spans a
    page; a page ends at the first line break after its last span, or, in a paragraph that
    goes on, at the first space that no span covers (a span is never cut).

    >>> import re
    >>> words = " ".join(f"w{i}" for i in range(500))
    >>> spans = [m.span() for m in re.finditer(r"w\\d+", words)]
    >>> [len([s for s in spans if a <= s[0] < b]) for a, b in page_bounds(words, spans)]
    [120, 120, 120, 120, 20]
    """
    ordered = sorted(spans)
    bounds: list[tuple[int, int]] = []
    begin = 0
    while True:
        rest = [sp for sp in ordered if sp[0] >= begin]
        if len(rest) <= TEXT_PAGE_SPANS:
            bounds.append((begin, len(text)))
            return bounds
        reach = max(end for _, end in rest[:TEXT_PAGE_SPANS])
        cut = _cut_after(text, rest, reach, rest[TEXT_PAGE_SPANS][0])
        bounds.append((begin, cut))
        begin = cut


def _cut_after(text: str, spans: list[tuple[int, int]], reach: int, next_start: int) -> int:
    """Where a page ending at ``reach`` is cut: after the line break that follows, if no
    further claim starts before it, else at the first space no span covers."""
    line_break = text.find("\n", reach)
    if line_break != -1 and line_break <= next_start:
        return line_break + 1
    at = reach
    while at < len(text):
        covered = max((end for start, end in spans if start < at < end), default=None)
        if covered is not None:
            at = covered
        elif text[at].isspace():
            return at + 1
        else:
            at += 1
    return len(text)


def _legend(labels: Labels, rows: list[Row], shown: list[Row]) -> list[LegendEntry]:
    """The claimants of the ``shown`` claims (a page of the text), each with its colour and
    its count over the whole source. Colours go by the whole source, most claims first (the
    author of an article, usually), so a claimant keeps its colour on every page; claims
    with no claimant have no colour and no entry."""
    counts: Counter[str] = Counter()
    terms: dict[str, Term] = {}
    claims_seen: set[tuple[str, str]] = set()
    for r in rows:
        who = r.get("claimant")
        if who is None or (str(r["claim"]), str(who)) in claims_seen:
            continue
        claims_seen.add((str(r["claim"]), str(who)))
        counts[str(who)] += 1
        terms[str(who)] = who
    # Ties by IRI, not by label: a long source's claimants are not all labelled, only the
    # page's.
    ordered = sorted(counts, key=lambda k: (-counts[k], k))
    on_page = {str(r["claimant"]) for r in shown if "claimant" in r}
    return [
        LegendEntry(labels.view(terms[k]), i % COLOURS, counts[k])
        for i, k in enumerate(ordered)
        if k in on_page
    ]


def verdict_marks(
    store: GraphStore, labels: Labels, source: NamedNode, claims: list[Term] | None = None
) -> dict[str, tuple[Mark, ...]]:
    """The verdict marks of the reviewed claims of ``source`` (all, or those of ``claims``:
    a page of a long text), by the claim's key: its attribution verdict, then its accuracy
    verdict. A claim that is not checkable gets no
    accuracy mark, whatever a review says (as on the claim page)."""
    if claims is not None and not claims:
        return {}
    only = (
        ""
        if claims is None
        else "VALUES ?claim { " + " ".join(dict.fromkeys(str(c) for c in claims)) + " } "
    )
    rows = store.select(
        f"SELECT DISTINCT ?claim ?aspect ?verdict WHERE {{ {only}"
        f"?claim parley:hasEvidence/oa:hasSource {source} . ?review parley:reviews ?claim . "
        '{ ?review parley:attribution ?verdict BIND("attribution" AS ?aspect) } UNION '
        '{ ?review parley:accuracy ?verdict BIND("accuracy" AS ?aspect) '
        "FILTER NOT EXISTS { ?claim a parley:NotCheckableClaim } } "
        "} ORDER BY ?claim ?aspect ?verdict"
    )
    labels.fetch(r["verdict"] for r in rows)
    found: dict[str, list[Mark]] = {}
    for r in rows:
        tone, glyph = LOOKS.get(local_name(r["verdict"]), ("open", "•"))
        aspect = lexical(r.get("aspect")) or ""
        mark = Mark(glyph, f"{aspect}: {labels.label(r['verdict'])}", tone)
        marks = found.setdefault(str(r["claim"]), [])
        if mark not in marks:
            marks.append(mark)
    # Attribution first, as the claim page's header has it.
    return {
        claim: tuple(sorted(marks, key=lambda m: not m.text.startswith("attribution")))
        for claim, marks in found.items()
    }


def _all_claims_query(source: NamedNode) -> str:
    return (
        "SELECT ?id ?claim ?claimant ?quote WHERE {\n"
        f"  ?claim parley:hasEvidence ?ev . ?ev oa:hasSource {source} ;\n"
        "      oa:hasSelector ?q , ?p . ?q oa:exact ?quote . ?p oa:start ?start .\n"
        "  OPTIONAL { ?claim dcterms:identifier ?id }\n"
        "  OPTIONAL { ?claim parley:claimant ?claimant }\n"
        "} ORDER BY ?start ?claim"
    )
