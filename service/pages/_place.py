"""The place page: the claims about the place, the events that happened there, the
places it lies in and contains, and the actors seated there.

"Claims about this place" are the claims that name it (``parley:aboutPlace``); the
claims about an event that happened there (``parley:indirectlyAboutPlace``, derived)
are a list of their own, so a reader tells what was said about Crimea from what was
said about a meeting in Geneva. Containment is shown as stated in the record: a
disputed territory is located in no country, and its page says nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from service.pages._labels import Labels, TermView, lexical
from service.pages._listings import (
    ClaimRow,
    Listing,
    SectionPaging,
    claim_listing,
    counted,
)
from service.rdf import Literal, NamedNode
from service.store import GraphStore

#: Places and actors listed in the record section, each kind.
RECORD_LIMIT = 100


@dataclass
class EventAt:
    event: TermView
    date: str | None
    #: True when the event happened in a place within this one (derived).
    within: bool


@dataclass
class PlaceView:
    about: Listing[ClaimRow]
    via_events: Listing[ClaimRow]
    events: Listing[EventAt]
    located_in: list[TermView] = field(default_factory=list)
    contains: list[TermView] = field(default_factory=list)
    seated: list[TermView] = field(default_factory=list)
    section: str | None = None

    def shows(self, key: str) -> bool:
        return self.section is None or self.section == key


def place_view(
    store: GraphStore, labels: Labels, iri: NamedNode, paging: SectionPaging | None = None
) -> PlaceView:
    paging = paging or SectionPaging()
    p = str(iri)
    view = PlaceView(
        about=claim_listing(
            store, labels, "place-claims", f"?claim parley:aboutPlace {p} .", paging
        ),
        via_events=claim_listing(
            store,
            labels,
            "event-claims",
            f"?claim parley:indirectlyAboutPlace {p} . "
            f"FILTER NOT EXISTS {{ ?claim parley:aboutPlace {p} }}",
            paging,
        ),
        events=_events(store, labels, p, paging),
        section=paging.section,
    )
    if paging.section is None:
        view.located_in = _stated(store, labels, f"{p} parley:locatedIn ?x")
        view.contains = _stated(store, labels, f"?x parley:locatedIn {p}")
        view.seated = _stated(store, labels, f"?x parley:seatedIn {p}")
    return view


def _stated(store: GraphStore, labels: Labels, pattern: str) -> list[TermView]:
    """The ``?x`` of a pattern stated in the data (not derived), by name."""
    rows = store.select(
        f"SELECT DISTINCT ?x WHERE {{ GRAPH ?g {{ {pattern} }} FILTER(?g != graph:inferred) }} "
        f"ORDER BY ?x LIMIT {RECORD_LIMIT}"
    )
    labels.fetch(r["x"] for r in rows)
    return sorted((labels.view(r["x"]) for r in rows), key=lambda t: t.text.lower())


def _events(store: GraphStore, labels: Labels, p: str, paging: SectionPaging) -> Listing[EventAt]:
    pattern = f"?event parley:occurredAt {p} ."
    found: Listing[EventAt] = counted(store, "events-here", pattern, "event", paging)
    if not found.total:
        return found
    limit, offset = paging.window("events-here")
    rows = store.select(
        "SELECT ?event ?date ?here WHERE { "
        "{ SELECT ?event (MIN(STR(?d)) AS ?date) WHERE { "
        f"{pattern} OPTIONAL {{ ?event schema:startDate|parley:startPeriod ?d }} }} "
        f"GROUP BY ?event ORDER BY ?date ?event LIMIT {limit} OFFSET {offset} }} "
        f"OPTIONAL {{ GRAPH ?g {{ ?event parley:occurredAt {p} }} "
        "FILTER(?g != graph:inferred) BIND(true AS ?here) } "
        "} ORDER BY ?date ?event"
    )
    labels.fetch(r["event"] for r in rows)
    seen: dict[str, EventAt] = {}
    for r in rows:
        here = isinstance(r.get("here"), Literal)
        entry = seen.setdefault(
            str(r["event"]), EventAt(labels.view(r["event"]), lexical(r.get("date")), not here)
        )
        entry.within = entry.within and not here
    found.items = list(seen.values())
    return found
