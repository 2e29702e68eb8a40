"""The query processes' copy of the embedded store: exported from a checkpoint as
N-Quads (by the web process), loaded into an in-memory pyoxigraph store (by the zygote,
``service.query._worker``), which then follows the store's updates (``OxigraphStore.apply``).

Why N-Quads between them: the zygote forks query processes, and a process that has
opened RocksDB keeps its background threads, which a fork does not carry over.
"""

from __future__ import annotations

import glob
import logging
import os
import shutil
import tempfile
from pathlib import Path

import pyoxigraph

from service.errors import StoreError
from service.rdf import BlankNode, NamedNode, Vocab
from service.store import OxigraphStore

logger = logging.getLogger(__name__)

_NQUADS = pyoxigraph.RdfFormat.N_QUADS
#: Bytes of memory the copy takes per quad of the store, about: what a server with the copy
#: holds more than one without (PSS at rest, docs/benchmarks.md: 420-530 at 100k and 1M).
COPY_BYTES_PER_QUAD = 512


def copy_fits(store: OxigraphStore, budget_bytes: int) -> bool:
    """True when a copy of ``store`` would take at most ``budget_bytes`` of memory, by an
    estimate from its quads (counting them takes about 0.3 s at 1M); says so when not."""
    size = store.count() * COPY_BYTES_PER_QUAD
    if size <= budget_bytes:
        return True
    logger.warning(
        "the store's in-memory query copy would take about %d MiB, more than the %d MiB "
        "budget (--query-copy-budget-bytes): queries are evaluated on checkpoints instead",
        size >> 20,
        budget_bytes >> 20,
    )
    return False


def export_checkpoint(checkpoint: Path, target: Path) -> list[NamedNode | BlankNode]:
    """Write every quad of the store at ``checkpoint`` (a copy no process writes) into
    ``target`` as N-Quads; return its named graphs (N-Quads cannot carry empty ones)."""
    try:
        source = pyoxigraph.Store.read_only(str(checkpoint))
        source.dump(str(target), format=_NQUADS)
        graphs = list(source.named_graphs())
        del source
    except OSError as exc:
        raise StoreError(f"cannot export the store at {checkpoint}: {exc}") from exc
    return graphs


def memory_copy(nquads: Path, graphs: list[NamedNode | BlankNode], vocab: Vocab) -> OxigraphStore:
    """An in-memory store of what ``export_checkpoint`` wrote, blank nodes keeping their
    labels (so a later update that names one finds it) and empty graphs included."""
    try:
        copy = pyoxigraph.Store()
        # Parsed, not ``bulk_load``ed: the store's loaders give blank nodes new labels.
        copy.bulk_extend(pyoxigraph.parse(path=str(nquads), format=_NQUADS))
        for graph in graphs:
            copy.add_graph(graph)
    except (OSError, SyntaxError) as exc:
        raise StoreError(f"cannot load {nquads} into memory: {exc}") from exc
    return OxigraphStore(copy, vocab, path=None, read_only=False)


def exports_folder(store: Path) -> Path:
    """A folder of its own for a process's exports of the store: beside the store (a
    checkpoint is hard links, which need one disk), or in the temporary directory when
    that is not writable (the checkpoint is then a copy). The folders of processes that
    ended without removing theirs (killed during a load) are removed."""
    for stale in store.parent.glob(glob.escape(store.name) + ".exports-*"):
        owner = stale.name.removeprefix(store.name + ".exports-").split("-")[0]
        if owner.isdigit() and not Path(f"/proc/{owner}").exists():
            shutil.rmtree(stale, ignore_errors=True)
    prefix = f"{store.name}.exports-{os.getpid()}-"
    try:
        return Path(tempfile.mkdtemp(prefix=prefix, dir=store.parent))
    except OSError:
        return Path(tempfile.mkdtemp(prefix="parley-exports-"))
