"""Statements grouped by property, with labels, graphs, inferred marks and paging.

The generic part of every entity page: "outgoing" (what the entity says) and
"incoming" (what points at it) as tables grouped by property, each value with
its label and the named graph it comes from. Pure: it works on a
``Description`` and ``Labels`` already fetched.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from urllib.parse import urlencode

from service.pages._entities import PREVIEW_INCOMING_LIMIT, Description, Statement
from service.pages._labels import Labels, TermView
from service.rdf import RDF, RDFS, SKOS, BlankNode, NamedNode, Subject, Term

#: Values a property group shows before "show all".
GROUP_PREVIEW = 12
#: Values per page when one property is shown alone.
PAGE_SIZE = 100

#: Groups up to this size are sorted by label; larger ones by IRI, so that a page fetches
#: the labels of the values it shows, not those of an actor's thousands of claims.
LABEL_SORT_LIMIT = PREVIEW_INCOMING_LIMIT - 1

#: Properties shown first, in this order.
_FIRST = (RDF.type, RDFS.label, SKOS.prefLabel, SKOS.definition, RDFS.comment)


@dataclass(frozen=True)
class ValueView:
    """One value of a property group (the object, or the subject for incoming)."""

    term: TermView
    graph: TermView
    inferred: bool


@dataclass
class PropertyGroup:
    """The values of one property in one direction."""

    predicate: TermView
    direction: str  # "out" or "in"
    values: list[ValueView]
    total: int
    #: Set when only part of ``values`` is shown: the link to the rest.
    more_href: str | None = None
    inferred_only: bool = False


@dataclass
class DependentView:
    """A node that belongs to the entity, shown inside its page."""

    anchor: str
    title: str
    key: str
    groups: list[PropertyGroup] = field(default_factory=list)


@dataclass(frozen=True)
class Paging:
    """Which part of the statements a request shows."""

    show_inferred: bool = True
    #: Show only this property (its IRI) in this direction, paged.
    only: str | None = None
    direction: str = "out"
    page: int = 1
    #: Show only this curated section of the page (``?section=KEY``), paged.
    section: str | None = None


def anchor_for(node: Subject) -> str:
    """The HTML id of a dependent node: its fragment, or a name for a skolem/blank node.

    >>> anchor_for(NamedNode("http://h/id/C1#evidence-1"))
    'evidence-1'
    >>> anchor_for(BlankNode("b0"))
    'bnode-b0'
    """
    if isinstance(node, BlankNode):
        return f"bnode-{node.value}"
    if "#" in node.value:
        return node.value.split("#", 1)[1]
    return "genid-" + node.value.rstrip("/").rsplit("/", 1)[-1]


def _order(predicate: NamedNode, labels: Labels) -> tuple[int, str]:
    if predicate in _FIRST:
        return (_FIRST.index(predicate), "")
    return (len(_FIRST), labels.label(predicate).lower())


def group(
    statements: list[Statement],
    direction: str,
    labels: Labels,
    paging: Paging,
    *,
    base_href: str,
    cut: dict[NamedNode, int] | None = None,
) -> list[PropertyGroup]:
    """Group statements by property; ``base_href`` is the page the "more" links point to."""
    by_pred: dict[NamedNode, list[Statement]] = {}
    for s in statements:
        if paging.show_inferred or labels.vocab.inferred_graph != s.graph:
            by_pred.setdefault(s.predicate, []).append(s)
    groups = []
    inferred = labels.vocab.inferred_graph
    for predicate in sorted(by_pred, key=lambda p: _order(p, labels)):
        key = predicate.value
        alone = paging.only == key and paging.direction == direction
        if paging.only is not None and not alone:
            continue
        items = by_pred[predicate]
        total = max(len(items), (cut or {}).get(predicate, 0))
        window = (
            slice((paging.page - 1) * PAGE_SIZE, paging.page * PAGE_SIZE)
            if alone
            else slice(0, GROUP_PREVIEW)
        )

        def value_of(s: Statement) -> Term:
            return s.subject if direction == "in" else s.object

        if len(items) <= LABEL_SORT_LIMIT:
            labels.fetch(value_of(s) for s in items)
            values = [
                ValueView(labels.view(value_of(s)), labels.view(s.graph), s.graph == inferred)
                for s in items
            ]
            values.sort(key=lambda v: (v.inferred, v.term.text.lower(), v.term.key))
            values = values[window]
        else:
            items = sorted(items, key=lambda s: (s.graph == inferred, str(value_of(s))))[window]
            labels.fetch(value_of(s) for s in items)
            values = [
                ValueView(labels.view(value_of(s)), labels.view(s.graph), s.graph == inferred)
                for s in items
            ]
        group_ = PropertyGroup(
            labels.friendly(predicate),
            direction,
            values,
            total,
            inferred_only=all(s.graph == inferred for s in by_pred[predicate]),
        )
        if not alone and total > GROUP_PREVIEW:
            group_.more_href = _more_href(base_href, key, direction)
        groups.append(group_)
    return _told_apart(groups, labels)


def _told_apart(groups: list[PropertyGroup], labels: Labels) -> list[PropertyGroup]:
    """Groups whose properties share a label (``parley:about``, ``schema:about``) with
    the vocabulary of each beside it, so no two headings read the same."""
    seen: dict[str, int] = {}
    for g in groups:
        seen[g.predicate.text] = seen.get(g.predicate.text, 0) + 1
    for g in groups:
        if seen[g.predicate.text] > 1 and g.predicate.iri:
            prefix = labels.compact(NamedNode(g.predicate.iri)).split(":", 1)[0]
            g.predicate = replace(g.predicate, text=f"{g.predicate.text} ({prefix})")
    return groups


def _more_href(base_href: str, key: str, direction: str) -> str:
    return f"{base_href}?{urlencode({'property': key, 'direction': direction})}"


def dependents(desc: Description, labels: Labels, paging: Paging) -> list[DependentView]:
    """The inlined nodes of a description, each with its statements."""
    views = []
    for node, statements in desc.dependents.items():
        title = labels.label(node) if isinstance(node, NamedNode) else "anonymous node"
        types = [labels.label(s.object) for s in statements if s.predicate == RDF.type]
        if types and not labels.has_label(node):
            title = f"{title} ({', '.join(dict.fromkeys(types))})"
        view = DependentView(anchor_for(node), title, str(node))
        view.groups = group(statements, "out", labels, Paging(paging.show_inferred), base_href="")
        views.append(view)
    return views
