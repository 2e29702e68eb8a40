"""Who added a subject, and when: the write that first stated its type.

Pages say "added by <name> on <date>" under a claim, a source or any entity a client's
write added, linking to that write's record (``graph/provenance#write-...``, which
dereferences). The record reifies each statement it added (``rdf:subject``,
``rdf:predicate``, ``rdf:object``): the write that added ``<subject> rdf:type ...`` is
the one that made the subject. Looking it up is one index lookup on ``rdf:subject``
in ``graph/provenance`` (the subject's few reified statements), then their records: the
pages' speed budget holds at 1M triples. What the build loaded from ``data/`` has no
record, and no "added by".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from service.rdf import Literal, NamedNode
from service.store import GraphStore


@dataclass(frozen=True)
class Addition:
    """The write that added a subject."""

    #: The write record's IRI (``graph/provenance#write-...``).
    record: str
    #: The writing agent's IRI, and its name (an editor's; "administrator" for the write
    #: token; the IRI's last segment for a write recorded before agents were named).
    agent: str
    name: str
    when: datetime | None

    @property
    def date(self) -> str:
        """The day, as the pages show it (``2026-12-07``)."""
        return self.when.date().isoformat() if self.when else ""


def added_by(store: GraphStore, subject: NamedNode) -> Addition | None:
    """The first write that stated ``subject``'s type; ``None`` when none did (the build)."""
    graph = store.vocab.provenance_graph.value
    rows = store.select(
        "PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> "
        "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> "
        "PREFIX prov: <http://www.w3.org/ns/prov#> "
        f"SELECT ?record ?agent ?name ?time WHERE {{ GRAPH <{graph}> {{ "
        f"?statement rdf:subject <{subject.value}> ; rdf:predicate rdf:type . "
        f"?record <{store.vocab.parley.addedStatement.value}> ?statement ; "
        "prov:wasAssociatedWith ?agent ; prov:startedAtTime ?time . "
        "OPTIONAL { ?agent rdfs:label ?name } } } ORDER BY ?time LIMIT 1"
    )
    if not rows:
        return None
    row = rows[0]
    agent = row["agent"].value
    name = row.get("name")
    time = row.get("time")
    when = None
    if isinstance(time, Literal):
        try:
            when = datetime.fromisoformat(time.value)
        except ValueError:
            when = None
    shown = name.value if name is not None else _fallback_name(agent)
    return Addition(record=row["record"].value, agent=agent, name=shown, when=when)


def _fallback_name(agent: str) -> str:
    """A name for an agent the record does not name (a write made before they were).

    >>> _fallback_name("http://h/id/agent/token-2bb80d53"), _fallback_name("http://h/id/agent/bulk")
    ('administrator', 'bulk')
    """
    last = agent.rstrip("/").rsplit("/", 1)[-1]
    return "administrator" if last.startswith("token-") else last
