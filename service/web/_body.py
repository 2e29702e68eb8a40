"""A request body without a declared length, read within ``--max-body-bytes``.

Werkzeug enforces ``MAX_CONTENT_LENGTH`` on a ``Content-Length``; a body sent with
``Transfer-Encoding: chunked`` has none, and werkzeug then reads it only up to the
limit and stops there in silence: a 19 MB N-Triples upload was cut at 16 MiB and
its first 262,144 triples written (201), a 20 MB query was cut and run. Here such a
body is read once, before any view sees it, one byte past the limit: past it the
request is refused (413) and nothing of it is parsed, evaluated or written; within
it the body is handed on as if it had been sent with its length, so every view, form
and upload parser reads the whole of it, and nothing else.

And the URL's parameters: werkzeug decodes them replacing what is not UTF-8 with
U+FFFD, so a query with a stray byte (or a lone surrogate) ran as some other query;
here they are refused (400), as a NUL is, which no parameter of Parley's may hold.
"""

from __future__ import annotations

import io
from typing import Any
from urllib.parse import unquote_to_bytes

from service.errors import BadRequestError, PayloadTooLargeError

#: Bytes read from the server's input stream at a time.
_READ_SIZE = 1 << 16


def check_url_parameters(environ: dict[str, Any]) -> None:
    """Refuse URL parameters that are not UTF-8 text, or hold a NUL.

    :raises BadRequestError: naming the first offending byte.
    """
    # A WSGI string holds the URL's bytes as Latin-1; %-escapes are decoded to bytes.
    raw = (environ.get("QUERY_STRING") or "").encode("latin-1", "replace")
    data = unquote_to_bytes(raw.replace(b"+", b" "))
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadRequestError(
            f"the URL's parameters are not UTF-8 (byte {exc.start} after %-decoding: "
            f"{exc.reason}); percent-encode UTF-8 text"
        ) from None
    if "\x00" in text:
        raise BadRequestError("the URL's parameters hold a NUL character (%00)")


def has_unsized_body(environ: dict[str, Any]) -> bool:
    """True when the request may carry a body with no ``Content-Length``: a chunked one,
    or any body of a server that ends the input stream itself (``wsgi.input_terminated``:
    Granian; HTTP/2 bodies need not be chunked)."""
    if environ.get("CONTENT_LENGTH"):
        return False
    chunked = "chunked" in (environ.get("HTTP_TRANSFER_ENCODING") or "").lower()
    return chunked or bool(environ.get("wsgi.input_terminated"))


def read_within(environ: dict[str, Any], limit: int) -> None:
    """Read the unsized body whole, into the environ with its length.

    :raises PayloadTooLargeError: the body has more than ``limit`` bytes (the environ's
        body is then empty: nothing of it reaches a view).
    """
    stream = environ["wsgi.input"]
    chunks: list[bytes] = []
    size = 0
    while size <= limit:  # one byte past the limit is enough to know
        chunk = stream.read(min(_READ_SIZE, limit + 1 - size))
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    body = b"".join(chunks) if size <= limit else b""
    if size > limit:
        _drain(stream, limit)
    environ["wsgi.input"] = io.BytesIO(body)
    environ["CONTENT_LENGTH"] = str(len(body))
    environ.pop("HTTP_TRANSFER_ENCODING", None)
    if size > limit:
        raise PayloadTooLargeError(
            f"the request body is larger than this server's limit of {limit} bytes "
            "(--max-body-bytes); nothing of it was read as data",
            maxBodyBytes=limit,
        )


def _drain(stream: Any, most: int) -> None:
    """Read and drop up to ``most`` more bytes of a refused body: a server closes a
    connection whose request it did not read to the end, and a client that reuses it
    gets no answer; a body far past the limit (an endless one) is cut off there."""
    dropped = 0
    while dropped < most:
        chunk = stream.read(min(_READ_SIZE, most - dropped))
        if not chunk:
            return
        dropped += len(chunk)
