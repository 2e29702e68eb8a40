"""The ``parley`` command line (click): build, serve, query, validate, load, stats.

Its modules import at the top only click, the settings and the errors; each command
imports what it uses. The import is not only ``parley --help``'s: multiprocessing runs the
``parley`` script again in every process forked from a server's forkserver (to set up its
``__main__``), so what this package imports at the top, every zygote, guard worker and
checkpoint query process imports too (the whole of Parley was 0.1 s of CPU a process).
"""

from service.cli._backup import dump, restore
from service.cli._main import main

# Commands kept in modules of their own (``_main`` holds the others).
main.add_command(dump)
main.add_command(restore)

__all__ = ["main"]
