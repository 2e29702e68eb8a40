"""A SPARQL answer as a table a person reads: IRIs linked and labelled.

The query page shows what ``/sparql`` answered (SPARQL JSON for SELECT and
ASK, N-Triples for CONSTRUCT and DESCRIBE) as rows of ``TermView`` cells.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from service.errors import StoreError
from service.pages._labels import Labels, TermView
from service.rdf import NTRIPLES, BlankNode, Literal, NamedNode, Term, Triple, parse

#: Rows shown on the page; the downloads have them all.
SHOWN_ROWS = 1000


@dataclass
class ResultTable:
    columns: list[str]
    rows: list[list[TermView | None]] = field(default_factory=list)
    total: int = 0
    boolean: bool | None = None


def _term(cell: dict[str, str]) -> Term:
    kind, value = cell.get("type"), cell.get("value", "")
    if kind == "uri":
        return NamedNode(value)
    if kind == "bnode":
        return BlankNode(value)
    if "xml:lang" in cell:
        return Literal(value, language=cell["xml:lang"])
    if "datatype" in cell:
        return Literal(value, datatype=NamedNode(cell["datatype"]))
    return Literal(value)


def from_results_json(body: bytes, labels: Labels) -> ResultTable:
    """A table from SPARQL 1.1 Query Results JSON."""
    try:
        doc = json.loads(body)
    except ValueError as exc:
        raise StoreError(f"the query answer is not SPARQL JSON: {exc}") from exc
    if "boolean" in doc:
        return ResultTable(columns=[], boolean=bool(doc["boolean"]))
    columns = list(doc.get("head", {}).get("vars", []))
    bindings = doc.get("results", {}).get("bindings", [])
    cells = [{v: _term(b[v]) for v in columns if v in b} for b in bindings[:SHOWN_ROWS]]
    labels.fetch(t for row in cells for t in row.values())
    table = ResultTable(columns, total=len(bindings))
    table.rows = [[labels.maybe(row.get(v)) for v in columns] for row in cells]
    return table


def from_ntriples(body: bytes, labels: Labels) -> ResultTable:
    """A subject / predicate / object table from N-Triples."""
    triples = [
        (q.subject, q.predicate, q.object)
        for q in parse(body, NTRIPLES, what="the query answer")
        if not isinstance(q.subject, Triple) and not isinstance(q.object, Triple)
    ]
    shown = triples[:SHOWN_ROWS]
    labels.fetch(t for triple in shown for t in triple)
    table = ResultTable(["subject", "predicate", "object"], total=len(triples))
    table.rows = [[labels.view(t) for t in triple] for triple in shown]
    return table
