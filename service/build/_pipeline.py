"""``parley build``: model files -> validated, reasoned store on disk.

Stages: read the ontology, shapes and data; validate the data against the
shapes (on a violation nothing is written and any existing store is left as
it was); compute the OWL 2 RL closure with owlrl; load everything into a
fresh store next to the target directory; replay the journal of the writes
clients made (``service.build._replay``) onto it; swap it into place. The
summary gives triples per graph, instances per class, inferred triples, the
replay's counts and the time each stage took.
"""

from __future__ import annotations

import shutil
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from service.build._files import ModelFiles, load_data, load_ontology, load_shapes
from service.build._journal import Journal, journal_dir
from service.build._replay import Replayed, replay, settle
from service.errors import ConfigError, ShapeViolationError, StoreError, StoreInUseError
from service.gate import ShaclValidator, ValidationReport, check_seed_data
from service.rdf import PROV, RDF, XSD, Literal, NamedNode, Quad, Vocab, to_rdflib
from service.reasoning import closure
from service.settings import ENV_NAMES, Settings
from service.store import GraphStore, OxigraphStore

#: Reports progress: called with a stage name when it starts (and None at the end).
Progress = Callable[[str, str], None]


@dataclass
class BuildSummary:
    """What a build produced and how long each stage took."""

    triples_per_graph: dict[str, int] = field(default_factory=dict)
    instances_per_class: list[tuple[str, int]] = field(default_factory=list)
    inferred: int = 0
    seconds: dict[str, float] = field(default_factory=dict)
    #: The journal's replay; ``None`` when there was none (no journal, or ``--no-replay``).
    replayed: Replayed | None = None
    #: Why no journal was replayed, when writes may have been replaced (a remote store).
    unjournalled: str = ""

    def text(self) -> str:
        lines = ["Triples per graph:"]
        width = max((len(g) for g in self.triples_per_graph), default=0)
        for graph, n in self.triples_per_graph.items():
            lines.append(f"  {graph:<{width}}  {n:>7}")
        lines.append(f"  {'total':<{width}}  {sum(self.triples_per_graph.values()):>7}")
        lines.append(f"Inferred triples: {self.inferred}")
        lines.append("Instances per class (asserted and inferred):")
        for cls, n in self.instances_per_class:
            lines.append(f"  {cls:<28} {n:>5}")
        lines.append("Time per stage:")
        for stage, secs in self.seconds.items():
            lines.append(f"  {stage:<10} {secs:7.2f} s")
        if self.replayed is not None:
            lines.append(self.replayed.text())
        elif self.unjournalled:
            lines.append(self.unjournalled)
        return "\n".join(lines)


@dataclass(frozen=True)
class Model:
    """The model files, parsed for one base IRI."""

    ontology: list[Quad]
    shapes: list[Quad]
    data: list[Quad]


def read_model(settings: Settings) -> Model:
    """Parse ontology, shapes and data for the settings' base IRI."""
    vocab = Vocab(settings.base_iri)
    files = ModelFiles(settings.ontology_dir, settings.shapes_dir, settings.data_dir)
    return Model(load_ontology(files, vocab), load_shapes(files, vocab), load_data(files, vocab))


def validate_model(model: Model) -> ValidationReport:
    """Validate the data graphs (merged) against the shapes under the ontology."""
    validator = ShaclValidator(to_rdflib(model.shapes), model.ontology)
    return validator.validate(model.data)


@contextmanager
def _stage(name: str, summary: BuildSummary, progress: Progress) -> Iterator[None]:
    progress(name, "start")
    started = time.perf_counter()
    try:
        yield
    finally:
        # Also on failure: the CLI's progress ticker stops with the stage.
        summary.seconds[name] = time.perf_counter() - started
        progress(name, "done")


def build(
    settings: Settings, progress: Progress | None = None, *, replay_journal: bool = True
) -> BuildSummary:
    """Build the store at ``settings.store_path`` from the model files, then replay the
    journal of clients' writes onto it (unless ``replay_journal`` is false: the new store
    then lacks them).

    :raises ShapeViolationError: the data breaks the shapes; nothing was written.
    :raises OntologyStatementError: a data file states the model (``service.gate._model_guard``).
    :raises UnsupportedOntologyError: the incremental reasoner cannot follow the ontology.
    """
    if settings.store_path is None and settings.store_url is None:
        raise ConfigError(
            "parley build needs a store directory (--store or PARLEY_STORE) or a remote "
            "store (--store-url)"
        )
    report = progress or (lambda _name, _event: None)
    vocab = Vocab(settings.base_iri)
    if settings.store_path is not None:
        refuse_store_in_use(settings.store_path, vocab)
    summary = BuildSummary()
    started = datetime.now(UTC)
    with _stage("read", summary, report):
        model = read_model(settings)
    with _stage("validate", summary, report):
        check_seed_data(model.data, model.ontology, vocab)
        result = validate_model(model)
    if not result.conforms:
        raise ShapeViolationError(
            f"the data in {settings.data_dir} breaks the shapes; the store was not changed",
            report=result,
        )
    with _stage("reason", summary, report):
        inferred = closure(model.data, model.ontology, vocab.inferred_graph)
    quads = [*model.ontology, *model.shapes, *model.data, *inferred]
    quads.extend(build_record(vocab, started, len(quads)))
    where = journal_dir(settings) if replay_journal else None
    journal = Journal(where) if where is not None and Journal(where).exists() else None

    def replay_onto(store: GraphStore) -> None:
        if journal is not None:
            with _stage("replay", summary, report):
                summary.replayed = replay(store, journal, vocab.base)

    with _stage("load", summary, report):
        if settings.store_url is not None:
            _load_remote(settings, vocab, quads, report, then=replay_onto)
        else:
            assert settings.store_path is not None
            _load_and_swap(settings.store_path, vocab, quads, then=replay_onto)
    if summary.replayed is not None:
        settle(summary.replayed)
    elif replay_journal and where is None:
        summary.unjournalled = (
            "No journal replayed: a remote store keeps one only where --journal (or "
            f"{ENV_NAMES['journal']}) names it; writes made through servers without one "
            "were replaced"
        )
    summary.inferred = len(inferred)
    summary.triples_per_graph = _per_graph(quads, vocab)
    summary.instances_per_class = _per_class(quads, vocab)
    return summary


def refuse_store_in_use(path: Path, vocab: Vocab) -> None:
    """Refuse a store a running server holds: swapped from under it, the server would go on
    writing to the old one (its writes would reach the new store only at the next build).

    :raises StoreInUseError: another process holds the store's lock.
    """
    if not path.exists():
        return
    try:
        OxigraphStore.open(path, vocab).close()
    except StoreError as error:
        if "lock" not in error.detail.lower():
            return  # a damaged store: a build is how it is replaced
        raise StoreInUseError(
            f"the store at {path} is in use by a running `parley serve`: stop it first (its "
            "writes are in the journal, and the build replays them)"
        ) from error


def build_record(vocab: Vocab, started: datetime, count: int) -> list[Quad]:
    """The first provenance record: this build."""
    record = NamedNode(f"{vocab.provenance_graph.value}#build-{started:%Y%m%dT%H%M%S%fZ}")
    graph = vocab.provenance_graph
    ended = datetime.now(UTC)
    return [
        Quad(record, RDF.type, vocab.parley.Build, graph),
        Quad(
            record, PROV.startedAtTime, Literal(started.isoformat(), datatype=XSD.dateTime), graph
        ),
        Quad(record, PROV.endedAtTime, Literal(ended.isoformat(), datatype=XSD.dateTime), graph),
        Quad(record, vocab.parley.addedCount, Literal(str(count), datatype=XSD.integer), graph),
    ]


def _load_and_swap(
    target: Path, vocab: Vocab, quads: list[Quad], *, then: Callable[[GraphStore], None]
) -> None:
    """Load into a fresh directory, call ``then`` on it (the replay), then move it into
    place (the old store survives a failure)."""
    target = target.resolve()
    fresh = target.with_name(target.name + ".building")
    old = target.with_name(target.name + ".old")
    for leftover in (fresh, old):
        shutil.rmtree(leftover, ignore_errors=True)
    target.parent.mkdir(parents=True, exist_ok=True)
    store = OxigraphStore.open(fresh, vocab)
    store.bulk_extend(quads)
    then(store)
    store.optimize()
    store.close()
    del store
    if target.exists():
        target.rename(old)
    fresh.rename(target)
    shutil.rmtree(old, ignore_errors=True)


def _load_remote(
    settings: Settings,
    vocab: Vocab,
    quads: list[Quad],
    report: Progress,
    *,
    then: Callable[[GraphStore], None],
) -> None:
    """Empty the remote store and load through the protocol, in batches, with progress;
    then call ``then`` on it (the replay)."""
    from service.store import RemoteStore

    store = RemoteStore.connect(settings, vocab)
    try:
        store.replace_all(
            quads, progress=lambda n: report(f"loaded {n} of {len(quads)} quads", "progress")
        )
        then(store)
    finally:
        store.close()


def _per_graph(quads: list[Quad], vocab: Vocab) -> dict[str, int]:
    counts = Counter(str(q.graph_name).strip("<>").removeprefix(vocab.base) for q in quads)
    return dict(sorted(counts.items()))


def _per_class(quads: list[Quad], vocab: Vocab) -> list[tuple[str, int]]:
    """Instances of each Parley class in the data and inferred graphs."""
    members: dict[str, set[str]] = {}
    for q in quads:
        in_data = vocab.is_reasoned_graph(q.graph_name) or q.graph_name == vocab.inferred_graph
        if q.predicate == RDF.type and in_data and vocab.parley.contains(q.object):
            assert isinstance(q.object, NamedNode)
            name = q.object.value.removeprefix(str(vocab.parley))
            members.setdefault(name, set()).add(str(q.subject))
    return sorted(((c, len(s)) for c, s in members.items()), key=lambda item: (-item[1], item[0]))
