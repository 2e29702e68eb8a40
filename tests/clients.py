"""The tests' HTTP clients: httpx's, sharing one TLS context.

httpx builds a TLS context for every client it makes (``httpx.get`` makes one per call),
loading certifi's bundle of certificate authorities: 33 ms of CPU each time. A whole run
made some 2,500 of them, most to poll a starting server's ``/health``: 80 s of the two
cores' CPU, for servers that all speak plain HTTP on 127.0.0.1. These make the context
once (it verifies as httpx's own does). Ruff's ``banned-api`` (pyproject.toml) points the
tests here instead of ``httpx.get`` and ``httpx.post``; their clients are made here.
"""

from __future__ import annotations

import functools
import ssl
from typing import Any

import httpx


@functools.cache
def tls() -> ssl.SSLContext:
    """The one TLS context, made on first use."""
    return httpx.create_ssl_context()


def client(**kwargs: Any) -> httpx.Client:
    """An ``httpx.Client`` (``kwargs`` as its own) with the shared TLS context."""
    return httpx.Client(verify=tls(), **kwargs)


def get(url: str, **kwargs: Any) -> httpx.Response:
    """``httpx.get`` with the shared TLS context."""
    return httpx.get(url, verify=tls(), **kwargs)


def post(url: str, **kwargs: Any) -> httpx.Response:
    """``httpx.post`` with the shared TLS context."""
    return httpx.post(url, verify=tls(), **kwargs)
