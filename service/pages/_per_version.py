"""A page whose answers aggregate the whole graph, computed once per version of the store.

The home page and the data page count and rank over everything (claims by claimant,
members by class, statements by graph): on a large store that costs far more than a
page may. ``GraphStore.version`` changes with every commit, of this process or another
sharing the store, so a page kept with its version is exact until the next write, and
every reader in between gets it at no cost.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Generic, TypeVar

from service.pages._labels import Labels
from service.store import GraphStore

T = TypeVar("T")


class PerVersion(Generic[T]):
    """``build(store, labels)``, kept for the store's current version (one store at a time:
    another store, or a new version, computes it again)."""

    def __init__(self, build: Callable[[GraphStore, Labels], T]) -> None:
        self._build = build
        self._lock = threading.Lock()
        self._kept: tuple[GraphStore, int, T] | None = None

    def _found(self, store: GraphStore, version: int) -> T | None:
        kept = self._kept
        if kept is not None and kept[0] is store and kept[1] == version:
            return kept[2]
        return None

    def __call__(self, store: GraphStore, labels: Labels) -> T:
        version = store.version()
        found = self._found(store, version)
        if found is not None:
            return found
        with self._lock:  # one computation at a time; the others then find it kept
            found = self._found(store, version)
            if found is not None:
                return found
            value = self._build(store, labels)
            kept = self._kept
            # No write landed meanwhile (on a remote store a read request reads the version
            # once, so this cannot tell), and the value kept is not of a newer version: a
            # request that read the version just before a write never replaces it.
            newer = kept is not None and kept[0] is store and kept[1] > version
            if store.version() == version and not newer:
                self._kept = (store, version, value)
            return value


K = TypeVar("K")


class PerVersionBy(Generic[K, T]):
    """``build(store, key)``, kept for the store's current version, for the ``size`` keys
    asked last (a long source's claim spans: every page of its text reads them)."""

    def __init__(self, build: Callable[[GraphStore, K], T], size: int = 32) -> None:
        self._build = build
        self._size = size
        self._lock = threading.Lock()
        #: The store the values were read from (one store at a time, as ``PerVersion``: an
        #: ``id()`` could be a new store's once the old one is gone).
        self._store: GraphStore | None = None
        self._kept: OrderedDict[tuple[int, K], T] = OrderedDict()

    def __call__(self, store: GraphStore, key: K) -> T:
        version = store.version()
        slot = (version, key)
        with self._lock:
            if store is not self._store:
                self._store = store
                self._kept.clear()
            if slot in self._kept:
                self._kept.move_to_end(slot)
                return self._kept[slot]
        value = self._build(store, key)
        if store.version() == version:  # no write landed meanwhile
            with self._lock:
                if store is not self._store:
                    return value
                self._kept[slot] = value
                while len(self._kept) > self._size:
                    self._kept.popitem(last=False)
        return value
