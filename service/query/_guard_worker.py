"""A guard worker: the process that runs the jobs of ``service.query._guard``, one at a
time, until the web process closes its channel (or kills it at a job's limit)."""

from __future__ import annotations

import importlib
import logging
import os
import select
import signal
import socket
import threading
from collections.abc import Callable
from typing import Any

from service.errors import ParleyError
from service.logsetup import configure_logging
from service.query._channel import Channel
from service.query._isolation import isolate_if
from service.query._messages import Done, Failed, Ready

logger = logging.getLogger(__name__)


def worker_main(
    sock: socket.socket, preload: tuple[str, ...], log: tuple[str, str], isolate: bool = False
) -> None:
    """Run the jobs the web process sends, one at a time, until it closes the channel (with
    no network when ``isolate``)."""
    configure_logging(*log)
    isolate_if(isolate)  # first: while this process has one thread (service.query._isolation)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the web process decides when we stop
    threading.Thread(target=_exit_with_the_channel, args=(sock,), daemon=True).start()
    for module in preload:  # before "ready": importing is not a job's time
        importlib.import_module(module)
    channel = Channel(sock)
    channel.send(Ready())
    while True:
        try:
            message = channel.recv(None)
            assert message is not None  # no deadline
            reply = _answer(message[0])
        except EOFError:
            return  # the web process closed the channel, or is gone
        except Exception as exc:  # the job did not unpickle (a bug): say so, keep serving
            logger.exception("a guard worker could not read a job")
            reply = _failed(f"the work could not be read: {exc}")
        try:
            channel.send(reply)
        except OSError:
            return
        except Exception as exc:  # the answer did not pickle (a bug); nothing was sent
            logger.exception("a guard worker could not send an answer")
            channel.send(_failed(f"the work's answer could not be sent: {exc}"))


def _answer(job: Callable[[], Any]) -> Done | Failed:
    try:
        return Done(job())
    except ParleyError as exc:
        return Failed.of(exc)
    except Exception as exc:  # a bug or an engine failure: report, keep serving
        logger.exception("a job failed in a guard worker")
        return _failed(f"the work failed: {exc}")


def _failed(detail: str) -> Failed:
    """The reply for a failure that is no ``ParleyError``: a 500."""
    return Failed("ParleyError", detail, {})


def _exit_with_the_channel(sock: socket.socket) -> None:
    """Exit the moment the web process closes the channel or is gone, even in the middle of
    a job: a runaway job must not outlive the server. (Its parent, the forkserver, does not
    end before it: the forkserver lives as long as any process it started.)"""
    poller = select.poll()
    poller.register(sock.fileno(), select.POLLRDHUP)  # hang-ups and errors come anyway
    while True:
        for _fd, events in poller.poll():
            if events & (select.POLLRDHUP | select.POLLHUP | select.POLLERR | select.POLLNVAL):
                os._exit(0)
