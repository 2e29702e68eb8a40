"""Full-text search over labels and claim text, with Tantivy (a Rust search engine).

One document per entity: its labels (``rdfs:label``, ``skos:prefLabel``,
``skos:altLabel``, ``schema:name``) in a heavily weighted field; for a claim,
its claimant's name in a second; and its text in a third: the quotes of a
claim's evidence spans, definitions, descriptions, review bodies. Ranking is
BM25 with those weights; every word must match, and the last one may be the
start of a name (a person may still be typing it).

Tantivy rather than SQLite FTS5: FTS5 scores every match before it sorts, so
a query of common words over a million triples cost 9-16 ms to rank; Tantivy's
top-k retrieval answers the same queries in well under a millisecond
(``bench/search.py``).

The index is built from the store on first use and kept current by the
writer's listener: each committed ``ChangeSet`` names the subjects it touched;
their documents (a fragment IRI's or skolem node's owning entity, for an
evidence span's quote) are re-read from the store and replaced. A lookup is
an index probe, not a scan of the store's literals.

The listener runs under the write lock, so it only queues the change, indexed
after the commit on a thread (``service.pages._search_updates``): a large write
holds no other write up. Eventually consistent: a search waits up to
``SEARCH_WAIT_S`` for the changes committed before it (a small write takes
milliseconds), then answers from the index as it is.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from dataclasses import dataclass

import tantivy

from service.pages._search_queries import (
    BOOSTS,
    PREFIXES,
    WORDS,
    ident_query,
    of_kind,
    query_words,
    ranked_query,
    suggestion_query,
)
from service.pages._search_text import (
    MATCH_END,
    MATCH_START,
    ident_key,
    local_keys,
    snippet,
)
from service.pages._search_updates import Backlog
from service.rdf import Literal, NamedNode
from service.store import ChangeSet, GraphStore, Row

logger = logging.getLogger(__name__)

#: Predicates whose literals name a thing (the label column).
NAME_PREDICATES = ("rdfs:label", "skos:prefLabel", "skos:altLabel", "schema:name")
#: Predicates whose literals describe a thing (the text column).
TEXT_PREDICATES = (
    "skos:definition",
    "rdfs:comment",
    "schema:description",
    "schema:reviewBody",
    "parley:reviewNote",
)
#: The claim text: the quotes of its evidence spans.
QUOTE_PATH = "parley:hasEvidence/oa:hasSelector/oa:exact"


@dataclass(frozen=True)
class Facet:
    """A kind of entity among the matches of a search, and how many match."""

    kind: str
    count: int


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


#: Seconds a search waits for the index to catch up with the writes committed before it.
SEARCH_WAIT_S = 1.0
#: Entities re-read from the store and re-indexed at a time (the index is locked meanwhile).
REINDEX_BATCH = 200
#: Kinds counted in a search's facets at most (the ontology has about thirty classes).
MAX_FACETS = 50


def _schema() -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    builder.add_text_field("iri", stored=True, tokenizer_name="raw")
    # A fast field: search results are counted by kind (the facets) in one aggregation.
    builder.add_text_field("kind", stored=True, fast=True, tokenizer_name="raw")
    for field in BOOSTS:
        builder.add_text_field(field, stored=True, tokenizer_name="words")
    builder.add_text_field("prefix", stored=False, tokenizer_name="prefixes", index_option="basic")
    # What a person sees and types as a name, lower-cased whole: a claim's identifier
    # ("c17"), then the IRI's local name ("putin") and its path ("id/claim/…").
    builder.add_text_field("ident", stored=False, tokenizer_name="raw", index_option="basic")
    builder.add_text_field("local", stored=False, tokenizer_name="raw", index_option="basic")
    return builder.build()


class SearchIndex:
    """An in-memory Tantivy index of one store's entities. Thread-safe."""

    def __init__(self, store: GraphStore) -> None:
        self.store = store
        self._schema = _schema()
        self._index = tantivy.Index(self._schema)
        self._index.register_tokenizer("words", WORDS)
        self._index.register_tokenizer("prefixes", PREFIXES)
        self._writer = self._index.writer(heap_size=64_000_000, num_threads=1)
        self._lock = threading.RLock()
        self._built = False
        #: Committed changes the searcher has not loaded yet.
        self._stale = False
        #: The store version the index has caught up with (other processes' writes).
        self._seen = 0
        #: Committed changes not indexed yet, indexed in order on a thread of their own.
        self._backlog: Backlog[ChangeSet] = Backlog(
            self._index_changes, name="search-updates", on_failure=self._lost_changes
        )

    # -- building ----------------------------------------------------------

    def build_in_background(self) -> None:
        """Start building the index in a thread; a search meanwhile waits for it."""
        threading.Thread(target=self.ensure_built, name="search-index", daemon=True).start()

    def ready(self) -> bool:
        """True once the index is built (searches meanwhile wait for it)."""
        return self._built

    def ensure_built(self) -> None:
        with self._lock:
            if not self._built:
                self.rebuild()

    def rebuild(self) -> None:
        """Index every entity of the store (the store reads take most of the time)."""
        with self._lock:
            # Read first: what is written during the rebuild is caught up with later.
            self._seen = self.store.changes_since(self._seen)[0]
            self._writer.delete_all_documents()
            self._add(self._documents(None))
            self._commit()
            self._built = True

    def _commit(self) -> None:
        self._writer.commit()
        # The searcher is reloaded by the next search, not here: right after a commit
        # Tantivy's segment updater holds the index's meta lock, and a reload that finds it
        # taken sleeps 100 ms before it tries again (measured: every other write paid it).
        self._stale = True

    def _searcher(self) -> tantivy.Searcher:
        with self._lock:
            if self._stale:
                self._stale = False
                self._index.reload()
            return self._index.searcher()

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

        # Alternative paths, not a second VALUES block: Oxigraph joins two VALUES blocks
        # through a scan (90 ms at 1M triples for 50 subjects; 1.4 ms this way).
        names = "|".join(NAME_PREDICATES)
        texts = "|".join(TEXT_PREDICATES)
        select = self.store.select
        add(select(f"SELECT ?s ?v WHERE {{ {values}?s {names} ?v }}"), "label")
        add(select(f"SELECT ?s ?v WHERE {{ {values}?s {texts} ?v }}"), "body")
        add(select(f"SELECT ?s ?v WHERE {{ {values}?s {QUOTE_PATH} ?v }}"), "body")
        kinds = select(
            f"SELECT ?s ?v WHERE {{ {values}GRAPH ?g {{ ?s a ?c }} ?c rdfs:label ?v "
            "FILTER(?g != graph:inferred && STRSTARTS(STR(?c), STR(parley:))) }"
        )
        add(kinds, "kind")
        # A claim is found by its claimant's name too ("Putin" finds what Putin says).
        add(select(f"SELECT ?s ?v WHERE {{ {values}?s parley:claimant/rdfs:label ?v }}"), "who")
        add(select(f"SELECT ?s ?v WHERE {{ {values}?s dcterms:identifier ?v }}"), "ident")
        if subjects is not None:
            for s in subjects:
                docs.setdefault(s.value, _empty())
        return docs

    def _add(self, docs: dict[str, dict[str, list[str]]]) -> None:
        for iri, parts in docs.items():
            if not parts["label"] and not parts["body"]:
                continue
            doc = tantivy.Document()
            doc.add_text("iri", iri)
            doc.add_text("kind", _most_specific(parts["kind"]))
            for field in BOOSTS:
                doc.add_text(field, " · ".join(parts[field]))
            for word in WORDS.analyze(" ".join(parts["label"] + parts["who"])):
                doc.add_text("prefix", word)
            for key in {ident_key(i) for i in parts["ident"]}:
                doc.add_text("ident", key)
            for key in local_keys(iri, self.store.vocab.base):
                doc.add_text("local", key)
            self._writer.add_document(doc)

    # -- keeping current ---------------------------------------------------

    def on_change(self, changes: ChangeSet) -> None:
        """The writer's listener (called under the write lock, right after the commit):
        queue the change; the entities it touched are re-indexed in the background."""
        self._backlog.put(changes)

    def wait_until_current(self, timeout_s: float) -> bool:
        """Wait until every change committed before this call is indexed (tests, and a
        search that should find its client's write); False past ``timeout_s``."""
        return self._backlog.wait(timeout_s)

    def _index_changes(self, changes: list[ChangeSet]) -> None:
        """Re-index what these changes (in commit order) touched, on the backlog's thread."""
        with self._lock:
            if not self._built:
                # Nothing is building now (it would hold the lock), so the build to come
                # reads the store, which has these changes.
                return
        if any(change.drop_graphs for change in changes):
            self.rebuild()
            return
        # The store is read without the index's lock: searches go on meanwhile.
        touched = self._owners(
            node
            for change in changes
            for q in [*change.delete, *change.insert]
            for node in (q.subject, q.object)
        )
        self.reindex(touched)

    def _lost_changes(self, _error: BaseException) -> None:
        """Indexing a change failed (logged): the next search builds the index afresh."""
        with self._lock:
            self._built = False

    def reindex(self, subjects: list[NamedNode]) -> None:
        """Replace the documents of ``subjects``, locking the index per batch (a search
        waits milliseconds, not the whole re-index); searchable from the commit at the end."""
        for start in range(0, len(subjects), REINDEX_BATCH):
            batch = subjects[start : start + REINDEX_BATCH]
            with self._lock:
                for subject in batch:
                    self._writer.delete_documents_by_term("iri", subject.value)
                self._add(self._documents(batch))
        with self._lock:
            self._commit()

    def catch_up(self) -> None:
        """Re-index what other Parley processes sharing the store wrote since last time
        (one cheap query; nothing to do on an embedded store)."""
        with self._lock:
            if not self._built:
                return
            current, touched = self.store.changes_since(self._seen)
            if current == self._seen:
                return
            if touched is None:
                self.rebuild()
                return
            self._seen = current
            self.reindex(self._owners(touched))

    def _owners(self, nodes: Iterable[object]) -> list[NamedNode]:
        """The entities whose documents a change to these nodes' statements can change."""
        found: dict[str, NamedNode] = {}
        for node in nodes:
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

    def _current(self) -> tantivy.Searcher:
        self.ensure_built()
        self.wait_until_current(SEARCH_WAIT_S)
        self.catch_up()
        return self._searcher()

    def lookup(self, name: str) -> list[str]:
        """The IRIs of the entities a person's identifier names, case-insensitively: a
        claim's ``dcterms:identifier`` (``c17``), a local name (``putin``), a path under the
        base (``id/claim/…``). At most 10."""
        if not ident_key(name):
            return []
        searcher = self._current()
        for field in ("ident", "local"):  # an identifier first: review:C17 is not C17
            result = searcher.search(ident_query(self._schema, name, field), 10, count=False)
            if result.hits:
                return [str(searcher.doc(a).get_first("iri") or "") for _, a in result.hits]
        return []

    def suggest(self, text: str, *, limit: int = 5) -> list[Hit]:
        """Entities whose names or local names are close to ``text`` (a mistyped or guessed
        path segment: ``Zelensky``, ``istambul``, ``putin-vladimir``): any of its words,
        with up to two typos, best first."""
        words = query_words(text)
        if not words:
            return []
        searcher = self._current()
        result = searcher.search(suggestion_query(self._schema, text, words), limit, count=False)
        return [self._hit(searcher, address, words, score) for score, address in result.hits]

    def _hit(
        self,
        searcher: tantivy.Searcher,
        address: tantivy.DocAddress,
        words: list[str],
        score: float,
    ) -> Hit:
        doc = searcher.doc(address)
        iri, kind, label, body = (
            str(doc.get_first(f) or "") for f in ("iri", "kind", "label", "body")
        )
        # The snippet is from the text (a claim's quotes, a definition), never the label
        # again: the label is the hit's link.
        return Hit(iri, label.split(" · ")[0], kind, snippet(words, body), score)

    def search(self, text: str, *, limit: int = 50, kind: str | None = None) -> list[Hit]:
        """The best matches for ``text``, best first; what it names as an identifier
        (``C17``, ``putin``) before everything else. ``kind`` keeps the hits of one kind
        (a facet of ``facets``)."""
        words = query_words(text)
        if not words:
            return []
        searcher = self._current()
        ranked = ranked_query(self._schema, text, words)
        if kind is not None:
            ranked = of_kind(self._schema, ranked, kind)
        result = searcher.search(ranked, limit, count=False)
        return [self._hit(searcher, address, words, score) for score, address in result.hits]

    def facets(self, text: str) -> list[Facet]:
        """How many entities of each kind match ``text`` (all of them, not only the best
        shown), the most frequent kind first; entities of no kind are not a facet."""
        words = query_words(text)
        if not words:
            return []
        searcher = self._current()
        spec = {"kinds": {"terms": {"field": "kind", "size": MAX_FACETS}}}
        ranked = ranked_query(self._schema, text, words)
        buckets = searcher.aggregate(ranked, spec)["kinds"]["buckets"]
        counted = [Facet(str(b["key"]), int(b["doc_count"])) for b in buckets if b["key"]]
        return sorted(counted, key=lambda f: (-f.count, f.kind))

    def count(self) -> int:
        self.ensure_built()
        return int(self._searcher().num_docs)


def _empty() -> dict[str, list[str]]:
    return {"label": [], "who": [], "body": [], "kind": [], "ident": []}


def _most_specific(kinds: list[str]) -> str:
    """A short class name for a hit: the longest label wins ("report claim" over "claim")."""
    return max(kinds, key=len) if kinds else ""
