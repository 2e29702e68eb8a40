"""The home page: who says what about whom, at a glance.

In the order a journalist asks: the positions of the parties on the questions in
dispute (``service.pages._positions``, drawn by ``_positions_svg``), the claimants and
how many claims each makes, the claims whose accuracy is contested or contradicted and
those in dispute, the sources with their kind, and the latest changes to the record.
The catalogue of classes and graphs is the data page's (``_catalogue.overview``).

Every answer comes from SPARQL through the store interface, so the page is the same on
the embedded and on a remote store.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from service.pages._labels import Labels, TermView, integer, lexical
from service.pages._per_version import PerVersion
from service.pages._positions import Matrix, positions_matrix
from service.pages._positions_svg import BarChart, HeatMap, bar_chart, heat_map
from service.pages._svg import fit
from service.rdf import NamedNode
from service.store import GraphStore, Row

#: Reference sources listed by citations, and sources of claims by claims (the rest are
#: one link away); claimants by claims; contested and disputed claims.
TOP_SOURCES = 10
TOP_CLAIMANTS = 15
TOP_FLAGGED = 30
#: Lists up to this long are sorted by the store; longer ones are cut in its own order.
SORTED_UP_TO = 500
#: Writes listed under "latest changes".
LATEST = 8
#: The quote shown beside a contested or disputed claim, in characters.
QUOTE = 160


@dataclass(frozen=True)
class ClaimantCount:
    claimant: TermView
    claims: int
    sides: tuple[TermView, ...] = ()


@dataclass
class FlaggedClaim:
    """A claim whose accuracy verdict is contested or contradicted, or that is in dispute."""

    claim: TermView
    ident: str
    claimant: TermView | None
    quote: str
    #: The accuracy verdicts (contested, contradicted by the record).
    accuracy: list[TermView] = field(default_factory=list)
    #: The propositions on which another claimant's claim takes the opposite stance.
    disputed_on: list[TermView] = field(default_factory=list)


@dataclass(frozen=True)
class SourceCount:
    source: TermView
    kind: TermView | None
    #: Statements that cite it (``dcterms:source``), or claims it contains for a source of claims.
    n: int


@dataclass(frozen=True)
class KindCount:
    kind: TermView
    sources: int


@dataclass(frozen=True)
class Change:
    record: TermView
    #: "write" or "build".
    what: str
    time: str
    operation: str
    graphs: tuple[TermView, ...]
    added: int | None
    removed: int | None


@dataclass
class HomePage:
    matrix: Matrix
    heat_map: HeatMap
    bars: BarChart
    #: The claimants with most claims; ``claimant_total`` in all.
    claimants: list[ClaimantCount]
    claimant_total: int
    #: The first contested or disputed claims; ``flagged_total`` in all.
    flagged: list[FlaggedClaim]
    flagged_total: int
    claim_sources: list[SourceCount]
    claim_source_total: int
    references: list[SourceCount]
    kinds: list[KindCount]
    reference_total: int
    changes: list[Change]
    #: Claims in all.
    claims: int
    #: The ontology's namespace (links to the lists of a class's members).
    parley: str = ""


def build_home(store: GraphStore, labels: Labels) -> HomePage:
    """Everything the home page shows; every list bounded, with its total."""
    matrix = positions_matrix(store, labels)
    claimants, claimant_total, claims = _claimants(store, labels)
    flagged, flagged_total = _flagged(store, labels)
    claim_sources, references, kinds, totals = _sources(store, labels)
    return HomePage(
        matrix=matrix,
        heat_map=heat_map(matrix),
        bars=bar_chart(matrix),
        claimants=claimants,
        claimant_total=claimant_total,
        flagged=flagged,
        flagged_total=flagged_total,
        claim_sources=claim_sources,
        claim_source_total=totals[0],
        references=references,
        kinds=kinds,
        reference_total=totals[1],
        changes=latest_changes(store, labels),
        claims=claims,
        parley=str(store.vocab.parley),
    )


#: The home page for a store's current version (``home_page(store, labels)``).
home_page = PerVersion(build_home)


def _count(row: Row | None, name: str) -> int:
    return (integer(row.get(name)) or 0) if row else 0


def _claimants(store: GraphStore, labels: Labels) -> tuple[list[ClaimantCount], int, int]:
    """The claimants with most claims, with the sides they act for; how many claimants
    there are, and how many claims."""
    # Every subject of parley:claimant is a claim (its domain): no type test to join.
    rows = store.select(
        "SELECT ?claimant (COUNT(DISTINCT ?claim) AS ?n) WHERE { "
        "?claim parley:claimant ?claimant } "
        f"GROUP BY ?claimant ORDER BY DESC(?n) ?claimant LIMIT {TOP_CLAIMANTS}"
    )
    who = store.select(
        "SELECT (COUNT(DISTINCT ?claimant) AS ?n) WHERE { ?claim parley:claimant ?claimant }"
    )
    claims = store.select("SELECT (COUNT(DISTINCT ?claim) AS ?n) WHERE { ?claim a parley:Claim }")
    found = [r["claimant"] for r in rows]
    sides = (
        store.select(
            "SELECT ?a ?side WHERE { VALUES ?a { "
            + " ".join(str(t) for t in found)
            + " } ?a parley:actsOnBehalfOf ?side FILTER(?side != ?a) } ORDER BY ?side"
        )
        if found
        else []
    )
    labels.fetch([*found, *(r["side"] for r in sides)])
    side_of: dict[str, list[TermView]] = {}
    for r in sides:
        side_of.setdefault(str(r["a"]), []).append(labels.view(r["side"]))
    return (
        [
            ClaimantCount(
                labels.view(r["claimant"]),
                integer(r.get("n")) or 0,
                tuple(side_of.get(str(r["claimant"]), ())),
            )
            for r in rows
        ],
        _count(who[0] if who else None, "n"),
        _count(claims[0] if claims else None, "n"),
    )


#: The claims the home page flags: an accuracy verdict of contested or contradicted, or
#: in dispute (derived).
_FLAGGED = (
    "{ ?review parley:reviews ?claim ; parley:accuracy ?verdict "
    "FILTER(?verdict IN (parley:accuracy-contested, parley:accuracy-contradicted)) } "
    "UNION { ?claim a parley:DisputedClaim }"
)


def _flagged(store: GraphStore, labels: Labels) -> tuple[list[FlaggedClaim], int]:
    """The first contested, contradicted or disputed claims (by identifier), with their
    claimant, verdicts and the propositions in dispute; how many there are."""
    total = store.select(f"SELECT (COUNT(DISTINCT ?claim) AS ?n) WHERE {{ {_FLAGGED} }}")
    n = _count(total[0] if total else None, "n")
    if not n:
        return [], 0
    # In identifier order while the list is short; a long one is cut in the store's own
    # order, as sorting thousands of claims would cost more than the rest of the page.
    order = "ORDER BY STRLEN(STR(?id)) ?id ?claim " if n <= SORTED_UP_TO else ""
    picked = store.select(
        f"SELECT DISTINCT ?claim ?id WHERE {{ {_FLAGGED} "
        f"OPTIONAL {{ ?claim dcterms:identifier ?id }} }} {order}LIMIT {TOP_FLAGGED}"
    )
    values = "VALUES ?claim { " + " ".join(str(r["claim"]) for r in picked) + " } "
    rows = store.select(
        f"SELECT ?claim ?claimant ?accuracy ?p (SAMPLE(?exact) AS ?quote) WHERE {{ {values}"
        "OPTIONAL { ?claim parley:claimant ?claimant } "
        "OPTIONAL { ?review parley:reviews ?claim ; parley:accuracy ?accuracy "
        "FILTER(?accuracy IN (parley:accuracy-contested, parley:accuracy-contradicted)) } "
        "OPTIONAL { ?claim parley:disputes ?other . "
        "{ ?claim parley:supportsProposition ?p . ?other parley:opposesProposition ?p } UNION "
        "{ ?claim parley:opposesProposition ?p . ?other parley:supportsProposition ?p } } "
        "OPTIONAL { ?claim parley:hasEvidence/oa:hasSelector/oa:exact ?exact } "
        "} GROUP BY ?claim ?claimant ?accuracy ?p"
    )
    labels.fetch(t for r in [*picked, *rows] for t in r.values())
    found: dict[str, FlaggedClaim] = {}
    for r in picked:
        view = labels.view(r["claim"])
        found[view.key] = FlaggedClaim(view, lexical(r.get("id")) or view.text, None, "")
    for r in rows:
        item = found.get(str(r["claim"]))
        if item is None:
            continue
        item.claimant = item.claimant or labels.maybe(r.get("claimant"))
        item.quote = item.quote or fit(lexical(r.get("quote")) or "", QUOTE)
        for name, into in (("accuracy", item.accuracy), ("p", item.disputed_on)):
            term = r.get(name)
            if term is not None and all(v.key != str(term) for v in into):
                into.append(labels.view(term))
    return sorted(found.values(), key=lambda f: (len(f.ident), f.ident)), n


def _sources(
    store: GraphStore, labels: Labels
) -> tuple[list[SourceCount], list[SourceCount], list[KindCount], tuple[int, int]]:
    """The sources of claims (most claims first), the most cited reference sources (with
    their kind), the kinds with how many sources each, and how many sources of each
    sort there are."""
    claim_sources = store.select(
        "SELECT ?s (COUNT(DISTINCT ?claim) AS ?n) WHERE { ?s a parley:Source . "
        "OPTIONAL { ?claim parley:appearsIn ?s } } "
        f"GROUP BY ?s ORDER BY DESC(?n) ?s LIMIT {TOP_SOURCES}"
    )
    cited = store.select(
        "SELECT ?s ?kind (COUNT(DISTINCT ?x) AS ?n) WHERE { ?s a parley:ReferenceSource . "
        "?x dcterms:source ?s OPTIONAL { ?s parley:sourceKind ?kind } } "
        f"GROUP BY ?s ?kind ORDER BY DESC(?n) ?s LIMIT {TOP_SOURCES}"
    )
    kinds = store.select(
        "SELECT ?kind (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a parley:ReferenceSource ; "
        "parley:sourceKind ?kind } GROUP BY ?kind ORDER BY DESC(?n) ?kind"
    )
    totals = store.select(
        "SELECT (COUNT(DISTINCT ?s) AS ?sources) (COUNT(DISTINCT ?r) AS ?references) WHERE { "
        "{ ?s a parley:Source } UNION { ?r a parley:ReferenceSource } }"
    )
    labels.fetch(t for r in [*claim_sources, *cited, *kinds] for t in r.values())
    total = totals[0] if totals else None
    return (
        [SourceCount(labels.view(r["s"]), None, integer(r.get("n")) or 0) for r in claim_sources],
        [
            SourceCount(labels.view(r["s"]), labels.maybe(r.get("kind")), integer(r.get("n")) or 0)
            for r in cited
        ],
        [KindCount(labels.view(r["kind"]), integer(r.get("n")) or 0) for r in kinds],
        (_count(total, "sources"), _count(total, "references")),
    )


def readable_time(text: str) -> str:
    """An ``xsd:dateTime`` to the second, in UTC when it says its zone.

    >>> readable_time("2026-12-07T05:53:43.141276Z"), readable_time("2026-12-07T07:53:43+02:00")
    ('2026-12-07 05:53:43 UTC', '2026-12-07 05:53:43 UTC')
    >>> readable_time("2026-12-07T05:53:43"), readable_time("soon")
    ('2026-12-07 05:53:43', 'soon')
    """
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return text
    if moment.tzinfo is None:
        return f"{moment:%Y-%m-%d %H:%M:%S}"
    return f"{moment.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC"


def operation_of(label: str) -> str:
    """The operation of a record's label ("<operation> at <started>"; the store may have
    written the time in another form than the gate did).

    >>> operation_of("add claim at 2026-12-07T08:40:25.208445+00:00"), operation_of("")
    ('add claim', 'write')
    """
    operation, at, moment = label.rpartition(" at ")
    if at and operation:
        try:
            datetime.fromisoformat(moment)
        except ValueError:
            return label
        return operation
    return label or "write"


def latest_changes(store: GraphStore, labels: Labels, limit: int = LATEST) -> list[Change]:
    """The newest records of ``graph/provenance``: the writes the gate accepted
    (``parley:WriteRecord``) and the builds of the store (``parley:Build``), newest first."""
    rows = store.select(
        "SELECT ?r ?type ?time ?label ?added ?removed WHERE { GRAPH graph:provenance { "
        "VALUES ?type { parley:WriteRecord parley:Build } ?r a ?type ; prov:startedAtTime ?time "
        "OPTIONAL { ?r rdfs:label ?label } OPTIONAL { ?r parley:addedCount ?added } "
        "OPTIONAL { ?r parley:removedCount ?removed } } } "
        f"ORDER BY DESC(?time) ?r LIMIT {limit}"
    )
    records = [r["r"] for r in rows if isinstance(r.get("r"), NamedNode)]
    targets = (
        store.select(
            "SELECT ?r ?g WHERE { GRAPH graph:provenance { VALUES ?r { "
            + " ".join(str(t) for t in records)
            + " } ?r parley:targetGraph ?g } } ORDER BY ?g"
        )
        if records
        else []
    )
    labels.fetch([*records, *(r["g"] for r in targets)])
    graphs: dict[str, list[TermView]] = {}
    for r in targets:
        graphs.setdefault(str(r["r"]), []).append(labels.view(r["g"]))
    changes = []
    for r in rows:
        build = r["type"].value.endswith("#Build")
        label = lexical(r.get("label")) or ""
        time = lexical(r.get("time")) or ""
        changes.append(
            Change(
                record=labels.view(r["r"]),
                what="build" if build else "write",
                time=readable_time(time),
                operation="build of the store" if build else operation_of(label),
                graphs=tuple(graphs.get(str(r["r"]), ())),
                added=integer(r.get("added")),
                removed=integer(r.get("removed")),
            )
        )
    return changes
