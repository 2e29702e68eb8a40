"""Consistent read-only copies of the store for the query workers.

Query workers are separate processes (so a runaway query can be killed), and
RocksDB lets one process write a store; so each worker reads a *snapshot*: a
``Store.backup`` checkpoint (hard links, about 12 ms at 1M triples) opened
read-only. A new snapshot is taken lazily, when a query arrives and the
store's ``version()`` changed since the last one, so a client always reads
its own writes. A snapshot is deleted once it is superseded and no query
that was given it is still running.
"""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

from service.oxigraph_store import OxigraphStore


class Snapshots:
    """Publishes snapshots of ``store`` under ``root`` and counts their users."""

    def __init__(self, store: OxigraphStore, root: Path) -> None:
        self.store = store
        self.root = root
        shutil.rmtree(root, ignore_errors=True)  # leftovers of a previous run
        root.mkdir(parents=True)
        self._lock = threading.Lock()
        self._current: Path | None = None
        self._version = -1
        self._serial = 0
        self._users: dict[Path, int] = {}

    def acquire(self) -> Path:
        """The current snapshot (taking a new one if the store changed); call ``release``."""
        with self._lock:
            version = self.store.version()
            if self._current is None or version != self._version:
                self._serial += 1
                path = self.root / f"snapshot-{self._serial}"
                self.store.backup(path)
                previous, self._current, self._version = self._current, path, version
                self._users[path] = 0
                if previous is not None and self._users.get(previous) == 0:
                    self._remove(previous)
            self._users[self._current] += 1
            return self._current

    def release(self, path: Path) -> None:
        with self._lock:
            self._users[path] -= 1
            if self._users[path] == 0 and path != self._current:
                self._remove(path)

    def _remove(self, path: Path) -> None:
        del self._users[path]
        shutil.rmtree(path, ignore_errors=True)

    def count(self) -> int:
        """Snapshots on disk (the current one and those still being read)."""
        with self._lock:
            return len(self._users)

    def close(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)
