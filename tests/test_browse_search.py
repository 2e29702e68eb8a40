"""The search index follows every committed write (in-process, through the writer)."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from service.pages._search import SearchIndex
from service.pages._search_queries import query_words
from service.rdf import DCTERMS, RDF, RDFS, Literal, NamedNode, Quad
from service.store import ChangeSet
from service.web._services import services


def found(client: FlaskClient, text: str) -> list[str]:
    response = client.get("/search", query_string={"q": text, "format": "json"})
    assert response.status_code == 200
    return [hit["iri"] for hit in response.get_json()["results"]]


def test_search_is_current_after_a_write(app: Flask, client: FlaskClient) -> None:
    assert found(client, "Quetzalcoatl") == []  # builds the index before the write
    with app.app_context():
        svc = services()
        vocab = svc.vocab
        person = vocab.id["Quetzal"]
        graph = vocab.reference_graph
        source = next(svc.store.quads(vocab.id["Putin"], DCTERMS.source, None, graph)).object
        old = Quad(person, RDFS.label, Literal("Quetzalcoatl Tlaloc", language="en"), graph)
        quads = [
            Quad(person, RDF.type, vocab.parley.Person, graph),
            old,
            Quad(person, DCTERMS.source, source, graph),
        ]
        svc.writer.submit(ChangeSet(insert=quads), agent="test", operation="test")
        assert found(client, "Quetzalcoatl") == [person.value]
        assert found(client, "tlaloc quetz") == [person.value]  # the last word as a prefix
        new = Quad(person, RDFS.label, Literal("Tezcatlipoca", language="en"), graph)
        svc.writer.submit(ChangeSet(delete=[old], insert=[new]), agent="test", operation="test")
    assert found(client, "Quetzalcoatl") == []
    assert found(client, "Tezcatlipoca") == [person.value]


def test_renaming_a_claimant_reindexes_its_claims(app: Flask) -> None:
    with app.app_context():
        svc = services()
        index = SearchIndex(svc.store)
        svc.writer.add_listener(index.on_change)
        putin = svc.vocab.id["Putin"]
        claims = {
            r["c"].value
            for r in svc.store.select(f"SELECT ?c WHERE {{ ?c parley:claimant {putin} }}")
        }
        assert claims
        assert claims <= {h.iri for h in index.search("Vladimir")}
        graph = next(svc.store.quads(putin, RDFS.label, None, svc.vocab.reference_graph)).graph_name
        assert isinstance(graph, NamedNode)
        alias = Quad(
            putin, RDFS.label, Literal("Vladimir Vladimirovich Zzyzx", language="ru"), graph
        )
        svc.writer.submit(ChangeSet(insert=[alias]), agent="test", operation="test")
        assert claims <= {h.iri for h in index.search("Zzyzx")}


def test_query_syntax_is_taken_as_words() -> None:
    """What a person types is words, never query syntax: no operator can change the search."""
    assert query_words('NEAR(a b) "x" AND -y') == ["near", "a", "b", "x", "and", "y"]
