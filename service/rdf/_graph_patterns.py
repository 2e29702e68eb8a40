"""The graphs a query's ``GRAPH`` patterns name, for a store that misreads one outside
the request's dataset.

SPARQL says ``GRAPH <g> { … }`` matches nothing when ``<g>`` is not among the dataset's
named graphs. Virtuoso 7.2 answers it with one empty solution instead (an ASK says true,
``COUNT(*)`` says 1; measured in ``tests/test_virtuoso.py``), yet answers right when the
graph is listed and holds nothing. So a query sent there names, in place of each graph
outside its dataset, one graph that no store holds, listed with the dataset: the
pattern matches nothing, as the standard says, and no graph the dataset leaves out is
opened.
"""

from __future__ import annotations

from collections.abc import Collection
from urllib.parse import urljoin

from service.rdf._sparql_text import Token, token_list, unescape_codepoints


def graphs_outside_renamed(text: str, named: Collection[str], to: str) -> str:
    """``text`` with each ``GRAPH`` pattern whose graph (an IRI, a prefixed name of a
    declared prefix, or a relative IRI resolved against the text's ``BASE``) is not in
    ``named`` written ``GRAPH <to>``; ``GRAPH ?var`` and everything else unchanged.

    >>> graphs_outside_renamed(
    ...     "BASE <http://a/> PREFIX g: <http://a/g/> ASK { GRAPH g:x {} "
    ...     "GRAPH <g/y> {} GRAPH <http://a/g/z> {} GRAPH ?g {} }",
    ...     {"http://a/g/z"}, "urn:no").split("ASK ")[1]
    '{ GRAPH <urn:no> {} GRAPH <urn:no> {} GRAPH <http://a/g/z> {} GRAPH ?g {} }'
    """
    if "graph" not in text.lower():  # most queries: no rewriting at all
        return text
    found = token_list(text)
    base = ""
    prefixes: dict[str, str] = {}
    parts: list[str] = []
    end = 0
    for i, token in enumerate(found):
        if token.kind != "word" or i + 1 >= len(found):
            continue
        word, after = token.text.upper(), found[i + 1]
        if word == "BASE" and after.kind == "iri":
            base = urljoin(base, _iri(after))
        elif word == "PREFIX" and i + 2 < len(found) and after.text.endswith(":"):
            if found[i + 2].kind == "iri":
                prefixes[after.text[:-1]] = urljoin(base, _iri(found[i + 2]))
        elif word == "GRAPH":
            graph = _graph(after, base, prefixes)
            if graph is not None and graph not in named:
                parts += [text[end : after.position], f"<{to}>"]
                end = after.position + len(after.text)
    return "".join(parts) + text[end:] if parts else text


def _iri(token: Token) -> str:
    return unescape_codepoints(token.text[1:-1])


def _graph(token: Token, base: str, prefixes: dict[str, str]) -> str | None:
    """The IRI a ``GRAPH`` keyword's next token names (``None``: a variable, or a name
    this lexer cannot read for sure, left for the store)."""
    if token.kind == "iri":
        return urljoin(base, _iri(token))
    if token.kind == "word" and ":" in token.text and "\\" not in token.text:
        prefix, local = token.text.split(":", 1)
        namespace = prefixes.get(prefix)
        return None if namespace is None else namespace + local
    return None
