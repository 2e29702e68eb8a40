"""A small JSON file kept beside the store and shared by processes: read again whenever it
changes, changed under a file lock and replaced atomically.

The editors registry and the sign-in sessions are kept this way. ``parley editor`` and
``parley serve`` (and each of the server's threads) share the file: a writer takes an
``flock`` on ``<file>.lock``, reads the file, and replaces it with a new one (a temporary
file renamed over it), so no change is lost to a concurrent one and no reader sees half a
file. A reader compares the file's (inode, size, mtime) with what it read last: one
``stat`` per request, and a change made by another process is seen at once.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Generic, TypeVar

from service.errors import ConfigError

T = TypeVar("T")


class KeptJson(Generic[T]):
    """The JSON file ``path``, as ``load`` makes it into a ``T`` (``load(None)``: no file)."""

    def __init__(self, path: Path, load: Callable[[dict[str, Any] | None], T], what: str) -> None:
        self.path = path
        self._load = load
        self._what = what
        self._lock = threading.Lock()
        self._seen: tuple[int, int, int] | None = None
        self._value: T = load(None)

    def current(self) -> tuple[T, bool]:
        """What the file holds now, and whether it changed since the last call."""
        try:
            info = self.path.stat()
            seen: tuple[int, int, int] | None = (info.st_ino, info.st_size, info.st_mtime_ns)
        except FileNotFoundError:
            seen = None
        with self._lock:
            if seen == self._seen:
                return self._value, False
        value = self._load(self.read())
        with self._lock:
            self._seen, self._value = seen, value
        return value, True

    def read(self) -> dict[str, Any] | None:
        """The file's JSON object; ``None`` when there is no file."""
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            raise ConfigError(f"the {self._what} file {self.path} cannot be read: {exc}") from exc
        if not isinstance(data, dict):
            raise ConfigError(f"the {self._what} file {self.path} is not a JSON object")
        return data

    @contextlib.contextmanager
    def changing(self) -> Iterator[dict[str, Any]]:
        """The file's JSON object (``{}`` when there is none), read under the lock; what the
        block leaves in it is written back, atomically, mode 0600."""
        with locked(self.path):
            data = self.read() or {}
            yield data
            write_atomically(self.path, json.dumps(data, indent=1, ensure_ascii=False))


@contextlib.contextmanager
def locked(path: Path) -> Iterator[None]:
    """An exclusive ``flock`` on ``<path>.lock``: one writer of ``path`` at a time, across
    processes."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path.with_name(path.name + ".lock"), os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as exc:
        raise ConfigError(f"cannot lock {path}: {exc.strerror}") from exc
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def write_atomically(path: Path, text: str) -> None:
    """Replace ``path`` with ``text``, mode 0600: a reader sees the old file or the new one,
    never half of one, and a crash leaves the old one."""
    temporary = path.with_name(f"{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            os.fchmod(fd, 0o600)  # whatever the umask
            file.write(text + "\n")
            file.flush()
            os.fsync(fd)
        temporary.replace(path)
        directory = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)
    except OSError as exc:
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise ConfigError(f"cannot write {path}: {exc.strerror}") from exc
