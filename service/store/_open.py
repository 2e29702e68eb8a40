"""Opening the configured store: the one place that chooses the adapter.

``parley serve``, every CLI command and the tests open the store here, so the
choice (a directory, or a remote store at ``store_url``), the friendly errors
and the base-IRI check are the same everywhere.
"""

from __future__ import annotations

from service.errors import ConfigError, StoreError, StoreInUseError
from service.rdf import OWL, RDF, NamedNode, Vocab
from service.settings import Settings
from service.store._base import GraphStore
from service.store._oxigraph import OxigraphStore


def open_store(
    settings: Settings,
    vocab: Vocab | None = None,
    *,
    must_exist: bool = False,
    verify: bool = False,
) -> GraphStore:
    """Open the configured store and check it was built for this base IRI: the remote
    store at ``store_url``, else the directory ``store_path`` (``None``: a new store in
    memory, for tests). ``parley serve`` creates a missing directory as an empty store;
    the commands that read one (``must_exist``) refuse it. ``verify`` reads a store
    directory's quad index through, to find a damaged file before a client does
    (``OxigraphStore.verify``: ``parley serve`` does, at start).

    :raises ConfigError: no store at ``store_path`` (with ``must_exist``), or one built
        for another base IRI.
    :raises StoreError: the directory is locked by another process, or damaged.
    """
    vocab = vocab or Vocab(settings.base_iri)
    store: GraphStore
    if settings.store_url is not None:
        from service.store._remote import RemoteStore  # httpx only when a remote is used

        store = RemoteStore.connect(settings, vocab)
    elif settings.store_path is None:
        store = OxigraphStore.open(None, vocab)
    else:
        store = _open_directory(settings, vocab, must_exist=must_exist)
        if verify:
            try:
                store.verify()
            except StoreError:
                store.close()
                raise
    try:
        check_base_iri(store, vocab)
    except ConfigError:
        store.close()
        raise
    return store


def _open_directory(settings: Settings, vocab: Vocab, *, must_exist: bool) -> OxigraphStore:
    assert settings.store_path is not None
    if must_exist and not settings.store_path.exists():
        raise ConfigError(f"no store at {settings.store_path}: run `parley build` first")
    try:
        return OxigraphStore.open(settings.store_path, vocab)
    except StoreError as error:
        if "lock" in error.detail.lower():
            raise StoreInUseError(
                f"the store at {settings.store_path} is in use (a running `parley serve`?); "
                "query the server's /sparql endpoint instead"
            ) from error
        raise


def check_base_iri(store: GraphStore, vocab: Vocab) -> None:
    """Refuse a store whose Parley IRIs were resolved against another base IRI."""
    graphs = store.named_graphs()
    if not any(isinstance(g, NamedNode) and g.value.endswith("/graph/ontology") for g in graphs):
        return  # an empty or scratch store: nothing to check
    if store.graph_exists(vocab.ontology_graph):
        return
    found = next(
        (
            q.subject.value
            for q in store.quads(None, RDF.type, OWL.Ontology)
            if isinstance(q.subject, NamedNode) and q.subject.value.endswith("/ontology")
        ),
        "another base",
    )
    raise ConfigError(
        f"the store was built for base IRI {found.removesuffix('ontology')}, not {vocab.base}; "
        "rebuild it with `parley build --base-iri` or serve it with that base IRI"
    )
