"""The editorial reviews of a claim, as the claim page and a review's own page show them:
the two verdicts as badges with their definitions, the reviewer and date, the note, the
body, and the sources cited, each with its kind, publisher and date, so a reader can
judge what a verdict rests on without opening every source.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from service.pages._labels import Labels, TermView, lexical
from service.pages._verdicts import Badge, badge, definitions
from service.rdf import NamedNode, Term
from service.store import GraphStore, Row


@dataclass
class CitedSource:
    """A source a review cites, with what a fact-checker weighs it by."""

    source: TermView
    kinds: list[TermView] = field(default_factory=list)
    publishers: list[TermView] = field(default_factory=list)
    date: str | None = None


@dataclass
class ReviewView:
    review: TermView
    #: Was it said, and so? (``parley:attribution``)
    attribution: Badge | None
    #: Is it so? (``parley:accuracy``; only for checkable claims)
    accuracy: Badge | None
    body: str
    author: TermView | None
    date: str | None
    sources: list[CitedSource] = field(default_factory=list)
    #: Why accuracy does not apply, or what the attribution rests on (``parley:reviewNote``).
    notes: list[str] = field(default_factory=list)


def review_rows(store: GraphStore, iri: NamedNode) -> list[Row]:
    """The reviews of the claim ``iri``: one row per review and note."""
    return store.select(
        "SELECT ?review ?attribution ?accuracy ?note ?body ?author ?date WHERE { "
        f"?review parley:reviews {iri} . "
        "OPTIONAL { ?review parley:attribution ?attribution } "
        "OPTIONAL { ?review parley:accuracy ?accuracy } "
        "OPTIONAL { ?review parley:reviewNote ?note } "
        "OPTIONAL { ?review schema:reviewBody ?body } OPTIONAL { ?review schema:author ?author } "
        "OPTIONAL { ?review schema:datePublished ?date } } ORDER BY ?review ?note"
    )


def review_views(labels: Labels, rows: list[Row], store: GraphStore) -> list[ReviewView]:
    """One view per review (a review with two notes comes in two rows)."""
    reviews = list(dict.fromkeys(r["review"] for r in rows if isinstance(r.get("review"), Term)))
    cited = _cited(store, labels, reviews)
    meanings = definitions(
        store, [v for r in rows for v in (r.get("attribution"), r.get("accuracy")) if v]
    )
    views: dict[str, ReviewView] = {}
    for row in rows:
        key = str(row["review"])
        note = lexical(row.get("note"))
        seen = views.get(key)
        if seen is not None:
            if note and note not in seen.notes:
                seen.notes.append(note)
            continue
        attribution, accuracy = row.get("attribution"), row.get("accuracy")
        views[key] = ReviewView(
            review=labels.view(row["review"]),
            attribution=badge(labels, attribution, meanings) if attribution else None,
            accuracy=badge(labels, accuracy, meanings) if accuracy else None,
            body=lexical(row.get("body")) or "",
            author=labels.maybe(row.get("author")),
            date=lexical(row.get("date")),
            sources=cited.get(key, []),
            notes=[note] if note else [],
        )
    return list(views.values())


def _cited(store: GraphStore, labels: Labels, reviews: list[Term]) -> dict[str, list[CitedSource]]:
    """The sources each review cites, with kind, publisher and date, in one query."""
    if not reviews:
        return {}
    values = " ".join(str(r) for r in reviews)
    rows = store.select(
        f"SELECT ?review ?s ?kind ?publisher ?date WHERE {{ VALUES ?review {{ {values} }} "
        "?review dcterms:source ?s OPTIONAL { ?s parley:sourceKind ?kind } "
        "OPTIONAL { ?s dcterms:publisher ?publisher } OPTIONAL { ?s dcterms:date ?date } "
        "} ORDER BY ?review ?s ?kind ?publisher"
    )
    labels.fetch(t for r in rows for t in r.values())
    found: dict[str, dict[str, CitedSource]] = {}
    for r in rows:
        by_source = found.setdefault(str(r["review"]), {})
        cited = by_source.get(str(r["s"]))
        if cited is None:
            cited = by_source[str(r["s"])] = CitedSource(labels.view(r["s"]))
        for name, into in (("kind", cited.kinds), ("publisher", cited.publishers)):
            value = labels.maybe(r.get(name))
            if value is not None and all(v.key != value.key for v in into):
                into.append(value)
        cited.date = cited.date or lexical(r.get("date"))
    return {review: list(sources.values()) for review, sources in found.items()}
