"""Client queries in a killable query process, on an in-memory copy of the store.

pyoxigraph cannot cancel a running query, so a query that must be stopped
has to be in a process that can be killed. Client queries run in a *query
process* (``service.query._worker``), on up to ``Settings.query_workers``
threads at once. A request sends its job on a channel of its own
(``service.query._channel``) and waits on it for the answer up to its deadline.
Past it, the query process is killed with SIGKILL (its CPU is released at
once) and the client gets 503. The other queries the process was running only
read, so they are sent again to a new query process, each within its own
time limit: they are answered, late.

The query process evaluates on an in-memory copy of the store, which a
*zygote* process holds and keeps current (``service.query._worker``): a new
query process is forked from it in a few milliseconds, with the copy shared
copy-on-write, so a kill costs no reload. The copy answers the benchmark's
query mix about 2x faster than the RocksDB store it copies (docs/benchmarks.md).
Each query process serves one version of the store: when a query arrives and
the store has changed since, the zygote applies the commits' updates (the
store keeps them: ``OxigraphStore.keep_updates``) and a new query process is
forked, so a client always reads its own writes; the previous one finishes
its queries and exits. When the zygote cannot catch up (it is new, or the
commits it missed are no longer kept), the web process exports a checkpoint of
the store and the zygote loads it; queries meanwhile wait, within their time
limit, and get 503 ``store-loading`` past it (``_waited``: a query that waited as long
for another reason gets the 503 of that reason, ``overloaded`` or ``query-timeout``).

Admission: at most ``max_concurrent_queries`` queries are admitted (running
or queued); past that a client gets 503 with ``Retry-After``. Of those, at most
``query_workers`` are evaluated at once (the evaluation slots, held until the
answer's first message); a query that waits for a slot past its limit gets 503
and stops nothing. Once evaluated, a query leaves the admission count: reading
its answer, however slowly, takes no slot from the next client.

With ``query_workers = 0`` (or an in-memory store) queries run in the web
process, without a hard time limit.
"""

from __future__ import annotations

import itertools
import logging
import shutil
import threading
import time
from collections.abc import Callable
from typing import TypeGuard

from service.errors import (
    OverloadedError,
    ParleyError,
    QueryCrashedError,
    ServiceUnavailableError,
    StoreError,
    StoreLoadingError,
    StoreUnavailableError,
)
from service.query._channel import Channel
from service.query._copy import export_checkpoint, exports_folder
from service.query._forkserver import forkserver_context
from service.query._job import RETRY_AFTER_S, QueryJob, Streamed
from service.query._messages import Abandoned, Gone, Retired
from service.query._procs import QueryProcess, Zygote
from service.query._runner import MAX_RETRIES, ProcessRunner
from service.store import OxigraphStore

logger = logging.getLogger(__name__)

#: Characters of update text the store keeps for the copy to catch up with.
UPDATE_LOG_CHARS = 64 << 20
#: Loads in a row the copy may need before queries are refused (commits outran them).
MAX_LOADS = 3
#: Seconds ``close`` waits for the zygote to finish what it is doing.
CLOSE_WAIT_S = 10


def _serves(process: QueryProcess | None, version: int) -> TypeGuard[QueryProcess]:
    """True when ``process`` takes work and serves the store's ``version``."""
    return process is not None and process.alive and process.version == version


class QueryPool(ProcessRunner):
    """Queries in query processes forked from a zygote that holds an in-memory copy."""

    warm_thread = "query-copy"

    def __init__(
        self,
        store: OxigraphStore,
        *,
        workers: int,
        max_concurrent: int,
        timeout_s: float,
        base_iri: str,
        on_timeout: Callable[[], None] = lambda: None,
        log: tuple[str, str] = ("INFO", "text"),
        update_log_chars: int = UPDATE_LOG_CHARS,
        isolate_network: bool = True,
    ) -> None:
        super().__init__(
            store,
            workers=workers,
            max_concurrent=max_concurrent,
            timeout_s=timeout_s,
            base_iri=base_iri,
            on_timeout=on_timeout,
            log=log,
            isolate_network=isolate_network,
        )
        # Held while the zygote loads, applies or forks (seconds, for a load at 1M triples).
        self._sync_lock = threading.Lock()
        #: A checkpoint of the store is being loaded into the zygote (``_load``), and
        #: ``time.monotonic()`` when the last load ended.
        self._loading_copy = False
        self._loaded_at = float("-inf")
        self._zygote: Zygote | None = None
        self._live: list[QueryProcess] = []
        if self.workers:
            assert store.path is not None
            store.keep_updates(update_log_chars)
            self._exports = exports_folder(store.path)
            self._export_ids = itertools.count(1)
            self._context = forkserver_context(("service.query._worker",))
            self._warm_in_background()  # load the copy now, not on the first query

    def _warm(self) -> None:
        try:
            self._current(time.monotonic() + 24 * 3600)
        except ParleyError as error:  # the first query will say it again
            if not self._closed:
                self._failed_at = time.monotonic()
                logger.error("the query process could not start: %s", error.detail)
        finally:
            self._warming = False

    # -- readiness ---------------------------------------------------------

    def ready(self) -> bool:
        """True when a query would be evaluated without waiting for the copy to load (and
        when it would, the copy is loaded in the background)."""
        if not self.workers:
            return True
        process, zygote = self._process, self._zygote
        if _serves(process, self.store.version()) and not process.exited():
            return True
        if zygote is not None and zygote.alive and zygote.version >= 0:
            return True
        if time.monotonic() - self._failed_at > RETRY_AFTER_S:  # not at every poll after a failure
            self._warm_in_background()
        return False

    # -- evaluation ----------------------------------------------------------

    def _waited(self, attempts: int, deadline: float) -> ServiceUnavailableError:
        """The 503 of a query whose limit passed before it could be evaluated, saying why
        (a ``store-loading`` 503 under load sent clients looking in the wrong place): its
        process was lost and it ran again until the limit (a timeout); the copy is being
        loaded; or other queries kept the query process busy being started or brought up
        to date (an overload)."""
        if attempts:
            return self._timeout()
        zygote, waited_since = self._zygote, deadline - self.timeout_s
        loading = self._loading_copy or zygote is None or zygote.version < 0
        if loading or self._loaded_at >= waited_since:  # loaded while this query waited
            return StoreLoadingError(
                "the query copy of the store is being loaded; try again in a moment",
                retryAfter=RETRY_AFTER_S,
            )
        return OverloadedError(
            f"the query waited its whole {self.timeout_s:g} s limit for a query process, "
            "which other requests were starting or bringing up to date with recent writes; "
            "the server is overloaded: try again in a moment",
            retryAfter=RETRY_AFTER_S,
        )

    def _run_in_process(self, job: QueryJob, gone: threading.Event | None) -> Streamed:
        deadline = time.monotonic() + self.timeout_s
        wire = job.to_wire()
        attempts = 0
        alone: QueryProcess | None = None  # after a crash: a process of its own
        while True:
            if time.monotonic() >= deadline:  # it waited: for the copy, or on lost processes
                raise self._waited(attempts, deadline)
            process = alone or self._current(deadline, attempts)
            if time.monotonic() >= deadline:  # this request loaded or caught the copy up
                raise self._waited(attempts, deadline)
            self._take_slot_for(deadline, gone)
            try:
                reply, channel = self._ask(process, (wire,), deadline, gone)
            finally:
                self._slots.release()  # evaluated (or stopped): the rest is only reading
            if reply is None or isinstance(reply, Abandoned):
                self._stop_unanswered(process, channel, reply)
            if isinstance(reply, Retired):
                continue  # a commit came between: the current process takes it
            if not isinstance(reply, Gone):
                break
            # Nobody stopped it at a time limit: a query on it crashed (another request that
            # saw the crash first may have killed what was left of it already).
            crashed = not process.stopped_at_limit
            self._stop(process, channel)
            attempts += 1
            if crashed:
                # Which of the queries it ran crashed it is unknown: each runs again alone,
                # so an innocent one is answered and the culprit takes down only its own
                # process, once (it used to be retried twice, with others, killing three).
                if process is alone:
                    raise QueryCrashedError(
                        "evaluating this query crashed the query process, alone; it is not "
                        "run again (a query nested or sized past what the engine handles?)"
                    )
                alone = self._alone(deadline, attempts)
                continue
            # Another query's time limit took the process down: run this one again on a
            # new process, within what is left of its own limit.
            if attempts > MAX_RETRIES:
                raise StoreError("the query process stopped while evaluating the query")
        assert channel is not None  # a reply came on it
        if alone is not None:
            alone.retire()  # it sends this answer, then exits
        assert not isinstance(reply, Retired)
        return self._answered(process, channel, reply)

    def _current(self, deadline: float, attempts: int = 0) -> QueryProcess:
        """The query process for the store's current version (forked when needed).

        :raises ServiceUnavailableError: none by ``deadline`` (``_waited`` says why).
        """
        with self._state_lock:
            process = self._process
            if _serves(process, self.store.version()):
                return process
        if not self._sync_lock.acquire(timeout=max(0.0, deadline - time.monotonic())):
            raise self._waited(attempts, deadline)
        try:
            version = self.store.version()
            with self._state_lock:  # another request may have brought it up to date
                process = self._process
                if _serves(process, version):
                    return process
            new = self._zygote_at(version).fork()  # refuses once the pool is closed
            with self._state_lock:
                closed = self._closed  # close() may have run while this forked
                if not closed:
                    old, self._process = self._process, new
                    self._live = [p for p in self._live if not p.exited()] + [new]
            if closed:  # the server stopped meanwhile: nobody would stop this one
                new.kill()
                raise StoreUnavailableError("the server is stopping", retryAfter=RETRY_AFTER_S)
            if old is not None:
                old.retire()  # it answers what it was asked, then exits
            return new
        finally:
            self._sync_lock.release()

    def _alone(self, deadline: float, attempts: int) -> QueryProcess:
        """A new query process for one query only (``retire`` it once asked): forked from
        the zygote at the store's current version, never made the current process."""
        if not self._sync_lock.acquire(timeout=max(0.0, deadline - time.monotonic())):
            raise self._waited(attempts, deadline)
        try:
            new = self._zygote_at(self.store.version()).fork()
            with self._state_lock:
                closed = self._closed
                if not closed:  # close() stops it with the others
                    self._live = [p for p in self._live if not p.exited()] + [new]
            if closed:
                new.kill()
                raise StoreUnavailableError("the server is stopping", retryAfter=RETRY_AFTER_S)
            return new
        finally:
            self._sync_lock.release()

    def _zygote_at(self, version: int) -> Zygote:
        """The zygote, its copy brought to ``version`` (or later)."""
        zygote = self._zygote
        if zygote is None or not zygote.alive:
            if zygote is not None:
                zygote.stop()
            with self._state_lock:
                if self._closed:
                    raise StoreUnavailableError("the server is stopping", retryAfter=RETRY_AFTER_S)
                zygote = self._zygote = Zygote.start(
                    self._context, self.base_iri, self.workers, self.log, self.network_isolated
                )
        if zygote.version == version:
            return zygote
        updates = self.store.updates_since(zygote.version) if zygote.version >= 0 else None
        for _load in range(MAX_LOADS):
            if updates is not None:
                break
            loaded = self._load(zygote)
            updates = self.store.updates_since(loaded)  # what was committed meanwhile
        if updates is None:
            raise StoreLoadingError(
                "the store changes faster than its query copy can be loaded; try again",
                retryAfter=RETRY_AFTER_S,
            )
        if updates:
            zygote.apply(updates)
        return zygote

    def _load(self, zygote: Zygote) -> int:
        """Load the store as it is now into the zygote; the version it loaded."""
        folder = self._exports / f"export-{next(self._export_ids)}"
        folder.mkdir()
        self._loading_copy = True
        try:
            version = self.store.checkpoint(folder / "store")
            nquads = folder / "store.nq"
            graphs = export_checkpoint(folder / "store", nquads)
            zygote.load(nquads, graphs, version)
        finally:
            self._loading_copy, self._loaded_at = False, time.monotonic()
            shutil.rmtree(folder, ignore_errors=True)
        return version

    def _stop(self, process: QueryProcess, channel: Channel | None) -> None:
        """Kill ``process`` (SIGKILL: the engine cannot be interrupted); the next query
        gets a new one."""
        if channel is not None:
            channel.close()
        process.kill()  # first: a load may hold the sync lock for seconds
        with self._state_lock:
            if self._process is process:
                self._process = None

    def close(self) -> None:
        """Stop every query process (a runaway query has nobody else to stop it) and the
        zygote."""
        with self._state_lock:
            self._closed = True
            processes, self._live, self._process = self._live, [], None
        for process in processes:
            process.kill()
        # Not while a load, an update or a fork is under way (each takes seconds at most).
        synced = self._sync_lock.acquire(timeout=CLOSE_WAIT_S)
        try:
            with self._state_lock:
                zygote, self._zygote = self._zygote, None
            if zygote is not None:
                zygote.stop()
        finally:
            if synced:
                self._sync_lock.release()
        if self.workers:
            shutil.rmtree(self._exports, ignore_errors=True)
