"""The write lease of a store that several Parley processes share.

A write reads the store (context for the shapes, premises for the reasoner) and then
commits a change computed from what it read. The lease keeps other processes from
committing in between, so writes from several replicas are serialised the way one
process's writes are; the commit's compare-and-swap (``service.store._remote_commit``)
keeps that safe when a lease lapses. The lease is a lock statement with an expiry on
``#lease`` in the store-state graph, taken by a conditional update. Lease expiry
compares the writers' clocks, which must agree to within seconds (NTP).
"""

from __future__ import annotations

import logging
import os
import random
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

from service.errors import StoreUnavailableError, WriteConflictError
from service.rdf import XSD, Literal, Vocab
from service.store._remote_graphs import StoreGraphs
from service.store._sparql_client import SparqlClient

logger = logging.getLogger(__name__)

#: Seconds a lease lasts if its holder never releases it.
LEASE_TTL_S = 30.0
#: Seconds a write waits for the lease before answering 503 write-conflict.
LEASE_WAIT_S = 20.0
#: Seconds a client is told to wait after a write conflict.
RETRY_AFTER_S = 2


def conflict(detail: str) -> WriteConflictError:
    return WriteConflictError(detail, retryAfter=RETRY_AFTER_S)


def int_of(term: object) -> int:
    """An integer literal's value (0 for anything else).

    >>> int_of(Literal("3", datatype=XSD.integer)), int_of(None)
    (3, 0)
    """
    return int(term.value) if isinstance(term, Literal) else 0


class Lease:
    """The write lease of a shared store, held by one thread of one process at a time.

    Re-entrant within the holding thread (a write path holds it while computing its
    change, and the gate again while validating and committing).
    """

    def __init__(self, client: SparqlClient, vocab: Vocab, graphs: StoreGraphs) -> None:
        self.client = client
        self.parley = vocab.parley
        self.graphs = graphs
        self._lock = threading.RLock()
        self._depth = 0
        self._owner: int | None = None
        self._held: tuple[str, Literal] | None = None
        #: Leases this process could not release (the store was down): released first
        #: thing when the store answers again, rather than left to lapse.
        self._stale: list[tuple[str, Literal]] = []
        #: The store version read when the lease was taken, moved on by each commit.
        self.version = 0
        self._process = f"{socket.gethostname()}/{os.getpid()}"

    def mine(self) -> bool:
        return self._depth > 0 and self._owner == threading.get_ident()

    @contextmanager
    def held(self) -> Iterator[None]:
        with self._lock:
            if self._depth == 0:
                self._acquire()
                self._owner = threading.get_ident()
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
                if self._depth == 0:
                    self._owner = None
                    self._release()

    def _acquire(self) -> None:
        while self._stale:
            self._delete(*self._stale[0])
            self._stale.pop(0)
        holder = f"{self._process}/{uuid.uuid4().hex[:12]}"
        deadline = time.monotonic() + LEASE_WAIT_S
        delay = 0.01
        p = self.parley
        g, node, head = self.graphs.state, self.graphs.lease, self.graphs.head
        while True:
            now = datetime.now(UTC)
            expires = _datetime(now + timedelta(seconds=LEASE_TTL_S))
            held_by, until = f"{node} {p.leaseHolder}", f"{node} {p.leaseExpires}"
            # Two operations, each with every template variable bound: Virtuoso drops a
            # whole solution (its INSERT too) when a DELETE template variable is unbound.
            self.client.update(
                f"DELETE {{ GRAPH {g} {{ {held_by} ?h . {until} ?e }} }} "
                f"WHERE {{ GRAPH {g} {{ {held_by} ?h . {until} ?e }} "
                f"FILTER(?e < {_datetime(now)}) }} ;\n"
                f'INSERT {{ GRAPH {g} {{ {held_by} "{holder}" . {until} {expires} }} }} '
                f"WHERE {{ FILTER NOT EXISTS {{ GRAPH {g} {{ {until} ?e }} }} }}"
            )
            rows = self.client.select(
                f"SELECT ?h ?v WHERE {{ {{ GRAPH {g} {{ {node} {p.leaseHolder} ?h }} }} UNION "
                f"{{ GRAPH {g} {{ {head} {p.storeVersion} ?v }} }} }}"
            )[1]
            holders = {r["h"].value for r in rows if isinstance(r.get("h"), Literal)}
            if holders == {holder}:
                self._held = (holder, expires)
                self.version = max((int_of(r.get("v")) for r in rows if "v" in r), default=0)
                return
            if holder in holders:  # two took it at once: both step back and try again
                self._delete(holder, expires)
            if time.monotonic() > deadline:
                raise conflict(
                    f"another Parley process has held the store's write lease for over "
                    f"{LEASE_WAIT_S:g} s; nothing was written"
                )
            time.sleep(delay + random.uniform(0, delay))
            delay = min(delay * 2, 0.2)

    def _release(self) -> None:
        held, self._held = self._held, None
        if held is None:
            return
        try:
            self._delete(*held)
        except StoreUnavailableError as exc:
            self._stale.append(held)
            logger.warning("could not release the write lease (will retry): %s", exc.detail)

    def _delete(self, holder: str, expires: Literal) -> None:
        p, node = self.parley, self.graphs.lease
        self.client.update(
            f'DELETE DATA {{ GRAPH {self.graphs.state} {{ {node} {p.leaseHolder} "{holder}" . '
            f"{node} {p.leaseExpires} {expires} }} }}"
        )


def _datetime(t: datetime) -> Literal:
    return Literal(t.isoformat(), datatype=XSD.dateTime)
