"""What a name in a claim's fields stands for: an IRI, a local name, or a label.

A person types ``Putin``, a spreadsheet says ``Vladimir Putin`` or ``demanded``, a
program sends ``id/Putin`` or the whole IRI: each resolves to one IRI of the store,
or to a message that says why it does not (nothing has that name; several things
do). Choices (``sh:in`` in the shapes: modality, claim type, stance value) resolve
among their own values only, by IRI, local name (``modality-demanded``), the part
after the scheme's prefix (``demanded``) or label. Every lookup is an index lookup
but the case-insensitive label scan, and every answer is cached for the batch.
"""

from __future__ import annotations

import re
from urllib.parse import urljoin

from service.rdf import RDFS, SCHEMA, SKOS, Literal, NamedNode, Vocab
from service.store import GraphStore

#: Where, under the base, a bare local name is looked for, in order.
_NAMESPACES = ("id/", "ontology#", "id/proposition/", "id/claim/", "id/source/", "id/ref/")
#: Predicates a person names a thing by.
_NAMES = (RDFS.label, SKOS.prefLabel, SKOS.altLabel, SCHEMA.name)


class UnknownNameError(ValueError):
    """A name that stands for no single IRI; the message says why."""


def local_name(iri: str) -> str:
    """The part of an IRI after its last ``#`` or ``/``.

    >>> local_name("http://h/ontology#modality-demanded"), local_name("http://h/id/Putin")
    ('modality-demanded', 'Putin')
    """
    return iri.rsplit("#", 1)[-1].rsplit("/", 1)[-1]


def _literal(text: str) -> str:
    return str(Literal(text))


class Names:
    """Names resolved against one store (cached: make one per request or batch)."""

    def __init__(self, store: GraphStore, vocab: Vocab) -> None:
        self.store = store
        self.vocab = vocab
        self._resolved: dict[str, NamedNode | str] = {}
        self._choices: dict[str, list[tuple[NamedNode, list[str]]]] = {}
        self._exists: dict[str, bool] = {}
        self._types: dict[str, set[str]] = {}

    # -- single names ------------------------------------------------------------------

    def iri(self, value: str) -> NamedNode:
        """The IRI ``value`` names.

        :raises UnknownNameError: it names nothing, or several things.
        """
        found = self._resolved.get(value)
        if found is None:
            found = self._resolve(value)
            self._resolved[value] = found
        if isinstance(found, str):
            raise UnknownNameError(found)
        return found

    def _resolve(self, value: str) -> NamedNode | str:
        text = value.strip().strip("<>")
        if not text:
            return "a name is empty"
        prefix, colon, rest = text.partition(":")
        known = self.vocab.prefixes()
        if colon and prefix in known and not rest.startswith("//"):  # id:Putin, parley:Person
            text = known[prefix] + rest
        try:
            if "://" in text or text.startswith(("urn:", "mailto:")):
                return NamedNode(text)
            if "/" in text or "#" in text:
                return NamedNode(urljoin(self.vocab.base, text))
        except ValueError:
            return f"{value!r} is not a valid IRI"
        if re.fullmatch(r"[Cc][0-9]{1,9}", text):  # a claim's identifier, as people cite it
            number = int(text[1:])
            rows = self.store.select(
                "SELECT DISTINCT ?c WHERE { VALUES ?id { "
                + " ".join({_literal(f"C{number:0{w}d}") for w in (1, 2, 3)})
                + " } ?c dcterms:identifier ?id ; a parley:Claim } LIMIT 2"
            )
            if len(rows) == 1 and isinstance(rows[0].get("c"), NamedNode):
                found = rows[0]["c"]
                assert isinstance(found, NamedNode)
                return found
        if re.fullmatch(r"[A-Za-z0-9_.-]+", text):  # a local name: id:Putin, parley:Person
            for prefix in _NAMESPACES:  # id:Putin, parley:Person, a proposition's slug, ...
                candidate = NamedNode(self.vocab.base + prefix + text)
                if self.exists(candidate):
                    return candidate
        named = self._by_label(text)
        if len(named) == 1:
            return named[0]
        if named:
            listed = ", ".join(f"<{n.value}>" for n in named[:4])
            return f"{value!r} names several things ({listed}): give the IRI"
        return f"{value!r} names nothing in the store (give an IRI, a local name or a label)"

    def _by_label(self, text: str) -> list[NamedNode]:
        """What has ``text`` as a name: exact literals first (index lookups), then any case."""
        values = f"{_literal(text)} {_literal(text)}@en"  # the two forms the data writes
        exact = self.store.select(
            f"SELECT DISTINCT ?s WHERE {{ VALUES ?l {{ {values} }} "
            f"VALUES ?p {{ {' '.join(str(p) for p in _NAMES)} }} ?s ?p ?l . "
            "FILTER(isIRI(?s)) } LIMIT 5"
        )
        if not exact:
            exact = self.store.select(
                f"SELECT DISTINCT ?s WHERE {{ VALUES ?p {{ {' '.join(str(p) for p in _NAMES)} }} "
                f"?s ?p ?l . FILTER(isIRI(?s) && isLiteral(?l) && "
                f"LCASE(STR(?l)) = LCASE({_literal(text)})) }} LIMIT 5"
            )
        return [row["s"] for row in exact if isinstance(row.get("s"), NamedNode)]  # type: ignore[misc]

    def exists(self, iri: NamedNode) -> bool:
        """Whether a triple of the store (any named graph) mentions ``iri``."""
        known = self._exists.get(iri.value)
        if known is None:
            known = self.store.ask(
                f"ASK {{ {{ {iri} ?p ?o }} UNION {{ ?s ?p {iri} }} "
                f"UNION {{ GRAPH ?g {{ {iri} ?p2 ?o2 }} }} }}"
            )
            self._exists[iri.value] = known
        return known

    def types(self, iri: NamedNode) -> set[str]:
        """The IRIs of the classes of ``iri`` (inferred ones included)."""
        found = self._types.get(iri.value)
        if found is None:
            rows = self.store.select(f"SELECT DISTINCT ?t WHERE {{ {iri} a ?t }}")
            found = {row["t"].value for row in rows if "t" in row}
            self._types[iri.value] = found
        return found

    # -- choices -------------------------------------------------------------------------

    def choice(self, value: str, path: NamedNode) -> NamedNode:
        """The value of the ``sh:in`` list of ``path`` in the shapes that ``value`` names.

        :raises UnknownNameError: it is none of them.
        """
        options = self.choices(path)
        if not options:
            return self.iri(value)
        wanted = value.strip().strip("<>")
        try:
            absolute = urljoin(self.vocab.base, wanted) if ":" not in wanted else wanted
        except ValueError:
            absolute = wanted
        folded = wanted.casefold()
        for iri, labels in options:
            name = local_name(iri.value)
            if (
                iri.value in (wanted, absolute)
                or name.casefold() == folded
                or name.casefold().endswith("-" + folded)
                or folded in (label.casefold() for label in labels)
            ):
                return iri
        allowed = ", ".join(local_name(iri.value).split("-", 1)[-1] for iri, _l in options)
        raise UnknownNameError(f"{value!r} is not one of the values allowed here ({allowed})")

    def choices(self, path: NamedNode) -> list[tuple[NamedNode, list[str]]]:
        """The ``sh:in`` values the shapes give ``path``, with their labels."""
        found = self._choices.get(path.value)
        if found is None:
            shapes = self.vocab.shapes_graph
            rows = self.store.select(
                f"SELECT DISTINCT ?v ?label WHERE {{ GRAPH {shapes} {{ ?ps sh:path {path} ; "
                "sh:in ?list . ?list rdf:rest*/rdf:first ?v } "
                "OPTIONAL { ?v rdfs:label|skos:prefLabel ?label } }"
            )
            by_value: dict[str, tuple[NamedNode, list[str]]] = {}
            for row in rows:
                v = row.get("v")
                if isinstance(v, NamedNode):
                    entry = by_value.setdefault(v.value, (v, []))
                    if "label" in row:
                        entry[1].append(row["label"].value)
            found = list(by_value.values())
            self._choices[path.value] = found
        return found
