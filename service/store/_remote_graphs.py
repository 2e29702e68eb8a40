"""Where Parley's graphs live on a remote store: the two graphs it hides.

The SPARQL protocols can name graphs in ``default-graph-uri`` but not a store's own
default graph, so Parley's default graph is kept in the named graph
``{base}graph/default``. The store's bookkeeping (its version, the write lease and the
change log, ``service.store._remote_commit``) lives in a graph outside Parley's graphs,
``{base}.well-known/parley/store-state``. Neither shows in graph listings.
"""

from __future__ import annotations

from service.rdf import BlankNode, DefaultGraph, GraphName, NamedNode, Quad, Vocab


class StoreGraphs:
    """The names of Parley's hidden graphs on a remote store, and the mapping of Parley's
    default graph to and from the store.

    >>> graphs = StoreGraphs(Vocab("http://parley.test/"))
    >>> graphs.to_store(DefaultGraph()).value
    'http://parley.test/graph/default'
    >>> graphs.from_store(graphs.default)
    <DefaultGraph>
    >>> graphs.head.value
    'http://parley.test/.well-known/parley/store-state#head'
    """

    def __init__(self, vocab: Vocab) -> None:
        #: Where Parley's default graph lives on the store.
        self.default = vocab.graph("default")
        #: Where the version, the write lease and the change log live.
        self.state = NamedNode(vocab.base + ".well-known/parley/store-state")
        self.hidden = (self.default, self.state)
        #: The node that carries the store's version and its last commit's identifier.
        self.head = self.state_node("head")
        #: The node that carries the write lease.
        self.lease = self.state_node("lease")

    def state_node(self, name: str) -> NamedNode:
        """A node of the state graph (``#head``, ``#lease``, ``#change-<n>``)."""
        return NamedNode(f"{self.state.value}#{name}")

    def to_store(self, graph: GraphName) -> NamedNode | BlankNode:
        return self.default if isinstance(graph, DefaultGraph) else graph

    def from_store(self, graph: GraphName) -> GraphName:
        return DefaultGraph() if graph == self.default else graph

    def store_quad(self, quad: Quad) -> Quad:
        if not isinstance(quad.graph_name, DefaultGraph):
            return quad
        return Quad(quad.subject, quad.predicate, quad.object, self.default)
