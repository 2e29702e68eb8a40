"""The positions matrix laid out for two server-rendered SVG pictures: a heat map
(propositions by parties, each cell coloured and labelled by the stance) and a bar chart
of stances by party (how many propositions each supports and opposes).

Pure layout: coordinates and the words to draw, nothing fetched. Long labels are cut
to fit and given whole in each mark's ``<title>``; the table beside the pictures has
every word.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field

from service.pages._positions import Cell, Matrix, Party, Tally

#: Heat map geometry (SVG user units; the picture scales to its box).
LABEL_W = 280
CELL_W = 64
CELL_H = 38
#: Column labels are drawn rotated; their height and how far the last one reaches right.
HEADER_H = 160
RIGHT = 96
ROW_CHARS = 38
COLUMN_CHARS = 24
#: Bar chart geometry.
BAR_LABEL_W = 230
BAR_ROW = 40
BAR_W = 300


def cut(text: str, limit: int) -> str:
    """``text`` in at most ``limit`` characters, cut at a word with an ellipsis.

    >>> cut("Author of the article (unnamed)", 20)
    'Author of the…'
    """
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    return textwrap.shorten(text, limit, placeholder="…")


def short_name(text: str) -> str:
    """A party's label without its qualifier, for a picture's narrow column (the whole
    label is the mark's title).

    >>> short_name("'European governments' (as the article names them)")
    "'European governments'"
    >>> short_name("'Europe's elites' / 'presidents and ministers'")
    "'Europe's elites'"
    """
    for sep in (" (", " / "):
        head = text.split(sep, 1)[0].strip()
        if head:
            text = head
    return text


@dataclass(frozen=True)
class ColumnLabel:
    x: float
    y: float
    text: str
    party: Party


@dataclass(frozen=True)
class RowLabel:
    y: float
    lines: tuple[str, ...]
    text: str
    href: str


@dataclass(frozen=True)
class Square:
    x: float
    y: float
    cell: Cell
    proposition: str
    #: What the mark's ``<title>`` says, in words.
    title: str


@dataclass
class HeatMap:
    width: float
    height: float
    columns: list[ColumnLabel] = field(default_factory=list)
    rows: list[RowLabel] = field(default_factory=list)
    squares: list[Square] = field(default_factory=list)
    cell_w: int = CELL_W
    cell_h: int = CELL_H
    top: int = HEADER_H
    left: int = LABEL_W


@dataclass(frozen=True)
class Bar:
    y: float
    label: str
    tally: Tally
    supports_w: float
    opposes_w: float


@dataclass
class BarChart:
    width: float
    height: float
    bars: list[Bar] = field(default_factory=list)
    left: int = BAR_LABEL_W


def cell_title(cell: Cell, proposition: str) -> str:
    """What a cell says in words: who, which stance, on what, and the claims behind it."""
    who = cell.party.agent.text
    if not cell.stance:
        return f"{who}: no claim on “{proposition}” in the record"
    verb = {"supports": "supports", "opposes": "opposes", "both": "supports and opposes"}
    ids = ", ".join(b.ident for b in cell.claims)
    return f"{who} {verb[cell.stance]} “{proposition}” (claims {ids})"


def heat_map(matrix: Matrix) -> HeatMap:
    n = len(matrix.parties)
    picture = HeatMap(
        width=LABEL_W + n * CELL_W + RIGHT,
        height=HEADER_H + len(matrix.rows) * CELL_H + 8,
    )
    for i, party in enumerate(matrix.parties):
        x = LABEL_W + i * CELL_W + CELL_W / 2
        picture.columns.append(
            ColumnLabel(x, HEADER_H - 8, cut(short_name(party.agent.text), COLUMN_CHARS), party)
        )
    for j, row in enumerate(matrix.rows):
        y = HEADER_H + j * CELL_H
        text = row.proposition.text
        lines = textwrap.wrap(text, ROW_CHARS) or [text]
        if len(lines) > 2:
            lines = [lines[0], cut(" ".join(lines[1:]), ROW_CHARS)]
        picture.rows.append(RowLabel(y, tuple(lines), text, row.proposition.href or ""))
        for i, cell in enumerate(row.cells):
            picture.squares.append(
                Square(LABEL_W + i * CELL_W, y, cell, text, cell_title(cell, text))
            )
    return picture


def bar_chart(matrix: Matrix) -> BarChart:
    tallies = matrix.tallies
    most = max((max(t.supports, t.opposes) for t in tallies), default=0) or 1
    unit = BAR_W / most
    chart = BarChart(width=BAR_LABEL_W + BAR_W + 84, height=len(tallies) * BAR_ROW + 8)
    for k, tally in enumerate(tallies):
        chart.bars.append(
            Bar(
                k * BAR_ROW + 4,
                cut(short_name(tally.party.agent.text), 34),
                tally,
                tally.supports * unit,
                tally.opposes * unit,
            )
        )
    return chart
