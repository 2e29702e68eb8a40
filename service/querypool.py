"""Client queries in a supervised worker process, with a time limit that stops the work.

pyoxigraph cannot cancel a running query, so a query that must be stopped
has to be in a process that can be killed. Client queries run in one query
process (``service.queryworker``) on up to ``Settings.query_workers``
threads, all reading one snapshot of the store (``service.snapshots``) and
sharing its caches, as Oxigraph's own server shares them between its threads.
A request sends its job (tagged with an id) and waits for the answer up to
its deadline. Past it, the query process is killed with SIGKILL (its CPU is
released at once) and a replacement is forked; the client gets 503. The
other queries the process was running only read, so they are sent again to
the replacement, each within its own time limit: they are answered, late.

Admission: at most ``max_concurrent_queries`` queries are admitted (running
or queued); past that a client gets 503 with ``Retry-After``.

With ``query_workers = 0`` (or an in-memory store, which cannot be
snapshotted) queries run in the web process, without a hard time limit.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import multiprocessing
import os
import queue
import signal
import threading
import time
from collections.abc import Callable
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

from service import errors
from service.errors import ParleyError, QueryTimeoutError, StoreError
from service.formats import ALL_FORMATS, Format
from service.oxigraph_store import OxigraphStore
from service.queryjob import Admission, QueryJob, Streamed
from service.snapshots import Snapshots

logger = logging.getLogger(__name__)

#: Times a query is sent again after its process was stopped under it.
MAX_RETRIES = 2


class _QueryProcess:
    """The query process, and the jobs it is running; one reader thread routes its replies."""

    def __init__(self, process: BaseProcess, conn: Connection) -> None:
        self.process = process
        self.conn = conn
        self._send_lock = threading.Lock()
        self._lock = threading.Lock()
        self._waiting: dict[int, queue.SimpleQueue[tuple[Any, ...]]] = {}
        self.alive = True
        threading.Thread(target=self._read, name="query-replies", daemon=True).start()

    def submit(
        self, job_id: int, snapshot: Path, wire: object
    ) -> queue.SimpleQueue[tuple[Any, ...]]:
        replies: queue.SimpleQueue[tuple[Any, ...]] = queue.SimpleQueue()
        with self._lock:
            if not self.alive:
                replies.put(("gone",))
                return replies
            self._waiting[job_id] = replies
        try:
            with self._send_lock:
                self.conn.send((job_id, str(snapshot), wire))
        except (OSError, ValueError):
            self.forget(job_id)
            replies.put(("gone",))
        return replies

    def forget(self, job_id: int) -> None:
        with self._lock:
            self._waiting.pop(job_id, None)

    def _read(self) -> None:
        while True:
            try:
                message = self.conn.recv()
            except (EOFError, OSError):
                break
            with self._lock:
                replies = self._waiting.get(message[0])
            if replies is not None:
                replies.put(message[1:])
        # The process is gone (killed, or crashed): every job still waiting is told.
        with self._lock:
            self.alive = False
            waiting, self._waiting = list(self._waiting.values()), {}
        for replies in waiting:
            replies.put(("gone",))

    def kill(self) -> None:
        pid = self.process.pid
        if pid is not None and self.process.is_alive():
            # It may have died (and not been reaped) since is_alive() looked.
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        self.process.join(timeout=5)
        self.conn.close()
        logger.info("query process %s stopped", pid)


def _error(name: str, detail: str, extras: dict[str, object]) -> ParleyError:
    cls = getattr(errors, name, None)
    if not (isinstance(cls, type) and issubclass(cls, ParleyError)):
        cls = StoreError
    return cls(detail, **extras)


def _format(name: str) -> Format:
    return next(f for f in ALL_FORMATS if f.name == name)


class QueryPool:
    """Admission control plus evaluation (in worker processes or in-process)."""

    def __init__(
        self,
        store: OxigraphStore,
        *,
        workers: int,
        max_concurrent: int,
        timeout_s: float,
        base_iri: str,
        on_timeout: Callable[[], None] = lambda: None,
    ) -> None:
        self.store = store
        self.timeout_s = timeout_s
        self.max_concurrent = max_concurrent
        self.base_iri = base_iri
        self.on_timeout = on_timeout
        self._admission = Admission(max_concurrent)
        self._closed = False
        self._job_ids = itertools.count(1)
        self._process_lock = threading.Lock()
        self._process: _QueryProcess | None = None
        self.workers = workers if store.path is not None else 0
        self.snapshots: Snapshots | None = None
        if self.workers:
            assert store.path is not None
            self.snapshots = Snapshots(store, store.path.with_name(store.path.name + ".snapshots"))
            self._context = multiprocessing.get_context("forkserver")
            self._context.set_forkserver_preload(["service.queryworker"])
            threading.Thread(target=self._current, daemon=True).start()

    # -- admission ---------------------------------------------------------

    def _admit(self) -> None:
        self._admission.enter()

    def _leave(self) -> None:
        self._admission.leave()

    def running(self) -> int:
        return self._admission.running()

    # -- evaluation ----------------------------------------------------------

    def run(self, job: QueryJob) -> Streamed:
        """Evaluate ``job``; raises the query's error, ``QueryTimeoutError`` or
        ``OverloadedError``. The returned chunks must be consumed or closed."""
        self._admit()
        if not self.workers:
            try:
                answered = self.store.answer(job)
            finally:
                self._leave()
            return Streamed(
                answered.format,
                answered.rows,
                answered.truncated,
                len(answered.body),
                iter([answered.body]),
            )
        try:
            return self._run_in_worker(job)
        except BaseException:
            self._leave()
            raise

    def _run_in_worker(self, job: QueryJob) -> Streamed:
        assert self.snapshots is not None
        deadline = time.monotonic() + self.timeout_s
        wire = job.to_wire()
        for attempt in itertools.count():
            process = self._current()
            job_id = next(self._job_ids)
            snapshot = self.snapshots.acquire()
            replies = process.submit(job_id, snapshot, wire)
            reply = self._wait(replies, deadline)
            if reply is None:  # past the limit: stop the work (and whatever shares its process)
                process.forget(job_id)
                self.snapshots.release(snapshot)
                self._replace(process)
                self.on_timeout()
                raise QueryTimeoutError(
                    f"the query ran longer than the {self.timeout_s:g} s limit and was stopped; "
                    "narrow it (LIMIT, more selective patterns) and try again",
                    timeoutSeconds=self.timeout_s,
                )
            if reply[0] != "gone":
                break
            # Another query's time limit (or a crash) took the process down: run this one
            # again on the replacement, within what is left of its own limit; a query
            # that keeps losing its process (it crashes it) is given up.
            self.snapshots.release(snapshot)
            self._replace(process)
            if attempt >= MAX_RETRIES:
                raise StoreError("the query process stopped while evaluating the query")
        assert reply is not None  # the loop leaves only with a reply
        if reply[0] == "error":
            process.forget(job_id)
            self.snapshots.release(snapshot)
            raise _error(reply[1], reply[2], reply[3])
        _, fmt_name, rows, truncated, size, body = reply
        if body is not None:  # the whole answer came in one message
            process.forget(job_id)
            self.snapshots.release(snapshot)
            self._leave()
            return Streamed(_format(fmt_name), rows, truncated, size, iter([body]))
        chunks = _Body(self, process, job_id, replies, snapshot, deadline)
        return Streamed(_format(fmt_name), rows, truncated, size, chunks)

    @staticmethod
    def _wait(
        replies: queue.SimpleQueue[tuple[Any, ...]], deadline: float
    ) -> tuple[Any, ...] | None:
        """The next reply before the deadline, or ``None``."""
        try:
            return replies.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            return None

    def _finish(self, process: _QueryProcess, job_id: int, snapshot: Path) -> None:
        assert self.snapshots is not None
        process.forget(job_id)
        self.snapshots.release(snapshot)
        self._leave()

    # -- the query process ---------------------------------------------------

    def _current(self) -> _QueryProcess:
        with self._process_lock:
            if self._process is None or not self._process.alive:
                self._process = self._spawn()
            return self._process

    def _spawn(self) -> _QueryProcess:
        from service.queryworker import worker_main

        parent, child = self._context.Pipe()
        process = self._context.Process(
            target=worker_main,
            args=(child, self.base_iri, self.workers),
            daemon=True,
            name="parley-query",
        )
        process.start()
        child.close()
        return _QueryProcess(process, parent)

    def _replace(self, process: _QueryProcess) -> None:
        """Kill ``process`` (SIGKILL: the engine cannot be interrupted) if it is still the
        current one, and fork a replacement."""
        with self._process_lock:
            if self._process is process:
                process.kill()
                self._process = None if self._closed else self._spawn()

    def worker_pids(self) -> list[int]:
        """Process id of the query process (for tests and metrics)."""
        process = self._process
        return [process.process.pid] if process is not None and process.process.pid else []

    def close(self) -> None:
        self._closed = True
        with self._process_lock:
            process, self._process = self._process, None
        if process is not None:
            process.conn.close()
            process.process.join(timeout=2)
            if process.process.is_alive():
                process.process.kill()
        if self.snapshots is not None:
            self.snapshots.close()


class _Body:
    """The body chunks of a large answer; releases the job when done or closed (WSGI
    servers call ``close``, even when they never iterate, as for HEAD)."""

    def __init__(
        self,
        pool: QueryPool,
        process: _QueryProcess,
        job_id: int,
        replies: queue.SimpleQueue[tuple[Any, ...]],
        snapshot: Path,
        deadline: float,
    ) -> None:
        self.pool, self.process, self.job_id = pool, process, job_id
        self.replies, self.snapshot, self.deadline = replies, snapshot, deadline
        self.done = False

    def __iter__(self) -> _Body:
        return self

    def __next__(self) -> bytes:
        if self.done:
            raise StopIteration
        reply = self.pool._wait(self.replies, self.deadline)
        if reply is not None and reply[0] == "chunk":
            assert isinstance(reply[1], bytes)
            return reply[1]
        # The end, or (headers are sent) an answer that ends early: past the limit, the
        # process is stopped; a process gone for another reason just ends the stream.
        self.done = True
        self.pool._finish(self.process, self.job_id, self.snapshot)
        if reply is None:
            self.pool._replace(self.process)
        raise StopIteration

    def close(self) -> None:
        if not self.done:
            self.done = True
            self.pool._finish(self.process, self.job_id, self.snapshot)
