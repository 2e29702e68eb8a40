"""The guard: every evaluation whose cost a client controls runs under the time limit, in
a process that is killed when the limit passes.

The doors are clients' SPARQL queries, ``POST /validate`` (pyshacl with the
client's own shapes, whose SPARQL constraints and regular expressions the
client writes; or the server's shapes and the reasoner on the client's data,
whose cost grows faster than its size), SPARQL Updates (their ``WHERE``
clauses, or long data) and the check of a write whose reasoning or validation
costs more than the web process spends on one (``service.gate.guard_writes``).
Neither pyoxigraph nor pyshacl can be interrupted from Python, so
past ``Settings.query_timeout_s`` the process doing the work is killed
(SIGKILL: its CPU is free at once), the client gets 503, nothing is written,
and the web process, whose threads and locks took no part in the work, keeps
answering.

``Guard.run(job)`` is the one interface. A ``QueryJob`` goes to the query
runner (``service.query._pool`` and friends), whose query processes hold the
store's data and are killed at the limit the same way; every other job is a
``Job``: a picklable callable, run in a *guard worker*. A job that reads the
store carries what the worker opens (``Guard.shared``): a ``Snapshot`` of the
embedded store, which the web process removes afterwards whatever happened to
the worker, or the remote store's endpoints.

Guard workers are started from the multiprocessing forkserver, import the
job modules named in ``preload``, say they are ready, then run one job at a
time; up to ``workers`` (``Settings.query_workers``) run at once. A job that
waits for a free worker past its limit gets 503 and stops nothing; the time a
new worker takes to start is not counted against the job. The first job starts
the first worker; past the limit a worker is killed and a replacement started
in the background, for the next job. A job's ``ParleyError`` comes back by
class (its name, detail and JSON-safe extras), as from the query processes. A
worker dies with the web process, even in the middle of a job: it exits as soon
as its channel closes.

Admission: at most ``max_concurrent`` jobs admitted (waiting for a worker or
running), past that 503 with ``Retry-After``; queries have their own admission
in the query runner.

With ``workers = 0`` jobs run in the web process, without a hard time limit,
as queries do then; so does the work of a door on a store no worker can read
(an in-memory store).

On a worker's channel (``service.query._channel``): out ``Ready()`` once;
then, per job, in ``(job,)`` and out ``Done(answer)`` or ``Failed(class_name,
detail, extras)`` (``service.query._messages``).
"""

from __future__ import annotations

import contextlib
import logging
import shutil
import socket
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Protocol, TypeGuard, TypeVar, overload

from service.errors import (
    OverloadedError,
    ParleyError,
    StoreUnavailableError,
)
from service.query._channel import Channel
from service.query._copy import exports_folder
from service.query._forkserver import forkserver_context
from service.query._guard_worker import worker_main
from service.query._isolation import network_isolation
from service.query._job import RETRY_AFTER_S, Admission, QueryJob, QueryRunner, Streamed
from service.query._messages import Done, Failed, Ready
from service.store import GraphStore, OxigraphStore, RemoteSource, Snapshot, remote_source, snapshot

logger = logging.getLogger(__name__)

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)

#: Seconds a new worker may take to import its modules and say it is ready.
START_S = 60.0
#: Seconds to wait for a killed or stopped worker to be reaped.
JOIN_S = 5.0


class Job(Protocol[T_co]):
    """Work a client's request asks for, whose cost the client controls.

    Picklable, with a picklable answer: it is sent to a guard worker and its
    answer comes back (so it holds plain values, or a ``Snapshot`` of the store;
    its module is named in the guard's ``preload``).
    """

    def __call__(self) -> T_co:
        """Do the work (in a guard worker; in the web process when the guard has none)."""

    def timed_out(self, limit_s: float) -> ParleyError:
        """What the client is told when the work ran past ``limit_s`` and was stopped."""


class Guard:
    """Runs clients' work under the time limit: queries on the query runner, other jobs in
    guard workers. Also the application's ``QueryRunner`` (queries pass straight through)."""

    def __init__(
        self,
        queries: QueryRunner,
        *,
        workers: int,
        max_concurrent: int,
        timeout_s: float,
        preload: Sequence[str] = (),
        on_timeout: Callable[[], None] = lambda: None,
        log: tuple[str, str] = ("INFO", "text"),
        isolate_network: bool = True,
    ) -> None:
        self.queries = queries
        self.workers = workers
        self.timeout_s = timeout_s
        self.preload = tuple(preload)
        self.on_timeout = on_timeout
        self.log = log
        self._admission = Admission(max_concurrent)
        # Held by a job from before it takes a worker until its answer (or its limit).
        self._slots = threading.BoundedSemaphore(max(1, workers))
        self._lock = threading.Lock()
        #: Notified when a worker becomes idle, or a background start ends.
        self._changed = threading.Condition(self._lock)
        self._idle: list[_Worker] = []
        self._live: set[_Worker] = set()
        self._closed = False
        self._warming = False
        self._snapshots: Path | None = None
        # Workers without network (``service.query._isolation``), when the caller asks.
        self._isolate_workers = network_isolation(isolate_network, workers)
        #: No process that evaluates clients' work has network (the runner's included).
        self.network_isolated = self._isolate_workers and queries.network_isolated
        if workers:  # the first job starts the first worker: an app that needs none has none
            # Its workers are forked with the preload imported (``service.query._forkserver``).
            self._context = forkserver_context(self.preload)

    # -- the one interface -------------------------------------------------------

    @overload
    def run(self, job: QueryJob, gone: threading.Event | None = None) -> Streamed: ...

    @overload
    def run(self, job: Job[T], gone: threading.Event | None = None) -> T: ...

    def run(self, job: QueryJob | Job[T], gone: threading.Event | None = None) -> Streamed | T:
        """Evaluate ``job`` within the time limit.

        :raises ParleyError: the job's own error; its ``timed_out`` error past the limit
            (the work was stopped); ``OverloadedError`` when too many jobs are admitted or
            every worker stayed busy until the limit. ``gone`` (set when the client has
            gone) stops a query (``ClientGoneError``); other jobs run on regardless.
        """
        if isinstance(job, QueryJob):
            return self.queries.run(job, gone)
        self._admission.enter()
        try:
            if not self.workers:
                return job()
            return self._in_worker(job)
        finally:
            self._admission.leave()

    def can_snapshot(self, store: GraphStore) -> TypeGuard[OxigraphStore]:
        """True when jobs run in workers and ``store`` can be snapshotted for them (the
        embedded store on disk; a remote store evaluates on its own side, an in-memory one
        cannot be shared)."""
        return self.workers > 0 and isinstance(store, OxigraphStore) and store.path is not None

    @contextmanager
    def snapshot(self, store: OxigraphStore) -> Iterator[Snapshot]:
        """A snapshot of ``store`` for a job to read, removed when the block ends."""
        assert store.path is not None, "an in-memory store has no snapshots"
        with self._lock:
            if self._snapshots is None:
                self._snapshots = exports_folder(store.path)
            root = self._snapshots
        with snapshot(store, root) as taken:
            yield taken

    def can_share(self, store: GraphStore) -> bool:
        """True when jobs run in workers and a worker can read ``store``: a snapshot of the
        embedded store on disk, or the remote store itself."""
        return self.can_snapshot(store) or (self.workers > 0 and remote_source(store) is not None)

    @contextmanager
    def shared(self, store: GraphStore) -> Iterator[Snapshot | RemoteSource]:
        """``store`` for a job to read: a snapshot of the embedded store (removed when the
        block ends), or the remote store, which a worker reaches on its own."""
        if self.can_snapshot(store):
            with self.snapshot(store) as taken:
                yield taken
            return
        source = remote_source(store)
        assert source is not None, "check can_share first"
        yield source

    # -- QueryRunner ---------------------------------------------------------------

    def running(self) -> int:
        """Queries and jobs admitted now."""
        return self.queries.running() + self._admission.running()

    def ready(self) -> bool:
        return self.queries.ready()

    def worker_pids(self) -> list[int]:
        """Processes that evaluate clients' work: the query runner's, then the guard's."""
        with self._lock:
            mine = [w.pid for w in self._live]
        return self.queries.worker_pids() + mine

    def close(self) -> None:
        """Stop every worker (a runaway job has nobody else to stop it) and the query runner;
        remove the snapshots."""
        with self._lock:
            self._closed = True
            workers, self._live, self._idle = list(self._live), set(), []
            snapshots = self._snapshots
        for worker in workers:
            worker.kill()
        if snapshots is not None:
            shutil.rmtree(snapshots, ignore_errors=True)
        self.queries.close()

    # -- jobs in workers -------------------------------------------------------------

    def _in_worker(self, job: Job[T]) -> T:
        deadline = time.monotonic() + self.timeout_s
        if not self._slots.acquire(timeout=self.timeout_s):
            raise OverloadedError(
                f"all {self.workers} workers for clients' work stayed busy for the "
                f"{self.timeout_s:g} s time limit; try again in a moment",
                retryAfter=RETRY_AFTER_S,
            )
        try:
            waited = time.monotonic()
            worker = self._take()
            deadline += time.monotonic() - waited  # starting a worker is not the client's time
            try:
                worker.channel.send((job,))
            except OSError as exc:
                self._lose(worker)
                raise ParleyError(f"the process for the work stopped ({exc})") from exc
            except BaseException:  # the job did not pickle: the worker got nothing
                self._give_back(worker)
                raise
            try:
                reply = worker.channel.recv(deadline)
            except EOFError as exc:  # it crashed (out of memory, ...): the job's doing
                self._lose(worker)
                raise ParleyError(
                    f"the process doing the work stopped while doing it ({exc})"
                ) from exc
            except BaseException:
                self._lose(worker)
                raise
            if reply is None:  # past the limit: stop the work
                self._lose(worker)
                self.on_timeout()
                raise job.timed_out(self.timeout_s)
            self._give_back(worker)
        finally:
            self._slots.release()
        if isinstance(reply, Failed):
            raise reply.exception()
        assert isinstance(reply, Done)
        answer: T = reply.value
        return answer

    def _take(self) -> _Worker:
        """An idle worker; else the one starting in the background, once it is ready (two
        starting at once would slow each other down); else a new one, once it is ready."""
        until = time.monotonic() + START_S
        with self._changed:
            while True:
                while self._idle:
                    worker = self._idle.pop()
                    if worker.process.is_alive():
                        return worker
                    self._live.discard(worker)
                if not self._warming or time.monotonic() >= until:
                    break
                self._changed.wait(max(0.0, until - time.monotonic()))
        return self._new()

    def _new(self) -> _Worker:
        worker = self._start()
        with self._lock:
            closed = self._closed
            if not closed:
                self._live.add(worker)
        if closed:  # the server stopped meanwhile: nobody would stop this one
            worker.kill()
            raise StoreUnavailableError("the server is stopping", retryAfter=RETRY_AFTER_S)
        return worker

    def _give_back(self, worker: _Worker) -> None:
        with self._changed:
            if not self._closed and worker in self._live and len(self._idle) < self.workers:
                self._idle.append(worker)
                self._changed.notify()
                return
            self._live.discard(worker)
        worker.stop()

    def _lose(self, worker: _Worker) -> None:
        """Kill ``worker`` (its work cannot be interrupted any other way) and start a
        replacement for the next job."""
        with self._lock:
            self._live.discard(worker)
        worker.kill()
        self._warm_in_background()

    def _start(self) -> _Worker:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            process = self._context.Process(
                target=worker_main,
                args=(theirs, self.preload, self.log, self._isolate_workers),
                daemon=True,
                name="parley-guard",
            )
            process.start()
        except OSError as exc:  # out of memory or processes
            ours.close()
            raise StoreUnavailableError(
                f"cannot start a process for clients' work: {exc}", retryAfter=RETRY_AFTER_S
            ) from exc
        finally:
            theirs.close()
        worker = _Worker(process, Channel(ours))
        try:
            ready = worker.channel.recv(time.monotonic() + START_S)
        except EOFError:
            ready = None
        if not isinstance(ready, Ready):
            worker.kill()
            raise StoreUnavailableError(
                "a process for clients' work did not start", retryAfter=RETRY_AFTER_S
            )
        logger.info("guard worker %s started", worker.pid)
        return worker

    def _warm_in_background(self) -> None:
        with self._lock:
            if self._warming or self._closed or self._idle:
                return
            self._warming = True
        threading.Thread(target=self._warm, name="guard-start", daemon=True).start()

    def _warm(self) -> None:
        worker: _Worker | None = None
        try:
            worker = self._new()
        except ParleyError as error:  # the next job will say it again
            if not self._closed:
                logger.error("a process for clients' work could not start: %s", error.detail)
        finally:
            with self._changed:  # idle before warming ends: a job waiting for it takes it
                self._warming = False
                if worker is not None and worker in self._live:
                    if len(self._idle) < self.workers:
                        self._idle.append(worker)
                        worker = None
                    else:
                        self._live.discard(worker)
                self._changed.notify_all()
        if worker is not None:  # the guard was closed meanwhile, or has workers enough
            worker.stop()


class _Worker:
    """A guard worker and the channel to it."""

    def __init__(self, process: BaseProcess, channel: Channel) -> None:
        self.process = process
        self.channel = channel
        assert process.pid is not None  # started
        self.pid: int = process.pid

    def kill(self) -> None:
        """Stop it at once, whatever it is doing."""
        self.channel.close()
        with contextlib.suppress(OSError):
            self.process.kill()
        self.process.join(JOIN_S)
        logger.info("guard worker %s stopped", self.pid)

    def stop(self) -> None:
        """Let an idle worker go: it exits at the end of its channel."""
        self.channel.close()
        self.process.join(JOIN_S)
        if self.process.is_alive():
            self.kill()
