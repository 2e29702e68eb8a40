"""Replaying the journal through the gate onto a store ``parley build`` has just made.

Each journalled write is submitted again, in order, so it is validated and reasoned
over on the new data exactly as a client's write would be. It keeps its original
provenance: the same record IRI, agent (and its name), operation and times (``Stamp``), so the
rebuilt store's ``graph/provenance`` says what the old one said and a second build
records nothing twice (the store is new each time; sets of quads hold nothing twice).
The gate used here has no recorder: the journal already holds these writes.

A write made under another base IRI has every IRI under that base moved to the new
one (terms, graphs, its record, its agent). A write that no longer passes (the data
or shapes changed under it) is not lost: it is written to
``<journal>/rejected-<time>.trig`` with the reason, and taken out of the journal once
the new store is in place (``settle``); the others go on.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from service.build._journal import Entry, Journal
from service.errors import ParleyError
from service.gate import ValidationReport, WriteGate
from service.rdf import BY_NAME, NQUADS, Literal, NamedNode, Quad, Triple, serialize
from service.store import GraphStore


@dataclass
class Rejected:
    """A journalled write the new store refused, and why."""

    entry: Entry
    line: bytes
    reason: str


@dataclass
class Replayed:
    """What a replay did."""

    journal: Path
    #: Writes committed again.
    committed: int = 0
    #: Writes that changed nothing on the new store (the data holds them already).
    unchanged: int = 0
    #: Writes moved from another base IRI to this one.
    rebased: int = 0
    rejected: list[Rejected] = field(default_factory=list)
    #: Where the rejected writes were set aside (``settle``).
    rejected_file: Path | None = None
    #: A last entry cut short by a crash (never acknowledged): ignored.
    torn_tail: bool = False

    def text(self) -> str:
        total = self.committed + self.unchanged + len(self.rejected)
        lines = [
            f"Journal {self.journal}: {total} write(s) replayed: {self.committed} committed, "
            f"{self.unchanged} already in the data, {len(self.rejected)} rejected"
            + (f" ({self.rebased} moved to the new base IRI)" if self.rebased else "")
        ]
        if self.torn_tail:
            lines.append("  a last entry cut short by a crash (never acknowledged) was ignored")
        if self.rejected:
            where = self.rejected_file or "(not written)"
            lines.append(f"  rejected writes, with the reasons, are kept in {where}")
        return "\n".join(lines)


def replay(store: GraphStore, journal: Journal, base: str) -> Replayed:
    """Submit every journalled write to a gate on ``store`` (built for ``base``)."""
    done = Replayed(journal.path)
    read = journal.read()
    done.torn_tail = read.torn_tail
    if not read.entries:
        return done
    gate = WriteGate(store)
    for entry, line in zip(read.entries, read.lines, strict=True):
        moved = rebase(entry, base)
        done.rebased += moved is not entry
        try:
            # The journal holds only writes the gate accepted: graph/history among them.
            outcome = gate.submit(
                moved.changes,
                agent=moved.agent,
                operation=moved.operation,
                stamp=moved.stamp,
                history=True,
                agent_name=moved.agent_name,
            )
        except ParleyError as error:
            if error.status >= 500:
                raise  # the store failed: the build fails, the old store stays
            done.rejected.append(Rejected(moved, line, _reason(error)))
            continue
        if outcome.committed:
            done.committed += 1
        else:
            done.unchanged += 1
    return done


def settle(done: Replayed) -> None:
    """Once the new store is in place: write the rejected writes aside, then take them
    out of the journal (in that order: a crash between the two keeps them in both)."""
    if not done.rejected:
        return
    journal = Journal(done.journal)
    when = datetime.now(UTC)
    target = journal.path / f"rejected-{when:%Y%m%dT%H%M%S%fZ}.trig"
    target.write_bytes(rejected_trig(done.rejected, when))
    done.rejected_file = target
    journal.remove({r.line for r in done.rejected})


def rejected_trig(rejected: list[Rejected], when: datetime) -> bytes:
    """The rejected writes as TriG a person can read, fix and ``parley load``: each one's
    provenance and reason in comments, its deletions as commented N-Quads, its
    insertions as TriG (under the new base IRI)."""
    out = [f"# Writes the journal replay of {when.isoformat()} could not apply.\n"]
    for r in rejected:
        e = r.entry
        out.append(
            f"\n# --- write {e.stamp.record or '(no record)'} by {e.agent} ({e.operation}), "
            f"started {e.stamp.started.isoformat()}\n"
        )
        out += [f"# refused: {line}\n" for line in r.reason.splitlines()]
        if e.create_graphs or e.drop_graphs:
            made = " ".join(g.value for g in e.create_graphs) or "-"
            dropped = " ".join(g.value for g in e.drop_graphs) or "-"
            out.append(f"# graphs created: {made}; dropped: {dropped}\n")
        if e.delete:
            out.append("# deleted (N-Quads):\n")
            deleted = serialize(e.delete, NQUADS).decode()
            out += [f"# {line}\n" for line in deleted.splitlines()]
        if e.insert:
            out.append("# inserted:\n")
            out.append(serialize(e.insert, BY_NAME["trig"]).decode())
    return "".join(out).encode()


def _reason(error: ParleyError) -> str:
    report = error.extras.get("report")
    if isinstance(report, ValidationReport):
        return f"{error.detail}\n{report.text()}"
    return error.detail


# -- moving a write to another base IRI -------------------------------------------------


def rebase(entry: Entry, base: str) -> Entry:
    """The entry with every IRI under its base moved under ``base`` (itself when equal)."""
    old = entry.base
    if old == base:
        return entry

    def iri(value: str) -> str:
        return base + value[len(old) :] if value.startswith(old) else value

    def node(n: NamedNode) -> NamedNode:
        return NamedNode(iri(n.value))

    def term(t: Any) -> Any:  # a quad's subject or object: the same kind comes back
        if isinstance(t, NamedNode):
            return node(t)
        if isinstance(t, Literal) and t.language is None:
            return Literal(t.value, datatype=node(t.datatype))
        if isinstance(t, Triple):  # an RDF 1.2 triple term (never in Parley's graphs)
            return Triple(term(t.subject), node(t.predicate), term(t.object))
        return t  # a blank node, a language-tagged string

    def quad(q: Quad) -> Quad:
        graph = node(q.graph_name) if isinstance(q.graph_name, NamedNode) else q.graph_name
        return Quad(term(q.subject), node(q.predicate), term(q.object), graph)

    stamp = replace(entry.stamp, record=iri(entry.stamp.record) if entry.stamp.record else None)
    return Entry(
        base=base,
        agent=iri(entry.agent),
        operation=entry.operation,
        stamp=stamp,
        delete=[quad(q) for q in entry.delete],
        insert=[quad(q) for q in entry.insert],
        create_graphs=[node(g) for g in entry.create_graphs],
        drop_graphs=[node(g) for g in entry.drop_graphs],
        agent_name=entry.agent_name,
    )
