"""Live delivery of the feed of changes: Server-Sent Events (the WHATWG HTML standard's
``text/event-stream``), one entry per event.

``ChangeStreams`` listens to the write gate (``on_change``, a writer listener): a commit
wakes every open stream at once through one ``threading.Condition``. A stream also reads
the store's version every ``poll_s`` seconds, and the feed when it moved, so a write that
another replica made on a shared store (which no listener here hears) arrives too.

A stream holds one of the server's request threads for its whole life, so there are at
most ``max_streams`` at once (past it ``TooManyStreamsError``, a 503 with
``Retry-After``), and each ends after ``lifetime_s`` with a ``retry:`` hint: the browser's
``EventSource`` reconnects by itself and sends ``Last-Event-ID``, the id of the last
entry it had, and the new stream starts after it (``service.editing._changes`` on why
that misses nothing). A comment every ``heartbeat_s`` keeps proxies from closing a quiet
stream. It is also how the server learns that a client left: the WSGI server closes the
stream when a write to the client fails, so a stream whose client went away keeps its
place until its next event or comment, ``heartbeat_s`` at most.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Generator, Iterator

from service.editing._changes import ChangeEntry, Cursor, changes_after, latest_cursor
from service.errors import TooManyStreamsError
from service.rdf import Vocab
from service.store import ChangeSet, GraphStore

#: Seconds between two reads of the store's version by a waiting stream: a write another
#: replica made reaches it within this and one feed query (at 1 s, 1.3 s at p99 measured
#: with ``bench.changes``; the target is a second). Only a version that moved costs a query.
POLL_S = 0.5
#: Entries read from the store at a time while a stream catches up.
BATCH = 100
#: Milliseconds a browser waits before it reconnects a stream that ended.
RECONNECT_MS = 1000


def sse_event(entry: ChangeEntry) -> bytes:
    """One entry as an event: ``id`` is the entry's id, ``data`` its JSON on one line."""
    data = json.dumps(entry.to_json(), ensure_ascii=False, separators=(",", ":"))
    return f"id: {entry.id}\nevent: change\ndata: {data}\n\n".encode()


class ChangeStreams:
    """The open streams of one process, and the condition that wakes them."""

    def __init__(
        self,
        store: GraphStore,
        vocab: Vocab,
        *,
        max_streams: int,
        poll_s: float = POLL_S,
        heartbeat_s: float = 15.0,
        lifetime_s: float = 60.0,
    ) -> None:
        self.store = store
        self.vocab = vocab
        self.max_streams = max_streams
        self.poll_s = poll_s
        self.heartbeat_s = heartbeat_s
        self.lifetime_s = lifetime_s
        self._changed = threading.Condition()
        #: Commits heard from the writer (a stream waits for it to move).
        self._commits = 0
        self._open = 0

    @property
    def open_streams(self) -> int:
        with self._changed:
            return self._open

    def on_change(self, _changes: ChangeSet) -> None:
        """The writer's listener (under the write lock, right after the commit): wake every
        stream; each reads what is new itself."""
        with self._changed:
            self._commits += 1
            self._changed.notify_all()

    def open(self, after: Cursor | None, *, from_start: bool = False) -> ChangeStream:
        """A stream of the entries after ``after``; with none, of those still to come, or
        of every entry from the first with ``from_start``.

        :raises TooManyStreamsError: ``max_streams`` are open.
        """
        with self._changed:
            if self._open >= self.max_streams:
                raise TooManyStreamsError(
                    f"{self.max_streams} change streams are open, the most this server "
                    "keeps; try again shortly, or read the feed with ?since=",
                    retryAfter=max(1, round(self.lifetime_s / 4)),
                )
            self._open += 1
        return ChangeStream(self, after, from_start=from_start)

    @property
    def commits(self) -> int:
        with self._changed:
            return self._commits

    def _release(self) -> None:
        with self._changed:
            self._open -= 1

    def _wait(self, seen: int, timeout: float) -> int:
        """Wait until a commit after ``seen`` or ``timeout``; the commits heard so far."""
        with self._changed:
            self._changed.wait_for(lambda: self._commits != seen, timeout)
            return self._commits


class ChangeStream:
    """One client's stream: iterate it for the bytes to send; ``close`` frees its place
    (the WSGI server calls it when the answer ends or the client leaves)."""

    def __init__(
        self, streams: ChangeStreams, after: Cursor | None, *, from_start: bool = False
    ) -> None:
        self.streams = streams
        self.after = after
        self.from_start = from_start
        self._closed = False
        self._events = self._run()

    def __iter__(self) -> Iterator[bytes]:
        return self._events

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._events.close()
            self.streams._release()

    def _run(self) -> Generator[bytes, None, None]:
        hub = self.streams
        store = hub.store
        started = time.monotonic()
        ends = started + hub.lifetime_s
        commits = hub.commits
        if self.after is None and not self.from_start:
            # "From now" is from before the client reads its first byte: a write it makes
            # once it has them is after this place.
            self.after = latest_cursor(store)
        # The reconnection delay first, and something the client reads at once (a proxy or
        # a browser may hold the headers back until the body begins).
        yield f"retry: {RECONNECT_MS}\n: parley changes\n\n".encode()
        version = None
        beat = started + hub.heartbeat_s
        while True:
            now_version = store.version()
            if now_version != version:
                version = now_version
                while True:  # catch up: every entry after the last sent
                    page = changes_after(store, hub.vocab, self.after, BATCH)
                    for entry in page.entries:
                        yield sse_event(entry)
                        self.after = Cursor.of(entry)
                    if not page.more:
                        break
            now = time.monotonic()
            if now >= ends:
                break
            if now >= beat:
                yield b": heartbeat\n\n"
                beat = now + hub.heartbeat_s
            seen = commits
            commits = hub._wait(seen, min(hub.poll_s, ends - now, max(0.0, beat - now)))
            if commits != seen:
                version = None  # a commit here: read, whatever the version says
        yield f"retry: {RECONNECT_MS}\n: ends here; reconnect with Last-Event-ID\n\n".encode()
