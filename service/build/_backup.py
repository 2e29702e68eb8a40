"""``parley dump`` and ``parley restore``: the whole dataset to a file and back.

A dump holds every graph: the model (ontology, shapes), the data, the inferences and
``graph/provenance``, and the store's default graph, as TriG or N-Quads, as Fuseki's
backups do. Parley's graphs hold no blank nodes (the gate skolemises them), so a dump
restored and dumped again gives the same quads.

The dump reads one store opened by this process alone, so nothing writes while it
reads: a store a running ``parley serve`` holds is refused with what to do. A restore
loads into a fresh directory and swaps it into place (the old store survives a
failure), into an empty or missing store only unless forced.
"""

from __future__ import annotations

import os
from pathlib import Path

import pyoxigraph

from service.build._pipeline import _load_and_swap
from service.errors import ConfigError, RdfSyntaxError, StoreError, StoreInUseError
from service.rdf import BY_NAME, NQUADS, Format, NamedNode, Quad, Vocab, by_suffix, serialize
from service.settings import Settings
from service.store import GraphStore, OxigraphStore, RemoteStore

#: The formats of a dump, by name.
DUMP_FORMATS = {"trig": BY_NAME["trig"], "nquads": NQUADS}


def dump_format(name: str | None, target: Path | None) -> Format:
    """The format asked for; else the target's suffix (``.nq``: N-Quads); else TriG."""
    if name is not None:
        return DUMP_FORMATS[name]
    found = by_suffix(target.suffix.lstrip(".")) if target is not None else None
    return found if found is not None and found in DUMP_FORMATS.values() else DUMP_FORMATS["trig"]


def dump(settings: Settings, fmt: Format) -> bytes:
    """Every quad of the configured store, serialised in ``fmt``.

    :raises ConfigError: there is no store at ``store_path``.
    :raises StoreError: a running server holds the store.
    """
    store = _open(settings, must_exist=True)
    try:
        return serialize(store.quads(), fmt)
    finally:
        store.close()


def write_dump(data: bytes, target: Path) -> None:
    """Write a dump so that a crash leaves the old file or the whole new one."""
    partial = target.with_name(target.name + ".partial")
    with partial.open("wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())
    partial.replace(target)


def restore(settings: Settings, source: Path, *, force: bool) -> tuple[int, str | None]:
    """Load the dump ``source`` as the whole store; the quads loaded and the base IRI the
    dump was built for (``None``: it holds no Parley ontology).

    :raises ConfigError: the store holds quads and ``force`` is false.
    :raises RdfSyntaxError: the file does not parse.
    """
    quads = read_dump(source)
    vocab = Vocab(settings.base_iri)
    store = _open(settings, must_exist=False)
    try:
        held = store.count()
        if held and not force:
            where = settings.store_url or settings.store_path
            raise ConfigError(
                f"the store at {where} holds {held} quads: restore into a new store "
                "path, or pass --force to replace them"
            )
        if isinstance(store, RemoteStore):
            store.replace_all(quads)
    finally:
        store.close()
    if settings.store_url is None:
        assert settings.store_path is not None
        _load_and_swap(settings.store_path, vocab, quads, then=lambda _store: None)
    return len(quads), _built_for(quads)


def read_dump(source: Path) -> list[Quad]:
    """The quads of a dump, blank nodes keeping their labels (the store is restored as it
    was: the model's OWL lists and SHACL shapes are blank nodes).

    :raises RdfSyntaxError: the file does not parse.
    """
    fmt = by_suffix(source.suffix.lstrip("."))
    if fmt is None or not fmt.quads:
        fmt = BY_NAME["trig"]  # N-Quads is TriG too
    kind = pyoxigraph.RdfFormat.N_QUADS if fmt == NQUADS else pyoxigraph.RdfFormat.TRIG
    try:
        with source.open("rb") as data:
            return list(pyoxigraph.parse(data, kind, rename_blank_nodes=False))
    except SyntaxError as exc:
        raise RdfSyntaxError(f"{source} is not a dump in {fmt.name}: {exc}") from exc


def _open(settings: Settings, *, must_exist: bool) -> GraphStore:
    """The store itself, whatever base IRI it was built for (a dump copies it as it is)."""
    vocab = Vocab(settings.base_iri)
    if settings.store_url is not None:
        return RemoteStore.connect(settings, vocab)
    if settings.store_path is None:
        raise ConfigError("name the store: --store DIR (or PARLEY_STORE), or --store-url")
    if must_exist and not settings.store_path.exists():
        raise ConfigError(f"no store at {settings.store_path}")
    try:
        return OxigraphStore.open(settings.store_path, vocab)
    except StoreError as error:
        if "lock" not in error.detail.lower():
            raise
        raise StoreInUseError(
            f"the store at {settings.store_path} is in use by a running `parley serve`: stop "
            "it, then dump or restore (the journal keeps every write it acknowledged)"
        ) from error


def _built_for(quads: list[Quad]) -> str | None:
    """The base IRI of the dump's ontology graph (``{base}graph/ontology``)."""
    for q in quads:
        graph = q.graph_name
        if isinstance(graph, NamedNode) and graph.value.endswith("/graph/ontology"):
            return graph.value.removesuffix("graph/ontology")
    return None
