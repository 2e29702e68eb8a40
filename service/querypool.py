"""Client queries in a killable query process, on an in-memory copy of the store.

pyoxigraph cannot cancel a running query, so a query that must be stopped
has to be in a process that can be killed. Client queries run in a *query
process* (``service.queryworker``), on up to ``Settings.query_workers``
threads at once. A request sends its job on a channel of its own
(``service.channel``) and waits on it for the answer up to its deadline.
Past it, the query process is killed with SIGKILL (its CPU is released at
once) and the client gets 503. The other queries the process was running only
read, so they are sent again to a new query process, each within its own
time limit: they are answered, late.

The query process evaluates on an in-memory copy of the store, which a
*zygote* process holds and keeps current (``service.queryworker``): a new
query process is forked from it in a few milliseconds, with the copy shared
copy-on-write, so a kill costs no reload. The copy answers the benchmark's
query mix about 2x faster than the RocksDB store it copies (docs/benchmarks.md).
Each query process serves one version of the store: when a query arrives and
the store has changed since, the zygote applies the commits' updates and a new
query process is forked, so a client always reads its own writes; the
previous one finishes its queries and exits.

Admission: at most ``max_concurrent_queries`` queries are admitted (running
or queued); past that a client gets 503 with ``Retry-After``.

With ``query_workers = 0`` (or an in-memory store) queries run in the web
process, without a hard time limit.
"""

from __future__ import annotations

import itertools
import logging
import multiprocessing
import shutil
import threading
import time
from collections.abc import Callable
from typing import Any

from service import errors
from service.channel import Channel
from service.errors import ParleyError, QueryTimeoutError, StoreError
from service.formats import ALL_FORMATS, Format
from service.oxigraph_store import OxigraphStore
from service.queryjob import Admission, QueryJob, Streamed
from service.queryprocs import QueryProcess, Zygote

logger = logging.getLogger(__name__)

#: Times a query is sent again after its process was stopped under it.
MAX_RETRIES = 2


def _error(name: str, detail: str, extras: dict[str, object]) -> ParleyError:
    cls = getattr(errors, name, None)
    if not (isinstance(cls, type) and issubclass(cls, ParleyError)):
        cls = StoreError
    return cls(detail, **extras)


_FORMATS = {f.name: f for f in ALL_FORMATS}


def _format(name: str) -> Format:
    return _FORMATS[name]


class QueryPool:
    """Admission control plus evaluation (in the query process, or in-process)."""

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
        self._process_lock = threading.Lock()
        self._zygote: Zygote | None = None
        self._process: QueryProcess | None = None
        self._checkpoints = itertools.count(1)
        self.workers = workers if store.path is not None else 0
        if self.workers:
            assert store.path is not None
            # Checkpoints for the zygote to load sit beside the store: hard links need one disk.
            self._checkpoint_root = store.path.with_name(store.path.name + ".checkpoints")
            shutil.rmtree(self._checkpoint_root, ignore_errors=True)  # a previous run's
            self._context = multiprocessing.get_context("forkserver")
            self._context.set_forkserver_preload(["service.queryworker"])
            # Load the copy now, in the background, rather than on the first query.
            threading.Thread(target=self._warm, name="query-copy", daemon=True).start()

    def _warm(self) -> None:
        try:
            self._current()
        except ParleyError as error:  # the first query will say it again
            logger.error("the query process could not start: %s", error.detail)

    # -- admission ---------------------------------------------------------

    def running(self) -> int:
        return self._admission.running()

    def ready(self) -> bool:
        """True once the zygote holds a copy of the store (at start, it loads one)."""
        if not self.workers:
            return True
        zygote = self._zygote
        return zygote is not None and zygote.alive and zygote.version >= 0

    # -- evaluation ----------------------------------------------------------

    def run(self, job: QueryJob) -> Streamed:
        """Evaluate ``job``; raises the query's error, ``QueryTimeoutError`` or
        ``OverloadedError``. The returned chunks must be consumed or closed."""
        self._admission.enter()
        if not self.workers:
            try:
                answered = self.store.answer(job)
            finally:
                self._admission.leave()
            return Streamed.whole(answered.format, answered.rows, answered.truncated, answered.body)
        try:
            return self._run_in_process(job)
        except BaseException:
            self._admission.leave()
            raise

    def _timeout(self) -> QueryTimeoutError:
        return QueryTimeoutError(
            f"the query ran longer than the {self.timeout_s:g} s limit and was stopped; "
            "narrow it (LIMIT, more selective patterns) and try again",
            timeoutSeconds=self.timeout_s,
        )

    def _run_in_process(self, job: QueryJob) -> Streamed:
        deadline = time.monotonic() + self.timeout_s
        wire = (job.to_wire(),)
        for attempt in itertools.count():
            process = self._current()
            if time.monotonic() >= deadline:  # it waited for the copy to load: nothing ran
                raise self._timeout()
            reply: tuple[Any, ...] | None = ("gone",)
            channel: Channel | None = None
            try:
                channel = process.checkout()
                channel.send(wire)
                reply = channel.recv(deadline)
            except (OSError, EOFError):
                reply = ("gone",)
            if reply is None:  # past the limit: stop the work (and whatever shares its process)
                self._stop(process, channel)
                self.on_timeout()
                raise self._timeout()
            if reply[0] != "gone":
                break
            # Another query's time limit (or a crash) took the process down: run this one
            # again on a new process, within what is left of its own limit; a query that
            # keeps losing its process (it crashes it) is given up.
            self._stop(process, channel)
            if attempt >= MAX_RETRIES:
                raise StoreError("the query process stopped while evaluating the query")
        assert channel is not None  # a reply came on it
        assert reply is not None
        if reply[0] == "error":
            process.checkin(channel)
            raise _error(reply[1], reply[2], reply[3])
        _, fmt_name, rows, truncated, size, body = reply
        if body is not None:  # the whole answer came in one message
            process.checkin(channel)
            self._admission.leave()
            return Streamed.whole(_format(fmt_name), rows, truncated, body)
        chunks = _Body(self, process, channel, deadline)
        return Streamed(_format(fmt_name), rows, truncated, size, chunks)

    def _finish(self, process: QueryProcess, channel: Channel, *, whole: bool) -> None:
        if whole:
            process.checkin(channel)
        else:
            channel.close()  # what is left of the answer is not read: nobody may reuse it
        self._admission.leave()

    # -- the processes -------------------------------------------------------

    def _current(self) -> QueryProcess:
        """The query process for the store's current version (forked when needed)."""
        with self._process_lock:
            if self._closed:
                raise StoreError("the server is stopping")
            process = self._process
            version = self.store.version()
            if process is not None and process.alive and process.version == version:
                return process
            zygote = self._zygote_at(version)
            self._process = zygote.fork()
            if process is not None:
                process.retire()  # it answers what it was asked, then exits
            return self._process

    def _zygote_at(self, version: int) -> Zygote:
        """The zygote, its copy brought to ``version`` (or later)."""
        zygote = self._zygote
        if zygote is None or not zygote.alive:
            if zygote is not None:
                zygote.stop()
            zygote = self._zygote = Zygote.start(self._context, self.base_iri, self.workers)
        if zygote.version == version:
            return zygote
        updates = self.store.updates_since(zygote.version) if zygote.version >= 0 else None
        while updates is None:  # no copy yet, or commits it can no longer replay: load one
            target = self._checkpoint_root / f"checkpoint-{next(self._checkpoints)}"
            self._checkpoint_root.mkdir(parents=True, exist_ok=True)
            try:
                loaded = self.store.checkpoint(target)
                zygote.load(target, loaded)
            finally:
                shutil.rmtree(target, ignore_errors=True)
            updates = self.store.updates_since(loaded)  # what was committed meanwhile
        if updates:
            zygote.apply(updates)
        return zygote

    def _stop(self, process: QueryProcess, channel: Channel | None) -> None:
        """Kill ``process`` (SIGKILL: the engine cannot be interrupted); the next query
        gets a new one."""
        if channel is not None:
            channel.close()
        with self._process_lock:
            if self._process is process:
                self._process = None
        process.kill()

    def worker_pids(self) -> list[int]:
        """Process id of the query process (for tests and metrics)."""
        process = self._process
        return [process.pid] if process is not None and process.alive else []

    def close(self) -> None:
        with self._process_lock:
            self._closed = True
            process, self._process = self._process, None
            zygote, self._zygote = self._zygote, None
        if process is not None:
            process.retire()
        if zygote is not None:
            zygote.stop()
        if self.workers:
            shutil.rmtree(self._checkpoint_root, ignore_errors=True)


class _Body:
    """The body chunks of a large answer; releases the job when done or closed (WSGI
    servers call ``close``, even when they never iterate, as for HEAD)."""

    def __init__(
        self, pool: QueryPool, process: QueryProcess, channel: Channel, deadline: float
    ) -> None:
        self.pool, self.process, self.channel, self.deadline = pool, process, channel, deadline
        self.done = False

    def __iter__(self) -> _Body:
        return self

    def __next__(self) -> bytes:
        if self.done:
            raise StopIteration
        try:
            reply = self.channel.recv(self.deadline)
        except EOFError:
            reply = ("gone",)
        if reply is not None and reply[0] == "chunk":
            assert isinstance(reply[1], bytes)
            return reply[1]
        # The end, or (headers are sent) an answer that ends early: past the limit, the
        # process is stopped; a process gone for another reason just ends the stream.
        self.done = True
        self.pool._finish(self.process, self.channel, whole=reply == ("end",))
        if reply is None:
            self.pool._stop(self.process, None)
        raise StopIteration

    def close(self) -> None:
        if not self.done:
            self.done = True
            self.pool._finish(self.process, self.channel, whole=False)
