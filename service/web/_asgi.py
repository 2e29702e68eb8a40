"""Parley's WSGI application on Granian's ASGI interface, so that a request knows when its
client has gone.

Granian's WSGI interface shows the application neither the client's connection nor its
closing: a query whose client had hung up ran on to its time limit, holding its admission
slot and a core. Granian's ASGI interface does say it: ``receive()``, once the request's
body has been read, answers ``http.disconnect`` when the connection closes (or when the
whole answer has been sent). So ``parley serve`` serves the same WSGI application through
this adapter (unless ``--keep-abandoned-queries``):

- the request's body (within ``--max-body-bytes``, the way ``service.web._body`` reads
  it) is read on the event loop, then the application runs on a pool of threads, one
  request a thread, as Granian's WSGI threads ran it (``service.web._server``);
- the event loop waits on ``receive()``; when it answers, the request's ``CLIENT_GONE``
  event is set. A query being evaluated watches it (``service.query``) and, when its
  client has gone, is stopped as at its time limit, which frees its admission slot; a
  streamed answer stops at its next chunk.
- The answer goes out from the application's thread: Granian's ``send`` acts when it is
  called (a channel with room takes the chunk; the one-chunk answer, the common one, is
  sent whole), so the event loop is woken only when a streamed answer's reader is slower
  than it is written (Granian's channel of 4 chunks is full), never per request.

The cost, measured (docs/benchmarks.md): about 0.5 ms more CPU in the web process per
request than Granian's WSGI interface, which runs the application on its own threads
with no hop through an event loop (``--keep-abandoned-queries`` serves through that one).
"""

from __future__ import annotations

import asyncio
import io
import itertools
import logging
import sys
import threading
from collections.abc import Awaitable, Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import unquote_to_bytes

logger = logging.getLogger(__name__)

#: The environ's key of the ``threading.Event`` set when the request's client has gone
#: (or when its whole answer has been sent: either way nobody waits for more of it).
CLIENT_GONE = "parley.client_gone"

#: Answers whose headers Granian sends at once (it holds the others' until their body).
_STREAMS = b"text/event-stream"

Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]
WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class ClientLeftError(Exception):
    """The client's connection closed before its request's body came whole, or while its
    answer was being sent."""


class WsgiOnAsgi:
    """An ASGI application that runs the WSGI application ``app`` on ``threads`` threads."""

    def __init__(self, app: WSGIApp, *, threads: int, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="wsgi")

    async def __call__(self, scope: dict[str, Any], receive: Receive, send: Send) -> None:
        if scope["type"] != "http":  # Parley serves neither websockets nor lifespan events
            return
        environ = _environ(scope)
        try:
            body = await self._body(environ, receive)
        except ClientLeftError:
            return
        environ["wsgi.input"] = io.BytesIO(body)
        gone = threading.Event()
        environ[CLIENT_GONE] = gone
        loop = asyncio.get_running_loop()
        self._pool.submit(self._respond, environ, send, loop, gone)
        # Once the body is read, receive() answers only when the answer has gone whole or
        # the client has: either way the request's work is over.
        while (await receive())["type"] != "http.disconnect":
            pass
        gone.set()

    async def _body(self, environ: dict[str, Any], receive: Receive) -> bytes:
        """The request's body, read as ``service.web._body`` needs it: a declared length
        past the limit is not read (the application refuses it by its header); an unsized
        body past the limit is read one byte past it, the rest dropped up to as much again
        (the connection stays usable), and the application refuses it.

        :raises ClientLeftError: the connection closed first.
        """
        declared = environ.get("CONTENT_LENGTH")
        limit = self.max_body_bytes
        if not declared and "HTTP_TRANSFER_ENCODING" not in environ:
            return b""  # HTTP/1.1: a request without either has no body
        if declared and declared.isdigit() and int(declared) > limit:
            return b""
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                raise ClientLeftError
            chunk = message.get("body", b"")
            if size <= limit:
                chunks.append(chunk[: limit + 1 - size])
            size += len(chunk)
            if not message.get("more_body", False) or size > 2 * limit + 1:
                return b"".join(chunks)

    # -- on the application's thread -------------------------------------------------------

    def _respond(
        self,
        environ: dict[str, Any],
        send: Send,
        loop: asyncio.AbstractEventLoop,
        gone: threading.Event,
    ) -> None:
        started: list[Any] = []

        def start_response(
            status: str, headers: list[tuple[str, str]], exc_info: Any = None
        ) -> Any:
            if exc_info is not None and started and started[0] == "sent":
                raise exc_info[1].with_traceback(exc_info[2])
            started[:] = [status, headers]
            return _no_write

        try:
            answer = self.app(environ, start_response)
        except Exception:  # Flask answers its own errors: this is the server's failure
            logger.exception("the application failed to answer %s", environ.get("PATH_INFO"))
            _finish(send, loop, {"type": "http.response.start", "status": 500, "headers": []})
            _finish(send, loop, {"type": "http.response.body", "body": b""})
            return
        try:
            self._send_answer(iter(answer), started, send, loop, gone)
        except ClientLeftError:
            pass
        except Exception:
            logger.exception("the answer to %s broke off", environ.get("PATH_INFO"))
        finally:
            close = getattr(answer, "close", None)
            if close is not None:
                close()  # the middleware's log and metrics; a streamed query's process back

    @staticmethod
    def _send_answer(
        chunks: Iterator[bytes],
        started: list[Any],
        send: Send,
        loop: asyncio.AbstractEventLoop,
        gone: threading.Event,
    ) -> None:
        """Send the answer: its headers, then its chunks; the last one marked last, so that
        a one-chunk answer goes whole (one chunk is held back to know which is last, except
        in an event stream, where each event goes at once)."""
        held = next(chunks, b"")  # the application calls start_response by its first chunk
        status, headers = started
        started[0] = "sent"
        encoded = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers]
        stream = any(k == b"content-type" and v.startswith(_STREAMS) for k, v in encoded)
        start = {"type": "http.response.start", "status": int(status[:3]), "headers": encoded}
        _finish(send, loop, start)
        if stream:  # each event at once, the first one too
            for chunk in itertools.chain([held], chunks):
                if gone.is_set():
                    raise ClientLeftError
                if chunk:
                    _finish(
                        send, loop, {"type": "http.response.body", "body": chunk, "more_body": True}
                    )
            _finish(send, loop, {"type": "http.response.body", "body": b"", "more_body": False})
            return
        for chunk in chunks:
            if gone.is_set():
                raise ClientLeftError
            if not chunk:
                continue
            if held:
                _finish(send, loop, {"type": "http.response.body", "body": held, "more_body": True})
            held = chunk
        if gone.is_set():
            raise ClientLeftError
        _finish(send, loop, {"type": "http.response.body", "body": held, "more_body": False})


def _no_write(_data: bytes) -> None:
    raise NotImplementedError("Parley's application returns its answer; it never writes")


def _finish(send: Send, loop: asyncio.AbstractEventLoop, message: dict[str, Any]) -> None:
    """Send ``message`` from the application's thread. Granian's ``send`` takes effect when
    called and returns a finished awaitable, unless the answer's channel is full: then the
    event loop waits for room (the client reads), and so does this thread.

    :raises ClientLeftError: Granian refuses the message (``RuntimeError``: the exchange
        is over, a 500 sent for a request whose client went), or the wait broke off.
    """
    try:
        step = send(message).__await__()
        pending = next(step)  # a future of Granian's, which yields itself until done
    except StopIteration:
        return
    except RuntimeError as exc:
        raise ClientLeftError from exc
    try:
        asyncio.run_coroutine_threadsafe(_wait(pending), loop).result()
    except (RuntimeError, asyncio.CancelledError) as exc:
        raise ClientLeftError from exc


async def _wait(future: Any) -> None:
    await future


def _environ(scope: dict[str, Any]) -> dict[str, Any]:
    """The WSGI environ (PEP 3333) of an ASGI request, as Granian's WSGI interface built it
    (the path %-decoded to bytes read as Latin-1), plus the client's port."""
    server_host, server_port = scope.get("server") or ("", "0")
    client = scope.get("client") or ("", "0")
    environ: dict[str, Any] = {
        "REQUEST_METHOD": scope["method"],
        "SCRIPT_NAME": "",
        "PATH_INFO": unquote_to_bytes(scope.get("raw_path") or b"/").decode("latin-1"),
        "QUERY_STRING": scope.get("query_string", b"").decode("latin-1"),
        "SERVER_NAME": server_host,
        "SERVER_PORT": str(server_port),
        "SERVER_PROTOCOL": f"HTTP/{scope.get('http_version', '1.1')}",
        "SERVER_SOFTWARE": "Granian",
        "REMOTE_ADDR": client[0],
        "REMOTE_PORT": str(client[1]),
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": scope.get("scheme", "http"),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
        # The input ends with the body (werkzeug reads to its end; ``service.web._body``).
        "wsgi.input_terminated": True,
    }
    for raw_name, raw_value in scope["headers"]:
        name = raw_name.decode("latin-1").upper().replace("-", "_")
        value = raw_value.decode("latin-1")
        if name not in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            name = "HTTP_" + name
        if name in environ:  # a repeated header: one value (cookies are joined by ";")
            value = environ[name] + (";" if name == "HTTP_COOKIE" else ",") + value
        environ[name] = value
    return environ
