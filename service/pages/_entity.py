"""The data of an entity page, assembled from its description.

``entity_page`` returns one object for the template: the generic statement
tables every entity gets, the neighbourhood picture, and the view of its kind
(claim, actor, event, source) when it has one. The RDF representations are
rendered from the same ``Description``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from service.pages._actor import actor_view
from service.pages._claim import claim_view
from service.pages._entities import Description
from service.pages._event import event_view
from service.pages._labels import Labels, TermView, lexical
from service.pages._neighbourhood import Picture, picture
from service.pages._proposition import proposition_view
from service.pages._reference import reference_view
from service.pages._review import review_view
from service.pages._source import source_view
from service.pages._statement_tables import DependentView, Paging, PropertyGroup, dependents, group
from service.rdf import DCTERMS, RDFS, SCHEMA, SKOS, NamedNode
from service.store import GraphStore

#: Properties whose value describes the entity in prose.
_PROSE = (SKOS.definition, RDFS.comment, SCHEMA.description, DCTERMS.description)


@dataclass
class EntityPage:
    iri: NamedNode
    title: str
    kind: str
    types: list[TermView]
    prose: list[str]
    outgoing: list[PropertyGroup]
    incoming: list[PropertyGroup]
    dependents: list[DependentView]
    picture: Picture
    counts: dict[str, int]
    paging: Paging
    #: The kind's own view (``ClaimView``, ``ActorView``, ...), or ``None``.
    view: Any = None
    owner: TermView | None = None
    inferred_count: int = 0
    notes: list[str] = field(default_factory=list)


def kind_of(types: list[NamedNode], parley: str) -> str:
    """The page kind for an entity's types (asserted and inferred).

    >>> kind_of([NamedNode("http://h/ontology#ReportClaim")], "http://h/ontology#")
    'claim'
    >>> kind_of([NamedNode("https://schema.org/Thing")], "http://h/ontology#")
    'entity'
    >>> kind_of([NamedNode("http://h/ontology#ReferenceSource")], "http://h/ontology#")
    'reference'
    """
    names = {t.value.removeprefix(parley) for t in types if t.value.startswith(parley)}
    for kind, classes in (
        ("claim", {"Claim", "ReportClaim"}),
        ("review", {"ClaimReview"}),
        ("reference", {"ReferenceSource"}),
        ("source", {"Source", "Article"}),
        ("proposition", {"Proposition"}),
        ("event", {"Event"}),
        ("actor", {"Agent", "Actor", "Person", "Organization", "State", "VagueGroup", "Editor"}),
        ("place", {"Place", "City", "Country", "Region"}),
    ):
        if names & classes:
            return kind
    return "entity"


_VIEWS = {
    "claim": claim_view,
    "review": review_view,
    "actor": actor_view,
    "event": event_view,
    "source": source_view,
    "reference": reference_view,
    "proposition": proposition_view,
}


def entity_page(
    store: GraphStore, desc: Description, paging: Paging, *, base_href: str
) -> EntityPage:
    """Everything the entity template shows."""
    labels = Labels(store, store.vocab)
    labels.fetch([desc.iri, *desc.linked_terms(), *(s.graph for s in desc.all_statements())])
    types = desc.types()
    kind = kind_of(types, str(store.vocab.parley))
    inferred = store.vocab.inferred_graph
    page = EntityPage(
        iri=desc.iri,
        title=labels.label(desc.iri),
        kind=kind,
        types=[labels.view(t) for t in types],
        prose=[text for p in _PROSE for t in desc.values(p) if (text := lexical(t))],
        outgoing=group(desc.outgoing, "out", labels, paging, base_href=base_href),
        incoming=group(
            desc.incoming, "in", labels, paging, base_href=base_href, cut=desc.incoming_cut
        ),
        dependents=dependents(desc, labels, paging) if paging.only is None else [],
        picture=picture(desc, labels),
        counts={
            "outgoing": len(desc.outgoing),
            "incoming": len(desc.incoming) + sum(desc.incoming_cut.values()),
            "dependents": len(desc.dependents),
        },
        paging=paging,
        inferred_count=sum(1 for s in desc.all_statements() if s.graph == inferred),
    )
    build = _VIEWS.get(kind)
    if build is not None and paging.only is None:
        page.view = build(store, labels, desc.iri)
    for predicate, total in desc.incoming_cut.items():
        page.notes.append(
            f"{total} statements link here with {labels.label(predicate)}; "
            "the RDF of this page holds the first of them, the SPARQL endpoint has all."
        )
    return page
