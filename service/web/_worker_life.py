"""The life of Granian's worker process: it dies with the main process, and it knows how
many workers came before it (for ``/health``).

Why the worker must die with ``parley serve``: a supervisor restarts the service by
its main PID. If the worker outlived a kill -9 of the main process, it would keep
serving and holding the store's RocksDB ``LOCK``, and the restarted server could not
open the store. The kernel delivers ``PR_SET_PDEATHSIG`` when the parent dies, even by
SIGKILL; the worker is forked from Granian's main thread, which lives as long as the
process, so the signal comes when the process ends and not before. The worker's own
children follow it: the zygote and the guard workers exit when their channel to the
worker closes, the query processes when the zygote dies (``service.query._worker``).

SIGKILL rather than SIGTERM: an orphan must stop even in the middle of a request,
and a kill -9 loses no acknowledged write (each commit is in RocksDB's log first).
"""

from __future__ import annotations

import ctypes
import datetime
import logging
import os
import signal
import threading
import time
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

#: prctl(2): the signal a process gets when its parent dies.
_PR_SET_PDEATHSIG = 1
#: Seconds between two looks at the parent where prctl is not available.
_WATCH_S = 1.0
#: The Flask config key that holds ``worker_record``'s answer.
CONFIG_KEY = "PARLEY_WORKER"
#: Free bytes on the store's disk at which a worker whose writes failed for want of space
#: restarts (room for RocksDB's log and a memtable flush, with a margin).
ROOM_BYTES = 32 << 20
#: Seconds between two looks at the disk while writes fail.
_ROOM_POLL_S = 2.0


def die_with_parent(parent: int) -> None:
    """End this process when ``parent`` (the process that started it) ends."""
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):  # not Linux: watch the parent instead
        threading.Thread(target=_watch, args=(parent,), name="parent-watch", daemon=True).start()
        return
    prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # it died before the request took effect
        os._exit(1)


def _watch(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(_WATCH_S)
    os.kill(os.getpid(), signal.SIGKILL)


def worker_record(starts: Any) -> dict[str, Any]:
    """Count this worker's start in ``starts`` (a ``multiprocessing.RawValue`` the main
    process made, shared with every worker it starts) and say what ``/health`` reports
    about it. One worker runs at a time, so the count needs no lock."""
    starts.value += 1
    return {
        "pid": os.getpid(),
        "started_at": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        # Workers started before this one: Granian starts a new one when a worker dies (a
        # kill, the OOM killer, a crash) or on SIGHUP.
        "restarts": starts.value - 1,
    }


def restart_when_room_returns(store: Any, path: Path) -> None:
    """Once a write failed for want of space (``store.write_failure``) and the disk of
    ``path`` has ``ROOM_BYTES`` free again, stop this worker gracefully (SIGTERM: its
    requests finish) so that Granian starts a new one, which opens the store again.

    Why a new worker: after a failed write RocksDB refuses every write until the store is
    opened again, and the store cannot be closed and opened again in this process while
    any request still reads it (RocksDB's lock is per process, pyoxigraph has no close).
    """

    def watch() -> None:
        while True:
            time.sleep(_ROOM_POLL_S)
            failure = getattr(store, "write_failure", None)
            if failure is None or "No space left" not in failure:
                continue
            try:
                disk = os.statvfs(path)
            except OSError:
                continue
            if disk.f_bavail * disk.f_frsize >= ROOM_BYTES:
                logger.warning(
                    "the store's disk has room again after a write failed for want of it: "
                    "restarting the web worker to open the store again"
                )
                os.kill(os.getpid(), signal.SIGTERM)
                return

    threading.Thread(target=watch, name="room-watch", daemon=True).start()


def wake_main_thread_on_signals() -> None:
    """Make a stop signal wake the worker's main thread, wherever the kernel delivers it.

    Granian's WSGI worker waits for its stop in ``threading.Event.wait`` on the main
    thread, and Python runs a signal's handler only there. A SIGTERM that lands on
    another of the worker's threads (Granian's, RocksDB's, a query pool's) only marks the
    handler due: the main thread sleeps on, and Granian kills the worker after its grace
    period (measured: 3 of 15 stops right after a start took 10 s, the log saying the
    worker "refused to gracefully stop"). Here the C-level handler's wake-up byte is read
    by a thread of its own, which then signals the main thread itself (SIGUSR1, handled
    by doing nothing): its wait is interrupted and the due handler runs. Call from the
    main thread; Granian's ASGI loop sets a wake-up descriptor of its own, and wins."""
    if threading.current_thread() is not threading.main_thread():
        return
    read_end, write_end = os.pipe()
    os.set_blocking(write_end, False)
    signal.signal(signal.SIGUSR1, lambda _signum, _frame: None)
    signal.set_wakeup_fd(write_end, warn_on_full_buffer=False)
    main = threading.main_thread().ident
    stops = {int(signal.SIGTERM), int(signal.SIGINT)}

    def relay() -> None:
        while True:
            got = os.read(read_end, 64)
            if main is not None and stops.intersection(got):
                signal.pthread_kill(main, signal.SIGUSR1)

    threading.Thread(target=relay, name="signal-relay", daemon=True).start()
