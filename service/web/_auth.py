"""Who may write: a bearer token (the administrator's or an editor's), or a signed-in
browser's session cookie with its CSRF token; and the read-only switch.

Programs send ``Authorization: Bearer <token>``: the server's write token (the token of
``PARLEY_WRITE_TOKEN`` or ``--write-token-file``: the administrator), or an editor's
token (``parley editor add``). A browser signs in at ``/sign-in`` with an editor's token
and then holds the session cookie; a write it makes with the cookie must also carry the
session's CSRF token (form field ``csrf_token`` or header ``X-CSRF-Token``) and, when the
browser says where the request comes from (``Origin``, else ``Referer``), come from this
site. A bearer token needs neither check: a browser never adds one on its own. A
read-only server refuses every write with 403.

The agent recorded in provenance is the editor's IRI (``{base}id/editor/<id>``), or, for
the write token, an IRI derived from it (a fingerprint, never the token itself).
"""

from __future__ import annotations

import hashlib
import hmac
import threading
from dataclasses import dataclass
from urllib.parse import urlsplit

from flask import Flask, current_app, g, request

from service.editing import SESSION_COOKIE, Registry, Session, Sessions, Writer, editors_file
from service.errors import AuthenticationError, CsrfError, ReadOnlyError
from service.rdf import Vocab
from service.settings import Settings
from service.web._services import services

#: The administrator's name in provenance (the holder of the server's write token).
ADMINISTRATOR = "administrator"
#: Methods that change nothing: no CSRF token needed.
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
#: Where a cookie-authenticated write may carry its CSRF token.
CSRF_FIELD, CSRF_HEADER = "csrf_token", "X-CSRF-Token"
_FORMS = ("application/x-www-form-urlencoded", "multipart/form-data")


def agent_for_token(token: str, vocab: Vocab) -> str:
    """The IRI of the agent holding ``token``.

    >>> agent_for_token("secret", Vocab("http://h/"))
    'http://h/id/agent/token-2bb80d53'
    """
    fingerprint = hashlib.sha256(token.encode("utf-8")).hexdigest()[:8]
    return f"{vocab.base}id/agent/token-{fingerprint}"


def require_writer(form_csrf: str | None = None) -> Writer:
    """Who writes with the current request: the holder of its bearer token (the
    administrator or an editor), or the editor signed in with its session cookie.

    :param form_csrf: the ``csrf_token`` field of a form body the view has read itself
        (``/sparql`` reads its body raw, so ``request.form`` no longer has it).

    :raises ReadOnlyError: the server is read-only (403).
    :raises AuthenticationError: no credentials, or wrong ones, or an ended session (401).
    :raises CsrfError: a cookie-authenticated write without the session's CSRF token, or
        from another site (403).
    """
    settings = services().settings
    if settings.read_only:
        raise ReadOnlyError("this server is read-only (--read-only); it accepts no writes")
    authorization = request.headers.get("Authorization")
    if authorization is not None:
        token = _bearer(authorization)
        if is_write_token(token, settings):
            return Writer(iri=agent_for_token(token, Vocab(settings.base_iri)), name=ADMINISTRATOR)
        registry = editor_access().registry
        editor = registry.verify(token) if registry is not None else None
        if editor is None:
            raise AuthenticationError(
                "the bearer token is neither this server's write token nor an editor's "
                "(a revoked editor's token no longer works)"
            )
        return editor.writer(settings.base_iri)
    session = current_session()
    if session is None:
        raise AuthenticationError(
            "writes need an 'Authorization: Bearer <token>' header with the server's write "
            "token or an editor's token, or a browser signed in at /sign-in"
        )
    if request.method not in SAFE_METHODS:
        check_csrf(session, form_csrf)
    return session.editor.writer(settings.base_iri)


def _bearer(authorization: str | None) -> str:
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthenticationError(
            "writes need an 'Authorization: Bearer <token>' header with the server's write token"
        )
    return token.strip()


def is_write_token(token: str, settings: Settings) -> bool:
    """``token`` is the server's write token (compared in constant time)."""
    expected = settings.write_token
    return expected is not None and hmac.compare_digest(token.encode(), expected.encode())


# -- editors and sessions ---------------------------------------------------------------


@dataclass(frozen=True)
class EditorAccess:
    """The application's editors registry and sessions (``None``: no editors file: a store
    in memory, or a remote one without ``--editors-file``; only the write token works)."""

    registry: Registry | None
    sessions: Sessions | None


_KEY = "parley.editors"
_MAKING = threading.Lock()


def editor_access(app: Flask | None = None) -> EditorAccess:
    """The registry and sessions of ``app`` (the current one), made on first use."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    found = app.extensions.get(_KEY)
    if found is None:
        with _MAKING:
            found = app.extensions.get(_KEY)
            if found is None:
                path = editors_file(services().settings)
                registry = Registry(path) if path is not None else None
                found = EditorAccess(registry, Sessions(registry) if registry else None)
                app.extensions[_KEY] = found
    assert isinstance(found, EditorAccess)
    return found


def current_session() -> Session | None:
    """The live session of the current request's cookie (once per request)."""
    if "parley_session" not in g:
        cookie = request.cookies.get(SESSION_COOKIE)
        sessions = editor_access().sessions
        g.parley_session = sessions.find(cookie) if cookie and sessions else None
    found: Session | None = g.parley_session
    return found


def check_csrf(session: Session, form_csrf: str | None = None) -> None:
    """Refuse a cookie-authenticated write that another site may have made the browser
    send: from another origin, or without the session's CSRF token.

    :raises CsrfError: 403.
    """
    if not same_origin():
        raise CsrfError(
            "this request comes from another site; a signed-in browser's writes are "
            "accepted from this site's own pages only. Nothing was written."
        )
    given = request.headers.get(CSRF_HEADER) or form_csrf
    if given is None and request.mimetype in _FORMS:
        given = request.form.get(CSRF_FIELD)
    sessions = editor_access().sessions
    if not given or sessions is None or not sessions.csrf_ok(session, given):
        raise CsrfError(
            f"a signed-in browser's write needs the page's CSRF token (form field "
            f"'{CSRF_FIELD}' or header '{CSRF_HEADER}'); reload the page and try again. "
            "Nothing was written."
        )


def same_origin() -> bool:
    """Whether the request says it comes from this site (its ``Origin``, else its
    ``Referer``), or says nothing (a program, or a browser that hides it, as the pages'
    ``Referrer-Policy: no-referrer`` makes it do: the CSRF token still has to match).
    This site is the base IRI's origin, or the one the request was sent to."""
    origin = request.headers.get("Origin")
    # "null": a browser that hides where the request comes from (our pages' Referrer-Policy
    # no-referrer makes Chromium send it on a same-origin POST); the CSRF token decides.
    if origin is None or origin == "null":
        referer = request.headers.get("Referer")
        if not referer:
            return True
        origin = _origin(referer)
    ours = {_origin(services().settings.base_iri), _origin(request.host_url)}
    return origin.rstrip("/").lower() in ours


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


# -- what the templates see ---------------------------------------------------------------


def csrf_token() -> str:
    """The CSRF token the current request's forms post (``""``: not signed in)."""
    session = current_session()
    sessions = editor_access().sessions
    return sessions.csrf_token(session) if session is not None and sessions else ""


def current_editor() -> Writer | None:
    """The editor signed in with the current request's session cookie, if any."""
    session = current_session()
    return session.editor.writer(services().settings.base_iri) if session else None
