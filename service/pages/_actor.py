"""The actor page: who claims what. The claims an actor makes and the claims about it,
its positions on the questions in dispute, the events it took part in, the reviews of
its claims, and the reported speech it is part of.

Each list is bounded (``_listings``): its total, its first items and a link to the
rest. Claims made are in runs of one modality, claims about the actor in runs of the
stance the claim takes toward it, each in identifier order.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from service.pages._labels import Labels, TermView, integer, lexical
from service.pages._listings import (
    ORDERED_LIMIT,
    Listing,
    SectionPaging,
    claim_listing,
    counted,
    number_sources,
)
from service.pages._listings import ClaimRow as ClaimRow
from service.rdf import NamedNode
from service.store import GraphStore

#: Agents listed in the reported-speech section, each way.
REPORTERS_LIMIT = 50


@dataclass
class EventRole:
    """One event an actor took part in: its roles and the sources of the record, once."""

    event: TermView
    date: str | None
    roles: list[TermView] = field(default_factory=list)
    sources: list[TermView] = field(default_factory=list)
    #: The numbers of ``sources`` in the list under the table (``ActorView.event_sources``).
    refs: list[int] = field(default_factory=list)
    #: True when the involvement is inferred (through someone acting on the actor's behalf).
    inferred: bool = False


@dataclass
class Position:
    """A proposition the actor's claims support or oppose (derived), with how many do."""

    stance: str  # "supports" or "opposes"
    proposition: TermView
    claims: int


@dataclass
class ReviewRow:
    review: TermView
    claim: TermView
    attribution: TermView | None
    accuracy: TermView | None
    identifier: str = ""


@dataclass
class Relay:
    """An agent in the actor's reported speech, and how many claims pass between them."""

    agent: TermView
    claims: int


@dataclass
class ActorView:
    made: Listing[ClaimRow]
    about: Listing[ClaimRow]
    events: Listing[EventRole]
    reviews: Listing[ReviewRow]
    #: The propositions its claims support or oppose (derived).
    positions: list[Position] = field(default_factory=list)
    #: The agents that take the opposite position on a proposition (derived).
    in_dispute_with: list[TermView] = field(default_factory=list)
    #: Agents whose report claims relay its claims, and agents whose claims it reports.
    reported_by: list[Relay] = field(default_factory=list)
    reports: list[Relay] = field(default_factory=list)
    #: Sources its claims appear in: rows name their source only when there are several.
    made_sources: int = 0
    #: The sources of the events' records, numbered once under the events table.
    event_sources: list[TermView] = field(default_factory=list)
    section: str | None = None

    def shows(self, key: str) -> bool:
        return self.section is None or self.section == key


def actor_view(
    store: GraphStore, labels: Labels, iri: NamedNode, paging: SectionPaging | None = None
) -> ActorView:
    paging = paging or SectionPaging()
    a = str(iri)
    view = ActorView(
        made=claim_listing(
            store,
            labels,
            "by",
            f"?claim parley:claimant {a} .",
            paging,
            group="?claim parley:modality ?group",
            missing="modality not recorded",
        ),
        about=claim_listing(
            store,
            labels,
            "about",
            f"?claim parley:aboutActor {a} .",
            paging,
            group=f"?claim parley:hasStance ?s . ?s parley:stanceToward {a} ; "
            "parley:stanceValue ?group",
            missing="no stance recorded",
        ),
        events=_events(store, labels, a, paging),
        reviews=_reviews(store, labels, a, paging),
        section=paging.section,
    )
    view.event_sources = number_sources(view.events.items)
    if paging.section is None:
        # One or several is all the page needs to know: no count over every claim.
        view.made_sources = len(
            store.select(
                f"SELECT DISTINCT ?s WHERE {{ ?c parley:claimant {a} ; parley:appearsIn ?s }} "
                "LIMIT 2"
            )
        )
        view.positions = _positions(store, labels, a)
        opponents = store.select(
            f"SELECT DISTINCT ?other WHERE {{ {a} parley:inDisputeWith ?other "
            f"FILTER(?other != {a}) }} ORDER BY ?other"
        )
        labels.fetch(r["other"] for r in opponents)
        view.in_dispute_with = [labels.view(r["other"]) for r in opponents]
        made = view.made.total
        view.reported_by = _relays(
            store,
            labels,
            own=f"?claim parley:claimant {a} .",
            link="?claim parley:reportedBy ?agent .",
            made=made,
        )
        view.reports = _relays(
            store,
            labels,
            own=f"?report parley:claimant {a} .",
            link="?report parley:reportsClaim ?claim . ?claim parley:claimant ?agent .",
            made=made,
        )
    return view


def _positions(store: GraphStore, labels: Labels, a: str) -> list[Position]:
    rows = store.select(
        "SELECT ?side ?p (COUNT(DISTINCT ?c) AS ?n) WHERE { "
        "VALUES (?side ?claimSide) { (parley:supportsPosition parley:supportsProposition) "
        "(parley:opposesPosition parley:opposesProposition) } "
        f"{a} ?side ?p . OPTIONAL {{ ?c parley:claimant {a} ; ?claimSide ?p }} "
        "} GROUP BY ?side ?p ORDER BY ?side ?p"
    )
    labels.fetch(r["p"] for r in rows)
    found = [
        Position(
            "supports" if r["side"].value.endswith("#supportsPosition") else "opposes",
            labels.view(r["p"]),
            integer(r.get("n")) or 0,
        )
        for r in rows
    ]
    return sorted(found, key=lambda p: (p.stance != "supports", p.proposition.text.lower()))


def _events(store: GraphStore, labels: Labels, a: str, paging: SectionPaging) -> Listing[EventRole]:
    """Each event once, by date: the roles of the actor's own participations and their
    sources, or a mark when it is involved only through someone acting on its behalf."""
    # Both ways, so a store without the derived ``involves`` still lists participations.
    pattern = (
        f"{{ ?event parley:involves {a} }} UNION "
        f"{{ ?event parley:hasParticipation/parley:participant {a} }}"
    )
    found: Listing[EventRole] = counted(store, "events", pattern, "event", paging)
    if not found.total:
        return found
    limit, offset = paging.window("events")
    rows = store.select(
        "SELECT ?event ?date ?direct ?role ?source WHERE { "
        "{ SELECT ?event (MIN(STR(?d)) AS ?date) WHERE { "
        f"{pattern} OPTIONAL {{ ?event schema:startDate|parley:startPeriod ?d }} }} "
        f"GROUP BY ?event ORDER BY ?date ?event LIMIT {limit} OFFSET {offset} }} "
        f"OPTIONAL {{ ?event parley:hasParticipation ?p . ?p parley:participant {a} . "
        "BIND(true AS ?direct) OPTIONAL { ?p parley:role ?role } "
        "OPTIONAL { ?p dcterms:source ?source } } "
        "} ORDER BY ?date ?event ?role ?source"
    )
    labels.fetch(t for r in rows for t in r.values())
    by_event: dict[str, EventRole] = {}
    for r in rows:
        entry = by_event.setdefault(
            str(r["event"]), EventRole(labels.view(r["event"]), lexical(r.get("date")))
        )
        entry.inferred = "direct" not in r
        for name, values in (("role", entry.roles), ("source", entry.sources)):
            if name in r and (view := labels.view(r[name])) not in values:
                values.append(view)
    found.items = list(by_event.values())
    return found


def _reviews(
    store: GraphStore, labels: Labels, a: str, paging: SectionPaging
) -> Listing[ReviewRow]:
    pattern = f"?claim parley:claimant {a} . ?review parley:reviews ?claim ."
    found: Listing[ReviewRow] = counted(store, "reviews", pattern, "review", paging)
    if not found.total:
        return found
    limit, offset = paging.window("reviews")
    found.ordered = found.total <= ORDERED_LIMIT
    order = "ORDER BY STRLEN(STR(?id)) ?id ?review" if found.ordered else ""
    rows = store.select(
        "SELECT ?review ?claim ?id (SAMPLE(?at) AS ?attribution) (SAMPLE(?ac) AS ?accuracy) "
        f"WHERE {{ {{ SELECT DISTINCT ?review ?claim ?id WHERE {{ {pattern} "
        "OPTIONAL { ?claim dcterms:identifier ?id } } "
        f"{order} LIMIT {limit} OFFSET {offset} }} "
        "OPTIONAL { ?review parley:attribution ?at } OPTIONAL { ?review parley:accuracy ?ac } "
        "} GROUP BY ?review ?claim ?id ORDER BY STRLEN(STR(?id)) ?id ?review"
    )
    labels.fetch(t for r in rows for t in r.values())
    found.items = [
        ReviewRow(
            labels.view(r["review"]),
            labels.view(r["claim"]),
            labels.maybe(r.get("attribution")),
            labels.maybe(r.get("accuracy")),
            lexical(r.get("id")) or "",
        )
        for r in rows
    ]
    return found


def _relays(store: GraphStore, labels: Labels, *, own: str, link: str, made: int) -> list[Relay]:
    """The agents ``link`` reaches from the actor's own claims (``own``), with how many
    claims. The store would start from the actor's claims: 10,000 lookups for a prolific
    actor. Reported speech is rare, so when the store holds fewer links of the kind than
    the actor has claims, start from the links and keep the actor's."""
    first = link.split(" . ", 1)[0].removesuffix(" .")
    links = store.select(f"SELECT (COUNT(*) AS ?n) WHERE {{ {first} }}")
    total = integer(links[0].get("n")) if links else 0
    if not total:
        return []
    pattern = f"{link} FILTER EXISTS {{ {own} }}" if total < made else f"{own} {link}"
    rows = store.select(
        f"SELECT ?agent (COUNT(DISTINCT ?claim) AS ?n) WHERE {{ {pattern} }} "
        f"GROUP BY ?agent ORDER BY DESC(?n) ?agent LIMIT {REPORTERS_LIMIT}"
    )
    labels.fetch(r["agent"] for r in rows)
    return [Relay(labels.view(r["agent"]), integer(r.get("n")) or 0) for r in rows]
