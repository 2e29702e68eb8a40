"""The actor page: who claims what. The claims an actor makes, the claims about it,
and the events it took part in, with roles.

Claims made are grouped by source, then modality; claims about the actor by
source, then the stance the claim takes toward it. Each row shows the claim's
label and its first quote, so a reader sees the words before following a link.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from service.pages._labels import Labels, TermView, lexical
from service.rdf import NamedNode
from service.store import GraphStore, Row


@dataclass
class ClaimRow:
    claim: TermView
    claimant: TermView | None
    quote: str


@dataclass
class ClaimBucket:
    """Claims sharing one value of the inner grouping (a modality, a stance)."""

    heading: str
    rows: list[ClaimRow] = field(default_factory=list)


@dataclass
class SourceGroup:
    source: TermView | None
    buckets: list[ClaimBucket] = field(default_factory=list)

    @property
    def count(self) -> int:
        return sum(len(b.rows) for b in self.buckets)


@dataclass
class EventRole:
    event: TermView
    role: TermView | None
    #: The source that records the participation; ``None`` for inferred involvement.
    source: TermView | None
    date: str | None
    #: True when the involvement is inferred (through someone acting on the actor's behalf).
    inferred: bool = False


@dataclass
class ActorView:
    made: list[SourceGroup]
    about: list[SourceGroup]
    events: list[EventRole]
    #: The propositions its claims support or oppose (derived): ("supports", proposition).
    positions: list[tuple[str, TermView]] = field(default_factory=list)
    #: The agents that take the opposite position on a proposition (derived).
    in_dispute_with: list[TermView] = field(default_factory=list)

    @property
    def made_count(self) -> int:
        return sum(g.count for g in self.made)

    @property
    def about_count(self) -> int:
        return sum(g.count for g in self.about)


def actor_view(store: GraphStore, labels: Labels, iri: NamedNode) -> ActorView:
    a = str(iri)
    made = store.select(
        "SELECT ?claim ?source ?group (SAMPLE(?exact) AS ?quote) WHERE { "
        f"?claim parley:claimant {a} . OPTIONAL {{ ?claim parley:appearsIn ?source }} "
        "OPTIONAL { ?claim parley:modality ?group } "
        "OPTIONAL { ?claim parley:hasEvidence/oa:hasSelector/oa:exact ?exact } "
        "} GROUP BY ?claim ?source ?group ORDER BY ?source ?group ?claim"
    )
    about = store.select(
        "SELECT ?claim ?claimant ?source ?group (SAMPLE(?exact) AS ?quote) WHERE { "
        f"?claim parley:aboutActor {a} . OPTIONAL {{ ?claim parley:claimant ?claimant }} "
        "OPTIONAL { ?claim parley:appearsIn ?source } "
        f"OPTIONAL {{ ?claim parley:hasStance ?s . ?s parley:stanceToward {a} ; "
        "parley:stanceValue ?group } "
        "OPTIONAL { ?claim parley:hasEvidence/oa:hasSelector/oa:exact ?exact } "
        "} GROUP BY ?claim ?claimant ?source ?group ORDER BY ?source ?group ?claim"
    )
    events = store.select(
        "SELECT DISTINCT ?event ?role ?source ?date WHERE { "
        f"?event parley:hasParticipation ?p . ?p parley:participant {a} . "
        "OPTIONAL { ?p parley:role ?role } OPTIONAL { ?p dcterms:source ?source } "
        "OPTIONAL { ?event schema:startDate|parley:startPeriod ?date } } ORDER BY ?date ?event"
    )
    involved = store.select(
        "SELECT DISTINCT ?event ?date WHERE { "
        f"?event parley:involves {a} . "
        f"FILTER NOT EXISTS {{ ?event parley:hasParticipation/parley:participant {a} }} "
        "OPTIONAL { ?event schema:startDate|parley:startPeriod ?date } } ORDER BY ?date ?event"
    )
    positions = store.select(
        "SELECT DISTINCT ?side ?p WHERE { VALUES ?side { parley:supportsPosition "
        f"parley:opposesPosition }} {a} ?side ?p }} ORDER BY ?p ?side"
    )
    opponents = store.select(
        f"SELECT DISTINCT ?other WHERE {{ {a} parley:inDisputeWith ?other "
        f"FILTER(?other != {a}) }} ORDER BY ?other"
    )
    labels.fetch(
        t for r in [*made, *about, *events, *involved, *positions, *opponents] for t in r.values()
    )
    roles = [
        EventRole(
            labels.view(r["event"]),
            labels.maybe(r.get("role")),
            labels.maybe(r.get("source")),
            lexical(r.get("date")),
        )
        for r in events
    ]
    roles += [
        EventRole(labels.view(r["event"]), None, None, lexical(r.get("date")), inferred=True)
        for r in involved
    ]
    return ActorView(
        made=_grouped(labels, made, "modality not recorded"),
        about=_grouped(labels, about, "no stance recorded"),
        events=roles,
        positions=[
            (
                "supports" if r["side"].value.endswith("#supportsPosition") else "opposes",
                labels.view(r["p"]),
            )
            for r in positions
        ],
        in_dispute_with=[labels.view(r["other"]) for r in opponents],
    )


def _grouped(labels: Labels, rows: list[Row], missing: str) -> list[SourceGroup]:
    """Rows ordered by source and group, as nested groups."""
    groups: dict[str, SourceGroup] = {}
    for r in rows:
        source = r.get("source")
        key = str(source) if source is not None else ""
        group = groups.setdefault(key, SourceGroup(labels.maybe(source)))
        inner = r.get("group")
        heading = labels.label(inner) if inner is not None else missing
        if not group.buckets or group.buckets[-1].heading != heading:
            group.buckets.append(ClaimBucket(heading))
        group.buckets[-1].rows.append(
            ClaimRow(
                labels.view(r["claim"]),
                labels.maybe(r.get("claimant")),
                lexical(r.get("quote")) or "",
            )
        )
    return list(groups.values())
