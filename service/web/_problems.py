"""Errors as RFC 9457 problem responses: one place decides their shape.

Every ``ParleyError``, and every werkzeug ``HTTPException`` (404, 405, 413),
becomes ``application/problem+json`` with ``type``, ``title``, ``status``,
``detail`` and ``instance`` plus the error's JSON-safe evidence; a browser
(which prefers text/html) gets the same content as an HTML page. The problem
``type`` IRI dereferences to a page describing that kind of problem.
"""

from __future__ import annotations

import json
import logging
from collections import deque
from typing import Any

from flask import Response, render_template, request
from werkzeug.exceptions import HTTPException

from service.errors import ParleyError, json_safe
from service.rdf import prefers_html

logger = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"

#: The slug of a werkzeug error whose status no ``ParleyError`` has.
_FALLBACK_SLUG = "http-error"


def _slugs_by_status() -> dict[int, str]:
    """The slug of the most general ``ParleyError`` of each status (a breadth-first walk of
    the tree meets it first), so werkzeug's own errors (404, 405, 413, ...) share the
    problem types written on the classes.

    >>> slugs = _slugs_by_status()
    >>> slugs[404], slugs[405], slugs[413], slugs[500]
    ('not-found', 'method-not-allowed', 'payload-too-large', 'internal')
    """
    slugs: dict[int, str] = {}
    pending: deque[type[ParleyError]] = deque([ParleyError])
    while pending:
        cls = pending.popleft()
        slugs.setdefault(cls.status, cls.slug)
        pending.extend(cls.__subclasses__())
    return slugs


#: Slugs for werkzeug's own errors, so they share the problem shape.
_HTTP_SLUGS = _slugs_by_status()


def problem_document(
    *,
    status: int,
    title: str,
    slug: str,
    detail: str,
    extras: dict[str, Any],
    base: str,
    instance: str | None = None,
) -> dict[str, Any]:
    """The problem object: RFC 9457 members first, then the evidence. ``instance`` is the
    request's path and query (the current Flask request's when not given)."""
    if instance is None and request:
        instance = request.full_path.rstrip("?")
    doc: dict[str, Any] = {
        "type": f"{base}problems/{slug}",
        "title": title,
        "status": status,
        "detail": detail,
        "instance": instance,
    }
    for key, value in json_safe(extras).items():
        if key not in doc:
            doc[key] = value
    return doc


def render_problem(
    *,
    status: int,
    title: str,
    slug: str,
    detail: str,
    extras: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
    base: str,
) -> Response:
    """A problem response, JSON or HTML by the request's Accept header."""
    doc = problem_document(
        status=status, title=title, slug=slug, detail=detail, extras=extras or {}, base=base
    )
    if prefers_html(request.headers.get("Accept")):
        body = render_template("error.html", problem=doc)
        response = Response(body, status=status, mimetype="text/html")
    else:
        response = Response(
            json.dumps(doc, ensure_ascii=False, indent=1), status=status, mimetype=PROBLEM_JSON
        )
    for name, value in (headers or {}).items():
        response.headers[name] = value
    response.headers["Vary"] = "Accept"
    return response


def problem_json(
    error: ParleyError, base: str, instance: str, *, log: bool = True
) -> tuple[bytes, list[tuple[str, str]]]:
    """A problem response's body and headers, for a program (no Flask request needed).
    ``log=False`` when the caller has logged the failure already."""
    if log:
        log_error(error)
    doc = problem_document(
        status=error.status,
        title=error.title,
        slug=error.slug,
        detail=error.detail,
        extras=error.extras,
        base=base,
        instance=instance,
    )
    body = json.dumps(doc, ensure_ascii=False, indent=1).encode()
    headers = [("Content-Type", PROBLEM_JSON), ("Content-Length", str(len(body)))]
    headers += [*error.headers.items(), ("Vary", "Accept")]
    return body, headers


def log_error(error: ParleyError) -> None:
    """Server-side failures are logged; a client's mistakes are only answered."""
    if error.status >= 500:
        logger.error("%s: %s", type(error).__name__, error.detail)


def from_parley_error(error: ParleyError, base: str) -> Response:
    log_error(error)
    return render_problem(
        status=error.status,
        title=error.title,
        slug=error.slug,
        detail=error.detail,
        extras=error.extras,
        headers=error.headers,
        base=base,
    )


def from_http_exception(error: HTTPException, base: str) -> Response:
    status = error.code or 500
    headers = {}
    if status == 405 and error.get_headers():
        headers = {k: v for k, v in error.get_headers() if k == "Allow"}
    return render_problem(
        status=status,
        title=error.name,
        slug=_HTTP_SLUGS.get(status, _FALLBACK_SLUG),
        detail=error.description or error.name,
        headers=headers,
        base=base,
    )


def from_unexpected(error: Exception, base: str) -> Response:
    """A bug: log it with its traceback once; the client learns nothing internal."""
    logger.error("unhandled error while serving %s", request.path, exc_info=error)
    return render_problem(
        status=500,
        title="Internal error",
        slug="internal",
        detail="The server failed while answering; the error is logged. Nothing was written.",
        base=base,
    )
