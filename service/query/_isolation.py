"""Processes that evaluate clients' work have no network: a wall under the text check.

Why: the text check (``service.sparql._outbound``) decides what a query may fetch
by reading it as the engine would, and any difference between the two readings
is a request to an internal address (SSRF). A process in a network namespace of
its own, whose only interface is a loopback that is down, cannot reach any host
whatever the engine reads: ``connect`` fails at once. So the processes that
evaluate clients' queries, updates and validations (the zygote, and the query
processes it forks, which inherit its namespace; the checkpoint engine's query
process; the guard's workers) enter one first thing. Not when ``--outbound-allow``
names hosts: pyoxigraph evaluates ``SERVICE`` to them from there, and the text
check is then the only guard.

``unshare(CLONE_NEWNET)`` needs CAP_SYS_ADMIN. Without it, ``CLONE_NEWUSER`` with
it makes a user namespace in which the process has that capability (where the
kernel lets unprivileged users make one), and the kernel allows that only to a
single-threaded process: hence first thing in a freshly forked child, before it
starts a thread or asks for a parent-death signal (a change of credentials clears
that). Where neither is permitted (a container's seccomp profile, a kernel setting,
not Linux) the web process says so once in its log, and the text check stands alone.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

logger = logging.getLogger(__name__)

#: unshare(2) flags (linux/sched.h).
_CLONE_NEWNET = 0x40000000
_CLONE_NEWUSER = 0x10000000


def enter_isolation() -> bool:
    """Move this process into a network namespace of its own, with no usable interface;
    True if it is in one now. Call it while the process has one thread."""
    unshare = _unshare()
    if unshare is None:  # not Linux
        return False
    if unshare(_CLONE_NEWNET) == 0:  # privileged (root, or CAP_SYS_ADMIN)
        return True
    uid, gid = os.getuid(), os.getgid()
    if unshare(_CLONE_NEWUSER | _CLONE_NEWNET) != 0:
        return False
    # The process's own ids mapped to themselves, so the files it opens keep their owners
    # (unmapped, they would read as "nobody"); best effort: access works either way.
    for name, line in (("setgroups", "deny"), ("uid_map", f"{uid} {uid} 1")):
        _write_proc(name, line)
    _write_proc("gid_map", f"{gid} {gid} 1")
    return True


@lru_cache(maxsize=1)
def _unshare() -> Callable[[int], int] | None:
    """libc's ``unshare``, looked up once: in a parent before it forks, as looking a symbol
    up takes a lock another thread of the parent may hold at the fork."""
    try:
        function: Callable[[int], int] = ctypes.CDLL(None, use_errno=True).unshare
    except (OSError, AttributeError):
        return None
    return function


def _write_proc(name: str, line: str) -> None:
    with contextlib.suppress(OSError):
        Path("/proc/self", name).write_text(line, encoding="ascii")


def isolate_if(requested: bool) -> None:
    """What a worker process calls first thing: enter isolation when the web process
    asked for it (it has checked it is available: ``available``)."""
    if requested and not enter_isolation():
        logger.error("this process could not leave the network; the text check stands alone")


@lru_cache(maxsize=1)
def available() -> bool:
    """True if a child of this process can enter a network namespace of its own: tried
    once, in a short-lived child (the web process itself keeps its network); when it
    cannot, says so once."""
    if not hasattr(os, "fork") or not Path("/proc/self/ns/net").exists():
        found = False
    else:
        _unshare()  # looked up before the fork
        pid = os.fork()
        if pid == 0:  # the child: one thread, whatever the parent runs
            os._exit(0 if enter_isolation() else 1)
        _pid, status = os.waitpid(pid, 0)
        found = os.waitstatus_to_exitcode(status) == 0
    if not found:
        logger.warning(
            "query processes cannot be given a network namespace of their own here "
            "(unshare is not permitted): outbound requests are refused by reading each "
            "query and update only"
        )
    return found


def network_isolation(requested: bool, workers: int) -> bool:
    """Whether worker processes will run without network: asked for (no hosts are
    allow-listed), there are worker processes, and the system permits it."""
    return requested and workers > 0 and available()


def shares_network(pid: int) -> bool:
    """True if process ``pid`` is in this process's network namespace."""
    return Path(f"/proc/{pid}/ns/net").readlink() == Path("/proc/self/ns/net").readlink()
