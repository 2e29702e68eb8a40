"""The quads of a claim's own nodes, named as ``data/README.md`` names them.

Dependent nodes are hash IRIs under the claim (``#evidence-n``, ``#quote-n``,
``#position-n``, ``#stance-<actor>``); a relation to another claim is stated in
``graph/editorial`` with its ``rdf:Statement`` under the subject claim
(``#contradicts-<other>``), as ``data/editorial/relations.ttl`` does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from service.editing._claim_evidence import Evidence
from service.editing._claim_names import local_name
from service.rdf import DCTERMS, OA, RDF, SKOS, XSD, Literal, NamedNode, Quad, Vocab

#: The name of a relation in its statement's IRI (``#contradicts-elites-kremlin-beg``).
RELATION_NAMES = {
    "contradictsClaim": "contradicts",
    "supportsClaim": "supports",
    "sameProposition": "same-proposition",
    "repeatsClaim": "repeats",
}


def kebab(name: str) -> str:
    """``RussianGov`` -> ``russian-gov``, as the stance nodes of the data are named.

    >>> kebab("RussianGov"), kebab("EU"), kebab("author")
    ('russian-gov', 'eu', 'author')
    """
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "-", name)
    return re.sub(r"[^a-z0-9]+", "-", spaced.lower()).strip("-") or "actor"


@dataclass
class ClaimParts:
    """The quads of one claim, in the graph of its source."""

    vocab: Vocab
    claim: NamedNode
    graph: NamedNode
    quads: list[Quad] = field(default_factory=list)

    def node(self, fragment: str) -> NamedNode:
        return NamedNode(f"{self.claim.value}#{fragment}")

    def add(self, s: NamedNode, p: NamedNode, o: NamedNode | Literal) -> None:
        self.quads.append(Quad(s, p, o, self.graph))

    def evidence(self, n: int, source: NamedNode, span: Evidence) -> None:
        """``#evidence-n`` quoting ``source``: the quote (with its prefix and suffix) and
        its code-point offsets."""
        ev, quote = self.node(f"evidence-{n}"), self.node(f"quote-{n}")
        position = self.node(f"position-{n}")
        self.add(self.claim, self.vocab.parley.hasEvidence, ev)
        self.add(ev, RDF.type, self.vocab.parley.EvidenceSpan)
        self.add(ev, OA.hasSource, source)
        self.add(ev, OA.hasSelector, quote)
        self.add(ev, OA.hasSelector, position)
        self.add(quote, RDF.type, OA.TextQuoteSelector)
        self.add(quote, OA.exact, Literal(span.exact))
        if span.prefix:
            self.add(quote, OA.prefix, Literal(span.prefix))
        if span.suffix:
            self.add(quote, OA.suffix, Literal(span.suffix))
        self.add(position, RDF.type, OA.TextPositionSelector)
        self.add(position, OA.start, Literal(str(span.start), datatype=XSD.nonNegativeInteger))
        self.add(position, OA.end, Literal(str(span.end), datatype=XSD.nonNegativeInteger))

    def stance(self, actor: NamedNode, value: NamedNode) -> None:
        """``#stance-<actor>``: the claim's stance toward ``actor``."""
        parley = self.vocab.parley
        node = self.node(f"stance-{kebab(local_name(actor.value))}")
        self.add(self.claim, parley.hasStance, node)
        self.add(node, RDF.type, parley.Stance)
        self.add(node, parley.stanceToward, actor)
        self.add(node, parley.stanceValue, value)


def relation_quads(
    vocab: Vocab,
    claim: NamedNode,
    relation: str,
    other: NamedNode,
    creator: str,
    today: date,
    note: str | None,
) -> list[Quad]:
    """``claim relation other`` in ``graph/editorial``, with the ``rdf:Statement`` that says
    who stated it, when and (with ``note``) why."""
    graph = vocab.editorial_graph
    predicate = vocab.parley[relation]
    statement = NamedNode(
        f"{claim.value}#{RELATION_NAMES[relation]}-{local_name(other.value) or 'claim'}"
    )
    quads = [
        Quad(claim, predicate, other, graph),
        Quad(statement, RDF.type, RDF.Statement, graph),
        Quad(statement, RDF.subject, claim, graph),
        Quad(statement, RDF.predicate, predicate, graph),
        Quad(statement, RDF.object, other, graph),
        Quad(statement, DCTERMS.creator, NamedNode(creator), graph),
        Quad(statement, DCTERMS.created, Literal(today.isoformat(), datatype=XSD.date), graph),
    ]
    if note:
        quads.append(Quad(statement, SKOS.note, Literal(note, language="en"), graph))
    return quads
