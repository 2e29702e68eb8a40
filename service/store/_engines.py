"""What Parley must know of the engine behind a remote store, and how it learns it.

Every SPARQL 1.1 store speaks the same protocols, but not the same way. Parley reads
the engine's name from the ``Server`` header of its first answer and keeps one
``Engine`` profile for the store: the results format it reads answers in, the headers
that say an answer is incomplete, the row cap the store applies by itself, the graphs
the store keeps for itself, and what its updates guarantee. The README's table of
engines says the same in words; each difference has a test (``tests/test_virtuoso.py``).

Virtuoso 7 (what Debian ships) differs from the standard in ways that would make Parley
present a wrong answer as a right one if they were not handled here:

- its TSV results quote IRIs like strings (``"http://…"``), so an IRI and a string
  read back alike: Parley reads XML, which is exact (its JSON results say ``1`` for
  ``true``);
- it cuts every answer at ``ResultSetMaxRows`` rows or triples without saying so (a
  SELECT answer carries ``X-SPARQL-MaxRows``; a CONSTRUCT answer nothing): Parley reads
  the cap from the store's configuration and treats an answer that reaches it as cut;
- at its time limit it answers 200 with the rows it had and an ``X-SQL-State`` header:
  Parley treats that answer as the query's timeout, never as its result;
- the operations of one update request are not all or nothing: an operation that fails
  leaves the earlier ones applied, and two updates conditioned on one version may both
  pass it (``tests/test_virtuoso_writes.py`` shows both): commits go in steps
  (``service.store._remote_steps``);
- it stores ``true`` as 1 and numbers by value: ``true`` and ``1`` on one subject and
  predicate collapse into one triple (the gate refuses such a write), and "01" reads
  back "1";
- a DELETE beside an INSERT (or another graph's) in one operation keeps, in silence,
  some of the literals it names: each graph's deletions go in operations of their own.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace

from service.rdf import parse_solutions

TSV = "text/tab-separated-values"
XML = "application/sparql-results+xml"
_XSD = "http://www.w3.org/2001/XMLSchema#"


@dataclass(frozen=True)
class Engine:
    """One remote store's engine, as far as Parley relies on it."""

    #: The engine's name (from the ``Server`` header), for messages and ``/health``.
    name: str
    #: The media type Parley reads solutions in: TSV when the store writes it exactly
    #: (one row per line, so the caps cut an answer while it streams in).
    solutions: str = TSV
    #: A response header that says the store stopped a query at its own time limit and
    #: sent what it had (the answer is partial).
    partial_header: str | None = None
    #: The most rows (SELECT) or triples (CONSTRUCT) the store sends for one query;
    #: ``None``: it sends them all.
    max_rows: int | None = None
    #: The store's own time limit for one query, in seconds (``None``: none known).
    max_time_s: float | None = None
    #: IRI prefixes of the graphs the engine keeps for itself (not Parley's, not a
    #: client's): hidden from graph listings and from the named graphs of a query.
    system_graphs: tuple[str, ...] = ()
    #: Whether the operations of one update request are applied all or none.
    atomic_updates: bool = True
    #: The most triples one update operation may carry (``None``: no known limit).
    #: Virtuoso 7.2 compiles an operation to SQL and refuses one whose SQL runs past
    #: 10,000 lines: an INSERT DATA of 1,500 triples, a DELETE/INSERT of 1,000 and 1,000.
    max_update_triples: int | None = None
    #: Whether ``DROP ALL`` empties the store (Virtuoso 7.2 answers 200 and keeps every
    #: graph: ``parley build`` drops them one by one).
    drops_all: bool = True
    #: Whether two literals of one value and different types on one subject, predicate
    #: and graph stay two triples. Virtuoso stores numbers and booleans by value:
    #: ``true`` and ``1``, ``1`` and ``1.0``, ``1.0`` and ``1e0`` collapse into one
    #: triple (of either type), and deleting ``true`` deletes a stored ``1``; Parley
    #: refuses a write that would collapse (``service.store._remote_values``). Such a
    #: store keeps the value, not the spelling: "01" reads back "1", 1e3 "1000.0" (the
    #: README says so; nothing for Parley to do).
    keeps_equal_values: bool = True
    #: The query that lists the store's graphs (``?g``): the standard's ``GRAPH ?g {}``
    #: lists empty graphs too; Virtuoso answers it with one unbound row, and its
    #: ``DISTINCT`` over every quad takes seconds where ``GROUP BY`` takes milliseconds.
    graphs_query: str = "SELECT DISTINCT ?g WHERE { GRAPH ?g { } }"
    #: The variable of a one-row table an engine answers an ASK query with, instead of
    #: the standard's boolean document (Virtuoso 7.2: ``__ASK_RETVAL``, 1 or no row).
    ask_variable: str | None = None
    #: Bytes of a results document to rewrite before it is parsed (Virtuoso writes a
    #: blank node ``<bnode>nodeID://b1</bnode>``, which is no blank node label).
    rewrite: tuple[bytes, bytes] | None = None
    #: Words in a failed answer (HTTP 4xx/5xx) that say the store stopped the query at its
    #: own time limit, or refused it for its estimated time: the query's timeout (503),
    #: not a store failure.
    timeout_errors: tuple[str, ...] = ()
    #: Whether a per-request time limit (``--store-timeout-param``) may be sent: Virtuoso's
    #: ``timeout`` makes it answer 200 with the rows it had, and only sometimes with its
    #: ``X-SQL-State`` header (measured: ``tests/test_virtuoso.py``), so Parley sends none.
    per_request_timeout: bool = True
    #: Words after which the store repeats the whole query in an error message (Virtuoso:
    #: ``SPARQL query:``), cut from the message Parley passes on: the client knows its
    #: query, and the rest is Parley's prologue and dataset.
    error_echo: str | None = None
    #: The engine's version, from the ``Server`` header (``None``: not said).
    version: str | None = None
    #: Whether the store's parser reads prefixed names with backslash escapes
    #: (``id:source\/article``, SPARQL's ``PN_LOCAL_ESC``); Virtuoso 7's refuses them
    #: ("Bad character"), so Parley writes those names as IRIs before sending a query.
    local_escapes: bool = True
    #: Whether the store answers a boolean a query computes (``BIND(EXISTS {…} AS ?v)``,
    #: a comparison, even ``true``) as a boolean: Virtuoso 7 answers ``xsd:integer`` 1 or
    #: 0, which Parley gives back as the boolean for a variable the query binds only to
    #: such expressions (``service.rdf.boolean_bindings``).
    computed_booleans: bool = True
    #: Whether the store may keep a plain string as the IRI of the same text: Virtuoso 7
    #: does when that IRI, new to it, comes earlier in the same request, even in the same
    #: triple (``<x> <p> "x"``). A typed ``"…"^^xsd:string`` would stay a string there,
    #: but its queries and deletes then no longer match the plain string, the same
    #: literal in RDF 1.1 (measured), so Parley refuses such a write instead.
    strings_become_iris: bool = False
    #: Whether ``GRAPH <g> { … }`` matches nothing when ``<g>`` is not among the request's
    #: named graphs, as the standard says. Virtuoso 7.2 answers it with one empty solution
    #: (an ASK says true), so Parley names a graph no store holds in its place and lists
    #: that one (``service.rdf.graphs_outside_renamed``).
    empty_outside_dataset: bool = True
    #: Whether a DELETE template deletes every literal it names when the operation also
    #: has an INSERT template or more than one graph. Virtuoso 7.2 then keeps, silently,
    #: a literal with a language tag and non-ASCII text ("Зеленський"@uk) or with a
    #: datatype it stores boxed (xsd:anyURI, rdf:HTML, one of its own), while the same
    #: DELETE of one graph, alone in its operation, deletes them (measured:
    #: ``tests/test_virtuoso.py``). Parley then deletes one graph per operation.
    deletes_beside_inserts: bool = True
    #: Datatypes whose literals the store keeps as literals of another type (Virtuoso 7:
    #: GeoSPARQL's ``wktLiteral`` reads back as ``virtrdf:Geometry``, measured): a write
    #: of one is refused (``service.store._remote_values``).
    converted_datatypes: tuple[str, ...] = ()

    def rewritten(
        self, chunks: Iterable[bytes], also: tuple[tuple[bytes, bytes], ...] = ()
    ) -> Iterator[bytes]:
        """``chunks`` with ``rewrite`` (and the pairs ``also``) applied, also where a chunk
        ends inside one."""
        pairs = ((self.rewrite,) if self.rewrite is not None else ()) + also
        if not pairs:
            yield from chunks
            return
        keep = max(len(old) for old, _new in pairs) - 1
        carry = b""
        for chunk in chunks:
            data = carry + chunk
            for old, new in pairs:
                data = data.replace(old, new)
            # Hold back a tail that could be the start of ``old``, unless it ends in ``new``.
            cut = max(len(data) - keep, 0)
            carry, data = data[cut:], data[:cut]
            if data:
                yield data
        if carry:
            yield carry

    def boolean_rewrites(self, variables: Iterable[str]) -> tuple[tuple[bytes, bytes], ...]:
        """The rewrites of an XML answer that give back, for each of ``variables``, the
        boolean a store without ``computed_booleans`` wrote as the number 1 or 0.

        >>> VIRTUOSO.boolean_rewrites(["a"])[0][1]
        b'<binding name="a"><literal datatype="http://www.w3.org/2001/XMLSchema#boolean">true<'
        >>> OXIGRAPH.boolean_rewrites(["a"])
        ()
        """
        if self.computed_booleans:
            return ()
        pairs = []
        for name in sorted(variables):
            head = f'<binding name="{name}"><literal datatype="{_XSD}'.encode()
            for number, word in ((b"1", b"true"), (b"0", b"false")):
                old, new = head + b'integer">' + number, head + b'boolean">' + word
                pairs.append((old + b"<", new + b"<"))
        return tuple(pairs)

    @property
    def streams_lines(self) -> bool:
        return self.solutions == TSV

    def is_system_graph(self, iri: str) -> bool:
        return iri.startswith(self.system_graphs) if self.system_graphs else False

    def describe(self) -> str:
        """The engine in words, with what it cannot do that Parley needs (the start-up
        line of `parley serve` and ``/health``).

        >>> print(with_limits(engine_for("Virtuoso/07.20.3229 (Linux)"), "10000", "60").describe())
        Virtuoso 7.2 (row cap 10000, time limit 60 s); multi-operation updates are not \
atomic (an operation that fails leaves the earlier ones applied); per-request time limits \
are not sent (its `timeout` gives partial answers that do not always say so)
        >>> OXIGRAPH.describe()
        'Oxigraph'
        """
        limits = [f"row cap {self.max_rows}"] if self.max_rows else []
        limits += [f"time limit {self.max_time_s:g} s"] if self.max_time_s else []
        words = self.name + (f" {self.version}" if self.version else "")
        words += f" ({', '.join(limits)})" if limits else ""
        if not self.atomic_updates:
            words += (
                "; multi-operation updates are not atomic (an operation that fails leaves "
                "the earlier ones applied)"
            )
        if not self.per_request_timeout:
            words += (
                "; per-request time limits are not sent (its `timeout` gives partial answers "
                "that do not always say so)"
            )
        return words

    def timed_out(self, message: str) -> bool:
        """Whether a failed answer's ``message`` says the store stopped the query at its
        time limit (``timeout_errors``)."""
        return any(words in message for words in self.timeout_errors)

    def cut_at_cap(self, rows: int) -> bool:
        """Whether an answer of ``rows`` rows may have been cut by the store's own cap (an
        answer exactly as long as the cap cannot be told from a cut one)."""
        return self.max_rows is not None and rows >= self.max_rows


#: An engine Parley knows nothing particular about: the standard, taken at its word.
STANDARD = Engine("SPARQL 1.1 store")
OXIGRAPH = Engine("Oxigraph")
VIRTUOSO = Engine(
    "Virtuoso",
    solutions=XML,
    partial_header="X-SQL-State",
    system_graphs=(
        "http://www.openlinksw.com/",
        "http://localuriqaserver/",
        "http://www.w3.org/ns/ldp#",
        "http://www.w3.org/2002/07/owl#",
    ),
    atomic_updates=False,
    max_update_triples=500,
    drops_all=False,
    keeps_equal_values=False,
    graphs_query="SELECT ?g WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g",
    rewrite=(b"<bnode>nodeID://", b"<bnode>"),
    ask_variable="__ASK_RETVAL",
    # SR171: MaxQueryExecutionTime reached; the estimate: MaxQueryCostEstimationTime.
    timeout_errors=("SR171: Transaction timed out", "The estimated execution time"),
    per_request_timeout=False,
    error_echo="SPARQL query:",
    local_escapes=False,
    computed_booleans=False,
    strings_become_iris=True,
    empty_outside_dataset=False,
    deletes_beside_inserts=False,
    converted_datatypes=("http://www.opengis.net/ont/geosparql#wktLiteral",),
)

#: Reads Virtuoso's own limits (the ``bif:`` functions are Virtuoso's SQL built-ins,
#: open to the anonymous SPARQL user): the row cap and the time limit of its ini file.
VIRTUOSO_LIMITS_QUERY = (
    "SELECT (bif:cfg_item_value(bif:virtuoso_ini_path(), 'SPARQL', 'ResultSetMaxRows') AS ?rows)"
    " (bif:cfg_item_value(bif:virtuoso_ini_path(), 'SPARQL', 'MaxQueryExecutionTime') AS ?time)"
    " WHERE {}"
)


def standard_boolean(engine: Engine, body: bytes) -> bytes:
    """An ASK query's XML answer as the standard writes it, from the standard's form or
    from the form ``engine`` writes it in.

    >>> table = (b'<sparql xmlns="http://www.w3.org/2005/sparql-results#"><head>'
    ...     b'<variable name="__ASK_RETVAL"/></head><results><result><binding '
    ...     b'name="__ASK_RETVAL"><literal>1</literal></binding></result></results></sparql>')
    >>> b"true" in standard_boolean(VIRTUOSO, table)
    True
    >>> b"false" in standard_boolean(VIRTUOSO, table.split(b"<result>")[0] + b"</results></sparql>")
    True
    """
    if engine.ask_variable is not None and f'"{engine.ask_variable}"'.encode() in body[:1000]:
        _names, rows = parse_solutions(body, XML)
        value = rows[0].get(engine.ask_variable) if rows else None
        answer = value is not None and getattr(value, "value", "0") not in ("0", "false")
        return _BOOLEAN_XML % (b"true" if answer else b"false")
    return body


_BOOLEAN_XML = (
    b'<?xml version="1.0"?><sparql xmlns="http://www.w3.org/2005/sparql-results#">'
    b"<head/><boolean>%s</boolean></sparql>"
)


def engine_for(server_header: str | None) -> Engine:
    """The profile for a store whose answers carry ``Server: server_header``.

    >>> engine_for("Virtuoso/07.20.3229 (Linux) x86_64-pc-linux-gnu").name
    'Virtuoso'
    >>> engine_for("Oxigraph/0.5.3").name, engine_for(None).name
    ('Oxigraph', 'SPARQL 1.1 store')
    """
    server = (server_header or "").lower()
    engine = (
        VIRTUOSO if server.startswith("virtuoso") else
        OXIGRAPH if server.startswith("oxigraph") else
        STANDARD
    )  # fmt: skip
    if engine is STANDARD or "/" not in server:
        return engine
    return replace(engine, version=_version(server.split("/", 1)[1].split()[0]))


def _version(token: str) -> str:
    """A version as people write it: Virtuoso says ``07.20.3229`` for 7.2 (build 3229).

    >>> _version("07.20.3229"), _version("0.5.3")
    ('7.2', '0.5.3')
    """
    parts = token.split(".")
    padded = len(parts) == 3 and all(p.isdigit() for p in parts) and len(parts[1]) == 2
    if padded and parts[0].startswith("0"):
        return f"{int(parts[0])}.{int(parts[1]) // 10}"
    return token


def with_limits(engine: Engine, rows: str | None, time_s: str | None) -> Engine:
    """``engine`` with the row cap and time limit the store reported (Virtuoso: 0 or
    nothing means none).

    >>> v = with_limits(VIRTUOSO, "10000", "60")
    >>> v.max_rows, v.max_time_s, with_limits(VIRTUOSO, "0", None).max_rows
    (10000, 60.0, None)
    """
    cap = _positive(rows)
    limit = _positive(time_s)
    return replace(engine, max_rows=cap, max_time_s=None if limit is None else float(limit))


def _positive(text: str | None) -> int | None:
    try:
        value = int(float(text)) if text else 0
    except ValueError:
        return None
    return value if value > 0 else None
