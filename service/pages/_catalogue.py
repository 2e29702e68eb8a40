"""What the dataset holds: counts by class and by named graph, the sources, the
instances of a class, and the contents of one named graph (for the data page,
the class index and the graph pages)."""

from __future__ import annotations

from dataclasses import dataclass, field

from service.pages._labels import Labels, TermView, integer
from service.pages._per_version import PerVersion
from service.rdf import NamedNode
from service.store import GraphStore

#: Entities listed per page of a class index or a graph page.
LIST_PAGE = 100


@dataclass(frozen=True)
class Count:
    item: TermView
    n: int


@dataclass
class Overview:
    classes: list[Count]
    graphs: list[Count]
    sources: list[TermView]
    total: int
    claims: int


def build_overview(store: GraphStore, labels: Labels) -> Overview:
    """Counts by Parley class (members asserted or inferred in the data, not the ontology's
    own concepts) and by named graph (the store counts each graph itself, far faster than
    a SPARQL ``GROUP BY`` over every statement)."""
    # The ontology's classes first, then their members by index lookups: ten times faster
    # on a large store than testing the namespace of every type statement's class.
    defined = store.select(
        "SELECT DISTINCT ?c WHERE { GRAPH graph:ontology { ?c a ?kind } "
        "VALUES ?kind { owl:Class rdfs:Class } "
        "FILTER(isIRI(?c) && STRSTARTS(STR(?c), STR(parley:))) }"
    )
    classes = (
        store.select(
            "SELECT ?c (COUNT(DISTINCT ?x) AS ?n) WHERE { VALUES ?c { "
            + " ".join(str(r["c"]) for r in defined)
            + " } GRAPH ?g { ?x a ?c } FILTER(?g NOT IN (graph:ontology, graph:shapes)) "
            "} GROUP BY ?c ORDER BY DESC(?n) ?c"
        )
        if defined
        else []
    )
    named = sorted(
        (g for g in store.named_graphs() if isinstance(g, NamedNode)),
        key=lambda g: g.value,
    )
    named = [g for g in named if store.vocab.graph_ns.contains(g)]
    counted = [(g, n) for g in named if (n := store.count(g))]
    sources = store.select("SELECT DISTINCT ?s WHERE { ?s a parley:Source } ORDER BY ?s")
    labels.fetch([*(t for r in [*classes, *sources] for t in r.values()), *named])
    claims = next((integer(r["n"]) or 0 for r in classes if r["c"] == store.vocab.parley.Claim), 0)
    return Overview(
        classes=[Count(labels.view(r["c"]), integer(r["n"]) or 0) for r in classes],
        graphs=[Count(labels.view(g), n) for g, n in counted],
        sources=[labels.view(r["s"]) for r in sources],
        total=store.count(),
        claims=claims,
    )


#: The data page's counts for a store's current version (``overview(store, labels)``).
overview = PerVersion(build_overview)


@dataclass
class Listing:
    """One page of a list of entities."""

    title: TermView
    items: list[TermView]
    total: int
    page: int
    note: str = ""
    classes: list[Count] = field(default_factory=list)

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // LIST_PAGE))


def instances(store: GraphStore, labels: Labels, cls: NamedNode, page: int) -> Listing:
    """Members of a class, asserted or inferred, one page at a time."""
    c = str(cls)
    total = store.select(f"SELECT (COUNT(DISTINCT ?x) AS ?n) WHERE {{ ?x a {c} }}")
    count = integer(total[0].get("n")) if total else None
    rows = store.select(
        f"SELECT DISTINCT ?x WHERE {{ ?x a {c} }} {_order_by('?x', count)}"
        f"LIMIT {LIST_PAGE} OFFSET {(page - 1) * LIST_PAGE}"
    )
    labels.fetch([cls, *(r["x"] for r in rows)])
    items = sorted((labels.view(r["x"]) for r in rows), key=lambda v: v.text.lower())
    return Listing(labels.view(cls), items, count or 0, page)


def graph_listing(store: GraphStore, labels: Labels, graph: NamedNode, page: int) -> Listing:
    """What one named graph holds: its size, its classes and its subjects, paged."""
    g = str(graph)
    size = store.count(graph)
    classes = store.select(
        f"SELECT ?c (COUNT(DISTINCT ?x) AS ?n) WHERE {{ GRAPH {g} {{ ?x a ?c }} }} "
        "GROUP BY ?c ORDER BY DESC(?n) ?c LIMIT 50"
    )
    subjects = store.select(
        f"SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE {{ GRAPH {g} {{ ?s ?p ?o }} }}"
    )
    total = integer(subjects[0].get("n")) if subjects else None
    rows = store.select(
        f"SELECT DISTINCT ?s WHERE {{ GRAPH {g} {{ ?s ?p ?o }} FILTER(isIRI(?s)) }} "
        f"{_order_by('?s', total)}LIMIT {LIST_PAGE} OFFSET {(page - 1) * LIST_PAGE}"
    )
    labels.fetch([graph, *(r["s"] for r in rows), *(r["c"] for r in classes)])
    return Listing(
        labels.view(graph),
        [labels.view(r["s"]) for r in rows],
        integer(subjects[0].get("n")) or 0 if subjects else 0,
        page,
        note=f"{size} statements",
        classes=[Count(labels.view(r["c"]), integer(r["n"]) or 0) for r in classes],
    )


#: Longer lists are paged in the store's own order (stable while the store does not
#: change, though it means nothing): Oxigraph sorts IRIs by their strings, some 70 µs a
#: row on disk, so ``ORDER BY`` over a class of 40,000 claims took 2.7 s a page
#: (``bench/pages.py``). Each page is still sorted by label for the reader.
ORDERED_LIMIT = 1000


def _order_by(variable: str, total: int | None) -> str:
    """``ORDER BY variable`` for a list short enough to sort, else nothing."""
    return f"ORDER BY {variable} " if total is not None and total <= ORDERED_LIMIT else ""


def fragments_in(store: GraphStore, graph: NamedNode) -> list[NamedNode]:
    """Nodes named ``{graph}#...`` in the graph, newest first: the records of the builds and
    writes in ``graph/provenance``, the one graph whose records Parley names so. Any other
    graph's subjects are in its listing (a scan for fragments would read every statement
    of a large graph: 170 ms for a claims graph at 100k triples)."""
    if graph != store.vocab.provenance_graph:
        return []
    # The subjects first, then the filter: once per subject, not once per statement.
    rows = store.select(
        f"SELECT ?s WHERE {{ {{ SELECT DISTINCT ?s WHERE {{ GRAPH {graph} {{ ?s ?p ?o }} }} }} "
        f'FILTER(STRSTARTS(STR(?s), "{graph.value}#")) }} ORDER BY DESC(?s) LIMIT {LIST_PAGE}'
    )
    return [r["s"] for r in rows if isinstance(r.get("s"), NamedNode)]  # type: ignore[misc]
