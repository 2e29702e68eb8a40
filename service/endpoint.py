"""The public endpoint's own services: the query pool, the rate limiter, metrics.

Built once per application by ``install`` (called from ``create_app``) and
kept in ``app.extensions["parley.endpoint"]``; views reach them through
``endpoint_services()``.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass
from multiprocessing import util as mp_util

from flask import Flask, current_app

from service.errors import TooManyRequestsError
from service.metrics import Metrics
from service.queryjob import QueryLimits, QueryRunner
from service.service_description import VoidCache
from service.settings import Settings
from service.store import GraphStore


class RateLimiter:
    """At most ``per_minute`` requests per client address in any 60 s window (0: no limit).

    >>> limiter = RateLimiter(2)
    >>> limiter.check("a", now=0.0); limiter.check("a", now=1.0); limiter.check("b", now=1.0)
    >>> limiter.check("a", now=2.0)
    Traceback (most recent call last):
    ...
    service.errors.TooManyRequestsError: more than 2 requests in a minute from this address; ...
    """

    def __init__(self, per_minute: int) -> None:
        self.per_minute = per_minute
        self._seen: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def check(self, client: str, *, now: float | None = None) -> None:
        if self.per_minute <= 0:
            return
        now = time.monotonic() if now is None else now
        with self._lock:
            if len(self._seen) > 100_000:  # forget idle clients rather than grow forever
                self._seen = {k: v for k, v in self._seen.items() if v and v[-1] > now - 60}
            times = self._seen.setdefault(client, deque())
            while times and times[0] <= now - 60:
                times.popleft()
            if len(times) >= self.per_minute:
                wait = max(1, int(times[0] + 60 - now) + 1)
                raise TooManyRequestsError(
                    f"more than {self.per_minute} requests in a minute from this address; "
                    f"try again in {wait} s",
                    retryAfter=wait,
                )
            times.append(now)


@dataclass
class EndpointServices:
    #: The embedded store's query pool, or the remote store's query pass-through.
    queries: QueryRunner
    rate_limiter: RateLimiter
    metrics: Metrics
    void: VoidCache

    def limit_rate(self, client: str) -> None:
        self.rate_limiter.check(client)


def install(app: Flask, settings: Settings, store: GraphStore) -> EndpointServices:
    """Create the endpoint's services for ``app``."""
    metrics = Metrics(store)
    limits = QueryLimits(
        workers=settings.query_workers,
        max_concurrent=settings.max_concurrent_queries,
        timeout_s=settings.query_timeout_s,
        base_iri=settings.base_iri,
        log=(settings.log_level, settings.log_format),
    )
    pool = store.query_runner(limits, metrics.timeouts.inc)
    # At exit: stop the query processes. Not ``atexit``: the server's worker is a
    # multiprocessing child, which runs these finalizers but not atexit hooks.
    mp_util.Finalize(None, pool.close, exitpriority=10)
    found = EndpointServices(
        pool, RateLimiter(settings.rate_limit_per_minute), metrics, VoidCache()
    )
    app.extensions["parley.endpoint"] = found
    metrics.install(app)
    return found


def endpoint_services() -> EndpointServices:
    found = current_app.extensions["parley.endpoint"]
    assert isinstance(found, EndpointServices)
    return found
