"""RocksDB's old info logs, pruned when the store is opened.

At every open RocksDB renames the store's info log ``LOG`` to
``LOG.old.<microseconds>`` and starts a new one (a server start opens the
store about twice: the check of the base IRI and the worker), and it never
removes them: a store that is restarted often fills up with them. pyoxigraph
does not expose RocksDB's ``keep_log_file_num`` option, so Parley removes all
but the newest few itself, after an open that holds the store's lock (no
other process is writing them then). They are diagnostics only: nothing in
them is needed to open or recover the store.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

#: Old info logs kept (the newest), for a look at what RocksDB said at the last starts.
KEEP_OLD_LOGS = 3


def prune_old_logs(store_dir: Path, keep: int = KEEP_OLD_LOGS) -> list[Path]:
    """Remove all but the newest ``keep`` of ``LOG.old.*`` in ``store_dir``; the removed.

    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> for stamp in (5, 40, 300, 2000):
    ...     _ = (folder / f"LOG.old.{stamp}").write_text("")
    >>> [p.name for p in prune_old_logs(folder, keep=2)]
    ['LOG.old.5', 'LOG.old.40']
    >>> sorted(p.name for p in folder.iterdir())
    ['LOG.old.2000', 'LOG.old.300']
    """
    old = sorted(store_dir.glob("LOG.old.*"), key=_stamp)
    removed = old[: max(0, len(old) - keep)]
    for path in removed:
        with contextlib.suppress(FileNotFoundError):  # another open pruned it first
            path.unlink()
    return removed


def _stamp(path: Path) -> tuple[int, str]:
    """Newer logs have larger stamps (microseconds since the epoch); by name otherwise."""
    suffix = path.name.removeprefix("LOG.old.")
    return (int(suffix), "") if suffix.isdigit() else (0, suffix)
