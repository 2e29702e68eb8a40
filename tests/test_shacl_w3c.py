"""The W3C SHACL Core test suite through ``POST /validate`` with client shapes.

Each test names a data graph and a shapes graph (mostly the test file itself)
and the expected validation report. The files are parsed here against their
own location and sent as N-Triples (so relative IRIs mean what the suite
means), as a multipart body with a ``data`` and a ``shapes`` part. The answer's
``conforms`` and its results (focus node, path, value, constraint component,
shape, severity; messages are free text) must equal the expected report's;
blank nodes are compared as blank nodes, not by label.
"""

from __future__ import annotations

import warnings
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest
import rdflib

from service.gate._validation import report_from_graph
from service.rdf import NTRIPLES, TURTLE, Quad, parse, serialize, to_rdflib
from tests.support import CONFORMANCE_DIR, Site

SUITE = CONFORMANCE_DIR / "data-shapes" / "data-shapes-test-suite" / "tests" / "core"
MF = rdflib.Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
SHT = rdflib.Namespace("http://www.w3.org/ns/shacl-test#")
SH = rdflib.Namespace("http://www.w3.org/ns/shacl#")


@dataclass(frozen=True)
class Case:
    name: str
    data: Path
    shapes: Path
    conforms: bool
    results: Counter[tuple[str | None, ...]]


def _read(path: Path) -> list[Quad]:
    return parse(path.read_bytes(), TURTLE, base_iri=path.as_uri(), what=str(path))


def _graph(path: Path) -> rdflib.Graph:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the suite's ill-typed literals, on purpose
        return to_rdflib(_read(path))


def _key(values: tuple[str | None, ...]) -> tuple[str | None, ...]:
    """Blank node labels differ between graphs: compare them as blank nodes."""
    return tuple("_:b" if v is not None and v.startswith("_:") else v for v in values)


def _fields(report: rdflib.Graph, conforms: bool) -> Counter[tuple[str | None, ...]]:
    parsed = report_from_graph(conforms, report)
    return Counter(
        _key(
            (
                r.focus_node,
                r.result_path,
                r.value,
                r.source_constraint_component,
                r.source_shape,
                r.severity,
            )
        )
        for r in parsed.results
    )


def _file(iri: rdflib.term.Node | None) -> Path:
    return Path(str(iri).removeprefix("file://"))


def cases(manifest: Path = SUITE / "manifest.ttl") -> list[Case]:
    """Every test the manifests include (a missing suite fails, it is never skipped)."""
    graph = _graph(manifest)
    found = []
    for include in sorted(graph.objects(None, MF.include), key=str):
        found.extend(cases(_file(include)))
    for entries in graph.objects(None, MF.entries):
        for entry in rdflib.collection.Collection(graph, entries):
            action, result = graph.value(entry, MF.action), graph.value(entry, MF.result)
            conforms = graph.value(result, SH.conforms) == rdflib.Literal(True)
            found.append(
                Case(
                    f"{manifest.parent.name}/{str(entry).rsplit('/', 1)[-1]}",
                    _file(graph.value(action, SHT.dataGraph)),
                    _file(graph.value(action, SHT.shapesGraph)),
                    conforms,
                    _fields(graph, conforms),
                )
            )
    return found


CASES = cases()


def test_the_suite_is_complete() -> None:
    assert len(CASES) == 98


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_shacl_core(site: Site, case: Case) -> None:
    data = serialize(_read(case.data), NTRIPLES)
    shapes = serialize(_read(case.shapes), NTRIPLES)
    with site.client() as client:
        response = client.post(
            "/validate",
            files={
                "data": ("data.nt", data, NTRIPLES.media_type),
                "shapes": ("shapes.nt", shapes, NTRIPLES.media_type),
            },
            headers={"Accept": "text/turtle"},
        )
    assert response.status_code == 200, response.text
    report = to_rdflib(parse(response.content, TURTLE))
    node = next(report.subjects(rdflib.RDF.type, SH.ValidationReport))
    conforms = report.value(node, SH.conforms) == rdflib.Literal(True)
    assert conforms == case.conforms
    assert _fields(report, conforms) == case.results
