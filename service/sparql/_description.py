"""What the endpoint says about itself: SPARQL 1.1 Service Description and VoID.

``GET /sparql`` without a query returns the Service Description (the
endpoint, languages, result formats, the union default graph, the named
graphs); ``/.well-known/void`` returns a VoID description with live
statistics (triples, distinct subjects and objects, class and property
partitions, one subset per named graph). The statistics are computed with
SPARQL over the whole store and cached until the store's ``version()``
changes.
"""

from __future__ import annotations

import threading

from service.rdf import (
    ALL_FORMATS,
    RDF,
    BlankNode,
    DefaultGraph,
    Format,
    Literal,
    NamedNode,
    Namespace,
    Triple,
    serialize,
)
from service.settings import Settings
from service.store import DatasetSpec, GraphStore

SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
VOID = Namespace("http://rdfs.org/ns/void#")
FORMATS = Namespace("http://www.w3.org/ns/formats/")
RDFS_SEE_ALSO = NamedNode("http://www.w3.org/2000/01/rdf-schema#seeAlso")
XSD_INTEGER = NamedNode("http://www.w3.org/2001/XMLSchema#integer")
PREFIXES = {"sd": str(SD), "void": str(VOID), "formats": str(FORMATS), "rdf": str(RDF)}

#: The W3C format IRIs of the formats Parley writes.
_FORMAT_IRIS = {
    "turtle": "Turtle",
    "ntriples": "N-Triples",
    "nquads": "N-Quads",
    "trig": "TriG",
    "jsonld": "JSON-LD",
    "rdfxml": "RDF_XML",
    "json": "SPARQL_Results_JSON",
    "xml": "SPARQL_Results_XML",
    "csv": "SPARQL_Results_CSV",
    "tsv": "SPARQL_Results_TSV",
}


def _int(n: int) -> Literal:
    return Literal(str(n), datatype=XSD_INTEGER)


def service_description(store: GraphStore, settings: Settings, fmt: Format) -> bytes:
    """The Service Description of ``{base}sparql`` in an RDF format."""
    base = settings.base_iri
    service = NamedNode(base + "sparql")
    dataset, default_graph = BlankNode(), BlankNode()
    triples = [
        Triple(service, RDF.type, SD.Service),
        Triple(service, SD.endpoint, service),
        Triple(service, SD.supportedLanguage, SD.SPARQL11Query),
        Triple(service, SD.supportedLanguage, SD.SPARQL11Update),
        Triple(service, SD.feature, SD.UnionDefaultGraph),
        Triple(service, SD.feature, SD.EmptyGraphs),
        Triple(
            service, SD.defaultEntailmentRegime, NamedNode("http://www.w3.org/ns/entailment/Simple")
        ),
        Triple(service, SD.defaultDataset, dataset),
        Triple(dataset, RDF.type, SD.Dataset),
        Triple(dataset, SD.defaultGraph, default_graph),
        Triple(default_graph, RDF.type, SD.Graph),
        Triple(dataset, RDFS_SEE_ALSO, NamedNode(base + ".well-known/void")),
    ]
    triples += [
        Triple(service, SD.resultFormat, FORMATS[_FORMAT_IRIS[f.name]])
        for f in ALL_FORMATS
        if f.name in _FORMAT_IRIS
    ]
    for graph in store.named_graphs():
        if isinstance(graph, NamedNode):
            named = BlankNode()
            triples += [
                Triple(dataset, SD.namedGraph, named),
                Triple(named, RDF.type, SD.NamedGraph),
                Triple(named, SD.name, graph),
            ]
    return serialize(triples, fmt, prefixes=PREFIXES)


class VoidCache:
    """VoID statistics, recomputed when the store's version changes."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._cached: tuple[int, str, list[Triple]] | None = None

    def describe(self, store: GraphStore, base: str, fmt: Format) -> bytes:
        with self._lock:
            version = store.version()
            if self._cached is None or self._cached[:2] != (version, base):
                self._cached = (version, base, void_triples(store, base))
            triples = self._cached[2]
        return serialize(triples, fmt, prefixes=PREFIXES)


#: The real default graph plus every named graph (not Parley's union default).
_WHOLE_STORE = DatasetSpec(default_graphs=(DefaultGraph(),), named_graphs=None)
_ALL = "{ { ?s ?p ?o } UNION { GRAPH ?g { ?s ?p ?o } } }"
_DISTINCT = "SELECT (COUNT(DISTINCT ?VAR) AS ?n) WHERE " + _ALL


def _number(store: GraphStore, query: str) -> int:
    rows = store.select(query, dataset=_WHOLE_STORE)
    value = rows[0].get("n") if rows else None
    return int(value.value) if isinstance(value, Literal) else 0


def void_triples(store: GraphStore, base: str) -> list[Triple]:
    """The VoID description of the whole store, with its statistics."""
    root = NamedNode(base + ".well-known/void#dataset")
    triples = [
        Triple(root, RDF.type, VOID.Dataset),
        Triple(root, VOID.sparqlEndpoint, NamedNode(base + "sparql")),
        Triple(root, VOID.triples, _int(store.count())),
        Triple(root, VOID.distinctSubjects, _int(_number(store, _DISTINCT.replace("VAR", "s")))),
        Triple(root, VOID.distinctObjects, _int(_number(store, _DISTINCT.replace("VAR", "o")))),
    ]
    classes = store.select(
        "SELECT ?c (COUNT(DISTINCT ?s) AS ?n) WHERE { { ?s a ?c } UNION { GRAPH ?g { ?s a ?c } } }"
        " GROUP BY ?c ORDER BY ?c",
        dataset=_WHOLE_STORE,
    )
    for row in classes:
        part = BlankNode()
        triples += [
            Triple(root, VOID.classPartition, part),
            Triple(part, VOID["class"], row["c"]),
            Triple(part, VOID.entities, row["n"]),
        ]
    properties = store.select(
        f"SELECT ?p (COUNT(*) AS ?n) WHERE {_ALL} GROUP BY ?p ORDER BY ?p", dataset=_WHOLE_STORE
    )
    for row in properties:
        part = BlankNode()
        triples += [
            Triple(root, VOID.propertyPartition, part),
            Triple(part, VOID.property, row["p"]),
            Triple(part, VOID.triples, row["n"]),
        ]
    graphs = store.select(
        "SELECT ?g (COUNT(*) AS ?n) (COUNT(DISTINCT ?s) AS ?ns) (COUNT(DISTINCT ?o) AS ?no)"
        " WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY ?g",
        dataset=_WHOLE_STORE,
    )
    for row in graphs:
        subset = BlankNode()
        triples += [
            Triple(root, VOID.subset, subset),
            Triple(subset, RDF.type, VOID.Dataset),
            Triple(subset, SD.name, row["g"]),
            Triple(subset, VOID.triples, row["n"]),
            Triple(subset, VOID.distinctSubjects, row["ns"]),
            Triple(subset, VOID.distinctObjects, row["no"]),
        ]
    return [t for t in triples if t.object is not None]
