"""The data of an entity page, assembled from its description.

``entity_page`` returns one object for the template: the generic statement
tables every entity gets, the neighbourhood picture, and the view of its kind
(claim, actor, event, source) when it has one. The RDF representations are
rendered from the same ``Description``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from service.pages._actor import actor_view
from service.pages._claim import ClaimView, claim_view
from service.pages._entities import Description
from service.pages._event import event_view
from service.pages._labels import Labels, TermView, lexical
from service.pages._listings import SectionPaging
from service.pages._neighbourhood import Picture, picture
from service.pages._place import place_view
from service.pages._proposition import proposition_view
from service.pages._reference import reference_view
from service.pages._review import review_view
from service.pages._source import source_view
from service.pages._statement_tables import DependentView, Paging, PropertyGroup, dependents, group
from service.rdf import DCTERMS, RDF, RDFS, SCHEMA, SKOS, NamedNode
from service.store import GraphStore

#: Properties whose value describes the entity in prose.
_PROSE = (SKOS.definition, RDFS.comment, SCHEMA.description, DCTERMS.description)


@dataclass(frozen=True)
class TypeChip:
    """One type in the page's header: a type stated in the data, or a classification
    the ontology's rules derive that says more than the stated types do."""

    term: TermView
    inferred: bool = False


@dataclass
class EntityPage:
    iri: NamedNode
    title: str
    kind: str
    types: list[TermView]
    #: The header's types: each once, the most specific, with a friendly label.
    chips: list[TypeChip]
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
    #: The place sections of an actor that is also a place (a state is a country).
    place: Any = None
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
        ("claim", {"Claim", "ReportClaim", "ClaimVersion"}),
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
    "reference": reference_view,
}


#: The curated sections of each kind that a request may show alone (``?section=KEY``).
_SECTIONS = {
    "actor": ("by", "about", "events", "reviews", "place-claims", "event-claims", "events-here"),
    "event": ("participants", "parts", "about", "stated"),
    "place": ("place-claims", "event-claims", "events-here"),
    "proposition": ("supports", "opposes"),
    "source": ("text",),
}


def entity_page(
    store: GraphStore, desc: Description, paging: Paging, *, base_href: str
) -> EntityPage:
    """Everything the entity template shows."""
    labels = Labels(store, store.vocab)
    # What every part of the page names; the values of the tables are fetched by ``group``
    # for the values it shows (an actor may link to thousands of claims).
    every = desc.all_statements()
    labels.fetch(
        [
            desc.iri,
            *{s.predicate for s in every},
            *{s.graph for s in every},
            *desc.types(),
            *desc.dependents,
            *(s.object for ss in desc.dependents.values() for s in ss),
        ]
    )
    types = desc.types()
    kind = kind_of(types, str(store.vocab.parley))
    inferred = store.vocab.inferred_graph
    if paging.section not in _SECTIONS.get(kind, ()):
        paging = replace(paging, section=None)  # no such list on this page: the whole page
    # One curated list shown alone: the generic tables and the picture are not on it.
    whole = paging.section is None
    page = EntityPage(
        iri=desc.iri,
        title=_title(labels, desc),
        kind=kind,
        types=[labels.view(t) for t in types],
        chips=type_chips(store, labels, desc),
        prose=[text for p in _PROSE for t in desc.values(p) if (text := lexical(t))],
        outgoing=group(desc.outgoing, "out", labels, paging, base_href=base_href) if whole else [],
        incoming=group(
            desc.incoming, "in", labels, paging, base_href=base_href, cut=desc.incoming_cut
        )
        if whole
        else [],
        dependents=dependents(desc, labels, paging) if paging.only is None and whole else [],
        picture=picture(desc, labels) if whole else Picture(labels.view(desc.iri)),
        counts={
            "outgoing": len(desc.outgoing),
            "incoming": len(desc.incoming) + sum(desc.incoming_cut.values()),
            "dependents": len(desc.dependents),
        },
        paging=paging,
        inferred_count=sum(1 for s in every if s.graph == inferred),
    )
    sections = SectionPaging(paging.section, paging.page if paging.section else 1)
    build = _VIEWS.get(kind)
    if paging.only is not None:
        pass
    elif kind == "actor":
        page.view = actor_view(store, labels, desc.iri, sections)
        if _is_place(types, str(store.vocab.parley)):
            page.place = place_view(store, labels, desc.iri, sections)
    elif kind == "event":
        page.view = event_view(store, labels, desc.iri, sections)
    elif kind == "place":
        page.view = place_view(store, labels, desc.iri, sections)
    elif kind == "proposition":
        page.view = proposition_view(store, labels, desc.iri, sections)
    elif kind == "source":
        page.view = source_view(store, labels, desc.iri, sections)
    elif build is not None:
        page.view = build(store, labels, desc.iri)
    if isinstance(page.view, ClaimView) and page.view.history.label:
        page.title = page.view.history.label  # a withdrawn claim, or an earlier version
    for predicate, total in desc.incoming_cut.items():
        page.notes.append(
            f"{total} statements link here with {labels.label(predicate)}; "
            "the RDF of this page holds the first of them, the SPARQL endpoint has all."
        )
    return page


def _title(labels: Labels, desc: Description) -> str:
    """The entity's label; for one whose label only ``graph/history`` holds (a withdrawn
    claim, an earlier version), which the label lookup does not read, its own."""
    if labels.has_label(desc.iri):
        return labels.label(desc.iri)
    own = [text for t in desc.values(RDFS.label) if (text := lexical(t))]
    return own[0] if own else labels.label(desc.iri)


def _is_place(types: list[NamedNode], parley: str) -> bool:
    return NamedNode(parley + "Place") in types


def type_chips(store: GraphStore, labels: Labels, desc: Description) -> list[TypeChip]:
    """The types to show in the header, each once and the most specific: the stated types
    that are no super-type of another stated one, then the derived classifications of
    Parley's ontology that are no super-type of a type shown (``DisputedClaim``, never
    ``CreativeWork`` or ``Agent`` again). Two types with one label are one chip."""
    inferred_graph = store.vocab.inferred_graph
    stated = [
        s.object
        for s in desc.outgoing
        if s.predicate == RDF.type and isinstance(s.object, NamedNode) and s.graph != inferred_graph
    ]
    stated = list(dict.fromkeys(stated))
    every = desc.types()
    if not every:
        return []
    # One path per type, each from a fixed start: Virtuoso walks a path only from a
    # constant (``VALUES ?t {…} ?t rdfs:subClassOf+ ?super`` fails there, "transitive
    # start not given").
    each = " UNION ".join(f"{{ {t} rdfs:subClassOf+ ?super BIND({t} AS ?t) }}" for t in every)
    rows = store.select(
        f"SELECT DISTINCT ?t ?super WHERE {{ {each} FILTER(isIRI(?super) && ?super != ?t) }}"
    )
    supers: dict[NamedNode, set[NamedNode]] = {}
    for r in rows:
        t, sup = r.get("t"), r.get("super")
        if isinstance(t, NamedNode) and isinstance(sup, NamedNode):
            supers.setdefault(t, set()).add(sup)

    def most_specific(found: list[NamedNode]) -> list[NamedNode]:
        above = {sup for t in found for sup in supers.get(t, ())}
        return [t for t in found if t not in above]

    shown = most_specific(stated or every)
    covered = set(shown) | {sup for t in shown for sup in supers.get(t, ())}
    parley = str(store.vocab.parley)
    derived = most_specific(
        [t for t in every if t not in covered and t.value.startswith(parley)] if stated else []
    )
    labels.fetch([*shown, *derived])
    chips: dict[str, TypeChip] = {}
    for term, inferred in [*((t, False) for t in shown), *((t, True) for t in derived)]:
        view = labels.friendly(term)
        chips.setdefault(view.text.lower(), TypeChip(view, inferred))
    return list(chips.values())
