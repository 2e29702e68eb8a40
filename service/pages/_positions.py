"""The positions matrix: the parties by the questions in dispute, each cell the stance the
party takes in its claims (supports, opposes, both), with the claims behind it.

A party is an agent the reasoner gives a position (``parley:supportsPosition`` /
``parley:opposesPosition``: it makes a claim that supports or opposes the proposition),
shown with the sides it acts for (``parley:actsOnBehalfOf``). Every proposition is a row,
a position or not. The stance is reported, never judged: a cell says what the party's
claims say, attributed, and links to them and to the dispute page.

The same matrix feeds the table, the SVG heat map and the bar chart of stances by party
(``service.pages._positions_svg``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from service.pages._labels import Labels, TermView, integer, lexical
from service.pages._svg import fit
from service.rdf import NamedNode
from service.store import GraphStore, Row

#: How long a quote a cell's link shows as its title (a tooltip), in characters.
QUOTE_TITLE = 140
#: Parties the matrix shows (those with positions on the most questions), questions at
#: most, and claims listed in a cell: the matrix stays a picture whatever the data's size.
MAX_PARTIES = 12
MAX_QUESTIONS = 40
CELL_CLAIMS = 6


@dataclass(frozen=True)
class Party:
    agent: TermView
    #: The sides it acts for (``parley:actsOnBehalfOf``), if any.
    sides: tuple[TermView, ...] = ()

    @property
    def anchor(self) -> str:
        return party_anchor(self.agent.iri)


@dataclass(frozen=True)
class Backing:
    """A claim behind a cell: its identifier, and the start of its quote."""

    claim: TermView
    ident: str
    quote: str
    stance: str  # "supports" or "opposes"


@dataclass
class Cell:
    party: Party
    #: "supports", "opposes", "both", or "" (no position).
    stance: str
    #: The first ``CELL_CLAIMS`` claims behind it.
    claims: list[Backing] = field(default_factory=list)
    #: The dispute page, at this party's claims.
    href: str = ""
    #: How many claims are behind it, by stance.
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def more(self) -> int:
        """Claims behind it that the cell does not list."""
        return sum(self.counts.values()) - len(self.claims)


@dataclass
class MatrixRow:
    proposition: TermView
    cells: list[Cell]

    def count(self, stance: str) -> int:
        return sum(c.counts.get(stance, 0) for c in self.cells)

    @property
    def supporting(self) -> int:
        return self.count("supports")

    @property
    def opposing(self) -> int:
        return self.count("opposes")

    @property
    def disputed(self) -> bool:
        return self.supporting > 0 and self.opposing > 0


@dataclass
class Tally:
    """How many propositions one party supports and opposes (the bar chart)."""

    party: Party
    supports: int
    opposes: int


@dataclass
class Matrix:
    parties: list[Party]
    rows: list[MatrixRow]
    #: Parties with a position and questions in all (the matrix shows the first ones).
    party_total: int = 0
    question_total: int = 0

    @property
    def tallies(self) -> list[Tally]:
        tallies = []
        for i, party in enumerate(self.parties):
            stances = [row.cells[i].stance for row in self.rows]
            tallies.append(
                Tally(
                    party,
                    sum(1 for s in stances if s in ("supports", "both")),
                    sum(1 for s in stances if s in ("opposes", "both")),
                )
            )
        return tallies


def party_anchor(iri: str) -> str:
    """The fragment of a party on a dispute page: ``party-`` and the IRI's last segment.

    >>> party_anchor("http://h/id/Putin"), party_anchor("http://h/id/group/A b")
    ('party-Putin', 'party-A-b')
    """
    local = re.split(r"[/#]", iri.rstrip("/"))[-1]
    return "party-" + (re.sub(r"[^A-Za-z0-9_-]+", "-", local) or "unnamed")


def _sort_key(text: str) -> str:
    return text.strip("'\"‘’“” ").lower()


def positions_matrix(store: GraphStore, labels: Labels) -> Matrix:
    """The questions by the parties with positions on most of them, each cell the stance
    with the claims behind it. A fixed number of queries, each bounded."""
    propositions = store.select(
        "SELECT ?p (COUNT(DISTINCT ?party) AS ?n) WHERE { ?p a parley:Proposition "
        "OPTIONAL { ?party parley:supportsPosition|parley:opposesPosition ?p } } "
        f"GROUP BY ?p ORDER BY DESC(?n) ?p LIMIT {MAX_QUESTIONS}"
    )
    ranked = store.select(
        "SELECT ?party (COUNT(DISTINCT ?p) AS ?n) WHERE { "
        "?party parley:supportsPosition|parley:opposesPosition ?p } "
        f"GROUP BY ?party ORDER BY DESC(?n) ?party LIMIT {MAX_PARTIES}"
    )
    totals = store.select(
        "SELECT (COUNT(DISTINCT ?party) AS ?parties) (COUNT(DISTINCT ?q) AS ?questions) "
        "WHERE { { ?party parley:supportsPosition|parley:opposesPosition ?p } "
        "UNION { ?q a parley:Proposition } }"
    )
    agents = [r["party"] for r in ranked if isinstance(r.get("party"), NamedNode)]
    parties_in = "VALUES ?party { " + " ".join(str(a) for a in agents) + " } "
    positions, behind, sides = _cells(store, parties_in) if agents else ([], [], [])
    first = _first_claims(behind)
    quotes = (
        store.select(
            "SELECT ?claim ?id (SAMPLE(?exact) AS ?quote) WHERE { VALUES ?claim { "
            + " ".join(str(c) for c in first)
            + " } OPTIONAL { ?claim dcterms:identifier ?id } "
            "OPTIONAL { ?claim parley:hasEvidence/oa:hasSelector/oa:exact ?exact } "
            "} GROUP BY ?claim ?id"
        )
        if first
        else []
    )
    labels.fetch([*(r["p"] for r in propositions), *agents, *first, *(r["side"] for r in sides)])
    side_of: dict[str, list[TermView]] = {}
    for r in sides:
        side_of.setdefault(str(r["party"]), []).append(labels.view(r["side"]))
    parties = [Party(labels.view(a), tuple(side_of.get(str(a), ()))) for a in agents]
    # Parties who act for one side sit together (by the side's label, then their own).
    parties.sort(
        key=lambda p: (
            _sort_key(p.sides[0].text if p.sides else p.agent.text),
            bool(p.sides),
            _sort_key(p.agent.text),
        )
    )
    column = {p.agent.key: i for i, p in enumerate(parties)}
    rows: dict[str, MatrixRow] = {}
    for r in propositions:
        prop = labels.view(r["p"])
        href = prop.href or ""
        rows[prop.key] = MatrixRow(prop, [Cell(p, "", href=f"{href}#{p.anchor}") for p in parties])
    for r in positions:
        row = rows.get(str(r["p"]))
        if row is not None and str(r["party"]) in column:
            cell = row.cells[column[str(r["party"])]]
            stance = "supports" if r["position"].value.endswith("#supportsPosition") else "opposes"
            cell.stance = stance if cell.stance in ("", stance) else "both"
    found = {str(r["claim"]): r for r in quotes}
    for r in behind:
        row = rows.get(str(r["p"]))
        if row is None or str(r["party"]) not in column:
            continue
        cell = row.cells[column[str(r["party"])]]
        stance = "supports" if r["via"].value.endswith("#supportsProposition") else "opposes"
        cell.counts[stance] = cell.counts.get(stance, 0) + (integer(r.get("n")) or 0)
        for iri in sorted((lexical(r.get("claims")) or "").split())[:CELL_CLAIMS]:
            claim = NamedNode(iri)
            view, detail = labels.view(claim), found.get(iri, {})
            ident = lexical(detail.get("id")) or view.text
            quote = fit(lexical(detail.get("quote")) or "", QUOTE_TITLE)
            cell.claims.append(Backing(view, ident, quote, stance))
    for row in rows.values():
        for cell in row.cells:
            cell.claims.sort(key=lambda b: (len(b.ident), b.ident))
            del cell.claims[CELL_CLAIMS:]
    ordered = sorted(
        rows.values(), key=lambda row: (not row.disputed, _sort_key(row.proposition.text))
    )
    total = totals[0] if totals else {}
    return Matrix(
        parties,
        ordered,
        party_total=integer(total.get("parties")) or 0,
        question_total=integer(total.get("questions")) or 0,
    )


def _cells(store: GraphStore, parties_in: str) -> tuple[list[Row], list[Row], list[Row]]:
    """For the parties shown: their positions; per proposition, party and stance, how many
    claims are behind it and their IRIs (one string); the sides each party acts for."""
    positions = store.select(
        f"SELECT ?p ?party ?position WHERE {{ {parties_in}"
        "VALUES ?position { parley:supportsPosition parley:opposesPosition } "
        "?party ?position ?p }"
    )
    behind = store.select(
        "SELECT ?p ?party ?via (COUNT(DISTINCT ?claim) AS ?n) "
        '(GROUP_CONCAT(DISTINCT STR(?claim); separator=" ") AS ?claims) WHERE { '
        f"{parties_in}VALUES ?via {{ parley:supportsProposition parley:opposesProposition }} "
        "?claim parley:claimant ?party ; ?via ?p } GROUP BY ?p ?party ?via"
    )
    sides = store.select(
        f"SELECT ?party ?side WHERE {{ {parties_in}"
        "?party parley:actsOnBehalfOf ?side FILTER(?side != ?party) } ORDER BY ?side"
    )
    return positions, behind, sides


def _first_claims(behind: list[Row]) -> list[NamedNode]:
    """The claims the cells list: the first ``CELL_CLAIMS`` of each (by IRI)."""
    first: list[NamedNode] = []
    for r in behind:
        iris = sorted((lexical(r.get("claims")) or "").split())
        first += [NamedNode(iri) for iri in iris[:CELL_CLAIMS]]
    return first
