"""Messages between the web process and the query process: one job at a time per channel.

A channel is one end of a Unix stream socket pair; a message is a pickled
tuple of plain values behind an 8-byte length. Each request that evaluates a
query takes a channel of its own (``service.query._pool``), and the query
process serves each channel on a thread of its own (``service.query._worker``),
so a job goes straight from the request's thread to the thread that evaluates
it and back: no reader thread or queue in between, which cost a thread switch
each way (measured: about 0.2 ms of CPU per query in the web process before).

Only Parley's two processes speak on a channel, so unpickling is safe here.

>>> left, right = Channel.pair()
>>> left.send(("ASK {}", 1, None))
>>> right.recv(None)
('ASK {}', 1, None)
>>> left.recv(time.monotonic() + 0.01) is None  # nothing came before the deadline
True
>>> right.close(); left.recv(None)
Traceback (most recent call last):
...
EOFError: the channel was closed by the other side
>>> left.close()
"""

from __future__ import annotations

import pickle
import socket
import struct
import time
from collections.abc import Iterator
from typing import Any

_HEADER = struct.Struct("!Q")
#: Messages larger than this are read into a buffer of their own size.
_LARGE = 1 << 20


class Channel:
    """A stream socket that carries length-prefixed pickled messages."""

    __slots__ = ("_buffer", "sock")

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self._buffer = bytearray()

    @classmethod
    def pair(cls) -> tuple[Channel, Channel]:
        left, right = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        return cls(left), cls(right)

    def fileno(self) -> int:
        return self.sock.fileno()

    def send(self, message: tuple[Any, ...], *, timeout: float | None = None) -> None:
        """Send ``message`` whole.

        :raises OSError: the other side is gone, or (``TimeoutError``) it has not read
            for ``timeout`` seconds.
        """
        data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
        self.sock.settimeout(timeout)
        self.sock.sendall(_HEADER.pack(len(data)) + data)

    def recv(self, deadline: float | None) -> Any:
        """The next message (one of ``service.query._messages``, or a job); ``None`` if
        ``deadline`` (``time.monotonic()``) passes first,
        after which the channel is in mid-message: close it.

        :raises EOFError: the other side closed the channel (or its process died).
        """
        header = self._read(_HEADER.size, deadline)
        if header is None:
            return None
        (size,) = _HEADER.unpack(header)
        body = self._read(size, deadline)
        if body is None:
            return None
        message = pickle.loads(body)
        assert isinstance(message, tuple)
        return message

    def _read(self, size: int, deadline: float | None) -> bytes | bytearray | None:
        """``size`` bytes, or ``None`` if the deadline passes before they are all here (what
        has arrived by then is still taken: the deadline is for waiting, not for reading)."""
        buffer = self._buffer
        if len(buffer) < size and size > _LARGE:  # one allocation for a large message
            data = bytearray(size)
            view = memoryview(data)
            view[: len(buffer)] = buffer
            filled = len(buffer)
            buffer.clear()
            while filled < size:
                got = self._recv_into(view[filled:], deadline)
                if got is None:
                    return None
                filled += got
            return data
        while len(buffer) < size:
            chunk = self._recv(size - len(buffer), deadline)
            if chunk is None:
                return None
            buffer += chunk
        message = bytes(buffer[:size])
        del buffer[:size]
        return message

    def _recv(self, wanted: int, deadline: float | None) -> bytes | None:
        """Some bytes (at most ``max(wanted, 4 KiB)``), or ``None`` past the deadline."""
        chunk = bytearray(max(wanted, 4096))
        got = self._recv_into(memoryview(chunk), deadline)
        return None if got is None else bytes(chunk[:got])

    def _timeout(self, deadline: float | None) -> None:
        if deadline is None:
            self.sock.settimeout(None)
        else:  # past it, one look without waiting: an answer that came just in time counts
            self.sock.settimeout(max(0.0, deadline - time.monotonic()))

    def _recv_into(self, view: memoryview, deadline: float | None) -> int | None:
        """Bytes received into ``view`` (at least one), or ``None`` past the deadline."""
        self._timeout(deadline)
        try:
            got = self.sock.recv_into(view)
        except (TimeoutError, BlockingIOError):
            return None
        except OSError as exc:  # reset by a killed process
            raise EOFError(f"the channel broke: {exc}") from exc
        if not got:
            raise EOFError("the channel was closed by the other side")
        return got

    def close(self) -> None:
        self.sock.close()


def received_channels(control: socket.socket) -> Iterator[Channel]:
    """The channels the web process sends over ``control`` (their sockets passed as file
    descriptors), until it closes it: it retired this process, or it is gone."""
    while True:
        try:
            _message, fds, _flags, _address = socket.recv_fds(control, 1, 4)
        except OSError:
            return
        if not fds:
            return  # end of file
        for fd in fds:
            yield Channel(socket.socket(fileno=fd))
