"""The claim page: who says it, through whom, how, about what, and the reviews.

The generic statement tables show everything; this view answers what a
claim page is for: its claimant, the chain of reported speech ("the author
reports that Putin says that Western analysts suggest..."), modality, type,
stances, what it is about, the editorial reviews, and each quote highlighted
inside the text around it. Then where the claim stands: the propositions it
supports or opposes, the claims in dispute with it (derived by the reasoner) and
the relations an editor states between it and other claims, with the editor's note.

Two verdicts, never one: the attribution verdict (was it said, and so?) and the
accuracy verdict (is it so?), side by side next to the claimant. A claim that is
not checkable (a demand, a prediction, an opinion...) gets a neutral notice instead
of an accuracy verdict, and its page never shows one: the record can show that it
was said, never that it is true.

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

#: What a claim that is not checkable is, by its modality, then by its type (the union
#: that derives ``parley:NotCheckableClaim``), as a noun with its article.
NOT_CHECKABLE_KINDS = {
    "modality-demanded": "a demand",
    "modality-predicted": "a prediction",
    "modality-conditional": "a condition",
    "modality-speculated": "a speculation",
    "type-evaluative": "an evaluation",
    "type-interpretive": "an interpretation",
    "type-normative": "a norm",
}

#: The editor-stated relations between claims: how each reads from this claim's side
#: ("out": this claim is the subject) and from the other's ("in").
RELATIONS = {
    "contradictsClaim": ("contradicts", "contradicts"),
    "supportsClaim": ("supports", "is supported by"),
    "sameProposition": ("states the same proposition as", "states the same proposition as"),
    "repeatsClaim": ("repeats", "is repeated by"),
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
    #: Was it said, and so? (``parley:attribution``)
    attribution: TermView | None
    #: Is it so? (``parley:accuracy``; only for checkable claims)
    accuracy: TermView | None
    body: str
    author: TermView | None
    date: str | None
    sources: list[TermView] = field(default_factory=list)
    #: Why accuracy does not apply, or what the attribution rests on (``parley:reviewNote``).
    notes: list[str] = field(default_factory=list)


@dataclass
class Verdict:
    """One of the two verdicts as the claim page's header shows it."""

    #: "Attribution" or "Accuracy".
    aspect: str
    #: The verdicts the reviews give (usually one); empty when none applies or none is given.
    values: list[TermView]
    #: What the header says when ``values`` is empty ("not reviewed", "does not apply ...").
    missing: str = ""


@dataclass
class Position:
    """The claim's stance on a proposition."""

    stance: str  # "supports" or "opposes"
    proposition: TermView


@dataclass
class Dispute:
    """A claim in dispute with this one (derived: opposite stances on a proposition)."""

    claim: TermView
    claimant: TermView | None
    propositions: list[TermView] = field(default_factory=list)


@dataclass
class Relation:
    """A relation an editor states between this claim and another."""

    verb: str
    claim: TermView
    claimant: TermView | None
    note: str | None
    creator: TermView | None


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
    #: ``None`` for a checkable claim; otherwise what it is ("a demand", "a norm").
    not_checkable: list[str] | None = None
    positions: list[Position] = field(default_factory=list)
    disputes: list[Dispute] = field(default_factory=list)
    relations: list[Relation] = field(default_factory=list)
    #: True when the claimant is the author of the source: the source's own claim.
    own_claim: bool = False

    @property
    def verdicts(self) -> list[Verdict]:
        """The attribution verdict, then the accuracy verdict, as the header shows them."""
        attribution = [r.attribution for r in self.reviews if r.attribution is not None]
        accuracy = [r.accuracy for r in self.reviews if r.accuracy is not None]
        if self.not_checkable is not None:
            # Never shown for a demand or an opinion, whatever a review says.
            accuracy, no_accuracy = [], "does not apply: not a checkable claim"
        else:
            no_accuracy = "not reviewed" if not self.reviews else "no accuracy verdict"
        if self.own_claim:
            no_attribution = "the source’s own claim"
        else:
            no_attribution = "not reviewed" if not self.reviews else "no attribution verdict"
        return [
            Verdict("Attribution", _unique(attribution), no_attribution),
            Verdict("Accuracy", _unique(accuracy), no_accuracy),
        ]

    @property
    def not_checkable_text(self) -> str:
        """What the claim is, as a capitalised phrase ("A demand and a norm")."""
        kinds = self.not_checkable or []
        if not kinds:
            return "A position or an opinion"
        text = kinds[0] if len(kinds) == 1 else ", ".join(kinds[:-1]) + " and " + kinds[-1]
        return text[:1].upper() + text[1:]

    @property
    def review_notes(self) -> list[str]:
        return [note for r in self.reviews for note in r.notes]

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


def _unique(views: list[TermView]) -> list[TermView]:
    return list({v.key: v for v in views}.values())


def claim_view(store: GraphStore, labels: Labels, iri: NamedNode) -> ClaimView:
    """The claim page's answers: who says it, through whom, how, about what; the reviews;
    its positions, disputes and relations."""
    c = str(iri)
    main = store.select(
        f"SELECT ?claimant ?group ?modality ?type ?source ?author ?reports ?notCheckable "
        f"WHERE {{ OPTIONAL {{ {c} parley:claimant ?claimant "
        "OPTIONAL { ?claimant a parley:VagueGroup BIND(true AS ?group) } } "
        f"OPTIONAL {{ {c} parley:modality ?modality }} OPTIONAL {{ {c} parley:claimType ?type }} "
        f"OPTIONAL {{ {c} parley:appearsIn ?source OPTIONAL {{ ?source schema:author ?author }} }} "
        f"OPTIONAL {{ {c} parley:reportsClaim ?reports }} "
        f"OPTIONAL {{ {c} a parley:NotCheckableClaim BIND(true AS ?notCheckable) }} }} LIMIT 1"
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
    reviews = review_rows(store, iri)
    position_rows, dispute_rows, relation_rows = _standing(store, iri)
    terms: list[Term] = [
        v for r in [row, *chain_rows, *stance_rows, *about_rows, *position_rows] for v in r.values()
    ]
    terms += [t for r in [*reviews, *dispute_rows, *relation_rows] for t in r.values()]
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
        reviews=review_views(labels, reviews, store),
        reports=v(row.get("reports")),
        not_checkable=not_checkable_kinds(row),
        positions=[
            Position(
                "supports" if _local(r["stance"]) == "supportsProposition" else "opposes",
                labels.view(r["p"]),
            )
            for r in position_rows
        ],
        disputes=_disputes(labels, dispute_rows),
        relations=_relations(labels, relation_rows),
        own_claim=claimant is not None and claimant == row.get("author"),
    )


def _local(term: Term | None) -> str:
    return term.value.rsplit("#", 1)[-1] if isinstance(term, NamedNode) else ""


def not_checkable_kinds(row: Row) -> list[str] | None:
    """What a claim that is not checkable is ("a demand", "a norm"), by its modality and
    type; ``None`` for a checkable claim (asserted, and factual or causal).

    The reasoner derives ``parley:NotCheckableClaim`` by the same rule; either says so.

    >>> from service.rdf import Literal
    >>> m, t = "http://h/ontology#modality-demanded", "http://h/ontology#type-normative"
    >>> not_checkable_kinds({"modality": NamedNode(m), "type": NamedNode(t)})
    ['a demand', 'a norm']
    >>> not_checkable_kinds({"modality": NamedNode("http://h/ontology#modality-asserted"),
    ...                 "type": NamedNode("http://h/ontology#type-factual")}) is None
    True
    """
    kinds = [
        NOT_CHECKABLE_KINDS[name]
        for name in (_local(row.get("modality")), _local(row.get("type")))
        if name in NOT_CHECKABLE_KINDS
    ]
    if kinds or "notCheckable" in row:
        return kinds
    return None


def _standing(store: GraphStore, iri: NamedNode) -> tuple[list[Row], list[Row], list[Row]]:
    """Where the claim stands: its positions, the claims in dispute with it (derived), and
    the relations an editor states with other claims (either direction), with the note of
    the ``rdf:Statement`` that records each."""
    c = str(iri)
    positions = store.select(
        "SELECT ?stance ?p WHERE { VALUES ?stance { parley:supportsProposition "
        f"parley:opposesProposition }} {c} ?stance ?p }} ORDER BY ?stance ?p"
    )
    disputes = store.select(
        f"SELECT DISTINCT ?other ?who ?p WHERE {{ {c} parley:disputes ?other "
        f"FILTER(?other != {c}) OPTIONAL {{ ?other parley:claimant ?who }} "
        f"OPTIONAL {{ {{ {c} parley:supportsProposition ?p . ?other parley:opposesProposition ?p }}"
        f" UNION {{ {c} parley:opposesProposition ?p . ?other parley:supportsProposition ?p }} }}"
        " } ORDER BY ?other ?p"
    )
    relations = store.select(
        "SELECT DISTINCT ?rel ?dir ?other ?who ?note ?creator WHERE { "
        "VALUES ?rel { parley:contradictsClaim parley:supportsClaim parley:sameProposition "
        "parley:repeatsClaim } "
        f'{{ {c} ?rel ?other BIND("out" AS ?dir) }} UNION {{ ?other ?rel {c} BIND("in" AS ?dir) }} '
        f"FILTER(?other != {c}) OPTIONAL {{ ?other parley:claimant ?who }} "
        "OPTIONAL { ?st rdf:predicate ?rel ; rdf:subject ?s ; rdf:object ?o "
        f"FILTER((?s = {c} && ?o = ?other) || (?s = ?other && ?o = {c})) "
        "OPTIONAL { ?st skos:note ?note } OPTIONAL { ?st dcterms:creator ?creator } } "
        "} ORDER BY ?rel ?other ?dir"
    )
    return positions, disputes, relations


def _disputes(labels: Labels, rows: list[Row]) -> list[Dispute]:
    found: dict[str, Dispute] = {}
    for r in rows:
        other = labels.view(r["other"])
        dispute = found.setdefault(other.key, Dispute(other, labels.maybe(r.get("who"))))
        if "p" in r:
            dispute.propositions.append(labels.view(r["p"]))
    return list(found.values())


def _relations(labels: Labels, rows: list[Row]) -> list[Relation]:
    """One line per related claim and relation. A symmetric relation reads the same both
    ways, so its two triples are one line; the ``sameProposition`` that ``repeatsClaim``
    implies is not shown twice."""
    repeats = {str(r["other"]) for r in rows if _local(r.get("rel")) == "repeatsClaim"}
    found: dict[tuple[str, str], Relation] = {}
    for r in rows:
        name = _local(r.get("rel"))
        if name not in RELATIONS or (name == "sameProposition" and str(r["other"]) in repeats):
            continue
        out, back = RELATIONS[name]
        verb = out if lexical(r.get("dir")) == "out" else back
        key = (verb, str(r["other"]))
        seen = found.get(key)
        if seen is not None:
            if seen.note is None and "note" in r:
                seen.note, seen.creator = _text(r, "note"), labels.maybe(r.get("creator"))
            continue
        found[key] = Relation(
            verb,
            labels.view(r["other"]),
            labels.maybe(r.get("who")),
            _text(r, "note"),
            labels.maybe(r.get("creator")),
        )
    return list(found.values())


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


def review_rows(store: GraphStore, iri: NamedNode) -> list[Row]:
    return store.select(
        "SELECT ?review ?attribution ?accuracy ?note ?body ?author ?date WHERE { "
        f"?review parley:reviews {iri} . "
        "OPTIONAL { ?review parley:attribution ?attribution } "
        "OPTIONAL { ?review parley:accuracy ?accuracy } "
        "OPTIONAL { ?review parley:reviewNote ?note } "
        "OPTIONAL { ?review schema:reviewBody ?body } OPTIONAL { ?review schema:author ?author } "
        "OPTIONAL { ?review schema:datePublished ?date } } ORDER BY ?review ?note"
    )


def review_views(labels: Labels, rows: list[Row], store: GraphStore) -> list[ReviewView]:
    """One view per review (a review with two notes comes in two rows)."""
    views: dict[str, ReviewView] = {}
    for row in rows:
        key = str(row["review"])
        seen = views.get(key)
        note = _text(row, "note")
        if seen is not None:
            if note and note not in seen.notes:
                seen.notes.append(note)
            continue
        views[key] = _review_view(labels, row, store)
    return list(views.values())


def _review_view(labels: Labels, row: Row, store: GraphStore) -> ReviewView:
    review = row["review"]
    sources = [
        r["s"]
        for r in store.select(f"SELECT ?s WHERE {{ {review} dcterms:source ?s }} ORDER BY ?s")
    ]
    labels.fetch(sources)
    note = _text(row, "note")
    return ReviewView(
        review=labels.view(review),
        attribution=labels.maybe(row.get("attribution")),
        accuracy=labels.maybe(row.get("accuracy")),
        body=_text(row, "body") or "",
        author=labels.maybe(row.get("author")),
        date=_text(row, "date"),
        sources=[labels.view(s) for s in sources],
        notes=[note] if note else [],
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
