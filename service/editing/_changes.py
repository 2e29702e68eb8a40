"""The feed of accepted writes: one entry per ``parley:WriteRecord`` of ``graph/provenance``.

Read with SPARQL through the store interface, so the embedded and the remote store
serve the same feed. An entry says who wrote (the editor's name, ``rdfs:label`` of the
agent in ``graph/provenance``, else the local name of its IRI), when, what (the
operation, the graphs, the counts, the main subjects added and removed) and links to
the write record.

**Order and resuming.** Entries are in one total order, oldest first: by
``prov:endedAtTime``, then by the record's IRI (two writes that end in the same
microsecond still have an order). An entry's id is its record's IRI; ``after`` a
given id means every entry later in that order, so a reader that resumes after the
last entry it read gets each entry once, whatever was written while it paged. The
write gate stamps ``endedAtTime`` under its write lock, after the previous write
committed, and commits under the same lock: a write becomes readable only after every
write that sorts before it, so no entry can appear behind a cursor already handed out
(on a store shared by replicas, their lease plays the lock's part, and their clocks
must agree to within one write's time).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from service.errors import BadRequestError
from service.pages import Labels, operation_of, readable_time
from service.rdf import Literal, NamedNode, Vocab
from service.store import GraphStore, Row

#: Entries of a page when the client names no limit, and at most.
DEFAULT_LIMIT = 50
MAX_LIMIT = 500
#: Main subjects listed for each side (added, removed) of an entry.
TOP_SUBJECTS = 5


@dataclass(frozen=True)
class Named:
    """An IRI as a reader sees it: its label, and where it links (a path under the base)."""

    iri: str
    label: str
    href: str | None

    def to_json(self) -> dict[str, Any]:
        return {"iri": self.iri, "label": self.label, "href": self.href}


@dataclass(frozen=True)
class Subjects:
    """The main subjects one side of a write touched: the most touched first (a
    dependent node such as ``id/claim/x#evidence-1`` counts for ``id/claim/x``)."""

    top: tuple[Named, ...] = ()
    #: Main subjects in all (``top`` holds at most ``TOP_SUBJECTS``).
    total: int = 0

    def to_json(self) -> dict[str, Any]:
        return {"total": self.total, "top": [s.to_json() for s in self.top]}


@dataclass(frozen=True)
class ChangeEntry:
    """One accepted write."""

    #: The record's IRI: the entry's id (``since=``, ``Last-Event-ID``, Atom ``<id>``).
    id: str
    record: Named
    editor: Named
    operation: str
    started: str
    ended: str
    graphs: tuple[Named, ...]
    added: int
    removed: int
    inferred: int
    subjects_added: Subjects = field(default_factory=Subjects)
    subjects_removed: Subjects = field(default_factory=Subjects)

    @property
    def when(self) -> str:
        """The end time, to the second, in UTC: what a person reads."""
        return readable_time(self.ended)

    @property
    def title(self) -> str:
        """One line: who did what ("Ana Editor: add claim")."""
        return f"{self.editor.label}: {self.operation}"

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "record": self.record.to_json(),
            "editor": self.editor.to_json(),
            "operation": self.operation,
            "started": self.started,
            "ended": self.ended,
            "graphs": [g.to_json() for g in self.graphs],
            "added": self.added,
            "removed": self.removed,
            "inferred": self.inferred,
            "subjectsAdded": self.subjects_added.to_json(),
            "subjectsRemoved": self.subjects_removed.to_json(),
        }


@dataclass(frozen=True)
class ChangePage:
    """A page of entries (oldest first for ``changes_after``, newest first for
    ``changes_before``)."""

    entries: list[ChangeEntry]
    #: More entries lay beyond this page when it was read.
    more: bool


@dataclass(frozen=True)
class Cursor:
    """A place in the feed's order: just at the entry ``record`` ended at ``ended``."""

    ended: Literal
    record: str

    @classmethod
    def of(cls, entry: ChangeEntry) -> Cursor:
        return cls(Literal(entry.ended, datatype=_DATETIME), entry.id)


_DATETIME = NamedNode("http://www.w3.org/2001/XMLSchema#dateTime")


def limit_of(raw: str | None) -> int:
    """``limit=`` of a request: ``DEFAULT_LIMIT`` when absent; 400 outside 1..``MAX_LIMIT``."""
    if raw is None or raw == "":
        return DEFAULT_LIMIT
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_LIMIT:
        raise BadRequestError(f"limit must be a whole number from 1 to {MAX_LIMIT}, not {raw!r}")
    return int(raw)


def cursor_at(store: GraphStore, entry_id: str) -> Cursor:
    """The place of the entry ``entry_id`` (a record IRI).

    :raises BadRequestError: no write record has that IRI.
    """
    refusal = BadRequestError(f"{entry_id!r} is not the id of a change (a write record's IRI)")
    try:
        record = NamedNode(entry_id)  # refuses what no IRI holds: '<', '>', spaces, ...
    except ValueError:
        raise refusal from None
    if not entry_id.startswith(("http://", "https://")):
        raise refusal
    rows = store.select(
        "SELECT ?ended WHERE { GRAPH graph:provenance { "
        f"{record} a parley:WriteRecord ; prov:endedAtTime ?ended }} }} "
        "ORDER BY ?ended LIMIT 1"
    )
    ended = rows[0].get("ended") if rows else None
    if not isinstance(ended, Literal):
        raise refusal
    return Cursor(ended, entry_id)


def latest_cursor(store: GraphStore) -> Cursor | None:
    """The place of the newest entry (``None``: no write yet)."""
    rows = _ordered(store, None, descending=True, limit=1)
    return _cursor_of(rows[0]) if rows else None


def changes_after(
    store: GraphStore, vocab: Vocab, after: Cursor | None, limit: int = DEFAULT_LIMIT
) -> ChangePage:
    """Up to ``limit`` entries after ``after`` (from the first when ``None``), oldest first."""
    rows = _ordered(store, after, descending=False, limit=limit + 1)
    return ChangePage(_entries(store, vocab, rows[:limit]), more=len(rows) > limit)


def changes_before(
    store: GraphStore, vocab: Vocab, before: Cursor | None, limit: int = DEFAULT_LIMIT
) -> ChangePage:
    """Up to ``limit`` entries before ``before`` (from the newest when ``None``), newest
    first: the page for a person, which goes back in time."""
    rows = _ordered(store, before, descending=True, limit=limit + 1)
    return ChangePage(_entries(store, vocab, rows[:limit]), more=len(rows) > limit)


def _ordered(
    store: GraphStore, cursor: Cursor | None, *, descending: bool, limit: int
) -> list[Row]:
    """Record IRIs and end times in the feed's order from ``cursor`` (excluded)."""
    where = ""
    if cursor is not None:
        op = "<" if descending else ">"
        record = _string(cursor.record)
        where = (
            f"FILTER(?ended {op} {cursor.ended} || "
            f"(?ended = {cursor.ended} && STR(?r) {op} {record})) "
        )
    order = "DESC(?ended) DESC(STR(?r))" if descending else "?ended STR(?r)"
    return store.select(
        "SELECT ?r ?ended WHERE { GRAPH graph:provenance { "
        f"?r a parley:WriteRecord ; prov:endedAtTime ?ended {where}}} }} "
        f"ORDER BY {order} LIMIT {limit}"
    )


def _cursor_of(row: Row) -> Cursor | None:
    r, ended = row.get("r"), row.get("ended")
    if isinstance(r, NamedNode) and isinstance(ended, Literal):
        return Cursor(ended, r.value)
    return None


def _string(text: str) -> str:
    """A SPARQL string literal of ``text`` (an IRI: no quotes or backslashes are expected,
    but escaped all the same)."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _entries(store: GraphStore, vocab: Vocab, rows: list[Row]) -> list[ChangeEntry]:
    """The entries of the records of ``rows``, in the order of ``rows``."""
    records = [r["r"] for r in rows if isinstance(r.get("r"), NamedNode)]
    if not records:
        return []
    values = "VALUES ?r { " + " ".join(str(r) for r in records) + " } "
    details = store.select(
        f"SELECT ?r ?agent ?started ?ended ?label ?added ?removed ?inferred ?name WHERE {{ "
        f"GRAPH graph:provenance {{ {values}"
        "?r prov:endedAtTime ?ended . "
        "OPTIONAL { ?r prov:wasAssociatedWith ?agent OPTIONAL { ?agent rdfs:label ?name } } "
        "OPTIONAL { ?r prov:startedAtTime ?started } OPTIONAL { ?r rdfs:label ?label } "
        "OPTIONAL { ?r parley:addedCount ?added } OPTIONAL { ?r parley:removedCount ?removed } "
        "OPTIONAL { ?r parley:inferredCount ?inferred } } }"
    )
    targets = store.select(
        f"SELECT ?r ?g WHERE {{ GRAPH graph:provenance {{ {values}"
        "?r parley:targetGraph ?g } } ORDER BY ?g"
    )
    touched = store.select(
        f"SELECT ?r ?side ?s (COUNT(?st) AS ?n) WHERE {{ GRAPH graph:provenance {{ {values}"
        '{ ?r parley:addedStatement ?st BIND("added" AS ?side) } UNION '
        '{ ?r parley:removedStatement ?st BIND("removed" AS ?side) } '
        "?st rdf:subject ?s } } GROUP BY ?r ?side ?s"
    )
    labels = Labels(store, vocab)
    by_record: dict[str, Row] = {}
    for found in details:  # an agent with two names: the first in code-point order
        key = str(found["r"].value) if isinstance(found.get("r"), NamedNode) else ""
        kept = by_record.get(key)
        if kept is None or _text(found.get("name")) < _text(kept.get("name")):
            by_record[key] = found
    subjects = _main_subjects(touched, labels)
    labels.fetch(
        [
            *records,
            *(t["g"] for t in targets),
            *(iri for side in subjects.values() for iri, _n in side),
        ]
    )
    graphs: dict[str, list[Named]] = {}
    for t in targets:
        graphs.setdefault(t["r"].value, []).append(_named(labels, t["g"]))
    out = []
    for record in records:
        row = by_record.get(record.value)
        if row is None:
            continue
        operation = operation_of(_text(row.get("label")))
        out.append(
            ChangeEntry(
                id=record.value,
                record=Named(record.value, operation, labels.href(record)),
                editor=_editor(labels, row.get("agent"), row.get("name")),
                operation=operation,
                started=_text(row.get("started")),
                ended=_text(row.get("ended")),
                graphs=tuple(graphs.get(record.value, ())),
                added=_count(row.get("added")),
                removed=_count(row.get("removed")),
                inferred=_count(row.get("inferred")),
                subjects_added=_subjects(labels, subjects.get((record.value, "added"), [])),
                subjects_removed=_subjects(labels, subjects.get((record.value, "removed"), [])),
            )
        )
    return out


def _main_subjects(
    rows: list[Row], labels: Labels
) -> dict[tuple[str, str], list[tuple[NamedNode, int]]]:
    """For each (record, side): its main subjects, most statements first, then by IRI."""
    counted: dict[tuple[str, str], dict[str, int]] = {}
    for row in rows:
        r, s = row.get("r"), row.get("s")
        if not isinstance(r, NamedNode) or not isinstance(s, NamedNode):
            continue
        owner = labels.owner_of(s) or s
        side = counted.setdefault((r.value, _text(row.get("side"))), {})
        side[owner.value] = side.get(owner.value, 0) + _count(row.get("n"))
    return {
        key: [
            (NamedNode(iri), n)
            for iri, n in sorted(found.items(), key=lambda item: (-item[1], item[0]))
        ]
        for key, found in counted.items()
    }


def _subjects(labels: Labels, found: list[tuple[NamedNode, int]]) -> Subjects:
    return Subjects(tuple(_named(labels, s) for s, _n in found[:TOP_SUBJECTS]), len(found))


def _named(labels: Labels, term: Any) -> Named:
    if isinstance(term, NamedNode):
        return Named(term.value, labels.label(term), labels.href(term))
    return Named("", labels.label(term), None)


def _editor(labels: Labels, agent: Any, name: Any) -> Named:
    """The editor: the name recorded with the write, else the local name of its IRI."""
    if not isinstance(agent, NamedNode):
        return Named("", "unknown", None)
    text = _text(name) or local_name(agent.value)
    return Named(agent.value, text, labels.href(agent))


def local_name(iri: str) -> str:
    """The last segment of an IRI's path or its fragment.

    >>> local_name("http://h/id/editor/ana-editor"), local_name("http://h/ontology#Claim")
    ('ana-editor', 'Claim')
    """
    return iri.rstrip("/").rsplit("#", 1)[-1].rsplit("/", 1)[-1] or iri


def _text(term: Any) -> str:
    return term.value if isinstance(term, Literal) else ""


def _count(term: Any) -> int:
    try:
        return int(term.value) if isinstance(term, Literal) else 0
    except ValueError:
        return 0
