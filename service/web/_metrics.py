"""Observability: one access-log line per request, and ``/metrics`` for Prometheus.

The access-log line (logger ``parley.access``) carries the request id,
method, path, status, milliseconds and result size; the request-wide
middleware (``service.web._middleware``) records each request when the last
byte of its answer has gone, so the time and size are the whole answer's. The
metrics live in a registry of the application's own (tests build many
applications in one process).
"""

from __future__ import annotations

import itertools
import logging
import time
import uuid
from dataclasses import dataclass

from flask import Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
)
from prometheus_client.exposition import generate_latest

from service.store import GraphStore

access_log = logging.getLogger("parley.access")

#: Statuses that mean the request was refused (and why, for the rejections counter).
_REJECTIONS = {401: "unauthenticated", 403: "forbidden", 413: "too-large", 429: "rate-limit"}


class Metrics:
    """The application's Prometheus metrics."""

    def __init__(self, store: GraphStore) -> None:
        disable_created_metrics()  # type: ignore[no-untyped-call]  # *_created: scrape noise
        self.registry = CollectorRegistry(auto_describe=True)
        self.store = store
        self.requests = Counter(
            "parley_http_requests",
            "HTTP requests by route, method and status.",
            ["route", "method", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "parley_http_request_duration_seconds",
            "Time to the last byte of the response, by route.",
            ["route"],
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
            registry=self.registry,
        )
        self.timeouts = Counter(
            "parley_query_timeouts", "Queries stopped at the time limit.", registry=self.registry
        )
        self.rejected = Counter(
            "parley_rejected_requests",
            "Requests refused before any work: auth, body size, rate limit, overload.",
            ["reason"],
            registry=self.registry,
        )
        self._size_cache: tuple[int, int] = (-1, 0)
        # Request ids: a random prefix, then a counter (unique, and no system call each).
        self._id_prefix = uuid.uuid4().hex[:8]
        self._ids = itertools.count(1)
        Gauge("parley_store_quads", "Quads in the store.", registry=self.registry).set_function(
            self._store_size
        )

    def _store_size(self) -> float:
        version = self.store.version()
        if self._size_cache[0] != version:
            self._size_cache = (version, self.store.count())
        return float(self._size_cache[1])

    def observe(
        self, route: str, method: str, status: int, seconds: float, *, timed_out: bool = False
    ) -> None:
        self.requests.labels(route=route, method=method, status=str(status)).inc()
        self.latency.labels(route=route).observe(seconds)
        reason = _REJECTIONS.get(status)
        if status == 503 and not timed_out:
            reason = "overloaded"
        if reason:
            self.rejected.labels(reason=reason).inc()

    def request_id(self, given: str | None) -> str:
        """The client's ``X-Request-Id``, or a new one."""
        return given or f"{self._id_prefix}{next(self._ids):08x}"

    def exposition(self) -> Response:
        return Response(generate_latest(self.registry), content_type=CONTENT_TYPE_LATEST)

    def record(self, done: RequestDone, size: int | None) -> None:
        """Count a finished request and write its access-log line."""
        seconds = time.perf_counter() - done.started
        self.observe(done.route, done.method, done.status, seconds, timed_out=done.timed_out)
        access_log.info(
            "request",
            extra={
                "request_id": done.request_id,
                "method": done.method,
                "path": done.path,
                "status": done.status,
                "ms": round(seconds * 1000, 2),
                "bytes": size if size is not None else -1,
            },
        )


@dataclass(frozen=True)
class RequestDone:
    """What the access log and the metrics say of a request, known when it is answered."""

    request_id: str
    route: str
    method: str
    path: str
    status: int
    #: ``time.perf_counter()`` when the request arrived.
    started: float
    #: A 503 that is a query's time limit, not an overload.
    timed_out: bool = False
