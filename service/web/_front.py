"""The WSGI entry: one flat route for the hot path, Flask for everything else.

Programs' SPARQL queries (``GET /sparql?query=`` and ``POST /sparql`` with a
query, from a client that does not prefer HTML) are answered here, on the
WSGI environ, by the same core the Flask view calls
(``service.sparql._answer``), with the same rate limit, problem documents,
request id, metrics and access-log line. Every other request (pages, updates,
the service description, the query page, ``HEAD``, bodies without a length or
over the cap, and requests the protocol refuses) goes to Flask unchanged.

Why a route outside Flask: a query from a program is the request Parley
answers most, and often the engine needs a fraction of a millisecond for it.
Flask's request machinery (context, URL map, hooks, response object) cost
about 0.15 ms of CPU a request on the 2-core machines Parley is measured on,
as much as the engine for the short queries of ``bench/sparql.py``.
"""

from __future__ import annotations

import functools
import io
import logging
import time
from collections.abc import Callable, Iterable
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qs

from werkzeug.wsgi import ClosingIterator

from service.errors import ParleyError, QueryTimeoutError
from service.rdf._formats import prefers_html
from service.sparql._answer import answer_query
from service.sparql._protocol import parse_operation
from service.web import _problems as problems
from service.web._metrics import RequestDone
from service.web._services import Services

logger = logging.getLogger(__name__)

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

#: The route the front answers itself (its name in the metrics, as Flask's rule).
ROUTE = "/sparql"
#: Set in the environ once the front has counted the request against the rate limit, so
#: the Flask view, when it answers after all, does not count it twice.
RATE_CHECKED = "parley.rate_checked"


@functools.cache
def _status_line(status: int) -> str:
    return f"{status} {HTTPStatus(status).phrase}"


class Front:
    """Answers programs' queries; hands every other request to ``fallback`` (Flask)."""

    def __init__(self, fallback: WSGIApp, *, services: Services) -> None:
        self.fallback = fallback
        self.settings = services.settings
        self.endpoint = services

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        if environ.get("PATH_INFO") == ROUTE and environ.get("REQUEST_METHOD") in ("GET", "POST"):
            answered = self._query(environ, start_response)
            if answered is not None:
                return answered
        return self.fallback(environ, start_response)

    def _query(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes] | None:
        """The answer to a program's query, or ``None`` to leave the request to Flask."""
        accept = environ.get("HTTP_ACCEPT")
        if prefers_html(accept):
            return None  # a person: the query page
        method = environ["REQUEST_METHOD"]
        query_string = environ.get("QUERY_STRING", "")
        done = _Request(
            self.endpoint.metrics.request_id(environ.get("HTTP_X_REQUEST_ID")),
            method,
            environ.get("PATH_INFO", ""),
            query_string,
        )
        try:  # before the body is read, as the Flask view does (which then skips it)
            self.endpoint.rate_limiter.check(environ.get("REMOTE_ADDR") or "-")
        except ParleyError as error:
            return self._refuse(start_response, done, error)
        environ[RATE_CHECKED] = True
        body = b""
        if method == "POST":
            length = _content_length(environ)
            if length is None or length > self.settings.max_body_bytes:
                return None  # chunked, or too large: Flask reads it within the cap (413)
            body = environ["wsgi.input"].read(length)
            environ["wsgi.input"] = io.BytesIO(body)  # Flask may still be the one to answer
        try:
            op = parse_operation(
                method=method,
                content_type=environ.get("CONTENT_TYPE"),
                args=parse_qs(_utf8(query_string), keep_blank_values=True),
                body=body,
            )
        except ParleyError:
            return None  # Flask says what is wrong with the request, as for any other
        if op is None or op.kind != "query":
            return None  # the service description, or an update
        try:
            answered = answer_query(op, accept, self.settings, self.endpoint.queries)
        except ParleyError as error:
            return self._refuse(start_response, done, error)
        except Exception:
            logger.exception("unhandled error while serving %s", ROUTE)
            failure = ParleyError(
                "The server failed while answering; the error is logged. Nothing was written."
            )
            return self._refuse(start_response, done, failure, log=False)
        answer = answered.answer
        record = done.finished(200)
        if answer.body is not None:
            return self._respond(
                start_response, record, answered.headers, [answer.body], answer.size
            )
        # A large answer arrives in chunks: counted and logged when its last byte has gone.
        start_response(_status_line(200), [*answered.headers, ("X-Request-Id", done.request_id)])
        return ClosingIterator(
            answer.chunks, lambda: self.endpoint.metrics.record(record, answer.size)
        )

    def _refuse(
        self,
        start_response: Callable[..., Any],
        done: _Request,
        error: ParleyError,
        *,
        log: bool = True,
    ) -> list[bytes]:
        body, headers = problems.problem_json(
            error, self.settings.base_iri, done.instance(), log=log
        )
        record = done.finished(error.status, timed_out=isinstance(error, QueryTimeoutError))
        return self._respond(start_response, record, headers, [body], len(body))

    def _respond(
        self,
        start_response: Callable[..., Any],
        record: RequestDone,
        headers: list[tuple[str, str]],
        body: list[bytes],
        size: int,
    ) -> list[bytes]:
        start_response(_status_line(record.status), [*headers, ("X-Request-Id", record.request_id)])
        self.endpoint.metrics.record(record, size)
        return body


def _utf8(wsgi_text: str) -> str:
    """A WSGI string (bytes as Latin-1) read as the UTF-8 it is, as Flask reads it."""
    return wsgi_text.encode("latin-1", "replace").decode("utf-8", "replace")


def _content_length(environ: dict[str, Any]) -> int | None:
    """The body's declared length (``None`` when there is none, or it is not a number)."""
    try:
        length = int(environ.get("CONTENT_LENGTH") or "")
    except ValueError:
        return None
    return length if length >= 0 else None


class _Request:
    """A request the front answers, from arrival to its ``RequestDone``."""

    __slots__ = ("method", "path", "query_string", "request_id", "started")

    def __init__(self, request_id: str, method: str, path: str, query_string: str) -> None:
        self.request_id, self.method, self.path = request_id, method, path
        self.query_string = query_string
        self.started = time.perf_counter()

    def instance(self) -> str:
        """The problem document's ``instance``: the path and query of the request."""
        return f"{self.path}?{_utf8(self.query_string)}" if self.query_string else self.path

    def finished(self, status: int, *, timed_out: bool = False) -> RequestDone:
        return RequestDone(
            self.request_id,
            ROUTE,
            self.method,
            self.path,
            status,
            self.started,
            timed_out=timed_out,
        )
