"""What every request gets, written once: one WSGI middleware around the whole application.

For each request, whatever answers it:

- a request id (the client's ``X-Request-Id``, or a new one), sent back in
  ``X-Request-Id`` and written in the access log;
- for the routes that evaluate work a client wrote (``rate_limited`` in the route
  table, ``service.web.views``), the per-address rate limit, checked before anything
  reads the body: past it, a 429 problem document;
- when the last byte of the answer has gone (a streamed answer's too), its line in
  the access log and its Prometheus metrics, labelled with the matched URL rule.

Why WSGI rather than Flask's ``before_request``/``after_request`` hooks: a streamed
answer is still being sent after Flask has returned it, and only the WSGI ``close``
of its body says it is done. Every request passes through this one object, so
each concern has one place, whichever view answers.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask
from werkzeug.exceptions import HTTPException
from werkzeug.routing import Rule
from werkzeug.wsgi import ClosingIterator

from service.errors import ParleyError
from service.web._metrics import RequestDone
from service.web._problems import from_parley_error
from service.web._services import Services

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

#: Set in the environ by the error handler that answers a query's time limit with 503
#: (``service.web._app``), so the metrics count it as a timeout, not as an overload.
TIMED_OUT = "parley.timed_out"
#: The route label of a request no URL rule matches (404, 405).
UNMATCHED = "(unmatched)"


class RequestWide:
    """Request id, rate limit, access log and metrics around ``app``'s own WSGI app."""

    def __init__(self, app: Flask, services: Services, *, rate_limited: frozenset[str]) -> None:
        self.app = app
        self.wrapped: WSGIApp = app.wsgi_app
        self.services = services
        #: Endpoints whose requests count against the rate limit.
        self.rate_limited = rate_limited
        # One adapter for every request: matching only reads it (and the map brings its
        # matcher up to date itself when a rule was added since).
        self._adapter = app.url_map.bind("")

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        started = time.perf_counter()
        metrics = self.services.metrics
        request_id = metrics.request_id(environ.get("HTTP_X_REQUEST_ID"))
        path = _url_path(environ.get("PATH_INFO") or "/")
        method = environ.get("REQUEST_METHOD") or "GET"
        rule = self._rule(path, method)
        sent = _Sent(request_id, start_response)

        def record() -> None:
            route = rule.rule if rule is not None else UNMATCHED
            timed_out = bool(environ.get(TIMED_OUT))
            done = RequestDone(
                request_id, route, method, path, sent.status, started, timed_out=timed_out
            )
            metrics.record(done, sent.size)

        try:
            if rule is not None and rule.endpoint in self.rate_limited:
                body = self._rate_limited(environ, sent)
            else:
                body = self.wrapped(environ, sent)
        except BaseException:  # Flask answers its errors; this is the server's own failure
            sent.status = 500
            record()
            raise
        return ClosingIterator(body, record)

    def _rule(self, path: str, method: str) -> Rule | None:
        """The URL rule the request matches (Flask will match the same), or ``None``."""
        try:
            rule, _ = self._adapter.match(path, method, return_rule=True)
        except HTTPException:  # 404, 405, or a redirect to the canonical URL
            return None
        return rule

    def _rate_limited(self, environ: dict[str, Any], sent: _Sent) -> Iterable[bytes]:
        """The request counted against its address's rate limit, then answered; past the
        limit, refused before anything has read the body."""
        try:
            self.services.rate_limiter.check(environ.get("REMOTE_ADDR") or "-")
        except ParleyError as error:
            # The problem written as every other is (JSON, or a page for a browser).
            with self.app.request_context(environ):
                refusal = from_parley_error(error, self.services.settings.base_iri)
            answer: Iterable[bytes] = refusal(environ, sent)
            return answer
        return self.wrapped(environ, sent)


def _url_path(wsgi_path: str) -> str:
    """The path as werkzeug reads it: WSGI strings are bytes as Latin-1, URLs are UTF-8."""
    try:
        return wsgi_path.encode("latin-1").decode("utf-8", "replace")
    except UnicodeEncodeError:  # not a WSGI string: a server that decoded it already
        return wsgi_path


class _Sent:
    """The WSGI ``start_response`` of one request: adds ``X-Request-Id``, and keeps the
    status and the declared length for the access log."""

    __slots__ = ("request_id", "size", "start_response", "status")

    def __init__(self, request_id: str, start_response: Callable[..., Any]) -> None:
        self.request_id = request_id
        self.start_response = start_response
        self.status = 0
        self.size: int | None = None

    def __call__(
        self, status: str, headers: list[tuple[str, str]], exc_info: Any = None
    ) -> Callable[[bytes], object]:
        self.status = int(status[:3])
        for name, value in headers:
            if len(name) == 14 and name.lower() == "content-length":
                self.size = int(value) if value.isdigit() else None
        headers.append(("X-Request-Id", self.request_id))
        result: Callable[[bytes], object] = self.start_response(status, headers, exc_info)
        return result
