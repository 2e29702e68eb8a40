"""Signing in and out: an editor's token for a session cookie, and back.

``POST /sign-in`` takes the token an editor was given (``parley editor add``) and answers
with the session cookie (``HttpOnly``, ``SameSite=Strict``, ``Secure`` on https, for
``SESSION_LIFETIME``) and a 303 to ``next``, a path on this site (never another host).
A wrong token gets the form again, 401. ``POST /sign-out`` ends the session on the
server (the old cookie is refused from then on) and clears the cookie.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import redirect, render_template, request
from werkzeug.wrappers import Response

from service.editing import SESSION_COOKIE, SESSION_LIFETIME
from service.errors import CsrfError
from service.web._auth import (
    ADMINISTRATOR,
    check_csrf,
    current_session,
    editor_access,
    is_write_token,
    same_origin,
)
from service.web._services import services


def local_path(target: str | None) -> str:
    """``target`` when it is a path on this site, else ``/``: a sign-in link must never
    send the browser to another host (an open redirect).

    >>> local_path("/claims/new?source=x"), local_path("//evil.example/"), local_path(None)
    ('/claims/new?source=x', '/', '/')
    >>> local_path("https://evil.example/"), local_path("/\\\\evil.example"), local_path("x")
    ('/', '/', '/')
    """
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or any(ord(c) < 32 for c in target):
        return "/"
    return target


def sign_in_page() -> tuple[str, int]:
    """The form (or who is signed in)."""
    return _form(200)


def _form(status: int, message: str = "") -> tuple[str, int]:
    access = editor_access()
    page = render_template(
        "sign_in.html",
        next=local_path(request.values.get("next")),
        message=message,
        editors=access.registry is not None,
        read_only=services().settings.read_only,
    )
    return page, status


def sign_in() -> Response | tuple[str, int]:
    """A token for a session: the cookie and a 303 to ``next``, or the form again (401)."""
    if not same_origin():  # another site signing this browser in to an account of its own
        raise CsrfError("a sign-in from another site is refused; sign in on this site's page")
    access = editor_access()
    token = request.form.get("token", "").strip()
    if access.registry is None or access.sessions is None:
        return _form(403, "This server keeps no editors (it has no editors file).")
    editor = access.registry.verify(token) if token else None
    if editor is None:
        settings = services().settings
        if is_write_token(token, settings):
            return _form(
                401,
                f"That is the server's write token (the {ADMINISTRATOR}'s, for programs); "
                "sign in with an editor's token (parley editor add NAME).",
            )
        return _form(401, "That token is not an editor's token, or it has been revoked.")
    cookie, _session = access.sessions.start(editor)
    response = redirect(local_path(request.form.get("next")), code=303)
    response.set_cookie(
        SESSION_COOKIE,
        cookie,
        max_age=int(SESSION_LIFETIME.total_seconds()),
        path="/",
        secure=services().settings.base_iri.startswith("https:"),
        httponly=True,
        samesite="Strict",
    )
    return response


def sign_out() -> Response:
    """End the session (server-side) and clear the cookie; 303 to the home page."""
    session = current_session()
    if session is not None:
        check_csrf(session)  # another site must not sign an editor out either
        sessions = editor_access().sessions
        assert sessions is not None
        sessions.end(session)
    response = redirect(local_path(request.form.get("next")), code=303)
    response.delete_cookie(
        SESSION_COOKIE,
        path="/",
        secure=services().settings.base_iri.startswith("https:"),
        httponly=True,
        samesite="Strict",
    )
    return response
