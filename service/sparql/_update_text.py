"""Where each operation of a SPARQL Update request sits in its text.

rdflib's parser gives an update's structure but not the text of its parts,
and the ``WHERE`` clauses are evaluated by Oxigraph, which takes text. At
brace depth 0 of an update, ``;`` only separates operations, and the
``WHERE`` keyword (or ``DELETE WHERE``) is followed by the group pattern, so
the tokenizer of ``sparql_text`` (which skips strings, IRIs and comments)
finds both exactly.
"""

from __future__ import annotations

from service.rdf import Token, tokens

_PROLOGUE = ("PREFIX", "BASE")


def _segments(text: str) -> list[list[Token]]:
    segments: list[list[Token]] = [[]]
    depth = 0
    for token in tokens(text):
        if token.text in ("{", "(", "["):
            depth += 1
        elif token.text in ("}", ")", "]"):
            depth -= 1
        elif token.text == ";" and depth == 0:
            segments.append([])
            continue
        segments[-1].append(token)
    return segments


def _split_prologue(segment: list[Token]) -> tuple[str, list[Token]]:
    """The PREFIX/BASE declarations at the start of a segment, and the rest."""
    lines: list[str] = []
    i = 0
    while i < len(segment) and segment[i].kind == "word" and segment[i].text.upper() in _PROLOGUE:
        if segment[i].text.upper() == "BASE" and i + 1 < len(segment):
            lines.append(f"BASE {segment[i + 1].text}\n")
            i += 2
        elif i + 2 < len(segment):
            lines.append(f"PREFIX {segment[i + 1].text} {segment[i + 2].text}\n")
            i += 3
        else:
            break
    return "".join(lines), segment[i:]


def _where_block(text: str, body: list[Token]) -> str | None:
    """The text of the group pattern after a depth-0 WHERE, braces included."""
    depth = 0
    for i, token in enumerate(body):
        if token.text == "{":
            depth += 1
        elif token.text == "}":
            depth -= 1
        elif depth == 0 and token.kind == "word" and token.text.upper() == "WHERE":
            start = i + 1
            if start >= len(body) or body[start].text != "{":
                return None
            level = 0
            for token_end in body[start:]:
                if token_end.text == "{":
                    level += 1
                elif token_end.text == "}":
                    level -= 1
                    if level == 0:
                        return text[body[start].position : token_end.position + 1]
            return None
    return None


def operation_texts(text: str) -> list[tuple[str, str | None]]:
    """Per operation: the prologue in force (all PREFIX/BASE so far) and its WHERE text.

    >>> ops = operation_texts("PREFIX e: <http://e/> INSERT DATA { e:a e:b 1 } ;"
    ...                       " DELETE { ?s ?p ?o } WHERE { ?s ?p ?o FILTER(?o != ';') } ;")
    >>> [(p.strip(), w) for p, w in ops]
    [('PREFIX e: <http://e/>', None), ('PREFIX e: <http://e/>', "{ ?s ?p ?o FILTER(?o != ';') }")]
    """
    found: list[tuple[str, str | None]] = []
    prologue = ""
    for segment in _segments(text):
        declared, body = _split_prologue(segment)
        prologue += declared
        if body:
            found.append((prologue, _where_block(text, body)))
    return found


def declared_prefixes(text: str) -> dict[str, str]:
    """The prefixes an update declares itself (prefix without ':' -> IRI).

    >>> declared_prefixes("PREFIX dc: <http://purl.org/dc/terms/> CLEAR ALL")
    {'dc': 'http://purl.org/dc/terms/'}
    """
    found: dict[str, str] = {}
    for segment in _segments(text):
        for line in _split_prologue(segment)[0].splitlines():
            if line.startswith("PREFIX "):
                _, name, iri = line.split(" ", 2)
                found[name.rstrip(":")] = iri.strip()[1:-1]
    return found
