"""A thread's read cache for a remote store (``RemoteStore.reads``).

The gate's reasoning and context lookups are hundreds of small pattern lookups, each a
round trip to the store. Within a block, a lookup by subject (or by object) is answered
from one query per node, made through the ``fetch`` the store hands the cache.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from service.rdf import RDF, BlankNode, NamedNode, Quad

GraphTerm = NamedNode | BlankNode
T = TypeVar("T")
#: Every quad with a subject, or with an object: ``fetch(subject, None, obj)``.
Fetch = Callable[[NamedNode | None, None, NamedNode | None], Iterable[Quad]]


class ReadCache:
    """A thread's cache of lookups by node, while it reads a state it treats as fixed.

    >>> calls = []
    >>> def fetch(s, p, o):
    ...     calls.append((s, o))
    ...     return []
    >>> cache = ReadCache(fetch)
    >>> x = NamedNode("http://example.org/x")
    >>> cache.lookup(x, None, None) is None  # no block active: not cached
    True
    >>> with cache.active():
    ...     cache.lookup(x, None, None), cache.lookup(x, RDF.type, None)
    ([], [])
    >>> len(calls)
    1
    >>> versions = []
    >>> def read_version():
    ...     versions.append(len(versions) + 7)
    ...     return versions[-1]
    >>> with cache.active(nodes=False):
    ...     cache.version(read_version), cache.version(read_version)
    (7, 7)
    >>> cache.version(read_version)  # no block active: read again
    8
    """

    def __init__(self, fetch: Fetch) -> None:
        self._fetch = fetch
        self._local = threading.local()

    @contextmanager
    def active(self, *, nodes: bool = True) -> Iterator[None]:
        """A block of one state: the graphs listed and the version read once, and with
        ``nodes`` the lookups by node read once each (a block within a block takes them
        up)."""
        local = self._local
        depth = getattr(local, "depth", 0)
        if depth == 0:
            local.by_subject, local.by_object, local.graphs = {}, {}, None
            local.version = None
            local.nodes = nodes
        else:
            local.nodes = local.nodes or nodes
        local.depth = depth + 1
        try:
            yield
        finally:
            local.depth -= 1
            if local.depth == 0:
                local.by_subject = local.by_object = local.graphs = local.version = None

    def clear(self) -> None:
        if getattr(self._local, "depth", 0):
            self._local.by_subject, self._local.by_object = {}, {}
            self._local.graphs = self._local.version = None

    def graphs(self, read: Callable[[], list[GraphTerm]]) -> list[GraphTerm]:
        """The named graphs, read once per block (every query's dataset names them)."""
        found: list[GraphTerm] = self._once("graphs", read)
        return found

    def version(self, read: Callable[[], int]) -> int:
        """The store's version, read once per block: a page reads it for each of its
        kept parts (``service.pages._per_version``), each a round trip to the store."""
        found: int = self._once("version", read)
        return found

    def _once(self, name: str, read: Callable[[], T]) -> T:
        """``read()``, kept as ``name`` until the block ends or ``clear``; read each time
        outside a block."""
        local = self._local
        if not getattr(local, "depth", 0):
            return read()
        if getattr(local, name) is None:
            setattr(local, name, read())
        found: T = getattr(local, name)
        return found

    def lookup(self, subject: object, predicate: object, obj: object) -> list[Quad] | None:
        """Every quad of the pattern's node, from the cache (read once); ``None`` when the
        pattern is not cached (no cache active, or a lookup by class, which can be huge)."""
        if not getattr(self._local, "depth", 0) or not self._local.nodes:
            return None
        fetch: tuple[NamedNode | None, None, NamedNode | None]
        if isinstance(subject, NamedNode):
            table, key = self._local.by_subject, subject
            fetch = (subject, None, None)
        elif subject is None and isinstance(obj, NamedNode) and predicate != RDF.type:
            table, key = self._local.by_object, obj
            fetch = (None, None, obj)
        else:
            return None
        found: list[Quad] | None = table.get(key)
        if found is None:
            found = list(self._fetch(*fetch))
            table[key] = found
        return found
