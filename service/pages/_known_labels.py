"""The labels read at the store's current version, kept for the pages that follow
(``KNOWN``, which ``service.pages._labels.Labels`` consults before it asks the store)."""

from __future__ import annotations

import threading

from service.rdf import Literal
from service.store import GraphStore

#: IRIs whose labels ``KnownLabels`` keeps at most (then it starts again).
_KNOWN_MAX = 50_000

#: An IRI's best label (its rank and text; ``None``: it has none) and its ``rdfs:label``s.
Found = tuple[tuple[int, str] | None, tuple[Literal, ...]]


class KnownLabels:
    """The labels read at the store's current version, shared by every page that reads
    that version: a page's terms (its actors, sources, claims) are mostly on the pages
    read before it, and each batch of them is a query (on a remote store, a round trip).
    A write moves the version on, and they are read again.

    A label is read after the version it is kept under, so it is never older than that
    version (at worst newer, when a write landed in between: a page that read the version
    just before the write then shows the new label). Versions only go up: labels of an
    older version never replace a newer version's. It holds the last store it was given,
    as ``PerVersion`` does (one store a process, but for tests).

    >>> known, store = KnownLabels(), object()
    >>> known.keep(store, 2, {"a": ((0, "A"), ())})
    >>> known.split(store, 2, ["a", "b"])
    ({'a': ((0, 'A'), ())}, ['b'])
    >>> known.keep(store, 1, {"b": (None, ())})  # an older version's: not kept
    >>> known.split(store, 2, ["b"]), known.split(store, 3, ["a"]), known.split(object(), 2, ["a"])
    (({}, ['b']), ({}, ['a']), ({}, ['a']))
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._at: tuple[GraphStore, int] | None = None
        self._found: dict[str, Found] = {}

    def split(
        self, store: GraphStore, version: int, iris: list[str]
    ) -> tuple[dict[str, Found], list[str]]:
        """What is known of ``iris`` at ``version`` of ``store``, and the IRIs to read."""
        with self._lock:
            if self._at is None or self._at[0] is not store or self._at[1] != version:
                return {}, iris
            known = {iri: self._found[iri] for iri in iris if iri in self._found}
        return known, [iri for iri in iris if iri not in known]

    def keep(self, store: GraphStore, version: int, found: dict[str, Found]) -> None:
        with self._lock:
            if self._at is None or self._at[0] is not store or self._at[1] < version:
                self._at, self._found = (store, version), {}
            elif self._at[1] > version:
                return  # a request that read the version before a write
            self._found.update(found)
            if len(self._found) > _KNOWN_MAX:
                self._found = {}


#: One per process: pages are read by many threads at once.
KNOWN = KnownLabels()
