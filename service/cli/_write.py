"""What ``parley load`` and ``parley validate`` do (no click here).

Both go through the write gate on the store directly, exactly as ``POST
/data`` and ``POST /validate`` do on a server: the same checks, the same
reasoning, the same report. ``parley validate`` without a built store checks
the file against the model files alone.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urljoin

from service.build import ModelFiles, load_ontology, load_shapes
from service.cli._query import open_local_store
from service.gate import ShaclValidator, ValidationReport, WriteGate, WriteOutcome
from service.rdf import TURTLE, NamedNode, Quad, Vocab, by_suffix, parse, to_rdflib
from service.settings import Settings
from service.store import ChangeSet


def read_file(path: Path, vocab: Vocab, graph: NamedNode) -> list[Quad]:
    """An RDF file's quads (its format from its suffix; Turtle otherwise), into ``graph``."""
    fmt = by_suffix(path.suffix.lstrip(".")) or TURTLE
    return parse(path.read_bytes(), fmt, base_iri=vocab.base, graph=graph, what=str(path))


def cli_agent(vocab: Vocab) -> str:
    """The agent provenance records for writes made from the command line."""
    return f"{vocab.base}id/agent/cli"


def load_file(settings: Settings, path: Path, graph: str, *, dry_run: bool) -> WriteOutcome:
    """Validate ``path`` in context and write it into ``graph``.

    :raises ShapeViolationError: the file breaks the shapes; nothing was written.
    """
    vocab = Vocab(settings.base_iri)
    target = NamedNode(urljoin(vocab.base, graph))
    store = open_local_store(settings)
    try:
        gate = WriteGate(store)
        changes = ChangeSet(insert=read_file(path, vocab, target))
        return gate.submit(
            changes, agent=cli_agent(vocab), operation="parley load", dry_run=dry_run
        )
    finally:
        store.close()


def validate_file(settings: Settings, path: Path) -> ValidationReport:
    """The report for ``path``: in the context of the built store, else against the model files."""
    vocab = Vocab(settings.base_iri)
    graph = vocab.graph("validate")
    if settings.store_path is not None and settings.store_path.exists():
        store = open_local_store(settings)
        try:
            return WriteGate(store).validate(ChangeSet(insert=read_file(path, vocab, graph)))
        finally:
            store.close()
    files = ModelFiles(settings.ontology_dir, settings.shapes_dir, settings.data_dir)
    validator = ShaclValidator(to_rdflib(load_shapes(files, vocab)), load_ontology(files, vocab))
    return validator.validate(read_file(path, vocab, graph))
