"""The prefixes a Turtle or TriG document declares: those it uses, and a prefix of its own
for each namespace whose names would otherwise be written with escapes.

Turtle allows ``id:editor\\/parley-desk`` and ``claim:C17\\#evidence-1``, and pyoxigraph
writes them so when the longest declared namespace leaves a ``/`` or ``#`` in the local
name. Nobody reads that comfortably: a namespace of its own (``editor:parley-desk``,
``:evidence-1`` for the fragments of the described entity) reads as a person would write
it, and a document declares only the prefixes it uses.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from service.rdf._terms import Literal, NamedNode, Quad, Triple

#: A local name Turtle writes without escapes (PN_LOCAL, kept to the common characters).
_PLAIN_LOCAL = re.compile(r"[\w](?:[\w.\-]*[\w\-])?|")
#: A prefix name (PN_PREFIX) made of a namespace's last segment.
_PREFIX_NAME = re.compile(r"[A-Za-z][\w\-]*")


#: Written ``a`` in Turtle and ``@type`` in JSON-LD: it needs no prefix.
_RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
_XSD = "http://www.w3.org/2001/XMLSchema#"
#: Literals Turtle writes without their datatype, when their lexical form is the shorthand.
_BARE = {
    _XSD + "integer": re.compile(r"[+-]?\d+"),
    _XSD + "decimal": re.compile(r"[+-]?\d*\.\d+"),
    _XSD + "double": re.compile(r"[+-]?(?:\d+\.\d*|\.\d+|\d+)[eE][+-]?\d+"),
    _XSD + "boolean": re.compile(r"true|false"),
}


def _written_bare(literal: Literal) -> bool:
    """A string, or a number or boolean in Turtle's shorthand: it names no datatype."""
    datatype = literal.datatype.value
    if datatype == _XSD + "string":
        return True
    shorthand = _BARE.get(datatype)
    return shorthand is not None and shorthand.fullmatch(literal.value) is not None


def _named(statements: Iterable[Quad | Triple]) -> set[str]:
    iris: set[str] = set()
    for s in statements:
        terms: list[object] = [s.subject, s.object]
        if s.predicate.value != _RDF_TYPE:
            terms.append(s.predicate)
        if isinstance(s, Quad):
            terms.append(s.graph_name)
        for term in terms:
            if isinstance(term, NamedNode):
                iris.add(term.value)
            elif isinstance(term, Literal) and term.language is None:
                if not _written_bare(term):
                    iris.add(term.datatype.value)
            elif isinstance(term, Triple):  # RDF-star: a quoted triple's terms
                iris |= _named([term])
    return iris


def _split(iri: str) -> tuple[str, str]:
    """The namespace and local name of an IRI, cut after its last ``#`` or ``/``."""
    cut = max(iri.rfind("#"), iri.rfind("/")) + 1
    return iri[:cut], iri[cut:]


def prefixes_for(
    statements: Iterable[Quad | Triple],
    known: Mapping[str, str],
    *,
    subject: str | None = None,
) -> dict[str, str]:
    """The prefixes to declare for ``statements``: each of ``known`` that names one of its
    IRIs plainly, plus one per namespace that none of ``known`` does (the empty prefix for
    the fragments of ``subject``, the described entity).

    >>> known = {"id": "http://x/id/", "claim": "http://x/id/claim/", "rdfs": "http://r#"}
    >>> t = [Triple(NamedNode("http://x/id/claim/C1"), NamedNode("http://x/id/editor/desk"),
    ...             NamedNode("http://x/id/claim/C1#ev-1"))]
    >>> prefixes_for(t, known, subject="http://x/id/claim/C1")
    {'claim': 'http://x/id/claim/', '': 'http://x/id/claim/C1#', 'editor': 'http://x/id/editor/'}
    """
    by_length = sorted(known.items(), key=lambda item: -len(item[1]))
    chosen: dict[str, str] = {}
    unplaced: set[str] = set()
    for iri in sorted(_named(statements)):
        match = next(((p, ns) for p, ns in by_length if iri.startswith(ns)), None)
        if match is not None and _PLAIN_LOCAL.fullmatch(iri[len(match[1]) :]):
            chosen[match[0]] = match[1]
        elif match is not None:  # under a known namespace, but escaped there
            unplaced.add(_split(iri)[0])
    taken = set(known)
    for namespace in sorted(unplaced):
        if subject is not None and namespace == subject + "#":
            name = ""
        else:
            segment = namespace.rstrip("/#").rsplit("/", 1)[-1]
            name = segment if _PREFIX_NAME.fullmatch(segment) else "ns"
            base, n = name, 1
            while name in taken:
                n += 1
                name = f"{base}{n}"
        taken.add(name)
        chosen[name] = namespace
    return chosen
