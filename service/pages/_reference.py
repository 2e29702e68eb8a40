"""The reference source page: what kind of document it is, who published it and when,
its address, the party it speaks for, and what in Parley cites it.

A reference source is a document of the public record (an official text, a transcript,
a wire report) that reference facts and editorial reviews cite. A fact-checker weighs a
citation by these: a transcript of the speaker attests what was said, state-affiliated
media speak for their state, and a source published after the article can show what
happened later, not what its author could know.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from service.pages._labels import Labels, TermView, lexical
from service.rdf import Literal, NamedNode, Term
from service.store import GraphStore

#: Citations listed on the page; the count says when there are more. (500 made the page of a
#: source cited 3,000 times in the 1M-triple benchmark 150 KB and 150 ms; bench/pages.py.)
CITED_LIMIT = 100


@dataclass
class Citation:
    """One thing that cites the source: a review, an editor's statement, or a fact."""

    what: TermView
    #: "review", "statement" or "fact".
    kind: str
    #: The claim a review reviews; the parts of a statement (subject, predicate, object).
    about: list[TermView] = field(default_factory=list)


@dataclass
class ReferenceView:
    kinds: list[TermView]
    publishers: list[TermView]
    dates: list[str]
    #: The source's own address (``schema:url``): ``None`` when it has none.
    urls: list[TermView]
    affiliated: list[TermView]
    #: The sources it was published after (``parley:postDatesSource``); a ``true`` value
    #: says so without naming one.
    post_dates: list[TermView]
    post_dates_flag: bool
    cited_by: list[Citation]
    cited_total: int

    def cited(self, kind: str) -> list[Citation]:
        return [c for c in self.cited_by if c.kind == kind]


_FIELDS = {
    "sourceKind": "kinds",
    "publisher": "publishers",
    "date": "dates",
    "url": "urls",
    "affiliatedWith": "affiliated",
    "postDatesSource": "post_dates",
}


def reference_view(store: GraphStore, labels: Labels, iri: NamedNode) -> ReferenceView:
    s = str(iri)
    rows = store.select(
        "SELECT ?p ?o WHERE { VALUES ?p { parley:sourceKind dcterms:publisher dcterms:date "
        f"schema:url parley:affiliatedWith parley:postDatesSource }} {s} ?p ?o }} ORDER BY ?p ?o"
    )
    total = store.select(f"SELECT (COUNT(DISTINCT ?x) AS ?n) WHERE {{ ?x dcterms:source {s} }}")
    cited = store.select(
        "SELECT ?x ?kind ?claim ?subject ?predicate ?object WHERE { "
        # No ORDER BY inside: the page sorts what it shows, and which 100 of a source's
        # thousands of citations it shows need only be stable (Oxigraph sorts IRIs at some
        # 40 µs a row).
        f"{{ SELECT DISTINCT ?x WHERE {{ ?x dcterms:source {s} }} LIMIT {CITED_LIMIT} }}"
        ' OPTIONAL { ?x a parley:ClaimReview BIND("review" AS ?kind) '
        "OPTIONAL { ?x parley:reviews ?claim } } "
        ' OPTIONAL { ?x a rdf:Statement BIND("statement" AS ?kind) '
        "OPTIONAL { ?x rdf:subject ?subject ; rdf:predicate ?predicate ; rdf:object ?object } } "
        "} ORDER BY ?kind ?x"
    )
    labels.fetch(t for r in [*rows, *cited] for t in r.values())
    found: dict[str, list[Term]] = {name: [] for name in _FIELDS.values()}
    for r in rows:
        name = _FIELDS.get(r["p"].value.rsplit("#", 1)[-1].rsplit("/", 1)[-1])
        if name is not None and r["o"] not in found[name]:
            found[name].append(r["o"])
    citations: dict[str, Citation] = {}
    for r in cited:
        key = str(r["x"])
        if key in citations:
            continue
        kind = lexical(r.get("kind")) or "fact"
        parts = [r[n] for n in ("claim", "subject", "predicate", "object") if n in r]
        citations[key] = Citation(labels.view(r["x"]), kind, [labels.view(t) for t in parts])
    flag = any(isinstance(t, Literal) and t.value in ("true", "1") for t in found["post_dates"])
    n = total[0].get("n") if total else None
    return ReferenceView(
        kinds=[labels.view(t) for t in found["kinds"]],
        publishers=[labels.view(t) for t in found["publishers"]],
        dates=[lexical(t) or "" for t in found["dates"]],
        urls=[labels.view(t) for t in found["urls"] if isinstance(t, NamedNode)],
        affiliated=[labels.view(t) for t in found["affiliated"]],
        post_dates=[labels.view(t) for t in found["post_dates"] if isinstance(t, NamedNode)],
        post_dates_flag=flag,
        cited_by=list(citations.values()),
        cited_total=int(n.value) if isinstance(n, Literal) else len(citations),
    )
