"""The benchmark generator makes data the shapes accept, at the size asked for."""

from __future__ import annotations

from bench.synth import generate
from service.build import ModelFiles, load_ontology, load_shapes
from service.gate import ShaclValidator
from service.rdf import OA, SCHEMA, Literal, Quad, Vocab, to_rdflib
from service.settings import Settings


def test_synthetic_data_conforms_and_has_the_asked_size() -> None:
    base = "http://synth.test/"
    quads = list(generate(3000, base))
    assert 2400 <= len(quads) <= 3600
    settings = Settings(base_iri=base)
    files = ModelFiles(settings.ontology_dir, settings.shapes_dir, settings.data_dir)
    vocab = Vocab(base)
    validator = ShaclValidator(to_rdflib(load_shapes(files, vocab)), load_ontology(files, vocab))
    report = validator.validate(quads)
    assert report.conforms, report.text()


def _owner(q: Quad) -> str:
    return str(q.subject).strip("<>").rsplit("#", 1)[0]


def _value(q: Quad) -> str:
    assert isinstance(q.object, Literal)
    return q.object.value


def test_quotes_are_the_source_text_at_their_offsets() -> None:
    quads = list(generate(2000, "http://synth.test/"))
    texts = {str(q.subject): _value(q) for q in quads if q.predicate == SCHEMA.text}
    exact = {_owner(q): _value(q) for q in quads if q.predicate == OA.exact}
    starts = {_owner(q): int(_value(q)) for q in quads if q.predicate == OA.start}
    ends = {_owner(q): int(_value(q)) for q in quads if q.predicate == OA.end}
    sources = {_owner(q): str(q.object) for q in quads if q.predicate == OA.hasSource}
    assert len(exact) > 50
    for claim, quote in exact.items():
        assert texts[sources[claim]][starts[claim] : ends[claim]] == quote
