"""Parley's own IRIs, which are all relative to the deployment's base IRI.

The files in ``ontology/``, ``shapes/`` and ``data/`` use relative IRIs
(``<ontology#Claim>``, ``<id/Putin>``); ``parley build`` resolves them against
``--base-iri``, so every IRI in the store is served by the server that holds
it. ``Vocab`` gives the resolved namespaces, the named graphs and the prefix
table that internal queries (and the SPARQL endpoint) pre-declare.

The named graphs (see README, "Named graphs"):

- ``graph/ontology``: the OWL ontology and the local copies of external axioms;
- ``graph/shapes``: the SHACL shapes;
- ``graph/reference``: actors, places and events from the public record;
- ``graph/claims/<source>``: one source, its text and the claims it makes;
- ``graph/editorial``: editorial reviews and the editors who wrote them;
- ``graph/inferred``: the OWL 2 RL consequences of the graphs above;
- ``graph/provenance``: one record per accepted write.

Every graph under ``{base}graph/`` is one of "Parley's graphs": queries see
their union as the default graph, together with the store's own default graph.
"""

from __future__ import annotations

from dataclasses import dataclass

from service.rdf._terms import (
    DCTERMS,
    OA,
    OWL,
    PROV,
    RDF,
    RDFS,
    SCHEMA,
    SEM,
    SH,
    SKOS,
    XSD,
    NamedNode,
    Namespace,
)

#: Graphs that only ``parley build`` writes; the write paths refuse them.
BUILD_ONLY_GRAPHS = ("ontology", "shapes", "inferred", "provenance")


@dataclass(frozen=True)
class Vocab:
    """Parley's namespaces and named graphs for one base IRI.

    >>> v = Vocab("http://127.0.0.1:8000/")
    >>> v.parley.Claim.value
    'http://127.0.0.1:8000/ontology#Claim'
    >>> v.claims_graph("article").value
    'http://127.0.0.1:8000/graph/claims/article'
    >>> v.is_parley_graph(NamedNode("http://127.0.0.1:8000/graph/reference"))
    True
    """

    base: str

    @property
    def parley(self) -> Namespace:
        """The ontology namespace (``{base}ontology#``)."""
        return Namespace(self.base + "ontology#")

    @property
    def id(self) -> Namespace:
        """Entities: actors, places, events, claims, sources (``{base}id/``)."""
        return Namespace(self.base + "id/")

    @property
    def shapes(self) -> Namespace:
        """Shapes (``{base}shapes#``)."""
        return Namespace(self.base + "shapes#")

    @property
    def graph_ns(self) -> Namespace:
        """Parley's named graphs (``{base}graph/``)."""
        return Namespace(self.base + "graph/")

    @property
    def genid(self) -> Namespace:
        """Skolem IRIs for blank nodes written into Parley's graphs (RDF 1.1, 3.5)."""
        return Namespace(self.base + ".well-known/genid/")

    @property
    def ontology_iri(self) -> NamedNode:
        return NamedNode(self.base + "ontology")

    def graph(self, name: str) -> NamedNode:
        """The named graph ``{base}graph/{name}``."""
        return NamedNode(self.base + "graph/" + name)

    def claims_graph(self, source_slug: str) -> NamedNode:
        return self.graph("claims/" + source_slug)

    @property
    def ontology_graph(self) -> NamedNode:
        return self.graph("ontology")

    @property
    def shapes_graph(self) -> NamedNode:
        return self.graph("shapes")

    @property
    def reference_graph(self) -> NamedNode:
        return self.graph("reference")

    @property
    def editorial_graph(self) -> NamedNode:
        return self.graph("editorial")

    @property
    def inferred_graph(self) -> NamedNode:
        return self.graph("inferred")

    @property
    def provenance_graph(self) -> NamedNode:
        return self.graph("provenance")

    def is_parley_graph(self, graph: object) -> bool:
        """True for every named graph under ``{base}graph/``."""
        return self.graph_ns.contains(graph)

    def is_reasoned_graph(self, graph: object) -> bool:
        """True for the asserted data graphs: every Parley graph but the build-only ones."""
        return self.is_parley_graph(graph) and not self.is_build_only_graph(graph)

    def is_build_only_graph(self, graph: object) -> bool:
        """True for the graphs only ``parley build`` writes."""
        return any(graph == self.graph(name) for name in BUILD_ONLY_GRAPHS)

    def prefixes(self) -> dict[str, str]:
        """Prefixes pre-declared for internal queries and the SPARQL endpoint."""
        return {
            "parley": str(self.parley),
            "id": str(self.id),
            "graph": str(self.graph_ns),
            "psh": str(self.shapes),
            "rdf": str(RDF),
            "rdfs": str(RDFS),
            "owl": str(OWL),
            "xsd": str(XSD),
            "skos": str(SKOS),
            "dcterms": str(DCTERMS),
            "schema": str(SCHEMA),
            "prov": str(PROV),
            "oa": str(OA),
            "sem": str(SEM),
            "sh": str(SH),
            "wd": "http://www.wikidata.org/entity/",
        }
