"""What every write shares: its outcome, the write lock and the listeners.

Each write path turns its request into a ``ChangeSet`` first (SPARQL Update:
the quads the update would delete and insert; Graph Store Protocol: a graph's
replacement, addition or removal; ``POST /data`` and ``parley load``: the
parsed body), then calls ``submit`` on the write gate
(``service.gate._write_gate.WriteGate``), the one door every write goes through.
The gate decides whether the change is accepted (it validates, reasons and
records provenance) and commits it atomically; listeners (the search index)
hear about every accepted change. ``SerialWriter`` is the gate's base: the write
lock and the listeners.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from service.store import ChangeSet, GraphStore

#: Called with each accepted, committed change.
Listener = Callable[[ChangeSet], None]


@dataclass(frozen=True)
class WriteOutcome:
    """What a write did (or, for a dry run, would do)."""

    added: int
    removed: int
    committed: bool
    #: Inferred triples added and removed by reasoning upkeep.
    inferred_added: int = 0
    inferred_removed: int = 0
    #: The provenance record of the write, when one was made.
    record: str | None = None
    #: The change as it was (or would be) committed, blank nodes skolemised.
    changes: ChangeSet = field(default_factory=ChangeSet)
    #: Milliseconds each stage took (for a ``Server-Timing`` header), by stage name.
    timings: dict[str, float] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "committed": self.committed,
            "added": self.added,
            "removed": self.removed,
            "inferredAdded": self.inferred_added,
            "inferredRemoved": self.inferred_removed,
            "record": self.record,
        }


class SerialWriter:
    """The write gate's base: one write at a time (a re-entrant lock), and listeners."""

    def __init__(self, store: GraphStore) -> None:
        self.store = store
        self._lock = threading.RLock()
        self._listeners: list[Listener] = []

    def add_listener(self, listener: Listener) -> None:
        self._listeners.append(listener)

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        # The store's part matters when other processes share it (a remote store's lease).
        with self._lock, self.store.exclusive():
            yield

    def notify(self, changes: ChangeSet) -> None:
        """Tell every listener about a committed change."""
        for listener in self._listeners:
            listener(changes)
