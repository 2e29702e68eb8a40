"""The per-client rate limit (``--rate-limit``): requests per minute per address."""

from __future__ import annotations

import threading
import time
from collections import deque

from service.errors import TooManyRequestsError


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
