"""SHACL validation with pyshacl: the only module that imports it.

``ShaclValidator`` holds the shapes and the ontology (parsed once) and
validates data three ways: whole (``parley build``: the ontology merged in, so
``sh:class`` and ``sh:targetClass`` follow ``rdfs:subClassOf`` and find the
concept schemes' members), in context (the write gate: a small graph the gate
cut out of the store, only some focus nodes), and a client's data against the
client's own shapes. Every call runs inside ``literals_verbatim()``: pyshacl
flips rdflib's process-global literal normalisation. pyshacl's reports are
corrected by ``service.gate._shacl_report``.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import chain
from typing import Any

import pyshacl
import pyshacl.shape
import rdflib
from rdflib.namespace import RDF
from rdflib.namespace import SH as RSH

from service.errors import ShapesError, ShapeViolationError
from service.gate._shacl_report import strict_booleans, without_nested_results
from service.gate._shacl_sparql import evaluate, split_shapes, to_report_triples
from service.rdf import (
    DefaultGraph,
    NamedNode,
    Quad,
    Term,
    Vocab,
    literals_verbatim,
    rdflib_graph,
    term_to_rdflib,
    to_rdflib,
)
from service.store import OxigraphStore


@dataclass(frozen=True)
class ValidationResult:
    """One ``sh:ValidationResult`` of a report, as plain strings (N-Triples terms)."""

    focus_node: str
    result_path: str | None
    value: str | None
    source_constraint_component: str
    source_shape: str
    severity: str
    message: str

    def to_json(self) -> dict[str, Any]:
        return {
            "focusNode": self.focus_node,
            "resultPath": self.result_path,
            "value": self.value,
            "sourceConstraintComponent": self.source_constraint_component,
            "sourceShape": self.source_shape,
            "resultSeverity": self.severity,
            "message": self.message,
        }


@dataclass(frozen=True)
class ValidationReport:
    """The outcome of a validation: whether the data conforms, and why not."""

    conforms: bool
    results: tuple[ValidationResult, ...]
    #: The SHACL report graph itself, for clients that ask for RDF.
    graph: rdflib.Graph

    def to_json(self) -> dict[str, Any]:
        return {"conforms": self.conforms, "results": [r.to_json() for r in self.results]}

    @classmethod
    def from_json(cls, payload: dict[str, Any]) -> ValidationReport:
        """The report ``to_json`` wrote (a server's answer to ``POST /validate``); its
        ``graph`` is rebuilt from the results.

        >>> report = ValidationReport.from_json({"conforms": True, "results": []})
        >>> report.conforms, report.to_json() == {"conforms": True, "results": []}
        (True, True)
        """
        results = tuple(
            ValidationResult(
                focus_node=r["focusNode"],
                result_path=r.get("resultPath"),
                value=r.get("value"),
                source_constraint_component=r.get("sourceConstraintComponent") or "",
                source_shape=r.get("sourceShape") or "",
                severity=r.get("resultSeverity") or "",
                message=r.get("message") or "",
            )
            for r in payload.get("results") or []
        )
        return cls(bool(payload["conforms"]), results, _report_graph(results))

    def text(self) -> str:
        """A report a person reads in a terminal."""
        if self.conforms:
            return "Conforms: yes"
        lines = [f"Conforms: no ({len(self.results)} result(s))"]
        for r in self.results:
            path = f" {r.result_path}" if r.result_path else ""
            value = f" value {r.value}" if r.value else ""
            shape = r.source_shape.rsplit("#", 1)[-1].rstrip(">")
            lines.append(f"- {r.focus_node}{path}{value} [{shape}]\n  {r.message}")
        return "\n".join(lines)

    def raise_if_violated(self, detail: str) -> None:
        """Raise ``ShapeViolationError`` (422) carrying this report unless it conforms."""
        if not self.conforms:
            raise ShapeViolationError(
                detail, conforms=False, results=[r.to_json() for r in self.results], report=self
            )


def _term(node: rdflib.term.Node | None) -> str | None:
    if node is None:
        return None
    if isinstance(node, rdflib.BNode):
        return "_:" + str(node)
    return str(node.n3())


def _path_text(graph: rdflib.Graph, node: rdflib.term.Node | None) -> str | None:
    """A SHACL path as a SPARQL property path (IRIs in angle brackets)."""
    if node is None:
        return None
    if not isinstance(node, rdflib.BNode):
        return _term(node)
    inverse = graph.value(node, RSH.inversePath)
    if inverse is not None:
        return "^" + (_path_text(graph, inverse) or "")
    alternative = graph.value(node, RSH.alternativePath)
    if alternative is not None:
        items = rdflib.collection.Collection(graph, alternative)
        return "(" + "|".join(_path_text(graph, i) or "" for i in items) + ")"
    for prop, suffix in (
        (RSH.zeroOrMorePath, "*"),
        (RSH.oneOrMorePath, "+"),
        (RSH.zeroOrOnePath, "?"),
    ):
        inner = graph.value(node, prop)
        if inner is not None:
            return f"({_path_text(graph, inner)}){suffix}"
    if graph.value(node, rdflib.RDF.first) is not None:
        return "/".join(
            _path_text(graph, i) or "" for i in rdflib.collection.Collection(graph, node)
        )
    return _term(node)


def report_from_graph(conforms: bool, graph: rdflib.Graph) -> ValidationReport:
    """Read the results out of a SHACL report graph, sorted for stable output."""
    results = []
    for result in graph.subjects(rdflib.RDF.type, RSH.ValidationResult):
        message = graph.value(result, RSH.resultMessage)
        shape = graph.value(result, RSH.sourceShape)
        results.append(
            ValidationResult(
                focus_node=_term(graph.value(result, RSH.focusNode)) or "",
                result_path=_path_text(graph, graph.value(result, RSH.resultPath)),
                value=_term(graph.value(result, RSH.value)),
                source_constraint_component=_term(
                    graph.value(result, RSH.sourceConstraintComponent)
                )
                or "",
                source_shape=(_term(shape) or "")
                if not isinstance(shape, rdflib.BNode)
                else "_:shape",
                severity=_term(graph.value(result, RSH.resultSeverity)) or "",
                message=str(message) if message is not None else "",
            )
        )
    results.sort(key=lambda r: (r.focus_node, r.result_path or "", r.message))
    return ValidationReport(conforms=conforms, results=tuple(results), graph=graph)


class ShaclValidator:
    """Validates data against one set of shapes under one ontology.

    The shapes' ``sh:sparql`` constraints run in Oxigraph (``service.gate._shacl_sparql``),
    everything else in pyshacl; a client's own shapes go to pyshacl whole.
    """

    def __init__(self, shapes: rdflib.Graph, ontology: Sequence[Quad] = ()) -> None:
        self.shapes = shapes
        self.core_shapes, self.sparql_constraints = split_shapes(shapes)
        self.ontology = [_in_default_graph(q) for q in ontology]
        self.ontology_graph = to_rdflib(self.ontology)

    def validate(
        self, data: Sequence[Quad], *, focus_nodes: Collection[Term] | None = None
    ) -> ValidationReport:
        """Validate ``data`` (graph names are ignored) merged with the ontology.

        :param focus_nodes: validate only these nodes (the shapes still see all of ``data``).
        """
        # The whole ontology is merged rather than passed as pyshacl's ont_graph: pyshacl
        # copies only RDFS/OWL axioms from it, not the concept individuals
        # (parley:role-host a parley:Role) that sh:class checks need.
        graph = to_rdflib(data) + self.ontology_graph
        # Only the focus nodes are evaluated (``parley validate`` without a store: a file's
        # nodes in all of data/, a third of the time), the filter fixed as in validate_context.
        focus = _pyshacl_focus(focus_nodes)
        conforms, report_graph = _pyshacl(graph, self.core_shapes, focus_nodes=focus)
        merged = (_in_default_graph(q) for q in chain(data, self.ontology))  # lazy
        held = self._check_sparql_constraints(report_graph, merged)
        report = report_from_graph(conforms and held, report_graph)
        if focus_nodes is None:
            return report
        # The results about the focus nodes are kept: the sh:sparql constraints ran on
        # every targeted node, and so did pyshacl where ``_pyshacl_focus`` declined.
        wanted = {str(term_to_rdflib(t).n3()) for t in focus_nodes}
        kept = tuple(r for r in report.results if r.focus_node in wanted)
        return ValidationReport(conforms=not kept, results=kept, graph=_report_graph(kept))

    @staticmethod
    def validate_with_shapes(data: Sequence[Quad], shapes: rdflib.Graph) -> ValidationReport:
        """Validate ``data`` alone against a client's ``shapes`` (no ontology), all in pyshacl.

        :raises ShapesError: pyshacl cannot use the shapes (it raises plain exceptions
            for a SPARQL constraint that does not parse, an unknown prefix, ...).
        """
        try:
            conforms, report_graph = _pyshacl(to_rdflib(data), strict_booleans(shapes))
        except Exception as exc:  # pyshacl's errors about shapes share no type
            raise ShapesError(f"the shapes cannot be used: {exc}") from exc
        return report_from_graph(conforms, report_graph)

    def validate_context(
        self, triples: Iterable[tuple[Term, NamedNode, Term]], focus_nodes: Sequence[NamedNode]
    ) -> ValidationReport:
        """Validate ``focus_nodes`` on a graph cut out for them (``service.gate._context``).

        Unlike ``validate``, nothing is merged in (the gate puts in what the shapes
        read), and only the focus nodes are validated: pyshacl's ``focus_nodes``
        with its nested-shape filtering corrected (``_focus_filter_on_targets_only``).
        """
        if not focus_nodes:
            return conforming_report()
        triples = list(triples)
        focus = [str(n.value) for n in focus_nodes]
        conforms, report_graph = _pyshacl(
            rdflib_graph(triples), self.core_shapes, focus_nodes=focus
        )
        quads = (Quad(s, p, o) for s, p, o in triples)  # type: ignore[arg-type]
        held = self._check_sparql_constraints(report_graph, quads, focus=set(focus_nodes))
        return report_from_graph(conforms and held, report_graph)

    def _check_sparql_constraints(
        self, report_graph: rdflib.Graph, data: Iterable[Quad], focus: set[Term] | None = None
    ) -> bool:
        """Run the shapes' ``sh:sparql`` constraints over ``data`` (in a scratch Oxigraph
        store), add their violations to ``report_graph``, and say whether there were none.

        :param focus: report only these focus nodes (all targeted nodes when ``None``).
        """
        if not self.sparql_constraints:
            return True
        scratch = OxigraphStore.open(None, Vocab("http://scratch.invalid/"))
        try:
            scratch.bulk_extend(data)
            violations = evaluate(self.sparql_constraints, scratch, focus=focus)
        finally:
            scratch.close()
        for triple in to_report_triples(violations):
            report_graph.add(triple)  # type: ignore[arg-type]
        return not violations


def _pyshacl(
    data: rdflib.Graph, shapes: rdflib.Graph, *, focus_nodes: list[str] | None = None
) -> tuple[bool, rdflib.Graph]:
    options: dict[str, Any] = {} if focus_nodes is None else {"focus_nodes": focus_nodes}
    with literals_verbatim(), _focus_filter_on_targets_only(focus_nodes is not None):
        conforms, report_graph, _text = pyshacl.validate(
            data,
            shacl_graph=shapes,
            inference="none",
            advanced=False,
            allow_warnings=False,
            **options,
        )
    assert isinstance(report_graph, rdflib.Graph)
    report_graph = without_nested_results(report_graph, shapes, data)
    # Every result is a violation here (warnings and infos are not allowed).
    return bool(conforms) or not any(report_graph.subjects(RDF.type, RSH.ValidationResult)), (
        report_graph
    )


def _pyshacl_focus(focus_nodes: Collection[Term] | None) -> list[str] | None:
    """The focus nodes as pyshacl's ``focus_nodes`` option, or ``None`` (validate every
    targeted node) when pyshacl would read them otherwise than they are: it takes IRIs
    only (a blank node would be dropped), none at all means every node, and an IRI of a
    scheme other than these is read as a CURIE (``schema:Person`` would be expanded)."""
    if not focus_nodes or not all(isinstance(t, NamedNode) for t in focus_nodes):
        return None
    iris = [str(t.value) for t in focus_nodes]
    if not all(iri.lower().startswith(_PYSHACL_IRI_SCHEMES) for iri in iris):
        return None
    return iris


#: The schemes of the focus nodes pyshacl takes as IRIs (others it expands as CURIEs).
_PYSHACL_IRI_SCHEMES = ("http:", "https:", "urn:", "file:")


@contextmanager
def _focus_filter_on_targets_only(active: bool) -> Iterator[None]:
    """Apply pyshacl's ``focus_nodes`` to the shapes' targets only, as it documents.

    pyshacl 0.40.1 filters every shape evaluation by ``focus_nodes``, the nested
    ones (``sh:node``, ``sh:or``, ``sh:not``, ``sh:qualifiedValueShape``, on value
    nodes) included: a value node that is not itself a focus node is skipped, the
    nested shape "conforms", and violations are missed. A shape evaluated on
    nodes it was handed (``focus`` given) is a nested evaluation: it runs
    unfiltered here. (``use_shapes`` is no way out: it drops shapes that are
    referenced by IRI.) Runs under ``literals_verbatim()``'s lock, like every
    pyshacl call, so swapping the method is safe.
    """
    if not active:
        yield
        return
    original = pyshacl.shape.Shape.validate

    def validate(
        shape: Any,
        executor: Any,
        target_graph: Any,
        focus: Any = None,
        _evaluation_path: Any = None,
    ) -> Any:
        if focus is None or not executor.focus_nodes:
            return original(shape, executor, target_graph, focus, _evaluation_path)
        saved, executor.focus_nodes = executor.focus_nodes, None
        try:
            return original(shape, executor, target_graph, focus, _evaluation_path)
        finally:
            executor.focus_nodes = saved

    pyshacl.shape.Shape.validate = validate  # type: ignore[method-assign,assignment]
    try:
        yield
    finally:
        pyshacl.shape.Shape.validate = original  # type: ignore[method-assign]


def conforming_report() -> ValidationReport:
    """The report of a validation that found nothing to check, or nothing wrong."""
    graph = rdflib.Graph()
    node = rdflib.BNode()
    graph.add((node, rdflib.RDF.type, RSH.ValidationReport))
    graph.add((node, RSH.conforms, rdflib.Literal(True)))
    return ValidationReport(conforms=True, results=(), graph=graph)


def _report_graph(results: Sequence[ValidationResult]) -> rdflib.Graph:
    """A SHACL report graph holding ``results``."""
    graph = rdflib.Graph()
    report = rdflib.BNode()
    graph.add((report, RDF.type, RSH.ValidationReport))
    graph.add((report, RSH.conforms, rdflib.Literal(not results)))
    for r in results:
        node = rdflib.BNode()
        graph.add((report, RSH.result, node))
        graph.add((node, RDF.type, RSH.ValidationResult))
        graph.add((node, RSH.resultMessage, rdflib.Literal(r.message)))
        for prop, text in (
            (RSH.focusNode, r.focus_node),
            (RSH.resultPath, r.result_path),
            (RSH.value, r.value),
            (RSH.sourceConstraintComponent, r.source_constraint_component),
            (RSH.sourceShape, r.source_shape),
            (RSH.resultSeverity, r.severity),
        ):
            term = _from_n3(text)
            if term is not None:
                graph.add((node, prop, term))
    return graph


def _from_n3(text: str | None) -> rdflib.term.Node | None:
    if not text or text == "_:shape" or text.startswith("("):
        return None
    try:
        node = rdflib.util.from_n3(text)
        return node if isinstance(node, rdflib.term.Node) else None
    except Exception:  # a path rendered as SPARQL text: leave it out of the graph
        return None


def _in_default_graph(quad: Quad) -> Quad:
    return Quad(quad.subject, quad.predicate, quad.object, DefaultGraph())
