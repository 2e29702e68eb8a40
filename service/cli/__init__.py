"""The ``parley`` command line (click): build, serve, query, validate, load, stats."""

from service.cli._main import main

__all__ = ["main"]
