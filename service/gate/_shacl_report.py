"""What a SHACL report should hold, read off pyshacl's (rdflib only, no engine).

pyshacl 0.40.1 departs from SHACL in two ways this module corrects:

- for a value that fails a nested shape (``sh:node S``) it reports S's own
  results too, about the value as if it were a focus node
  (``without_nested_results``);
- it reads a shape's boolean switches by value, so ``sh:uniqueLang
  "1"^^xsd:boolean`` turns the constraint on; SHACL names the term ``true``
  (``strict_booleans``; the W3C suite's ``property/uniqueLang-002``).
"""

from __future__ import annotations

from typing import Any

import rdflib
from rdflib.namespace import SH as RSH

#: Parameters that switch a constraint on (SHACL 4.4.5, 4.8.1, 4.7.3).
_SWITCHES = (RSH.uniqueLang, RSH.closed, RSH.qualifiedValueShapesDisjoint, RSH.deactivated)


def strict_booleans(shapes: rdflib.Graph) -> rdflib.Graph:
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


def without_nested_results(
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
