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

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from urllib.parse import urlsplit

from service.pages._known_labels import KNOWN
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

#: Friendly names of the common terms of other vocabularies that carry no label in Parley's
#: ontology (``Labels.friendly``): a reader sees "source", never ``dcterms:source``.
CURATED_LABELS = {
    RDF.type.value: "type",
    RDF.subject.value: "statement subject",
    RDF.predicate.value: "statement predicate",
    RDF.object.value: "statement object",
    RDFS.label.value: "label",
    RDFS.comment.value: "comment",
    RDFS.subClassOf.value: "subclass of",
    RDFS.subPropertyOf.value: "subproperty of",
    SKOS.prefLabel.value: "preferred label",
    SKOS.altLabel.value: "also known as",
    SKOS.definition.value: "definition",
    SKOS.exactMatch.value: "same as (exact match)",
    SKOS.inScheme.value: "in scheme",
    DCTERMS.source.value: "source",
    DCTERMS.identifier.value: "identifier",
    DCTERMS.created.value: "created",
    DCTERMS.creator.value: "creator",
    DCTERMS.date.value: "date",
    DCTERMS.publisher.value: "publisher",
    DCTERMS.license.value: "licence",
    DCTERMS.description.value: "description",
    DCTERMS["title"].value: "title",
    SCHEMA.description.value: "description",
    SCHEMA.name.value: "name",
    SCHEMA.startDate.value: "start date",
    SCHEMA.endDate.value: "end date",
    SCHEMA.datePublished.value: "date published",
    SCHEMA.headline.value: "headline",
    SCHEMA.identifier.value: "identifier",
    SCHEMA.inLanguage.value: "language",
    SCHEMA.reviewBody.value: "review text",
    SCHEMA.text.value: "text",
    SCHEMA.url.value: "address (URL)",
}


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

    def beside(self, claimant: TermView | None) -> tuple[str, TermView]:
        """This claim as a line shows it after its claimant's name: the label's own
        speaker dropped ("Putin: X" reads "Vladimir Putin: X", never "Vladimir Putin:
        Putin: X"), and the speaker's qualifier ("as the article paraphrases him"), or ""
        when the claimant's own label already says it. Only beside a claimant: alone, a
        claim keeps its speaker, so its words never read as a fact.

        >>> c = TermView("<c>", "Putin (as the article paraphrases him): X", "/c", "iri")
        >>> who = TermView("<p>", "Vladimir Putin", "/p", "iri")
        >>> note, words = c.beside(who)
        >>> note, words.text, c.beside(None)[1].text == c.text
        ('as the article paraphrases him', 'X', True)
        """
        if claimant is None:
            return "", self
        speaker, qualifier, words = split_speaker(self.text)
        if not speaker:
            return "", self
        if qualifier.casefold() in claimant.text.casefold():
            qualifier = ""
        return qualifier, replace(self, text=words)


#: A claim label names its speaker first, with an optional qualifier: "Putin: ...",
#: "Putin (as the article paraphrases him): ..." (``data/README.md``). A speaker is a
#: short name: no colon, parenthesis or end of sentence in it.
_SPEAKER = re.compile(
    r"(?P<who>[^:()?!.\n]{1,60}?)(?:\s*\((?P<as>[^()\n]{1,80})\))?:\s+(?P<words>\S.*)", re.S
)


def split_speaker(label: str) -> tuple[str, str, str]:
    """A claim label cut into its speaker, the speaker's qualifier and the claim's words;
    ``("", "", label)`` when it names no speaker first.

    >>> split_speaker("'Western analysts' (as reported by Putin): Kyiv should concede")
    ("'Western analysts'", 'as reported by Putin', 'Kyiv should concede')
    >>> split_speaker("Author asks whether Moscow will walk out")
    ('', '', 'Author asks whether Moscow will walk out')
    """
    found = _SPEAKER.fullmatch(label)
    if found is None:
        return "", "", label
    return found["who"].strip(), found["as"] or "", found["words"]


class Labels:
    """Labels of terms for one base IRI, fetched in batches and cached (``KNOWN`` keeps
    them for the store's version)."""

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
        if not wanted:
            return
        version = self.store.version()
        known, missing = KNOWN.split(self.store, version, wanted)
        for iri, (best, rdfs_labels) in known.items():
            if best is not None:
                self._best[iri] = best
            if rdfs_labels:
                self.rdfs_labels[iri] = list(rdfs_labels)
        for start in range(0, len(missing), _BATCH):
            self._fetch_batch(missing[start : start + _BATCH])
        if missing:
            KNOWN.keep(
                self.store,
                version,
                {
                    iri: (self._best.get(iri), tuple(self.rdfs_labels.get(iri, ())))
                    for iri in missing
                },
            )

    def _fetch_batch(self, iris: list[str]) -> None:
        values = " ".join(f"<{iri}>" for iri in iris)
        preds = ", ".join(str(p) for p in LABEL_PREDICATES)
        # A filter on ?p, not a second VALUES block: Oxigraph then reads each IRI's own
        # statements instead of joining every label of the store (10x faster at 300k quads).
        rows = self.store.select(
            f"SELECT ?x ?p ?l WHERE {{ VALUES ?x {{ {values} }} ?x ?p ?l "
            f"FILTER(?p IN ({preds}) && isLiteral(?l)) }}"
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

    def friendly(self, term: Term | GraphName) -> TermView:
        """``view(term)`` named for a reader, for a property or a class: the curated name
        of a common term, or its label with camelCase words split ("acted on behalf of")."""
        found = self.view(term)
        if not isinstance(term, NamedNode):
            return found
        text = CURATED_LABELS.get(term.value)
        if text is None and not self.is_local(term) and self.has_label(term):
            # Other vocabularies label terms by their local names ("actedOnBehalfOf").
            text = humanised(found.text)
        return replace(found, text=text) if text else found

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


def humanised(name: str) -> str:
    """A camelCase name as lower-case words; anything but letters and spaces is kept.

    >>> humanised("actedOnBehalfOf"), humanised("CreativeWork"), humanised("has Actor")
    ('acted on behalf of', 'creative work', 'has actor')
    >>> humanised("OSCE"), humanised("rdf:type")
    ('OSCE', 'rdf:type')
    """
    if not name.replace(" ", "").isalpha():
        return name
    words = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", name).split()
    return " ".join(w if w.isupper() and len(w) > 1 else w.lower() for w in words)


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
