"""The timeline's pictures: events as bars and dots, and under them when claims were made.

Time runs left to right as a share of the picture's width, so the pictures fit a
phone as a laptop with their text at its own size (``_svg``). Each event has its
own row, its label on a line above its mark: a bar from start to end, a dot for a
single day, and a bar fading into the right edge, "no end recorded" under it, for an
event with a start and no end. Under the events, one row per source of claims
(its publication date or window) and per public statement claims were stated in,
and one row of ticks for the reference sources' publication dates; the claims'
sources are also drawn as a band across the whole picture, so what happened
before and after the claims were made reads at a glance.

The whole record spans years and the talks a few weeks, so when the record spans
more than two years a second picture draws its latest year by month.

Labels have two forms, chosen by CSS: on a wide screen beside the mark, on a
narrow one from the left edge, cut shorter.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING

from markupsafe import Markup

from service.pages._svg import element, fit, group, link, num, pct, picture

if TYPE_CHECKING:
    from service.pages._timeline import ClaimDate, Dated, TimelinePage

#: Said of an event with a start and no recorded end.
OPEN_END = "no end recorded"
#: The margin left and right of the axis, in per cent of the width.
PAD = 1.0
#: Where an open event's bar stops (the right edge, less the margin).
EDGE = 100 - PAD
ROW = 38
#: The extra height of a row with the note "no end recorded" under its bar.
NOTE = 14
HEAD = 30
AXIS = 26
#: Labels are cut to these many characters: beside the mark, and on a phone.
WIDE, NARROW = 90, 50
#: A label beside its mark starts at the mark up to here, and ends at it further right.
LEFT_HALF = 55.0
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass(frozen=True)
class Window:
    """The span a picture draws, first day included, last excluded."""

    first: date
    last: date

    def x(self, day: date) -> float:
        """Where a day falls, in per cent of the width (clamped to the axis)."""
        share = (day - self.first).days / max((self.last - self.first).days, 1)
        return PAD + (100 - 2 * PAD) * min(max(share, 0.0), 1.0)

    def holds(self, item: Dated) -> bool:
        """The item starts or ends inside the window."""
        ends = [item.start] if item.end is None else [item.start, item.end]
        return any(self.first <= day < self.last for day in ends)


def draw_pictures(page: TimelinePage) -> list[Markup]:
    """The whole record by year; and its latest year by month when it spans more than two."""
    days = [d for e in page.events for d in (e.start, e.last)]
    days += [d for c in page.claim_dates for d in (c.dated.start, c.dated.last)]
    days += [day for day, _, _ in page.references]
    if not page.events:
        return []
    whole = Window(date(min(days).year, 1, 1), date(max(days).year + 1, 1, 1))
    pictures = [_draw(page, whole, "tl-all", by_month=False)]
    if whole.last.year - whole.first.year > 2:
        latest = max((c.dated.last for c in page.claim_dates), default=max(days))
        zoom = Window(date(latest.year, 1, 1), date(latest.year + 1, 1, 1))
        pictures.append(_draw(page, zoom, "tl-year", by_month=True))
    return pictures


def _draw(page: TimelinePage, window: Window, ident: str, *, by_month: bool) -> Markup:
    events = [e for e in page.events if not by_month or window.holds(e)]
    claims = [c for c in page.claim_dates if not by_month or window.holds(c.dated)]
    references = [r for r in page.references if window.first <= r[0] < window.last]
    y = AXIS
    heading = f"Events of {window.first.year}, by month" if by_month else "Events, by year"
    rows: list[Markup] = [_heading(heading, y)]
    y += HEAD
    for event in events:
        rows.append(_row(window, event, y, title=f"{event.item.text}: {event.when}"))
        y += ROW + (NOTE if event.end is None else 0)
    rows.append(_heading("When claims were made, sources published", y))
    y += HEAD
    for claim in claims:
        rows.append(_row(window, claim.dated, y, title=claim.text, label=claim.text, css="claim"))
        y += ROW + (NOTE if claim.dated.end is None else 0)
    if references:
        rows.append(_references(window, references, y))
        y += ROW
    height = y + 6
    bands = [_band(window, c.dated, height) for c in claims if c.relation == "appear in"]
    span = f"{window.first.year}" if by_month else f"{window.first.year}–{window.last.year - 1}"
    title = (
        f"Timeline of {span}: {len(events)} events, and when the claims were made"
        if not by_month
        else f"{span} by month: {len(events)} events, and when the claims were made"
    )
    body = [
        *([_defs()] if not by_month else []),
        _ticks(window, height, by_month=by_month),
        *bands,
        *rows,
    ]
    return picture(
        ident, height=height, title=title, desc=_desc(events, claims), body=body, css="timeline-svg"
    )


def _desc(events: list[Dated], claims: list[ClaimDate]) -> str:
    bars = sum(1 for e in events if e.end is not None and not e.instant)
    dots = sum(1 for e in events if e.instant)
    open_ = sum(1 for e in events if e.end is None)
    made = "; ".join(f"{c.text} ({c.dated.when})" for c in claims) or "no dated claims"
    return (
        f"{bars} events drawn as bars from start to end, {dots} single days as dots, "
        f"{open_} with a start and {OPEN_END} as bars to the right edge. "
        f"When the claims were made: {made}. The same dates are listed in the tables below."
    )


def _defs() -> Markup:
    """The fade of an open event's bar (the other picture on the page uses it too)."""
    stops = [
        element("stop", {"offset": "0", "stop-color": "#0b5cad"}),
        element("stop", {"offset": "1", "stop-color": "#0b5cad", "stop-opacity": "0.12"}),
    ]
    return element("defs", None, element("linearGradient", {"id": "tl-fade"}, *stops))


def _heading(text: str, y: float) -> Markup:
    return element("text", {"x": pct(PAD), "y": num(y + 20), "class": "section-label"}, text)


def _ticks(window: Window, height: float, *, by_month: bool) -> Markup:
    """A line at the start of each year (or month), its name centred on its span."""
    marks: list[Markup] = []
    starts = _months(window) if by_month else _years(window)
    for i, (start, name) in enumerate(starts):
        end = starts[i + 1][0] if i + 1 < len(starts) else window.last
        x = window.x(start)
        marks.append(
            element(
                "line",
                {"x1": pct(x), "x2": pct(x), "y1": "20", "y2": num(height), "class": "tick"},
            )
        )
        # Every other name is left out on a phone, where they would touch.
        css = "tick-label minor" if i % 2 else "tick-label"
        middle = (x + window.x(end)) / 2
        attrs = {"x": pct(middle), "y": "14", "text-anchor": "middle", "class": css}
        marks.append(element("text", attrs, name))
    return group(marks, {"class": "axis"})


def _years(window: Window) -> list[tuple[date, str]]:
    return [(date(y, 1, 1), str(y)) for y in range(window.first.year, window.last.year)]


def _months(window: Window) -> list[tuple[date, str]]:
    months, day = [], window.first
    while day < window.last:
        months.append((day, MONTHS[day.month - 1]))
        day = date(day.year + day.month // 12, day.month % 12 + 1, 1)
    return months


def _row(
    window: Window,
    item: Dated,
    y: float,
    *,
    title: str,
    label: str | None = None,
    css: str = "event",
) -> Markup:
    """One row: the label on its own line, and under it the bar or the dot."""
    text = label or item.item.text
    left = window.x(item.start)
    right = EDGE if item.end is None else window.x(item.last + timedelta(days=1))
    marks: list[Markup] = []
    if item.instant:
        attrs = {"cx": pct(left), "cy": num(y + 26), "r": "6", "class": f"dot {css}"}
        marks.append(element("circle", attrs))
    else:
        kind = "bar open" if item.end is None else "bar"
        attrs = {
            "x": pct(left),
            "y": num(y + 20),
            "width": pct(max(right - left, 0.0)),
            "height": "12",
            "rx": "3",
            "class": f"{kind} {css}",
        }
        marks.append(element("rect", attrs))
    if item.end is None:
        # Under the bar, so that it never hides a short one.
        note = {"x": pct(EDGE), "y": num(y + 46), "text-anchor": "end", "class": "open-note"}
        marks.append(element("text", note, OPEN_END))
    if left <= LEFT_HALF:
        beside = {"x": pct(left), "text-anchor": "start"}
    else:
        beside = {"x": pct(right), "text-anchor": "end"}
    marks.append(
        element("text", {**beside, "y": num(y + 14), "class": "mark-label wide"}, fit(text, WIDE))
    )
    narrow = {"x": pct(PAD), "y": num(y + 14), "class": "mark-label narrow"}
    marks.append(element("text", narrow, fit(text, NARROW)))
    return link(item.item.href, marks, title)


def _band(window: Window, item: Dated, height: float) -> Markup:
    """The days a source of claims was published in, across the whole picture."""
    left = window.x(item.start)
    right = window.x(item.last + timedelta(days=1))
    attrs = {
        "x": pct(left),
        "y": "20",
        "width": pct(max(right - left, 0.0)),
        "height": num(height - 20),
        "class": "claim-band",
    }
    return element("rect", attrs)


def _references(window: Window, references: list[tuple[date, str, int]], y: float) -> Markup:
    """One tick per publication date of the reference sources."""
    total = sum(n for _, _, n in references)
    text = f"{total} reference sources, by publication date"
    marks: list[Markup] = [
        element("text", {"x": pct(PAD), "y": num(y + 14), "class": "mark-label"}, text)
    ]
    for day, recorded, count in references:
        x = pct(window.x(day))
        tick = element(
            "line", {"x1": x, "x2": x, "y1": num(y + 19), "y2": num(y + 33), "class": "ref-tick"}
        )
        noun = "source" if count == 1 else "sources"
        marks.append(link(None, [tick], f"{count} reference {noun} published {recorded}"))
    return group(marks, {"class": "references"})
