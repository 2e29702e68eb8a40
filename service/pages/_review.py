"""A review's own page: the claim it reviews, and its two verdicts, as the claim page
shows them (``service.pages._claim``)."""

from __future__ import annotations

from dataclasses import dataclass

from service.pages._claim import ReviewView, not_checkable_kinds, review_rows, review_views
from service.pages._labels import Labels, TermView
from service.rdf import NamedNode
from service.store import GraphStore


@dataclass
class ReviewPage:
    """A review's own page: the claim it reviews, and its two verdicts."""

    claim: TermView | None
    claimant: TermView | None
    #: As on the claim page: what a claim that is not checkable is; ``None`` otherwise.
    not_checkable: list[str] | None
    review: ReviewView | None
    own_claim: bool = False


def review_view(store: GraphStore, labels: Labels, iri: NamedNode) -> ReviewPage:
    rows = store.select(
        "SELECT ?claim ?claimant ?modality ?type ?author ?notCheckable WHERE { "
        f"{iri} parley:reviews ?claim . OPTIONAL {{ ?claim parley:claimant ?claimant }} "
        "OPTIONAL { ?claim parley:modality ?modality } OPTIONAL { ?claim parley:claimType ?type } "
        "OPTIONAL { ?claim parley:appearsIn/schema:author ?author } "
        "OPTIONAL { ?claim a parley:NotCheckableClaim BIND(true AS ?notCheckable) } } LIMIT 1"
    )
    row = rows[0] if rows else {}
    found = row.get("claim")
    claim = found if isinstance(found, NamedNode) else None
    reviews = review_rows(store, claim) if claim is not None else []
    labels.fetch(t for r in [row, *reviews] for t in r.values())
    mine = [r for r in reviews if r["review"] == iri]
    views = review_views(labels, mine, store)
    return ReviewPage(
        claim=labels.maybe(claim),
        claimant=labels.maybe(row.get("claimant")),
        not_checkable=not_checkable_kinds(row) if claim is not None else None,
        review=views[0] if views else None,
        own_claim="claimant" in row and row.get("claimant") == row.get("author"),
    )
