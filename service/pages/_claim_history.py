"""A claim's history on its page: its earlier versions, and its withdrawal.

One query (``GRAPH graph/history``) answers all of it: whether the claim was withdrawn
(when, by whom, why), the earlier versions ``<claim>/v<n>`` an edit or a withdrawal
kept (when each was replaced, by whom), and, on the page of an earlier version, which
claim it is a version of. A version's statements are kept as reifications
(``parley:keptStatement``: ``service/editing/_versions.py``), which the page's
queries for a claim do not match; so the page of a withdrawn claim or of an earlier
version is made from a small store of its own (``as_it_stood``): the version's
statements, and what the page reads about the things they link to.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from service.pages._labels import Labels, TermView, lexical
from service.rdf import RDF, BlankNode, NamedNode, Quad, Term
from service.store import GraphStore, OxigraphStore


@dataclass(frozen=True)
class Change:
    """An edit or a withdrawal: when, by whom."""

    when: str | None
    who: TermView | None


@dataclass(frozen=True)
class Version:
    """An earlier version of the claim, and the edit that replaced it."""

    number: int
    iri: NamedNode
    replaced: Change


@dataclass
class ClaimHistory:
    #: The withdrawal, when the claim was withdrawn, and its reason.
    withdrawn: Change | None = None
    reason: str = ""
    #: The earlier versions, oldest first.
    versions: list[Version] = field(default_factory=list)
    #: On the page of an earlier version: the claim it is a version of, its number, and
    #: the edit that replaced it.
    version_of: TermView | None = None
    number: int | None = None
    replaced: Change | None = None
    #: The claim's name in the editing URLs (``/claims/<slug>/edit``): its IRI under
    #: ``{base}id/claim/``; ``None`` for another IRI.
    slug: str | None = None
    #: The label the claim had (a withdrawn claim's, or an earlier version's): the page's
    #: title, which would otherwise be the IRI.
    label: str = ""

    @property
    def from_history(self) -> bool:
        """The page shows what ``graph/history`` holds (withdrawn, or an earlier version)."""
        return self.withdrawn is not None or self.version_of is not None


def _date(value: Term | None) -> str | None:
    """The day of an ``xsd:dateTime`` (``2026-12-07``)."""
    text = lexical(value)
    return text[:10] if text else None


def _number(iri: str) -> int:
    """``.../v12`` -> 12.

    >>> _number("http://h/id/claim/x/v12"), _number("http://h/id/claim/x")
    (12, 0)
    """
    tail = iri.rsplit("/v", 1)[-1]
    return int(tail) if "/v" in iri and tail.isdigit() else 0


def claim_history(store: GraphStore, labels: Labels, iri: NamedNode) -> ClaimHistory:
    """The claim's withdrawal and earlier versions (one query)."""
    vocab = store.vocab
    c = str(iri)
    rows = store.select(
        "SELECT ?kind ?node ?when ?who ?reason ?of WHERE { "
        f"GRAPH <{vocab.history_graph.value}> {{ "
        f"{{ {c} parley:withdrawn true BIND('withdrawn' AS ?kind) BIND({c} AS ?node) "
        f"OPTIONAL {{ {c} parley:withdrawalReason ?reason }} }} "
        f"UNION {{ ?node dcterms:isVersionOf {c} BIND('version' AS ?kind) }} "
        f"UNION {{ {c} dcterms:isVersionOf ?of BIND('snapshot' AS ?kind) BIND({c} AS ?node) }} "
        "OPTIONAL { ?node prov:invalidatedAtTime ?when } "
        "OPTIONAL { ?node prov:wasInvalidatedBy/prov:wasAssociatedWith ?who } } }"
    )
    labels.fetch(v for r in rows for k, v in r.items() if k in ("who", "of"))
    claims = vocab.id["claim/"].value
    history = ClaimHistory(
        slug=iri.value.removeprefix(claims) if iri.value.startswith(claims) else None
    )
    for r in rows:
        change = Change(_date(r.get("when")), labels.maybe(r.get("who")))
        node = r.get("node")
        kind = lexical(r.get("kind"))
        if kind == "withdrawn":
            history.withdrawn = change
            history.reason = lexical(r.get("reason")) or ""
        elif kind == "version" and isinstance(node, NamedNode):
            history.versions.append(Version(_number(node.value), node, change))
        elif kind == "snapshot":
            history.version_of = labels.maybe(r.get("of"))
            history.number = _number(iri.value)
            history.replaced = change
    history.versions.sort(key=lambda v: v.number)
    return history


def as_it_stood(store: GraphStore, iri: NamedNode, history: ClaimHistory) -> GraphStore:
    """A store that holds the claim as it stood: the statements of the earlier version
    ``iri`` (or of a withdrawn claim's last version, under the claim's own IRIs), and the
    statements of what they link to (a source's text and author, a claimant's types, a
    reported claim's claimant), for the claim page's queries. ``store`` when there is
    nothing kept."""
    if history.version_of is not None:
        snapshot = iri
    elif history.withdrawn is not None and history.versions:
        snapshot = history.versions[-1].iri
    else:
        return store
    vocab = store.vocab
    rows = store.select(
        f"SELECT ?s ?p ?o ?g WHERE {{ GRAPH <{vocab.history_graph.value}> {{ "
        f"<{snapshot.value}> <{vocab.parley.keptStatement.value}> ?st . "
        f"?st <{RDF.subject.value}> ?s ; <{RDF.predicate.value}> ?p ; <{RDF.object.value}> ?o "
        f"OPTIONAL {{ ?st <{vocab.parley.inGraph.value}> ?g }} }} }}"
    )
    kept: list[Quad] = []
    for r in rows:
        s, p, o, g = _back(r["s"], snapshot, iri), r["p"], _back(r["o"], snapshot, iri), r.get("g")
        if isinstance(s, NamedNode | BlankNode) and isinstance(p, NamedNode):
            kept.append(Quad(s, p, o, g if isinstance(g, NamedNode) else vocab.history_graph))
    own = iri.value + "#"
    linked = {
        q.object
        for q in kept
        if isinstance(q.object, NamedNode) and not q.object.value.startswith(own)
    }
    context = [
        q
        for node in linked
        for q in store.quads(node, None, None, None)
        if vocab.is_parley_graph(q.graph_name)
    ]
    found = OxigraphStore.open(None, vocab)
    found.bulk_extend([*kept, *context])
    return found


def _back(term: Term, snapshot: NamedNode, iri: NamedNode) -> Term:
    """A kept statement's term, under ``iri`` again when it shows a withdrawn claim
    (``<claim>/v<n>#x`` -> ``<claim>#x``).

    >>> v, c = NamedNode("http://h/c/v2"), NamedNode("http://h/c")
    >>> [_back(NamedNode(t), v, c).value for t in ("http://h/c/v2", "http://h/c/v2#e-1", "http://h/d")]
    ['http://h/c', 'http://h/c#e-1', 'http://h/d']
    """
    if snapshot == iri or not isinstance(term, NamedNode):
        return term
    if term == snapshot:
        return iri
    if term.value.startswith(snapshot.value + "#"):
        return NamedNode(iri.value + term.value[len(snapshot.value) :])
    return term
