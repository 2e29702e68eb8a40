"""Claims through the write gate: one from a form or a program, or many in one change.

``add_claim`` builds the claim under the writer's lock (its ``C<n>`` is the store's
largest plus one, so two writers must not both take it), checks its fields, and
submits it; the gate's refusal comes back as problems by field. ``add_claims``
imports many (a spreadsheet, ``parley ingest``), with an optional new source, in
**one** change: rows whose fields do not make a claim are left out first; then, while
the gate refuses, the rows its results are about (by focus node) are left out and
the rest are submitted again. What is written is one validated change, and every
row left out says why.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from typing import Any

from service.editing._claim_evidence import QuotedSource
from service.editing._claim_fields import ClaimFields
from service.editing._claim_results import FieldProblem, problems_from_results
from service.editing._claims import ClaimBuilder, ClaimDraft
from service.editing._editors import Writer
from service.editing._source_text import pasted_text
from service.editing._sources import NewSource, SourceDraft, plan_source
from service.errors import ShapeViolationError
from service.gate import ValidationReport, WriteGate, WriteOutcome
from service.rdf import DCTERMS, Literal, NamedNode, Quad
from service.store import ChangeSet


@dataclass
class ClaimOutcome:
    """What became of one claim: written (or, for a dry run, writable), or why not."""

    draft: ClaimDraft
    problems: list[FieldProblem]
    write: WriteOutcome | None = None

    @property
    def conforms(self) -> bool:
        return not self.problems

    def results(self) -> list[dict[str, Any]]:
        return [p.to_json(self.draft.iri.value) for p in self.problems]


def _today() -> date:
    return datetime.now(UTC).date()


def _submit(
    gate: WriteGate, quads: list[Quad], writer: Writer, operation: str, *, dry_run: bool
) -> WriteOutcome:
    return gate.submit(
        ChangeSet(insert=quads),
        agent=writer.iri,
        agent_name=writer.name,
        operation=operation,
        dry_run=dry_run,
    )


def _report(error: ShapeViolationError) -> list[Mapping[str, Any]]:
    report = error.extras.get("report")
    if isinstance(report, ValidationReport):
        return [r.to_json() for r in report.results]
    found = error.extras.get("results") or []
    return [r for r in found if isinstance(r, Mapping)]


def add_claim(
    gate: WriteGate, fields: ClaimFields, writer: Writer, *, dry_run: bool = False
) -> ClaimOutcome:
    """Build, check and submit one claim (``dry_run``: validate in context, write nothing).

    :raises ParleyError: what the gate raises besides a shape violation (a protected
        graph, a literal too large): the request, not its fields, is at fault.
    """
    # A dry run takes no identifier, so it builds without the lock (only the gate's check
    # waits for a write in progress).
    with gate.exclusive() if not dry_run else nullcontext():
        builder = ClaimBuilder(gate.store, writer=writer.iri, today=_today())
        draft = builder.build(fields, identify=not dry_run)
        if draft.problems:
            return ClaimOutcome(draft, draft.problems)
        try:
            write = _submit(gate, draft.quads, writer, "add claim", dry_run=dry_run)
        except ShapeViolationError as error:
            problems = problems_from_results(
                _report(error), draft.iri.value, draft.field_names, draft.new_actors
            )
            return ClaimOutcome(draft, problems)
    return ClaimOutcome(draft, [], write)


# -- many claims in one change ----------------------------------------------------------------


@dataclass
class RowOutcome:
    """One row of a batch: the claim it made, or why it was left out."""

    row: int
    draft: ClaimDraft | None = None
    problems: list[FieldProblem] = field(default_factory=list)

    @property
    def taken(self) -> bool:
        return self.draft is not None and not self.problems

    def to_json(self) -> dict[str, Any]:
        claim = self.draft.iri.value if self.draft is not None else None
        return {
            "row": self.row,
            "taken": self.taken,
            "iri": claim if self.taken else None,
            "identifier": self.draft.identifier if self.taken and self.draft else None,
            "results": [p.to_json(claim) for p in self.problems],
        }


@dataclass
class BatchOutcome:
    """What a batch wrote (or would write): the new source, each row, the write."""

    rows: list[RowOutcome]
    source: NewSource | None = None
    #: Problems with the new source itself (then nothing is written).
    source_problems: list[FieldProblem] = field(default_factory=list)
    write: WriteOutcome | None = None

    @property
    def taken(self) -> list[RowOutcome]:
        return [r for r in self.rows if r.taken]

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.source.iri.value if self.source is not None else None,
            "sourceResults": [p.to_json() for p in self.source_problems],
            "written": self.write is not None and self.write.committed,
            "record": self.write.record if self.write is not None else None,
            "taken": len(self.taken),
            "refused": len(self.rows) - len(self.taken),
            "rows": [r.to_json() for r in self.rows],
        }


@dataclass(frozen=True)
class NewSourceFields:
    """A source to create with the batch: its fields (``POST /sources``'s) and its text."""

    fields: Mapping[str, object]
    text: str


def _numbered(draft: ClaimDraft, identifier: str) -> ClaimDraft:
    """The draft with its identifier (drafts are checked before they take a number, so a
    refused row takes none)."""
    quads = [
        Quad(q.subject, q.predicate, Literal(identifier), q.graph_name)
        if q.subject == draft.iri and q.predicate == DCTERMS.identifier
        else q
        for q in draft.quads
    ]
    return replace(draft, identifier=identifier, quads=quads)


def _row_of(focus: str, rows: Sequence[RowOutcome]) -> RowOutcome | None:
    """The row whose claim a result is about: its claim, a node of its own, its new actor,
    else the first row whose quads mention the focus."""
    for r in rows:
        assert r.draft is not None
        claim = r.draft.iri.value
        if focus == claim or focus.startswith(claim + "#") or focus in r.draft.new_actors:
            return r
    node = NamedNode(focus) if focus and not focus.startswith("_:") else None
    for r in rows:
        assert r.draft is not None
        if node is not None and any(node in (q.subject, q.object) for q in r.draft.quads):
            return r
    return None


def add_claims(
    gate: WriteGate,
    claims: Iterable[tuple[int, ClaimFields]],
    writer: Writer,
    *,
    new_source: NewSourceFields | None = None,
    max_text_bytes: int = 1 << 20,
    dry_run: bool = False,
) -> BatchOutcome:
    """Import claims (each with its row number) in one change, leaving refused rows out.

    A claim with no ``source`` quotes the new source. Nothing is written when the new
    source is refused or no row is left.
    """
    with gate.exclusive():
        store = gate.store
        pending: list[QuotedSource] = []
        source = None
        if new_source is not None:
            source, errors = plan_source(
                store,
                SourceDraft.from_fields(new_source.fields),
                pasted_text(new_source.text),
                max_text_bytes=max_text_bytes,
            )
            if source is None:
                problems = [FieldProblem(e.field, e.message) for e in errors]
                return BatchOutcome([], None, problems)
            pending.append(QuotedSource(source.iri, source.graph, source.text))
        builder = ClaimBuilder(store, writer=writer.iri, today=_today(), pending_sources=pending)
        rows = []
        for number, fields in claims:
            if not fields.source and source is not None:
                fields.source = source.iri.value
            built = builder.build(fields, identify=False)
            rows.append(RowOutcome(number, built, list(built.problems)))
        outcome = BatchOutcome(rows, source)
        source_quads = source.quads if source is not None else []
        first = int(builder.next_identifier()[1:])  # the taken rows are numbered from it
        while outcome.taken:
            taken = outcome.taken
            for n, r in enumerate(taken):
                assert r.draft is not None
                r.draft = _numbered(r.draft, f"C{first + n:02d}")
            quads = [*source_quads, *(q for r in taken if r.draft for q in r.draft.quads)]
            try:
                outcome.write = _submit(gate, quads, writer, "import claims", dry_run=dry_run)
                break
            except ShapeViolationError as error:
                if not _blame(_report(error), taken, source, outcome):
                    break
    return outcome


def _blame(
    results: list[Mapping[str, Any]],
    taken: list[RowOutcome],
    source: NewSource | None,
    outcome: BatchOutcome,
) -> bool:
    """Give the results to their rows and leave those rows out; ``False`` (stop: nothing
    can be written) when a result is about no row (the new source itself, or something
    the change only touches).

    A result between two rows of the batch (two claims of one claimant on both sides of a
    proposition) names the other row's claim: when one of the two is wrong on its own,
    only that one is left out, and the other is checked again without it.
    """
    found: dict[int, list[FieldProblem]] = {}
    between: dict[int, bool] = {}
    claims = [r.draft.iri.value for r in taken if r.draft is not None]
    for result in results:
        focus = str(result.get("focusNode") or "").strip("<>")
        row = _row_of(focus, taken)
        if row is None:  # about a node of the store: blame the row whose claim it names
            said = f"{result.get('message') or ''} {result.get('value') or ''}"
            row = next((r for r in taken if r.draft and f"<{r.draft.iri.value}>" in said), None)
            if row is not None:
                between[row.row] = False
        if row is None or row.draft is None:
            problem = problems_from_results([result], "", ())[0]
            on_source = source is not None and focus.startswith(source.iri.value)
            outcome.source_problems.append(replace(problem, field="source" if on_source else None))
            continue
        problem = problems_from_results(
            [result], row.draft.iri.value, row.draft.field_names, row.draft.new_actors
        )[0]
        kept = found.setdefault(row.row, [])
        if all((p.field, p.message) != (problem.field, problem.message) for p in kept):
            kept.append(problem)
        others = [c for c in claims if c != row.draft.iri.value and f"<{c}>" in problem.message]
        between[row.row] = between.get(row.row, True) and bool(others)
    if outcome.source_problems or not found:
        for r in taken:  # nothing is written: say so on every row still waiting
            r.problems.append(
                FieldProblem(None, "Not written: the change was refused as a whole (see above).")
            )
        return False
    alone = {n for n in found if not between[n]}
    for r in taken:
        if r.row in found and (r.row in alone or not alone):
            r.problems += found[r.row]
    return True
