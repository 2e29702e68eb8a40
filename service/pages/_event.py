"""The event page: dates, places, participants with roles, super- and sub-events,
the claims about the event, and the source of each reference fact.

An event is a reference fact from the public record, so every fact shown
names its source: the event's own ``dcterms:source`` for its dates and
places, and each participation's source for who took part in which role.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from service.pages._actor import ClaimRow
from service.pages._labels import Labels, TermView, lexical
from service.rdf import Literal, NamedNode, Term
from service.store import GraphStore


@dataclass
class Participant:
    agent: TermView
    role: TermView | None
    sources: list[TermView] = field(default_factory=list)


@dataclass
class PlaceView:
    place: TermView
    #: True for places derived by reasoning (a place that contains the venue).
    inferred: bool


@dataclass
class EventView:
    dates: list[tuple[str, str]]
    places: list[PlaceView]
    participants: list[Participant]
    super_events: list[TermView]
    sub_events: list[TermView]
    claims: list[ClaimRow]
    sources: list[TermView]


_DATE_PROPS = (
    ("schema:startDate", "starts"),
    ("schema:endDate", "ends"),
    ("parley:startPeriod", "starts (month or year)"),
    ("parley:endPeriod", "ends (month or year)"),
)


def event_view(store: GraphStore, labels: Labels, iri: NamedNode) -> EventView:
    e = str(iri)
    dates = []
    for prop, caption in _DATE_PROPS:
        for r in store.select(f"SELECT DISTINCT ?d WHERE {{ {e} {prop} ?d }} ORDER BY ?d"):
            if isinstance(r.get("d"), Literal):
                dates.append((caption, r["d"].value))
    places = store.select(
        f"SELECT ?place (MIN(?g = graph:inferred) AS ?inferred) WHERE {{ "
        f"GRAPH ?g {{ {e} parley:occurredAt ?place }} }} GROUP BY ?place ORDER BY ?inferred ?place"
    )
    people = store.select(
        "SELECT DISTINCT ?agent ?role ?source WHERE { "
        f"{e} parley:hasParticipation ?p . ?p parley:participant ?agent . "
        "OPTIONAL { ?p parley:role ?role } OPTIONAL { ?p dcterms:source ?source } "
        "} ORDER BY ?role ?agent ?source"
    )
    supers = store.select(f"SELECT DISTINCT ?x WHERE {{ {e} parley:subEventOf ?x }} ORDER BY ?x")
    subs = store.select(f"SELECT DISTINCT ?x WHERE {{ ?x parley:subEventOf {e} }} ORDER BY ?x")
    claims = store.select(
        "SELECT ?claim ?claimant (SAMPLE(?exact) AS ?quote) WHERE { "
        f"?claim parley:aboutEvent {e} . OPTIONAL {{ ?claim parley:claimant ?claimant }} "
        "OPTIONAL { ?claim parley:hasEvidence/oa:hasSelector/oa:exact ?exact } "
        "} GROUP BY ?claim ?claimant ORDER BY ?claim"
    )
    sources = store.select(f"SELECT DISTINCT ?s WHERE {{ {e} dcterms:source ?s }} ORDER BY ?s")
    labels.fetch(
        t for r in [*places, *people, *supers, *subs, *claims, *sources] for t in r.values()
    )
    participants: dict[tuple[str, str], Participant] = {}
    for r in people:
        key = (str(r["agent"]), str(r.get("role", "")))
        entry = participants.setdefault(
            key, Participant(labels.view(r["agent"]), labels.maybe(r.get("role")))
        )
        if "source" in r:
            entry.sources.append(labels.view(r["source"]))
    return EventView(
        dates=dates,
        places=[PlaceView(labels.view(r["place"]), _true(r.get("inferred"))) for r in places],
        participants=list(participants.values()),
        super_events=[labels.view(r["x"]) for r in supers],
        sub_events=[labels.view(r["x"]) for r in subs],
        claims=[
            ClaimRow(
                labels.view(r["claim"]),
                labels.maybe(r.get("claimant")),
                lexical(r.get("quote")) or "",
            )
            for r in claims
        ],
        sources=[labels.view(r["s"]) for r in sources],
    )


def _true(term: Term | None) -> bool:
    return isinstance(term, Literal) and term.value in ("true", "1")
