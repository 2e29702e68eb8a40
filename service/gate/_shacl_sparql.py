"""SHACL-SPARQL constraints (``sh:sparql``) evaluated by Oxigraph.

pyshacl runs ``sh:sparql`` constraints in rdflib's SPARQL engine once per focus
node; on this project's data that took about 150 ms a node (67 s for 3k
triples), the same check as an Oxigraph query about a millisecond. So the
server's shapes are split: pyshacl validates everything else, and each
``sh:select`` runs here once with ``$this`` unbound, which returns every
violating focus node at once; the rows are kept for the nodes the shape
targets (and, when validation is restricted, the focus nodes).

Covered: node shapes with ``sh:sparql`` SELECT constraints, ``sh:prefixes``
declarations, ``sh:message`` templates with ``{?var}``/``{$var}``, ``?path``
and ``?value`` result variables, ``sh:severity`` and ``sh:deactivated``, and
the targets ``sh:targetClass`` (with ``rdfs:subClassOf*``), ``sh:targetNode``,
``sh:targetSubjectsOf``, ``sh:targetObjectsOf`` and implicit class targets.
Shapes a client sends to ``/validate`` go to pyshacl whole.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

import rdflib
from rdflib.namespace import RDF as RRDF
from rdflib.namespace import RDFS as RRDFS
from rdflib.namespace import SH as RSH

from service.rdf import Literal, Term, term_to_rdflib
from service.store import OxigraphStore

_TEMPLATE = re.compile(r"\{[?$]([A-Za-z_][A-Za-z0-9_]*)\}")


@dataclass(frozen=True)
class SparqlConstraint:
    """One ``sh:sparql`` constraint of a node shape, ready to run."""

    shape: str
    query: str
    message: str
    severity: str
    #: SPARQL graph pattern binding ``?this`` to the shape's target nodes.
    targets: str


def _prefix_lines(shapes: rdflib.Graph, constraint: rdflib.term.Node) -> str:
    lines = []
    for declared_by in shapes.objects(constraint, RSH.prefixes):
        for decl in shapes.objects(declared_by, RSH.declare):
            prefix = shapes.value(decl, RSH.prefix)
            namespace = shapes.value(decl, RSH.namespace)
            if prefix is not None and namespace is not None:
                lines.append(f"PREFIX {prefix}: <{namespace}>")
    return "\n".join(lines)


def _targets(shapes: rdflib.Graph, shape: rdflib.term.Node) -> str:
    parts = []
    classes = list(shapes.objects(shape, RSH.targetClass))
    if (shape, RRDF.type, RRDFS.Class) in shapes:  # an implicit class target
        classes.append(shape)
    for cls in classes:
        parts.append(f"{{ ?this a/<{RRDFS.subClassOf}>* <{cls}> }}")
    for node in shapes.objects(shape, RSH.targetNode):
        parts.append(f"{{ BIND({node.n3()} AS ?this) }}")
    for prop in shapes.objects(shape, RSH.targetSubjectsOf):
        parts.append(f"{{ ?this <{prop}> ?_o }}")
    for prop in shapes.objects(shape, RSH.targetObjectsOf):
        parts.append(f"{{ ?_s <{prop}> ?this }}")
    return " UNION ".join(parts)


def split_shapes(shapes: rdflib.Graph) -> tuple[rdflib.Graph, list[SparqlConstraint]]:
    """The shapes without their ``sh:sparql`` constraints, and those constraints."""
    core = rdflib.Graph()
    for triple in shapes:
        core.add(triple)
    constraints = []
    for shape, constraint in list(shapes.subject_objects(RSH.sparql)):
        core.remove((shape, RSH.sparql, constraint))
        if str(shapes.value(constraint, RSH.deactivated)) == "true":
            continue
        select = shapes.value(constraint, RSH.select)
        targets = _targets(shapes, shape)
        if select is None or not targets:
            continue
        message = shapes.value(constraint, RSH.message) or shapes.value(shape, RSH.message)
        severity = shapes.value(constraint, RSH.severity) or shapes.value(shape, RSH.severity)
        constraints.append(
            SparqlConstraint(
                shape=str(shape) if isinstance(shape, rdflib.URIRef) else "_:shape",
                query=_prefix_lines(shapes, constraint) + "\n" + str(select),
                message=str(message) if message is not None else "SPARQL constraint violated",
                severity=str(severity or RSH.Violation),
                targets=targets,
            )
        )
    return core, constraints


@dataclass(frozen=True)
class SparqlViolation:
    """A row of a SPARQL constraint that a targeted focus node failed."""

    constraint: SparqlConstraint
    focus: Term
    path: Term | None
    value: Term | None
    message: str


def _text(term: Term | None) -> str:
    if term is None:
        return ""
    return term.value if isinstance(term, Literal) else str(term)


def _fill(template: str, row: dict[str, Term]) -> str:
    """Replace ``{?var}``/``{$var}`` in a message with the row's values."""
    return _TEMPLATE.sub(lambda m: _text(row.get(m.group(1))), template)


def evaluate(
    constraints: Iterable[SparqlConstraint],
    store: OxigraphStore,
    focus: set[Term] | None = None,
) -> list[SparqlViolation]:
    """Run every constraint once over ``store``; keep targeted (and focus) nodes."""
    found = []
    for constraint in constraints:
        targeted = {
            row["this"]
            for row in store.select(f"SELECT DISTINCT ?this WHERE {{ {constraint.targets} }}")
        }
        for row in store.select(constraint.query):
            node = row.get("this")
            if node is None or node not in targeted or (focus is not None and node not in focus):
                continue
            message = _fill(constraint.message, row)
            value = row.get("value", node)
            found.append(SparqlViolation(constraint, node, row.get("path"), value, message))
    return found


def to_report_triples(violations: list[SparqlViolation]) -> list[tuple[rdflib.term.Node, ...]]:
    """The violations as ``sh:ValidationResult`` triples for a SHACL report graph."""
    triples: list[tuple[rdflib.term.Node, ...]] = []
    for v in violations:
        result = rdflib.BNode()
        triples += [
            (result, RRDF.type, RSH.ValidationResult),
            (result, RSH.focusNode, term_to_rdflib(v.focus)),
            (result, RSH.sourceConstraintComponent, RSH.SPARQLConstraintComponent),
            (result, RSH.resultSeverity, rdflib.URIRef(v.constraint.severity)),
            (result, RSH.resultMessage, rdflib.Literal(v.message)),
        ]
        if v.constraint.shape != "_:shape":
            triples.append((result, RSH.sourceShape, rdflib.URIRef(v.constraint.shape)))
        if v.path is not None:
            triples.append((result, RSH.resultPath, term_to_rdflib(v.path)))
        if v.value is not None:
            triples.append((result, RSH.value, term_to_rdflib(v.value)))
    return triples
