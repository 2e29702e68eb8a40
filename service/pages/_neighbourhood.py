"""An entity's neighbourhood as a picture: the entity in the middle, the things it
links to and that link to it around it, each edge named by its properties.

Links through the entity's dependent nodes count as its own (a claim links to
an actor through its stance, to a source through its evidence span). Types
and literals are left out: the tables show them. The layout is pure geometry
for a server-rendered SVG.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from service.pages._entities import Description
from service.pages._labels import Labels, TermView
from service.rdf import RDF, NamedNode

SIZE = 560
RADIUS = 200
MAX_NEIGHBOURS = 16


@dataclass(frozen=True)
class Spoke:
    node: TermView
    #: The properties that join the entity and the node ("→ claimant", "← about actor").
    relation: str
    x: float
    y: float
    label_x: float
    label_y: float
    anchor: str


@dataclass
class Picture:
    centre: TermView
    spokes: list[Spoke] = field(default_factory=list)
    #: Neighbours left out of the picture (the tables list all of them).
    omitted: int = 0
    size: int = SIZE

    @property
    def summary(self) -> str:
        """A text alternative for the picture."""
        names = ", ".join(f"{s.node.text} ({s.relation})" for s in self.spokes)
        more = f", and {self.omitted} more" if self.omitted else ""
        return f"{self.centre.text} is linked to {names}{more}." if names else ""


def picture(desc: Description, labels: Labels) -> Picture:
    """The neighbourhood of ``desc.iri``: at most ``MAX_NEIGHBOURS`` nodes on a circle."""
    relations: dict[NamedNode, list[str]] = {}

    def add(node: object, text: str) -> None:
        if isinstance(node, NamedNode) and node != desc.iri and node not in desc.dependents:
            found = relations.setdefault(node, [])
            if text not in found:
                found.append(text)

    names: dict[NamedNode, str] = {}  # a node may have thousands of statements, few properties

    def name(predicate: NamedNode) -> str:
        if predicate not in names:
            names[predicate] = labels.friendly(predicate).text
        return names[predicate]

    outgoing = [*desc.outgoing, *(s for ss in desc.dependents.values() for s in ss)]
    for s in outgoing:
        if s.predicate != RDF.type and labels.vocab.ontology_graph != s.graph:
            add(s.object, "→ " + name(s.predicate))
    for s in desc.incoming:
        if s.predicate != RDF.type:
            add(s.subject, "← " + name(s.predicate))
    chosen = list(relations)[:MAX_NEIGHBOURS]
    labels.fetch(chosen)
    pic = Picture(labels.view(desc.iri), omitted=max(0, len(relations) - len(chosen)))
    centre = SIZE / 2
    for i, node in enumerate(chosen):
        angle = -math.pi / 2 + 2 * math.pi * i / max(len(chosen), 1)
        x = centre + RADIUS * math.cos(angle)
        y = centre + RADIUS * math.sin(angle)
        anchor = (
            "middle" if abs(math.cos(angle)) < 0.3 else ("start" if math.cos(angle) > 0 else "end")
        )
        pic.spokes.append(
            Spoke(
                labels.view(node),
                ", ".join(relations[node][:2]),
                round(x, 1),
                round(y, 1),
                round(x + 10 * math.cos(angle), 1),
                round(y + 10 * math.sin(angle) + (14 if math.sin(angle) > 0.3 else -4), 1),
                anchor,
            )
        )
    return pic
