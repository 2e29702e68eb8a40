"""Who writes: the administrator's write token, or a named editor with a token of their own.

The registry of editors is one JSON file beside the store (``Settings.editors_file``,
default ``<store>.editors``), mode 0600. It is the only place editors are kept:
``parley editor add`` writes it while ``parley serve`` runs, and the server reads it
again whenever it changes (its inode, size or mtime), so a new editor can sign in and a
revoked one is refused at once, with no restart.

A token is ``secrets.token_urlsafe(32)``, shown once. The file keeps only its scrypt hash
(a random salt per editor; n=2**14, r=8, p=1) and a short *lookup* (the first hex digits
of its SHA-256): the lookup picks the one editor whose hash is worth computing, so a
request costs one scrypt (~50 ms), not one per editor. Twelve hex digits of the SHA-256
of 256 random bits tell an attacker nothing usable. A successful check is remembered in
this process (by the token's SHA-256) until the file changes.

Revoked editors stay listed: past writes name them, and their id is never reused.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import re
import secrets
import threading
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from service.editing._kept_file import KeptJson
from service.errors import ConfigError, NotFoundError
from service.settings import Settings

#: Bytes of randomness in an editor's token (URL-safe base64: 43 characters).
TOKEN_BYTES = 32
#: scrypt's standard interactive-login parameters (RFC 7914 section 2; ~50 ms here).
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
#: Hex digits of the token's SHA-256 kept to find its editor without trying every hash.
LOOKUP_DIGITS = 12
FORMAT_VERSION = 1


@dataclass(frozen=True)
class Writer:
    """The author of a write, as provenance records it."""

    #: The agent recorded in provenance (``prov:wasAssociatedWith``).
    iri: str
    #: A person-readable name: the editor's name, or ``"administrator"``.
    name: str
    #: The editor's id in the registry; ``None`` for the administrator's write token.
    editor_id: str | None = None


@dataclass(frozen=True)
class Editor:
    """One editor as the registry keeps them (the token's hash, never the token)."""

    id: str
    name: str
    created: datetime
    revoked: datetime | None
    salt: str
    hash: str
    lookup: str

    def iri(self, base: str) -> str:
        """``{base}id/editor/<id>``: the agent provenance names."""
        return f"{base}id/editor/{self.id}"

    def writer(self, base: str) -> Writer:
        return Writer(iri=self.iri(base), name=self.name, editor_id=self.id)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "created": self.created.isoformat(),
            "revoked": self.revoked.isoformat() if self.revoked else None,
            "scrypt": {"n": SCRYPT_N, "r": SCRYPT_R, "p": SCRYPT_P},
            "salt": self.salt,
            "hash": self.hash,
            "lookup": self.lookup,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Editor:
        revoked = data.get("revoked")
        return cls(
            id=str(data["id"]),
            name=str(data["name"]),
            created=datetime.fromisoformat(data["created"]),
            revoked=datetime.fromisoformat(revoked) if revoked else None,
            salt=str(data["salt"]),
            hash=str(data["hash"]),
            lookup=str(data["lookup"]),
        )


def editors_file(settings: Settings) -> Path | None:
    """Where the registry is: ``Settings.editors_file``, else ``<store>.editors`` beside the
    store directory (never inside it: a build replaces the directory); ``None`` for a store
    in memory or a remote one without ``--editors-file`` (no editors, only the write token)."""
    if settings.editors_file is not None:
        return settings.editors_file
    if settings.store_path is None:
        return None
    store = settings.store_path.resolve()
    return store.with_name(store.name + ".editors")


def slug(name: str) -> str:
    """An editor's id from their name: ASCII, lower case, words joined by hyphens.

    >>> slug("Olena Kovalenko-Šapiro"), slug("  J. R. Hartley "), slug("Юлія")
    ('olena-kovalenko-sapiro', 'j-r-hartley', 'editor')
    """
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    words = re.findall(r"[a-z0-9]+", ascii_name.lower())
    return "-".join(words)[:60].strip("-") or "editor"


def token_digest(token: str) -> str:
    """The SHA-256 of a token, hex: the key of the in-process cache, and the lookup's source."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _scrypt(token: str, salt: bytes) -> bytes:
    return hashlib.scrypt(
        token.encode("utf-8"), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, dklen=32
    )


def _editors_of(data: dict[str, Any] | None) -> dict[str, Editor]:
    if data is None:
        return {}
    try:
        return {e["id"]: Editor.from_json(e) for e in data["editors"]}
    except (KeyError, TypeError, ValueError) as exc:
        raise ConfigError(f"the editors file holds an editor it cannot read: {exc}") from exc


class Registry:
    """The editors kept in the JSON file ``path``; safe to share between threads, and
    between processes (``service.editing._kept_file``)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._file = KeptJson(path, _editors_of, "editors")
        self._lock = threading.Lock()
        #: A token's SHA-256 -> the id of the editor it was checked against (scrypt once).
        self._verified: dict[str, str] = {}

    # -- reading -----------------------------------------------------------------------

    def editors(self) -> list[Editor]:
        """Every editor, revoked ones too, in the order they were added."""
        return list(self._current().values())

    def get(self, editor_id: str) -> Editor | None:
        return self._current().get(editor_id)

    def active(self, editor_id: str) -> Editor | None:
        """The editor, unless unknown or revoked."""
        editor = self.get(editor_id)
        return editor if editor is not None and editor.revoked is None else None

    def verify(self, token: str) -> Editor | None:
        """The editor whose token this is, unless none is or they are revoked."""
        digest = token_digest(token)
        editors = self._current()
        with self._lock:
            known = self._verified.get(digest)
        if known is None:
            found = _check(token, digest, editors)
            if found is None:
                return None
            known = found.id
            with self._lock:
                self._verified[digest] = known
        editor = editors.get(known)
        return editor if editor is not None and editor.revoked is None else None

    def _current(self) -> dict[str, Editor]:
        editors, changed = self._file.current()
        if changed:
            with self._lock:
                self._verified.clear()  # the file changed: check every token again
        return editors

    # -- writing -----------------------------------------------------------------------

    def add(self, name: str) -> tuple[Editor, str]:
        """A new editor named ``name``, and their token (shown once, kept nowhere).

        :raises ConfigError: the name is empty, or the file cannot be written.
        """
        name = " ".join(name.split())
        if not name:
            raise ConfigError("an editor needs a name")
        token = secrets.token_urlsafe(TOKEN_BYTES)
        salt = secrets.token_bytes(16)
        with self._file.changing() as data:
            editors = _editors_of(data) if data else {}
            base = slug(name)
            editor_id, n = base, 1
            while editor_id in editors:  # revoked ids are never reused either
                n += 1
                editor_id = f"{base}-{n}"
            editor = Editor(
                id=editor_id,
                name=name,
                created=datetime.now(UTC).replace(microsecond=0),
                revoked=None,
                salt=salt.hex(),
                hash=_scrypt(token, salt).hex(),
                lookup=token_digest(token)[:LOOKUP_DIGITS],
            )
            editors[editor_id] = editor
            _store(data, editors)
        return editor, token

    def revoke(self, editor_id: str) -> Editor:
        """Revoke an editor: their token and sessions stop working at once.

        :raises NotFoundError: no editor has this id.
        """
        with self._file.changing() as data:
            editors = _editors_of(data) if data else {}
            editor = editors.get(editor_id)
            if editor is None:
                known = ", ".join(editors) or "none"
                raise NotFoundError(f"no editor {editor_id!r} (editors: {known})")
            if editor.revoked is None:
                editor = dataclasses.replace(
                    editor, revoked=datetime.now(UTC).replace(microsecond=0)
                )
                editors[editor_id] = editor
            _store(data, editors)
        return editor


def _store(data: dict[str, Any], editors: dict[str, Editor]) -> None:
    data.clear()
    data.update({"v": FORMAT_VERSION, "editors": [e.to_json() for e in editors.values()]})


def _check(token: str, digest: str, editors: dict[str, Editor]) -> Editor | None:
    """The editor whose scrypt hash the token matches (only the lookup's candidates are
    hashed: one in practice)."""
    for editor in editors.values():
        if editor.lookup != digest[:LOOKUP_DIGITS]:
            continue
        computed = _scrypt(token, bytes.fromhex(editor.salt))
        if hmac.compare_digest(computed, bytes.fromhex(editor.hash)):
            return editor
    return None
