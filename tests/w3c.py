"""Reading the W3C SPARQL test manifests (protocol, graph store, query evaluation).

The project's own runner: manifests are Turtle files read with rdflib; each
test becomes plain data (requests to send, results to expect) that the test
modules replay over HTTP against a real `parley serve`.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import httpx
import pyoxigraph
import rdflib
from rdflib.collection import Collection
from rdflib.compare import isomorphic

from tests.support import CONFORMANCE_DIR, Site

SPARQL11 = CONFORMANCE_DIR / "rdf-tests" / "sparql" / "sparql11"
#: The IRI the W3C suites are published under; graph names and bases derive from it.
W3C_BASE = "http://www.w3.org/2009/sparql/docs/tests/data-sparql11/"

MF = rdflib.Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
QT = rdflib.Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-query#")
UT = rdflib.Namespace("http://www.w3.org/2009/sparql/tests/test-update#")
HT = rdflib.Namespace("http://www.w3.org/2011/http#")
HTS = rdflib.Namespace("http://www.w3.org/2011/http-statusCodes#")
CNT = rdflib.Namespace("http://www.w3.org/2011/content#")
RDFS = rdflib.RDFS

_STATUS = {"OK": 200, "Created": 201, "NoContent": 204, "NotFound": 404}


def load_manifest(directory: str, name: str = "manifest.ttl") -> tuple[rdflib.Graph, Any]:
    """The manifest graph (IRIs under ``W3C_BASE``) and its node."""
    path = SPARQL11 / directory / name
    if not path.is_file():
        raise FileNotFoundError(f"conformance suite missing: {path}")
    graph = rdflib.Graph()
    graph.parse(path, format="turtle", publicID=f"{W3C_BASE}{directory}/{name}")
    return graph, rdflib.URIRef(f"{W3C_BASE}{directory}/{name}")


def local_path(iri: object) -> Path:
    """The file of a suite IRI."""
    text = str(iri)
    assert text.startswith(W3C_BASE), text
    return SPARQL11 / text.removeprefix(W3C_BASE)


def entries(graph: rdflib.Graph, manifest: Any) -> list[Any]:
    found: list[Any] = []
    for lst in graph.objects(manifest, MF.entries):
        found.extend(Collection(graph, lst))
    return found


def local_name(node: object) -> str:
    return str(node).rsplit("#", 1)[-1]


# -- protocol and graph store manifests --------------------------------------


@dataclass
class HttpRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes | None
    statuses: list[str]
    boolean: bool | None = None
    result_format: str | None = None
    location_var: str | None = None
    response_headers: dict[str, str] = field(default_factory=dict)
    response_body: str | None = None


@dataclass
class ProtocolCase:
    name: str
    requests: list[HttpRequest]
    #: (file, graph IRI) pairs to load before the requests.
    graph_data: list[tuple[Path, str]]


def _headers(graph: rdflib.Graph, node: Any) -> dict[str, str]:
    headers: dict[str, str] = {}
    for lst in graph.objects(node, HT.headers):
        for header in Collection(graph, lst):
            name = str(graph.value(header, HT.fieldName))
            headers[name.lower()] = str(graph.value(header, HT.fieldValue))
    return headers


def _body(graph: rdflib.Graph, node: Any) -> tuple[str | None, str]:
    body = graph.value(node, HT.body)
    if body is None:
        return None, "utf-8"
    text = str(graph.value(body, CNT.chars))
    encoding = str(graph.value(body, CNT.characterEncoding) or "UTF-8").lower()
    return text, encoding


def protocol_cases(directory: str, name: str = "manifest.ttl") -> list[ProtocolCase]:
    graph, manifest = load_manifest(directory, name)
    cases = []
    for entry in entries(graph, manifest):
        action = graph.value(entry, MF.action)
        requests = []
        for lst in graph.objects(action, HT.requests):
            for req in Collection(graph, lst):
                resp = graph.value(req, HT.resp)
                text, encoding = _body(graph, req)
                boolean = graph.value(resp, MF.expectedBoolean)
                location = graph.value(resp, MF.expectedLocation)
                fmt = graph.value(resp, MF.expectedFormat)
                expected_body, _ = _body(graph, resp)
                requests.append(
                    HttpRequest(
                        method=str(graph.value(req, HT.methodName)),
                        path=str(graph.value(req, HT.absolutePath)),
                        headers=_headers(graph, req),
                        body=None if text is None else text.encode(encoding),
                        statuses=[local_name(s) for s in graph.objects(resp, MF.expectedStatus)],
                        boolean=None if boolean is None else str(boolean) == "true",
                        result_format=None if fmt is None else str(fmt),
                        location_var=None if location is None else str(location),
                        response_headers=_headers(graph, resp),
                        response_body=expected_body,
                    )
                )
        data = [
            (local_path(graph.value(d, UT.graph)), str(graph.value(d, RDFS.label)))
            for d in graph.objects(entry, UT.graphData)
        ]
        cases.append(ProtocolCase(local_name(entry), requests, data))
    return cases


def status_matches(status: int, expected: Sequence[str]) -> bool:
    for name in expected:
        if name.startswith("StatusCode") and status // 100 == int(name[len("StatusCode")]):
            return True
        if _STATUS.get(name) == status:
            return True
    return False


def graphs_isomorphic(turtle_a: str, turtle_b: str, base: str) -> bool:
    a, b = rdflib.Graph(), rdflib.Graph()
    a.parse(data=turtle_a, format="turtle", publicID=base)
    b.parse(data=turtle_b, format="turtle", publicID=base)
    return isomorphic(a, b)


# -- query evaluation manifests ----------------------------------------------


@dataclass
class QueryCase:
    directory: str
    name: str
    kind: str
    query: Path
    query_iri: str
    data: list[Path]
    graph_data: list[tuple[Path, str]]
    result: Path | None


def query_cases(directory: str) -> list[QueryCase]:
    graph, manifest = load_manifest(directory)
    cases = []
    for entry in entries(graph, manifest):
        kind = local_name(graph.value(entry, rdflib.RDF.type))
        action = graph.value(entry, MF.action)
        if kind.startswith(("NegativeSyntax", "PositiveSyntax")):
            query_iri = str(action)
            data: list[Path] = []
            named: list[tuple[Path, str]] = []
        else:
            query_iri = str(graph.value(action, QT.query))
            data = [local_path(d) for d in graph.objects(action, QT.data)]
            named = [(local_path(g), str(g)) for g in graph.objects(action, QT.graphData)]
        result = graph.value(entry, MF.result)
        cases.append(
            QueryCase(
                directory,
                local_name(entry),
                kind,
                local_path(query_iri),
                query_iri,
                data,
                named,
                None if result is None else local_path(result),
            )
        )
    return cases


def to_ntriples(path: Path, base: str) -> bytes:
    """A data file as N-Triples with every IRI absolute (bases as the suites intend)."""
    fmt = (
        pyoxigraph.RdfFormat.from_extension(path.suffix.lstrip(".")) or pyoxigraph.RdfFormat.TURTLE
    )
    triples = [q.triple for q in pyoxigraph.parse(path=str(path), format=fmt, base_iri=base)]
    data = pyoxigraph.serialize(triples, format=pyoxigraph.RdfFormat.N_TRIPLES)
    assert data is not None
    return data


Row = tuple[tuple[str, Any], ...]


def solutions(data: bytes, fmt: pyoxigraph.QueryResultsFormat) -> bool | list[dict[str, Any]]:
    """A results document as a boolean or as rows (variable -> pyoxigraph term)."""
    parsed = pyoxigraph.parse_query_results(data, format=fmt)
    if isinstance(parsed, pyoxigraph.QueryBoolean):
        return bool(parsed)
    names = [v.value for v in parsed.variables]
    rows = []
    for solution in parsed:
        rows.append({n: solution[n] for n in names if solution[n] is not None})
    return rows


_XSD = "http://www.w3.org/2001/XMLSchema#"
_EXACT = {_XSD + t for t in ("integer", "decimal", "int", "long", "short", "byte")}
_FLOATS = {_XSD + "double", _XSD + "float"}


def _key(term: Any) -> object:
    """A term's comparison key: numbers by value (``1.0`` = ``1.00`` as xsd:decimal), as
    the W3C result comparison does; anything else by its syntax."""
    if isinstance(term, pyoxigraph.Literal):
        datatype = term.datatype.value
        try:
            if datatype in _EXACT:
                return (datatype, Decimal(term.value))
            if datatype in _FLOATS:
                return (datatype, float(term.value))
        except (InvalidOperation, ValueError):
            pass
    return str(term)


def _canonical(row: dict[str, Any], mapping: dict[str, str]) -> Row | None:
    out: list[tuple[str, Any]] = []
    for name, term in sorted(row.items()):
        if isinstance(term, pyoxigraph.BlankNode):
            if term.value not in mapping:
                return None
            out.append((name, "_:" + mapping[term.value]))
        else:
            out.append((name, _key(term)))
    return tuple(out)


def same_solutions(actual: list[dict[str, Any]], expected: list[dict[str, Any]]) -> bool:
    """Multiset equality of solutions, up to a consistent renaming of blank nodes."""
    if len(actual) != len(expected):
        return False
    bnodes = any(isinstance(t, pyoxigraph.BlankNode) for r in actual + expected for t in r.values())
    if not bnodes:
        return Counter(_canonical(r, {}) for r in actual) == Counter(
            _canonical(r, {}) for r in expected
        )
    return _match(list(actual), list(expected), {}, set())


def _match(
    actual: list[dict[str, Any]],
    expected: list[dict[str, Any]],
    mapping: dict[str, str],
    used: set[str],
) -> bool:
    if not actual:
        return True
    row = actual[0]
    for i, candidate in enumerate(expected):
        if row.keys() != candidate.keys():
            continue
        new_map, new_used, ok = dict(mapping), set(used), True
        for name, term in row.items():
            other = candidate[name]
            if isinstance(term, pyoxigraph.BlankNode) and isinstance(other, pyoxigraph.BlankNode):
                bound = new_map.get(term.value)
                if bound is None and other.value not in new_used:
                    new_map[term.value] = other.value
                    new_used.add(other.value)
                elif bound != other.value:
                    ok = False
                    break
            elif _key(term) != _key(other):
                ok = False
                break
        if ok and _match(actual[1:], expected[:i] + expected[i + 1 :], new_map, new_used):
            return True
    return False


def table_rows(text: str, delimiter: str) -> Counter[frozenset[tuple[str, str]]]:
    """CSV/TSV answers as a multiset of rows keyed by column name (the order of
    ``SELECT *`` columns is the engine's choice)."""
    if delimiter == "\t":  # TSV has no quoting
        reader = csv.reader(io.StringIO(text), delimiter=delimiter, quoting=csv.QUOTE_NONE)
    else:
        reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    rows = list(reader)
    header = rows[0]
    # Blank-node labels are the engine's own: compare them as "some blank node".
    return Counter(
        frozenset(
            (name, "_:" if value.startswith("_:") else value)
            for name, value in zip(header, row, strict=True)
        )
        for row in rows[1:]
    )


RS = rdflib.Namespace("http://www.w3.org/2001/sw/DataAccess/tests/result-set#")


def _oxi(term: Any) -> Any:
    if isinstance(term, rdflib.BNode):
        return pyoxigraph.BlankNode(str(term))
    nt = f"<http://s> <http://p> {term.n3()} ."
    return next(iter(pyoxigraph.parse(nt.encode(), pyoxigraph.RdfFormat.N_TRIPLES))).object


def result_set(data: str, base: str) -> bool | list[dict[str, Any]] | None:
    """Expected results written in the DAWG result-set vocabulary (Turtle), if they are."""
    graph = rdflib.Graph()
    graph.parse(data=data, format="turtle", publicID=base)
    node = next(graph.subjects(rdflib.RDF.type, RS.ResultSet), None)
    if node is None:
        return None
    boolean = graph.value(node, RS.boolean)
    if boolean is not None:
        return str(boolean) == "true"
    rows = []
    for solution in graph.objects(node, RS.solution):
        row = {}
        for binding in graph.objects(solution, RS.binding):
            row[str(graph.value(binding, RS.variable))] = _oxi(graph.value(binding, RS.value))
        rows.append(row)
    return rows


def empty_store(site: Site, http: httpx.Client) -> None:
    """``DROP ALL`` on a test site (each W3C test starts from an empty store)."""
    reset = http.post(
        "/sparql",
        content=b"DROP ALL",
        headers={**site.auth(), "Content-Type": "application/sparql-update"},
    )
    assert reset.status_code == 200, reset.text
