"""Client queries in supervised worker processes, with a time limit that stops the work.

pyoxigraph cannot cancel a running query, so a query that must be stopped
has to be in a process that can be killed. ``QueryPool`` keeps
``Settings.query_workers`` worker processes (``service.queryworker``), each
reading a snapshot of the store (``service.snapshots``). A request takes an
idle worker, sends it the job and waits for the answer up to the deadline;
past it the worker is killed with SIGKILL (its CPU is released at once), a
replacement is started in the background, and the client gets 503. Other
requests are served by the other workers meanwhile.

Admission: at most ``max_concurrent_queries`` queries are admitted (running
or waiting for a worker); past that a client gets 503 with ``Retry-After``.

With ``query_workers = 0`` (or an in-memory store, which cannot be
snapshotted) queries run in the web process, without a hard time limit.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import queue
import signal
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any, cast

from service import errors
from service.errors import OverloadedError, ParleyError, QueryTimeoutError, StoreError
from service.formats import ALL_FORMATS, Format
from service.oxigraph_store import OxigraphStore
from service.queryjob import QueryJob
from service.snapshots import Snapshots

logger = logging.getLogger(__name__)

#: Seconds a client is told to wait when the endpoint is saturated.
RETRY_AFTER_S = 2


@dataclass
class Streamed:
    """An answer on its way: headers are known, the body arrives in chunks."""

    format: Format
    rows: int
    truncated: str | None
    size: int
    chunks: Iterator[bytes]


@dataclass
class _Worker:
    process: BaseProcess
    conn: Connection


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
        self._admitted = 0
        self._admit_lock = threading.Lock()
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._closed = False
        self.workers = workers if store.path is not None else 0
        self.snapshots: Snapshots | None = None
        if self.workers:
            assert store.path is not None
            self.snapshots = Snapshots(store, store.path.with_name(store.path.name + ".snapshots"))
            self._context = multiprocessing.get_context("forkserver")
            self._context.set_forkserver_preload(["service.queryworker"])
            threading.Thread(target=self._start_workers, daemon=True).start()

    # -- admission ---------------------------------------------------------

    def _admit(self) -> None:
        with self._admit_lock:
            if self._admitted >= self.max_concurrent:
                error = OverloadedError(
                    f"{self.max_concurrent} queries are running; try again in a moment",
                    retryAfter=RETRY_AFTER_S,
                )
                error.headers["Retry-After"] = str(RETRY_AFTER_S)
                raise error
            self._admitted += 1

    def _leave(self) -> None:
        with self._admit_lock:
            self._admitted -= 1

    def running(self) -> int:
        return self._admitted

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
        try:
            worker = self._idle.get(timeout=self.timeout_s)
        except queue.Empty:
            error = OverloadedError(
                "no query worker became free within the time limit; try again later",
                retryAfter=RETRY_AFTER_S,
            )
            error.headers["Retry-After"] = str(RETRY_AFTER_S)
            raise error from None
        snapshot = self.snapshots.acquire()
        try:
            worker.conn.send((str(snapshot), job))
            message = cast(tuple[Any, ...], self._receive(worker, deadline, lambda c: c.recv()))
        except BaseException:
            self.snapshots.release(snapshot)
            raise
        if message[0] == "error":
            self.snapshots.release(snapshot)
            self._idle.put(worker)
            raise _error(message[1], message[2], message[3])
        _, fmt_name, rows, truncated, size, body = message
        if body is not None:  # the whole answer came in one message
            self._finish(worker, snapshot, healthy=True)
            return Streamed(_format(fmt_name), rows, truncated, size, iter([body]))
        chunks = self._chunks(worker, snapshot, deadline)
        return Streamed(_format(fmt_name), rows, truncated, size, chunks)

    def _receive(
        self, worker: _Worker, deadline: float, read: Callable[[Connection], object]
    ) -> object:
        """One message from a worker before the deadline, or kill it and raise 503."""
        remaining = deadline - time.monotonic()
        try:
            if remaining > 0 and worker.conn.poll(remaining):
                return read(worker.conn)
        except (EOFError, OSError) as exc:
            self._replace(worker)
            raise StoreError(f"the query worker died while evaluating the query: {exc}") from exc
        self._replace(worker)
        self.on_timeout()
        raise QueryTimeoutError(
            f"the query ran longer than the {self.timeout_s:g} s limit and was stopped; "
            "narrow it (LIMIT, more selective patterns) and try again",
            timeoutSeconds=self.timeout_s,
        )

    def _chunks(self, worker: _Worker, snapshot: Path, deadline: float) -> _Body:
        return _Body(self, worker, snapshot, deadline)

    def _finish(self, worker: _Worker, snapshot: Path, healthy: bool) -> None:
        assert self.snapshots is not None
        self.snapshots.release(snapshot)
        self._leave()
        if healthy:
            self._idle.put(worker)
        elif worker.process.is_alive():
            self._replace(worker)  # the client went away mid-answer

    # -- workers -------------------------------------------------------------

    def _spawn(self) -> _Worker:
        from service.queryworker import worker_main

        parent, child = self._context.Pipe()
        process = self._context.Process(
            target=worker_main, args=(child, self.base_iri), daemon=True, name="parley-query"
        )
        process.start()
        child.close()
        return _Worker(process, parent)

    def _start_workers(self) -> None:
        for _ in range(self.workers):
            if self._closed:
                return
            self._idle.put(self._spawn())

    def _replace(self, worker: _Worker) -> None:
        """Kill a worker (SIGKILL: the engine cannot be interrupted) and start another."""
        pid = worker.process.pid
        if pid is not None and worker.process.is_alive():
            os.kill(pid, signal.SIGKILL)
        worker.process.join(timeout=5)
        worker.conn.close()
        logger.info("query worker %s stopped", pid)
        if not self._closed:
            threading.Thread(target=lambda: self._idle.put(self._spawn()), daemon=True).start()

    def worker_pids(self) -> list[int]:
        """Process ids of the idle workers (for tests and metrics)."""
        return [w.process.pid for w in list(self._idle.queue) if w.process.pid is not None]

    def close(self) -> None:
        self._closed = True
        while True:
            try:
                worker = self._idle.get_nowait()
            except queue.Empty:
                break
            worker.conn.close()
            worker.process.join(timeout=2)
            if worker.process.is_alive():
                worker.process.kill()
        if self.snapshots is not None:
            self.snapshots.close()


class _Body:
    """The body chunks of a worker's answer; releases the worker when done or closed
    (WSGI servers call ``close``, even when they never iterate, as for HEAD)."""

    def __init__(self, pool: QueryPool, worker: _Worker, snapshot: Path, deadline: float) -> None:
        self.pool, self.worker, self.snapshot, self.deadline = pool, worker, snapshot, deadline
        self.done = False

    def __iter__(self) -> _Body:
        return self

    def __next__(self) -> bytes:
        if self.done:
            raise StopIteration
        try:
            chunk = self.pool._receive(self.worker, self.deadline, lambda c: c.recv_bytes())
        except (QueryTimeoutError, StoreError):
            # Headers are sent: the answer ends early (the worker was replaced).
            self.done = True
            self.pool._finish(self.worker, self.snapshot, healthy=False)
            raise StopIteration from None
        assert isinstance(chunk, bytes)
        if not chunk:
            self.done = True
            self.pool._finish(self.worker, self.snapshot, healthy=True)
            raise StopIteration
        return chunk

    def close(self) -> None:
        if not self.done:
            self.done = True
            self.pool._finish(self.worker, self.snapshot, healthy=False)
