"""Bounded lists for the curated sections of actor, place and event pages.

An actor of the synthetic benchmark store makes thousands of claims, so no section
renders a whole list: each shows its total (a SPARQL ``COUNT``) and its first
``PREVIEW`` items, with a link to the section alone (``?section=KEY``), which pages
through the rest ``PAGE_SIZE`` at a time. The store does the counting, ordering and
cutting (``LIMIT``/``OFFSET``), so a page costs the same whatever the list's length.
The totals are kept per store version (``_per_version``): counting the reviews of an
actor's 10,000 claims is 10,000 lookups, and every page of its sections shows them.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Generic, Protocol, TypeVar

from service.pages._labels import Labels, TermView, integer, lexical
from service.pages._per_version import PerVersionBy
from service.store import GraphStore, Row

#: Items a section shows on the whole page.
PREVIEW = 10
#: Items per page when a section is shown alone.
PAGE_SIZE = 50
#: Longer lists come in the store's own order, which is stable but means nothing: sorting
#: thousands of claims by identifier costs Oxigraph a second (it compares the strings).
ORDERED_LIMIT = 1000

T = TypeVar("T")


@dataclass(frozen=True)
class SectionPaging:
    """Which curated section a request shows alone (``?section=KEY&page=N``), if any."""

    section: str | None = None
    page: int = 1

    def shows(self, key: str) -> bool:
        return self.section is None or self.section == key

    def window(self, key: str) -> tuple[int, int]:
        """``(limit, offset)`` of the items of section ``key``."""
        if self.section == key:
            return PAGE_SIZE, (self.page - 1) * PAGE_SIZE
        return PREVIEW, 0


@dataclass
class Listing(Generic[T]):
    """Part of a list: its items on this page and how many there are in all."""

    key: str
    items: list[T] = field(default_factory=list)
    total: int = 0
    #: True when the section is shown alone, paged.
    alone: bool = False
    page: int = 1
    #: False for a list too long to sort (``ORDERED_LIMIT``): no group headings then.
    ordered: bool = True

    @property
    def cut(self) -> bool:
        """True on the whole page when there are more items than it shows."""
        return not self.alone and self.total > len(self.items)

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / PAGE_SIZE))

    def buckets(self) -> Iterator[tuple[str, list[T]]]:
        """The items in runs of one ``group`` heading (for lists ordered by it)."""
        run: list[T] = []
        heading = ""
        for item in self.items:
            group = str(getattr(item, "group", ""))
            if run and group != heading:
                yield heading, run
                run = []
            heading = group
            run.append(item)
        if run:
            yield heading, run


def listing(key: str, paging: SectionPaging) -> Listing[T]:
    return Listing(key, alone=paging.section == key, page=paging.page)


def counted(
    store: GraphStore, key: str, pattern: str, var: str, paging: SectionPaging
) -> Listing[T]:
    """Section ``key``'s listing with its total, the distinct ``?var`` that ``pattern``
    binds; left empty (total 0) when the page shows another section alone."""
    found: Listing[T] = listing(key, paging)
    if paging.shows(key):
        found.total = count(store, pattern, var)
    return found


def count(store: GraphStore, pattern: str, var: str) -> int:
    """How many distinct ``?var`` the graph ``pattern`` binds (kept until the next write)."""
    return _counts(store, (pattern, var))


def _count(store: GraphStore, asked: tuple[str, str]) -> int:
    pattern, var = asked
    rows = store.select(f"SELECT (COUNT(DISTINCT ?{var}) AS ?n) WHERE {{ {pattern} }}")
    return (integer(rows[0].get("n")) or 0) if rows else 0


_counts: PerVersionBy[tuple[str, str], int] = PerVersionBy(_count, size=512)


class Cited(Protocol):
    """A table row that names the sources of its facts."""

    sources: list[TermView]
    refs: list[int]


def number_sources(rows: Sequence[Cited]) -> list[TermView]:
    """The sources of a table's rows, each once, in order of first use; each row's
    ``refs`` are their numbers, so a long title is listed once under the table rather
    than on every row that cites it."""
    cited: list[TermView] = []
    for row in rows:
        for source in row.sources:
            if source not in cited:
                cited.append(source)
            row.refs.append(cited.index(source) + 1)
    return cited


@dataclass
class ClaimRow:
    """A claim in a list: its label, claimant and first quote, so a reader sees the words
    before following a link."""

    claim: TermView
    claimant: TermView | None
    quote: str
    identifier: str = ""
    modality: TermView | None = None
    source: TermView | None = None
    #: The heading of the run it belongs to in a list grouped by a value (a modality).
    group: str = ""


def claim_listing(
    store: GraphStore,
    labels: Labels,
    key: str,
    pattern: str,
    paging: SectionPaging,
    *,
    group: str = "",
    missing: str = "",
) -> Listing[ClaimRow]:
    """The claims ``pattern`` binds to ``?claim``, in identifier order (``C2`` before
    ``C10``); ``group`` is a pattern that binds ``?group`` (a modality, a stance), the
    first key of the order and the headings of the runs (``missing`` where unbound).
    A list longer than ``ORDERED_LIMIT`` is neither sorted nor grouped."""
    found: Listing[ClaimRow] = counted(store, key, pattern, "claim", paging)
    if not found.total:
        return found
    limit, offset = paging.window(key)
    found.ordered = found.total <= ORDERED_LIMIT
    grouping = f"OPTIONAL {{ {group} }}" if group and found.ordered else ""
    order = "(!BOUND(?group)) ?group STRLEN(STR(?id)) ?id ?claim"
    inner = "ORDER BY " + order if found.ordered else ""
    rows = store.select(
        "SELECT ?claim ?group ?id (SAMPLE(?who) AS ?claimant) (SAMPLE(?m) AS ?modality) "
        "(SAMPLE(?src) AS ?source) (SAMPLE(?exact) AS ?quote) WHERE { "
        f"{{ SELECT DISTINCT ?claim ?group ?id WHERE {{ {pattern} {grouping} "
        f"OPTIONAL {{ ?claim dcterms:identifier ?id }} }} {inner} "
        f"LIMIT {limit} OFFSET {offset} }} "
        "OPTIONAL { ?claim parley:claimant ?who } OPTIONAL { ?claim parley:modality ?m } "
        "OPTIONAL { ?claim parley:appearsIn ?src } "
        "OPTIONAL { ?claim parley:hasEvidence/oa:hasSelector/oa:exact ?exact } "
        f"}} GROUP BY ?claim ?group ?id ORDER BY {order}"
    )
    found.items = claim_rows(labels, rows, missing if found.ordered else "")
    return found


def claim_rows(labels: Labels, rows: list[Row], missing: str = "") -> list[ClaimRow]:
    labels.fetch(t for r in rows for t in r.values())
    return [
        ClaimRow(
            labels.view(r["claim"]),
            labels.maybe(r.get("claimant")),
            lexical(r.get("quote")) or "",
            identifier=lexical(r.get("id")) or "",
            modality=labels.maybe(r.get("modality")),
            source=labels.maybe(r.get("source")),
            group=labels.label(r["group"]) if "group" in r else missing,
        )
        for r in rows
    ]
