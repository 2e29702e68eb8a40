"""A SPARQL syntax error as a person can read it.

Oxigraph's parser (a PEG) reports what it expected at the furthest point it reached:
``error at 1:38: expected one of "$", "(", ['A' ..= 'Z' | 'a' ..= 'z' | '\\u{00C0}'..=…], [_]``.
The position is right, but the list reads as a dump of the grammar, and where the
engine found a semantic fault ("The SELECT contains a variable that is unbound") the
cause hides among the tokens. ``readable_syntax_error`` keeps the position, shows the
text found there, names the cause when the engine gave one, and folds character classes
into "a name".
"""

from __future__ import annotations

import re

_ENGINE = re.compile(r"^error at (\d+):(\d+): expected (?:one of )?(.*)$", re.DOTALL)
#: A character class of the grammar, possibly spanning lines: ``['A' ..= 'Z' | …]``.
_CLASS = re.compile(r"\['(?:[^\]]|\](?!,|$))*?\]", re.DOTALL)
#: The most alternatives listed before "…".
_MAX_LISTED = 8
#: How much of the text after the error position is shown.
_NEAR = 24


def readable_syntax_error(
    message: str, text: str, what: str = "query"
) -> tuple[str, dict[str, int]]:
    """The message and the position (``line``, ``column``) of an engine's syntax error.

    >>> readable_syntax_error(
    ...     "error at 1:47: expected one of The SELECT contains a variable that is unbound, [_]",
    ...     "SELECT (COUNT(?x) AS ?c) ?y WHERE { ?x ?y ?z }")[0]
    'the query does not parse at line 1, column 47 (at the end of the text): The SELECT \
contains a variable that is unbound'
    >>> readable_syntax_error(
    ...     "error at 1:38: expected one of \\"$\\", \\"(\\", ['A' ..= 'Z' | 'a' ..= 'z'], [_]",
    ...     "SELECT ?x WHERE { ?x ?y ?z } GROUP BY")[0]
    'the query does not parse at line 1, column 38 (at the end of the text): expected one \
of "$", "(" or a name'
    >>> readable_syntax_error("something else", "")
    ('the query does not parse: something else', {})
    """
    match = _ENGINE.match(message.strip())
    if match is None:
        return f"the {what} does not parse: {message}", {}
    line, column = int(match.group(1)), int(match.group(2))
    causes, tokens = _alternatives(match.group(3))
    near = _near(text, line, column)
    where = f"the {what} does not parse at line {line}, column {column} ({near})"
    if causes:
        return f"{where}: {'; '.join(causes)}", {"line": line, "column": column}
    if not tokens:
        return where, {"line": line, "column": column}
    if len(tokens) == 1:
        expected = f"expected {tokens[0]}"
    elif len(tokens) > _MAX_LISTED:
        expected = f"expected one of {', '.join(tokens[:_MAX_LISTED])}, …"
    else:
        expected = f"expected one of {', '.join(tokens[:-1])} or {tokens[-1]}"
    return f"{where}: {expected}", {"line": line, "column": column}


def _alternatives(listed: str) -> tuple[list[str], list[str]]:
    """The engine's sentences (causes) and the grammar's tokens, character classes folded."""
    has_class = bool(_CLASS.search(listed))
    folded = _CLASS.sub("", listed)
    causes: list[str] = []
    tokens: list[str] = []
    for item in (part.strip() for part in folded.split(", ")):
        if not item or item == "[_]":
            continue
        if " " in item and item[0].isupper() and not item.startswith('"'):
            causes.append(item)
        else:
            tokens.append(item)
    if has_class:
        tokens.append("a name")
    return causes, tokens


def _near(text: str, line: int, column: int) -> str:
    lines = text.split("\n")
    if not 1 <= line <= len(lines):
        return "at the end of the text"
    rest = lines[line - 1][max(column - 1, 0) :].strip()
    if not rest:
        return "at the end of the text" if line == len(lines) else "at the end of the line"
    shown = rest if len(rest) <= _NEAR else rest[:_NEAR] + "…"
    return f'near "{shown}"'
