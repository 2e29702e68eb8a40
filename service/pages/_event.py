"""The event page: its time span, places, participants with roles, super- and
sub-events, the claims about it, the claims stated at it, and the source of each
reference fact.

An event is a reference fact from the public record, so every fact shown
names its source: the event's own ``dcterms:source`` for its dates and
places, and each participation's source for who took part in which role.
Participants, claims and sub-events are bounded lists (``_listings``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from service.pages._labels import Labels, TermView
from service.pages._listings import (
    ClaimRow,
    Listing,
    SectionPaging,
    claim_listing,
    counted,
    number_sources,
)
from service.rdf import Literal, NamedNode, Term
from service.store import GraphStore


@dataclass
class Participant:
    """One agent that took part, once, with every role and the sources that record them."""

    agent: TermView
    roles: list[TermView] = field(default_factory=list)
    sources: list[TermView] = field(default_factory=list)
    #: The numbers of ``sources`` in the table's list of sources (``EventView.cited``).
    refs: list[int] = field(default_factory=list)


@dataclass
class PlaceView:
    place: TermView
    #: True for places derived by reasoning (a place that contains the venue).
    inferred: bool


@dataclass
class EventView:
    dates: list[tuple[str, str]]
    places: list[PlaceView]
    participants: Listing[Participant]
    super_events: list[TermView]
    sub_events: Listing[TermView]
    #: Claims about the event (``parley:aboutEvent``).
    claims: Listing[ClaimRow]
    #: Claims whose claimant made them at the event (``parley:statedIn``).
    stated: Listing[ClaimRow]
    sources: list[TermView]
    section: str | None = None
    #: The sources of the participations, numbered once under the table: a long title
    #: is not repeated on every row.
    cited: list[TermView] = field(default_factory=list)

    def shows(self, key: str) -> bool:
        return self.section is None or self.section == key


#: The time span's properties (local names), in the order shown, with their captions.
_DATE_PROPS = (
    ("startDate", "starts"),
    ("endDate", "ends"),
    ("startPeriod", "starts (month or year)"),
    ("endPeriod", "ends (month or year)"),
)


def event_view(
    store: GraphStore, labels: Labels, iri: NamedNode, paging: SectionPaging | None = None
) -> EventView:
    paging = paging or SectionPaging()
    e = str(iri)
    view = EventView(
        dates=[],
        places=[],
        participants=_participants(store, labels, e, paging),
        super_events=[],
        sub_events=_sub_events(store, labels, e, paging),
        claims=claim_listing(store, labels, "about", f"?claim parley:aboutEvent {e} .", paging),
        stated=claim_listing(store, labels, "stated", f"?claim parley:statedIn {e} .", paging),
        sources=[],
        section=paging.section,
    )
    view.cited = number_sources(view.participants.items)
    if paging.section is not None:
        return view
    dates = store.select(
        "SELECT ?p ?d WHERE { VALUES ?p { schema:startDate schema:endDate parley:startPeriod "
        f"parley:endPeriod }} {e} ?p ?d }} ORDER BY ?d"
    )
    for prop, caption in _DATE_PROPS:
        for r in dates:
            local = r["p"].value.rsplit("#", 1)[-1].rsplit("/", 1)[-1]
            if local == prop and isinstance(r.get("d"), Literal):
                view.dates.append((caption, r["d"].value))
    if len(view.dates) == 2 and view.dates[0][1] == view.dates[1][1]:
        view.dates = [("on", view.dates[0][1])]  # a one-day event
    places = store.select(
        f"SELECT ?place (MIN(?g = graph:inferred) AS ?inferred) WHERE {{ "
        f"GRAPH ?g {{ {e} parley:occurredAt ?place }} }} GROUP BY ?place ORDER BY ?inferred ?place"
    )
    supers = store.select(f"SELECT DISTINCT ?x WHERE {{ {e} parley:subEventOf ?x }} ORDER BY ?x")
    sources = store.select(f"SELECT DISTINCT ?s WHERE {{ {e} dcterms:source ?s }} ORDER BY ?s")
    labels.fetch(t for r in [*places, *supers, *sources] for t in r.values())
    view.places = [PlaceView(labels.view(r["place"]), _true(r.get("inferred"))) for r in places]
    view.super_events = [labels.view(r["x"]) for r in supers]
    view.sources = [labels.view(r["s"]) for r in sources]
    return view


def _participants(
    store: GraphStore, labels: Labels, e: str, paging: SectionPaging
) -> Listing[Participant]:
    pattern = f"{e} parley:hasParticipation ?p . ?p parley:participant ?agent ."
    found: Listing[Participant] = counted(store, "participants", pattern, "agent", paging)
    if not found.total:
        return found
    limit, offset = paging.window("participants")
    rows = store.select(
        "SELECT ?agent ?role ?source WHERE { "
        f"{{ SELECT DISTINCT ?agent WHERE {{ {pattern} }} ORDER BY ?agent "
        f"LIMIT {limit} OFFSET {offset} }} {pattern} "
        "OPTIONAL { ?p parley:role ?role } OPTIONAL { ?p dcterms:source ?source } "
        "} ORDER BY ?agent ?role ?source"
    )
    labels.fetch(t for r in rows for t in r.values())
    by_agent: dict[str, Participant] = {}
    for r in rows:
        entry = by_agent.setdefault(str(r["agent"]), Participant(labels.view(r["agent"])))
        for name, values in (("role", entry.roles), ("source", entry.sources)):
            if name in r and (view := labels.view(r[name])) not in values:
                values.append(view)
    # Roles first (negotiators together), then names: the order a reader scans.
    found.items = sorted(
        by_agent.values(),
        key=lambda p: ([r.text.lower() for r in p.roles], p.agent.text.lower()),
    )
    return found


def _sub_events(
    store: GraphStore, labels: Labels, e: str, paging: SectionPaging
) -> Listing[TermView]:
    pattern = f"?x parley:subEventOf {e} ."
    found: Listing[TermView] = counted(store, "parts", pattern, "x", paging)
    if not found.total:
        return found
    limit, offset = paging.window("parts")
    rows = store.select(
        f"SELECT ?x (MIN(STR(?d)) AS ?date) WHERE {{ {pattern} "
        "OPTIONAL { ?x schema:startDate|parley:startPeriod ?d } } "
        f"GROUP BY ?x ORDER BY ?date ?x LIMIT {limit} OFFSET {offset}"
    )
    labels.fetch(r["x"] for r in rows)
    found.items = [labels.view(r["x"]) for r in rows]
    return found


def _true(term: Term | None) -> bool:
    return isinstance(term, Literal) and term.value in ("true", "1")
