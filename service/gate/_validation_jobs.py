"""The validations a client asks for (``POST /validate``), as jobs for the guard
(``service.query._guard``): picklable, run in a process that is killed at the time limit.

Their cost is the client's to choose. A client's own shapes run in pyshacl,
SPARQL constraints and regular expressions included (a ``sh:select`` that is a
three-way product over 40 triples: 9 s; five-way: hours). The server's shapes
run on the client's data with the reasoner, whose work grows faster than the
data: the inferences of a chain of ``parley:actsOnBehalfOf`` grow with the
square of its length (200 links: 7 s; 1,000: many minutes). In a guard worker
neither holds anything of the web process: pyshacl's process-wide rdflib lock
(``literals_verbatim``) is the worker's own, so writes and other validations
go on.

The data is parsed in the worker too, and the report comes back as plain
values (``ReportWire``), rebuilt by ``report_from_wire`` without rdflib's
process-wide literal switch.
"""

from __future__ import annotations

import hashlib
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Protocol

import rdflib

from service.errors import ParleyError, ValidationTimeoutError
from service.gate._validation import ShaclValidator, ValidationReport, ValidationResult
from service.gate._write_gate import Checked, GateModel, Prepared, WriteGate
from service.rdf import (
    NTRIPLES,
    BlankNode,
    Format,
    Literal,
    NamedNode,
    from_rdflib,
    parse,
    quads_from_wire,
    quads_to_wire,
    to_rdflib,
)
from service.store import ChangeSet, GraphStore, RemoteSource, Snapshot

#: A report between processes: conforms, its results, and its graph as N-Quads.
ReportWire = tuple[bool, tuple[ValidationResult, ...], bytes]
#: A prepared change between processes: deleted, inserted and sent quads as N-Quads, the
#: graphs created and dropped by IRI.
PreparedWire = tuple[bytes, bytes, bytes, list[str], list[str]]
#: A checked change between processes: the report, the inferred deletions and insertions.
CheckedWire = tuple[ReportWire, bytes, bytes]

_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"


@dataclass(frozen=True)
class ValidateWithShapes:
    """The client's data, alone, against the client's own shapes."""

    data: bytes
    data_format: Format
    shapes: bytes
    shapes_format: Format
    #: Relative IRIs in both resolve against it.
    base_iri: str

    def __call__(self) -> ReportWire:
        base = self.base_iri
        data = parse(self.data, self.data_format, base_iri=base, what="the data")
        shapes = parse(self.shapes, self.shapes_format, base_iri=base, what="the shapes")
        return report_to_wire(ShaclValidator.validate_with_shapes(data, to_rdflib(shapes)))

    def timed_out(self, limit_s: float) -> ParleyError:
        return ValidationTimeoutError(
            f"validating the data against the request's shapes took longer than the "
            f"{limit_s:g} s limit and was stopped; simplify the shapes' SPARQL constraints "
            "and patterns, or send less data",
            timeoutSeconds=limit_s,
        )


@dataclass(frozen=True)
class ValidateInContext:
    """The client's data against the server's shapes, in the context of the store (a
    snapshot of it, or the remote store), as the write gate would validate it
    (``WriteGate.validate``)."""

    store: Snapshot | RemoteSource
    data: bytes
    data_format: Format
    #: The graph the data would be written to.
    graph: NamedNode

    def __call__(self) -> ReportWire:
        base = self.store.base_iri
        quads = parse(self.data, self.data_format, base_iri=base, graph=self.graph, what="the data")
        store = self.store.open()
        try:
            gate = WriteGate(store, _model(store))
            return report_to_wire(gate.validate(ChangeSet(insert=quads)))
        finally:
            store.close()

    def timed_out(self, limit_s: float) -> ParleyError:
        return ValidationTimeoutError(
            f"validating the data took longer than the {limit_s:g} s limit and was stopped; "
            "send it in smaller parts",
            timeoutSeconds=limit_s,
        )


@dataclass(frozen=True)
class CheckChange:
    """A write's check (reasoning and validation in context, ``WriteGate.check``) that costs
    more than the web process spends, on a snapshot of the store taken under the write lock
    (or the remote store, whose lease the writer holds)."""

    store: Snapshot | RemoteSource
    prepared: PreparedWire

    def __call__(self) -> CheckedWire:
        store = self.store.open()
        try:
            report, delete, insert = WriteGate(store, _model(store)).check(
                prepared_from_wire(self.prepared)
            )
            return report_to_wire(report), quads_to_wire(delete), quads_to_wire(insert)
        finally:
            store.close()

    def timed_out(self, limit_s: float) -> ParleyError:
        return ValidationTimeoutError(
            f"reasoning over the change and validating it took longer than the {limit_s:g} s "
            "limit and was stopped; nothing was written. Send it in smaller parts",
            timeoutSeconds=limit_s,
        )


class Runner(Protocol):
    """What ``guard_writes`` needs of the guard (``service.query.Guard``)."""

    def can_share(self, store: GraphStore) -> bool: ...

    def shared(self, store: GraphStore) -> AbstractContextManager[Snapshot | RemoteSource]: ...

    def run(self, job: CheckChange) -> CheckedWire: ...


def guard_writes(gate: WriteGate, runner: Runner) -> None:
    """Have ``gate`` check a costly write in one of ``runner``'s workers, under the time
    limit, when a worker can read its store."""
    store = gate.store
    if not runner.can_share(store):
        return  # an in-memory store, or no workers: checked in the web process, as queries are

    def offload(prepared: Prepared) -> Checked:
        with runner.shared(store) as shared:
            report, delete, insert = runner.run(CheckChange(shared, prepared_to_wire(prepared)))
        return report_from_wire(report), quads_from_wire(delete), quads_from_wire(insert)

    gate.offload = offload


def prepared_to_wire(prepared: Prepared) -> PreparedWire:
    return (
        quads_to_wire(prepared.delete),
        quads_to_wire(prepared.insert),
        quads_to_wire(prepared.sent),
        [g.value for g in prepared.create_graphs],
        [g.value for g in prepared.drop_graphs],
    )


def prepared_from_wire(wire: PreparedWire) -> Prepared:
    delete, insert, sent, create, drop = wire
    return Prepared(
        delete=quads_from_wire(delete),
        insert=quads_from_wire(insert),
        sent=quads_from_wire(sent),
        create_graphs=[NamedNode(g) for g in create],
        drop_graphs=[NamedNode(g) for g in drop],
    )


#: The gate models this worker compiled, by the model graphs they were compiled from.
_MODELS: dict[str, GateModel] = {}


def _model(store: GraphStore) -> GateModel:
    """The gate's model of ``store``'s ontology and shapes: compiled once per worker (half
    a second for Parley's model), found again by the graphs' content."""
    vocab = store.vocab
    digest = hashlib.sha256()
    for graph in (vocab.ontology_graph, vocab.shapes_graph):
        for line in sorted(store.serialize_graph(graph, NTRIPLES).splitlines()):
            digest.update(line + b"\n")
        digest.update(b"\n")
    key = digest.hexdigest()
    model = _MODELS.get(key)
    if model is None:
        if len(_MODELS) >= 4:  # another model is another store: forget the old ones
            _MODELS.clear()
        model = _MODELS[key] = GateModel.from_store(store)
    return model


def report_to_wire(report: ValidationReport) -> ReportWire:
    return report.conforms, report.results, quads_to_wire(from_rdflib(report.graph))


def report_from_wire(wire: ReportWire) -> ValidationReport:
    """The report a job sent. Its graph is built term by term with literals kept as they
    are, so the web process never takes rdflib's process-wide lock for it."""
    conforms, results, graph_quads = wire
    graph = rdflib.Graph()
    for quad in quads_from_wire(graph_quads):
        graph.add((_rdflib(quad.subject), _rdflib(quad.predicate), _rdflib(quad.object)))
    return ValidationReport(conforms=conforms, results=results, graph=graph)


def _rdflib(term: object) -> rdflib.term.Identifier:
    if isinstance(term, NamedNode):
        return rdflib.URIRef(term.value)
    if isinstance(term, BlankNode):
        return rdflib.BNode(term.value)
    if isinstance(term, Literal):
        if term.language:
            return rdflib.Literal(term.value, lang=term.language, normalize=False)
        if term.datatype.value == _XSD_STRING:
            return rdflib.Literal(term.value, normalize=False)
        datatype = rdflib.URIRef(term.datatype.value)
        return rdflib.Literal(term.value, datatype=datatype, normalize=False)
    raise TypeError(f"a report holds no {type(term).__name__}")
