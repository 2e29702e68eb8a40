"""The claim page: who says it, through whom, how, about what, and the reviews.

The generic statement tables show everything; this view answers what a
claim page is for: its claimant, the chain of reported speech ("the author
reports that Putin says that Western analysts suggest..."), modality, type,
stances, what it is about, the editorial reviews, and each quote highlighted
inside the text around it.

Wording is Parley's own and neutral: a claim is always shown as said by its
claimant, never as a fact.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from service.pages._labels import Labels, TermView, integer, lexical
from service.pages._text_spans import Segment, Span, segments, window
from service.rdf import NamedNode, Term
from service.store import GraphStore, Row

#: How each modality is reported in a sentence ("Putin demands: ..."), for one claimant
#: and for a loosely defined group, which the sources name in the plural ("Western
#: analysts suggest: ...").
VERBS = {
    "modality-asserted": ("asserts", "assert"),
    "modality-predicted": ("predicts", "predict"),
    "modality-conditional": ("states, as a condition,", "state, as a condition,"),
    "modality-demanded": ("demands", "demand"),
    "modality-speculated": ("suggests", "suggest"),
}


def _iri(row: Row, name: str) -> NamedNode | None:
    value = row.get(name)
    return value if isinstance(value, NamedNode) else None


def _text(row: Row, name: str) -> str | None:
    return lexical(row.get(name))


# -- claims --------------------------------------------------------------------


@dataclass
class Quote:
    """An evidence span of a claim, in its surrounding text."""

    exact: str
    source: TermView
    context: list[Segment] = field(default_factory=list)
    start: int | None = None
    end: int | None = None


@dataclass
class ReviewView:
    review: TermView
    verdict: TermView | None
    body: str
    author: TermView | None
    date: str | None
    sources: list[TermView] = field(default_factory=list)


@dataclass
class ChainStep:
    """One voice in a chain of reported speech, outermost first."""

    who: TermView
    claim: TermView
    verb: str


@dataclass
class ClaimView:
    claimant: TermView | None
    modality: TermView | None
    claim_type: TermView | None
    #: Outermost first: the publisher's report, each reporter, and the claimant.
    chain: list[ChainStep]
    publisher: TermView | None
    source: TermView | None
    quotes: list[Quote]
    stances: list[tuple[TermView, TermView]]
    about: dict[str, list[TermView]]
    reviews: list[ReviewView]
    reports: TermView | None

    @property
    def sentence(self) -> list[TermView | str]:
        """Who says it through whom, as words and links: "In S, A reports that P says that W
        suggests:". The publisher's own claim reads "In S, A asserts:"."""
        pieces: list[TermView | str] = []
        steps = list(self.chain)
        if self.source is not None:
            pieces += ["In ", self.source, ", "]
        if self.publisher is not None and steps and steps[0].who.key != self.publisher.key:
            pieces += [self.publisher, " reports that "]
        for i, step in enumerate(steps):
            pieces += [step.who, f" {step.verb}" + (" " if i < len(steps) - 1 else ":")]
        return pieces


def claim_view(store: GraphStore, labels: Labels, iri: NamedNode) -> ClaimView:
    """The claim page's answers: who says it, through whom, how, about what; the reviews."""
    c = str(iri)
    main = store.select(
        f"SELECT ?claimant ?group ?modality ?type ?source ?author ?reports WHERE {{ "
        f"OPTIONAL {{ {c} parley:claimant ?claimant "
        "OPTIONAL { ?claimant a parley:VagueGroup BIND(true AS ?group) } } "
        f"OPTIONAL {{ {c} parley:modality ?modality }} OPTIONAL {{ {c} parley:claimType ?type }} "
        f"OPTIONAL {{ {c} parley:appearsIn ?source OPTIONAL {{ ?source schema:author ?author }} }} "
        f"OPTIONAL {{ {c} parley:reportsClaim ?reports }} }} LIMIT 1"
    )
    row = main[0] if main else {}
    chain_rows = _report_chain(store, iri)
    stance_rows = store.select(
        f"SELECT ?actor ?value WHERE {{ {c} parley:hasStance ?s . "
        "?s parley:stanceToward ?actor ; parley:stanceValue ?value }"
    )
    about_rows = store.select(
        "SELECT ?p ?x WHERE { VALUES ?p { parley:aboutActor parley:aboutEvent "
        f"parley:aboutPlace }} {c} ?p ?x }}"
    )
    reviews = _reviews(store, iri)
    terms: list[Term] = [
        v for r in [row, *chain_rows, *stance_rows, *about_rows] for v in r.values()
    ]
    terms += [t for r in reviews for t in r.values()]
    labels.fetch(terms)

    def v(term: Term | None) -> TermView | None:
        return labels.view(term) if term is not None else None

    steps = [
        ChainStep(
            labels.view(r["who"]),
            labels.view(r["claim"]),
            _verb(r.get("modality"), reporting=True, plural="group" in r),
        )
        for r in chain_rows
        if "who" in r
    ]
    claimant = row.get("claimant")
    if claimant is not None:
        verb = _verb(row.get("modality"), plural="group" in row)
        steps.append(ChainStep(labels.view(claimant), labels.view(iri), verb))
    about: dict[str, list[TermView]] = {}
    for r in about_rows:
        key = r["p"].value.rsplit("#about", 1)[-1].lower()
        about.setdefault(key, []).append(labels.view(r["x"]))
    return ClaimView(
        claimant=v(claimant),
        modality=v(row.get("modality")),
        claim_type=v(row.get("type")),
        chain=steps,
        publisher=v(row.get("author")),
        source=v(row.get("source")),
        quotes=quotes(store, labels, iri),
        stances=[(labels.view(r["actor"]), labels.view(r["value"])) for r in stance_rows],
        about=about,
        reviews=[_review_view(labels, r, store) for r in reviews],
        reports=v(row.get("reports")),
    )


def _verb(modality: Term | None, *, reporting: bool = False, plural: bool = False) -> str:
    """The verb for one step of the chain ("says that", "demands", "suggest").

    >>> _verb(None, reporting=True), _verb(None, plural=True)
    ('says that', 'say')
    """
    if reporting:
        return "say that" if plural else "says that"
    forms = ("says", "say")
    if isinstance(modality, NamedNode):
        forms = VERBS.get(modality.value.rsplit("#", 1)[-1], forms)
    return forms[1] if plural else forms[0]


def _report_chain(store: GraphStore, iri: NamedNode) -> list[Row]:
    """The report claims that relay ``iri``, outermost first (a cycle stops the walk)."""
    chain: list[Row] = []
    seen = {iri}
    current = iri
    while True:
        rows = store.select(
            f"SELECT ?claim ?who ?group ?modality WHERE {{ ?claim parley:reportsClaim {current} . "
            "OPTIONAL { ?claim parley:claimant ?who "
            "OPTIONAL { ?who a parley:VagueGroup BIND(true AS ?group) } } "
            "OPTIONAL { ?claim parley:modality ?modality } } ORDER BY ?claim LIMIT 1"
        )
        outer = _iri(rows[0], "claim") if rows else None
        if outer is None or outer in seen:
            break
        seen.add(outer)
        chain.insert(0, rows[0])
        current = outer
    return chain


def _reviews(store: GraphStore, iri: NamedNode) -> list[Row]:
    return store.select(
        f"SELECT ?review ?verdict ?body ?author ?date WHERE {{ ?review parley:reviews {iri} . "
        "OPTIONAL { ?review parley:verdict ?verdict } "
        "OPTIONAL { ?review schema:reviewBody ?body } OPTIONAL { ?review schema:author ?author } "
        "OPTIONAL { ?review schema:datePublished ?date } } ORDER BY ?review"
    )


def _review_view(labels: Labels, row: Row, store: GraphStore) -> ReviewView:
    review = row["review"]
    sources = [
        r["s"]
        for r in store.select(f"SELECT ?s WHERE {{ {review} dcterms:source ?s }} ORDER BY ?s")
    ]
    labels.fetch(sources)
    return ReviewView(
        review=labels.view(review),
        verdict=labels.view(row["verdict"]) if "verdict" in row else None,
        body=_text(row, "body") or "",
        author=labels.view(row["author"]) if "author" in row else None,
        date=_text(row, "date"),
        sources=[labels.view(s) for s in sources],
    )


def quotes(store: GraphStore, labels: Labels, iri: NamedNode) -> list[Quote]:
    """The claim's evidence spans, each highlighted inside the text around it."""
    rows = store.select(
        f"SELECT ?ev ?exact ?start ?end ?source ?text WHERE {{ {iri} parley:hasEvidence ?ev . "
        "?ev oa:hasSelector ?q . ?q oa:exact ?exact . "
        "OPTIONAL { ?ev oa:hasSelector ?p . ?p oa:start ?start ; oa:end ?end } "
        "OPTIONAL { ?ev oa:hasSource ?source OPTIONAL { ?source schema:text ?text } } "
        "} ORDER BY ?start ?ev"
    )
    labels.fetch(r["source"] for r in rows if "source" in r)
    found = []
    for r in rows:
        exact = _text(r, "exact") or ""
        quote = Quote(exact, labels.view(r["source"]) if "source" in r else labels.view(iri))
        text = _text(r, "text")
        start, end = integer(r.get("start")), integer(r.get("end"))
        if text is not None and (start is None or text[start:end] != exact) and exact in text:
            start = text.index(exact)
            end = start + len(exact)
        if text is not None and start is not None and end is not None:
            left, right = window(text, start, end)
            span = Span(start, end, "", "", exact)
            quote.context = segments(text, [span], start=left, end=right)
            quote.start, quote.end = start, end
        found.append(quote)
    return found
