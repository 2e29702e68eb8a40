"""The one door every write goes through: ``Writer.submit(ChangeSet)``.

Each write path turns its request into a ``ChangeSet`` first (SPARQL Update:
the quads the update would delete and insert; Graph Store Protocol: a graph's
replacement, addition or removal; ``POST /data`` and ``parley load``: the
parsed body), then calls ``submit``. The writer decides whether the change is
accepted and commits it atomically; listeners (the search index) hear about
every accepted change.

The application's writer is the write gate (``service.gate._write_gate.WriteGate``), which
validates, reasons and records provenance. ``DirectWriter`` commits without any
of that (atomically, one write at a time, blank nodes skolemised in Parley's
graphs); it is kept for tools that load trusted data. Both share
``SerialWriter``: the write lock and the listeners.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol

from service.rdf._skolem import skolemize
from service.store._base import ChangeSet, GraphStore

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


class Writer(Protocol):
    """Accepts or refuses changes to the store."""

    def submit(
        self, changes: ChangeSet, *, agent: str, operation: str, dry_run: bool = False
    ) -> WriteOutcome:
        """Commit ``changes`` atomically, or raise (``ShapeViolationError``: 422)."""

    def add_listener(self, listener: Listener) -> None:
        """Call ``listener`` after every committed change."""

    def exclusive(self) -> contextlib.AbstractContextManager[None]:
        """Hold the write lock (re-entrant) while computing a change from the store's
        current state and submitting it, so no other write lands in between."""


class SerialWriter:
    """What every writer shares: one write at a time (a re-entrant lock), and listeners."""

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


class DirectWriter(SerialWriter):
    """Commits every change as it is, atomically and one at a time."""

    def __init__(self, store: GraphStore) -> None:
        super().__init__(store)

    def submit(
        self, changes: ChangeSet, *, agent: str, operation: str, dry_run: bool = False
    ) -> WriteOutcome:
        vocab = self.store.vocab
        prepared = ChangeSet(
            delete=changes.delete,
            insert=skolemize(changes.insert, vocab),
            create_graphs=changes.create_graphs,
            drop_graphs=changes.drop_graphs,
        )
        if dry_run:
            return WriteOutcome(len(prepared.insert), len(prepared.delete), False, changes=prepared)
        with self.exclusive():
            self.store.commit(prepared)
        self.notify(prepared)
        return WriteOutcome(len(prepared.insert), len(prepared.delete), True, changes=prepared)
