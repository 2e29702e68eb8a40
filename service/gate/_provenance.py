"""Provenance records of accepted writes, in ``graph/provenance``.

One ``parley:WriteRecord`` per write (a ``prov:Activity``): when it started and
ended, the agent (``prov:wasAssociatedWith``; with its name, ``rdfs:label``, when the
writer has one: an editor, or "administrator" for the write token), the operation, every data graph
it changed (``parley:targetGraph``), the counts, and each statement it added or
removed as an RDF reification (``rdf:Statement`` with ``rdf:subject``,
``rdf:predicate``, ``rdf:object``) naming its graph with ``parley:inGraph``.
Inferred statements are counted (``parley:inferredCount``), not listed: they
follow from the asserted ones. Every node is an IRI (no blank nodes in Parley's
graphs): the record is ``graph/provenance#write-<time>-<id>``, its statements
``...-a<n>`` and ``...-r<n>``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote, urlsplit

from service.rdf import PROV, RDF, RDFS, XSD, GraphName, Literal, NamedNode, Quad, Vocab


def agent_iri(agent: str, vocab: Vocab) -> NamedNode:
    """The agent as an IRI: as given when it is one, else ``{base}id/agent/<name>``.

    >>> agent_iri("test", Vocab("http://h/")).value
    'http://h/id/agent/test'
    >>> agent_iri("http://h/id/agent/token-1", Vocab("http://h/")).value
    'http://h/id/agent/token-1'
    """
    if urlsplit(agent).scheme:
        return NamedNode(agent)
    return vocab.id["agent/" + quote(agent, safe="")]


@dataclass(frozen=True)
class Stamp:
    """When a write ran, and the IRI of its record (``None``: it made none). A write
    replayed from the journal keeps its original stamp, so its record is the same."""

    started: datetime
    ended: datetime
    record: str | None = None


def write_record(
    vocab: Vocab,
    *,
    agent: str,
    operation: str,
    started: datetime,
    ended: datetime,
    added: list[Quad],
    removed: list[Quad],
    inferred: int,
    iri: str | None = None,
    agent_name: str | None = None,
) -> tuple[NamedNode, list[Quad]]:
    """The record of one write, and its IRI (a new one unless ``iri`` is given). With
    ``agent_name``, the record also names its agent: ``<agent> a prov:Agent ;
    rdfs:label "name"`` (an editor's name, shown by the pages' "added by")."""
    graph = vocab.provenance_graph
    base = iri or f"{graph.value}#write-{started:%Y%m%dT%H%M%S%fZ}-{uuid.uuid4().hex[:8]}"
    record = NamedNode(base)
    parley = vocab.parley

    def integer(n: int) -> Literal:
        return Literal(str(n), datatype=XSD.integer)

    def when(t: datetime) -> Literal:
        return Literal(t.isoformat(), datatype=XSD.dateTime)

    out = [
        Quad(record, RDF.type, parley.WriteRecord, graph),
        Quad(record, RDFS.label, Literal(f"{operation} at {started.isoformat()}"), graph),
        Quad(record, PROV.wasAssociatedWith, agent_iri(agent, vocab), graph),
        Quad(record, PROV.startedAtTime, when(started), graph),
        Quad(record, PROV.endedAtTime, when(ended), graph),
        Quad(record, parley.addedCount, integer(len(added)), graph),
        Quad(record, parley.removedCount, integer(len(removed)), graph),
        Quad(record, parley.inferredCount, integer(inferred), graph),
    ]
    if agent_name:
        agent_node = agent_iri(agent, vocab)
        out += [
            Quad(agent_node, RDF.type, PROV.Agent, graph),
            Quad(agent_node, RDFS.label, Literal(agent_name), graph),
        ]
    targets: dict[GraphName, None] = dict.fromkeys(q.graph_name for q in (*added, *removed))
    out.extend(
        Quad(record, parley.targetGraph, g, graph) for g in targets if isinstance(g, NamedNode)
    )
    for link, tag, quads in (
        (parley.addedStatement, "a", added),
        (parley.removedStatement, "r", removed),
    ):
        for n, q in enumerate(quads, 1):
            statement = NamedNode(f"{base}-{tag}{n}")
            out += [
                Quad(record, link, statement, graph),
                Quad(statement, RDF.type, RDF.Statement, graph),
                Quad(statement, RDF.subject, q.subject, graph),
                Quad(statement, RDF.predicate, q.predicate, graph),
                Quad(statement, RDF.object, q.object, graph),
            ]
            if isinstance(q.graph_name, NamedNode):
                out.append(Quad(statement, parley.inGraph, q.graph_name, graph))
    return record, out
