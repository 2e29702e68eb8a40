"""Where a source comes from, as its page states it above the text: its kind, publisher,
publication date (or the dates it was published between), address, language and the
SHA-256 of its text. The seed article has only some of them; a source added with the
workbench's form (``service.editing._sources``) has all it was given."""

from __future__ import annotations

from dataclasses import dataclass, field

from service.pages._labels import Labels, TermView, lexical
from service.rdf import NamedNode
from service.store import GraphStore

#: The properties shown, by the name the view keeps them under.
_PROPERTIES = {
    "parley:sourceKind": "kinds",
    "dcterms:publisher": "publishers",
    "dcterms:date": "dates",
    "parley:publishedNotBefore": "not_before",
    "parley:publishedNotAfter": "not_after",
    "schema:url": "urls",
    "schema:inLanguage": "languages",
    "parley:textSha256": "sha256",
}


@dataclass
class SourceFacts:
    """What the page says about the document (each list empty where the source says nothing)."""

    kinds: list[TermView] = field(default_factory=list)
    publishers: list[TermView] = field(default_factory=list)
    dates: list[str] = field(default_factory=list)
    not_before: list[str] = field(default_factory=list)
    not_after: list[str] = field(default_factory=list)
    urls: list[TermView] = field(default_factory=list)
    languages: list[str] = field(default_factory=list)
    sha256: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return any(getattr(self, name) for name in _PROPERTIES.values())


def source_facts(store: GraphStore, labels: Labels, iri: NamedNode) -> SourceFacts:
    """The facts of ``iri`` that ``_PROPERTIES`` names, labelled."""
    values = " ".join(_PROPERTIES)
    rows = store.select(
        f"SELECT ?p ?o WHERE {{ VALUES ?p {{ {values} }} {iri} ?p ?o }} ORDER BY ?p ?o"
    )
    labels.fetch(r["o"] for r in rows if isinstance(r["o"], NamedNode))
    prefixes = store.vocab.prefixes()
    by_iri = {
        prefixes[name.split(":")[0]] + name.split(":")[1]: kept
        for name, kept in _PROPERTIES.items()
    }
    terms: dict[str, list[TermView]] = {"kinds": [], "publishers": [], "urls": []}
    texts: dict[str, list[str]] = {name: [] for name in _PROPERTIES.values() if name not in terms}
    for r in rows:
        kept = by_iri.get(r["p"].value)
        if kept in terms:
            if kept == "urls" and not isinstance(r["o"], NamedNode):
                continue
            view = labels.view(r["o"])
            if view.key not in {v.key for v in terms[kept]}:
                terms[kept].append(view)
        elif kept in texts:
            text = lexical(r["o"]) or ""
            if text not in texts[kept]:
                texts[kept].append(text)
    return SourceFacts(
        kinds=terms["kinds"],
        publishers=terms["publishers"],
        urls=terms["urls"],
        dates=texts["dates"],
        not_before=texts["not_before"],
        not_after=texts["not_after"],
        languages=texts["languages"],
        sha256=texts["sha256"],
    )
