"""What ``parley serve`` keeps beside its store for the other commands: the write token
and the server file.

The write token lives in ``<store>.token`` (or ``--write-token-file``), mode 0600, made on
the first start and read on every later one, so clients keep working across restarts and
``parley token`` can print it; ``PARLEY_WRITE_TOKEN`` still wins over the file (a secret
from the environment is never copied to disk).

RocksDB lets one process open a store, so while a server runs the other commands cannot
open it. The server file ``<store>.server.json`` says where that server listens (its URL,
pid and base IRI); a command that finds the store locked reads it and asks the server
instead: queries and statistics over its ``/sparql``, validation through ``POST
/validate``, writes through ``POST /data`` with the token. Both files sit beside the store
directory, never inside it: the directory is RocksDB's, and a rebuild replaces it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from service.errors import ConfigError, ParleyError, StoreInUseError
from service.settings import ENV_NAMES, Settings

log = logging.getLogger(__name__)

#: Bytes of randomness in a write token (URL-safe base64: 43 characters).
TOKEN_BYTES = 32


def beside(store: Path, suffix: str) -> Path:
    """A file next to the store directory, named after it (``var/store`` -> ``var/store.token``).

    >>> beside(Path("/srv/var/store/"), ".token")
    PosixPath('/srv/var/store.token')
    """
    store = store.resolve()
    return store.with_name(store.name + suffix)


def token_file(settings: Settings) -> Path | None:
    """Where the write token is kept: ``--write-token-file``, else beside the store; ``None``
    for a remote store without ``--write-token-file`` (there is no directory to keep it by)."""
    if settings.write_token_file is not None:
        return settings.write_token_file
    if settings.store_path is None:
        return None
    return beside(settings.store_path, ".token")


def read_token(path: Path) -> str | None:
    """The token kept in ``path``; ``None`` when there is no such file."""
    try:
        text = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise ConfigError(f"cannot read the write token file {path}: {exc.strerror}") from exc
    if not text:
        raise ConfigError(f"the write token file {path} is empty: delete it to get a new token")
    if path.stat().st_mode & 0o077:
        log.warning("the write token file %s can be read by other users: chmod 600 it", path)
    return text


def kept_token(path: Path) -> tuple[str, bool]:
    """The token in ``path``, made (random, mode 0600) when the file does not exist yet;
    and whether it was made now."""
    existing = read_token(path)
    if existing is not None:
        return existing, False
    token = secrets.token_urlsafe(TOKEN_BYTES)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # O_EXCL: two servers starting at once must not each write a token of their own.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return kept_token(path)
    except OSError as exc:
        raise ConfigError(
            f"cannot keep the write token in {path}: {exc.strerror}; pass --write-token-file "
            "or set PARLEY_WRITE_TOKEN"
        ) from exc
    with os.fdopen(fd, "w", encoding="utf-8") as file:
        os.fchmod(fd, 0o600)  # whatever the umask
        file.write(token + "\n")
        file.flush()
        os.fsync(fd)
    return token, True


def write_token(settings: Settings) -> str | None:
    """The token writes need: ``PARLEY_WRITE_TOKEN``, else the one kept in the token file
    (``None`` when neither exists)."""
    if settings.write_token:
        return settings.write_token
    path = token_file(settings)
    return read_token(path) if path is not None else None


def serve_token(settings: Settings) -> tuple[Settings, str]:
    """The settings with the write token the server takes, and a line saying where it is
    (never the token itself, unless there is nowhere to keep it)."""
    if settings.read_only:
        return settings, ""
    if settings.write_token:
        return settings, f"Write token: from {ENV_NAMES['write_token']}"
    path = token_file(settings)
    if path is None:  # a remote store and no --write-token-file: nowhere to keep one
        token = secrets.token_urlsafe(TOKEN_BYTES)
        note = f"Write token (shown once; --write-token-file keeps one): {token}"
        return settings.replace(write_token=token), note
    token, made = kept_token(path)
    kept = "made and kept" if made else "kept"
    note = f"Write token: {kept} in {path} (`parley token` prints it)"
    return settings.replace(write_token=token), note


def second_server(settings: Settings) -> StoreInUseError:
    """One line for a server started on a store another one serves."""
    server = running_server(settings)
    where = f" at {server.url} (pid {server.pid})" if server else ""
    return StoreInUseError(
        f"the store at {settings.store_path} is already served by `parley serve`{where}; "
        "stop that server first, or serve another --store"
    )


def current_token(settings: Settings) -> str:
    """The token ``parley serve`` takes with these settings (``parley token``), made and
    kept when there is none yet."""
    if settings.write_token:
        return settings.write_token
    path = token_file(settings)
    if path is None:
        raise ConfigError(
            "no store given (and no var/store here): pass --store DIR, or "
            "--write-token-file FILE for a server on a remote store"
        )
    return kept_token(path)[0]


# -- the server file ---------------------------------------------------------------------------


@dataclass(frozen=True)
class RunningServer:
    """A ``parley serve`` on this machine, as its server file describes it."""

    url: str
    pid: int
    base_iri: str

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def sparql_settings(self, settings: Settings) -> Settings:
        """``settings`` with the server's SPARQL endpoint as a remote store, for reading."""
        return dataclasses.replace(
            settings,
            store_path=None,
            store_url=self.url + "sparql",
            store_update_url=None,
            store_gsp_url=None,
            store_user=None,
            store_password=None,
            store_token=None,
            base_iri=self.base_iri,
        )


def server_file(store_path: Path) -> Path:
    return beside(store_path, ".server.json")


def local_url(host: str, port: int) -> str:
    """The URL a command on this machine reaches a server listening on ``host`` with.

    >>> local_url("0.0.0.0", 8000), local_url("::", 8001), local_url("10.0.0.2", 80)
    ('http://127.0.0.1:8000/', 'http://[::1]:8001/', 'http://10.0.0.2:80/')
    """
    if host in ("", "0.0.0.0"):
        host = "127.0.0.1"
    elif host == "::":
        host = "::1"
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}/"


def write_server_file(settings: Settings) -> Path | None:
    """Say where this process serves the store (``None``: a remote store, no file)."""
    if settings.store_path is None:
        return None
    path = server_file(settings.store_path)
    server = RunningServer(local_url(settings.host, settings.port), os.getpid(), settings.base_iri)
    temporary = path.with_name(path.name + f".{os.getpid()}.tmp")
    temporary.write_text(json.dumps(server.to_json()) + "\n", encoding="utf-8")
    temporary.replace(path)  # atomic: a reader sees the old file or the new one
    return path


def remove_server_file(path: Path) -> None:
    """Remove the server file if this process wrote it (a later server may own it now)."""
    with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
        if json.loads(path.read_text(encoding="utf-8"))["pid"] == os.getpid():
            path.unlink()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


def running_server(settings: Settings) -> RunningServer | None:
    """The server that serves the settings' store, when its server file names a live one."""
    if settings.store_path is None:
        return None
    try:
        found = json.loads(server_file(settings.store_path).read_text(encoding="utf-8"))
        server = RunningServer(str(found["url"]), int(found["pid"]), str(found["base_iri"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return server if _alive(server.pid) else None


def in_use_by(settings: Settings, error: ParleyError) -> RunningServer:
    """The running server to ask instead of the locked store; ``error`` (the lock), saying
    so, when no server file names one."""
    server = running_server(settings)
    if server is None:
        where = (
            f"no server file {server_file(settings.store_path)}"
            if settings.store_path
            else "nothing"
        )
        raise StoreInUseError(
            f"{error.detail} ({where} says where "
            "that server listens: pass --store-url http://HOST:PORT/sparql)"
        )
    return server
