"""Every dated event on a time axis, laid out for a server-rendered SVG.

Dates come as ``xsd:date`` (``schema:startDate``/``endDate``) or, where the
day is not known, as ``xsd:gYearMonth``/``xsd:gYear`` (``parley:startPeriod``/
``endPeriod``); a period is drawn over the whole month or year. Each event
gets its own row, so marks never hide each other; the template draws a bar
(or a dot for a single day) linked to the event. The layout is pure.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date

from service.pages._labels import Labels, TermView, lexical
from service.store import GraphStore

WIDTH = 960
ROW = 34
TOP = 44
SIDE = 24


@dataclass(frozen=True)
class Dated:
    event: TermView
    start: date
    end: date
    #: The dates as the record gives them ("2022-03-29", "2025-02 – ").
    when: str


@dataclass(frozen=True)
class Mark:
    x: float
    y: float
    width: float
    label_x: float
    anchor: str  # SVG text-anchor of the label
    item: Dated


@dataclass(frozen=True)
class Tick:
    x: float
    text: str


@dataclass
class Timeline:
    marks: list[Mark] = field(default_factory=list)
    ticks: list[Tick] = field(default_factory=list)
    undated: list[TermView] = field(default_factory=list)
    width: int = WIDTH
    height: int = TOP + 20


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


def collect(store: GraphStore, labels: Labels) -> tuple[list[Dated], list[TermView]]:
    """Every event with its dates; events the record gives no date for, apart."""
    rows = store.select(
        "SELECT ?e (SAMPLE(?s) AS ?start) (SAMPLE(?f) AS ?end) WHERE { ?e a parley:Event . "
        "OPTIONAL { ?e schema:startDate|parley:startPeriod ?s } "
        "OPTIONAL { ?e schema:endDate|parley:endPeriod ?f } } GROUP BY ?e"
    )
    labels.fetch(r["e"] for r in rows)
    dated, undated = [], []
    for r in rows:
        start_text, end_text = lexical(r.get("start")), lexical(r.get("end"))
        start = parse_date(start_text) if start_text else None
        if start is None:
            undated.append(labels.view(r["e"]))
            continue
        end = parse_date(end_text, end=True) if end_text else None
        finish = end if end is not None and end >= start else parse_date(start_text or "", end=True)
        when = start_text or ""
        if end_text and end_text != start_text:
            when += f" – {end_text}"
        dated.append(Dated(labels.view(r["e"]), start, finish or start, when))
    dated.sort(key=lambda d: (d.start, d.end, d.event.text))
    undated.sort(key=lambda v: v.text)
    return dated, undated


def layout(dated: list[Dated], undated: list[TermView]) -> Timeline:
    """Rows, marks and axis ticks for the events."""
    timeline = Timeline(undated=undated)
    if not dated:
        return timeline
    first = date(min(d.start for d in dated).year, 1, 1)
    last = date(max(d.end for d in dated).year + 1, 1, 1)
    span = (last - first).days or 1
    inner = WIDTH - 2 * SIDE

    def x(day: date) -> float:
        return round(SIDE + inner * (day - first).days / span, 1)

    for year in range(first.year, last.year + 1):
        timeline.ticks.append(Tick(x(date(year, 1, 1)), str(year)))
    for row, item in enumerate(dated):
        left, right = x(item.start), x(item.end)
        anchor = "start" if left < WIDTH * 0.6 else "end"
        label_x = left if anchor == "start" else max(right, left)
        timeline.marks.append(
            Mark(left, TOP + row * ROW, max(right - left, 0.0), label_x, anchor, item)
        )
    timeline.height = TOP + len(dated) * ROW + 10
    return timeline
