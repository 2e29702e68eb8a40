"""The one multiprocessing forkserver of a web process, and what it imports first.

Query processes, checkpoint query processes and guard workers are all started from the
same forkserver (multiprocessing keeps one per process), which imports its preload
modules once, when it starts: a process forked from it has them already. The preload
is one list for the whole process, so each user adds its modules to it here rather than
setting it (the last ``set_forkserver_preload`` would win). A guard worker imports the
gate and the SPARQL update code (``Guard.preload``) before it says it is ready: forked
with them loaded, it is ready at once, instead of a quarter of a second later (more on
a busy machine), which counts after each time limit (the killed worker's replacement).
Modules added after the forkserver started are imported by each process, as before.
"""

from __future__ import annotations

import multiprocessing
import threading
from multiprocessing.context import ForkServerContext

_lock = threading.Lock()
#: Every module asked for so far, in the order asked (a dict: ordered, no repeats).
_preload: dict[str, None] = {}


def forkserver_context(modules: tuple[str, ...]) -> ForkServerContext:
    """The forkserver context, with ``modules`` added to what the forkserver imports when
    it starts (if it has not started yet)."""
    context = multiprocessing.get_context("forkserver")
    with _lock:
        _preload.update(dict.fromkeys(modules))
        context.set_forkserver_preload(list(_preload))
    return context
