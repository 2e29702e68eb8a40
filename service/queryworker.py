"""The query processes: the zygote, which holds an in-memory copy of the store, and
the query processes forked from it, which evaluate clients' queries on threads.

Both are driven by ``service.querypool`` in the web process. The zygote is
started once (forkserver context); it loads a checkpoint of the store into
memory (``OxigraphStore.memory_copy``), then follows the store: the web
process sends it each commit's update (``OxigraphStore.updates_since``). It
never evaluates a client's query, so it is never killed; it forks a query
process for the version it holds whenever the web process asks, which costs a
few milliseconds whatever the store's size (the copy's pages are shared
copy-on-write). A query process serves the version it was forked at: the web
process retires it after a commit and asks for a new one, and kills it
(SIGKILL) when a query runs past its time limit.

Zygote commands, on its command channel (``service.channel``), one reply each:

- ``("load", checkpoint_path)`` -> ``("ok", quads)``;
- ``("apply", [update, ...])`` -> ``("ok",)``;
- ``("fork",)``, with the new process's control socket passed on the zygote's
  file-descriptor socket just before -> ``("forked", pid)``;
- any failure -> ``("error", class_name, detail)``.

A query process receives channels on its control socket, one file
descriptor at a time, and serves each on a thread of its own; pyoxigraph
releases the GIL while it evaluates, so at most ``workers`` threads evaluate
at once (the others wait for a slot), sharing the copy. When the control
socket closes it answers what it was asked, then exits. On a channel:

- in: ``(QueryJob.to_wire(),)``;
- out: ``("answer", format_name, rows, truncated, size, body)`` when the body
  fits in one chunk; else the same with ``body=None``, then ``("chunk",
  bytes)`` messages and ``("end",)``; or ``("error", class_name, detail,
  extras)``.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import threading
from pathlib import Path
from typing import Any

from service.channel import Channel
from service.errors import ParleyError, StoreError
from service.oxigraph_store import OxigraphStore
from service.queryjob import QueryJob
from service.vocab import Vocab

CHUNK = 256 * 1024


def _json_safe(extras: dict[str, object]) -> dict[str, object]:
    safe: dict[str, object] = {}
    for key, value in extras.items():
        try:
            json.dumps(value)
        except (TypeError, ValueError):
            continue
        safe[key] = value
    return safe


# -- the zygote --------------------------------------------------------------


def zygote_main(commands: socket.socket, fds: socket.socket, base_iri: str, workers: int) -> None:
    """Hold the copy and fork query processes until the web process goes away."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the web process decides when we stop
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # the kernel reaps the query processes
    vocab = Vocab(base_iri)
    channel = Channel(commands)
    copy: OxigraphStore | None = None
    while True:
        try:
            message = channel.recv(None)
        except EOFError:
            return
        assert message is not None  # no deadline
        try:
            if message[0] == "load":
                copy = None  # free the old copy before making the new one
                copy = OxigraphStore.memory_copy(Path(message[1]), vocab)
                reply: tuple[Any, ...] = ("ok", copy.count())
            elif message[0] == "apply":
                if copy is None:
                    raise StoreError("the query process has no copy of the store to update")
                for update in message[1]:
                    copy.apply(update)
                reply = ("ok",)
            elif message[0] == "fork":
                if copy is None:
                    raise StoreError("the query process has no copy of the store to serve")
                reply = ("forked", _fork(fds, copy, commands, workers))
            else:
                raise StoreError(f"unknown command {message[0]!r}")
        except ParleyError as exc:
            reply = ("error", type(exc).__name__, exc.detail)
        channel.send(reply)


def _fork(fds: socket.socket, copy: OxigraphStore, commands: socket.socket, workers: int) -> int:
    """Fork a query process on the control socket the web process just sent."""
    _message, received, _flags, _address = socket.recv_fds(fds, 1, 1)
    if not received:
        raise StoreError("the web process sent no control socket for the query process")
    control = socket.socket(fileno=received[0])
    pid = os.fork()
    if pid == 0:  # the query process: never returns into the zygote's loop
        code = 0
        try:
            commands.close()
            fds.close()
            _serve_channels(control, copy, workers)
        except BaseException:
            code = 1
        finally:
            os._exit(code)
    control.close()
    return pid


# -- a query process -----------------------------------------------------------


def _serve_channels(control: socket.socket, store: OxigraphStore, workers: int) -> None:
    """Serve each channel the web process sends on a thread; when it closes the control
    socket (it retired this process, or it is gone), finish them and return."""
    slots = threading.BoundedSemaphore(max(1, workers))
    threads: list[threading.Thread] = []
    while True:
        try:
            _message, fds, _flags, _address = socket.recv_fds(control, 1, 4)
        except OSError:
            break
        if not fds:
            break  # end of file
        for fd in fds:
            channel = Channel(socket.socket(fileno=fd))
            thread = threading.Thread(
                target=_serve, args=(channel, store, slots), name="query", daemon=True
            )
            thread.start()
            threads.append(thread)
        threads = [t for t in threads if t.is_alive()]
    for thread in threads:
        thread.join()


def _serve(channel: Channel, store: OxigraphStore, slots: threading.BoundedSemaphore) -> None:
    """Answer the jobs of one channel until the web process closes it."""
    try:
        while True:
            message = channel.recv(None)
            assert message is not None  # no deadline
            for reply in _answer(store, slots, message[0]):
                channel.send(reply)
    except (EOFError, OSError):
        pass  # the web process closed the channel (or gave up on this answer)
    finally:
        channel.close()


def _answer(store: OxigraphStore, slots: threading.BoundedSemaphore, wire: Any) -> Any:
    """Evaluate one job: the reply messages, in order."""
    try:
        with slots:
            answered = store.answer(QueryJob.from_wire(wire))
    except ParleyError as exc:
        return [("error", type(exc).__name__, exc.detail, _json_safe(exc.extras))]
    except Exception as exc:  # a bug or an engine failure: report, keep serving
        return [("error", "StoreError", f"the query failed: {exc}", {})]
    body = answered.body
    head = ("answer", answered.format.name, answered.rows, answered.truncated, len(body))
    if len(body) <= CHUNK:  # most answers: one message
        return [(*head, body)]
    chunks = [("chunk", body[start : start + CHUNK]) for start in range(0, len(body), CHUNK)]
    return [(*head, None), *chunks, ("end",)]
