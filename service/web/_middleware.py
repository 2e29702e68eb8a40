"""What every request gets, written once: one WSGI middleware around the whole application.

For each request, whatever answers it:

- a request id (the client's ``X-Request-Id`` when it is a short plain token, else a
  new one: it goes into the access log, where spaces or line breaks would forge
  lines), sent back in ``X-Request-Id``;
- the security headers (``SECURITY_HEADERS``: a Content-Security-Policy without
  ``unsafe-inline``, ``nosniff``, no framing, no referrer), on every answer, static
  files and problems included;
- a redirect's ``Location`` built from the base IRI, never from the ``Host`` header
  (werkzeug builds its slash-merging redirects from ``Host``);
- for the routes that evaluate work a client wrote (``rate_limited`` in the route
  table, ``service.web.views``), the per-address rate limit, checked before anything
  reads the body: past it, a 429 problem document;
- a body sent without a length (chunked) read whole within ``--max-body-bytes``
  before any view sees it, or refused with 413; URL parameters that are not UTF-8
  text (or hold a NUL) refused with 400, not replaced (``service.web._body``);
- when the last byte of the answer has gone (a streamed answer's too), its line in
  the access log and its Prometheus metrics, labelled with the matched URL rule.

Why WSGI rather than Flask's ``before_request``/``after_request`` hooks: a streamed
answer is still being sent after Flask has returned it, and only the WSGI ``close``
of its body says it is done. Every request passes through this one object, so
each concern has one place, whichever view answers.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import urlsplit

from flask import Flask
from werkzeug.exceptions import HTTPException
from werkzeug.routing import Rule
from werkzeug.wsgi import ClosingIterator

from service.errors import ParleyError
from service.web._body import check_url_parameters, has_unsized_body, read_within
from service.web._metrics import RequestDone
from service.web._problems import from_parley_error
from service.web._services import Services

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

#: Set in the environ by the error handler that answers a query's time limit with 503
#: (``service.web._app``), so the metrics count it as a timeout, not as an overload.
TIMED_OUT = "parley.timed_out"
#: The route label of a request no URL rule matches (404, 405).
UNMATCHED = "(unmatched)"
#: A client's ``X-Request-Id`` that is kept: a plain token (a UUID, a trace id). Anything
#: else (spaces, CR/LF, ``key=value``, kilobytes) is replaced by a new id.
CLIENT_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
#: The pages load only this server's own files: their script and style are files under
#: ``/static`` (nothing inline, no ``style=`` or ``on…=`` attributes), forms post here,
#: ``data:`` is their empty favicon. No page may be framed (clickjacking).
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
#: Sent with every answer. ``nosniff``: a browser never runs data (a Turtle file holding
#: ``<script>``) as another type; Parley's links need no ``Referer``.
SECURITY_HEADERS = (
    ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "no-referrer"),
)


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
        request_id = metrics.request_id(_client_request_id(environ.get("HTTP_X_REQUEST_ID")))
        path = _url_path(environ.get("PATH_INFO") or "/")
        method = environ.get("REQUEST_METHOD") or "GET"
        rule = self._rule(path, method)
        sent = _Sent(request_id, start_response, self.services.settings.base_iri)

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
                body = self._answered(environ, sent)
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
        return self._answered(environ, sent)

    def _answered(self, environ: dict[str, Any], sent: _Sent) -> Iterable[bytes]:
        """The application's answer, once the URL's parameters are known to be text and a
        body sent without a length (chunked) has been read within the body limit
        (``service.web._body``); else a 400 or 413 problem."""
        try:
            check_url_parameters(environ)
            if has_unsized_body(environ):
                read_within(environ, self.services.settings.max_body_bytes)
        except ParleyError as error:
            with self.app.request_context(environ):
                refusal = from_parley_error(error, self.services.settings.base_iri)
            answer: Iterable[bytes] = refusal(environ, sent)
            return answer
        if environ.get("REQUEST_METHOD") in ("GET", "HEAD"):
            # On a remote store the graph list every query's dataset names is read once
            # per read request, not once per query: a page asks a score of them, and the
            # listing is a scan of the store (Virtuoso at 1M quads: 0.3 s). What an answer
            # streams after the view returns lists them as usual.
            with self.services.store.reads(nodes=False):
                return self.wrapped(environ, sent)
        return self.wrapped(environ, sent)


def _client_request_id(given: str | None) -> str | None:
    """The client's request id when it is a plain token (``CLIENT_REQUEST_ID``), else
    ``None`` (a new one is made)."""
    if given is not None and CLIENT_REQUEST_ID.fullmatch(given):
        return given
    return None


def _location_from_base(location: str, base_iri: str) -> str:
    """A redirect's target on this server, from the base IRI: werkzeug builds its own
    (``/a//b`` to ``/a/b``) from the ``Host`` header, which a client chooses.

    >>> _location_from_base("http://evil.example/static/x?v=1", "http://127.0.0.1:8000/")
    'http://127.0.0.1:8000/static/x?v=1'
    >>> _location_from_base("//evil.example/id/x", "https://parley.example/kb/")
    'https://parley.example/kb/id/x'
    >>> _location_from_base("/id/x", "http://h/")
    '/id/x'
    """
    parts = urlsplit(location)
    if not parts.scheme and not parts.netloc:
        return location  # relative: the client resolves it against the URL it asked for
    query = f"?{parts.query}" if parts.query else ""
    return base_iri + parts.path.lstrip("/") + query


def _url_path(wsgi_path: str) -> str:
    """The path as werkzeug reads it: WSGI strings are bytes as Latin-1, URLs are UTF-8."""
    try:
        return wsgi_path.encode("latin-1").decode("utf-8", "replace")
    except UnicodeEncodeError:  # not a WSGI string: a server that decoded it already
        return wsgi_path


class _Sent:
    """The WSGI ``start_response`` of one request: adds ``X-Request-Id`` and the security
    headers, puts a redirect on the base IRI, and keeps the status and the declared length
    for the access log."""

    __slots__ = ("base_iri", "request_id", "size", "start_response", "status")

    def __init__(self, request_id: str, start_response: Callable[..., Any], base_iri: str) -> None:
        self.request_id = request_id
        self.start_response = start_response
        self.base_iri = base_iri
        self.status = 0
        self.size: int | None = None

    def __call__(
        self, status: str, headers: list[tuple[str, str]], exc_info: Any = None
    ) -> Callable[[bytes], object]:
        self.status = int(status[:3])
        for name, value in headers:
            if len(name) == 14 and name.lower() == "content-length":
                self.size = int(value) if value.isdigit() else None
        if 300 <= self.status < 400:
            headers = [
                (name, _location_from_base(value, self.base_iri))
                if name.lower() == "location"
                else (name, value)
                for name, value in headers
            ]
        headers.append(("X-Request-Id", self.request_id))
        headers.extend(SECURITY_HEADERS)
        result: Callable[[bytes], object] = self.start_response(status, headers, exc_info)
        return result
