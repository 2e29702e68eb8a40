"""The page templates compiled once per test process, not once per application.

A Flask application compiles each Jinja template the first time it renders it: 34 ms a
template, 0.3 s for the eight of an actor page. A server compiles them once and renders
them for every request after; the tests start hundreds of applications in each process
(a private one for each test that writes), and each compiled them again. Here every
application of the process gets one shared bytecode cache (``Flask.jinja_options``,
Flask's own hook for the environment it makes). Jinja keys the cache by template and
checks the template's source against it, so a changed template is compiled again.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from flask import Flask
from jinja2 import BytecodeCache
from jinja2.bccache import Bucket


class SharedTemplates(BytecodeCache):
    """Compiled templates kept in memory, for every environment that shares the cache."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._compiled: dict[str, bytes] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        with self._lock:
            compiled = self._compiled.get(bucket.key)
        if compiled is not None:
            bucket.bytecode_from_string(compiled)  # Jinja drops it if the source changed

    def dump_bytecode(self, bucket: Bucket) -> None:
        compiled = bucket.bytecode_to_string()
        with self._lock:
            self._compiled[bucket.key] = compiled


@contextmanager
def one_compile_per_template() -> Iterator[SharedTemplates]:
    """Within the block, every Flask application made shares one ``SharedTemplates``."""
    shared = SharedTemplates()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Flask, "jinja_options", {**Flask.jinja_options, "bytecode_cache": shared})
        yield shared
