"""Clients' queries on a remote store: passed through, under the endpoint's limits.

The embedded store's query pool (``service.query._pool``) cannot apply: the
remote store evaluates. What Parley still owns is the same as for the pool:
admission (503 past ``max_concurrent``), the time limit, and the caps; the
store adapter closes the connection at the deadline
(``service.store._remote_answer``).
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from service.errors import QueryTimeoutError, StoreAnswerError
from service.query._job import Admission, QueryJob, QueryLimits, Streamed
from service.store import GraphStore


class RemoteQueryRunner:
    """``QueryRunner`` for a store that evaluates queries itself."""

    #: The store evaluates them, with whatever network it has.
    network_isolated = False

    def __init__(
        self, store: GraphStore, limits: QueryLimits, on_timeout: Callable[[], None]
    ) -> None:
        self.store = store
        self.limits = limits
        self.on_timeout = on_timeout
        self._admission = Admission(limits.max_concurrent)

    def run(self, job: QueryJob, gone: threading.Event | None = None) -> Streamed:
        # ``gone`` is not watched: the store's client waits for its answer, up to the limit.
        self._admission.enter()
        try:
            answer = job.answer_on(self.store, timeout_s=self.limits.timeout_s)
        except QueryTimeoutError:
            self.on_timeout()
            raise
        except StoreAnswerError as exc:
            # Stores that stop a query at their own limit (Oxigraph's --timeout-s) say so
            # inside an answer they have begun: for the client it is a timeout.
            self.on_timeout()
            raise QueryTimeoutError(
                f"the store stopped the query (its own time limit) and its answer broke off "
                f"({exc.detail})"
            ) from exc
        finally:
            self._admission.leave()
        return Streamed.whole(answer.format, answer.rows, answer.truncated, answer.body)

    def running(self) -> int:
        return self._admission.running()

    def ready(self) -> bool:
        return True  # the store evaluates

    def worker_pids(self) -> list[int]:
        return []  # the store evaluates

    def close(self) -> None:
        pass  # the store's client is closed with the store
