"""The web process's handles on the query processes (``service.query._worker``): the
zygote, which holds the copy of the store, and each query process forked from it.

``service.query._pool`` decides when to load, update, fork, retire and kill;
this module only speaks to the processes.
"""

from __future__ import annotations

import contextlib
import logging
import os
import select
import signal
import socket
import threading
from multiprocessing.context import ForkServerContext
from multiprocessing.process import BaseProcess
from pathlib import Path

from service.errors import StoreError, StoreUnavailableError
from service.query._channel import Channel
from service.query._job import RETRY_AFTER_S, Streamed
from service.query._messages import (
    Answered,
    Apply,
    Chunk,
    Command,
    Done,
    End,
    Failed,
    Fork,
    Forked,
    Gone,
    Load,
    Reply,
)
from service.rdf import BY_NAME, BlankNode, NamedNode

logger = logging.getLogger(__name__)


class Zygote:
    """The zygote process: its command channel, and the socket that carries the control
    sockets of the query processes it forks."""

    def __init__(self, process: BaseProcess, commands: Channel, fds: socket.socket) -> None:
        self.process = process
        self.commands = commands
        self.fds = fds
        #: The store version its copy holds; -1 before the first load.
        self.version = -1
        self.broken = False

    @classmethod
    def start(
        cls,
        context: ForkServerContext,
        base_iri: str,
        workers: int,
        log: tuple[str, str],
        isolate: bool = False,
    ) -> Zygote:
        """Start a zygote; ``log`` is the level and format of its log lines; with
        ``isolate`` it and its query processes have no network."""
        from service.query._worker import zygote_main

        commands, their_commands = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        fds, their_fds = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        process = context.Process(
            target=zygote_main,
            args=(their_commands, their_fds, base_iri, workers, log, isolate),
            daemon=True,
            name="parley-zygote",
        )
        process.start()
        their_commands.close()
        their_fds.close()
        return cls(process, Channel(commands), fds)

    @property
    def alive(self) -> bool:
        return not self.broken and self.process.is_alive()

    def _call(self, message: Command) -> Done | Forked:
        try:
            self.commands.send(message)
            reply = self.commands.recv(None)
        except (OSError, EOFError) as exc:
            self.broken = True
            raise StoreUnavailableError(
                "the process holding the query copy of the store stopped; try again",
                retryAfter=RETRY_AFTER_S,
            ) from exc
        assert reply is not None  # no deadline
        if isinstance(reply, Failed):
            raise reply.exception()
        assert isinstance(reply, Done | Forked)
        return reply

    def load(self, nquads: Path, graphs: list[NamedNode | BlankNode], version: int) -> None:
        """Replace the copy with an export of the store (at ``version``)."""
        self.version = -1  # until it has loaded
        reply = self._call(Load(str(nquads), graphs))
        assert isinstance(reply, Done)
        self.version = version
        logger.info("query copy loaded: %s quads at version %s", reply.value, version)

    def apply(self, updates: list[tuple[int, str]]) -> None:
        """Bring the copy forward by these commits' updates (oldest first)."""
        try:
            self._call(Apply([text for _version, text in updates]))
        except BaseException:
            self.version = -1  # some may have been applied: only a load makes it exact again
            raise
        self.version = updates[-1][0]

    def fork(self) -> QueryProcess:
        """A new query process, serving the copy as it is now."""
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            socket.send_fds(self.fds, [b"f"], [theirs.fileno()])
            reply = self._call(Fork())
        except OSError as exc:
            ours.close()
            self.broken = True
            raise StoreError(f"the query process stopped: {exc}") from exc
        except BaseException:
            ours.close()
            raise
        finally:
            theirs.close()
        assert isinstance(reply, Forked)
        return QueryProcess(reply.pid, ours, self.version)

    def stop(self) -> None:
        """Close its sockets: it exits at the end of file (and is killed if it does not)."""
        self.commands.close()
        self.fds.close()
        self.process.join(timeout=5)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(timeout=5)


class RetiredError(Exception):
    """The query process takes no more work (a newer one serves the store's version)."""


class QueryProcess:
    """A query process and the channels to it: an idle channel is reused, a busy one is
    its request's alone."""

    def __init__(self, pid: int, control: socket.socket, version: int) -> None:
        self.pid = pid
        self.control = control
        #: The store version it serves.
        self.version = version
        # A pidfd names this process and no other, even after its pid is reused.
        self._pidfd: int | None = None
        #: Without pidfds (kernels before 5.3) it is killed by pid.
        self._by_pid = False
        try:
            self._pidfd = os.pidfd_open(pid)
        except ProcessLookupError:
            pass  # it has exited already
        except OSError:
            self._by_pid = True
        self._lock = threading.Lock()
        self._idle: list[Channel] = []
        #: It takes work (neither retired nor killed).
        self.alive = True
        self.killed = False
        #: It was killed because a query on it ran past its time limit (not a crash).
        self.stopped_at_limit = False
        #: It serves one query only (run alone after a crash): it is killed once the
        #: answer is read, since its engine keeps no state worth reusing.
        self.one_job = False

    def checkout(self) -> Channel:
        """An idle channel, or a new one handed to the process.

        :raises RetiredError: it was retired (ask for the current process).
        :raises OSError: it was killed, or is gone.
        """
        with self._lock:
            if self.killed:
                raise OSError("the query process was stopped")
            if not self.alive:
                raise RetiredError
            if self._idle:
                return self._idle.pop()
            ours, theirs = Channel.pair()
            try:
                socket.send_fds(self.control, [b"c"], [theirs.fileno()])
            except OSError:
                ours.close()
                raise
            finally:
                theirs.close()
            return ours

    def checkin(self, channel: Channel) -> None:
        """Give back a channel whose last answer was read whole."""
        with self._lock:
            if self.alive and not self.one_job:
                self._idle.append(channel)
                return
        channel.close()
        if self.one_job:
            self.kill()

    def retire(self) -> None:
        """Send it no more work: it answers what it has, then exits."""
        with self._lock:
            if not self.alive:
                return
            self.alive = False
            idle, self._idle = self._idle, []
        for channel in idle:
            channel.close()
        self.control.close()

    def exited(self) -> bool:
        """True once the process has ended (its pidfd is closed then)."""
        with self._lock:
            pidfd = self._pidfd
            if pidfd is None:
                return self.killed or not self._by_pid
            poller = select.poll()  # not select(): descriptors past 1023 are common here
            poller.register(pidfd, select.POLLIN)
            if not poller.poll(0):
                return False
            self._pidfd = None
        os.close(pidfd)
        return True

    def kill(self) -> None:
        """Stop it at once, and every query it is running."""
        self.retire()
        with self._lock:
            self.killed = True
            pidfd, self._pidfd = self._pidfd, None
        if pidfd is None:
            if self._by_pid:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(self.pid, signal.SIGKILL)
            return
        try:
            signal.pidfd_send_signal(pidfd, signal.SIGKILL)
        except ProcessLookupError:
            pass  # it had exited
        finally:
            os.close(pidfd)
        logger.info("query process %s stopped", self.pid)


def streamed(process: QueryProcess, channel: Channel, reply: Reply) -> Streamed:
    """The answer whose first reply came on ``channel``: whole, or its chunks to come
    (the channel goes back to ``process`` once it is read); a ``Failed`` reply raises its
    error (the pool's and the checkpoint workers' query processes answer alike)."""
    if isinstance(reply, Failed):
        process.checkin(channel)
        raise reply.exception()
    assert isinstance(reply, Answered), reply
    fmt = BY_NAME[reply.format_name]
    if reply.body is not None:  # the whole answer came in one message
        process.checkin(channel)
        return Streamed.whole(fmt, reply.rows, reply.truncated, reply.body)
    return Streamed(fmt, reply.rows, reply.truncated, reply.size, AnswerChunks(process, channel))


class AnswerChunks:
    """The body chunks of a large answer; the channel goes back when the answer was read
    whole, and is closed when it was not (WSGI servers call ``close``, even when they never
    iterate, as for HEAD).

    The answer was computed whole before its first chunk was sent, so reading the rest
    has no time limit: a slow client only holds its own channel, and the query process
    is not stopped for it (it cuts off a reader that stalls)."""

    def __init__(self, process: QueryProcess, channel: Channel) -> None:
        self.process, self.channel = process, channel
        self.done = False

    def __iter__(self) -> AnswerChunks:
        return self

    def __next__(self) -> bytes:
        if self.done:
            raise StopIteration
        try:
            reply = self.channel.recv(None)
        except EOFError:  # the process is gone: the answer ends early (headers are sent)
            reply = Gone()
        if isinstance(reply, Chunk):
            return reply.data
        self._finish(whole=isinstance(reply, End))
        raise StopIteration

    def close(self) -> None:
        if not self.done:
            self._finish(whole=False)

    def _finish(self, *, whole: bool) -> None:
        self.done = True
        if whole:
            self.process.checkin(self.channel)
        else:
            self.channel.close()  # the rest of the answer is unread: nobody may reuse it
            if self.process.one_job:
                self.process.kill()
