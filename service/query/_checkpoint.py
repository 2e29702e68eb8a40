"""Client queries in a killable query process, on checkpoints of the store: the
"checkpoint workers" (``Settings.query_engine = "checkpoint"``).

pyoxigraph cannot cancel a running query, so a query that must be stopped has
to be in a process that can be killed. Client queries run in one query process
(``service.query._checkpoint_worker``), started from a multiprocessing
forkserver, on up to ``Settings.query_workers`` threads at once. A request
sends its job on a channel of its own (``service.query._channel``) and waits
on it for the answer up to its deadline. Past it, the query process is killed
with SIGKILL (its CPU is released at once), the client gets 503, and a
replacement is started. The other queries the process was running only read,
so they are sent again to the replacement, each within its own time limit.

The query process holds no copy of the store. When a query arrives and the
store's ``version()`` changed since the last checkpoint, the web process takes
a new one (``OxigraphStore.checkpoint``: RocksDB hard links, about 10 ms at 1M
triples) and the job names it; the query process opens it read-only (a few
milliseconds) and keeps it open for the next jobs. So a client reads its own
writes, and a replacement has nothing to reload. A checkpoint is removed once
a newer one exists and no job that was given it is still being evaluated.

Admission and evaluation slots are those of ``service.query._pool``: at most
``max_concurrent_queries`` admitted (503 with ``Retry-After`` past it), at
most ``query_workers`` evaluated at once; a query that waits for a slot past
its limit gets 503 and stops nothing; once evaluated, a query leaves the
admission count, whatever its client's pace reading the answer.

With ``query_workers = 0`` (or an in-memory store, which has no checkpoints)
queries run in the web process, without a hard time limit.
"""

from __future__ import annotations

import itertools
import logging
import shutil
import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path

from service.errors import (
    ParleyError,
    QueryCrashedError,
    StoreError,
    StoreUnavailableError,
)
from service.query._channel import Channel
from service.query._copy import exports_folder
from service.query._forkserver import forkserver_context
from service.query._job import RETRY_AFTER_S, QueryJob, Streamed
from service.query._messages import Abandoned, Answered, Gone, Retired
from service.query._procs import QueryProcess
from service.query._runner import MAX_RETRIES, ProcessRunner
from service.rdf import JSON
from service.store import OxigraphStore

logger = logging.getLogger(__name__)

#: The query a new query process answers first, so that it opens the newest checkpoint.
_PROBE = QueryJob("ASK {}", None, False, JSON, None, 1, 1024).to_wire()


class Checkpoints:
    """Checkpoints of ``store`` under ``root``, taken when the store has changed, each
    counted by the jobs that were given it."""

    def __init__(self, store: OxigraphStore, root: Path) -> None:
        self.store = store
        self.root = root
        self._lock = threading.Lock()
        self._serials = itertools.count(1)
        #: The newest: its path, serial and the store version it holds.
        self._current: tuple[Path, int, int] | None = None
        self._users: dict[Path, int] = {}
        #: Checkpoints taken so far (for tests and logs).
        self.taken = 0
        self._closed = False

    def acquire(self) -> tuple[Path, int]:
        """The newest checkpoint (taken now if the store changed since) and its serial; give
        it back with ``release`` once the job is evaluated."""
        with self._lock:
            if self._closed:
                raise StoreUnavailableError("the server is stopping", retryAfter=RETRY_AFTER_S)
            current = self._current
            if current is None or current[2] != self.store.version():
                serial = next(self._serials)
                path = self.root / f"checkpoint-{serial}"
                version = self.store.checkpoint(path)
                self.taken += 1
                logger.debug("query checkpoint %s taken at version %s", serial, version)
                self._users[path] = 0
                if current is not None and self._users[current[0]] == 0:
                    self._remove(current[0])
                current = self._current = (path, serial, version)
            self._users[current[0]] += 1
            return current[0], current[1]

    def release(self, path: Path) -> None:
        with self._lock:
            if self._closed:
                return
            self._users[path] -= 1
            current = self._current
            if self._users[path] == 0 and (current is None or path != current[0]):
                self._remove(path)

    def _remove(self, path: Path) -> None:
        del self._users[path]
        shutil.rmtree(path, ignore_errors=True)

    def count(self) -> int:
        """Checkpoints on disk (the newest, and older ones still being read)."""
        with self._lock:
            return len(self._users)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            self._current = None
            self._users.clear()
            shutil.rmtree(self.root, ignore_errors=True)


class CheckpointRunner(ProcessRunner):
    """Queries in one query process that opens checkpoints of the store read-only."""

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
        # Held while a query process starts.
        self._start_lock = threading.Lock()
        #: Processes each running one query alone, after a crash (stopped with the rest).
        self._alone: list[QueryProcess] = []
        #: The query process that has answered a first query (``ready``).
        self._probed: QueryProcess | None = None
        if self.workers:
            assert store.path is not None
            self.checkpoints = Checkpoints(store, exports_folder(store.path))
            self._context = forkserver_context(("service.query._checkpoint_worker",))
            self._warm_in_background()  # start the query process now, not on the first query

    def _warm(self) -> None:
        """Start the query process and have it open the newest checkpoint."""
        try:
            process = self._current()
            path, serial = self.checkpoints.acquire()
            try:
                deadline = time.monotonic() + self.timeout_s
                reply, channel = self._ask(process, (_PROBE, str(path), serial), deadline)
            finally:
                self.checkpoints.release(path)
            if channel is not None and isinstance(reply, Answered):
                process.checkin(channel)
                self._probed = process
            elif channel is not None:
                channel.close()
        except Exception as error:  # the first query will say it again
            if not self._closed:
                self._failed_at = time.monotonic()
                detail = error.detail if isinstance(error, ParleyError) else repr(error)
                logger.error("the query process could not start: %s", detail)
        finally:
            self._warming = False

    # -- QueryRunner -----------------------------------------------------------

    def ready(self) -> bool:
        """True when a query process is running and has opened a checkpoint (and when none
        has, one is started)."""
        if not self.workers:
            return True
        process = self._process
        if process is not None and process.alive and process is self._probed:
            return True
        if time.monotonic() - self._failed_at > RETRY_AFTER_S:  # not at every poll
            self._warm_in_background()
        return False

    def close(self) -> None:
        """Stop the query process (a runaway query has nobody else to stop it) and remove
        the checkpoints."""
        with self._state_lock:
            self._closed = True
            process, self._process = self._process, None
            alone, self._alone = self._alone, []
        for one in alone:
            one.kill()
        if process is not None:
            process.kill()
        if self.workers:
            self.checkpoints.close()

    # -- evaluation ------------------------------------------------------------

    def _run_in_process(self, job: QueryJob, gone: threading.Event | None) -> Streamed:
        deadline = time.monotonic() + self.timeout_s
        wire = job.to_wire()
        attempts = 0
        alone: QueryProcess | None = None  # after a crash: a process of its own
        while True:
            process = alone or self._current()
            path, serial = self.checkpoints.acquire()
            try:
                self._take_slot_for(deadline, gone)
                try:
                    reply, channel = self._ask(process, (wire, str(path), serial), deadline, gone)
                finally:
                    self._slots.release()  # evaluated (or stopped): the rest is only reading
            finally:
                self.checkpoints.release(path)
            if reply is None or isinstance(reply, Abandoned):
                self._stop_unanswered(process, channel, reply)
            if not isinstance(reply, Gone | Retired):  # retired: only ``kill`` retires it
                break
            # Nobody stopped it at a time limit: a query on it crashed (another request that
            # saw the crash first may have killed what was left of it already).
            crashed = not process.stopped_at_limit
            self._stop(process, channel)
            attempts += 1
            if crashed:
                # Which of the queries it ran crashed it is unknown: each runs again alone,
                # so an innocent one is answered and the culprit takes down only its own
                # process, once (as the copy engine does: ``service.query._pool``).
                if process is alone:
                    raise QueryCrashedError(
                        "evaluating this query crashed the query process, alone; it is not "
                        "run again (a query nested or sized past what the engine handles?)"
                    )
                alone = self._start()
                alone.one_job = True
                self._keep_alone(alone)
            elif attempts > MAX_RETRIES:
                # Other queries' time limits took the process down: it ran again on the
                # replacement, within what is left of its own limit.
                raise StoreError("the query process stopped while evaluating the query")
            if time.monotonic() >= deadline:
                raise self._timeout()
        assert channel is not None  # a reply came on it
        return self._answered(process, channel, reply)

    def _keep_alone(self, process: QueryProcess) -> None:
        """Stop a one-query process with the others if the server stops meanwhile."""
        with self._state_lock:
            closed = self._closed
            if not closed:
                self._alone = [p for p in self._alone if not p.exited()] + [process]
        if closed:
            process.kill()
            raise StoreUnavailableError("the server is stopping", retryAfter=RETRY_AFTER_S)

    # -- the query process -----------------------------------------------------

    def _current(self) -> QueryProcess:
        """The query process (started when there is none)."""
        process = self._process
        if process is not None and process.alive:
            return process
        with self._start_lock:
            with self._state_lock:
                process = self._process
                if process is not None and process.alive:
                    return process
            new = self._start()
            with self._state_lock:
                closed = self._closed  # close() may have run while it started
                if not closed:
                    self._process = new
            if closed:  # the server stopped meanwhile: nobody would stop this one
                new.kill()
                raise StoreUnavailableError("the server is stopping", retryAfter=RETRY_AFTER_S)
            return new

    def _start(self) -> QueryProcess:
        from service.query._checkpoint_worker import worker_main

        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            process = self._context.Process(
                target=worker_main,
                args=(theirs, self.base_iri, self.workers, self.log, self.network_isolated),
                daemon=True,
                name="parley-query",
            )
            process.start()
        except OSError as exc:  # out of memory or processes
            ours.close()
            raise StoreError(f"cannot start a query process: {exc}") from exc
        finally:
            theirs.close()
        assert process.pid is not None  # started
        logger.info("query process %s started", process.pid)
        return QueryProcess(process.pid, ours, version=0)

    def _stop(self, process: QueryProcess, channel: Channel | None) -> None:
        """Kill ``process`` (SIGKILL: the engine cannot be interrupted); a replacement is
        started at once, and opens the same checkpoint when a job names it."""
        if channel is not None:
            channel.close()
        process.kill()
        with self._state_lock:
            if self._process is process:
                self._process = None
        self._warm_in_background()
