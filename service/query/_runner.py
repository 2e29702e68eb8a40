"""What the embedded store's two query runners share: admission, evaluation slots, the
time limit, and the way an answer leaves the query process.

``QueryPool`` (queries on an in-memory copy held by a zygote) and
``CheckpointRunner`` (queries on hard-link checkpoints) differ only in how they
get a query process that serves the store's current version; everything a
client sees of the limits is decided here, once.

A query whose client has gone (the web layer sets the request's ``gone`` event:
``service.web._asgi``) is stopped as at its time limit: its process is killed, which
frees its admission slot and its core at once (other queries on that process run again
on a new one, as after a timeout). The request's thread looks at ``gone`` every
``WATCH_S`` while it waits for the answer, so a query answered sooner is never stopped
for it (killing it would cost more than finishing it); one whose client left while it
waited for an evaluation slot is not sent at all.
"""

from __future__ import annotations

import math
import select
import threading
import time
from collections.abc import Callable
from typing import NoReturn

from service.errors import ClientGoneError, QueryTimeoutError
from service.query._channel import Channel
from service.query._isolation import network_isolation
from service.query._job import RETRY_AFTER_S, Admission, QueryJob, Streamed
from service.query._messages import Abandoned, Failed, Gone, Reply, Retired
from service.query._procs import QueryProcess, RetiredError, streamed
from service.store import OxigraphStore

#: Times a query is sent again after its process was stopped under it.
MAX_RETRIES = 2
#: Seconds between two looks at whether a query's client is still there.
WATCH_S = 0.25


class ProcessRunner:
    """Admission control plus evaluation in a killable query process (or, with no
    workers or no store on disk, in the web process, without a hard time limit)."""

    #: The name of the thread that starts the query process in the background.
    warm_thread = "query-start"

    def __init__(
        self,
        store: OxigraphStore,
        *,
        workers: int,
        max_concurrent: int,
        timeout_s: float,
        base_iri: str,
        on_timeout: Callable[[], None],
        log: tuple[str, str],
        isolate_network: bool,
    ) -> None:
        self.store = store
        self.timeout_s = timeout_s
        self.max_concurrent = max_concurrent
        self.base_iri = base_iri
        self.on_timeout = on_timeout
        self.log = log
        self._admission = Admission(max_concurrent)
        # Evaluation slots, handed out here rather than in the query process: a query that
        # waits for one past its limit has nothing running to stop, and must not kill the
        # process whose slots are busy with other queries.
        self._slots = threading.BoundedSemaphore(max(1, workers))
        self._closed = False
        self._failed_at = -1e9  # when starting the query process last failed
        # Held for moments only: which process is current (and, for the pool, which live).
        self._state_lock = threading.Lock()
        self._process: QueryProcess | None = None
        self._warming = False
        self.workers = workers if store.path is not None else 0
        #: The query processes have no network (``service.query._isolation``).
        self.network_isolated = network_isolation(isolate_network, self.workers)

    # -- QueryRunner -------------------------------------------------------

    def running(self) -> int:
        return self._admission.running()

    def run(self, job: QueryJob, gone: threading.Event | None = None) -> Streamed:
        """Evaluate ``job``; raises the query's error, ``QueryTimeoutError``,
        ``OverloadedError``, or ``ClientGoneError`` once ``gone`` is set (the evaluation
        stopped). The returned chunks must be consumed or closed."""
        self._admission.enter()
        if not self.workers:
            try:
                answered = job.answer_on(self.store)
            finally:
                self._admission.leave()
            return Streamed.whole(answered.format, answered.rows, answered.truncated, answered.body)
        try:
            return self._run_in_process(job, gone)
        except BaseException:
            self._admission.leave()
            raise

    def worker_pids(self) -> list[int]:
        """Process id of the query process (for tests and metrics)."""
        process = self._process
        return [process.pid] if process is not None and process.alive else []

    # -- for the runners ---------------------------------------------------

    def _run_in_process(self, job: QueryJob, gone: threading.Event | None) -> Streamed:
        raise NotImplementedError

    def _warm(self) -> None:
        raise NotImplementedError

    def _stop(self, process: QueryProcess, channel: Channel | None) -> None:
        raise NotImplementedError

    def _stop_unanswered(
        self, process: QueryProcess, channel: Channel | None, reply: Abandoned | None
    ) -> NoReturn:
        """Stop a query that had no answer: past its limit (``reply`` is ``None``) or with
        nobody waiting for it (``Abandoned``). Its process is killed, and whatever shares
        it runs again elsewhere."""
        process.stopped_at_limit = True
        self._stop(process, channel)
        if reply is not None:
            raise self._client_gone()
        self.on_timeout()
        raise self._timeout()

    def _warm_in_background(self) -> None:
        """Get a query process ready now, not on the first query (once at a time)."""
        with self._state_lock:
            if self._warming or self._closed:
                return
            self._warming = True
        threading.Thread(target=self._warm, name=self.warm_thread, daemon=True).start()

    def _timeout(self) -> QueryTimeoutError:
        return QueryTimeoutError(
            f"the query ran longer than the {self.timeout_s:g} s limit and was stopped; "
            "narrow it (LIMIT, more selective patterns) and try again",
            timeoutSeconds=self.timeout_s,
        )

    def _take_slot(self, deadline: float) -> None:
        """One of the evaluation slots, or 503 when none is free by ``deadline`` (the
        query is not running: nothing to stop). Give it back with ``_slots.release()``."""
        if not self._slots.acquire(timeout=max(0.0, deadline - time.monotonic())):
            raise QueryTimeoutError(
                f"the query waited {self.timeout_s:g} s for one of the "
                f"{self.workers} evaluation slots, all busy; try again in a moment",
                timeoutSeconds=self.timeout_s,
                retryAfter=RETRY_AFTER_S,
            )

    @staticmethod
    def _client_gone() -> ClientGoneError:
        return ClientGoneError(
            "the client closed its connection before the answer came; the query was stopped"
        )

    def _take_slot_for(self, deadline: float, gone: threading.Event | None) -> None:
        """``_take_slot``, then 499 if the client went while the query waited for it (the
        slot is given back: nothing was sent)."""
        self._take_slot(deadline)
        if gone is not None and gone.is_set():
            self._slots.release()
            raise self._client_gone()

    def _answered(self, process: QueryProcess, channel: Channel, reply: Reply) -> Streamed:
        """The answer whose first reply came: a failure raises its error (admission is
        given back on the way out, by ``run``)."""
        if not isinstance(reply, Failed):
            # Evaluated: the admission slot is free for the next query, whatever the
            # client's pace reading the answer (the query process cuts off a reader that
            # stalls).
            self._admission.leave()
        return streamed(process, channel, reply)

    @staticmethod
    def _ask(
        process: QueryProcess,
        message: tuple[object, ...],
        deadline: float,
        gone: threading.Event | None = None,
    ) -> tuple[Reply | Gone | Retired | Abandoned | None, Channel | None]:
        """Send the job's message and wait for the first reply: it, and the channel it came
        on; ``None`` past ``deadline``, ``Gone`` when the process is, ``Retired`` when it
        takes no more work, ``Abandoned`` when ``gone`` was set first."""
        channel: Channel | None = None
        try:
            channel = process.checkout()
            channel.send(message)
            if gone is not None and not _replied(channel, deadline, gone):
                return Abandoned(), channel
            return channel.recv(deadline), channel
        except RetiredError:
            return Retired(), None
        except (OSError, EOFError):
            return Gone(), channel


def _replied(channel: Channel, deadline: float, gone: threading.Event) -> bool:
    """Wait for the reply to begin, until ``deadline``, looking at ``gone`` every
    ``WATCH_S``: False when the client went first. (Waiting is done here, not in
    ``Channel.recv``, which must not stop in the middle of a message.)"""
    poller = select.poll()
    poller.register(channel.fileno(), select.POLLIN)
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return True  # the deadline is ``recv``'s to see
        if poller.poll(math.ceil(min(left, WATCH_S) * 1000)):
            return True  # the reply (or the end of the process) has come
        if gone.is_set():
            return False
