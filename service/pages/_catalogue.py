"""What the dataset holds: counts by class and by named graph, the sources, the
instances of a class, and the contents of one named graph (for the home page,
the class index and the graph pages)."""

from __future__ import annotations

from dataclasses import dataclass, field

from service.pages._labels import Labels, TermView, integer
from service.rdf import NamedNode
from service.store import GraphStore

#: Entities listed per page of a class index or a graph page.
LIST_PAGE = 100


@dataclass(frozen=True)
class Count:
    item: TermView
    n: int


@dataclass(frozen=True)
class Question:
    """A proposition in dispute, with how many claims support and oppose it."""

    item: TermView
    supporting: int
    opposing: int


@dataclass
class Overview:
    classes: list[Count]
    graphs: list[Count]
    sources: list[TermView]
    total: int
    claims: int
    questions: list[Question] = field(default_factory=list)


def overview(store: GraphStore, labels: Labels) -> Overview:
    """Counts by Parley class (members asserted or inferred in the data, not the ontology's
    own concepts) and by named graph."""
    classes = store.select(
        "SELECT ?c (COUNT(DISTINCT ?x) AS ?n) WHERE { GRAPH ?g { ?x a ?c } "
        "FILTER(STRSTARTS(STR(?c), STR(parley:)) && ?g NOT IN (graph:ontology, graph:shapes)) "
        "} GROUP BY ?c ORDER BY DESC(?n) ?c"
    )
    graphs = store.select(
        "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } "
        "FILTER(STRSTARTS(STR(?g), STR(graph:))) } GROUP BY ?g ORDER BY ?g"
    )
    sources = store.select("SELECT DISTINCT ?s WHERE { ?s a parley:Source } ORDER BY ?s")
    questions = store.select(
        "SELECT ?p (COUNT(DISTINCT ?for) AS ?s) (COUNT(DISTINCT ?against) AS ?o) WHERE { "
        "?p a parley:Proposition . OPTIONAL { ?for parley:supportsProposition ?p } "
        "OPTIONAL { ?against parley:opposesProposition ?p } } GROUP BY ?p ORDER BY ?p"
    )
    labels.fetch(t for r in [*classes, *graphs, *sources, *questions] for t in r.values())
    claims = next((integer(r["n"]) or 0 for r in classes if r["c"] == store.vocab.parley.Claim), 0)
    return Overview(
        classes=[Count(labels.view(r["c"]), integer(r["n"]) or 0) for r in classes],
        graphs=[Count(labels.view(r["g"]), integer(r["n"]) or 0) for r in graphs],
        sources=[labels.view(r["s"]) for r in sources],
        total=store.count(),
        claims=claims,
        questions=sorted(
            (
                Question(labels.view(r["p"]), integer(r.get("s")) or 0, integer(r.get("o")) or 0)
                for r in questions
            ),
            key=lambda q: q.item.text.lower(),
        ),
    )


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
    rows = store.select(
        f"SELECT DISTINCT ?x WHERE {{ ?x a {c} }} ORDER BY ?x "
        f"LIMIT {LIST_PAGE} OFFSET {(page - 1) * LIST_PAGE}"
    )
    labels.fetch([cls, *(r["x"] for r in rows)])
    items = sorted((labels.view(r["x"]) for r in rows), key=lambda v: v.text.lower())
    count = integer(total[0].get("n")) if total else None
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
    rows = store.select(
        f"SELECT DISTINCT ?s WHERE {{ GRAPH {g} {{ ?s ?p ?o }} FILTER(isIRI(?s)) }} "
        f"ORDER BY ?s LIMIT {LIST_PAGE} OFFSET {(page - 1) * LIST_PAGE}"
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


def fragments_in(store: GraphStore, graph: NamedNode) -> list[NamedNode]:
    """Nodes named ``{graph}#...`` in the graph (provenance records), newest first."""
    rows = store.select(
        f"SELECT DISTINCT ?s WHERE {{ GRAPH {graph} {{ ?s ?p ?o }} "
        f'FILTER(STRSTARTS(STR(?s), "{graph.value}#")) }} ORDER BY DESC(?s) LIMIT {LIST_PAGE}'
    )
    return [r["s"] for r in rows if isinstance(r.get("s"), NamedNode)]  # type: ignore[misc]
