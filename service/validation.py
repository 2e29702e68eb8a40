"""SHACL validation with pyshacl: the only module that imports it.

``ShaclValidator`` holds the shapes and the ontology (parsed once) and
validates an rdflib data graph, optionally only at some focus nodes. The
ontology is mixed into the data graph so ``sh:class`` and ``sh:targetClass``
follow ``rdfs:subClassOf``. Every call runs inside ``literals_verbatim()``:
pyshacl flips rdflib's process-global literal normalisation.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import pyshacl
import pyshacl.shape
import rdflib
from rdflib.namespace import SH as RSH
from rdflib.plugins.sparql import prepareQuery
from rdflib.plugins.sparql.sparql import Query

from service.errors import ShapesError, ShapeViolationError
from service.rdfio import literals_verbatim


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


@lru_cache(maxsize=512)
def _prepared(text: str) -> Query:
    return prepareQuery(text)


class _QueryCachingGraph(rdflib.Graph):
    """A view of a graph whose SPARQL queries are parsed once per text.

    pyshacl hands each SPARQL-based constraint's text to ``Graph.query`` for
    every focus node, and rdflib parses it every time (about 20 ms a query);
    a prepared query gives the same answers.
    """

    def query(self, query_object: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(query_object, str):
            query_object = _prepared(query_object)
        return super().query(query_object, *args, **kwargs)


def _caching_view(graph: rdflib.Graph) -> rdflib.Graph:
    """The same triples (the same store, no copy), with prepared queries."""
    return _QueryCachingGraph(store=graph.store, identifier=graph.identifier)


class ShaclValidator:
    """Validates data graphs against one set of shapes under one ontology."""

    def __init__(self, shapes: rdflib.Graph, ontology: rdflib.Graph | None = None) -> None:
        self.shapes = shapes
        self.ontology = ontology

    def validate(
        self,
        data: rdflib.Graph,
        *,
        shapes: rdflib.Graph | None = None,
        with_ontology: bool = True,
    ) -> ValidationReport:
        """Validate ``data``: every node the shapes target.

        :param shapes: validate with these shapes instead (and without the ontology).
        """
        use_shapes = shapes if shapes is not None else self.shapes
        if with_ontology and shapes is None and self.ontology is not None:
            # The whole ontology, not pyshacl's ``ont_graph`` inoculation: that copies
            # classes and properties but not the ontology's individuals (the roles,
            # verdicts, modalities), whose types ``sh:class`` checks.
            data = data + self.ontology
        conforms, report = self._run(data, use_shapes)
        return report_from_graph(conforms, report)

    @staticmethod
    def validate_alone(data: rdflib.Graph, shapes: rdflib.Graph) -> ValidationReport:
        """Validate a client's data with the client's shapes, nothing else.

        :raises ShapesError: pyshacl cannot use the shapes (it raises plain exceptions
            for a SPARQL constraint that does not parse, an unknown prefix, ...).
        """
        try:
            conforms, report = ShaclValidator._run(data, _strict_booleans(shapes))
        except Exception as exc:  # pyshacl's errors for bad shapes have no common type
            raise ShapesError(f"the shapes cannot be used: {exc}") from exc
        return report_from_graph(conforms, report)

    def validate_nodes(
        self, data: rdflib.Graph, focus_nodes: Sequence[rdflib.URIRef]
    ) -> ValidationReport:
        """Validate only ``focus_nodes`` (against the shapes that target them); the shapes
        still read all of ``data``."""
        if not focus_nodes:
            return conforming_report()
        conforms, report = self._run(
            data, self.shapes, focus_nodes=[str(n) for n in focus_nodes], nested_unfiltered=True
        )
        return report_from_graph(conforms, report)

    @staticmethod
    def _run(
        data: rdflib.Graph, shapes: rdflib.Graph, *, nested_unfiltered: bool = False, **options: Any
    ) -> tuple[bool, rdflib.Graph]:
        with literals_verbatim(), _focus_filter_on_targets_only(nested_unfiltered):
            conforms, report_graph, _text = pyshacl.validate(
                _caching_view(data),
                shacl_graph=shapes,
                inference="none",
                advanced=False,
                allow_warnings=False,
                **options,
            )
        assert isinstance(report_graph, rdflib.Graph)
        return bool(conforms), _without_nested_results(report_graph, shapes, data)


#: Parameters that switch a constraint on (SHACL 4.4.5, 4.8.1, 4.7.3).
_SWITCHES = (RSH.uniqueLang, RSH.closed, RSH.qualifiedValueShapesDisjoint, RSH.deactivated)


def _strict_booleans(shapes: rdflib.Graph) -> rdflib.Graph:
    """The shapes with every switch that is not the term ``true`` set to ``false``.

    SHACL names the value ``true``; the W3C suite (``property/uniqueLang-002``)
    holds that ``"1"^^xsd:boolean`` leaves the constraint off, while pyshacl reads
    the literal's value and switches it on.
    """
    changed = [
        (s, p, o)
        for p in _SWITCHES
        for s, o in shapes.subject_objects(p)
        if isinstance(o, rdflib.Literal) and o.datatype == XSD_BOOLEAN and str(o) != "true"
    ]
    if not changed:
        return shapes
    copy = rdflib.Graph()
    for triple in shapes:
        copy.add(triple)
    for s, p, o in changed:
        copy.remove((s, p, o))
        copy.add((s, p, rdflib.Literal("false", datatype=XSD_BOOLEAN)))
    return copy


XSD_BOOLEAN = rdflib.XSD.boolean


def _without_nested_results(
    report: rdflib.Graph, shapes: rdflib.Graph, data: rdflib.Graph
) -> rdflib.Graph:
    """Drop the results pyshacl copies up from nested shapes.

    For a value that fails ``sh:node S``, SHACL reports one result (the
    ``sh:NodeConstraintComponent`` of the shape that says ``sh:node``); pyshacl
    0.40.1 also reports S's own results, about the value as if it were a focus
    node. A result belongs in the report when its source shape is reached from a
    shape with targets through ``sh:property`` alone, and (where the focus node
    is that shape's own) the shape targets it.
    """
    # Shapes reached from a shape with targets through sh:property only, with how deep.
    owners: dict[rdflib.term.Node, set[tuple[rdflib.term.Node, int]]] = {}
    for root in _target_shapes(shapes):
        stack: list[tuple[rdflib.term.Node, int]] = [(root, 0)]
        while stack:
            shape, depth = stack.pop()
            if (root, depth) not in owners.setdefault(shape, set()) and depth < 16:
                owners[shape].add((root, depth))
                stack.extend((p, depth + 1) for p in shapes.objects(shape, RSH.property))
    doomed = []
    for result in report.subjects(rdflib.RDF.type, RSH.ValidationResult):
        focus = report.value(result, RSH.focusNode)
        source = report.value(result, RSH.sourceShape)
        owned = owners.get(source, set()) if source is not None else set()
        if not any(
            # Below a property shape, the focus nodes are its values: they are not targets.
            depth >= 2
            or (depth == 1 and (root, RSH.path, None) in shapes)
            or _targets(shapes, data, root, focus)
            for root, depth in owned
        ):
            doomed.append(result)
    for result in doomed:
        report.remove((None, RSH.result, result))
        for s, p, o in list(report.triples((result, None, None))):
            report.remove((s, p, o))
    if doomed and not any(report.subjects(rdflib.RDF.type, RSH.ValidationResult)):
        report.set(
            (
                next(report.subjects(rdflib.RDF.type, RSH.ValidationReport)),
                RSH.conforms,
                rdflib.Literal(True),
            )
        )
    return report


def _target_shapes(shapes: rdflib.Graph) -> set[rdflib.term.Node]:
    found = {
        s
        for p in (RSH.targetClass, RSH.targetNode, RSH.targetSubjectsOf, RSH.targetObjectsOf)
        for s in shapes.subjects(p, None)
    }
    for kind in (RSH.NodeShape, RSH.PropertyShape):
        for shape in shapes.subjects(rdflib.RDF.type, kind):
            if any((shape, rdflib.RDF.type, c) in shapes for c in _CLASSES):
                found.add(shape)
    return found


_CLASSES = (rdflib.RDFS.Class, rdflib.OWL.Class)


def _targets(shapes: rdflib.Graph, data: rdflib.Graph, shape: rdflib.term.Node, focus: Any) -> bool:
    """Whether ``shape`` targets ``focus`` in ``data`` (SHACL 2.1.3)."""
    if (shape, RSH.targetNode, focus) in shapes:
        return True
    classes = set(shapes.objects(shape, RSH.targetClass))
    if any((shape, rdflib.RDF.type, c) in shapes for c in _CLASSES):
        classes.add(shape)
    if classes:
        for cls in data.objects(focus, rdflib.RDF.type):
            if cls in classes or any(
                sup in classes for sup in data.transitive_objects(cls, rdflib.RDFS.subClassOf)
            ):
                return True
    if any((focus, p, None) in data for p in shapes.objects(shape, RSH.targetSubjectsOf)):
        return True
    return any((None, p, focus) in data for p in shapes.objects(shape, RSH.targetObjectsOf))


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


def graph_of(
    triples: Iterable[tuple[rdflib.term.Node, rdflib.term.Node, rdflib.term.Node]],
) -> rdflib.Graph:
    """An rdflib graph of the given triples."""
    graph = rdflib.Graph()
    for triple in triples:
        graph.add(triple)
    return graph
