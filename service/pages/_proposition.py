"""The proposition page: a question in dispute, the claims that support it and those
that oppose it side by side (claimant, label, quote), and the disputes derived from them.

A proposition is worded by the editors, neutrally; nobody is recorded as asserting it.
Its definition (``skos:definition``) is the page's prose. The claims take stances on it
(``parley:supportsProposition``, ``parley:opposesProposition``); the reasoner derives
``parley:disputes`` between two claims of opposite stances, and the parties' positions
(``parley:positionSupportedBy``, ``parley:positionOpposedBy``).
"""

from __future__ import annotations

from dataclasses import dataclass

from service.pages._actor import ClaimRow
from service.pages._labels import Labels, TermView, lexical
from service.rdf import NamedNode
from service.store import GraphStore


@dataclass
class DisputePair:
    """Two claims in dispute on this proposition (derived): one supports, one opposes."""

    supporting: ClaimRow
    opposing: ClaimRow


@dataclass
class PropositionView:
    supporting: list[ClaimRow]
    opposing: list[ClaimRow]
    disputes: list[DisputePair]
    #: The parties whose claims support or oppose it (derived).
    supporters: list[TermView]
    opposers: list[TermView]


def proposition_view(store: GraphStore, labels: Labels, iri: NamedNode) -> PropositionView:
    p = str(iri)
    claims = store.select(
        "SELECT ?stance ?claim ?claimant (SAMPLE(?exact) AS ?quote) WHERE { "
        "VALUES ?stance { parley:supportsProposition parley:opposesProposition } "
        f"?claim ?stance {p} . OPTIONAL {{ ?claim parley:claimant ?claimant }} "
        "OPTIONAL { ?claim parley:hasEvidence/oa:hasSelector/oa:exact ?exact } "
        "} GROUP BY ?stance ?claim ?claimant ORDER BY ?stance ?claimant ?claim"
    )
    pairs = store.select(
        f"SELECT DISTINCT ?a ?b WHERE {{ ?a parley:supportsProposition {p} ; parley:disputes ?b . "
        f"?b parley:opposesProposition {p} }} ORDER BY ?a ?b"
    )
    parties = store.select(
        "SELECT DISTINCT ?side ?agent WHERE { VALUES ?side { parley:positionSupportedBy "
        f"parley:positionOpposedBy }} {p} ?side ?agent }} ORDER BY ?side ?agent"
    )
    labels.fetch(t for r in [*claims, *pairs, *parties] for t in r.values())
    rows: dict[str, ClaimRow] = {}
    supporting: list[ClaimRow] = []
    opposing: list[ClaimRow] = []
    for r in claims:
        row = ClaimRow(
            labels.view(r["claim"]), labels.maybe(r.get("claimant")), lexical(r.get("quote")) or ""
        )
        rows[str(r["claim"])] = row
        side = supporting if r["stance"].value.endswith("#supportsProposition") else opposing
        side.append(row)
    disputes = [
        DisputePair(rows[str(r["a"])], rows[str(r["b"])])
        for r in pairs
        if str(r["a"]) in rows and str(r["b"]) in rows
    ]
    return PropositionView(
        supporting=supporting,
        opposing=opposing,
        disputes=disputes,
        supporters=[
            labels.view(r["agent"])
            for r in parties
            if r["side"].value.endswith("#positionSupportedBy")
        ],
        opposers=[
            labels.view(r["agent"])
            for r in parties
            if r["side"].value.endswith("#positionOpposedBy")
        ],
    )
