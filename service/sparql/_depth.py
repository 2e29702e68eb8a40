"""How deeply a SPARQL text nests, judged before any engine sees it.

Oxigraph parses, optimises and evaluates a query recursively, so a query that nests
thousands of levels overflows the stack of the process evaluating it (a segfault, no
error). Measured with pyoxigraph 0.5.13 in a thread with the default 8 MiB stack, as
the query processes run them, the smallest crashing inputs were: 830 nested
``FILTER EXISTS {``, 920 nested ``CONCAT(``, 2,200 nested ``{}``, 2,500 sub-SELECTs,
4,700 nested ``()``; and, with no nesting at all, chains that the engine turns into
deep trees: 2,600 ``MINUS`` or ``BIND`` in one group, 6,400 ``UNION`` branches,
8,000 triple patterns, 9,000 ``FILTER``s or ``+``/``&&``/``!`` operators. A chain of
1,000 ``OPTIONAL`` was still being parsed after a minute (the time limit's business).

So the measure here is a *nesting cost*: every open bracket (``{ ( [``) costs
``BRACKET_COST`` and every chained part of the group it is in (a keyword such as
``UNION``, an operator, a ``.``/``;``/``,`` between triple patterns) costs one, summed
over the groups still open; ``MAX_NESTING_COST`` caps it. The cheapest crash above
(830 ``FILTER EXISTS {``, 5 each) costs over 4,000, four times the cap; the cheapest
flat chain (2,600 ``MINUS``) over twice. Data blocks (``INSERT DATA``, ``DELETE DATA``,
``VALUES``) are flat lists in the engine (50,000 triples parse fine), so their parts are
not counted, only their brackets.

It fails closed: over-counting is allowed, under-counting is not. Brackets are counted
everywhere, inside strings, IRIs and comments too (a second lexer may disagree with the
engine about where a string starts; a bracket in a literal costs a little, a hidden
one could crash a process). Strings, IRIs and comments are lexed as Oxigraph lexes
them (comments end at ``\\n`` or ``\\r``; ``\\u`` escapes are part of a string or IRI
token, not processed before lexing), and a ``'`` inside what could be an IRI (where
the engine may read ``<`` as less-than and the ``'`` as a string's start) switches to
counting every part everywhere. For the same reason the inside of an IRI counts its
brackets and keywords, and its operators when it holds more than an IRI would.
"""

from __future__ import annotations

import re

from service.errors import QuerySyntaxError

#: What an open bracket costs: the deepest-crashing bracket construct (830 nested
#: ``FILTER EXISTS {``) uses about four times the stack of a chained part.
BRACKET_COST = 4
#: The most nesting cost a query or update may have (see the module's measurements):
#: 250 nested brackets, or 1,000 chained parts in one group, a quarter of what crashes.
MAX_NESTING_COST = 1000
#: The nested brackets the cap allows when nothing else is chained.
MAX_BRACKETS = MAX_NESTING_COST // BRACKET_COST
#: Operator characters (``/``, ``.``, ``-``, ``=``, ``&`` ...) an IRI may hold before its
#: inside is counted as code: a long IRI has a few dozen; an operator chain long enough to
#: matter, written between a ``<`` and a ``>`` the engine reads as comparisons, thousands.
IRI_OPERATORS = 64

_OPEN = "{(["
_CLOSE = "})]"
#: An IRI as Oxigraph's IRIREF reads it (``\\u`` escapes inside).
_IRI = re.compile(r"<(?:[^<>\"{}|^`\\\x00-\x20]|\\u[0-9A-Fa-f]{4}|\\U[0-9A-Fa-f]{8})*>")
#: A name, variable, prefixed name, blank node label, number or keyword; a ``.`` only
#: inside one (a trailing ``.`` ends a triple pattern); ``\\`` escapes one character. A
#: ``-`` is never part of one (``1-1-1``, a chain, is three words): ``ex:a-b`` costs one.
_WORD = re.compile(r"[?$@]?(?:[\w:%]|\\.)+(?:\.+(?:[\w:%]|\\.)+)*", re.DOTALL)
#: Keywords that chain patterns in a group (each one more level for the engine).
_CHAIN_WORDS = frozenset(
    {"UNION", "OPTIONAL", "MINUS", "FILTER", "BIND", "SERVICE", "GRAPH", "EXISTS", "SELECT"}
)
#: Keywords after which the next ``{`` group is data (a flat list in the engine).
_DATA_WORDS = frozenset({"DATA", "VALUES"})
#: Operators and separators; ``^^`` (a literal's datatype) is matched first and is free.
_OPERATOR = re.compile(r"\^\^|\|\||&&|!=|<=|>=|[!=<>+*/|^.;,-]")


class _Nesting:
    """The open groups while the text is read, and the highest cost they reached."""

    def __init__(self) -> None:
        #: Per open group: its bracket, its chained parts so far, whether it holds data.
        self.openers: list[str] = [""]
        self.chains: list[int] = [0]
        self.data: list[bool] = [False]
        self.cost = 0
        self.highest = 0

    def open(self, bracket: str, *, data: bool = False) -> None:
        self.openers.append(bracket)
        self.chains.append(0)
        self.data.append(self.data[-1] or data)
        self.cost += BRACKET_COST
        self.highest = max(self.highest, self.cost)

    def close(self) -> None:
        if len(self.openers) > 1:  # a stray closer never lowers the count below zero
            self.openers.pop()
            self.data.pop()
            self.cost -= BRACKET_COST + self.chains.pop()

    def chain(self, part: str) -> None:
        """One more part chained in the innermost group (not in data, nor a ``,`` between
        a function's arguments or an ``IN`` list's members)."""
        if self.data[-1] or (part == "," and self.openers[-1] == "("):
            return
        self.chains[-1] += 1
        self.cost += 1
        self.highest = max(self.highest, self.cost)

    def brackets_in(self, text: str, start: int, end: int) -> None:
        """Count the brackets of ``text[start:end]`` (a string, an IRI or a comment)."""
        for char in text[start:end]:
            if char in _OPEN:
                self.open(char)
            elif char in _CLOSE:
                self.close()


def nesting_cost(text: str) -> int:
    """The highest nesting cost reached anywhere in ``text`` (see the module's docstring).

    >>> nesting_cost("SELECT * WHERE { ?s ?p ?o }")
    6
    >>> nesting_cost("ASK {" + "{" * 300 + "}" * 301) > MAX_NESTING_COST
    True
    >>> nesting_cost('ASK { FILTER(?x = "((((((((((") }')  # brackets count even in strings
    50
    """
    nesting = _Nesting()
    _read(text, 0, len(text), nesting, skip_literals=not _iri_may_hide_a_string(text))
    return nesting.highest


def _read(
    text: str,
    start: int,
    end: int,
    nesting: _Nesting,
    *,
    skip_literals: bool,
    in_iri: bool = False,
    operators: bool = True,
) -> None:
    """Count ``text[start:end]`` into ``nesting``: as code, or (``in_iri``) as the inside
    of something that reads as an IRI, which the engine may read as code where its ``<``
    is less-than (``FILTER(?a<1+1+…)FILTER(?b>0)``): there brackets and keywords count,
    and operators too when there are more of them than an IRI has (``operators``)."""
    data_next = False
    i = start
    while i < end:
        char = text[i]
        if char in _OPEN:
            nesting.open(char, data=char == "{" and data_next)
            if char == "{":  # ``VALUES (?a ?b) {``: the data is the group after the names
                data_next = False
            i += 1
        elif char in _CLOSE:
            nesting.close()
            i += 1
        elif char == "#" and skip_literals:
            stop = _line_end(text, i)
            nesting.brackets_in(text, i, stop)
            i = stop
        elif char in "\"'" and skip_literals:
            stop = _string_end(text, i)
            nesting.brackets_in(text, i, stop)
            i = stop
        elif char == "<" and not in_iri and (iri := _IRI.match(text, i)) is not None:
            inside = text[i + 1 : iri.end() - 1]
            many = len(_OPERATOR.findall(inside)) > IRI_OPERATORS
            _read(
                text,
                i + 1,
                iri.end() - 1,
                nesting,
                skip_literals=False,
                in_iri=True,
                operators=many,
            )
            i = iri.end()
        elif (word := _WORD.match(text, i, end)) is not None:
            upper = word.group().upper()
            if upper in _DATA_WORDS:
                data_next = True
            elif upper in _CHAIN_WORDS:
                nesting.chain(upper)
            i = word.end()
        elif (operator := _OPERATOR.match(text, i, end)) is not None:
            if operator.group() != "^^" and operators:
                nesting.chain(operator.group())
            i = operator.end()
        else:
            i += 1


def _iri_may_hide_a_string(text: str) -> bool:
    """True when a ``'`` stands inside something that reads as an IRI: the engine may
    read its ``<`` as less-than and the ``'`` as the start of a string."""
    return any("'" in iri.group() for iri in _IRI.finditer(text))


def _line_end(text: str, start: int) -> int:
    """Where the comment at ``start`` ends: at a line feed or a carriage return."""
    stops = [at for at in (text.find("\n", start), text.find("\r", start)) if at >= 0]
    return min(stops) if stops else len(text)


def _string_end(text: str, start: int) -> int:
    """Just past the string literal at ``start`` (``"``, ``'``, or tripled); the end of
    the text when it is not closed. A backslash escapes the next character."""
    quote = text[start] * 3 if text.startswith(text[start] * 3, start) else text[start]
    i = start + len(quote)
    while i < len(text):
        if text[i] == "\\":
            i += 2
        elif text.startswith(quote, i):
            return i + len(quote)
        elif len(quote) == 1 and text[i] in "\r\n":  # a short string ends at its line
            return i
        else:
            i += 1
    return len(text)


def check_nesting(text: str, what: str) -> None:
    """Refuse ``text`` (a query or update) when it nests past ``MAX_NESTING_COST``.

    :raises QuerySyntaxError: 400, with the limit in its detail.
    """
    cost = nesting_cost(text)
    if cost > MAX_NESTING_COST:
        raise QuerySyntaxError(
            f"the {what} nests too deeply for Parley to evaluate safely: its nesting cost is "
            f"{cost}, the limit is {MAX_NESTING_COST} (at most {MAX_BRACKETS} nested "
            "brackets, or 1,000 parts chained in one group by UNION, OPTIONAL, MINUS, "
            "FILTER, BIND, operators or '.' between triple patterns); split it or flatten it",
            nestingCost=cost,
            nestingLimit=MAX_NESTING_COST,
        )
