"""Lexical facts about SPARQL text, found without a full parser.

pyoxigraph evaluates a query string and exposes no parsed form, yet the
protocol layer must know a few things before evaluation: whether the query
names its own dataset (``FROM``/``FROM NAMED``, which protocol parameters
override and Parley's union default must not), which form it is, and which
remote IRIs ``SERVICE`` and ``LOAD`` would fetch. A tokenizer that skips
strings, IRIs and comments answers these exactly: the keywords cannot occur
anywhere else as bare words.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

_TOKEN = re.compile(
    r"""
    (?P<comment>\#[^\n]*)
  | (?P<string>'''(?:[^'\\]|\\.|'(?!''))*'''|\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"
              |'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*")
  | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
  | (?P<var>[?$][A-Za-z0-9_\u00b7\u00c0-\uffff]+)
  | (?P<word>[A-Za-z_][A-Za-z0-9_\-]*(?::[^\s{}()\[\];,]*)?|:[^\s{}()\[\];,]*)
  | (?P<punct>[{}();,.\[\]])
  | (?P<space>\s+)
  | (?P<other>.)
    """,
    re.VERBOSE | re.DOTALL,
)


@dataclass(frozen=True)
class Token:
    kind: str
    text: str
    position: int


def tokens(text: str) -> Iterator[Token]:
    """Tokens of SPARQL text, without whitespace and comments.

    >>> [t.text for t in tokens('SELECT * FROM <x> # FROM\\nWHERE { ?s "FROM" ?o }')]
    ['SELECT', '*', 'FROM', '<x>', 'WHERE', '{', '?s', '"FROM"', '?o', '}']
    """
    for match in _TOKEN.finditer(text):
        kind = match.lastgroup or "other"
        if kind in ("space", "comment"):
            continue
        yield Token(kind, match.group(), match.start())


@lru_cache(maxsize=64)
def token_list(text: str) -> tuple[Token, ...]:
    """``tokens`` as a tuple, cached: a request asks several questions of one text."""
    return tuple(tokens(text))


def _keywords(text: str) -> Iterator[tuple[str, Token]]:
    for token in token_list(text):
        if token.kind == "word" and ":" not in token.text:
            yield token.text.upper(), token


def has_dataset_clause(query: str) -> bool:
    """True if a query names its dataset with FROM or FROM NAMED.

    >>> has_dataset_clause("SELECT * FROM <http://g> WHERE { ?s ?p ?o }")
    True
    >>> has_dataset_clause('SELECT * WHERE { ?s <http://ex/FROM> "FROM" } # FROM')
    False
    """
    if "from" not in query.lower():  # most queries: no tokenising at all
        return False
    return any(word == "FROM" for word, _ in _keywords(query))


def query_form(query: str) -> str | None:
    """The form of a query: SELECT, ASK, CONSTRUCT or DESCRIBE (``None`` if none found).

    >>> query_form("PREFIX a: <http://a#> ASK { ?s ?p ?o }")
    'ASK'
    """
    for token in tokens(query):  # lazily: the form follows the prologue
        word = token.text.upper() if token.kind == "word" else ""
        if word in ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE"):
            return word
    return None


def update_has_using_or_with(update: str) -> bool:
    """True if an update names its dataset with USING, USING NAMED or WITH.

    >>> update_has_using_or_with("WITH <g> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }")
    True
    >>> update_has_using_or_with("INSERT DATA { <a> <b> 'USING' }")
    False
    """
    lowered = update.lower()
    if "using" not in lowered and "with" not in lowered:
        return False
    return any(word in ("USING", "WITH") for word, _ in _keywords(update))


def remote_iris(text: str) -> list[str]:
    """The IRIs that ``SERVICE`` and ``LOAD`` in a query or update would fetch.

    A variable after SERVICE is reported as ``?var`` (it could be anything).

    >>> remote_iris("SELECT * { SERVICE SILENT <http://x/sparql> { ?s ?p ?o } }")
    ['http://x/sparql']
    >>> remote_iris("LOAD <http://a/b.ttl> INTO GRAPH <g>")
    ['http://a/b.ttl']
    >>> remote_iris("PREFIX e: <http://e/> SELECT * { SERVICE e:s { } }")
    ['http://e/s']
    """
    lowered = text.lower()
    if "service" not in lowered and "load" not in lowered:  # most requests: nothing to fetch
        return []
    prefixes: dict[str, str] = {}
    found: list[str] = []
    toks = token_list(text)
    for i, tok in enumerate(toks):
        word = tok.text.upper() if tok.kind == "word" else ""
        if word == "PREFIX" and i + 2 < len(toks) and toks[i + 2].kind == "iri":
            prefixes[toks[i + 1].text.rstrip(":")] = toks[i + 2].text[1:-1]
        if word not in ("SERVICE", "LOAD"):
            continue
        j = i + 1
        if j < len(toks) and toks[j].text.upper() == "SILENT":
            j += 1
        if j >= len(toks):
            continue
        target = toks[j]
        if target.kind == "iri":
            found.append(target.text[1:-1])
        elif target.kind == "var":
            found.append(target.text)
        elif target.kind == "word" and ":" in target.text:
            prefix, local = target.text.split(":", 1)
            found.append(prefixes.get(prefix, prefix + ":") + local)
    return found
