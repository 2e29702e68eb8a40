"""Commits on a store whose updates are not isolated, and may not be all or nothing.

Two update requests conditioned on one store version can both pass their condition on
Virtuoso 7.2 and on ``oxigraph serve`` 0.5 (measured: eight writers on one version, two
won; ``tests/test_remote_commit.py``), so a compare-and-swap in one request is not one.
Virtuoso moreover applies the operations of a request one by one: one that fails leaves
the earlier ones applied (``tests/test_virtuoso_writes.py``). One operation alone is all
or nothing. So a commit goes in steps:

1. **Claim**: one operation adds ``#head parley:pendingCommit <#commit-ID>`` when the
   store is at the version the change was computed against and no commit is pending;
   then the pending commits are read back. Only a writer that finds its own claim
   alone goes on (two that claim at once both see both, and both step back: a
   ``WriteConflictError``, nothing written).
2. **Apply**: the operations that cannot be the last one (emptying dropped graphs,
   deleting a graph's blank-node statements, creating graphs, and on an engine with a
   limit per operation the statements in batches), each conditioned on *this* commit
   being the pending one, so no other writer's operations interleave with them; then
   the **finish**, one operation, conditioned the same way: the remaining statements,
   the version moved on, the change-log entry (with the commit's identifier) and the
   pending mark removed. The commit is complete exactly when the finish applied. On an
   all-or-nothing engine the apply is one request; otherwise one request an operation
   (Virtuoso compiles a request of several large ones many times slower), after a dry
   run conditioned on a claim nobody makes: what the store would refuse (an operation
   it cannot compile or convert) it refuses then, before anything is written.
3. **Repair** (engines that may apply a request in part): every step is idempotent
   while the commit is pending (pattern deletions; the finish removes the mark it is
   conditioned on), so a commit that failed part-way is completed by sending its steps
   again: at once by its own process, at its next commit once the store answers again,
   or, when the claim is older than the write lease lasts (its process died), by the
   next writer of any process, from the copy of the steps kept with the claim. Until
   then no claim succeeds, and writes are refused with a 503 (``store-half-written``)
   that names the commit. A pending commit that cannot be half-applied has applied
   nothing: it is released (a stale one by anyone).
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from service.errors import HalfWrittenError, StoreError, StoreUnavailableError
from service.rdf import XSD, Literal, NamedNode, Vocab
from service.store._remote_graphs import StoreGraphs
from service.store._remote_lease import LEASE_TTL_S, conflict
from service.store._sparql_client import SparqlClient

logger = logging.getLogger(__name__)

#: What ends an operation of an update request Parley writes.
OPERATION_END = " ;\n"
#: Times the apply request is sent again at once when it fails part-way.
REPAIR_TRIES = 3


@dataclass(frozen=True)
class Steps:
    """One commit's claim and apply request, as ``RemoteWrites`` plans them."""

    commit_id: str
    #: The store version the change was computed against.
    version: int
    #: Operations before the finish, each already conditioned on the claim.
    before: list[str]
    #: The finish: one operation, conditioned on the claim.
    finish: str
    #: Whether the store applies the apply request all or nothing (then only the claim
    #: is needed, for want of isolation; nothing can be left half-applied).
    atomic: bool = False

    @property
    def may_half_apply(self) -> bool:
        return bool(self.before) and not self.atomic


class StepCommits:
    """Claims, applies and repairs commits on a non-atomic engine (see the module)."""

    def __init__(self, client: SparqlClient, vocab: Vocab, graphs: StoreGraphs) -> None:
        self.client = client
        self.graphs = graphs
        p = vocab.parley
        self.pending_p, self.claimed_p, self.update_p = (
            p.pendingCommit,
            p.claimedAt,
            p.pendingUpdate,
        )
        self.version_p, self.commit_p = p.storeVersion, p.lastCommit
        #: This process's commits the store could not be asked about (it was down):
        #: settled first thing when it answers again, rather than left to lapse.
        self._unsettled: list[Steps] = []
        self._lock = threading.Lock()

    def node(self, commit_id: str) -> NamedNode:
        return self.graphs.state_node(f"commit-{commit_id}")

    def claimed(self, commit_id: str) -> str:
        """The condition every step of a commit carries: it is the pending one."""
        g, head = self.graphs.state, self.graphs.head
        return f"GRAPH {g} {{ {head} {self.pending_p} {self.node(commit_id)} }}"

    def version_condition(self, version: int) -> str:
        g, head, v = self.graphs.state, self.graphs.head, self.version_p
        if version:
            return f"GRAPH {g} {{ {head} {v} {version} }}"
        return f"FILTER NOT EXISTS {{ GRAPH {g} {{ {head} {v} ?any }} }}"

    def send(self, text: str) -> None:
        """The operations of ``text`` one request each: no less atomic on an engine that
        applies them one by one, and Virtuoso compiles a request of several large
        operations many times slower than each alone (1,700 statements: 19 s, 3.6 s).
        A literal's line break is escaped, so " ;\n" only ever ends an operation."""
        for operation in text.split(OPERATION_END):
            self.client.update(operation)

    def apply_text(self, steps: Steps) -> str:
        cleanup = self._cleanup(steps.commit_id)
        return OPERATION_END.join([*steps.before, steps.finish, cleanup])

    # -- a commit ----------------------------------------------------------

    def commit(self, steps: Steps, applied: str) -> None:
        """Claim, apply (repairing a failure part-way) and check with the ASK query
        ``applied``; ``WriteConflictError`` when another commit came first."""
        self.settle()
        self.repair_stale()
        text = self.apply_text(steps)
        if steps.may_half_apply:
            # A dry run first, conditioned on a claim nobody makes: the store refuses an
            # operation it cannot apply (Virtuoso: "abc"^^xsd:integer) whatever its WHERE
            # matches, so a change it would refuse half-way is refused here, whole.
            node = f"#commit-{steps.commit_id}>"
            self.send(text.replace(node, f"#commit-{steps.commit_id}-dry-run>"))
        try:
            self._claim(steps)
        except (StoreError, StoreUnavailableError):
            # The claim may have been written and its answer lost: released once the
            # store answers (nothing else of the commit was sent).
            with self._lock:
                self._unsettled.append(replace(steps, before=[], atomic=True))
            raise
        failure: StoreError | StoreUnavailableError | None = None
        for attempt in range(REPAIR_TRIES if steps.may_half_apply else 1):
            try:
                if steps.atomic:
                    self.client.update(text)
                else:
                    self.send(text)
                failure = None
                break
            except (StoreError, StoreUnavailableError) as exc:
                failure = exc
                logger.warning(
                    "commit %s failed part-way (attempt %d): %s",
                    steps.commit_id,
                    attempt + 1,
                    exc.detail,
                )
                if steps.may_half_apply:
                    time.sleep(0.2 * (attempt + 1))
        if failure is None and self.client.ask(applied):
            return
        self._unfinished(steps, failure, applied)

    def _unfinished(
        self, steps: Steps, failure: StoreError | StoreUnavailableError | None, applied: str
    ) -> None:
        """The apply request did not complete the commit: say what the store holds."""
        try:
            if self.client.ask(applied):
                return  # it did apply; only its answer was lost
            pending = self.client.ask(f"ASK {{ {self.claimed(steps.commit_id)} }}")
            if pending and not steps.may_half_apply:
                # Nothing of it applied (its data went in one all-or-nothing step).
                self._release(steps.commit_id)
                pending = False
        except (StoreError, StoreUnavailableError):
            with self._lock:
                self._unsettled.append(steps)
            pending = steps.may_half_apply
        if not pending:
            if failure is not None:
                raise failure
            raise conflict("another Parley process claimed the store first; nothing was written")
        raise HalfWrittenError(
            f"the store failed in the middle of commit {steps.commit_id} and it could not "
            "be completed yet; the next write completes it (writes are refused until "
            f"then){f': {failure.detail}' if failure is not None else ''}",
            commit=steps.commit_id,
            retryAfter=int(LEASE_TTL_S),
        )

    def _claim(self, steps: Steps) -> None:
        g, head = self.graphs.state, self.graphs.head
        node = self.node(steps.commit_id)
        now = Literal(datetime.now(UTC).isoformat(), datatype=XSD.dateTime)
        kept = ""
        if steps.may_half_apply:  # kept for a repair by another process, should it die
            kept = f" . {node} {self.update_p} {Literal(self.apply_text(steps))}"
        self.client.update(
            f"INSERT {{ GRAPH {g} {{ {head} {self.pending_p} {node} . "
            f"{node} {self.claimed_p} {now}{kept} }} }} "
            f"WHERE {{ {self.version_condition(steps.version)} "
            f"FILTER NOT EXISTS {{ GRAPH {g} {{ {head} {self.pending_p} ?other }} }} }}"
        )
        claims = {c for c, _at, _text in self.pending()}
        if claims == {node}:
            return
        if node in claims:  # two claimed at once: both step back
            self._release(steps.commit_id)
        raise conflict(
            "another Parley process wrote to the store while this write was computed; "
            "nothing was written"
        )

    def _release(self, commit_id: str) -> None:
        g, head = self.graphs.state, self.graphs.head
        node = self.node(commit_id)
        self.client.update(
            f"DELETE DATA {{ GRAPH {g} {{ {head} {self.pending_p} {node} }} }} ;\n"
            + self._cleanup(commit_id)
        )

    def _cleanup(self, commit_id: str) -> str:
        """Removes what the claim kept beside the mark (once the mark is gone)."""
        g, node = self.graphs.state, self.node(commit_id)
        return (
            f"DELETE {{ GRAPH {g} {{ {node} ?p ?o }} }} WHERE {{ GRAPH {g} {{ {node} ?p ?o }} "
            f"FILTER NOT EXISTS {{ GRAPH {g} {{ ?h {self.pending_p} {node} }} }} }}"
        )

    # -- pending commits -----------------------------------------------------

    def settle(self) -> None:
        """Complete or release this process's commits left unsettled by an outage: one
        that may be half-applied is completed (its steps sent again; a no-op once done),
        one that applies all or nothing is released (a no-op once it applied)."""
        with self._lock:
            unsettled, self._unsettled = self._unsettled, []
        for number, steps in enumerate(unsettled):
            try:
                if steps.may_half_apply:
                    self.send(self.apply_text(steps))
                else:
                    self._release(steps.commit_id)
            except (StoreError, StoreUnavailableError):
                with self._lock:
                    self._unsettled.extend(unsettled[number:])
                raise

    def pending(self) -> list[tuple[NamedNode, datetime | None, str | None]]:
        """The pending commits: each one's node, claim time and kept apply request."""
        g, head = self.graphs.state, self.graphs.head
        rows = self.client.select(
            f"SELECT ?c ?at ?u WHERE {{ GRAPH {g} {{ {head} {self.pending_p} ?c "
            f"OPTIONAL {{ ?c {self.claimed_p} ?at }} OPTIONAL {{ ?c {self.update_p} ?u }} }} }}"
        )[1]
        found: list[tuple[NamedNode, datetime | None, str | None]] = []
        for row in rows:
            node, at, text = row.get("c"), row.get("at"), row.get("u")
            if isinstance(node, NamedNode):
                found.append(
                    (
                        node,
                        _when(at),
                        text.value if isinstance(text, Literal) else None,
                    )
                )
        return found

    def repair_stale(self) -> None:
        """Complete (or, when it applied nothing, remove) a commit whose process stopped
        while it was pending; a younger one is left to its process."""
        stale = datetime.now(UTC) - timedelta(seconds=LEASE_TTL_S)
        for node, at, text in self.pending():
            if at is not None and at > stale:
                continue
            commit_id = node.value.rsplit("#commit-", 1)[-1]
            if text is not None:
                logger.warning("completing commit %s, left half-applied", commit_id)
                try:
                    self.send(text)
                except (StoreError, StoreUnavailableError) as exc:
                    raise HalfWrittenError(
                        f"commit {commit_id} was left half-applied by a Parley process "
                        f"that stopped, and completing it failed: {exc.detail}",
                        commit=commit_id,
                        retryAfter=int(LEASE_TTL_S),
                    ) from exc
            else:
                self._release(commit_id)


def _when(term: object) -> datetime | None:
    if not isinstance(term, Literal):
        return None
    try:
        found = datetime.fromisoformat(term.value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return found if found.tzinfo else found.replace(tzinfo=UTC)
