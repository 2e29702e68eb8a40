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

The reviews (``_claim_reviews``), the quotes and their passages (``_claim_quotes``),
where the claim stands (``_claim_standing``) and its history (``_claim_history``:
earlier versions, a withdrawal) have modules of their own. A withdrawn claim, or an
earlier version, is shown as it stood, from ``graph/history``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from service.pages._claim_history import ClaimHistory, as_it_stood, claim_history
from service.pages._claim_quotes import Passage, Quote, quotes
from service.pages._claim_reviews import ReviewView, review_rows, review_views
from service.pages._claim_standing import Standing, standing
from service.pages._labels import Labels, TermView, lexical
from service.pages._verdicts import Badge, local_name
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


def _iri(row: Row, name: str) -> NamedNode | None:
    value = row.get(name)
    return value if isinstance(value, NamedNode) else None


@dataclass
class Verdict:
    """One of the two verdicts as the claim page's header shows it."""

    #: "Attribution" or "Accuracy".
    aspect: str
    #: The verdicts the reviews give (usually one); empty when none applies or none is given.
    values: list[Badge]
    #: What the header says when ``values`` is empty ("not reviewed", "does not apply ...").
    missing: str = ""


@dataclass
class ChainStep:
    """One report in a chain of reported speech: who relays the claim, in which claim of
    theirs, and the verb the sentence gives them ("says that")."""

    who: TermView
    claim: TermView
    verb: str


@dataclass
class ClaimView:
    claimant: TermView | None
    modality: TermView | None
    claim_type: TermView | None
    #: The report claims that relay this claim, outermost first; never the claim itself.
    chain: list[ChainStep]
    #: The claimant's verb for this claim ("demands", "suggest").
    verb: str
    publisher: TermView | None
    source: TermView | None
    quotes: list[Quote]
    #: The passages of the source that hold the quotes, each highlighted.
    passages: list[Passage]
    stances: list[tuple[TermView, TermView]]
    about: dict[str, list[TermView]]
    reviews: list[ReviewView]
    reports: TermView | None
    #: ``None`` for a checkable claim; otherwise what it is ("a demand", "a norm").
    not_checkable: list[str] | None = None
    standing: Standing = field(default_factory=Standing)
    #: True when the claimant is the author of the source: the source's own claim.
    own_claim: bool = False
    #: Its earlier versions, its withdrawal (``_claim_history``).
    history: ClaimHistory = field(default_factory=ClaimHistory)

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
        voices = [(step.who, step.verb) for step in self.chain]
        if self.claimant is not None:
            voices.append((self.claimant, self.verb))
        if self.source is not None:
            pieces += ["In ", self.source, ", "]
        if self.publisher is not None and voices and voices[0][0].key != self.publisher.key:
            pieces += [self.publisher, " reports that "]
        for i, (who, verb) in enumerate(voices):
            pieces += [who, f" {verb}" + (" " if i < len(voices) - 1 else ":")]
        return pieces


def _unique(badges: list[Badge]) -> list[Badge]:
    return list({b.verdict.key: b for b in badges}.values())


def claim_view(store: GraphStore, labels: Labels, iri: NamedNode) -> ClaimView:
    """The claim page's answers: who says it, through whom, how, about what; the reviews;
    its positions, disputes and relations."""
    c = str(iri)
    history = claim_history(store, labels, iri)
    if history.from_history:
        store = as_it_stood(store, iri, history)  # its statements are kept as reifications
        named = store.select(f"SELECT ?l WHERE {{ {c} rdfs:label ?l }} LIMIT 1")
        history.label = (lexical(named[0].get("l")) or "") if named else ""
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
    labels.fetch(
        v for r in [row, *chain_rows, *stance_rows, *about_rows, *reviews] for v in r.values()
    )
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
    about: dict[str, list[TermView]] = {}
    for r in about_rows:
        key = r["p"].value.rsplit("#about", 1)[-1].lower()
        about.setdefault(key, []).append(labels.view(r["x"]))
    found_quotes, passages = quotes(store, labels, iri)
    return ClaimView(
        claimant=labels.maybe(claimant),
        modality=labels.maybe(row.get("modality")),
        claim_type=labels.maybe(row.get("type")),
        chain=steps,
        verb=_verb(row.get("modality"), plural="group" in row),
        publisher=labels.maybe(row.get("author")),
        source=labels.maybe(row.get("source")),
        quotes=found_quotes,
        passages=passages,
        stances=[(labels.view(r["actor"]), labels.view(r["value"])) for r in stance_rows],
        about=about,
        reviews=review_views(labels, reviews, store),
        reports=labels.maybe(row.get("reports")),
        not_checkable=not_checkable_kinds(row),
        standing=standing(store, labels, iri),
        own_claim=claimant is not None and claimant == row.get("author"),
        history=history,
    )


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
        for name in (local_name(row.get("modality")), local_name(row.get("type")))
        if name in NOT_CHECKABLE_KINDS
    ]
    if kinds or "notCheckable" in row:
        return kinds
    return None


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
