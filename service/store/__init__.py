"""The store interface and its adapters.

``GraphStore`` is what the rest of Parley asks of a quad store; two adapters
implement it: the embedded Oxigraph store (the only module that imports
pyoxigraph's ``Store``) and a remote SPARQL 1.1 store reached over HTTP.
``open_store`` is the one way to open the configured store.
"""

from service.store._base import Answer, ChangeSet, DatasetSpec, GraphStore, Row, has_blank_node
from service.store._open import open_store
from service.store._oxigraph import OxigraphStore
from service.store._oxigraph_update import canonical_quads
from service.store._remote import RemoteStore
from service.store._snapshot import RemoteSource, Snapshot, remote_source, snapshot

__all__ = [
    "Answer",
    "ChangeSet",
    "DatasetSpec",
    "GraphStore",
    "OxigraphStore",
    "RemoteSource",
    "RemoteStore",
    "Row",
    "Snapshot",
    "canonical_quads",
    "has_blank_node",
    "open_store",
    "remote_source",
    "snapshot",
]
