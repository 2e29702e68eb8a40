"""The timeline page: when events happened, and beside them when claims were made.

Dates come as ``xsd:date`` (``schema:startDate``/``endDate``) or, where the day is
not known, as ``xsd:gYearMonth``/``xsd:gYear`` (``parley:startPeriod``/``endPeriod``);
a period stands for its whole month or year. The record gives an end only where one
is known, so an event with a start and no end (the war since 2014, martial law) is
open: it is drawn up to the right edge and said to have "no end recorded", which is
what the record says, rather than "ongoing", which would be Parley's own judgement
of today. An event that began and ended on one day is an instant (a dot).

When claims were made is read from three places: the dates of the sources the
claims appear in (``schema:datePublished``/``dcterms:date``, or the window
``parley:publishedNotBefore``/``NotAfter`` when the day is unknown), the public
statements the claimants made them in (``parley:statedIn``), and the publication
dates of the reference sources the record cites. The drawing is ``_timeline_svg``.
"""

from __future__ import annotations

import calendar
from collections import Counter
from dataclasses import dataclass, field
from datetime import date

from markupsafe import Markup

from service.pages._labels import Labels, TermView, integer, lexical
from service.pages._per_version import PerVersion
from service.pages._timeline_svg import OPEN_END, draw_pictures
from service.rdf import Term
from service.store import GraphStore


@dataclass(frozen=True)
class Dated:
    """An event, or a source of claims, on the time axis."""

    item: TermView
    start: date
    #: ``None``: the record gives a start and no end.
    end: date | None
    #: The dates as the record gives them ("2022-03-29", "2022-02-28 – 2022-05").
    when: str

    @property
    def instant(self) -> bool:
        return self.end == self.start

    @property
    def last(self) -> date:
        """The last day drawn (the start, for an event with no end)."""
        return self.end or self.start


@dataclass(frozen=True)
class ClaimDate:
    """A date on which claims were made: a source's publication, or a public statement."""

    dated: Dated
    claims: int
    #: "appear in" (a source of claims) or "stated in" (a statement, ``parley:statedIn``).
    relation: str

    @property
    def text(self) -> str:
        noun = "claim" if self.claims == 1 else "claims"
        return f"{self.claims} {noun} {self.relation}: {self.dated.item.text}"


@dataclass
class TimelinePage:
    events: list[Dated] = field(default_factory=list)
    undated: list[TermView] = field(default_factory=list)
    claim_dates: list[ClaimDate] = field(default_factory=list)
    #: How many reference sources were published on each date: the day it is drawn at,
    #: the date as recorded (a month or a year is drawn at its first day), the count.
    references: list[tuple[date, str, int]] = field(default_factory=list)
    #: The pictures: the whole record, then its latest year in detail (when it spans more).
    pictures: list[Markup] = field(default_factory=list)

    @property
    def reference_years(self) -> list[tuple[int, int]]:
        """How many reference sources were published in each year."""
        years: Counter[int] = Counter()
        for day, _, count in self.references:
            years[day.year] += count
        return sorted(years.items())


def parse_date(text: str, *, end: bool = False) -> date | None:
    """The first (or, with ``end``, last) day an ``xsd:date``, gYearMonth or gYear denotes.

    >>> parse_date("2025-02"), parse_date("2025-02", end=True), parse_date("2014")
    (datetime.date(2025, 2, 1), datetime.date(2025, 2, 28), datetime.date(2014, 1, 1))
    >>> parse_date("soon") is None
    True
    """
    parts = text.strip()[:10].split("-")
    try:
        year = int(parts[0])
        month = int(parts[1]) if len(parts) > 1 else (12 if end else 1)
        if len(parts) > 2:
            return date(year, month, int(parts[2]))
        return date(year, month, calendar.monthrange(year, month)[1] if end else 1)
    except (ValueError, IndexError):
        return None


def dated(item: TermView, start_text: str | None, end_text: str | None) -> Dated | None:
    """An item's span from the dates as recorded; ``None`` without a readable start.

    >>> from service.pages._labels import TermView
    >>> war = TermView("w", "War", None, "iri")
    >>> dated(war, "2014-02-20", None).when
    'since 2014-02-20 (no end recorded)'
    >>> dated(war, "2022-02-28", "2022-05").end
    datetime.date(2022, 5, 31)
    >>> dated(war, "2022-03-29", "2022-03-29").instant
    True
    """
    start = parse_date(start_text) if start_text else None
    if start is None or start_text is None:
        return None
    end = parse_date(end_text, end=True) if end_text else None
    if end is None:
        return Dated(item, start, None, f"since {start_text} ({OPEN_END})")
    end = max(end, start)
    when = start_text if end_text == start_text else f"{start_text} – {end_text}"
    if end_text == start_text and len(start_text) < 10:
        # One month or one year, recorded as both start and end: a span, not a day.
        start = parse_date(start_text) or start
    return Dated(item, start, end, when)


def build_timeline(store: GraphStore, labels: Labels) -> TimelinePage:
    """Every event with its dates, the dates claims were made, and the pictures of both."""
    page = TimelinePage()
    event_rows = store.select(
        "SELECT ?e (MIN(?s) AS ?start) (MAX(?f) AS ?end) WHERE { ?e a parley:Event . "
        "OPTIONAL { ?e schema:startDate|parley:startPeriod ?s } "
        "OPTIONAL { ?e schema:endDate|parley:endPeriod ?f } } GROUP BY ?e"
    )
    # Counted first, then dated: the dates joined to every claim make the count slow.
    source_rows = store.select(
        "SELECT ?source ?n ?date ?notBefore ?notAfter WHERE { "
        "{ SELECT ?source (COUNT(DISTINCT ?c) AS ?n) WHERE { ?c parley:appearsIn ?source } "
        "GROUP BY ?source } "
        "OPTIONAL { ?source schema:datePublished|dcterms:date ?date } "
        "OPTIONAL { ?source parley:publishedNotBefore ?notBefore } "
        "OPTIONAL { ?source parley:publishedNotAfter ?notAfter } }"
    )
    stated_rows = store.select(
        "SELECT ?e (COUNT(DISTINCT ?c) AS ?n) WHERE { ?c parley:statedIn ?e } GROUP BY ?e"
    )
    reference_rows = store.select(
        "SELECT ?d (COUNT(DISTINCT ?s) AS ?n) WHERE { "
        "?s a parley:ReferenceSource ; dcterms:date ?d } GROUP BY ?d"
    )
    labels.fetch([r["e"] for r in event_rows] + [r["source"] for r in source_rows])
    by_event: dict[str, Dated] = {}
    for r in event_rows:
        view = labels.view(r["e"])
        item = dated(view, lexical(r.get("start")), lexical(r.get("end")))
        if item is None:
            page.undated.append(view)
        else:
            page.events.append(item)
            by_event[view.key] = item
    sources_seen: set[str] = set()
    for r in source_rows:
        view = labels.view(r["source"])
        if view.key in sources_seen:  # a second date of the same source
            continue
        sources_seen.add(view.key)
        start = lexical(r.get("date")) or lexical(r.get("notBefore"))
        end = lexical(r.get("date")) or lexical(r.get("notAfter")) or start
        item = dated(view, start, end)
        if item is not None:
            page.claim_dates.append(ClaimDate(item, _count(r.get("n")), "appear in"))
    for r in stated_rows:
        event = by_event.get(labels.view(r["e"]).key)
        if event is not None:
            page.claim_dates.append(ClaimDate(event, _count(r.get("n")), "stated in"))
    references: Counter[str] = Counter()
    for r in reference_rows:
        # A month or a year keeps its own form ("2015-02"); it is drawn at its first day.
        text = (lexical(r.get("d")) or "").strip()[:10]
        if parse_date(text) is not None:
            references[text] += _count(r.get("n"))
    page.references = sorted(
        (day, text, n) for text, n in references.items() if (day := parse_date(text))
    )
    page.events.sort(key=lambda d: (d.start, d.last, d.end is None, d.item.text))
    page.claim_dates.sort(key=lambda c: (c.dated.start, c.relation, c.dated.item.text))
    page.undated.sort(key=lambda v: v.text)
    page.pictures = draw_pictures(page)
    return page


def _count(term: Term | None) -> int:
    return integer(term) or 0


#: Drawn from the whole graph: computed once per version of the store (``_per_version``).
timeline_page = PerVersion(build_timeline)
