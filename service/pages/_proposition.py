"""The dispute page of a proposition: who says what, side by side, in their own words.

A proposition is worded by the editors, neutrally; nobody is recorded as asserting it.
Its definition (``skos:definition``) is the page's prose. The claims take stances on it
(``parley:supportsProposition``, ``parley:opposesProposition``); the reasoner derives
``parley:disputes`` between two claims of opposite stances, and the parties' positions
(``parley:supportsPosition``, ``parley:opposesPosition``).

Each side lists its parties (the claimants, with the sides they act for), each party's
claims under an anchor of its own (``#party-Putin``: the home page's matrix links there),
and each claim with every quote of it verbatim, its two verdicts (attribution, accuracy;
none for a claim that is not checkable) and the record its reviews cite, with each
source's kind.

A fixed number of queries for the whole page, whatever the number of claims.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from service.pages._labels import Labels, TermView, integer, lexical
from service.pages._listings import PAGE_SIZE, SectionPaging
from service.pages._positions import party_anchor
from service.rdf import NamedNode, Term
from service.store import GraphStore, Row

#: Claims a side shows on the whole page; ``?section=supports`` (or ``opposes``) pages
#: through the rest ``PAGE_SIZE`` at a time.
SIDE_PREVIEW = 40
#: Pairs of claims in dispute listed (there can be as many as supporting times opposing).
PAIRS = 50
#: Sides up to this long are sorted by the store; longer ones are paged in its own order.
SORTED_UP_TO = 500
#: The two sides, by the stance property of their claims.
SIDES = {"supports": "parley:supportsProposition", "opposes": "parley:opposesProposition"}


@dataclass(frozen=True)
class PairSide:
    """One claim of a pair in dispute: the claim and its claimant."""

    claim: TermView
    claimant: TermView | None
    ident: str


@dataclass
class DisputePair:
    """Two claims in dispute on this proposition (derived): one supports, one opposes."""

    supporting: PairSide
    opposing: PairSide


@dataclass(frozen=True)
class Cited:
    """A source a review cites, with its kind (``parley:sourceKind``)."""

    source: TermView
    kind: TermView | None


@dataclass
class StanceClaim:
    claim: TermView
    ident: str
    claimant: TermView | None
    #: Every evidence span's words, in text order.
    quotes: list[str] = field(default_factory=list)
    reviews: list[TermView] = field(default_factory=list)
    attribution: list[TermView] = field(default_factory=list)
    accuracy: list[TermView] = field(default_factory=list)
    #: A demand, a prediction, an opinion...: the record can show it was said, not that
    #: it is true, so no accuracy verdict is shown.
    not_checkable: bool = False
    #: The claimant is the source's author: the source's own claim (no attribution to check).
    own_claim: bool = False
    cited: list[Cited] = field(default_factory=list)

    @property
    def quote(self) -> str:
        """The first quote (what the summary rows show)."""
        return self.quotes[0] if self.quotes else ""

    @property
    def attribution_missing(self) -> str:
        if self.own_claim:
            return "the source’s own claim"
        return "not reviewed" if not self.reviews else "no attribution verdict"

    @property
    def accuracy_missing(self) -> str:
        if self.not_checkable:
            return "does not apply: not a checkable claim"
        return "not reviewed" if not self.reviews else "no accuracy verdict"


@dataclass
class PartyClaims:
    """One party's claims on one side."""

    party: TermView | None
    claims: list[StanceClaim] = field(default_factory=list)
    sides: list[TermView] = field(default_factory=list)

    @property
    def anchor(self) -> str:
        return party_anchor(self.party.iri) if self.party is not None else "party-unnamed"


@dataclass
class SideView:
    """The claims of one side on this page, by party, and how many there are in all."""

    key: str  # "supports" or "opposes"
    parties: list[PartyClaims] = field(default_factory=list)
    total: int = 0
    #: True when the side is shown alone (``?section=KEY``), paged.
    alone: bool = False
    page: int = 1

    @property
    def shown(self) -> int:
        return sum(len(p.claims) for p in self.parties)

    @property
    def cut(self) -> bool:
        return not self.alone and self.total > self.shown

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // PAGE_SIZE))


@dataclass
class PropositionView:
    supporting: SideView
    opposing: SideView
    disputes: list[DisputePair]
    #: Pairs in dispute in all (``disputes`` holds the first ``PAIRS``).
    dispute_total: int = 0

    @property
    def sides(self) -> list[SideView]:
        """Both sides, or the one shown alone (``?section=supports``)."""
        both = [self.supporting, self.opposing]
        return [s for s in both if s.alone] or both


def proposition_view(
    store: GraphStore, labels: Labels, iri: NamedNode, sections: SectionPaging | None = None
) -> PropositionView:
    """Both sides (each bounded; ``sections`` shows one alone, paged), the pairs in dispute."""
    paging = sections or SectionPaging()
    p = str(iri)
    totals = {
        lexical(r.get("side")): integer(r.get("n")) or 0
        for r in store.select(
            "SELECT ?side (COUNT(DISTINCT ?claim) AS ?n) WHERE { VALUES (?stance ?side) { "
            '(parley:supportsProposition "supports") (parley:opposesProposition "opposes") } '
            f"?claim ?stance {p} }} GROUP BY ?side"
        )
    }
    picked: dict[str, list[Row]] = {}
    for key, stance in SIDES.items():
        if not paging.shows(key):
            picked[key] = []
            continue
        limit, offset = paging.window(key) if paging.section else (SIDE_PREVIEW, 0)
        # By claimant and identifier while the side is short; a long side is paged in the
        # store's own order (sorting thousands of claims costs more than the page).
        order = (
            "ORDER BY ?claimant STRLEN(STR(?id)) ?id ?claim"
            if totals.get(key, 0) <= SORTED_UP_TO
            else ""
        )
        picked[key] = store.select(
            f"SELECT ?claim ?claimant ?id WHERE {{ ?claim {stance} {p} "
            "OPTIONAL { ?claim parley:claimant ?claimant } "
            f"OPTIONAL {{ ?claim dcterms:identifier ?id }} }} {order} "
            f"LIMIT {limit} OFFSET {offset}"
        )
    claims = [r["claim"] for rows in picked.values() for r in rows]
    quotes, reviews, cited, acting, kinds = _details(store, claims)
    for rows in picked.values():
        for r in rows:
            r.update(kinds.get(str(r["claim"]), {}))
        rows.sort(key=_claim_order)
    pairs = store.select(
        f"SELECT DISTINCT ?a ?x ?ia ?b ?y ?ib WHERE {{ ?a parley:supportsProposition {p} ; "
        f"parley:disputes ?b . ?b parley:opposesProposition {p} "
        "OPTIONAL { ?a parley:claimant ?x } OPTIONAL { ?b parley:claimant ?y } "
        "OPTIONAL { ?a dcterms:identifier ?ia } OPTIONAL { ?b dcterms:identifier ?ib } } "
        f"ORDER BY ?a ?b LIMIT {PAIRS}"
    )
    pair_total = store.select(
        f"SELECT (COUNT(*) AS ?n) WHERE {{ ?a parley:supportsProposition {p} ; "
        f"parley:disputes ?b . ?b parley:opposesProposition {p} }}"
    )
    labels.fetch(
        t
        for r in [*(r for rows in picked.values() for r in rows), *reviews, *cited, *acting, *pairs]
        for t in r.values()
    )
    sides_of: dict[str, list[TermView]] = {}
    for r in acting:
        sides_of.setdefault(str(r["agent"]), []).append(labels.view(r["for"]))
    by_claim: dict[str, StanceClaim] = {}
    views: dict[str, SideView] = {}
    for key, rows in picked.items():
        side = SideView(key, total=totals.get(key, 0), alone=paging.section == key)
        side.page = paging.page if side.alone else 1
        groups: dict[str, PartyClaims] = {}
        for r in rows:
            item = _stance_claim(labels, r)
            by_claim[str(r["claim"])] = item
            party = item.claimant.key if item.claimant is not None else ""
            group = groups.setdefault(
                party, PartyClaims(item.claimant, sides=sides_of.get(party, []))
            )
            group.claims.append(item)
        side.parties = list(groups.values())
        views[key] = side
    _attach(labels, by_claim, quotes, reviews, cited)
    return PropositionView(
        supporting=views["supports"],
        opposing=views["opposes"],
        disputes=[
            DisputePair(
                _pair_side(labels, r, "a", "x", "ia"),
                _pair_side(labels, r, "b", "y", "ib"),
            )
            for r in pairs
        ],
        dispute_total=(integer(pair_total[0].get("n")) or 0) if pair_total else 0,
    )


def _pair_side(labels: Labels, r: Row, claim: str, claimant: str, ident: str) -> PairSide:
    view = labels.view(r[claim])
    return PairSide(view, labels.maybe(r.get(claimant)), lexical(r.get(ident)) or view.text)


def _stance_claim(labels: Labels, r: Row) -> StanceClaim:
    view = labels.view(r["claim"])
    return StanceClaim(
        view,
        lexical(r.get("id")) or view.text,
        labels.maybe(r.get("claimant")),
        not_checkable="nc" in r,
        own_claim="own" in r,
    )


def _claim_order(r: Row) -> tuple[str, int, str, str]:
    ident = lexical(r.get("id")) or ""
    return (str(r.get("claimant", "")), len(ident), ident, str(r["claim"]))


def _details(
    store: GraphStore, claims: list[Term]
) -> tuple[list[Row], list[Row], list[Row], list[Row], dict[str, Row]]:
    """For the claims on the page: their quotes, their reviews' verdicts, the sources the
    reviews cite (with their kind), the sides their claimants act for, and what kind of
    claim each is (not checkable; the source's own claim), by claim."""
    if not claims:
        return [], [], [], [], {}
    values = "VALUES ?claim { " + " ".join(str(c) for c in claims) + " } "
    flags = store.select(
        f"SELECT ?claim ?nc ?own WHERE {{ {values}"
        "OPTIONAL { ?claim a parley:NotCheckableClaim BIND(true AS ?nc) } "
        "OPTIONAL { ?claim parley:claimant ?who ; parley:appearsIn/schema:author ?who "
        "BIND(true AS ?own) } }"
    )
    kinds = {str(r["claim"]): {k: v for k, v in r.items() if k in ("nc", "own")} for r in flags}
    quotes = store.select(
        f"SELECT ?claim ?exact ?start WHERE {{ {values}"
        "?claim parley:hasEvidence ?ev . ?ev oa:hasSelector ?q . ?q oa:exact ?exact "
        "OPTIONAL { ?ev oa:hasSelector ?pos . ?pos oa:start ?start } } ORDER BY ?claim ?start"
    )
    reviews = store.select(
        f"SELECT ?claim ?review ?attribution ?accuracy WHERE {{ {values}"
        "?review parley:reviews ?claim "
        "OPTIONAL { ?review parley:attribution ?attribution } "
        "OPTIONAL { ?review parley:accuracy ?accuracy } } ORDER BY ?claim ?review"
    )
    cited = store.select(
        f"SELECT DISTINCT ?claim ?source ?kind WHERE {{ {values}"
        "?review parley:reviews ?claim ; dcterms:source ?source "
        "OPTIONAL { ?source parley:sourceKind ?kind } } ORDER BY ?claim ?source"
    )
    acting = store.select(
        f"SELECT DISTINCT ?agent ?for WHERE {{ {values}"
        "?claim parley:claimant ?agent . ?agent parley:actsOnBehalfOf ?for "
        "FILTER(?for != ?agent) } ORDER BY ?agent ?for"
    )
    return quotes, reviews, cited, acting, kinds


def _attach(
    labels: Labels,
    by_claim: dict[str, StanceClaim],
    quotes: list[Row],
    reviews: list[Row],
    cited: list[Row],
) -> None:
    """Each claim's quotes, verdicts and the record its reviews cite."""
    for r in quotes:
        item = by_claim.get(str(r["claim"]))
        exact = lexical(r.get("exact"))
        if item is not None and exact and exact not in item.quotes:
            item.quotes.append(exact)
    for r in reviews:
        item = by_claim.get(str(r["claim"]))
        if item is None:
            continue
        for name, into in (
            ("review", item.reviews),
            ("attribution", item.attribution),
            ("accuracy", item.accuracy),
        ):
            term = r.get(name)
            if term is not None and all(v.key != str(term) for v in into):
                into.append(labels.view(term))
    for r in cited:
        item = by_claim.get(str(r["claim"]))
        if item is not None:
            item.cited.append(Cited(labels.view(r["source"]), labels.maybe(r.get("kind"))))
    for item in by_claim.values():
        if item.not_checkable:
            item.accuracy = []  # never shown for a demand or an opinion, whatever a review says
