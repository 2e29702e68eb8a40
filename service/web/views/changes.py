"""``GET /changes``: every accepted write, as a page, a JSON or Atom feed, or a live stream.

By ``Accept``, or ``?format=html|json|atom`` (which beats it):

- ``text/html``: the page "Latest changes", newest first (``?before=ID`` goes back);
  ``static/changes.js`` adds new entries live;
- ``application/json``, ``application/atom+xml``: the feed, oldest first, from the first
  entry or after ``?since=ID``, ``?limit=`` entries, a ``next`` link while more remain;
- ``text/event-stream``: the live stream, after ``Last-Event-ID``, else after
  ``?since=ID``, else from now (``?since=`` empty: from the first entry).

The core is ``service.editing`` (``_changes``, ``_change_stream``, ``_changes_atom``).
"""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Response, jsonify, render_template, request

from service.editing import (
    ChangePage,
    Cursor,
    atom_feed,
    changes_after,
    changes_before,
    cursor_at,
    limit_of,
)
from service.rdf import HTML, JSON, Format, negotiate
from service.web._services import services

#: The Atom feed (RFC 4287) and the live stream (Server-Sent Events) as formats to
#: negotiate; kind "results": a list of records, like a query's answer.
ATOM = Format("atom", "application/atom+xml", "atom", "results")
EVENTS = Format("event-stream", "text/event-stream", "sse", "results", (), ("sse",))
#: In this order when the client takes anything: a person's browser gets the page.
FORMATS = (HTML, JSON, ATOM, EVENTS)
#: What ``format=`` may ask for: the stream only by Accept (an ``EventSource`` sends it).
NAMED_FORMATS = (HTML, JSON, ATOM)
#: Entries on a page for a person.
PAGE_SIZE = 50


def changes() -> Response:
    """The feed of accepted writes in the negotiated form."""
    override = request.args.get("format")
    if override:
        fmt = negotiate(None, NAMED_FORMATS, override=override)
    else:
        fmt = negotiate(request.headers.get("Accept"), FORMATS)
    if fmt == EVENTS:
        response = _stream()
    elif fmt == HTML:
        response = _page()
    else:
        response = _feed(fmt)
    response.headers["Vary"] = "Accept"
    return response


def _cursor(raw: str | None) -> Cursor | None:
    svc = services()
    return cursor_at(svc.store, raw) if raw else None


def _feed(fmt: Format) -> Response:
    svc = services()
    limit = limit_of(request.args.get("limit"))
    since = request.args.get("since") or None
    page = changes_after(svc.store, svc.vocab, _cursor(since), limit)
    last = page.entries[-1].id if page.entries else since
    # The format named: a reader that follows the link gets the same format whatever it
    # sends as Accept.
    params = {"since": last or "", "limit": str(limit), "format": fmt.name}
    next_url = _url(params) if page.more else None
    if fmt == ATOM:
        here = dict(request.args.items())
        response = Response(
            atom_feed(
                page,
                feed_id=svc.settings.base_iri + "changes",
                self_url=_url(here),
                html_url=svc.settings.base_iri + "changes",
                next_url=next_url,
            ),
            content_type=f"{ATOM.media_type}; charset=utf-8",
        )
    else:
        response = jsonify(
            {
                "entries": [e.to_json() for e in page.entries],
                "last": last,
                "more": page.more,
                "next": next_url,
            }
        )
    if next_url is not None:
        response.headers["Link"] = f'<{next_url}>; rel="next"'
    return response


def _page() -> Response:
    svc = services()
    before = request.args.get("before") or None
    page: ChangePage = changes_before(svc.store, svc.vocab, _cursor(before), PAGE_SIZE)
    older = _url({"before": page.entries[-1].id}) if page.more and page.entries else None
    # The live stream starts after the newest entry shown (every entry when none is).
    newest = page.entries[0].id if page.entries else ""
    return Response(
        render_template(
            "changes.html",
            page=page,
            older=older,
            before=before,
            newest=newest,
            alternates=[(JSON, _url({"format": "json"})), (ATOM, _url({"format": "atom"}))],
        )
    )


def _stream() -> Response:
    svc = services()
    last_seen = request.headers.get("Last-Event-ID")
    if last_seen is None and "since" not in request.args:
        after: Cursor | None = None  # from now: the stream finds the newest entry itself
        from_start = False
    else:
        raw = last_seen if last_seen is not None else request.args.get("since", "")
        after = _cursor(raw.strip())
        from_start = after is None
    stream = svc.changes.open(after, from_start=from_start)
    return Response(
        stream,
        content_type=f"{EVENTS.media_type}; charset=utf-8",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


def _url(params: dict[str, str]) -> str:
    """``/changes`` with ``params``, absolute on the base IRI (never the Host header's)."""
    base = services().settings.base_iri + "changes"
    return f"{base}?{urlencode(params)}" if params else base
