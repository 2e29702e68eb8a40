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
- ``graph/provenance``: one record per accepted write;
- ``graph/history``: earlier versions of claims (``<claim>/v<n>``, typed
  ``parley:ClaimVersion``, their statements kept as reifications) and the marks of
  withdrawn claims (``parley:withdrawn true``).

Every graph under ``{base}graph/`` is one of "Parley's graphs": they dereference and
the pages read them. Queries see their union as the default graph, together with
the store's own default graph (``Vocab.in_union_default``). A query for claims sees
the current ones: an earlier version's statements are reifications
(``parley:keptStatement``), which no pattern for a claim's own statements matches.

What a client may write under the base (``Vocab.may_write``): the data graphs
(``graph/reference``, ``graph/editorial``, ``graph/claims/<source>``), which the
write gate validates, and ``{base}store/<name>``, where the Graph Store Protocol
names clients' own graphs (``/store/<name>``, ``POST /store``). Any other graph
under the base is a mistake (``claims/article`` for ``graph/claims/article``) or a
look-alike (``graph/inferred/``, ``graph/inferred%2F``): written, it would skip
validation or join the default graph as a new Parley graph. Graphs outside the
base are the client's own, written as sent.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import unquote

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
#: Graphs only the editing core writes (``service.editing``, through the gate with
#: ``WriteGate.submit(..., history=True)``): clients are refused, as for the build-only ones.
EDITING_ONLY_GRAPHS = ("history",)
#: The data graphs clients write, besides ``claims/<source>``.
DATA_GRAPHS = ("reference", "editorial")
#: A source's name in ``graph/claims/<source>``: one path segment of letters, digits and
#: ``. _ -`` inside (``article``, ``s2``): nothing a look-alike needs (``/``, ``%``, ``?``).
SOURCE_SLUG = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9._-]{0,126}[A-Za-z0-9])?")
#: Where, under the base, the Graph Store Protocol names clients' own graphs.
CLIENT_GRAPHS = "store/"


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

    @property
    def history_graph(self) -> NamedNode:
        """Superseded versions and withdrawn claims (``graph/history``)."""
        return self.graph("history")

    def is_parley_graph(self, graph: object) -> bool:
        """True for every named graph under ``{base}graph/``."""
        return self.graph_ns.contains(graph)

    def in_union_default(self, graph: object) -> bool:
        """True for the named graphs merged into the default graph of a query that names no
        dataset: every one of Parley's graphs (the store's own default graph is merged too;
        it is not a named graph). ``graph/history`` is one of them: it holds earlier
        versions as reifications, which no query for current claims matches. Leaving a
        graph out would cost more than it saves: Oxigraph evaluates a default graph that
        is not the union of every named graph graph by graph (10 to 60 times slower).

        >>> v = Vocab("http://h/")
        >>> [v.in_union_default(NamedNode("http://h/graph/" + name))
        ...  for name in ("claims/article", "inferred", "provenance", "history")]
        [True, True, True, True]
        >>> v.in_union_default(NamedNode("http://example.org/g"))
        False
        """
        return self.is_parley_graph(graph)

    def is_reasoned_graph(self, graph: object) -> bool:
        """True for the asserted data graphs: every Parley graph but the build-only ones and
        ``graph/history`` (old versions and withdrawn claims entail nothing current)."""
        return self.is_parley_graph(graph) and not self.is_protected_graph(graph)

    def is_build_only_graph(self, graph: object) -> bool:
        """True for the graphs only ``parley build`` writes."""
        return any(graph == self.graph(name) for name in BUILD_ONLY_GRAPHS)

    def is_editing_only_graph(self, graph: object) -> bool:
        """True for the graphs only the editing core writes (``graph/history``)."""
        return any(graph == self.graph(name) for name in EDITING_ONLY_GRAPHS)

    def is_protected_graph(self, graph: object) -> bool:
        """True for the graphs no client writes: the build-only ones and ``graph/history``."""
        return self.is_build_only_graph(graph) or self.is_editing_only_graph(graph)

    def is_data_graph(self, graph: object) -> bool:
        """True for the graphs clients write and the gate validates: ``graph/reference``,
        ``graph/editorial`` and ``graph/claims/<source>``.

        >>> v = Vocab("http://h/")
        >>> [v.is_data_graph(NamedNode("http://h/graph/" + name))
        ...  for name in ("claims/article", "claims/article/", "inferred%2F", "editorial")]
        [True, False, False, True]
        """
        if not isinstance(graph, NamedNode) or not self.graph_ns.contains(graph):
            return False
        name = graph.value[len(self.base) + len("graph/") :]
        if name in DATA_GRAPHS:
            return True
        slug = name.removeprefix("claims/")
        return slug != name and SOURCE_SLUG.fullmatch(slug) is not None

    def may_write(self, graph: object) -> bool:
        """True for a graph a client may write into: Parley's data graphs, ``{base}store/…``
        (a client's own, named by the Graph Store Protocol), and every graph outside the
        base (the default graph too). The build-only graphs are refused elsewhere, with why.

        >>> v = Vocab("http://h/")
        >>> [v.may_write(NamedNode(iri)) for iri in (
        ...     "http://h/graph/claims/article", "http://h/store/mine", "http://example.org/g",
        ...     "http://h/claims/article", "http://h/graph/inferred/", "http://h/")]
        [True, True, True, False, False, False]
        """
        if not isinstance(graph, NamedNode) or not graph.value.startswith(self.base):
            return True
        local = graph.value[len(self.base) :]
        if local.startswith(CLIENT_GRAPHS) and len(local) > len(CLIENT_GRAPHS):
            return True
        return self.is_data_graph(graph)

    def nearest_graph(self, graph: NamedNode, known: Iterable[object] = ()) -> NamedNode | None:
        """The graph under the base that ``graph`` was most likely meant to name: a data
        graph, one of ``known`` (the store's graphs), or a build-only graph it looks like;
        ``None`` when nothing is close. Percent-escapes, a query, a fragment, stray
        slashes and case are ignored, and a name without ``graph/`` is read with it.

        >>> v = Vocab("http://h/")
        >>> [v.nearest_graph(NamedNode("http://h/" + local)).value[9:] for local in (
        ...     "claims/article", "graph/inferred%2F", "graph/Inferred/?x", "graph/refrence")]
        ['graph/claims/article', 'graph/inferred', 'graph/inferred', 'graph/reference']
        """
        if not graph.value.startswith(self.base):
            return None
        read = unquote(graph.value[len(self.base) :]).split("#", 1)[0].split("?", 1)[0]
        read = "/".join(part for part in read.split("/") if part).casefold()
        named = read if read.startswith("graph/") else "graph/" + read
        protected = (*BUILD_ONLY_GRAPHS, *EDITING_ONLY_GRAPHS)
        candidates = {f"graph/{name}" for name in (*DATA_GRAPHS, *protected)}
        slug = named.removeprefix("graph/claims/")
        if slug != named and SOURCE_SLUG.fullmatch(slug):
            candidates.add(named)
        by_key = {name.casefold(): name for name in candidates}
        for other in known:
            if isinstance(other, NamedNode) and self.is_data_graph(other):
                name = other.value[len(self.base) :]
                by_key[name.casefold()] = name
        found = difflib.get_close_matches(named, list(by_key), n=1, cutoff=0.75)
        return NamedNode(self.base + by_key[found[0]]) if found else None

    def prefixes(self) -> dict[str, str]:
        """Prefixes pre-declared for internal queries and the SPARQL endpoint."""
        return {
            "parley": str(self.parley),
            "id": str(self.id),
            # The data files' own prefixes: entities under them print as claim:headline,
            # not id:claim\/headline (Turtle escapes a "/" in a local name).
            "claim": f"{self.id}claim/",
            "src": f"{self.id}source/",
            "ref": f"{self.id}ref/",
            "review": f"{self.id}review/",
            "proposition": f"{self.id}proposition/",
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
