"""What keeps the parse of a client's RDF from taking the server's memory.

Two ways a small document becomes a large graph, and what stops each:

- **XML entities** (the "billion laughs"): pyoxigraph's RDF/XML parser expands
  the entities a document declares in its DOCTYPE's internal subset, without a
  limit (1 KB became 17 GB). ``refuse_xml_entities`` refuses any entity
  declaration, and any DOCTYPE with an internal subset, before a parser sees the
  bytes. It reads the bytes as pyoxigraph does: pyoxigraph reads UTF-8 only, so
  a document in another encoding (a UTF-16 or UTF-32 byte-order mark, the
  zero bytes of those encodings without one, or an XML declaration naming
  another encoding) is refused too, rather than scanned in an encoding we might
  read differently from the parser. It scans the whole document, not only the
  prolog: pyoxigraph honours a DOCTYPE even after the root element. (So the text
  ``<!ENTITY`` in a comment or a CDATA section is refused too: rare, and safe.)

- **Long IRIs used many times** (any format with prefixes or a base: Turtle,
  TriG, JSON-LD contexts, RDF/XML's ``xml:base``): ``@prefix p: <4 MB>`` and a
  million ``p:a`` make terms of 4 MB each, a quadratic growth. Without entities
  no construct of RDF/XML, Turtle, TriG or JSON-LD makes one term longer than
  the document plus its base IRI (a compact IRI is a prefix and a literal
  suffix; JSON-LD's term definitions chain, but each adds its own text once), so
  one quad is at most about four times the document. pyoxigraph's parser is lazy
  (it yields quad by quad), so ``within_budget`` counts the N-Quads size of the
  quads as they come and stops past ``expansion_budget``: the memory of a parse is
  then bounded by the budget plus one quad.

Why not parse in a guard worker under ``RLIMIT_AS``: a write is about 50 ms and
a worker round trip plus sending the quads back costs as much again; the bound
above holds in the web process at the cost of one ``str()`` per quad (about 2 us:
35 ms on a 20,000-quad Turtle body that parses in 85-130 ms). N-Triples and N-Quads,
the formats of large loads, are not counted: they have no prefixes or base, so a
quad is never larger than its line (blank-node labels, renamed, grow by a bounded 32
characters a term).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from service.errors import PayloadTooLargeError, RdfSyntaxError
from service.rdf._terms import Quad

#: A document may expand to this many times its size as N-Quads (Turtle with prefixes
#: is typically 3-5x), and always to ``EXPANSION_FLOOR`` bytes.
EXPANSION_FACTOR = 32
EXPANSION_FLOOR = 64 << 20

_DECLARATION = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
#: The parts of a DOCTYPE before its internal subset: quoted system and public ids.
_DOCTYPE_REST = re.compile(rb"""\s*(?:"[^"]*"|'[^']*'|[^"'\[>])*""")
_ENCODING = re.compile(rb"""\A<\?xml[^>]*?\bencoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")
_UTF8_NAMES = {b"utf-8", b"utf8"}
_UTF8_BOM = b"\xef\xbb\xbf"


def _refused(why: str, what: str) -> RdfSyntaxError:
    return RdfSyntaxError(f"{what} is refused: {why}", format="application/rdf+xml")


def refuse_xml_entities(data: bytes | str, *, what: str = "the request body") -> None:
    """Refuse RDF/XML that declares entities, or that is not in UTF-8 (the only encoding
    pyoxigraph reads, and so the only one this check reads).

    >>> refuse_xml_entities(b'<?xml version="1.0"?><rdf:RDF/>')
    >>> refuse_xml_entities(b'<!DOCTYPE rdf:RDF SYSTEM "x.dtd"><rdf:RDF/>')
    >>> refuse_xml_entities(b'<!DOCTYPE r [<!ENTITY a "aa">]><r/>')
    Traceback (most recent call last):
    ...
    service.errors.RdfSyntaxError: the request body is refused: ...
    >>> refuse_xml_entities('\\ufeff<r/>'.encode("utf-16"))
    Traceback (most recent call last):
    ...
    service.errors.RdfSyntaxError: the request body is refused: RDF/XML is read in UTF-8 only ...
    """
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
    if raw.startswith(_UTF8_BOM):
        raw = raw[len(_UTF8_BOM) :]
    # UTF-16 and UTF-32 (with or without a byte-order mark) put zero bytes beside '<';
    # XML 1.0 allows no zero byte in a document, so any is a foreign encoding.
    if raw.startswith((b"\xfe\xff", b"\xff\xfe")) or b"\x00" in raw:
        raise _refused(
            "RDF/XML is read in UTF-8 only (this document is in UTF-16 or UTF-32); "
            "convert it to UTF-8",
            what,
        )
    declared = _ENCODING.match(raw.lstrip())
    if declared and declared.group(1).lower() not in _UTF8_NAMES:
        name = declared.group(1).decode("ascii")
        raise _refused(
            f"RDF/XML is read in UTF-8 only (this document declares {name}); convert it to UTF-8",
            what,
        )
    for found in _DECLARATION.finditer(raw):
        if found.group(1).upper() == b"ENTITY":
            raise _refused(_ENTITIES, what)
        rest = _DOCTYPE_REST.match(raw, found.end())
        assert rest is not None  # the pattern matches the empty string
        if raw[rest.end() : rest.end() + 1] == b"[":
            raise _refused(_ENTITIES, what)


_ENTITIES = (
    "it declares XML entities (a DOCTYPE with an internal subset), which are not read: "
    "expanding them lets a few bytes become gigabytes. Write the entities' values out "
    "in full, or send the data as Turtle"
)


def expansion_budget(size: int) -> int:
    """Bytes of N-Quads a document of ``size`` bytes may expand to."""
    return max(EXPANSION_FLOOR, EXPANSION_FACTOR * size)


def within_budget(quads: Iterable[Quad], budget: int, *, what: str) -> Iterator[Quad]:
    """The quads, stopped with a 413 once their N-Quads text passes ``budget`` bytes.

    >>> from service.rdf._terms import NamedNode
    >>> q = Quad(NamedNode("http://s"), NamedNode("http://p"), NamedNode("http://o"))
    >>> len(list(within_budget([q, q], 1000, what="x")))
    2
    >>> list(within_budget([q, q], 50, what="the body"))
    Traceback (most recent call last):
    ...
    service.errors.PayloadTooLargeError: the body expands to more than 50 bytes of RDF ...
    """
    used = 0
    for quad in quads:
        used += len(str(quad))
        if used > budget:
            raise PayloadTooLargeError(
                f"{what} expands to more than {budget} bytes of RDF (as N-Quads; the limit "
                f"is {EXPANSION_FACTOR} times its size, at least {EXPANSION_FLOOR >> 20} MiB): "
                "long prefixes or a long base IRI used many times? Write the IRIs out, or "
                "send fewer statements at once",
                limit=budget,
            )
        yield quad
