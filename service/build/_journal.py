"""The journal: every write the gate commits, kept on disk so a rebuild can replay it.

``parley build`` makes a new store from the model files; without the journal it would
drop every write clients made since. The server appends each committed write
(``WriteGate.recorders``) to ``<journal>/writes.jsonl`` and fsyncs it before the
client hears of the write, so a write acknowledged with a 2xx is on disk twice: in
the store and here. ``parley build`` replays the journal through the gate onto the
new store (``service.build._replay``).

One JSON line per write (JSON Lines, readable with ``jq``)::

    {"sha256": "<hex of the entry's JSON>", "entry": {"v": 1, "base": ..., "agent": ...,
     "agentName": ... (when the writer has a name), "operation": ..., "started": ...,
     "ended": ..., "record": ..., "delete": "<N-Quads>",
     "insert": "<N-Quads>", "create": [IRI...], "drop": [IRI...]}}

``delete`` and ``insert`` are the asserted change as committed (blank nodes in
Parley's graphs skolemised, effective quads only); inferences are not kept (a replay
reasons again). ``base`` is the base IRI the write was made under, so a replay under
another base can move its IRIs. The checksum is over the entry as written
(``json.dumps(entry, sort_keys=True, separators=(",", ":"))``): a line cut short by
a kill -9 in mid-append, or with no newline, is detected and ignored.

Appends and rewrites take an ``flock`` on ``<journal>/.lock``, and each append opens
the file anew, so a rewrite (a replay setting rejected writes aside) never strands an
appender on a replaced file.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from service.errors import StoreError
from service.gate import Accepted, Recorder, Stamp, WriteGate
from service.rdf import NQUADS, NamedNode, Quad, quads_from_wire, serialize
from service.settings import Settings
from service.store import ChangeSet

log = logging.getLogger(__name__)

#: The journal's file in its directory.
JOURNAL_FILE = "writes.jsonl"
VERSION = 1


def journal_dir(settings: Settings) -> Path | None:
    """Where the journal of the configured store is: ``Settings.journal``, else the
    directory beside the store (``var/store`` -> ``var/store.journal``), never inside it
    (a build replaces the store's directory). ``None`` for an in-memory store, and for a
    remote store unless ``--journal`` names one (the journal belongs to the one Parley
    that writes: name it there)."""
    if settings.journal is not None:
        return settings.journal
    if settings.store_path is None:
        return None
    store = settings.store_path.resolve()
    return store.with_name(store.name + ".journal")


def keep_journal(gate: WriteGate, settings: Settings) -> None:
    """Journal every write ``gate`` commits, where ``journal_dir`` says (if anywhere)."""
    where = journal_dir(settings)
    if settings.read_only:
        return
    if where is not None:
        gate.recorders.append(Journal(where).recorder(settings.base_iri))
    elif settings.store_url is not None:
        log.warning(
            "no journal of writes (--journal): `parley build --store-url` will replace "
            "every write made through this server"
        )


@dataclass(frozen=True)
class Entry:
    """One committed write, as journalled."""

    base: str
    agent: str
    operation: str
    stamp: Stamp
    delete: list[Quad] = field(default_factory=list)
    insert: list[Quad] = field(default_factory=list)
    create_graphs: list[NamedNode] = field(default_factory=list)
    drop_graphs: list[NamedNode] = field(default_factory=list)
    #: The agent's name (an editor's), so a replay states it in the record again.
    agent_name: str | None = None

    @classmethod
    def of(cls, accepted: Accepted, base: str) -> Entry:
        changes = accepted.changes
        return cls(
            base,
            accepted.agent,
            accepted.operation,
            accepted.stamp,
            list(changes.delete),
            list(changes.insert),
            list(changes.create_graphs),
            list(changes.drop_graphs),
            accepted.agent_name,
        )

    @property
    def changes(self) -> ChangeSet:
        return ChangeSet(
            delete=list(self.delete),
            insert=list(self.insert),
            create_graphs=list(self.create_graphs),
            drop_graphs=list(self.drop_graphs),
        )

    def to_json(self) -> dict[str, Any]:
        named = {"agentName": self.agent_name} if self.agent_name is not None else {}
        return {
            **named,
            "v": VERSION,
            "base": self.base,
            "agent": self.agent,
            "operation": self.operation,
            "started": self.stamp.started.isoformat(),
            "ended": self.stamp.ended.isoformat(),
            "record": self.stamp.record,
            "delete": serialize(self.delete, NQUADS).decode(),
            "insert": serialize(self.insert, NQUADS).decode(),
            "create": [g.value for g in self.create_graphs],
            "drop": [g.value for g in self.drop_graphs],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Entry:
        stamp = Stamp(
            datetime.fromisoformat(data["started"]),
            datetime.fromisoformat(data["ended"]),
            data["record"],
        )
        return cls(
            data["base"],
            data["agent"],
            data["operation"],
            stamp,
            quads_from_wire(data["delete"].encode()),
            quads_from_wire(data["insert"].encode()),
            [NamedNode(g) for g in data["create"]],
            [NamedNode(g) for g in data["drop"]],
            data.get("agentName"),
        )


def entry_line(entry: Entry) -> bytes:
    """The entry as one line of the journal, with its checksum."""
    body = _canonical(entry.to_json())
    digest = hashlib.sha256(body.encode()).hexdigest()
    return f'{{"sha256":"{digest}","entry":{body}}}\n'.encode()


def _canonical(data: dict[str, Any]) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


@dataclass
class Read:
    """The journal as read: its whole entries, and what was left out."""

    entries: list[Entry] = field(default_factory=list)
    #: The lines each entry was read from (a rewrite keeps them byte for byte).
    lines: list[bytes] = field(default_factory=list)
    #: An entry cut short at the end (a kill -9 while it was appended): ignored.
    torn_tail: bool = False


class Journal:
    """The journal in directory ``path``."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.file = path / JOURNAL_FILE

    # -- writing -------------------------------------------------------------------

    def recorder(self, base: str) -> Recorder:
        """A ``WriteGate`` recorder that appends each committed write made under ``base``."""

        def record(accepted: Accepted) -> None:
            self.append(Entry.of(accepted, base))

        return record

    def append(self, entry: Entry) -> None:
        """Append one entry and make it durable (file and, when new, directory fsynced).

        :raises StoreError: the journal cannot be written (the write is committed to the
            store, but the client is told it failed: a retry is harmless).
        """
        line = entry_line(entry)
        try:
            with self._locked():
                created = not self.file.exists()
                fd = os.open(self.file, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
                try:
                    _cut_torn_tail(fd)
                    os.write(fd, line)
                    os.fsync(fd)
                finally:
                    os.close(fd)
                if created:
                    _fsync_dir(self.path)
        except OSError as exc:
            raise StoreError(f"cannot write the journal at {self.file}: {exc}") from exc

    def remove(self, lines: set[bytes]) -> None:
        """Take the entries written as ``lines`` out of the journal, atomically (a new file
        renamed over it); entries appended since it was read stay."""
        with self._locked():
            kept = [
                line
                for line in self.file.read_bytes().splitlines(keepends=True)
                if line not in lines
            ]
            fresh = self.file.with_name(JOURNAL_FILE + ".new")
            with fresh.open("wb") as out:
                out.writelines(kept)
                out.flush()
                os.fsync(out.fileno())
            fresh.replace(self.file)
            _fsync_dir(self.path)

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        self.path.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path / ".lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # closing releases the lock

    # -- reading -------------------------------------------------------------------

    def exists(self) -> bool:
        return self.file.exists()

    def read(self) -> Read:
        """Every whole entry, in order. A damaged last line (torn by a crash) is ignored.

        :raises StoreError: a damaged entry before the last one (not a crash's doing: the
            journal was edited or the disk is failing; nothing is replayed past a hole).
        """
        found = Read()
        if not self.file.exists():
            return found
        with self._locked():
            data = self.file.read_bytes()
        lines = data.splitlines(keepends=True)
        for number, line in enumerate(lines, 1):
            entry = _parse_line(line)
            if entry is None:
                if number == len(lines):
                    found.torn_tail = True
                    break
                raise StoreError(
                    f"the journal {self.file} is damaged at line {number} (a bad checksum or "
                    "not JSON); move it aside, or repair the line, and build again"
                )
            found.entries.append(entry)
            found.lines.append(line)
        return found


def _parse_line(line: bytes) -> Entry | None:
    """The entry of a whole, intact line; ``None`` for a torn or damaged one."""
    if not line.endswith(b"\n"):
        return None
    try:
        wrapper = json.loads(line)
        entry = wrapper["entry"]
        digest = hashlib.sha256(_canonical(entry).encode()).hexdigest()
        if digest != wrapper["sha256"] or entry.get("v") != VERSION:
            return None
        return Entry.from_json(entry)
    except (ValueError, KeyError, TypeError, AttributeError, StoreError):
        return None


def _cut_torn_tail(fd: int) -> None:
    """Truncate a last line a crash left without its newline, so the next entry starts on
    a line of its own (the torn one was never acknowledged)."""
    size = os.fstat(fd).st_size
    if size == 0 or os.pread(fd, 1, size - 1) == b"\n":
        return
    block = 1 << 16
    end = size
    while end > 0:
        start = max(0, end - block)
        chunk = os.pread(fd, end - start, start)
        newline = chunk.rfind(b"\n")
        if newline >= 0:
            os.ftruncate(fd, start + newline + 1)
            return
        end = start
    os.ftruncate(fd, 0)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
