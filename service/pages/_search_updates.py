"""Changes applied in the background, in order, several at a time: how the search index
follows the writes without holding the write lock while it indexes.

The write gate calls its listeners under the write lock, right after each
commit; indexing a large write (re-reading the documents of 262,000 triples'
subjects) took minutes, and every other write waited. So the listener only
hands the change to ``Backlog.put`` (a list append) and returns; one thread
applies what is waiting, in commit order, every change waiting at that moment
in one go (their touched entities merged: ten small writes cost one index
commit), and exits when nothing is left (no idle thread outlives its work).

What this costs: the index is *eventually* consistent. A reader that wants
its own write found waits for the changes put before it (``wait``, bounded:
a small write is indexed in milliseconds, a very large one is not waited for
past the bound).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Generic, TypeVar

logger = logging.getLogger(__name__)

T = TypeVar("T")


class Backlog(Generic[T]):
    """Items applied by ``apply`` on a background thread, in the order put, each call
    with every item waiting then.

    >>> seen = []
    >>> backlog = Backlog(seen.append, name="example")
    >>> for item in (1, 2, 3):
    ...     backlog.put(item)
    >>> backlog.wait(5)
    True
    >>> [x for batch in seen for x in batch]
    [1, 2, 3]
    """

    def __init__(
        self,
        apply: Callable[[list[T]], None],
        *,
        name: str,
        on_failure: Callable[[BaseException], None] = lambda _error: None,
    ) -> None:
        self._apply = apply
        self._name = name
        self._on_failure = on_failure
        self._changed = threading.Condition()
        self._waiting: list[T] = []
        #: Items put so far, and items applied so far (or given up on): a reader waits
        #: until the second reaches what the first was when it started to wait.
        self._put = 0
        self._done = 0
        self._running = False

    def put(self, item: T) -> None:
        """Queue ``item`` (at once: no work is done here)."""
        with self._changed:
            self._waiting.append(item)
            self._put += 1
            if self._running:
                return
            self._running = True
        threading.Thread(target=self._drain, name=self._name, daemon=True).start()

    def pending(self) -> int:
        """Items put and not yet applied."""
        with self._changed:
            return self._put - self._done

    def wait(self, timeout_s: float) -> bool:
        """Wait until what was put before this call is applied; False past ``timeout_s``."""
        deadline = time.monotonic() + timeout_s
        with self._changed:
            target = self._put
            while self._done < target:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._changed.wait(left)
            return True

    def _drain(self) -> None:
        while True:
            with self._changed:
                batch, self._waiting = self._waiting, []
                if not batch:
                    # Under the lock ``put`` checks: the next item starts a new thread.
                    self._running = False
                    return
            try:
                self._apply(batch)
            except Exception as error:  # the thread must go on with the next batch
                logger.exception("%s: applying %d changes failed", self._name, len(batch))
                self._on_failure(error)
            with self._changed:
                self._done += len(batch)
                self._changed.notify_all()
