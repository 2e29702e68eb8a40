"""Skolemisation: blank nodes in Parley's graphs become ``/.well-known/genid/`` IRIs."""

from __future__ import annotations

import uuid

from service.rdf._terms import BlankNode, NamedNode, Quad
from service.rdf._vocab import Vocab


def skolemize(quads: list[Quad], vocab: Vocab) -> list[Quad]:
    """Replace blank nodes in Parley's graphs by ``/.well-known/genid/`` IRIs (RDF 1.1, 3.5).

    Blank nodes cannot be named by a later write, on any store; an IRI can.
    Quads in other graphs keep their blank nodes.
    """
    mapping: dict[str, NamedNode] = {}

    def iri(node: BlankNode) -> NamedNode:
        if node.value not in mapping:
            mapping[node.value] = vocab.genid[uuid.uuid4().hex]
        return mapping[node.value]

    out = []
    for q in quads:
        if not vocab.is_parley_graph(q.graph_name) or not (
            isinstance(q.subject, BlankNode) or isinstance(q.object, BlankNode)
        ):
            out.append(q)
            continue
        subject = iri(q.subject) if isinstance(q.subject, BlankNode) else q.subject
        obj = iri(q.object) if isinstance(q.object, BlankNode) else q.object
        out.append(Quad(subject, q.predicate, obj, q.graph_name))
    return out
