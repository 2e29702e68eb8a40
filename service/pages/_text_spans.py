"""A source's text cut into segments, each knowing which claim spans cover it.

Spans may overlap or nest (reported speech: "Even Western analysts, Putin
says, are beginning to suggest..." holds two claims), so the text is cut at
every span boundary; each segment carries the spans that cover it, and the
spans that start there. Offsets are Unicode code points, end exclusive, as in
the evidence spans' ``oa:TextPositionSelector`` (Python indexes strings the
same way). Pure.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Mark:
    """A small mark on a span: one verdict of its claim ("±" for "accuracy: contested")."""

    glyph: str
    #: What the mark means, in words ("accuracy: contested"), for a tooltip and screen readers.
    text: str
    #: The verdict's tone (``service.pages._verdicts.LOOKS``), which ``parley.css`` colours.
    tone: str


@dataclass(frozen=True)
class Span:
    """One highlighted stretch of the text, linked to what it stands for."""

    start: int
    end: int
    href: str
    #: A short name shown at the span's start ("C50").
    tag: str
    #: The full description, for a tooltip and for screen readers.
    title: str
    #: Who says it (the claimant's name), shown with the span, never by colour alone.
    who: str = ""
    #: The claimant's colour in the legend (``who-0``, ``who-1``...); -1 for none.
    colour: int = -1
    #: The claim's verdict marks.
    marks: tuple[Mark, ...] = ()


@dataclass
class Segment:
    text: str
    #: Spans covering this segment, the innermost (shortest) first.
    covering: list[Span] = field(default_factory=list)
    #: Spans that begin at this segment.
    starting: list[Span] = field(default_factory=list)
    #: Where the segment begins in the whole text (code points): a page marks a paragraph
    #: with its first segment's, so a selection's offsets are counted in the text.
    start: int = 0

    @property
    def innermost(self) -> Span | None:
        return self.covering[0] if self.covering else None


def segments(
    text: str, spans: list[Span], *, start: int = 0, end: int | None = None
) -> list[Segment]:
    """Cut ``text[start:end]`` at every boundary of ``spans``.

    >>> s = [Span(0, 5, "/a", "A", "a"), Span(3, 8, "/b", "B", "b")]
    >>> [(x.text, [c.tag for c in x.covering]) for x in segments("abcdefghij", s)]
    [('abc', ['A']), ('de', ['A', 'B']), ('fgh', ['B']), ('ij', [])]
    """
    stop = len(text) if end is None else min(end, len(text))
    # Only the spans that reach into the stretch: a page of a long text is cut from it.
    valid = [
        s for s in spans if 0 <= s.start < s.end <= len(text) and s.start < stop and s.end > start
    ]
    cuts = {start, stop}
    for s in valid:
        cuts.update(c for c in (s.start, s.end) if start < c < stop)
    ordered = sorted(cuts)
    out = []
    for left, right in itertools.pairwise(ordered):
        covering = sorted(
            (s for s in valid if s.start <= left and s.end >= right),
            key=lambda s: (s.end - s.start, s.tag),
        )
        starting = sorted((s for s in valid if s.start == left), key=lambda s: s.tag)
        out.append(Segment(text[left:right], covering, starting, left))
    return out


def paragraphs(
    text: str, spans: list[Span], start: int = 0, end: int | None = None
) -> list[list[Segment]]:
    """Segments grouped into the text's paragraphs (one per line), of ``[start, end)``.

    >>> [[x.text for x in p] for p in paragraphs("ab\\ncd", [Span(1, 4, "/a", "A", "a")])]
    [['a', 'b'], ['c', 'd']]
    >>> [[x.text for x in p] for p in paragraphs("ab\\ncd", [], start=1, end=4)]
    [['b'], ['c']]
    """
    stop = len(text) if end is None else end
    out: list[list[Segment]] = []
    offset = 0
    for line in text.split("\n"):
        left, right = max(offset, start), min(offset + len(line), stop)
        if left < right and text[left:right].strip():
            out.append(segments(text, spans, start=left, end=right))
        offset += len(line) + 1
    return out


def window(text: str, start: int, end: int, *, context: int = 280) -> tuple[int, int]:
    """A stretch of ``text`` around ``[start, end)``, widened to word boundaries.

    >>> window("one two three four five", 8, 13, context=4)
    (4, 18)
    """
    left = max(0, start - context)
    right = min(len(text), end + context)
    while left > 0 and not text[left - 1].isspace():
        left -= 1
    while right < len(text) and not text[right].isspace():
        right += 1
    return left, right
