"""Sign-in sessions: a browser that signed in with an editor's token holds a session id.

The cookie holds a random session id and its HMAC (``<id>.<mac>``), so a made-up cookie
is refused before anything is looked up. The server keeps the sessions in a file beside
the editors registry (``<editors>.sessions``, mode 0600; ``service.editing._kept_file``):
they survive a restart and are shared by the server's threads and processes, and ending
one (signing out) removes it there, so a copy of the old cookie is refused afterwards.
The file keeps the SHA-256 of each session id, never the id, and the key of the MACs.

A session lasts ``LIFETIME`` from sign-in; it ends sooner when its editor signs out or is
revoked (``Sessions.find`` asks the registry each time). Its CSRF token is an HMAC of the
session id: the forms of a signed-in page carry it, and a cookie-authenticated write
without it is refused (a form another site posts has no way to know it).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from service.editing._editors import Editor, Registry
from service.editing._kept_file import KeptJson

#: How long a session lasts after sign-in.
LIFETIME = timedelta(hours=12)
#: The cookie that holds it.
COOKIE = "parley_session"


@dataclass(frozen=True)
class Session:
    """A signed-in browser's session, found from its cookie."""

    #: The random session id (only ever in the cookie and in memory).
    id: str
    editor: Editor
    expires: datetime


@dataclass(frozen=True)
class _Kept:
    """The sessions file as read: the MAC key and, by the SHA-256 of each session id, the
    editor's id and when the session ends."""

    key: bytes
    sessions: dict[str, tuple[str, datetime]]


def _kept_of(data: dict[str, Any] | None) -> _Kept:
    if not data or "key" not in data:
        return _Kept(b"", {})
    sessions = {
        digest: (str(entry["editor"]), datetime.fromisoformat(entry["expires"]))
        for digest, entry in dict(data.get("sessions", {})).items()
    }
    return _Kept(bytes.fromhex(data["key"]), sessions)


def _digest(session_id: str) -> str:
    return hashlib.sha256(session_id.encode("utf-8")).hexdigest()


class Sessions:
    """The sign-in sessions of the editors in ``registry``."""

    def __init__(self, registry: Registry) -> None:
        self.registry = registry
        self.path: Path = registry.path.with_name(registry.path.name + ".sessions")
        self._file = KeptJson(self.path, _kept_of, "sessions")

    def start(self, editor: Editor) -> tuple[str, Session]:
        """A new session for ``editor``: the cookie's value, and the session."""
        session_id = secrets.token_urlsafe(32)
        now = datetime.now(UTC)
        expires = (now + LIFETIME).replace(microsecond=0)
        with self._file.changing() as data:
            if "key" not in data:
                data["key"] = secrets.token_bytes(32).hex()
            sessions = data.setdefault("sessions", {})
            ended = [d for d, e in sessions.items() if datetime.fromisoformat(e["expires"]) <= now]
            for digest in ended:
                del sessions[digest]  # ended long ago: no need to keep them
            sessions[_digest(session_id)] = {"editor": editor.id, "expires": expires.isoformat()}
            key = bytes.fromhex(data["key"])
        return f"{session_id}.{_mac(key, session_id)}", Session(session_id, editor, expires)

    def find(self, cookie: str) -> Session | None:
        """The live session the cookie holds: ``None`` when it is forged, unknown, ended,
        past its lifetime, or its editor is revoked."""
        session_id, _, mac = cookie.partition(".")
        kept, _changed = self._file.current()
        if not kept.key or not _same(mac, _mac(kept.key, session_id)):
            return None
        found = kept.sessions.get(_digest(session_id))
        if found is None:
            return None
        editor_id, expires = found
        editor = self.registry.active(editor_id)
        if editor is None or expires <= datetime.now(UTC):
            return None
        return Session(session_id, editor, expires)

    def end(self, session: Session) -> None:
        """End the session: its cookie is refused from now on."""
        with self._file.changing() as data:
            data.get("sessions", {}).pop(_digest(session.id), None)

    def end_all(self, editor_id: str) -> int:
        """End every session of an editor (their revocation ends them anyway: tidiness);
        how many there were."""
        if not self.path.exists():
            return 0
        with self._file.changing() as data:
            sessions = data.get("sessions", {})
            theirs = [d for d, e in sessions.items() if e["editor"] == editor_id]
            for digest in theirs:
                del sessions[digest]
        return len(theirs)

    def csrf_token(self, session: Session) -> str:
        """The session's CSRF token: the value its forms post as ``csrf_token`` (or a
        program's ``X-CSRF-Token`` header)."""
        kept, _changed = self._file.current()
        return _mac(kept.key, "csrf " + session.id)

    def csrf_ok(self, session: Session, token: str) -> bool:
        return bool(token) and _same(token, self.csrf_token(session))


def _mac(key: bytes, text: str) -> str:
    return hmac.new(key, text.encode("utf-8"), hashlib.sha256).hexdigest()[:43]


def _same(given: str, expected: str) -> bool:
    """Compare in constant time (bytes: a client's text may be any characters)."""
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))
