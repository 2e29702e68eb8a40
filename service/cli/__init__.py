"""The ``parley`` command line (click): build, serve, query, validate, load, stats."""

from service.cli._backup import dump, restore
from service.cli._main import main

# Commands kept in modules of their own (``_main`` holds the others).
main.add_command(dump)
main.add_command(restore)

__all__ = ["main"]
