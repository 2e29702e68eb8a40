"""Parsing and serialising RDF with pyoxigraph, and the bridge to rdflib.

pyshacl and owlrl work on rdflib graphs; everything else works on pyoxigraph
terms. The bridge goes through N-Triples/N-Quads bytes, which is exact for
every term (rdflib's Turtle writer is not, for ill-typed literals).

rdflib has one process-global switch, ``NORMALIZE_LITERALS``, that rewrites
typed literals while parsing (``"01"^^xsd:integer`` becomes ``"1"``), and
pyshacl sets it to True after every call. Parley validates what the client
sent, so every rdflib parse and every pyshacl call runs inside
``literals_verbatim()``, which holds one lock and keeps the switch off.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import IO, cast

import pyoxigraph
import rdflib

from service.errors import RdfSyntaxError, StoreAnswerError, StoreError
from service.rdf._formats import (
    CSV,
    JSON,
    JSONLD,
    NQUADS,
    NTRIPLES,
    RDFXML,
    TRIG,
    TSV,
    TURTLE,
    XML,
    Format,
)
from service.rdf._jsonld import compact_jsonld
from service.rdf._parse_limits import expansion_budget, refuse_xml_entities, within_budget
from service.rdf._terms import BlankNode, DefaultGraph, GraphName, NamedNode, Quad, Term, Triple

_RDF = {
    TURTLE.name: pyoxigraph.RdfFormat.TURTLE,
    NTRIPLES.name: pyoxigraph.RdfFormat.N_TRIPLES,
    NQUADS.name: pyoxigraph.RdfFormat.N_QUADS,
    TRIG.name: pyoxigraph.RdfFormat.TRIG,
    JSONLD.name: pyoxigraph.RdfFormat.JSON_LD,
    RDFXML.name: pyoxigraph.RdfFormat.RDF_XML,
}
_RESULTS = {
    JSON.name: pyoxigraph.QueryResultsFormat.JSON,
    XML.name: pyoxigraph.QueryResultsFormat.XML,
    CSV.name: pyoxigraph.QueryResultsFormat.CSV,
    TSV.name: pyoxigraph.QueryResultsFormat.TSV,
}
_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
_POSITION = re.compile(r"(?:line |at |on line )?(\d+):(\d+)")
#: pyoxigraph's RDF parsers say "at line 2 column 9".
_LINE_COLUMN = re.compile(r"line (\d+) column (\d+)")


def rdf_format(fmt: Format) -> pyoxigraph.RdfFormat:
    """The pyoxigraph RDF format for a Parley format."""
    return _RDF[fmt.name]


def results_format(fmt: Format) -> pyoxigraph.QueryResultsFormat:
    """The pyoxigraph query-results format for a Parley format."""
    return _RESULTS[fmt.name]


def syntax_position(message: str) -> dict[str, int]:
    """Line and column from an engine's syntax-error message, when it gives them.

    >>> syntax_position("error at 1:25: expected one of LATERAL")
    {'line': 1, 'column': 25}
    >>> syntax_position("Parser error at line 2 column 9: . is not a valid RDF object")
    {'line': 2, 'column': 9}
    >>> syntax_position("no position")
    {}
    """
    match = _LINE_COLUMN.search(message) or _POSITION.search(message)
    if not match:
        return {}
    return {"line": int(match.group(1)), "column": int(match.group(2))}


def parse(
    data: bytes | str,
    fmt: Format,
    *,
    base_iri: str | None = None,
    graph: GraphName | None = None,
    what: str = "the request body",
) -> list[Quad]:
    """Parse RDF into quads; triples go to ``graph`` (the default graph if ``None``).

    The parse's memory is bounded (``service.rdf._parse_limits``): RDF/XML that
    declares entities is refused, and a document that expands past its budget stops.

    :raises RdfSyntaxError: with the line and column of the first error; RDF/XML with
        entity declarations, or not in UTF-8.
    :raises PayloadTooLargeError: the document expands past its budget.

    >>> [q.object.value for q in parse(b'<a> <b> "c" .', TURTLE, base_iri="http://x/")]
    ['c']
    >>> parse(b'<a> <b> .', TURTLE, base_iri="http://x/")
    Traceback (most recent call last):
    ...
    service.errors.RdfSyntaxError: the request body is not valid text/turtle: ...
    """
    if fmt.name == RDFXML.name:
        refuse_xml_entities(data, what=what)
    try:
        parsed: Iterable[Quad] = pyoxigraph.parse(
            data, rdf_format(fmt), base_iri=base_iri, rename_blank_nodes=True
        )
        if fmt.name not in (NTRIPLES.name, NQUADS.name):  # line formats write every IRI out
            parsed = within_budget(parsed, expansion_budget(len(data)), what=what)
        if graph is None or isinstance(graph, DefaultGraph):
            return list(parsed)
        # Triples (and a quad format's default graph) go to the target graph.
        return [
            q
            if not isinstance(q.graph_name, DefaultGraph)
            else Quad(q.subject, q.predicate, q.object, graph)
            for q in parsed
        ]
    except SyntaxError as exc:
        message = str(exc)
        if "LoadDocumentCallback" in message:
            message = "remote JSON-LD @context documents are never fetched; inline the context"
        raise RdfSyntaxError(
            f"{what} is not valid {fmt.media_type}: {message}",
            format=fmt.media_type,
            **syntax_position(message),
        ) from exc
    except ValueError as exc:  # e.g. a triple format given quads, a bad base IRI
        raise RdfSyntaxError(f"{what} could not be read as {fmt.media_type}: {exc}") from exc


def serialize(
    statements: Iterable[Quad] | Iterable[Triple],
    fmt: Format,
    *,
    prefixes: dict[str, str] | None = None,
) -> bytes:
    """Serialise quads or triples; quads lose their graph in triple formats."""
    items: Iterable[Quad] | Iterable[Triple]
    if fmt.quads:
        items = (
            s if isinstance(s, Quad) else Quad(s.subject, s.predicate, s.object) for s in statements
        )
    else:
        items = (s.triple if isinstance(s, Quad) else s for s in statements)
    result = pyoxigraph.serialize(items, format=rdf_format(fmt), prefixes=prefixes)
    assert result is not None
    if fmt is JSONLD and prefixes:
        return compact_jsonld(result, prefixes)
    return result


_RDFLIB_LOCK = threading.RLock()


@contextmanager
def literals_verbatim() -> Iterator[None]:
    """Run rdflib parsing (and pyshacl) with literal normalisation switched off.

    Holds a process-wide lock: the switch is a global, and pyshacl flips it.
    """
    with _RDFLIB_LOCK:
        previous = rdflib.NORMALIZE_LITERALS
        rdflib.NORMALIZE_LITERALS = False
        try:
            yield
        finally:
            rdflib.NORMALIZE_LITERALS = previous


def to_rdflib(
    statements: Iterable[Quad] | Iterable[Triple], *, store: str = "default"
) -> rdflib.Graph:
    """An rdflib graph of the triples (graph names are dropped), in rdflib's ``store``."""
    data = serialize(statements, NTRIPLES)
    graph = rdflib.Graph(store=store)
    with literals_verbatim():
        graph.parse(data=data.decode("utf-8"), format="nt")
    return graph


def rdflib_graph(triples: Iterable[tuple[Term, NamedNode, Term]]) -> rdflib.Graph:
    """An rdflib graph of the triples, built term by term (no serialisation round trip)."""
    graph = rdflib.Graph()
    with literals_verbatim():
        for s, p, o in triples:
            graph.add((term_to_rdflib(s), rdflib.URIRef(p.value), term_to_rdflib(o)))
    return graph


def from_rdflib(graph: rdflib.Graph, *, to_graph: GraphName | None = None) -> list[Quad]:
    """Quads from an rdflib graph; generalised triples (literal subjects) are dropped."""
    lines = []
    for s, p, o in graph:
        if isinstance(s, rdflib.Literal) or not isinstance(p, rdflib.URIRef):
            continue
        lines.append(f"{s.n3()} {p.n3()} {o.n3()} .\n")
    return parse("".join(lines).encode("utf-8"), NTRIPLES, graph=to_graph, what="rdflib output")


class _CutError(Exception):
    """Raised inside pyoxigraph's serialiser to stop it at a cap."""


class _LineBuffer:
    """A file-like sink that keeps whole lines up to ``max_lines`` and ``max_bytes``.

    Line-per-item serialisations (TSV rows after a header, N-Triples) are cut
    at an item boundary, so the kept prefix is still a valid document.
    """

    def __init__(self, max_lines: int, max_bytes: int) -> None:
        self.max_lines = max_lines
        self.max_bytes = max_bytes
        self.data = bytearray()
        self.lines = 0
        self.cut: str | None = None

    def write(self, chunk: bytes) -> int:
        self.data += chunk
        self.lines += chunk.count(b"\n")
        if self.lines > self.max_lines or len(self.data) > self.max_bytes:
            self._trim()
            raise _CutError
        return len(chunk)

    def flush(self) -> None:
        pass

    def _trim(self) -> None:
        """Keep the longest run of whole lines within both caps; say which cap cut it."""
        end = kept = 0
        self.cut = "bytes"
        while True:
            if kept == self.max_lines:
                self.cut = "rows"
                break
            nxt = self.data.find(b"\n", end)
            if nxt < 0 or nxt + 1 > self.max_bytes:
                break
            end, kept = nxt + 1, kept + 1
        del self.data[end:]
        self.lines = kept


@dataclass(frozen=True)
class Capped:
    """A serialised answer held to the row and byte caps."""

    body: bytes
    #: Solutions or triples in ``body``.
    rows: int
    #: Why the answer was cut ("rows" or "bytes"), ``None`` when it is complete.
    truncated: str | None


def serialize_capped(
    result: pyoxigraph.QuerySolutions | pyoxigraph.QueryBoolean | pyoxigraph.QueryTriples,
    fmt: Format,
    *,
    max_rows: int,
    max_bytes: int,
) -> Capped:
    """Serialise a query result in ``fmt``, cut to at most ``max_rows`` and ``max_bytes``.

    The result is first written (by pyoxigraph) as TSV or N-Triples, one item per
    line, into a buffer that stops the serialiser at the caps; the kept lines are
    then transcoded into ``fmt``. If the transcoded answer is larger than
    ``max_bytes``, fewer lines are kept, so the answer is always a whole document.
    """
    if isinstance(result, pyoxigraph.QueryBoolean):
        body = result.serialize(format=_RESULTS[fmt.name])
        assert body is not None
        return Capped(body, 1, None)
    graph = isinstance(result, pyoxigraph.QueryTriples)
    header = 0 if graph else 1
    sink = _LineBuffer(max_rows + header, max_bytes)
    sink_io = cast(IO[bytes], sink)
    try:
        if isinstance(result, pyoxigraph.QueryTriples):
            result.serialize(sink_io, format=pyoxigraph.RdfFormat.N_TRIPLES)
        else:
            result.serialize(sink_io, format=pyoxigraph.QueryResultsFormat.TSV)
    except _CutError:
        pass
    return _fit(bytes(sink.data), sink.cut, fmt, graph=graph, max_bytes=max_bytes)


def capped_from_lines(
    chunks: Iterable[bytes], fmt: Format, *, graph: bool, max_rows: int, max_bytes: int
) -> Capped:
    """An answer a remote store serialised one item per line (TSV with its header, or
    N-Triples), arriving in chunks: held to the caps and transcoded into ``fmt``.

    Reading stops at a cap, so the caller can close the connection and the store
    stops sending.

    >>> tsv = [b"?x\\n<http://a>\\n", b"<http://b>\\n<http://c>\\n"]
    >>> capped = capped_from_lines(tsv, TSV, graph=False, max_rows=2, max_bytes=1000)
    >>> capped.rows, capped.truncated
    (2, 'rows')
    """
    header = 0 if graph else 1
    sink = _LineBuffer(max_rows + header, max_bytes)
    try:
        for chunk in chunks:
            sink.write(chunk)
    except _CutError:
        pass
    try:
        return _fit(bytes(sink.data), sink.cut, fmt, graph=graph, max_bytes=max_bytes)
    except SyntaxError as exc:  # e.g. a store that stops a query writes a message mid-answer
        raise StoreAnswerError(f"the store's answer broke off: {exc}") from exc


def _fit(
    lines: bytes, truncated: str | None, fmt: Format, *, graph: bool, max_bytes: int
) -> Capped:
    """Transcode kept lines into ``fmt``, dropping lines until the answer fits ``max_bytes``."""
    header = 0 if graph else 1
    while True:
        body = _transcode(lines, fmt, graph=graph)
        count = lines.count(b"\n") - header
        if len(body) <= max_bytes or count <= 0:
            return Capped(body, max(count, 0), truncated)
        keep = max(0, int(count * max_bytes / len(body) * 0.9))
        lines = b"".join(lines.splitlines(keepends=True)[: keep + header])
        truncated = "bytes"


def _transcode(lines: bytes, fmt: Format, *, graph: bool) -> bytes:
    if graph:
        if fmt.name == NTRIPLES.name:
            return lines
        return serialize(pyoxigraph.parse(lines, pyoxigraph.RdfFormat.N_TRIPLES), fmt)
    if fmt.name == TSV.name:
        return lines
    tsv = pyoxigraph.QueryResultsFormat.TSV
    parsed = pyoxigraph.parse_query_results(lines or b"\n", format=tsv)
    body = parsed.serialize(format=_RESULTS[fmt.name])
    assert body is not None
    return body


def term_to_rdflib(term: Term) -> rdflib.term.Identifier:
    """The rdflib term for a pyoxigraph term, exactly (call it inside
    ``literals_verbatim()`` for literals to keep their lexical form).

    ``xsd:string`` literals become rdflib's plain literals, as N-Triples reads them.

    >>> term_to_rdflib(NamedNode("http://a/b"))
    rdflib.term.URIRef('http://a/b')
    >>> from service.rdf._terms import Literal, XSD
    >>> with literals_verbatim():
    ...     term_to_rdflib(Literal("01", datatype=XSD.integer)).n3()
    '"01"^^<http://www.w3.org/2001/XMLSchema#integer>'
    >>> term_to_rdflib(Literal("x")).n3()
    '"x"'
    """
    if isinstance(term, NamedNode):
        return rdflib.URIRef(term.value)
    if isinstance(term, BlankNode):
        return rdflib.BNode(term.value)
    if term.language:
        return rdflib.Literal(term.value, lang=term.language)
    if term.datatype.value == _XSD_STRING:
        return rdflib.Literal(term.value)
    return rdflib.Literal(term.value, datatype=rdflib.URIRef(term.datatype.value))


#: The SPARQL results formats a remote store's answer is read in, by media type.
_READ_RESULTS = {
    "text/tab-separated-values": pyoxigraph.QueryResultsFormat.TSV,
    "application/sparql-results+xml": pyoxigraph.QueryResultsFormat.XML,
    "application/sparql-results+json": pyoxigraph.QueryResultsFormat.JSON,
}


def parse_solutions(
    body: bytes | IO[bytes], media_type: str = "text/tab-separated-values"
) -> tuple[list[str], list[dict[str, Term]]]:
    """Variables and rows of a results document (a remote store's answer, TSV unless
    ``media_type`` says otherwise); unbound variables are absent from a row."""
    parsed = parse_results(body, media_type)
    names = [v.value for v in parsed.variables]
    rows: list[dict[str, Term]] = []
    try:
        for solution in parsed:  # an XML or JSON answer is parsed as it is read
            row: dict[str, Term] = {}
            for name in names:
                value = solution[name]
                if value is not None and not isinstance(value, Triple):
                    row[name] = value
            rows.append(row)
    except SyntaxError as exc:
        raise StoreError(f"the store sent results that do not parse: {exc}") from exc
    return names, rows


def parse_results(stream: bytes | IO[bytes], media_type: str) -> pyoxigraph.QuerySolutions:
    """Solutions read from ``stream`` as they are iterated (a remote store's answer in a
    format that is not one row per line), ready for ``serialize_capped``."""
    try:
        parsed = pyoxigraph.parse_query_results(stream, format=_READ_RESULTS[media_type])
    except SyntaxError as exc:
        raise StoreError(f"the store sent results that do not parse: {exc}") from exc
    if not isinstance(parsed, pyoxigraph.QuerySolutions):
        raise StoreError("the store answered a SELECT query with a boolean")
    return parsed


def parse_boolean(
    body: bytes, media_type: str = "application/sparql-results+json"
) -> pyoxigraph.QueryBoolean:
    """A boolean answer (a remote store's, JSON unless ``media_type`` says otherwise),
    ready for ``serialize_capped``."""
    try:
        parsed = pyoxigraph.parse_query_results(body, format=_READ_RESULTS[media_type])
    except SyntaxError as exc:
        raise StoreError(f"the store sent an answer that does not parse: {exc}") from exc
    if not isinstance(parsed, pyoxigraph.QueryBoolean):
        raise StoreError("the store answered an ASK query with solutions")
    return parsed


def quads_to_wire(quads: Iterable[Quad]) -> bytes:
    """Quads for another of Parley's processes (``quads_from_wire``), as N-Quads: about 50x
    cheaper than pickling pyoxigraph's terms."""
    return serialize(quads, NQUADS)


def quads_from_wire(data: bytes) -> list[Quad]:
    """The quads ``quads_to_wire`` wrote, blank nodes keeping their labels (a change that
    deletes a stored blank node names it by its label).

    >>> from service.rdf._terms import XSD, Literal
    >>> q = Quad(BlankNode("b1"), NamedNode("http://p"), Literal("01", datatype=XSD.integer))
    >>> quads_from_wire(quads_to_wire([q])) == [q]
    True
    """
    try:
        return list(pyoxigraph.parse(data, pyoxigraph.RdfFormat.N_QUADS))
    except SyntaxError as exc:
        raise StoreError(f"quads sent between Parley's processes do not parse: {exc}") from exc
