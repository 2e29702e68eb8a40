"""Full-text search over labels and claim text, with SQLite FTS5 (standard library).

One document per entity: its labels (``rdfs:label``, ``skos:prefLabel``,
``skos:altLabel``, ``schema:name``) in a heavily weighted column; for a claim,
its claimant's name in a second; and its text in a third: the quotes of a
claim's evidence spans, definitions, descriptions, review bodies. Ranking is
FTS5's BM25 with those weights.

The index is built from the store on first use and kept current by the
writer's listener: each committed ``ChangeSet`` names the subjects it touched;
their documents (a fragment IRI's or skolem node's owning entity, for an
evidence span's quote) are re-read from the store and replaced. A lookup is
an index probe, not a scan of the store's literals.
"""

from __future__ import annotations

import logging
import re
import sqlite3
import threading
from collections.abc import Iterable
from dataclasses import dataclass

from service.store import ChangeSet, GraphStore, Row
from service.terms import Literal, NamedNode, Quad

logger = logging.getLogger(__name__)

#: Predicates whose literals name a thing (the label column).
NAME_PREDICATES = ("rdfs:label", "skos:prefLabel", "skos:altLabel", "schema:name")
#: Predicates whose literals describe a thing (the text column).
TEXT_PREDICATES = ("skos:definition", "rdfs:comment", "schema:description", "schema:reviewBody")
#: The claim text: the quotes of its evidence spans.
QUOTE_PATH = "parley:hasEvidence/oa:hasSelector/oa:exact"
#: Markers the index puts around matched words in a snippet (control characters,
#: so no text can contain them).
MATCH_START, MATCH_END = "\x02", "\x03"
_WORD = re.compile(r"\w+", re.UNICODE)


@dataclass(frozen=True)
class Hit:
    iri: str
    label: str
    kind: str
    snippet: str
    score: float

    def to_json(self) -> dict[str, object]:
        return {
            "iri": self.iri,
            "label": self.label,
            "kind": self.kind,
            "snippet": self.snippet.replace(MATCH_START, "").replace(MATCH_END, ""),
            "score": round(self.score, 4),
        }


def match_expression(text: str) -> str | None:
    """An FTS5 query for what a person typed: every word must match; the last one may be
    the start of a word (a person may still be typing it).

    Words are quoted, so FTS5 operators in the input are taken literally.

    >>> match_expression('Putin "says" OR')
    '"putin" "says" "or"*'
    >>> match_expression("  ") is None
    True
    """
    words = [w.lower() for w in _WORD.findall(text)]
    if not words:
        return None
    return " ".join([*(f'"{w}"' for w in words[:-1]), f'"{words[-1]}"*'])


class SearchIndex:
    """An in-memory FTS5 index of one store's entities. Thread-safe."""

    def __init__(self, store: GraphStore) -> None:
        self.store = store
        self._db = sqlite3.connect(":memory:", check_same_thread=False)
        # FTS5 rows are found by rowid; ``entities`` maps an IRI to its row, so replacing
        # one document after a write is two index probes, not a scan of the table.
        self._db.execute("CREATE TABLE entities (id INTEGER PRIMARY KEY, iri TEXT UNIQUE)")
        self._db.execute(
            "CREATE VIRTUAL TABLE docs USING fts5("
            "kind UNINDEXED, label, who, body, tokenize = 'unicode61 remove_diacritics 2', "
            "prefix = '2 3 4')"
        )
        # Labels weigh most, then the claimant's name, then the text.
        self._db.execute("INSERT INTO docs(docs, rank) VALUES ('rank', 'bm25(0, 10.0, 3.0, 1.0)')")
        self._lock = threading.RLock()
        self._built = False

    # -- building ----------------------------------------------------------

    def ensure_built(self) -> None:
        with self._lock:
            if not self._built:
                self.rebuild()

    def rebuild(self) -> None:
        """Index every entity of the store (about 2 s per 100k labelled entities)."""
        with self._lock:
            self._db.execute("DELETE FROM docs")
            self._db.execute("DELETE FROM entities")
            self._index(self._documents(None))
            self._built = True

    def _documents(self, subjects: list[NamedNode] | None) -> dict[str, dict[str, list[str]]]:
        """Label, body and kind texts per entity, for all entities or only ``subjects``."""
        values = ""
        if subjects is not None:
            values = "VALUES ?s { " + " ".join(str(s) for s in subjects) + " } "
        docs: dict[str, dict[str, list[str]]] = {}

        def add(rows: list[Row], column: str) -> None:
            for row in rows:
                s, v = row.get("s"), row.get("v")
                if isinstance(s, NamedNode) and isinstance(v, Literal):
                    entry = docs.setdefault(s.value, _empty())
                    if v.value not in entry[column]:
                        entry[column].append(v.value)

        names = " ".join(NAME_PREDICATES)
        texts = " ".join(TEXT_PREDICATES)
        select = self.store.select
        add(select(f"SELECT ?s ?v WHERE {{ {values}VALUES ?p {{ {names} }} ?s ?p ?v }}"), "label")
        add(select(f"SELECT ?s ?v WHERE {{ {values}VALUES ?p {{ {texts} }} ?s ?p ?v }}"), "body")
        add(select(f"SELECT ?s ?v WHERE {{ {values}?s {QUOTE_PATH} ?v }}"), "body")
        kinds = select(
            f"SELECT ?s ?v WHERE {{ {values}GRAPH ?g {{ ?s a ?c }} ?c rdfs:label ?v "
            "FILTER(?g != graph:inferred && STRSTARTS(STR(?c), STR(parley:))) }"
        )
        add(kinds, "kind")
        # A claim is found by its claimant's name too ("Putin" finds what Putin says).
        add(select(f"SELECT ?s ?v WHERE {{ {values}?s parley:claimant/rdfs:label ?v }}"), "who")
        if subjects is not None:
            for s in subjects:
                docs.setdefault(s.value, _empty())
        return docs

    def _index(self, docs: dict[str, dict[str, list[str]]]) -> None:
        kept = {iri: parts for iri, parts in docs.items() if parts["label"] or parts["body"]}
        self._db.executemany(
            "INSERT OR IGNORE INTO entities(iri) VALUES (?)", [(iri,) for iri in kept]
        )
        rows = [
            (
                iri,
                _most_specific(parts["kind"]),
                " · ".join(parts["label"]),
                " · ".join(parts["who"]),
                " · ".join(parts["body"]),
            )
            for iri, parts in kept.items()
        ]
        self._db.executemany(
            "INSERT INTO docs(rowid, kind, label, who, body) "
            "SELECT id, ?2, ?3, ?4, ?5 FROM entities WHERE iri = ?1",
            rows,
        )

    # -- keeping current ---------------------------------------------------

    def on_change(self, changes: ChangeSet) -> None:
        """The writer's listener: re-index the entities a committed change touched."""
        with self._lock:
            if not self._built:
                return  # the first search builds from the store, which has the change
            touched = self._owners(q for q in [*changes.delete, *changes.insert])
            if changes.drop_graphs:
                self.rebuild()
                return
            self.reindex(touched)

    def reindex(self, subjects: list[NamedNode]) -> None:
        with self._lock:
            for start in range(0, len(subjects), 200):
                batch = subjects[start : start + 200]
                self._db.executemany(
                    "DELETE FROM docs WHERE rowid = (SELECT id FROM entities WHERE iri = ?)",
                    [(s.value,) for s in batch],
                )
                self._index(self._documents(batch))

    def _owners(self, quads: Iterable[Quad]) -> list[NamedNode]:
        """The entities whose documents a set of quads can change."""
        found: dict[str, NamedNode] = {}
        for q in quads:
            for node in (q.subject, q.object):
                if isinstance(node, NamedNode):
                    owner = self._owner(node)
                    if owner is not None:
                        found[owner.value] = owner
        # A claimant's new name changes the documents of its claims.
        renamed = [
            o for o in found.values() if not o.value.startswith(str(self.store.vocab.id) + "claim/")
        ]
        for start in range(0, len(renamed), 200):
            values = " ".join(str(o) for o in renamed[start : start + 200])
            for row in self.store.select(
                f"SELECT DISTINCT ?c WHERE {{ VALUES ?a {{ {values} }} ?c parley:claimant ?a }}"
            ):
                claim = row.get("c")
                if isinstance(claim, NamedNode):
                    found[claim.value] = claim
        return list(found.values())

    def _owner(self, node: NamedNode) -> NamedNode | None:
        vocab = self.store.vocab
        if "#" in node.value and node.value.startswith(vocab.base):
            return NamedNode(node.value.split("#", 1)[0])
        if vocab.genid.contains(node):
            # A skolem node (an evidence span written by a client): index its owner.
            rows = self.store.select(
                f"SELECT ?o WHERE {{ ?o (!rdf:type)+ {node} FILTER(isIRI(?o) && "
                f"!STRSTARTS(STR(?o), STR(<{vocab.genid}>))) }} LIMIT 1"
            )
            owner = rows[0].get("o") if rows else None
            return owner if isinstance(owner, NamedNode) else None
        return node

    # -- searching ---------------------------------------------------------

    def search(self, text: str, *, limit: int = 50) -> list[Hit]:
        """The best matches for ``text``, best first."""
        expression = match_expression(text)
        if expression is None:
            return []
        self.ensure_built()
        with self._lock:
            # Rank first (FTS5's own ``rank``: BM25 with the column weights set at creation),
            # then make snippets for the best rows only: a snippet costs more than a score.
            # Names first: a match in a label or a claimant's name outranks any match in
            # the text alone. Ranking costs in proportion to the matches, and names match
            # far fewer documents than text does, so a common word stays fast.
            best = self._db.execute(
                "SELECT rowid, rank FROM docs WHERE docs MATCH ? ORDER BY rank LIMIT ?",
                (f"{{label who}} : ({expression})", limit),
            ).fetchall()
            if len(best) < limit:
                named = [r[0] for r in best]
                best += self._db.execute(
                    "SELECT rowid, rank FROM docs WHERE docs MATCH ? "
                    f"AND rowid NOT IN ({','.join('?' * len(named))}) ORDER BY rank LIMIT ?",
                    (expression, *named, limit - len(best)),
                ).fetchall()
            if not best:
                return []
            marks = ",".join("?" * len(best))
            details = {
                row[0]: row[1:]
                for row in self._db.execute(
                    "SELECT d.rowid, e.iri, d.kind, d.label, d.who, d.body "
                    "FROM docs AS d JOIN entities AS e ON e.id = d.rowid "
                    f"WHERE d.rowid IN ({marks})",
                    [r[0] for r in best],
                )
            }
        words = [w.lower() for w in _WORD.findall(text)]
        hits = []
        for rowid, rank in best:
            iri, kind, label, who, body = details[rowid]
            hits.append(
                Hit(iri, label.split(" · ")[0], kind, snippet(words, label, who, body), -rank)
            )
        return hits

    def count(self) -> int:
        self.ensure_built()
        with self._lock:
            return int(self._db.execute("SELECT count(*) FROM docs").fetchone()[0])


def snippet(words: list[str], *texts: str, width: int = 160) -> str:
    """A stretch of the first text that holds a match, matched words between the markers.

    >>> s = snippet(["ist"], "Talks", "From Istanbul in 2022 onward")
    >>> s.replace(MATCH_START, "[").replace(MATCH_END, "]")
    'From [Istanbul] in 2022 onward'
    """
    for text in texts:
        found = [m for m in _WORD.finditer(text) if m.group().lower().startswith(tuple(words))]
        if not found:
            continue
        start = max(0, found[0].start() - width // 3)
        end = min(len(text), start + width)
        out, cursor = [], start
        for m in found:
            if m.start() < start or m.end() > end:
                continue
            out += [text[cursor : m.start()], MATCH_START, m.group(), MATCH_END]
            cursor = m.end()
        out.append(text[cursor:end])
        return ("… " if start else "") + "".join(out) + (" …" if end < len(text) else "")
    return texts[0][:width] if texts else ""


def _empty() -> dict[str, list[str]]:
    return {"label": [], "who": [], "body": [], "kind": []}


def _most_specific(kinds: list[str]) -> str:
    """A short class name for a hit: the longest label wins ("report claim" over "claim")."""
    return max(kinds, key=len) if kinds else ""
