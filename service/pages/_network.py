"""Who reports whom: the network of reported speech, as a picture and a table.

A claim reaches the reader through a chain of voices (``_claim``'s reported-speech
chain): "In the article, the author reports that Putin says that Western analysts
suggest...". Each link of a chain is an edge here, from the agent who relays a
claim to its claimant, weighted by the number of claims it carries:

- a report claim (``parley:reportsClaim``) relays the claim it reports: its claimant
  reports the reported claim's claimant (Putin → the Western analysts);
- a claim no report claim relays reaches the reader straight from its source, whose
  author reports it (the author → Putin), unless the author is the claimant.

The counts are three grouped queries (report edges; every claim by its source's
author; the claims of those that a report claim relays, taken off), because a
``FILTER NOT EXISTS`` per claim is many times slower on a large store. The picture
is ``_network_svg``.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from markupsafe import Markup

from service.pages._labels import Labels, TermView, integer, lexical
from service.pages._network_svg import Node, draw, layout
from service.pages._per_version import PerVersion
from service.rdf import NamedNode, Term
from service.store import GraphStore

#: The heaviest edges drawn; the table lists them, up to ``MAX_ROWS``.
MAX_EDGES = 60
MAX_ROWS = 200
#: The claims named in one row of the table (the count says how many there are), and in
#: the whole table.
MAX_CLAIMS = 20
MAX_NAMED = 400
#: The edges whose claims are named (the heaviest); the others give their count.
MAX_NAMED_EDGES = 40

#: A report claim's claimant reports the reported claim's claimant.
REPORT_EDGES = """
SELECT ?reporter ?claimant (COUNT(DISTINCT ?c) AS ?n) WHERE {
  ?report parley:reportsClaim ?c ; parley:claimant ?reporter . ?c parley:claimant ?claimant
  FILTER (?reporter != ?claimant)
} GROUP BY ?reporter ?claimant
"""
#: A source's author publishes every claim in it (its own claims are dropped in Python: a
#: FILTER comparing the two variables makes the query three times slower) ...
SOURCE_EDGES = """
SELECT ?reporter ?claimant (COUNT(DISTINCT ?c) AS ?n) WHERE {
  ?c parley:appearsIn ?source ; parley:claimant ?claimant . ?source schema:author ?reporter
} GROUP BY ?reporter ?claimant
"""
#: Room for the authors' own claims among the heaviest source edges read.
OWN = 50
#: ... but reports only those that no report claim relays (these are taken off).
RELAYED_IN_SOURCES = """
SELECT ?reporter ?claimant (COUNT(DISTINCT ?c) AS ?n) WHERE {
  ?other parley:reportsClaim ?c . ?c parley:appearsIn ?source ; parley:claimant ?claimant .
  ?source schema:author ?reporter FILTER (?reporter != ?claimant)
} GROUP BY ?reporter ?claimant
"""
#: The claims of the listed edges, by kind (``{values}``: the edges' reporter and claimant).
NAMED = {
    "report": "?report parley:reportsClaim ?c ; parley:claimant ?reporter .",
    "source": "?c parley:appearsIn ?source . ?source schema:author ?reporter "
    "FILTER NOT EXISTS { ?other parley:reportsClaim ?c }",
}
NAMED_QUERY = """
SELECT DISTINCT ?reporter ?claimant ?c ?id WHERE {{
  VALUES (?reporter ?claimant) {{ {values} }}
  ?c parley:claimant ?claimant . {how}
  OPTIONAL {{ ?c dcterms:identifier ?id }}
}}
"""

#: How an edge's claims reach the reader, as the table says it.
HOW = {"report": "in its own claims (report claims)", "source": "in the source it wrote"}


@dataclass(frozen=True)
class Edge:
    reporter: TermView
    claimant: TermView
    #: "report" or "source" (``HOW``).
    how: str
    claims: int
    #: Some of the claims (identifier or label, and link), in identifier order.
    named: tuple[TermView, ...] = ()

    @property
    def how_text(self) -> str:
        return HOW.get(self.how, self.how)

    @property
    def text(self) -> str:
        noun = "claim" if self.claims == 1 else "claims"
        return f"{self.reporter.text} reports {self.claimant.text}: {self.claims} {noun}"


@dataclass
class NetworkPage:
    edges: list[Edge] = field(default_factory=list)
    nodes: list[Node] = field(default_factory=list)
    picture: Markup = field(default_factory=Markup)
    #: Edges the picture leaves out (the lightest); whether the table leaves some out.
    undrawn: int = 0
    unlisted: bool = False


def build_network(store: GraphStore, labels: Labels) -> NetworkPage:
    """The reporting edges, the agents they join, and the picture of both."""
    counts: Counter[tuple[Term, Term, str]] = Counter()
    for r in store.select(REPORT_EDGES):
        counts[r["reporter"], r["claimant"], "report"] += integer(r.get("n")) or 0
    relayed = store.select(RELAYED_IN_SOURCES)
    # Only the heaviest source edges are read: taking the relayed claims off can lower at
    # most len(relayed) of them, so the MAX_ROWS heaviest after it are among these. (Ordered
    # by count alone: ordering ties by IRI too takes Oxigraph longer than the grouping.)
    limit = MAX_ROWS + len(relayed) + OWN + 1
    published = store.select(SOURCE_EDGES + f"ORDER BY DESC(?n) LIMIT {limit}")
    for rows, sign in ((published, 1), (relayed, -1)):
        for r in rows:
            if r["reporter"] != r["claimant"]:
                key = (r["reporter"], r["claimant"], "source")
                counts[key] += sign * (integer(r.get("n")) or 0)
    ranked = sorted(
        ((n, key) for key, n in counts.items() if n > 0),
        key=lambda item: (-item[0], item[1][0].value, item[1][1].value, item[1][2]),
    )
    page = NetworkPage(unlisted=len(ranked) > MAX_ROWS or len(published) == limit)
    listed = ranked[:MAX_ROWS]
    labels.fetch(t for _, (reporter, claimant, _how) in listed for t in (reporter, claimant))
    named = _named_claims(store, labels, [(n, key) for n, key in listed])
    for n, (reporter, claimant, how) in listed:
        page.edges.append(
            Edge(
                labels.view(reporter),
                labels.view(claimant),
                how,
                n,
                named.get((reporter.value, claimant.value, how), ()),
            )
        )
    drawn = page.edges[:MAX_EDGES]
    page.undrawn = len(page.edges) - len(drawn)
    page.nodes = layout(drawn)
    page.picture = draw(page.nodes, drawn, undrawn=page.undrawn)
    return page


def _named_claims(
    store: GraphStore, labels: Labels, edges: list[tuple[int, tuple[Term, Term, str]]]
) -> dict[tuple[str, str, str], tuple[TermView, ...]]:
    """Some claims of each edge, by identifier (C9 before C10): all of an edge's up to
    ``MAX_CLAIMS``, for the heaviest edges (up to ``MAX_NAMED_EDGES``) whose claims add up
    to ``MAX_NAMED``. The edges' agents are IRIs the store gave (``str(term)`` writes
    them in SPARQL syntax)."""
    found: dict[tuple[str, str, str], list[tuple[str, str]]] = defaultdict(list)
    for how, pattern in NAMED.items():
        budget, pairs = MAX_NAMED, []
        for n, (reporter, claimant, kind) in edges[:MAX_NAMED_EDGES]:
            named_nodes = isinstance(reporter, NamedNode) and isinstance(claimant, NamedNode)
            if kind == how and n <= budget and named_nodes:
                budget -= n
                pairs.append(f"({reporter} {claimant})")
        if not pairs:
            continue
        query = NAMED_QUERY.format(values=" ".join(pairs), how=pattern)
        for r in store.select(query):
            key = (r["reporter"].value, r["claimant"].value, how)
            found[key].append((r["c"].value, lexical(r.get("id")) or ""))
    named = {}
    for key, claims in found.items():
        claims.sort(key=lambda c: (_natural(c[1] or c[0]), c[0]))
        named[key] = tuple(
            TermView(iri, ident or labels.label(NamedNode(iri)), labels.href(NamedNode(iri)), "iri")
            for iri, ident in claims[:MAX_CLAIMS]
        )
    return named


def _natural(text: str) -> tuple[tuple[int, str], ...]:
    """A sort key that orders numbers by value.

    >>> sorted(["C10", "C9", "C100"], key=_natural)
    ['C9', 'C10', 'C100']
    """
    return tuple(
        (int(part), "") if part.isdigit() else (-1, part) for part in re.split(r"(\d+)", text)
    )


#: Drawn from the whole graph: computed once per version of the store (``_per_version``).
network_page = PerVersion(build_network)
