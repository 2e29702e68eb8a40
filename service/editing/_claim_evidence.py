"""A claim's evidence span checked against its source's text, before the gate sees it.

The shapes check ``oa:exact == text[start:end]`` too, but their message names an
evidence node the editor never saw; here the same check answers on the field
(``exact`` or ``start``), and fills what the editor left out: the quote from the
offsets, or the offsets from a quote that occurs once (or once between its
``prefix`` and ``suffix``). Offsets are Unicode code points, end exclusive, as
Python indexes a ``str``. The prefix and suffix written are always read from the
text (up to ``CONTEXT`` code points), so they never disagree with it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from service.editing._claim_fields import Span
from service.editing._claim_results import FieldProblem
from service.rdf import Literal, NamedNode
from service.store import GraphStore

#: Code points of text kept before and after a quote (``oa:prefix`` / ``oa:suffix``).
CONTEXT = 32
#: How much of the text a message quotes.
_SHOWN = 60


@dataclass(frozen=True)
class QuotedSource:
    """A source, the graph that holds it (its claims go there too), and its text."""

    iri: NamedNode
    graph: NamedNode
    text: str


@dataclass(frozen=True)
class Evidence:
    """A span as it is written: the quote, its offsets and its context in the text."""

    exact: str
    start: int
    end: int
    prefix: str
    suffix: str


def source_text(store: GraphStore, iri: NamedNode) -> QuotedSource | None:
    """The source's graph and ``schema:text``; ``None`` when no graph holds a text for it."""
    rows = store.select(
        f"SELECT ?g ?text WHERE {{ GRAPH ?g {{ {iri} schema:text ?text }} }} LIMIT 1"
    )
    if not rows or not isinstance(rows[0].get("g"), NamedNode):
        return None
    text = rows[0]["text"]
    graph = rows[0]["g"]
    assert isinstance(graph, NamedNode)
    return QuotedSource(iri, graph, text.value if isinstance(text, Literal) else str(text))


def _shown(text: str) -> str:
    return text if len(text) <= _SHOWN else text[: _SHOWN - 1] + "…"


def _offset(value: str | None, name: str) -> int | FieldProblem | None:
    if value is None or value == "":
        return None
    if not re.fullmatch(r"\d{1,12}", value.strip()):
        return FieldProblem(name, f"{name} is an offset in the text: a whole number from 0")
    return int(value)


def resolve_span(span: Span, source: QuotedSource, n: int = 1) -> Evidence | FieldProblem:
    """The span made whole from what was given, or the problem with it, on its field.

    >>> src = QuotedSource(NamedNode("http://h/s"), NamedNode("http://h/g"), "Yes. No. Yes.")
    >>> resolve_span(Span(start="5", end="8"), src).exact
    'No.'
    >>> resolve_span(Span(exact="No."), src).start
    5
    >>> resolve_span(Span(exact="Yes."), src).field
    'start'
    >>> resolve_span(Span(exact="Yes.", suffix=" No"), src).end
    4
    >>> resolve_span(Span(exact="No!", start="5", end="8"), src).message[:29]
    'The quote is not the text at '
    """
    text, where = source.text, f" (quote {n})" if n > 1 else ""
    start, end = _offset(span.start, "start"), _offset(span.end, "end")
    for value in (start, end):
        if isinstance(value, FieldProblem):
            return value
    assert not isinstance(start, FieldProblem)
    assert not isinstance(end, FieldProblem)
    exact = span.exact
    if start is None and end is None:
        if not exact:
            return FieldProblem("exact", "Mark the quote: give its words, or start and end.")
        found = _occurrences(text, exact, span.prefix, span.suffix)
        if not found:
            return FieldProblem("exact", f"The quote{where} is not in the source's text.")
        if len(found) > 1:
            return FieldProblem(
                "start",
                f"The quote{where} occurs {len(found)} times in the source's text: "
                "give its start and end (select it in the text), or a prefix or suffix.",
            )
        start, end = found[0], found[0] + len(exact)
    if start is None or end is None:
        missing = "start" if start is None else "end"
        return FieldProblem(missing, f"Give both offsets: {missing} is missing{where}.")
    if not start < end <= len(text):
        return FieldProblem(
            "end" if start < end else "start",
            f"Offsets {start}-{end}{where} are not a stretch of the source's text "
            f"({len(text)} characters; start before end, end exclusive).",
        )
    found_text = text[start:end]
    if exact and exact != found_text:
        elsewhere = _occurrences(text, exact, None, None)
        hint = (
            f" The quote occurs at {elsewhere[0]}-{elsewhere[0] + len(exact)}."
            if len(elsewhere) == 1
            else ""
        )
        return FieldProblem(
            "exact",
            f"The quote is not the text at {start}-{end}{where} (Unicode code points, end "
            f"exclusive): the source has \u201c{_shown(found_text)}\u201d there.{hint}",
        )
    return Evidence(
        exact=found_text,
        start=start,
        end=end,
        prefix=text[max(0, start - CONTEXT) : start],
        suffix=text[end : end + CONTEXT],
    )


def _occurrences(text: str, exact: str, prefix: str | None, suffix: str | None) -> list[int]:
    """Where ``exact`` starts in ``text``, kept to those its prefix and suffix fit."""
    found, at = [], text.find(exact)
    while at >= 0:
        before, after = text[:at], text[at + len(exact) :]
        if (not prefix or before.endswith(prefix)) and (not suffix or after.startswith(suffix)):
            found.append(at)
        at = text.find(exact, at + 1)
    return found
