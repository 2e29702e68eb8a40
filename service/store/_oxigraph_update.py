"""Changes in Oxigraph's terms: a ``ChangeSet`` as one SPARQL update, and quads in the
form the store keeps them.

Part of the embedded store (``service.store._oxigraph``), which applies the update
to its RocksDB store and keeps it (``UpdateLog``) for the query processes' in-memory
copy (``service.query._worker``) to apply too: the same text gives both the same state.
"""

from __future__ import annotations

from collections import deque

import pyoxigraph

from service.rdf import BlankNode, Literal, NamedNode, Quad, Term
from service.store._base import ChangeSet, has_blank_node, quad_block, term_to_sparql

#: The custom function that names a stored blank node in an update.
BNODE_FN = NamedNode("urn:parley:fn:bnode")


def apply_update(store: pyoxigraph.Store, update: str) -> None:
    """Run an update made by ``changeset_to_update`` (its blank-node function included).

    :raises OSError, SyntaxError: pyoxigraph's; the caller translates them.
    """
    store.update(update, custom_functions={BNODE_FN: _stored_blank_node})


def canonical_quads(quads: list[Quad]) -> list[Quad]:
    """The quads as the store will hold them: typed literals in canonical form.

    Oxigraph rewrites typed literals when it stores them (``"05"^^xsd:integer``
    reads back as ``"5"``, and every integer type becomes ``xsd:integer``); this
    asks a scratch in-memory store for that form, so a change can be compared
    with what the store holds.

    >>> from service.rdf._terms import XSD, NamedNode as N
    >>> q = Quad(N("http://s"), N("http://p"), Literal("05", datatype=XSD.nonNegativeInteger))
    >>> canonical_quads([q])[0].object
    <Literal value=5 datatype=<NamedNode value=http://www.w3.org/2001/XMLSchema#integer>>
    """
    typed = {
        q.object
        for q in quads
        if isinstance(q.object, Literal)
        and not q.object.language
        and q.object.datatype.value != "http://www.w3.org/2001/XMLSchema#string"
    }
    if not typed:
        return quads
    scratch = pyoxigraph.Store()
    predicate = NamedNode("urn:parley:canonical")
    originals = {NamedNode(f"urn:parley:literal:{i}"): lit for i, lit in enumerate(typed)}
    scratch.extend(Quad(s, predicate, lit) for s, lit in originals.items())
    canonical: dict[object, object] = {originals[q.subject]: q.object for q in scratch}
    return [
        q
        if q.object not in canonical or canonical[q.object] == q.object
        else Quad(q.subject, q.predicate, canonical[q.object], q.graph_name)  # type: ignore[arg-type]
        for q in quads
    ]


def _stored_blank_node(identifier: Term) -> BlankNode:
    return BlankNode(identifier.value)


def changeset_to_update(changes: ChangeSet) -> str:
    """The SPARQL update that applies a change set, as one request.

    >>> from service.rdf._terms import NamedNode as N, Literal as L
    >>> g = N("http://g")
    >>> change = ChangeSet(insert=[Quad(N("http://s"), N("http://p"), L("o"), g)])
    >>> print(changeset_to_update(change))
    INSERT DATA { GRAPH <http://g> { <http://s> <http://p> "o" . } }
    """
    ops: list[str] = [f"DROP SILENT GRAPH {term_to_sparql(g)}" for g in changes.drop_graphs]
    ground_delete = [q for q in changes.delete if not has_blank_node(q)]
    ground_insert = [q for q in changes.insert if not has_blank_node(q)]
    blank_delete = [q for q in changes.delete if has_blank_node(q)]
    blank_insert = [q for q in changes.insert if has_blank_node(q)]
    if ground_delete:
        ops.append(f"DELETE DATA {{ {quad_block(ground_delete, {})} }}")
    if blank_delete or blank_insert:
        variables: dict[str, str] = {}
        delete_block = quad_block(blank_delete, variables)
        insert_block = quad_block(blank_insert, variables)
        binds = " ".join(
            f'BIND(<{BNODE_FN.value}>("{bnode}") AS {var})' for bnode, var in variables.items()
        )
        clauses = []
        if blank_delete:
            clauses.append(f"DELETE {{ {delete_block} }}")
        if blank_insert:
            clauses.append(f"INSERT {{ {insert_block} }}")
        ops.append(" ".join(clauses) + f" WHERE {{ {binds} }}")
    if ground_insert:
        ops.append(f"INSERT DATA {{ {quad_block(ground_insert, {})} }}")
    ops.extend(f"CREATE SILENT GRAPH {term_to_sparql(g)}" for g in changes.create_graphs)
    return " ;\n".join(ops)


class UpdateLog:
    """The latest commits' updates, up to ``max_chars`` characters of text in all.

    >>> log = UpdateLog(max_chars=10)
    >>> log.append(1, "INSERT 1"); log.since(0, 1)
    [(1, 'INSERT 1')]
    >>> log.append(2, "INSERT 22"); log.since(0, 2) is None  # the first one was dropped
    True
    >>> log.since(1, 2)
    [(2, 'INSERT 22')]
    """

    def __init__(self, max_chars: int, *, floor: int = 0) -> None:
        self.max_chars = max_chars
        self._entries: deque[tuple[int, str]] = deque()
        self._size = 0
        #: The log holds every update after this version.
        self._floor = floor

    def append(self, version: int, update: str) -> None:
        if self.max_chars <= 0:
            self._floor = version
            return
        self._entries.append((version, update))
        self._size += len(update)
        while self._size > self.max_chars and self._entries:
            dropped, text = self._entries.popleft()
            self._size -= len(text)
            self._floor = dropped

    def forget(self, version: int) -> None:
        """The store changed other than by an update (a bulk load): start again here."""
        self._entries.clear()
        self._size = 0
        self._floor = version

    def since(self, version: int, current: int) -> list[tuple[int, str]] | None:
        if version == current:
            return []
        if version < self._floor or version > current:
            return None
        return [(v, text) for v, text in self._entries if v > version]
