"""The query processes: the zygote, which holds an in-memory copy of the store, and
the query processes forked from it, which evaluate clients' queries on threads.

Both are driven by ``service.query._pool`` in the web process. The zygote is
started once (forkserver context); it loads an export of the store into
memory (``service.query._copy``), then follows the store: the web
process sends it each commit's update (``OxigraphStore.updates_since``). It
never evaluates a client's query, so it is never killed; it forks a query
process for the version it holds whenever the web process asks, which costs a
few milliseconds whatever the store's size (the copy's pages are shared
copy-on-write). A query process serves the version it was forked at: the web
process retires it after a commit and asks for a new one, and kills it
(SIGKILL) when a query runs past its time limit.

Zygote commands, on its command channel (``service.query._channel``), one reply
each (the messages are in ``service.query._messages``):

- ``Load(nquads_path, named_graphs)`` -> ``Done(quads)`` (the web process
  exports a checkpoint of the store into N-Quads, so the zygote never opens RocksDB,
  whose background threads must not be alive when it forks);
- ``Apply([update, ...])`` -> ``Done(None)``;
- ``Fork()``, with the new process's control socket passed on the zygote's
  file-descriptor socket just before -> ``Forked(pid)``; the query process
  dies with the zygote, which kills those still running when it ends;
- any failure -> ``Failed(class_name, detail, extras)``.

A query process receives channels on its control socket, one file
descriptor at a time, and serves each on a thread of its own; pyoxigraph
releases the GIL while it evaluates, so its threads evaluate in parallel,
sharing the copy (the web process hands out ``workers`` evaluation slots; the
query process holds to the same number). When the control socket closes it
answers what it was asked, then exits. On a channel:

- in: ``(QueryJob.to_wire(),)``;
- out: ``Answered(format_name, rows, truncated, size, body)`` when the body
  fits in one chunk; else the same with ``body=None``, then ``Chunk(bytes)``
  messages and ``End()``; or ``Failed(class_name, detail, extras)``.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import logging
import os
import signal
import socket
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from service.errors import ParleyError, StoreError
from service.logsetup import configure_logging
from service.query._channel import Channel, received_channels
from service.query._copy import memory_copy
from service.query._isolation import isolate_if
from service.query._job import QueryJob, Wire
from service.query._messages import (
    Answered,
    Apply,
    Chunk,
    Done,
    End,
    Failed,
    Fork,
    Forked,
    Load,
    Reply,
)
from service.rdf import Vocab
from service.store import OxigraphStore

logger = logging.getLogger(__name__)

CHUNK = 256 * 1024
#: Seconds a web process may leave a large answer unread before it is cut off.
STALL_S = 120
#: Seconds the zygote's reaper waits when it has no child to wait for.
_REAP_IDLE_S = 0.5
#: prctl(2): the signal a process gets when its parent dies.
_PR_SET_PDEATHSIG = 1


# -- the zygote --------------------------------------------------------------


def zygote_main(
    commands: socket.socket,
    fds: socket.socket,
    base_iri: str,
    workers: int,
    log: tuple[str, str],
    isolate: bool = False,
) -> None:
    """Hold the copy and fork query processes until the web process goes away; then stop
    the query processes still running (a runaway query has nobody else to stop it).
    With ``isolate``, it and the query processes it forks have no network."""
    configure_logging(*log)
    isolate_if(isolate)  # first: while this process has one thread (service.query._isolation)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the web process decides when we stop
    threading.Thread(target=_reap_ended, name="reaper", daemon=True).start()
    vocab = Vocab(base_iri)
    channel = Channel(commands)
    die_with_parent = _parent_death_signal()
    copy: OxigraphStore | None = None
    children: list[_Child] = []
    try:
        while True:
            try:
                message = channel.recv(None)
            except EOFError:
                return
            assert message is not None  # no deadline
            try:
                if isinstance(message, Fork):
                    # The control socket comes first, on its own socket: take it whatever
                    # happens next, or the next fork would get this one.
                    control = _receive_control(fds)
                    if copy is None:
                        control.close()
                        raise StoreError("the query process has no copy of the store to serve")
                    children = [child for child in children if not child.reaped()]
                    child = _fork(
                        control, copy, workers, (commands, fds), children, die_with_parent
                    )
                    children.append(child)
                    reply: Forked | Done | Failed = Forked(child.pid)
                elif isinstance(message, Load):
                    copy = None  # free the old copy before making the new one
                    copy = memory_copy(Path(message.nquads), message.graphs, vocab)
                    reply = Done(copy.count())
                elif isinstance(message, Apply):
                    if copy is None:
                        raise StoreError("the query process has no copy of the store to update")
                    for update in message.updates:
                        copy.apply(update)
                    reply = Done(None)
                else:
                    raise StoreError(f"unknown command {message!r}")
            except ParleyError as exc:
                reply = Failed.of(exc)
            except Exception as exc:  # the zygote lives on: the web process decides
                logger.exception("the query processes' zygote failed a command")
                reply = Failed("StoreError", f"the query process failed: {exc}", {})
            channel.send(reply)
    finally:
        for child in children:
            child.kill()


def _reap_ended() -> None:
    """Reap the query processes that end (killed at a time limit, retired) at once:
    otherwise each stays a zombie until the next fork, which may be minutes away. A
    ``_Child`` is killed through its pidfd, which names it even once it is reaped.

    A thread, not a SIGCHLD handler: Python runs a handler only when the main thread
    runs Python code, and a handler's EINTR could break a load's reads in Rust."""
    while True:
        try:
            os.waitpid(-1, 0)
        except ChildProcessError:  # no child yet
            time.sleep(_REAP_IDLE_S)


class _Child:
    """A query process the zygote forked (reaped by ``_reap_ended`` when it ends)."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        try:
            self.pidfd: int | None = os.pidfd_open(pid)
        except OSError:  # a kernel without pidfds: its pid is safe until it is reaped
            self.pidfd = None

    def reaped(self) -> bool:
        """Reap it if it has ended; True then."""
        try:
            if os.waitpid(self.pid, os.WNOHANG)[0] == 0:
                return False
        except ChildProcessError:  # ``_reap_ended`` did
            pass
        self.close()
        return True

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError, ChildProcessError):  # it had ended
            if self.pidfd is not None:
                signal.pidfd_send_signal(self.pidfd, signal.SIGKILL)
            elif os.waitpid(self.pid, os.WNOHANG)[0] == 0:
                os.kill(self.pid, signal.SIGKILL)
        self.close()

    def close(self) -> None:
        if self.pidfd is not None:
            os.close(self.pidfd)
            self.pidfd = None


def _receive_control(fds: socket.socket) -> socket.socket:
    _message, received, _flags, _address = socket.recv_fds(fds, 1, 1)
    if not received:
        raise StoreError("the web process sent no control socket for the query process")
    return socket.socket(fileno=received[0])


def _parent_death_signal() -> Callable[[], None]:
    """What a query process calls first: have the kernel kill it when the zygote dies,
    even by SIGKILL (the zygote's own ending kills its query processes; this covers its
    being killed). Resolved before any fork: loading a library in a forked child is not."""
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):  # not Linux: the zygote's own ending still does it
        return lambda: None
    zygote = os.getpid()

    def ask() -> None:
        prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() != zygote:  # it died before the request took effect
            os._exit(1)

    return ask


def _fork(
    control: socket.socket,
    copy: OxigraphStore,
    workers: int,
    zygote_sockets: tuple[socket.socket, ...],
    siblings: list[_Child],
    die_with_parent: Callable[[], None],
) -> _Child:
    """Fork a query process serving ``control``."""
    # What is alive now is kept out of the children's garbage collections, whose
    # reference counting would copy every page they touch (collected first: only live
    # objects are frozen).
    gc.collect()
    gc.freeze()
    try:
        pid = os.fork()
    except OSError as exc:  # out of memory or processes: the zygote lives on
        gc.unfreeze()
        control.close()
        raise StoreError(f"cannot start a query process: {exc}") from exc
    if pid == 0:  # the query process: never returns into the zygote's loop
        code = 0
        try:
            die_with_parent()
            for sock in zygote_sockets:
                sock.close()
            for sibling in siblings:
                sibling.close()
            _serve_channels(control, copy, workers)
        except BaseException:
            logger.exception("the query process failed")
            code = 1
        finally:
            os._exit(code)
    gc.unfreeze()  # the zygote's own garbage is collected as usual
    control.close()
    return _Child(pid)


# -- a query process -----------------------------------------------------------


def _serve_channels(control: socket.socket, store: OxigraphStore, workers: int) -> None:
    """Serve each channel the web process sends on a thread; when it closes the control
    socket (it retired this process, or it is gone), finish them and return."""
    slots = threading.BoundedSemaphore(max(1, workers))
    threads: list[threading.Thread] = []
    for channel in received_channels(control):
        thread = threading.Thread(
            target=_serve, args=(channel, store, slots), name="query", daemon=True
        )
        thread.start()
        threads = [t for t in threads if t.is_alive()]
        threads.append(thread)
    for thread in threads:
        thread.join()


def _serve(channel: Channel, store: OxigraphStore, slots: threading.BoundedSemaphore) -> None:
    """Answer the jobs of one channel until the web process closes it."""
    try:
        while True:
            message = channel.recv(None)
            assert message is not None  # no deadline
            for reply in answer_job(store, slots, message[0]):
                # A reader that stalls mid-answer is cut off (its client stopped reading),
                # so this thread, and a retired process, can end.
                channel.send(reply, timeout=STALL_S)
    except (EOFError, OSError):
        pass  # the web process closed the channel (or gave up on this answer)
    finally:
        channel.close()


def answer_job(
    store: OxigraphStore, slots: threading.BoundedSemaphore, wire: Wire
) -> Iterable[Reply]:
    """Evaluate one job: the reply messages, in order (the checkpoint workers' too)."""
    try:
        with slots:
            answered = QueryJob.from_wire(wire).answer_on(store)
    except ParleyError as exc:
        return [Failed.of(exc)]
    except Exception as exc:  # a bug or an engine failure: report, keep serving
        logger.exception("a query failed in the query process")
        return [Failed("StoreError", f"the query failed: {exc}", {})]
    body = answered.body
    head = Answered(answered.format.name, answered.rows, answered.truncated, len(body), body)
    if len(body) <= CHUNK:  # most answers: one message
        return [head]
    return _chunked(head._replace(body=None), body)


def _chunked(head: Answered, body: bytes) -> Iterator[Reply]:
    yield head
    view = memoryview(body)
    for start in range(0, len(body), CHUNK):
        yield Chunk(bytes(view[start : start + CHUNK]))
    yield End()
