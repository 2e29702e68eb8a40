"""Labels and links for RDF terms, as the pages show them.

A page never shows a raw IRI where a label exists: ``Labels`` fetches the
labels of many terms in one query per batch (a ``VALUES`` block, so it works
the same on the embedded and on a remote store) and falls back to a compact
``prefix:local`` name. ``TermView`` is what a template needs to show one
term: its text, its link and whether the link leaves Parley.

IRIs under the base IRI are linked by their path (``/id/Putin``), so pages
work whatever host name a reader used; IRIs of other namespaces (Wikidata,
schema.org) link out.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from service.rdf import (
    DCTERMS,
    RDF,
    RDFS,
    SCHEMA,
    SKOS,
    XSD,
    BlankNode,
    DefaultGraph,
    GraphName,
    Literal,
    NamedNode,
    Term,
    Vocab,
)
from service.store import GraphStore

#: Predicates that name a thing, best first.
LABEL_PREDICATES = (RDFS.label, SKOS.prefLabel, SCHEMA.name, DCTERMS["title"])
_BATCH = 200


@dataclass(frozen=True)
class TermView:
    """One RDF term as a page shows it."""

    #: The term in N-Triples syntax (a stable key, and the text of a ``title``).
    key: str
    #: What a reader sees: a label, a compact name, or a literal's value.
    text: str
    #: Where it links; ``None`` for literals and for nodes with no page.
    href: str | None
    kind: str  # "iri", "bnode" or "literal"
    #: True when ``href`` leaves Parley (another namespace).
    external: bool = False
    #: A literal's language tag or datatype, shown beside its value.
    note: str = ""
    #: The full IRI (empty for literals and blank nodes).
    iri: str = ""


class Labels:
    """Labels of terms for one base IRI, fetched in batches and cached."""

    def __init__(self, store: GraphStore, vocab: Vocab) -> None:
        self.store = store
        self.vocab = vocab
        self._best: dict[str, tuple[int, str]] = {}
        self._fetched: set[str] = set()
        #: Every ``rdfs:label`` literal found, per IRI (entity RDF includes them).
        self.rdfs_labels: dict[str, list[Literal]] = {}
        self._base_path = urlsplit(vocab.base).path or "/"

    def fetch(self, terms: Iterable[Term | GraphName]) -> None:
        """Look up the labels of every IRI in ``terms`` not fetched yet."""
        wanted: list[str] = []
        for term in terms:
            if isinstance(term, NamedNode) and term.value not in self._fetched:
                self._fetched.add(term.value)
                wanted.append(term.value)
                owner = self.owner_of(term)
                if owner is not None and owner.value not in self._fetched:
                    self._fetched.add(owner.value)
                    wanted.append(owner.value)
        for start in range(0, len(wanted), _BATCH):
            self._fetch_batch(wanted[start : start + _BATCH])

    def _fetch_batch(self, iris: list[str]) -> None:
        values = " ".join(f"<{iri}>" for iri in iris)
        preds = " ".join(str(p) for p in LABEL_PREDICATES)
        rows = self.store.select(
            f"SELECT ?x ?p ?l WHERE {{ VALUES ?x {{ {values} }} VALUES ?p {{ {preds} }} "
            "?x ?p ?l FILTER(isLiteral(?l)) }"
        )
        for row in rows:
            x, p, lit = row.get("x"), row.get("p"), row.get("l")
            if not isinstance(x, NamedNode) or not isinstance(lit, Literal):
                continue
            rank = _rank(p, lit)
            if p == RDFS.label and lit not in self.rdfs_labels.setdefault(x.value, []):
                self.rdfs_labels[x.value].append(lit)
            best = self._best.get(x.value)
            if best is None or rank < best[0] or (rank == best[0] and lit.value < best[1]):
                self._best[x.value] = (rank, lit.value)

    def owner_of(self, term: Term | GraphName) -> NamedNode | None:
        """The entity a fragment IRI under the base belongs to (``id/X#evidence-1`` -> ``id/X``)."""
        if isinstance(term, NamedNode) and "#" in term.value and self.is_local(term):
            owner = term.value.split("#", 1)[0]
            if owner + "#" not in (str(self.vocab.parley), str(self.vocab.shapes)):
                return NamedNode(owner)
        return None

    def is_local(self, term: object) -> bool:
        return isinstance(term, NamedNode) and term.value.startswith(self.vocab.base)

    def label(self, term: Term | GraphName) -> str:
        """The best label of ``term``, or a readable name for it."""
        if isinstance(term, Literal):
            return term.value
        if isinstance(term, BlankNode):
            return "_:" + term.value
        if isinstance(term, DefaultGraph):
            return "the default graph"
        best = self._best.get(term.value)
        if best is not None:
            return best[1]
        owner = self.owner_of(term)
        if owner is not None:
            fragment = term.value.split("#", 1)[1]
            return f"{self.label(owner)} › {fragment.replace('-', ' ')}"
        return self.compact(term)

    def has_label(self, term: Term) -> bool:
        return isinstance(term, NamedNode) and term.value in self._best

    def compact(self, term: NamedNode) -> str:
        """``prefix:local`` for a known namespace, else the IRI (base IRIs lose the base).

        >>> from service.store._oxigraph import OxigraphStore
        >>> v = Vocab("http://h/")
        >>> labels = Labels(OxigraphStore.open(None, v), v)
        >>> labels.compact(NamedNode("https://schema.org/Person"))
        'schema:Person'
        >>> labels.compact(NamedNode("http://h/graph/reference"))
        'graph:reference'
        """
        best_prefix, best_ns = "", ""
        for prefix, ns in self.vocab.prefixes().items():
            if term.value.startswith(ns) and len(ns) > len(best_ns):
                best_prefix, best_ns = prefix, ns
        if best_ns:
            return f"{best_prefix}:{term.value[len(best_ns) :]}"
        if self.is_local(term):
            return term.value[len(self.vocab.base) :] or "/"
        return term.value

    def href(self, term: Term | GraphName) -> str | None:
        """The link for a term: a path for IRIs under the base, the IRI itself otherwise."""
        if not isinstance(term, NamedNode):
            return None
        if self.is_local(term):
            return self._base_path + term.value[len(self.vocab.base) :]
        if term.value.startswith(("http://", "https://")):
            return term.value
        return None

    def maybe(self, term: Term | GraphName | None) -> TermView | None:
        """``view(term)``, or ``None`` for an unbound value."""
        return self.view(term) if term is not None else None

    def view(self, term: Term | GraphName) -> TermView:
        """Everything a template needs to show ``term``."""
        if isinstance(term, Literal):
            note = ""
            if term.language:
                note = "@" + term.language
            elif term.datatype not in (XSD.string, RDF.langString):
                note = self.compact(term.datatype)
            return TermView(str(term), term.value, None, "literal", note=note)
        if isinstance(term, BlankNode):
            return TermView(str(term), "(anonymous node)", f"#bnode-{term.value}", "bnode")
        if isinstance(term, DefaultGraph):
            return TermView("DEFAULT", "the default graph", None, "iri")
        href = self.href(term)
        external = href is not None and not self.is_local(term)
        return TermView(str(term), self.label(term), href, "iri", external, iri=term.value)


def lexical(term: Term | None) -> str | None:
    """A literal's lexical value, or ``None`` for anything else."""
    return term.value if isinstance(term, Literal) else None


def integer(term: Term | None) -> int | None:
    """A literal's value as a whole number, or ``None``.

    >>> integer(Literal("42", datatype=XSD.nonNegativeInteger)), integer(Literal("x"))
    (42, None)
    """
    if isinstance(term, Literal):
        try:
            return int(term.value)
        except ValueError:
            return None
    return None


def _rank(predicate: Term | None, literal: Literal) -> int:
    """Lower is better: label predicates in order, English before no language before others."""
    order = LABEL_PREDICATES.index(predicate) if predicate in LABEL_PREDICATES else 9
    lang = literal.language
    lang_rank = 0 if lang and lang.startswith("en") else 1 if not lang else 2
    return order * 3 + lang_rank
