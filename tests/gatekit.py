"""Helpers for the write gate's tests: the fixture model, write paths, store dumps.

A *write path* turns an example (Turtle and a target graph) into a write
through one of Parley's doors and says whether it was accepted: the gate's
API, ``POST /data``, ``parley load``, SPARQL Update and the Graph Store
Protocol. Every path runs the same examples (``tests/gate_examples.py``);
another door is one more class here and one more entry in
``tests/test_gate_http.py``'s ``setup``.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol
from urllib.parse import urljoin

import httpx
from click.testing import CliRunner

from service.build import ModelFiles, load_ontology, load_shapes
from service.cli import main
from service.errors import ShapeViolationError
from service.gate import ShaclValidator, ValidationReport, WriteGate
from service.rdf import (
    NQUADS,
    NTRIPLES,
    TURTLE,
    DefaultGraph,
    NamedNode,
    Quad,
    Vocab,
    parse,
    serialize,
    to_rdflib,
)
from service.reasoning import Reasoner, closure, compile_rules, infer_change
from service.settings import PROJECT_ROOT
from service.store import ChangeSet, OxigraphStore
from tests.support import build_store

FIXTURE_DATA = PROJECT_ROOT / "tests" / "fixtures" / "gate" / "data"


#: The fixture model's quads as N-Quads, the base IRI written as ``_PLACEHOLDER``: built
#: once per process (the build's owlrl closure takes seconds), loaded under any base.
_BUILT: list[bytes] = []
_PLACEHOLDER = b"http://base.parley.invalid/"


def build_fixture(path: Path, base_iri: str) -> Path:
    """The gate's fixture model, as ``parley build`` makes it, in ``path`` for ``base_iri``.

    The first call of a process builds it; later ones load the same quads under their own
    base IRI (what a build for that base makes, without the build's reasoning again).
    """
    if not _BUILT:
        with tempfile.TemporaryDirectory() as scratch:
            built = build_store(Path(scratch) / "store", base_iri, data_dir=FIXTURE_DATA)
            assert built.store_path is not None
            store = OxigraphStore.open(built.store_path, Vocab(base_iri))
            dump = store.serialize_graph(DefaultGraph(), NQUADS)
            store.close()
        _BUILT.append(dump.replace(base_iri.encode(), _PLACEHOLDER))
    quads = parse(_BUILT[0].replace(_PLACEHOLDER, base_iri.encode()), NQUADS)
    store = OxigraphStore.open(path, Vocab(base_iri))
    store.bulk_extend(quads)
    store.close()
    return path


def fixture_quads(base_iri: str) -> list[Quad]:
    """Every quad of the fixture model built for ``base_iri`` (see ``build_fixture``)."""
    with tempfile.TemporaryDirectory() as scratch:
        path = build_fixture(Path(scratch) / "store", base_iri)
        store = OxigraphStore.open(path, Vocab(base_iri))
        quads = list(store.quads())
        store.close()
    return quads


@dataclass
class Verdict:
    """What a write path answered."""

    accepted: bool
    messages: list[str] = field(default_factory=list)
    detail: str = ""


class WritePath(Protocol):
    """One of Parley's doors for writes."""

    name: str

    def write(self, turtle: bytes, graph: str) -> Verdict: ...


class GatePath:
    """``WriteGate.submit`` on a store opened in the test process."""

    name = "gate"

    def __init__(self, store: OxigraphStore) -> None:
        self.store = store
        self.gate = WriteGate(store)

    def write(self, turtle: bytes, graph: str) -> Verdict:
        vocab = self.store.vocab
        target = NamedNode(urljoin(vocab.base, graph))
        quads = parse(turtle, TURTLE, base_iri=vocab.base, graph=target)
        try:
            self.gate.submit(
                ChangeSet(insert=quads), agent=vocab.base + "id/agent/test", operation="test"
            )
        except ShapeViolationError as error:
            return Verdict(False, [r["message"] for r in error.extras["results"]], error.detail)
        return Verdict(True)


class HttpPath:
    """``POST /data`` through ``client`` (a site's, in-process or of a real server)."""

    name = "http-data"

    def __init__(self, client: httpx.Client, token: str) -> None:
        self.client = client
        self.token = token

    def write(self, turtle: bytes, graph: str) -> Verdict:
        response = self.client.post(
            "/data",
            params={"graph": graph},
            content=turtle,
            headers={"Content-Type": "text/turtle", "Authorization": f"Bearer {self.token}"},
        )
        if response.status_code == 201:
            return Verdict(True)
        assert response.status_code == 422, response.text
        assert response.headers["Content-Type"].startswith("application/problem+json")
        body = response.json()
        return Verdict(False, [r["message"] for r in body["results"]], body["detail"])

    def close(self) -> None:
        self.client.close()


class _ServerPath:
    """A door of a site, through ``client``, that takes absolute IRIs (N-Triples) and the
    token."""

    def __init__(self, client: httpx.Client, token: str) -> None:
        self.client = client
        self.token = token
        self.base = str(client.base_url)

    def ntriples(self, turtle: bytes) -> str:
        return serialize(parse(turtle, TURTLE, base_iri=self.base), NTRIPLES).decode()

    def verdict(self, response: httpx.Response, accepted: tuple[int, ...]) -> Verdict:
        if response.status_code in accepted:
            return Verdict(True)
        assert response.status_code == 422, response.text
        body = response.json()
        return Verdict(False, [r["message"] for r in body["results"]], body["detail"])

    def close(self) -> None:
        self.client.close()


class SparqlUpdatePath(_ServerPath):
    """``INSERT DATA`` through the SPARQL endpoint."""

    name = "sparql-update"

    def write(self, turtle: bytes, graph: str) -> Verdict:
        target = urljoin(self.base, graph)
        update = f"INSERT DATA {{ GRAPH <{target}> {{ {self.ntriples(turtle)} }} }}"
        response = self.client.post(
            "/sparql",
            content=update.encode(),
            headers={
                "Content-Type": "application/sparql-update",
                "Authorization": f"Bearer {self.token}",
            },
        )
        return self.verdict(response, (200,))


class GspPostPath(_ServerPath):
    """``POST`` to the Graph Store Protocol (indirect graph identification)."""

    name = "gsp-post"

    def write(self, turtle: bytes, graph: str) -> Verdict:
        response = self.client.post(
            "/store",
            params={"graph": urljoin(self.base, graph)},
            content=self.ntriples(turtle).encode(),
            headers={
                "Content-Type": "application/n-triples",
                "Authorization": f"Bearer {self.token}",
            },
        )
        return self.verdict(response, (201, 204))


class CliPath:
    """``parley load`` on a store directory."""

    name = "cli-load"

    def __init__(self, store: Path, base_iri: str, scratch: Path) -> None:
        self.store = store
        self.base_iri = base_iri
        self.scratch = scratch

    def write(self, turtle: bytes, graph: str) -> Verdict:
        file = self.scratch / "write.ttl"
        file.write_bytes(turtle)
        args = ["load", str(file), "--graph", graph, "--store", str(self.store)]
        result = CliRunner().invoke(main, [*args, "--base-iri", self.base_iri])
        if result.exit_code == 0:
            assert json.loads(result.stdout)["committed"] is True
            return Verdict(True)
        assert result.exit_code == 1, result.output
        return Verdict(False, [result.stderr], result.stderr)


def data_quads(store: OxigraphStore) -> list[Quad]:
    """The asserted data graphs and the inferred graph (what validation sees)."""
    vocab = store.vocab
    return [
        q
        for q in store.quads()
        if vocab.is_reasoned_graph(q.graph_name) or q.graph_name == vocab.inferred_graph
    ]


#: The validators ``full_report`` made, by the shapes and ontology they were made of.
_VALIDATORS: dict[tuple[frozenset[Quad], frozenset[Quad]], ShaclValidator] = {}


def full_report(store: OxigraphStore) -> ValidationReport:
    """The whole store validated at once (the reference the gate's verdicts must match).
    The validator of a store's shapes and ontology is made once (as a gate keeps its own):
    a property test asks for the reference again and again on the same model."""
    vocab = store.vocab
    shapes = list(store.quads(None, None, None, vocab.shapes_graph))
    ontology = list(store.quads(None, None, None, vocab.ontology_graph))
    key = (frozenset(shapes), frozenset(ontology))
    if key not in _VALIDATORS:
        _VALIDATORS[key] = ShaclValidator(to_rdflib(shapes), ontology)
    return _VALIDATORS[key].validate(data_quads(store))


def model_report(vocab: Vocab, data: list[Quad]) -> ValidationReport:
    """``data`` validated against the project's shapes and ontology files."""
    files = ModelFiles(PROJECT_ROOT / "ontology", PROJECT_ROOT / "shapes", FIXTURE_DATA)
    validator = ShaclValidator(to_rdflib(load_shapes(files, vocab)), load_ontology(files, vocab))
    return validator.validate(data)


def post_to_data(
    client: httpx.Client,
    auth: dict[str, str],
    data: bytes,
    graph: str = "graph/claims/article",
    content_type: str = "text/turtle",
    **params: str,
) -> httpx.Response:
    """``POST /data`` of ``data`` into ``graph`` (relative to the server's base)."""
    return client.post(
        "/data",
        params={"graph": graph, **params},
        content=data,
        headers={"Content-Type": content_type, **auth},
    )


def server_data(client: httpx.Client, vocab: Vocab) -> list[Quad]:
    """The data graphs and the inferred graph of the server's store."""
    response = client.get(
        "/sparql",
        params={
            "query": "CONSTRUCT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } "
            "FILTER(?g NOT IN (graph:ontology, graph:shapes, graph:provenance)"
            " && STRSTARTS(STR(?g), STR(graph:))) }"
        },
        headers={"Accept": "application/n-triples"},
    )
    assert response.status_code == 200
    return parse(response.content, NTRIPLES)


def graph_quads(client: httpx.Client, graph: NamedNode) -> list[Quad]:
    response = client.get(
        "/sparql",
        params={
            "query": f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{graph.value}> {{ ?s ?p ?o }} }}"
        },
        headers={"Accept": "application/n-triples"},
    )
    return parse(response.content, NTRIPLES, graph=graph)


def inferred_difference(client: httpx.Client, vocab: Vocab) -> tuple[list[str], list[str]]:
    """What the server's inferred graph holds beyond the closure of its asserted data, and
    what it lacks of it (both empty when the inferred graph is right)."""
    data = server_data(client, vocab)
    inferred = {q.triple for q in graph_quads(client, vocab.inferred_graph)}
    asserted = [q for q in data if q.triple not in inferred]
    ontology = graph_quads(client, vocab.ontology_graph)
    want = {q.triple for q in closure(asserted, ontology, vocab.inferred_graph)}
    return sorted(map(str, inferred - want)), sorted(map(str, want - inferred))


def recomputed_difference(client: httpx.Client, vocab: Vocab) -> tuple[list[str], list[str]]:
    """Like ``inferred_difference``, against the write path's reasoner run from scratch on
    the server's asserted data in a fresh store: a full recompute that takes milliseconds
    where owlrl takes seconds (``tests/test_incremental.py`` holds that reasoner, run from
    scratch, to owlrl's closure)."""
    response = client.get(
        "/sparql",
        params={"query": "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"},
        headers={"Accept": "application/sparql-results+json"},
    )
    assert response.status_code == 200
    graphs = [NamedNode(row["g"]["value"]) for row in response.json()["results"]["bindings"]]
    asserted = [q for g in graphs if vocab.is_reasoned_graph(g) for q in graph_quads(client, g)]
    inferred = {q.triple for q in graph_quads(client, vocab.inferred_graph)}
    ontology = graph_quads(client, vocab.ontology_graph)
    fresh = OxigraphStore.open(None, vocab)
    try:
        fresh.bulk_extend(ontology)
        change = infer_change(Reasoner(compile_rules(ontology)), fresh, vocab, [], asserted)
    finally:
        fresh.close()
    want = {q.triple for q in change.insert}
    return sorted(map(str, inferred - want)), sorted(map(str, want - inferred))


def dump(store: OxigraphStore) -> set[Quad]:
    """Every quad of the store."""
    return set(store.quads())
