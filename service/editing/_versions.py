"""Versions and withdrawals of a claim: what an edit and a retraction write.

The claim's IRI always names its current version; nothing is ever deleted
(``data/README.md``: identifiers are stable, fact-checkers cite them).

- **An edit** (``revision``) is one ``ChangeSet``: the old version's statements
  (the claim's and its dependent nodes', ``<claim>#evidence-1`` ..., in the
  claim's own claims graph) are deleted there and kept in ``graph/history`` as a
  snapshot ``<claim>/v<n>`` (a ``parley:ClaimVersion`` with ``dcterms:isVersionOf
  <claim>``, ``prov:invalidatedAtTime`` and ``prov:wasInvalidatedBy
  <claim>/v<n>#revision``, a ``prov:Activity`` associated with the editor). Its
  statements, with every IRI ``<claim>`` and ``<claim>#x`` rewritten to
  ``<claim>/v<n>`` and ``<claim>/v<n>#x`` and the claim's types left out, are kept
  as RDF reifications (``parley:keptStatement``, as ``graph/provenance`` keeps what
  a write changed): so no query for a claim's own statements matches an earlier
  version, and ``graph/history`` can stay in the union default graph, which keeps
  Oxigraph's fast union (a default graph that leaves one graph out is evaluated
  graph by graph: 10 to 60 times slower). The new version goes under the claim's
  IRI, with ``prov:wasRevisionOf <claim>/v<n>`` and ``prov:generatedAtTime``
  (carried into its own snapshot by the next edit).
- **A retraction** (``retraction``) keeps the claim's last version the same way,
  deletes its statements, and marks the claim in ``graph/history`` with
  ``parley:withdrawn true``, ``parley:withdrawalReason``, ``prov:invalidatedAtTime``
  and ``prov:wasInvalidatedBy <claim>#withdrawal`` (a ``prov:Activity`` associated
  with the editor). PROV-O has no property from an entity to the agent that
  invalidated it (``prov:wasInvalidatedBy`` ranges over activities, and
  ``prov:wasAttributedTo`` would say the editor made the claim: ``parley:claimant``
  is a sub-property of it), hence the activity. Links from reviews, reports and
  relations keep pointing at the IRI, which still dereferences.

Statements about the claim in other graphs (an editor's relations in
``graph/editorial``, reviews) are not the claim's own and stay where they are.
The functions are pure over the store: they read it and return the change;
the caller submits it through the gate (``WriteGate.submit(..., history=True)``).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import datetime

from service.errors import ClaimWithdrawnError, EntityNotFoundError
from service.rdf import (
    DCTERMS,
    PROV,
    RDF,
    RDFS,
    XSD,
    BlankNode,
    GraphName,
    Literal,
    NamedNode,
    Quad,
    Term,
    Triple,
    Vocab,
)
from service.store import ChangeSet, GraphStore


def _when(t: datetime) -> Literal:
    return Literal(t.isoformat(), datatype=XSD.dateTime)


def _owned(node: Term | Triple, claim: NamedNode, vocab: Vocab) -> bool:
    """A dependent node of the claim: its hash IRIs, skolem IRIs and blank nodes."""
    if isinstance(node, BlankNode):
        return True
    return isinstance(node, NamedNode) and (
        node.value.startswith(claim.value + "#") or vocab.genid.contains(node)
    )


def home_graph(store: GraphStore, claim: NamedNode) -> NamedNode:
    """The data graph that holds the claim's own statements (its source's claims graph).

    :raises ClaimWithdrawnError: the claim was withdrawn.
    :raises EntityNotFoundError: no current claim has this IRI.
    """
    vocab = store.vocab
    graphs = [
        q.graph_name
        for q in store.quads(claim, RDF.type, None, None)
        if isinstance(q.graph_name, NamedNode) and vocab.is_data_graph(q.graph_name)
    ]
    claims = [g for g in graphs if g.value.startswith(vocab.graph("claims/").value)]
    if claims or graphs:
        return (claims or graphs)[0]
    if is_withdrawn(store, claim):
        raise ClaimWithdrawnError(
            f"{claim.value} was withdrawn; its page shows it as it stood and why it was "
            "withdrawn. Nothing was written.",
            claim=claim.value,
        )
    raise EntityNotFoundError(f"{claim.value} is not a claim of this store", iri=claim.value)


def is_withdrawn(store: GraphStore, claim: NamedNode) -> bool:
    vocab = store.vocab
    withdrawn = vocab.parley.withdrawn
    return next(store.quads(claim, withdrawn, None, vocab.history_graph), None) is not None


def claim_quads(store: GraphStore, claim: NamedNode, graph: GraphName) -> list[Quad]:
    """The claim's own statements in ``graph``: its own and its dependent nodes'."""
    vocab = store.vocab
    found: dict[Quad, None] = {}
    pending: list[Term | Triple] = [claim]
    seen: set[Term | Triple] = set()
    while pending:
        node = pending.pop(0)
        if node in seen or not isinstance(node, NamedNode | BlankNode):
            continue
        seen.add(node)
        for q in store.quads(node, None, None, graph):
            found.setdefault(q, None)
            if _owned(q.object, claim, vocab):
                pending.append(q.object)
    return list(found)


def version_count(store: GraphStore, claim: NamedNode) -> int:
    """How many earlier versions of the claim ``graph/history`` keeps."""
    vocab = store.vocab
    return sum(1 for _ in store.quads(None, DCTERMS.isVersionOf, claim, vocab.history_graph))


def version_iri(claim: NamedNode, n: int) -> NamedNode:
    """``<claim>/v<n>``.

    >>> version_iri(NamedNode("http://h/id/claim/x"), 2).value
    'http://h/id/claim/x/v2'
    """
    return NamedNode(f"{claim.value}/v{n}")


def _rewrite(term: Term | Triple, claim: NamedNode, snapshot: NamedNode) -> Term | Triple:
    """``<claim>`` and ``<claim>#x`` as ``<snapshot>`` and ``<snapshot>#x``; others as they are.

    >>> c, v = NamedNode("http://h/c"), NamedNode("http://h/c/v1")
    >>> [_rewrite(NamedNode(i), c, v).value for i in ("http://h/c", "http://h/c#e-1", "http://h/d")]
    ['http://h/c/v1', 'http://h/c/v1#e-1', 'http://h/d']
    """
    if term == claim:
        return snapshot
    if isinstance(term, NamedNode) and term.value.startswith(claim.value + "#"):
        return NamedNode(snapshot.value + term.value[len(claim.value) :])
    return term


def snapshot_quads(
    vocab: Vocab, claim: NamedNode, old: Iterable[Quad], n: int
) -> tuple[NamedNode, list[Quad]]:
    """The old version as the snapshot ``<claim>/v<n>`` in ``graph/history``: its
    statements rewritten under the snapshot's IRI (the claim's types left out: a version
    is not a claim) and kept as reifications ``<claim>/v<n>#kept-<i>``, each with the
    graph it was in."""
    snapshot = version_iri(claim, n)
    history = vocab.history_graph
    parley = vocab.parley
    out: list[Quad] = [
        Quad(snapshot, RDF.type, parley.ClaimVersion, history),
        Quad(snapshot, DCTERMS.isVersionOf, claim, history),
    ]
    kept = 0
    for q in old:
        if q.subject == claim and q.predicate == RDF.type:
            continue
        s = _rewrite(q.subject, claim, snapshot)
        o = _rewrite(q.object, claim, snapshot)
        kept += 1
        statement = NamedNode(f"{snapshot.value}#kept-{kept}")
        out += [
            Quad(snapshot, parley.keptStatement, statement, history),
            Quad(statement, RDF.type, RDF.Statement, history),
            Quad(statement, RDF.subject, s, history),
            Quad(statement, RDF.predicate, q.predicate, history),
            Quad(statement, RDF.object, o, history),
        ]
        if isinstance(q.graph_name, NamedNode):
            out.append(Quad(statement, parley.inGraph, q.graph_name, history))
    return snapshot, out


def _activity(
    node: NamedNode, label: str, agent: NamedNode, when: datetime, graph: NamedNode
) -> list[Quad]:
    return [
        Quad(node, RDF.type, PROV.Activity, graph),
        Quad(node, RDFS.label, Literal(label), graph),
        Quad(node, PROV.wasAssociatedWith, agent, graph),
        Quad(node, PROV.endedAtTime, _when(when), graph),
    ]


def _identifier(quads: Iterable[Quad], claim: NamedNode) -> str:
    for q in quads:
        if (
            q.subject == claim
            and q.predicate == DCTERMS.identifier
            and isinstance(q.object, Literal)
        ):
            return q.object.value
    return claim.value.rsplit("/", 1)[-1]


def _reachable(quads: list[Quad], start: Term | Triple) -> list[Quad]:
    """The quads of ``quads`` about ``start`` and the nodes reached from it."""
    found: list[Quad] = []
    pending, seen = [start], set()
    while pending:
        node = pending.pop()
        if node in seen:
            continue
        seen.add(node)
        for q in quads:
            if q.subject == node:
                found.append(q)
                if isinstance(q.object, NamedNode | BlankNode):
                    pending.append(q.object)
    return found


def carried_over(
    old: list[Quad], claim: NamedNode, new: list[Quad], covered: Collection[NamedNode], vocab: Vocab
) -> list[Quad]:
    """What of the old version the new one keeps though its fields did not restate it: the
    claim's statements with a property no field offers (``covered``: a ``skos:note``), and
    the evidence spans beyond those sent (the form edits one quote; a claim may have
    several), each with its own nodes."""
    stated = {q.subject for q in new}
    kept: list[Quad] = []
    evidence = vocab.parley.hasEvidence
    for q in old:
        if q.subject != claim:
            continue
        if q.predicate == evidence and q.object not in stated:
            kept.append(q)
            kept += _reachable(old, q.object)
        elif q.predicate not in covered and not _owned(q.object, claim, vocab):
            kept.append(q)
    return kept


#: The claim's statements an edit writes itself (never taken from the fields, never kept).
_VERSIONING = (DCTERMS.identifier, PROV.wasRevisionOf, PROV.generatedAtTime)


def revision(
    store: GraphStore,
    claim: NamedNode,
    new: Iterable[Quad | Triple],
    *,
    agent: NamedNode,
    when: datetime,
    covered: Collection[NamedNode] | None = None,
) -> ChangeSet:
    """The change that makes ``new`` (the new version's statements about ``claim`` and its
    dependent nodes; a triple goes to the claim's graph, a quad to its own) the claim's
    current version and keeps the old one as a snapshot.

    The new version keeps the claim's ``dcterms:identifier``. ``covered``: the properties
    the new version was made from (the claim form's); the old statements with other
    properties, and evidence spans beyond those ``new`` states, are carried over
    (``carried_over``). ``None``: ``new`` is the whole new version.

    :raises ClaimWithdrawnError: the claim was withdrawn.
    :raises EntityNotFoundError: no current claim has this IRI.
    """
    vocab = store.vocab
    graph = home_graph(store, claim)
    old = claim_quads(store, claim, graph)
    n = version_count(store, claim) + 1
    snapshot, kept = snapshot_quads(vocab, claim, old, n)
    history = vocab.history_graph
    revised = NamedNode(snapshot.value + "#revision")
    identifier = _identifier(old, claim)
    kept += [
        Quad(snapshot, PROV.invalidatedAtTime, _when(when), history),
        Quad(snapshot, PROV.wasInvalidatedBy, revised, history),
        *_activity(revised, f"revision of {identifier}", agent, when, history),
    ]
    insert = [
        t if isinstance(t, Quad) else Quad(t.subject, t.predicate, t.object, graph)
        for t in new
        if not (t.subject == claim and t.predicate in _VERSIONING)
    ]
    # The graph the new version lives in: its source's (an edit may change the source).
    types = [q.graph_name for q in insert if q.subject == claim and q.predicate == RDF.type]
    home = types[0] if types else graph
    if covered is not None:
        insert += [
            Quad(q.subject, q.predicate, q.object, home)
            for q in carried_over(old, claim, insert, covered, vocab)
            if q.predicate not in _VERSIONING
        ]
    insert += [
        Quad(claim, DCTERMS.identifier, Literal(identifier), home),
        Quad(claim, PROV.wasRevisionOf, snapshot, home),
        Quad(claim, PROV.generatedAtTime, _when(when), home),
    ]
    return ChangeSet(delete=old, insert=[*kept, *dict.fromkeys(insert)])


def retraction(
    store: GraphStore, claim: NamedNode, *, reason: str, agent: NamedNode, when: datetime
) -> ChangeSet:
    """The change that withdraws the claim: its last version kept as a snapshot in
    ``graph/history``, its statements deleted, and the claim marked withdrawn there with
    the reason, the time and the editor.

    :raises ClaimWithdrawnError: the claim was withdrawn already.
    :raises EntityNotFoundError: no current claim has this IRI.
    :raises ValueError: the reason is empty.
    """
    reason = reason.strip()
    if not reason:
        raise ValueError("a retraction needs a reason")
    vocab = store.vocab
    graph = home_graph(store, claim)
    old = claim_quads(store, claim, graph)
    snapshot, kept = snapshot_quads(vocab, claim, old, version_count(store, claim) + 1)
    history = vocab.history_graph
    withdrawal = NamedNode(claim.value + "#withdrawal")
    parley = vocab.parley
    kept += [
        Quad(snapshot, PROV.invalidatedAtTime, _when(when), history),
        Quad(snapshot, PROV.wasInvalidatedBy, withdrawal, history),
        Quad(claim, parley.withdrawn, Literal("true", datatype=XSD.boolean), history),
        Quad(claim, parley.withdrawalReason, Literal(reason), history),
        Quad(claim, PROV.invalidatedAtTime, _when(when), history),
        Quad(claim, PROV.wasInvalidatedBy, withdrawal, history),
        *_activity(withdrawal, f"withdrawal of {_identifier(old, claim)}", agent, when, history),
    ]
    return ChangeSet(delete=old, insert=kept)
