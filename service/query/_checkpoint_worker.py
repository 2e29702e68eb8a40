"""A checkpoint worker: the query process of ``service.query._checkpoint``.

It holds no copy of the store. Each job names a checkpoint of the store (a
``Store.backup`` of hard links, which no process writes), and the process
opens it read-only, in milliseconds, the first time a job names it; it keeps
the newest one open for the jobs after, and closes an older one when the last
query reading it is done. pyoxigraph releases the GIL while it evaluates, so
its threads evaluate in parallel, sharing the open store and its caches.

It is started from a multiprocessing forkserver and killed (SIGKILL) when a
query runs past its time limit; its replacement opens the same checkpoint.

Channels arrive on the control socket, one file descriptor at a time, and
each is served on a thread of its own (as in ``service.query._worker``). On a
channel:

- in: ``(QueryJob.to_wire(), checkpoint_path, serial)``, where a larger
  ``serial`` is a newer checkpoint;
- out: the replies of ``service.query._worker`` (``service.query._messages``):
  ``Answered(format_name, rows, truncated, size, body)``, or with ``body=None``
  then ``Chunk(bytes)`` messages and ``End()``; or ``Failed(class_name, detail,
  extras)``.

When the control socket closes (the web process stopped the runner, or died)
the process exits at once: nobody would read what it is still evaluating, and
a runaway query would have nobody else to stop it.
"""

from __future__ import annotations

import logging
import signal
import socket
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from service.errors import ParleyError
from service.logsetup import configure_logging
from service.query._channel import Channel, received_channels
from service.query._isolation import isolate_if
from service.query._messages import Failed
from service.query._worker import STALL_S, answer_job
from service.rdf import Vocab
from service.store import OxigraphStore

logger = logging.getLogger(__name__)


class _Opened:
    """The checkpoints this process has open, and how many queries read each."""

    def __init__(self, vocab: Vocab) -> None:
        self.vocab = vocab
        self._lock = threading.Lock()
        self._open: dict[str, tuple[OxigraphStore, int]] = {}
        #: The newest checkpoint a job named: it stays open for the next jobs.
        self._newest: tuple[int, str] = (-1, "")

    def acquire(self, path: str, serial: int) -> OxigraphStore:
        """The store at ``path``, opened now if it is not open; give it back with
        ``release``."""
        with self._lock:
            store, readers = self._open.get(path) or (None, 0)
            if store is None:
                store = OxigraphStore.open_read_only(Path(path), self.vocab)
            self._open[path] = (store, readers + 1)
            if serial > self._newest[0]:
                self._newest = (serial, path)
            return store

    def release(self, path: str) -> None:
        with self._lock:
            store, readers = self._open[path]
            self._open[path] = (store, readers - 1)
            idle = [p for p, (_s, n) in self._open.items() if n == 0 and p != self._newest[1]]
            closing = [self._open.pop(p)[0] for p in idle]
        for old in closing:  # superseded and unread: its files may be gone already
            old.close()


def worker_main(
    control: socket.socket,
    base_iri: str,
    workers: int,
    log: tuple[str, str],
    isolate: bool = False,
) -> None:
    """Serve the channels the web process sends until it closes the control socket (with
    no network when ``isolate``)."""
    configure_logging(*log)
    isolate_if(isolate)  # first: while this process has one thread (service.query._isolation)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the web process decides when we stop
    opened = _Opened(Vocab(base_iri))
    slots = threading.BoundedSemaphore(max(1, workers))
    for channel in received_channels(control):
        threading.Thread(
            target=_serve, args=(channel, opened, slots), name="query", daemon=True
        ).start()
    # The queries still running are abandoned (their threads are daemons): the process
    # exits when this returns.


def _serve(channel: Channel, opened: _Opened, slots: threading.BoundedSemaphore) -> None:
    """Answer the jobs of one channel until the web process closes it."""
    try:
        while True:
            message = channel.recv(None)
            assert message is not None  # no deadline
            wire, path, serial = message
            for reply in _replies(opened, slots, wire, path, serial):
                # A reader that stalls mid-answer is cut off (its client stopped reading).
                channel.send(reply, timeout=STALL_S)
    except (EOFError, OSError):
        pass  # the web process closed the channel (or gave up on this answer)
    finally:
        channel.close()


def _replies(
    opened: _Opened, slots: threading.BoundedSemaphore, wire: Any, path: str, serial: int
) -> Iterable[tuple[Any, ...]]:
    """Evaluate one job on the checkpoint at ``path``: the reply messages, in order (the
    answer is computed whole before they are sent, so the checkpoint is given back first)."""
    try:
        store = opened.acquire(path, serial)
    except ParleyError as exc:
        return [Failed.of(exc)]
    try:
        return answer_job(store, slots, wire)
    finally:
        opened.release(path)
