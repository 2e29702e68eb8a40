"""Where a claim stands: the propositions it supports or opposes, the claims in dispute
with it (derived by the reasoner: opposite stances on one proposition) and the relations
an editor states between it and other claims, each with the editor's note."""

from __future__ import annotations

from dataclasses import dataclass, field

from service.pages._labels import Labels, TermView, lexical
from service.pages._verdicts import local_name
from service.rdf import NamedNode
from service.store import GraphStore, Row

#: The editor-stated relations between claims: how each reads from this claim's side
#: ("out": this claim is the subject) and from the other's ("in").
RELATIONS = {
    "contradictsClaim": ("contradicts", "contradicts"),
    "supportsClaim": ("supports", "is supported by"),
    "sameProposition": ("states the same proposition as", "states the same proposition as"),
    "repeatsClaim": ("repeats", "is repeated by"),
}


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
class Standing:
    """Where a claim stands; empty lists for a claim that takes no stance."""

    positions: list[Position] = field(default_factory=list)
    disputes: list[Dispute] = field(default_factory=list)
    relations: list[Relation] = field(default_factory=list)


def standing(store: GraphStore, labels: Labels, iri: NamedNode) -> Standing:
    """The claim's positions, disputes and relations, labelled."""
    positions, disputes, relations = _standing_rows(store, iri)
    labels.fetch(t for r in [*positions, *disputes, *relations] for t in r.values())
    return Standing(
        positions=[
            Position(
                "supports" if local_name(r["stance"]) == "supportsProposition" else "opposes",
                labels.view(r["p"]),
            )
            for r in positions
        ],
        disputes=_disputes(labels, disputes),
        relations=_relations(labels, relations),
    )


def _standing_rows(store: GraphStore, iri: NamedNode) -> tuple[list[Row], list[Row], list[Row]]:
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
    repeats = {str(r["other"]) for r in rows if local_name(r.get("rel")) == "repeatsClaim"}
    found: dict[tuple[str, str], Relation] = {}
    for r in rows:
        name = local_name(r.get("rel"))
        if name not in RELATIONS or (name == "sameProposition" and str(r["other"]) in repeats):
            continue
        out, back = RELATIONS[name]
        verb = out if lexical(r.get("dir")) == "out" else back
        key = (verb, str(r["other"]))
        seen = found.get(key)
        if seen is not None:
            if seen.note is None and "note" in r:
                seen.note, seen.creator = lexical(r.get("note")), labels.maybe(r.get("creator"))
            continue
        found[key] = Relation(
            verb,
            labels.view(r["other"]),
            labels.maybe(r.get("who")),
            lexical(r.get("note")),
            labels.maybe(r.get("creator")),
        )
    return list(found.values())
