"""What ``parley load`` and ``parley validate`` do (no click here).

Both go through the write gate on the store directly, exactly as ``POST
/data`` and ``POST /validate`` do on a server: the same checks, the same
reasoning, the same report. ``parley validate`` without a store checks the file
as if it were one more file of data/: the model files are the only context it
has, and it says so (the results about what only the store holds, such as an
agent added through a server, would otherwise be false).
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urljoin

from service.build import ModelFiles, keep_journal, load_data, load_ontology, load_shapes
from service.cli._query import open_local_store
from service.gate import ShaclValidator, ValidationReport, WriteGate, WriteOutcome
from service.rdf import (
    TURTLE,
    BlankNode,
    NamedNode,
    Quad,
    Term,
    Vocab,
    by_suffix,
    parse,
    to_rdflib,
)
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
        gate = WriteGate(store, max_literal_bytes=settings.max_literal_bytes)
        keep_journal(gate, settings)  # a rebuild replays the write
        changes = ChangeSet(insert=read_file(path, vocab, target))
        return gate.submit(
            changes, agent=cli_agent(vocab), operation="parley load", dry_run=dry_run
        )
    finally:
        store.close()


#: What ``parley validate`` says when it has no store to check the file in.
WITHOUT_STORE = (
    "note: no store given, so the file was checked as if it were one more file of data/ "
    "(with ontology/ and shapes/): what the store holds beyond data/ (writes made through "
    "a server) is not seen. Pass --store DIR or --store-url URL to check it in the "
    "store's context."
)


def validate_file(settings: Settings, path: Path) -> tuple[ValidationReport, str | None]:
    """The report for ``path`` in the context of the store (``--store`` when it exists, or
    ``--store-url``), else in the context of the model files; and a note saying which
    context was missing, if one was.

    :raises StoreInUseError: a running server holds the store (the caller asks it instead).
    """
    vocab = Vocab(settings.base_iri)
    graph = vocab.graph("validate")
    has_store = settings.store_url is not None or (
        settings.store_path is not None and settings.store_path.exists()
    )
    if has_store:
        store = open_local_store(settings)
        try:
            report = WriteGate(store).validate(ChangeSet(insert=read_file(path, vocab, graph)))
            return report, None
        finally:
            store.close()
    return _validate_with_model_files(settings, path, vocab, graph), WITHOUT_STORE


def _validate_with_model_files(
    settings: Settings, path: Path, vocab: Vocab, graph: NamedNode
) -> ValidationReport:
    """The file merged with data/ and validated as ``parley build`` validates data/; only
    the results about the nodes the file names are kept (data/ is checked by the build)."""
    files = ModelFiles(settings.ontology_dir, settings.shapes_dir, settings.data_dir)
    validator = ShaclValidator(to_rdflib(load_shapes(files, vocab)), load_ontology(files, vocab))
    quads = read_file(path, vocab, graph)
    named: set[Term] = set()
    for quad in quads:
        for term in (quad.subject, quad.object):
            if isinstance(term, NamedNode | BlankNode):  # literals and quoted triples focus nothing
                named.add(term)
    return validator.validate([*load_data(files, vocab), *quads], focus_nodes=named)
