"""The gate's reading of shapes: what it cannot follow fails when the shapes load."""

from __future__ import annotations

import pytest
import rdflib

from service.errors import UnsupportedShapeError
from service.gate._context import ContextPlanner, Step
from service.gate._shape_paths import Pred, Seq
from service.rdf import NamedNode

PREFIXES = """@prefix sh: <http://www.w3.org/ns/shacl#> . @prefix ex: <http://ex/> .
ex:S a sh:NodeShape ; sh:targetClass ex:C ; """


def planner(shape: str) -> ContextPlanner:
    return ContextPlanner(rdflib.Graph().parse(data=PREFIXES + shape, format="turtle"))


@pytest.mark.parametrize(
    ("shape", "message"),
    [
        ("sh:closed true .", "sh:closed"),
        ("sh:node ex:S .", "refers to itself"),
        (
            "sh:sparql [ sh:select 'SELECT $this WHERE { ?x <http://ex/p> ?y }' ] .",
            "not connected to \\$this",
        ),
        ("sh:sparql [ sh:select 'SELECT $this WHERE { $this ?p ?o }' ] .", "variable predicate"),
        ("sh:property [ sh:path [ sh:alternativePath ( ex:p 1 ) ] ] .", "not a SHACL path"),
    ],
)
def test_what_the_gate_cannot_follow_fails_at_load(shape: str, message: str) -> None:
    with pytest.raises(UnsupportedShapeError, match=message):
        planner(shape)


def test_a_plan_follows_nested_shapes_and_sparql_patterns() -> None:
    plan = planner(
        """sh:property [ sh:path ex:p ; sh:node [ sh:property [ sh:path ex:q ; sh:class ex:D ] ] ] ;
        sh:sparql [ sh:select \"\"\"SELECT $this WHERE { $this <http://ex/r>/<http://ex/s> ?x .
            FILTER NOT EXISTS { ?x <http://ex/t> $this } }\"\"\" ] ."""
    ).plans[0]
    p, q, r, s, t = (Pred(NamedNode(f"http://ex/{n}")) for n in "pqrst")
    assert plan.steps == [
        Step(0, p, 1),
        Step(1, q, 2),  # through sh:node, from the values of ex:p
        Step(0, Seq((r, s)), 3),
        Step(3, t, 4),  # NOT EXISTS reads from ?x, forwards
    ]
    assert [sorted(map(str, c)) for c in plan.class_vars.values()] == [["<http://ex/D>"]]
