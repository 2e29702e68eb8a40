"""Stores another process can open: a snapshot of the embedded store, or the remote store.

A snapshot is a checkpoint (``OxigraphStore.checkpoint``: RocksDB hard links,
about 10 ms at 1M triples) in a folder of its own, named by a picklable
``Snapshot``. The process that took it removes the folder when the work on it
is done, whether that work finished or its process was killed; the process
that reads it may use the folder as scratch space too. A remote store needs
no snapshot: every process reaches it over HTTP (``RemoteSource``).
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from service.rdf import Vocab
from service.store._base import GraphStore
from service.store._oxigraph import OxigraphStore

if TYPE_CHECKING:  # httpx only when a remote store is used
    from service.store._remote import RemoteStore
    from service.store._sparql_client import Endpoints


@dataclass(frozen=True)
class Snapshot:
    """Where a checkpoint of the store is, and what it holds."""

    #: The snapshot's folder: the checkpoint is its ``store`` subfolder.
    folder: str
    #: The store's version the checkpoint holds (``GraphStore.version``).
    version: int
    #: The store's base IRI.
    base_iri: str

    def open(self) -> OxigraphStore:
        """The checkpoint, opened read-only (``fork`` still makes a writable copy of it)."""
        return OxigraphStore.open_read_only(Path(self.folder) / "store", Vocab(self.base_iri))


@contextmanager
def snapshot(store: OxigraphStore, root: Path) -> Iterator[Snapshot]:
    """A snapshot of ``store`` in a new folder under ``root`` (on the store's disk, so the
    checkpoint is hard links), removed when the block ends."""
    folder = Path(tempfile.mkdtemp(prefix="snapshot-", dir=root))
    try:
        version = store.checkpoint(folder / "store")
        yield Snapshot(str(folder), version, store.vocab.base)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@dataclass(frozen=True)
class RemoteSource:
    """A remote store, for another process to reach on its own."""

    endpoints: Endpoints
    base_iri: str

    def open(self) -> RemoteStore:
        """A client of the store (closed with ``close``)."""
        from service.store._remote import RemoteStore
        from service.store._sparql_client import SparqlClient

        return RemoteStore(SparqlClient(self.endpoints), Vocab(self.base_iri))


def remote_source(store: GraphStore) -> RemoteSource | None:
    """How another process reaches ``store``, when it is a remote store."""
    if isinstance(store, OxigraphStore):
        return None
    from service.store._remote import RemoteStore

    if not isinstance(store, RemoteStore):
        return None
    return RemoteSource(store.client.endpoints, store.vocab.base)
