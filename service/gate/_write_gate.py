"""The write gate: every write is validated in context and committed with its consequences.

``WriteGate.submit`` is the one door every write goes through. For each ``ChangeSet``,
one at a time (a re-entrant lock; ``exclusive()`` lets a write path compute
its change from the store's state under the same lock):

1. **Refuse what no data write may do**: write a build-only graph (ontology,
   shapes, inferred, provenance: ``ProtectedGraphError``, 403), or state the
   model in a data graph: TBox axioms, statements about the ontology's own
   terms or the RDF/RDFS/OWL/XSD vocabularies, or an ontology term as the value
   of an individual-valued property, which would entail one
   (``OntologyStatementError``, 403).
2. **Prepare**: blank nodes in Parley's graphs become skolem IRIs; dropped data
   graphs become deletions of their quads; literals are put in the store's
   canonical form (the client's form is kept for validation); only what
   actually changes the store counts (effective deletions and insertions).
3. **Reason**: the change to ``graph/inferred`` (``service.reasoning._inferred``).
4. **Validate** the state after the change where it can matter
   (``service.gate._in_context``); on a violation raise ``ShapeViolationError`` (422)
   with the report. Nothing has been written.

   Reasoning and validation cost what the client's data makes them cost (the
   inferences of a chain of a transitive property grow with the cube of its
   length). An ordinary write costs a few hundred steps and is checked here;
   one that would take more than ``INLINE_STEPS`` steps or hand pyshacl more
   than ``INLINE_TRIPLES`` triples is checked again by ``offload`` (set by
   ``guard_writes``: in a guard worker, on a snapshot of the store taken under
   the lock, killed at the time limit with a 503 and nothing written).
5. **Commit** one ``ChangeSet``: the asserted change, the inferred delta and a
   provenance record (``service.gate._provenance``), atomically; then call the
   recorders (the journal, which must hold the write durably before the client
   hears of it) with the asserted change and its provenance, and the listeners
   with the asserted change (what it deleted and inserted, blank nodes
   skolemised).

Graphs outside Parley's (a client's own, the store's default graph) are
neither validated nor reasoned over, and a write that touches only them
leaves no provenance record.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from service.errors import GraphNameError, PayloadTooLargeError, ProtectedGraphError, StoreError
from service.gate._in_context import InContextValidator
from service.gate._model_guard import ModelGuard
from service.gate._provenance import Stamp, write_record
from service.gate._validation import ValidationReport, conforming_report
from service.gate._writes import SerialWriter, WriteOutcome
from service.rdf import Literal, NamedNode, Quad, Triple, skolemize
from service.reasoning import Budget, OverBudget, Reasoner, Rules, compile_rules, infer_change
from service.settings import Settings
from service.store import ChangeSet, GraphStore, canonical_quads, has_blank_node

#: The steps of reasoning (consequences looked at) the web process spends on a write before
#: it hands the check to a guard worker. A 21-triple claim costs about 300; 50,000 take
#: about a quarter of a second.
INLINE_STEPS = 50_000
#: The most triples the web process hands pyshacl for a write (2,000: about half a second).
INLINE_TRIPLES = 2_000


class Stopwatch:
    """Milliseconds between laps, by lap name."""

    def __init__(self) -> None:
        self.laps: dict[str, float] = {}
        self._last = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.laps[name] = round((now - self._last) * 1000, 2)
        self._last = now


@dataclass(frozen=True)
class Prepared:
    """A change as the gate commits it."""

    #: Effective asserted deletions and insertions (canonical literals).
    delete: list[Quad]
    insert: list[Quad]
    #: The inserted quads as the client sent them (same order as ``insert``).
    sent: list[Quad]
    create_graphs: list[NamedNode]
    drop_graphs: list[NamedNode]


#: A change checked: the report, and the change to ``graph/inferred`` (deleted, inserted).
Checked = tuple[ValidationReport, list[Quad], list[Quad]]


@dataclass(frozen=True)
class Accepted:
    """A committed write as the journal keeps it: the asserted change (blank nodes
    skolemised, effective deletions and insertions) and its provenance."""

    changes: ChangeSet
    agent: str
    operation: str
    stamp: Stamp
    #: The agent's person-readable name (an editor's), when the writer gave one.
    agent_name: str | None = None


#: Called under the write lock with each committed write, before ``submit`` returns.
Recorder = Callable[[Accepted], None]


@dataclass(frozen=True)
class GateModel:
    """The model a gate enforces, compiled: rules for the reasoner, plans for validation."""

    rules: Rules
    reasoner: Reasoner
    validator: InContextValidator
    guard: ModelGuard

    @classmethod
    def from_store(cls, store: GraphStore) -> GateModel:
        """Compile the ontology and shapes graphs a store was built with.

        :raises UnsupportedOntologyError: the ontology uses a construct the reasoner lacks.
        :raises UnsupportedShapeError: a shape reads the data in a way the gate cannot follow.
        """
        vocab = store.vocab
        ontology = list(store.quads(None, None, None, vocab.ontology_graph))
        shapes = list(store.quads(None, None, None, vocab.shapes_graph))
        rules = compile_rules(ontology)
        validator = InContextValidator(shapes, ontology, vocab)
        return cls(rules, Reasoner(rules), validator, ModelGuard(rules, vocab, ontology))


class WriteGate(SerialWriter):
    """Validates every change in context and commits it with its inferences and provenance."""

    def __init__(
        self,
        store: GraphStore,
        model: GateModel | None = None,
        *,
        max_literal_bytes: int = Settings.max_literal_bytes,
    ) -> None:
        super().__init__(store)
        self.vocab = store.vocab
        #: Bytes of one inserted literal at most (``--max-literal-bytes``).
        self.max_literal_bytes = max_literal_bytes
        model = model or GateModel.from_store(store)
        self.rules = model.rules
        self.reasoner = model.reasoner
        self.validator = model.validator
        self.guard = model.guard
        #: Checks a change too costly to check here where its time is limited (called under
        #: the write lock); ``None``: everything is checked here.
        self.offload: Callable[[Prepared], Checked] | None = None
        #: Hear every committed write with its provenance (the journal: ``service.build``).
        self.recorders: list[Recorder] = []
        #: When and why the last write failed to be committed or journalled (``None`` once
        #: one succeeds again): ``/health`` reports it.
        self.write_failure: str | None = None

    # -- the write path ----------------------------------------------------------

    def submit(
        self,
        changes: ChangeSet,
        *,
        agent: str,
        operation: str,
        dry_run: bool = False,
        stamp: Stamp | None = None,
        history: bool = False,
        agent_name: str | None = None,
    ) -> WriteOutcome:
        """Validate and commit ``changes``, or raise.

        :param stamp: the times and record IRI of a write replayed from the journal.
        :param agent_name: the agent's name (an editor's), stated in the provenance record.
        :param history: the change may write ``graph/history`` (the editing core's versions
            and retractions, and their replay from the journal; never a client's own change).
        :raises ProtectedGraphError: the change writes a build-only graph (or a look-alike),
            or ``graph/history`` without ``history``.
        :raises GraphNameError: it writes a graph under the base that is not one of Parley's.
        :raises OntologyStatementError: the change states the model in a data graph.
        :raises ShapeViolationError: the store would break the shapes; nothing was written.
        """
        started = stamp.started if stamp is not None else datetime.now(UTC)
        self._check_written_graphs(changes)
        clock = Stopwatch()
        with self.exclusive(), self.store.reads():
            clock.lap("wait")
            prepared = self.prepare(changes, history=history)
            clock.lap("prepare")
            report, inferred_delete, inferred_insert = self._checked(prepared, clock)
            report.raise_if_violated(
                "the change breaks the shapes; nothing was written"
                if not dry_run
                else "the change would break the shapes"
            )
            asserted = ChangeSet(
                delete=prepared.delete,
                insert=prepared.insert,
                create_graphs=prepared.create_graphs,
                drop_graphs=prepared.drop_graphs,
            )
            outcome = WriteOutcome(
                added=len(prepared.insert),
                removed=len(prepared.delete),
                committed=False,
                inferred_added=len(inferred_insert),
                inferred_removed=len(inferred_delete),
                changes=asserted,
                timings=clock.laps,
            )
            if dry_run or not asserted:
                return outcome
            ended = stamp.ended if stamp is not None else datetime.now(UTC)
            when = Stamp(started, ended, stamp.record if stamp is not None else None)
            record, record_quads = self._record(
                prepared, agent, operation, when, outcome, agent_name
            )
            committed = ChangeSet(
                delete=[*prepared.delete, *inferred_delete],
                insert=[*prepared.insert, *inferred_insert, *record_quads],
                create_graphs=prepared.create_graphs,
                drop_graphs=prepared.drop_graphs,
            )
            when = dataclasses.replace(when, record=record.value if record is not None else None)
            try:
                self.store.commit(committed)
                clock.lap("commit")
                for recorder in self.recorders:
                    recorder(Accepted(asserted, agent, operation, when, agent_name))
            except StoreError as error:  # the disk (full, failing): /health says so
                self.write_failure = f"{datetime.now(UTC):%Y-%m-%dT%H:%M:%SZ} {error.detail}"
                raise
            self.write_failure = None
            # Listeners (the search index) hear the asserted change, as committed: what
            # they index they read back from the store, inferences included.
            self.notify(asserted)
            clock.lap("listeners")
        return dataclasses.replace(
            outcome, committed=True, record=record.value if record is not None else None
        )

    def validate(self, changes: ChangeSet) -> ValidationReport:
        """The report ``submit`` would act on, without writing (``POST /validate``).

        It does not take the write lock: a large validation (seconds for 10k triples)
        must not hold writers up. A write that lands meanwhile may or may not be seen.
        """
        with self.store.reads():
            report, _delete, _insert = self.check(self.prepare(changes))
        return report

    def _checked(self, prepared: Prepared, clock: Stopwatch) -> Checked:
        """``check``, here within the inline budget, else by ``offload``."""
        if self.offload is None:
            return self.check(prepared, clock)
        try:
            return self.check(prepared, clock, inline=True)
        except OverBudget:
            clock.lap("inline")
        checked = self.offload(prepared)
        clock.lap("guarded")
        return checked

    def check(
        self, prepared: Prepared, clock: Stopwatch | None = None, *, inline: bool = False
    ) -> Checked:
        """Reason and validate; the report and the change to ``graph/inferred``.

        :param inline: stop at the inline budget (``INLINE_STEPS``, ``INLINE_TRIPLES``).
        :raises OverBudget: ``inline``, and the budget was reached.
        """
        reasoned = self.vocab.is_reasoned_graph
        # graph/history is neither reasoned over nor validated; what a change moves there
        # keeps its types, so that links to a withdrawn claim stay valid (``_in_context``).
        history = [q for q in prepared.insert if self.vocab.is_editing_only_graph(q.graph_name)]
        delete = [q for q in prepared.delete if reasoned(q.graph_name)]
        pairs = [(q, s) for q, s in zip(prepared.insert, prepared.sent, strict=True)]
        pairs = [(q, s) for q, s in pairs if reasoned(q.graph_name)]
        insert = [q for q, _s in pairs]
        if not delete and not insert:
            return conforming_report(), [], []
        literal_values = self.guard.individual_values(s for _q, s in pairs)
        if literal_values is not None:
            return literal_values, [], []
        clock = clock or Stopwatch()
        budget = Budget(INLINE_STEPS if inline else None)
        change = infer_change(self.reasoner, self.store, self.vocab, delete, insert, budget)
        clock.lap("reason")
        report = self.validator.validate(
            self.store,
            change.closure,
            sent=[s for _q, s in pairs],
            stored=insert,
            max_triples=INLINE_TRIPLES if inline else None,
            history=history,
        )
        clock.lap("validate")
        return report, change.delete, change.insert

    def _record(
        self,
        prepared: Prepared,
        agent: str,
        operation: str,
        when: Stamp,
        outcome: WriteOutcome,
        agent_name: str | None = None,
    ) -> tuple[NamedNode | None, list[Quad]]:
        parley_graph = self.vocab.is_parley_graph
        added = [q for q in prepared.insert if parley_graph(q.graph_name)]
        removed = [q for q in prepared.delete if parley_graph(q.graph_name)]
        touched = [*prepared.create_graphs, *prepared.drop_graphs]
        if not added and not removed and not any(parley_graph(g) for g in touched):
            return None, []
        return write_record(
            self.vocab,
            agent=agent,
            operation=operation,
            started=when.started,
            ended=when.ended,
            added=added,
            removed=removed,
            inferred=outcome.inferred_added + outcome.inferred_removed,
            iri=when.record,
            agent_name=agent_name,
        )

    # -- preparing a change ------------------------------------------------------------

    def prepare(self, changes: ChangeSet, *, history: bool = False) -> Prepared:
        """Check the change, skolemise it, expand its drops, and keep what it changes.

        ``history``: the change may write ``graph/history`` (see ``submit``).

        The store applies a change as: drop graphs, delete, insert. What changes
        is what the store holds and loses (dropped or deleted, not re-inserted),
        and what it lacks and gains. A dropped graph the change puts quads back
        into is emptied quad by quad instead, so the quads it keeps stay.
        """
        vocab = self.vocab
        for graph in [*changes.create_graphs, *changes.drop_graphs]:
            self._check_graph(graph, history=history)
        for quad in [*changes.delete, *changes.insert]:
            self._check_graph(quad.graph_name, history=history)
        self._check_literal_sizes(changes.insert)
        sent = skolemize(changes.insert, vocab)
        for quad in sent:
            if vocab.is_reasoned_graph(quad.graph_name):
                self.guard.check_statement(quad)
        stored = canonical_quads(sent)
        inserted = set(stored)
        delete = [q for q in canonical_quads(list(changes.delete)) if self._holds(q)]
        for graph in changes.drop_graphs:
            delete.extend(self.store.quads(None, None, None, graph))
        delete = [q for q in dict.fromkeys(delete) if q not in inserted]
        pairs: dict[Quad, Quad] = {}
        for canonical, original in zip(stored, sent, strict=True):
            # A client's blank node is a new node: never one the store holds already.
            fresh = has_blank_node(canonical) or not self._holds(canonical)
            if canonical not in pairs and fresh:
                pairs[canonical] = original
        refilled = {q.graph_name for q in stored}
        return Prepared(
            delete=delete,
            insert=list(pairs),
            sent=list(pairs.values()),
            create_graphs=list(changes.create_graphs),
            drop_graphs=[g for g in changes.drop_graphs if g not in refilled],
        )

    def _check_literal_sizes(self, insert: list[Quad]) -> None:
        """Refuse a literal longer than ``max_literal_bytes`` (413), naming where it is: a
        page shows it whole, and the provenance keeps it after the statement is deleted."""
        limit = self.max_literal_bytes
        for quad in insert:
            value = quad.object.value if isinstance(quad.object, Literal) else ""
            # A character is 4 bytes at most: most literals are passed on their length alone.
            if len(value) * 4 > limit and len(value.encode("utf-8")) > limit:
                raise PayloadTooLargeError(
                    f"the literal of {quad.subject} {quad.predicate} has "
                    f"{len(value.encode('utf-8'))} bytes; this server takes at most {limit} "
                    "(--max-literal-bytes); nothing was written",
                    subject=str(quad.subject),
                    predicate=quad.predicate.value,
                    maxLiteralBytes=limit,
                )

    def _holds(self, quad: Quad) -> bool:
        """Whether the store holds the quad."""
        s, o = quad.subject, quad.object
        if isinstance(s, Triple) or isinstance(o, Triple):
            return False  # RDF 1.2 triple terms are never in Parley's graphs
        return next(self.store.quads(s, quad.predicate, o, quad.graph_name), None) is not None

    def _check_written_graphs(self, changes: ChangeSet) -> None:
        """Refuse a write into a graph under the base that is not one of Parley's
        (``Vocab.may_write``): a mistyped or relative name would skip validation, a look-alike
        of a build-only graph (``graph/inferred/``) would join the default graph. Deleting
        from such a graph (one written before this check) is allowed: it only cleans up."""
        targets = [*changes.create_graphs, *(q.graph_name for q in changes.insert)]
        for graph in dict.fromkeys(targets):
            if self.vocab.may_write(graph) or self.vocab.is_protected_graph(graph):
                continue  # a build-only graph or graph/history: ``_check_graph`` says why
            assert isinstance(graph, NamedNode)  # the default graph is always writable
            nearest = self.vocab.nearest_graph(graph, self.store.named_graphs())
            if nearest is not None and self.vocab.is_protected_graph(nearest):
                raise ProtectedGraphError(
                    f"{graph.value} looks like {nearest.value}, which clients do not write. "
                    "Write to a data graph (graph/reference, graph/claims/<source>, "
                    "graph/editorial).",
                    graph=graph.value,
                )
            hint = f" (did you mean <{nearest.value}>?)" if nearest is not None else ""
            base = self.vocab.base
            raise GraphNameError(
                f"<{graph.value}> is under this server's base IRI but is not one of Parley's "
                f"graphs{hint}. Under <{base}> write to a data graph, which the gate validates "
                f"(<{base}graph/reference>, <{base}graph/editorial>, "
                f"<{base}graph/claims/SOURCE>), or to a graph of your own under <{base}store/>; "
                "a graph outside the base IRI is yours and is written as sent.",
                graph=graph.value,
                **({"suggestion": nearest.value} if nearest is not None else {}),
            )

    def _check_graph(self, graph: object, *, history: bool = False) -> None:
        if self.vocab.is_editing_only_graph(graph) and not history:
            assert isinstance(graph, NamedNode)
            raise ProtectedGraphError(
                f"{graph.value} is not written by clients: it keeps the earlier versions of "
                "claims and the withdrawn ones, and only an edit or a retraction writes it "
                "(POST /claims/<slug>/versions, POST /claims/<slug>/retraction). Write to a "
                "data graph (graph/reference, graph/claims/<source>, graph/editorial).",
                graph=graph.value,
            )
        if self.vocab.is_build_only_graph(graph):
            assert isinstance(graph, NamedNode)
            kept = graph in (self.vocab.inferred_graph, self.vocab.provenance_graph)
            why = (
                "Parley keeps it (inferences follow from the data: change the statements "
                "they follow from; an update that matches GRAPH ?g also matches it, so name "
                "the data graph)"
                if kept
                else "the model changes only by `parley build`"
            )
            raise ProtectedGraphError(
                f"{graph.value} is not written by clients: {why}. Write to a data graph "
                "(graph/reference, graph/claims/<source>, graph/editorial).",
                graph=graph.value,
            )
