"""RDF term types used across Parley, and standard namespaces.

The term classes are pyoxigraph's: they are plain values (hashable, immutable)
and are what the store returns, so no conversion happens on the hot paths.
The engine itself (``Store``, parsers, serialisers) is imported only by
``service.store._oxigraph`` and ``service.rdf._io``.
"""

from __future__ import annotations

from pyoxigraph import BlankNode, DefaultGraph, Literal, NamedNode, Quad, Triple

__all__ = [
    "DCTERMS",
    "OA",
    "OWL",
    "PROV",
    "RDF",
    "RDFS",
    "SCHEMA",
    "SEM",
    "SH",
    "SKOS",
    "XSD",
    "BlankNode",
    "DefaultGraph",
    "GraphName",
    "Literal",
    "NamedNode",
    "Namespace",
    "Object",
    "Quad",
    "Subject",
    "Term",
    "Triple",
]

Subject = NamedNode | BlankNode
Object = NamedNode | BlankNode | Literal
Term = NamedNode | BlankNode | Literal
GraphName = NamedNode | BlankNode | DefaultGraph


class Namespace(str):
    """An IRI prefix; ``ns.term`` and ``ns["term"]`` give ``NamedNode`` values.

    >>> Namespace("http://example.org/")["a-b"].value
    'http://example.org/a-b'
    >>> RDFS.label.value
    'http://www.w3.org/2000/01/rdf-schema#label'
    """

    __slots__ = ()

    def __getattr__(self, name: str) -> NamedNode:
        if name.startswith("__"):
            raise AttributeError(name)
        return NamedNode(str(self) + name)

    def __getitem__(self, name: str) -> NamedNode:  # type: ignore[override]
        return NamedNode(str(self) + name)

    def contains(self, term: object) -> bool:
        """True if ``term`` is an IRI in this namespace."""
        return isinstance(term, NamedNode) and term.value.startswith(str(self))


RDF = Namespace("http://www.w3.org/1999/02/22-rdf-syntax-ns#")
RDFS = Namespace("http://www.w3.org/2000/01/rdf-schema#")
OWL = Namespace("http://www.w3.org/2002/07/owl#")
XSD = Namespace("http://www.w3.org/2001/XMLSchema#")
SKOS = Namespace("http://www.w3.org/2004/02/skos/core#")
DCTERMS = Namespace("http://purl.org/dc/terms/")
SCHEMA = Namespace("https://schema.org/")
PROV = Namespace("http://www.w3.org/ns/prov#")
OA = Namespace("http://www.w3.org/ns/oa#")
SEM = Namespace("http://semanticweb.cs.vu.nl/2009/11/sem/")
SH = Namespace("http://www.w3.org/ns/shacl#")
