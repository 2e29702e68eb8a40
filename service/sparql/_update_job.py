"""A SPARQL Update request, computed under the time limit and committed through the gate.

The ``WHERE`` clauses of an update are written by the client, and their cost is
the client's to choose (a cross product runs for hours). On the embedded store
on disk, the update's change (``compute_update``) is computed by the guard
(``service.query._guard``) in a process of its own, on a snapshot of the store,
and that process is killed at the time limit: the client gets 503 and nothing
is written. It is computed *outside* the write lock, so other writes go on
meanwhile; the change is then submitted under the lock if no write landed
since the snapshot. If one did, it is computed again on a new snapshot, this
time under the lock, so it cannot lose the race again (the time limit still
bounds how long it holds the lock).

A short update of one operation without a ``WHERE`` clause (``INSERT DATA``,
``DELETE DATA``, ``CLEAR``, ``LOAD``, ``ADD``, ...) costs what Parley's own data
says, and is computed in the web process under the write lock. A request of
many such operations goes to the guard (each may copy a graph, and the client
chooses how many), and so does a long one: rdflib parses about a thousand
triples of ``INSERT DATA`` a second (``POST /data`` parses a hundred times
faster). The gate then checks the change as it
checks every write (``service.gate._write_gate``: a costly check goes to the
guard too). So is every
update on a remote store, whose ``WHERE`` clauses the store evaluates: their
answers are awaited until the time limit, then the connection is closed
(``UpdateContext.where_deadline``). On an in-memory store, or with
``query_workers = 0``, there is no process to kill: the update is computed in
the web process without a hard limit, as queries then are.
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass, replace

from service.errors import ParleyError, QueryTimeoutError
from service.gate import WriteGate, WriteOutcome
from service.query import Guard
from service.rdf import NamedNode, quads_from_wire, quads_to_wire
from service.sparql._update_effect import UpdateContext, compute_update
from service.sparql._update_text import operation_texts
from service.store import ChangeSet, GraphStore, OxigraphStore, Snapshot

#: The longest update (in characters) without a ``WHERE`` clause computed in the web
#: process: about 80 triples of ``INSERT DATA``, under a tenth of a second.
INLINE_UPDATE_CHARS = 8_192

#: A change between processes: deletions and insertions as N-Quads, graphs created and
#: dropped by IRI.
ChangeWire = tuple[bytes, bytes, list[str], list[str]]


@dataclass(frozen=True)
class UpdateJob:
    """An update's change, computed on a snapshot of the store (in a guard worker)."""

    snapshot: Snapshot
    text: str
    context: UpdateContext

    def __call__(self) -> ChangeWire:
        store = self.snapshot.open()
        # The forks go into the snapshot's folder, which the web process removes even when
        # this process is killed.
        saved, tempfile.tempdir = tempfile.tempdir, self.snapshot.folder
        try:
            return change_to_wire(compute_update(store, self.text, self.context))
        finally:
            tempfile.tempdir = saved
            store.close()

    @staticmethod
    def timed_out(limit_s: float) -> ParleyError:
        return QueryTimeoutError(
            f"computing the update took longer than the {limit_s:g} s limit and was stopped; "
            "nothing was written. Narrow its WHERE clauses (more selective patterns), or send "
            "its data in smaller parts (or through POST /data, which parses faster)",
            timeoutSeconds=limit_s,
        )


def apply_update(
    store: GraphStore,
    gate: WriteGate,
    guard: Guard,
    text: str,
    ctx: UpdateContext,
    *,
    agent: str,
    agent_name: str | None = None,
) -> WriteOutcome:
    """Compute the update ``text`` within the time limit and submit its change to ``gate``
    (as ``agent``, named ``agent_name`` in the provenance record).

    :raises QueryTimeoutError: the ``WHERE`` clauses ran past the limit; nothing was written.
    """
    operations = operation_texts(text)
    remote = not isinstance(store, OxigraphStore)
    has_where = any(where is not None for _prologue, where in operations)
    # The client sets the cost with a WHERE clause, by repeating operations (each of which
    # may copy a graph), or by the length of its data; a short operation without WHERE
    # costs what Parley's data says.
    costly = has_where or len(operations) > 1 or len(text) > INLINE_UPDATE_CHARS
    if costly and guard.can_snapshot(store):
        changes, version = _computed(store, guard, text, ctx)
        with gate.exclusive():
            if store.version() != version:  # a write landed meanwhile: again, on top of it
                changes, _version = _computed(store, guard, text, ctx)
            return gate.submit(
                changes, agent=agent, agent_name=agent_name, operation="sparql-update"
            )
    with gate.exclusive():
        if not (has_where and remote):
            changes = compute_update(store, text, ctx)
        else:  # the store evaluates the WHERE clauses: their answers are awaited until the limit
            deadline = time.monotonic() + guard.timeout_s
            try:
                changes = compute_update(store, text, replace(ctx, where_deadline=deadline))
            except QueryTimeoutError as exc:
                raise UpdateJob.timed_out(guard.timeout_s) from exc
        return gate.submit(changes, agent=agent, agent_name=agent_name, operation="sparql-update")


def _computed(
    store: OxigraphStore, guard: Guard, text: str, ctx: UpdateContext
) -> tuple[ChangeSet, int]:
    """The update's change on a snapshot of ``store``, and the version it was computed on."""
    with guard.snapshot(store) as snapshot:
        wire = guard.run(UpdateJob(snapshot, text, ctx))
    return change_from_wire(wire), snapshot.version


def change_to_wire(change: ChangeSet) -> ChangeWire:
    return (
        quads_to_wire(change.delete),
        quads_to_wire(change.insert),
        [g.value for g in change.create_graphs],
        [g.value for g in change.drop_graphs],
    )


def change_from_wire(wire: ChangeWire) -> ChangeSet:
    delete, insert, create, drop = wire
    return ChangeSet(
        delete=quads_from_wire(delete),
        insert=quads_from_wire(insert),
        create_graphs=[NamedNode(g) for g in create],
        drop_graphs=[NamedNode(g) for g in drop],
    )
