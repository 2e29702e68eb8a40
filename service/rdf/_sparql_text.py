"""Lexical facts about SPARQL text, found without a full parser.

pyoxigraph evaluates a query string and exposes no parsed form, yet the
protocol layer must know a few things before evaluation: whether the query
names its own dataset (``FROM``/``FROM NAMED``, which protocol parameters
override and Parley's union default must not), which form it is, and where
each operation of an update sits in its text. A tokenizer that skips strings, IRIs and
comments answers these exactly: the keywords cannot occur anywhere else as bare
words. It lexes as Oxigraph does: a comment ends at a carriage return as well
as at a line feed, and an IRI may hold ``\\u``/``\\U`` codepoint escapes.

Whether a text can make the server fetch a URL (``SERVICE``, ``LOAD``) is not
decided here but by a real parser (``service.sparql._outbound``), which uses
``unescape_codepoints`` and ``has_codepoint_escapes``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

_TOKEN = re.compile(
    r"""
    (?P<comment>\#[^\r\n]*)
  | (?P<string>'''(?:[^'\\]|\\.|'(?!''))*'''|\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"
              |'(?:[^'\\\n\r]|\\.)*'|"(?:[^"\\\n\r]|\\.)*")
  | (?P<iri><(?:[^<>"{}|^`\\\x00-\x20]|\\u[0-9A-Fa-f]{4}|\\U[0-9A-Fa-f]{8})*>)
  | (?P<var>[?$][A-Za-z0-9_\u00b7\u00c0-\uffff]+)
  | (?P<word>[A-Za-z_][A-Za-z0-9_\-]*(?::(?:\\.|[^\s{}()\[\];,\\])*)?|:(?:\\.|[^\s{}()\[\];,\\])*)
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


def select_star(query: str) -> int | None:
    """Where the ``*`` of the query's own ``SELECT *`` stands (a subquery's is not it:
    the query's SELECT comes first), or ``None``.

    >>> select_star("PREFIX a: <x> SELECT DISTINCT * WHERE { { SELECT ?b {} } }")
    30
    >>> select_star("SELECT ?a WHERE { { SELECT * {} } }") is None
    True
    """
    seen = list(_keywords_and_stars(query))
    for i, token in enumerate(seen):
        if token.text.upper() != "SELECT":
            continue
        after = seen[i + 1 : i + 3]
        if after and after[0].text.upper() in ("DISTINCT", "REDUCED"):
            after = after[1:]
        return after[0].position if after and after[0].text == "*" else None
    return None


def _keywords_and_stars(query: str) -> Iterator[Token]:
    for token in token_list(query):
        if (token.kind == "word" and ":" not in token.text) or token.text == "*":
            yield token


def in_order_of_appearance(query: str, names: list[str]) -> list[str]:
    """``names`` (of variables) in the order they first appear in the query's text.

    >>> in_order_of_appearance("SELECT * { ?s ?p $o }", ["o", "p", "s"])
    ['s', 'p', 'o']
    """
    first: dict[str, int] = {}
    for token in token_list(query):
        if token.kind == "var":
            first.setdefault(token.text[1:], token.position)
    return sorted(names, key=lambda name: first.get(name, len(query)))


def star_in_written_order(query: str, names: list[str]) -> str | None:
    """The query with its ``SELECT *`` replaced by ``names`` in the order they are
    written in, or ``None`` when it has no ``SELECT *`` or the order is already that.

    >>> star_in_written_order("SELECT * { ?s ?p ?o }", ["o", "p", "s"])
    'SELECT ?s ?p ?o { ?s ?p ?o }'
    """
    if "*" not in query:  # most queries (every query a page asks): no tokenising at all
        return None
    star = select_star(query)
    ordered = in_order_of_appearance(query, names)
    if star is None or not ordered or ordered == names:
        return None
    return f"{query[:star]}{' '.join('?' + name for name in ordered)}{query[star + 1 :]}"


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


def leading_base(query: str) -> int:
    """Where the ``BASE`` declarations that open a query end (0 when it opens with none):
    a store whose parser wants every ``BASE`` before any ``PREFIX`` (Virtuoso) gets the
    client's own first, then Parley's prefixes, then the rest of the query.

    >>> q = "# c\\nBASE <http://a/> BASE <b/> PREFIX p: <x> SELECT * {}"
    >>> q[: leading_base(q)]
    '# c\\nBASE <http://a/> BASE <b/>'
    >>> leading_base("PREFIX p: <x> BASE <y> SELECT * {}")
    0
    """
    end, expect_iri = 0, False
    for token in tokens(query):
        if expect_iri:
            if token.kind != "iri":
                return end
            end, expect_iri = token.position + len(token.text), False
        elif token.kind == "word" and token.text.upper() == "BASE":
            expect_iri = True
        else:
            break
    return end


#: A prefixed name (SPARQL 1.1 §19.8, PNAME_LN), its prefix and local part; letters and
#: digits as Python's ``\w`` reads them.
_PN_CHARS = r"[\w\-\u00b7\u0300-\u036f\u203f\u2040]"
_PLX = r"%[0-9A-Fa-f]{2}|\\[_~.\-!$&'()*+,;=/?#@%]"
_PNAME = re.compile(
    rf"(?P<prefix>(?:[^\W\d_](?:(?:{_PN_CHARS}|\.)*{_PN_CHARS})?)?):"
    rf"(?P<local>(?:[\w:]|{_PLX})(?:(?:{_PN_CHARS}|[.:]|{_PLX})*(?:{_PN_CHARS}|:|{_PLX}))?)"
)
_LOCAL_ESCAPE = re.compile(r"\\(.)")


def without_local_escapes(text: str) -> str:
    r"""``text`` with each prefixed name that holds a backslash escape (SPARQL's
    ``PN_LOCAL_ESC``: ``id:source\/article``) written as the IRI it stands for, for a
    store whose parser refuses those escapes (Virtuoso 7). The prefixes are the text's
    own, each from its declaration on; a name of an undeclared prefix is left as it is,
    and so are strings, IRIs and comments. Lines and the columns before a rewritten
    name stay where they were.

    >>> without_local_escapes(
    ...     r"PREFIX id: <http://a/id/> SELECT * { id:s\/x id:p\(1\)/id:q 'id:a\/b' . }")
    "PREFIX id: <http://a/id/> SELECT * { <http://a/id/s/x> <http://a/id/p(1)>/id:q 'id:a\\/b' . }"
    >>> without_local_escapes(r"SELECT * { ?s ?p un:known\/x }")
    'SELECT * { ?s ?p un:known\\/x }'
    """
    if "\\" not in text:
        return text
    prefixes: dict[str, str] = {}
    found = list(tokens(text))
    parts: list[str] = []
    end = 0
    for i, token in enumerate(found):
        if token.kind != "word":
            continue
        if token.text.upper() == "PREFIX" and i + 2 < len(found):
            name, iri = found[i + 1], found[i + 2]
            if name.text.endswith(":") and iri.kind == "iri":
                prefixes[name.text[:-1]] = iri.text[1:-1]
            continue
        if "\\" not in token.text:
            continue
        for match in _PNAME.finditer(token.text):
            namespace = prefixes.get(match.group("prefix"))
            if namespace is None or "\\" not in match.group("local"):
                continue
            local = _LOCAL_ESCAPE.sub(r"\1", match.group("local"))
            parts += [text[end : token.position + match.start()], f"<{namespace}{local}>"]
            end = token.position + match.end()
    return "".join(parts) + text[end:] if parts else text


#: SPARQL's functions whose value is a boolean (§17.4).
_BOOLEAN_FUNCTIONS = frozenset(
    {"BOUND", "ISIRI", "ISURI", "ISBLANK", "ISLITERAL", "ISNUMERIC", "SAMETERM", "REGEX"}
    | {"CONTAINS", "STRSTARTS", "STRENDS", "LANGMATCHES", "ISTRIPLE"}
)
#: Operator characters whose expression is a boolean: comparisons, ``&&``, ``||``, ``!``.
_BOOLEAN_OPERATORS = frozenset("=<>&|!")


def boolean_bindings(query: str) -> set[str]:
    """The variables a query binds (``BIND(e AS ?v)``, ``SELECT (e AS ?v)``) only to
    expressions whose value is a boolean by their form: ``EXISTS``, a comparison, ``&&``,
    ``||``, ``!``, ``IN``, a boolean function, ``true``/``false``. For a store that answers
    such a value as the number 1 or 0 (Virtuoso 7): Parley gives it back as the boolean.

    >>> sorted(boolean_bindings(
    ...     "SELECT ?a (COUNT(?x) > 1 AS ?many) (IF(?a, 1, 0) AS ?n) WHERE { "
    ...     "BIND(EXISTS { ?x a ?t } AS ?a) BIND(isIRI(?x) AS ?i) BIND(STRLEN(?s) AS ?l) }"))
    ['a', 'i', 'many']
    >>> boolean_bindings("SELECT * { { BIND(true AS ?v) } UNION { BIND(2 AS ?v) } }")
    set()
    """
    if "as" not in query.lower():  # most queries: no tokenising at all
        return set()
    found = token_list(query)
    verdicts: dict[str, bool] = {}
    for i, token in enumerate(found):
        if token.kind != "word" or token.text.upper() != "AS" or i + 1 >= len(found):
            continue
        target = found[i + 1]
        if target.kind != "var":
            continue
        start = _open_paren(found, i)
        boolean = start is not None and _is_boolean(found[start + 1 : i])
        name = target.text[1:]
        verdicts[name] = verdicts.get(name, True) and boolean
    return {name for name, boolean in verdicts.items() if boolean}


def _open_paren(found: tuple[Token, ...], end: int) -> int | None:
    """Where the parenthesis that holds the expression before ``found[end]`` opens."""
    depth = 0
    for j in range(end - 1, -1, -1):
        text = found[j].text if found[j].kind == "punct" else ""
        if text in (")", "}"):
            depth += 1
        elif text in ("(", "{"):
            if depth == 0:
                return j if text == "(" else None
            depth -= 1
    return None


def _is_boolean(expression: tuple[Token, ...]) -> bool:
    """Whether an expression's value is a boolean by its outermost form."""
    if not expression:
        return False
    first = expression[0].text.upper() if expression[0].kind == "word" else ""
    if first in ("TRUE", "FALSE") and len(expression) == 1:
        return True
    if first in ("EXISTS", "NOT") or expression[0].text == "!":
        return True
    depth = 0
    outer_calls = 0
    for token in expression:
        text = token.text if token.kind in ("punct", "other") else ""
        if text in ("(", "{"):
            depth += 1
        elif text in (")", "}"):
            depth -= 1
            outer_calls += depth == 0
        elif depth == 0 and (
            text in _BOOLEAN_OPERATORS
            or (token.kind == "word" and token.text.upper() in ("IN", "NOT"))
        ):
            return True
    # One call of a boolean function, and nothing else.
    return (
        first in _BOOLEAN_FUNCTIONS
        and outer_calls == 1
        and expression[-1].text == ")"
        and len(expression) > 2
        and expression[1].text == "("
    )


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


def without_comments(text: str) -> str:
    """``text`` with its comments blanked out (each character a space, so lines and columns
    stay): for rdflib's parser, whose comments end only at a line feed, not at a carriage
    return as SPARQL's do.

    >>> without_comments("INSERT DATA {} #x\\r; LOAD <a> # c\\n")
    'INSERT DATA {}   \\r; LOAD <a>    \\n'
    >>> without_comments("<a> <b> '#' #c")
    "<a> <b> '#'   "
    """
    if "#" not in text:
        return text
    parts: list[str] = []
    end = 0
    for match in _TOKEN.finditer(text):
        if match.lastgroup == "comment":
            parts += [text[end : match.start()], " " * (match.end() - match.start())]
            end = match.end()
    return "".join(parts) + text[end:]


#: SPARQL 1.1's codepoint escapes (§19.2): ``\\u`` and four hex digits, ``\\U`` and eight.
_CODEPOINT = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")
#: Any backslash-u or -U with four hex digits: a superset of ``_CODEPOINT`` and of what
#: rdflib's parser unescapes (it takes four or eight digits after either letter).
_ANY_ESCAPE = re.compile(r"\\[uU][0-9A-Fa-f]{4}")


def unescape_codepoints(text: str) -> str:
    r"""``text`` with SPARQL's codepoint escapes replaced by their characters, over the whole
    text, as SPARQL 1.1 §19.2 says (Oxigraph applies them only inside strings and IRIs);
    an escape of no valid character (a surrogate, past U+10FFFF) is left as written.

    >>> unescape_codepoints(r"SERV\u0049CE <http://a\U0000003ab/>")
    'SERVICE <http://a:b/>'
    >>> unescape_codepoints(r"'\uD800'")
    "'\\uD800'"
    """
    if "\\" not in text:
        return text

    def character(match: re.Match[str]) -> str:
        code = int(match.group(1) or match.group(2), 16)
        if code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
            return match.group()
        return chr(code)

    return _CODEPOINT.sub(character, text)


def has_codepoint_escapes(text: str) -> bool:
    r"""True if ``text`` holds anything a SPARQL parser might read as a codepoint escape.

    >>> has_codepoint_escapes(r"SELECT * { ?s ?p 'caf\u00e9' }"), has_codepoint_escapes("x")
    (True, False)
    """
    return "\\" in text and _ANY_ESCAPE.search(text) is not None
