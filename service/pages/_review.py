"""A review's own page: what it reviews, its two verdicts with what they mean, who wrote
it and when, the note, the body, and the sources it cites with their kind and
publisher. The claim page shows the same review (``service.pages._claim_reviews``);
this page is the one a fact-checker cites.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from service.pages._claim import not_checkable_kinds
from service.pages._claim_reviews import ReviewView, review_rows, review_views
from service.pages._labels import Labels, TermView, lexical
from service.rdf import NamedNode
from service.store import GraphStore


@dataclass
class ReviewPage:
    """A review's own page: the claim it reviews, and the review."""

    claim: TermView | None
    claimant: TermView | None
    #: The claim's identifier ("C17"), as fact-checkers cite it.
    identifier: str | None
    #: As on the claim page: what a claim that is not checkable is; ``None`` otherwise.
    not_checkable: list[str] | None
    review: ReviewView | None
    own_claim: bool = False
    #: The claim's words as its source gives them, in text order.
    quotes: list[str] = field(default_factory=list)

    @property
    def not_checkable_text(self) -> str:
        """What the claim is ("a demand and a norm"), or "not a checkable claim"."""
        kinds = self.not_checkable or []
        if not kinds:
            return "not a checkable claim"
        return kinds[0] if len(kinds) == 1 else ", ".join(kinds[:-1]) + " and " + kinds[-1]


def review_view(store: GraphStore, labels: Labels, iri: NamedNode) -> ReviewPage:
    rows = store.select(
        "SELECT ?claim ?claimant ?id ?modality ?type ?author ?notCheckable WHERE { "
        f"{iri} parley:reviews ?claim . OPTIONAL {{ ?claim parley:claimant ?claimant }} "
        "OPTIONAL { ?claim dcterms:identifier ?id } "
        "OPTIONAL { ?claim parley:modality ?modality } OPTIONAL { ?claim parley:claimType ?type } "
        "OPTIONAL { ?claim parley:appearsIn/schema:author ?author } "
        "OPTIONAL { ?claim a parley:NotCheckableClaim BIND(true AS ?notCheckable) } } LIMIT 1"
    )
    row = rows[0] if rows else {}
    found = row.get("claim")
    claim = found if isinstance(found, NamedNode) else None
    mine = [r for r in review_rows(store, claim) if r["review"] == iri] if claim else []
    labels.fetch(t for r in [row, *mine] for t in r.values())
    views = review_views(labels, mine, store)
    identifier = row.get("id")
    quoted = (
        store.select(
            f"SELECT ?exact WHERE {{ {claim} parley:hasEvidence ?ev . ?ev oa:hasSelector ?q . "
            "?q oa:exact ?exact OPTIONAL { ?ev oa:hasSelector ?p . ?p oa:start ?start } "
            "} ORDER BY ?start"
        )
        if claim is not None
        else []
    )
    return ReviewPage(
        claim=labels.maybe(claim),
        claimant=labels.maybe(row.get("claimant")),
        identifier=identifier.value if identifier is not None else None,
        not_checkable=not_checkable_kinds(row) if claim is not None else None,
        review=views[0] if views else None,
        own_claim="claimant" in row and row.get("claimant") == row.get("author"),
        quotes=[text for r in quoted if (text := lexical(r.get("exact")))],
    )
