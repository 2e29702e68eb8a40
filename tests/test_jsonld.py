"""JSON-LD comes compacted with an inline context, and says exactly what the Turtle says
(newcomer review: "JSON-LD comes only in expanded form with no @context")."""

from __future__ import annotations

import json
import warnings

import rdflib
from flask.testing import FlaskClient
from rdflib.compare import isomorphic


def test_an_entity_as_jsonld_is_compact_and_the_same_graph_as_turtle(
    reader: FlaskClient, base_iri: str
) -> None:
    as_jsonld = reader.get("/id/Putin", headers={"Accept": "application/ld+json"})
    assert as_jsonld.status_code == 200
    assert as_jsonld.headers["Content-Type"].startswith("application/ld+json")
    doc = json.loads(as_jsonld.data)
    context = doc["@context"]
    assert context["id"] == f"{base_iri}id/"
    assert context["rdfs"] == "http://www.w3.org/2000/01/rdf-schema#"
    nodes = {node["@id"]: node for node in doc["@graph"]}
    assert "rdfs:label" in nodes["id:Putin"]  # keys and ids are compact IRIs
    assert base_iri not in json.dumps(doc["@graph"]).replace(f'"{base_iri}', "")  # none whole
    as_turtle = reader.get("/id/Putin", headers={"Accept": "text/turtle"})
    with warnings.catch_warnings():  # rdflib's JSON-LD parser uses its ConjunctiveGraph
        warnings.simplefilter("ignore", DeprecationWarning)
        from_jsonld = rdflib.Graph().parse(data=as_jsonld.data, format="json-ld")
    from_turtle = rdflib.Graph().parse(data=as_turtle.data, format="turtle")
    assert len(from_jsonld) == len(from_turtle) > 0
    assert isomorphic(from_jsonld, from_turtle)


def test_turtle_declares_the_prefixes_it_uses_and_escapes_no_name(reader: FlaskClient) -> None:
    """A claim's description names its evidence fragments (``…/C17#evidence-1``) and agents
    under nested paths (``id/editor/…``): written without ``\\/`` or ``\\#`` escapes, and
    with no prefix declared that the document does not use."""
    claim = reader.get("/id/c17", follow_redirects=True, headers={"Accept": "text/turtle"})
    assert claim.status_code == 200
    text = claim.get_data(as_text=True)
    subjects = {str(s) for s in rdflib.Graph().parse(data=text, format="turtle").subjects()}
    assert any(s.endswith("#evidence-1") for s in subjects)  # the fragments are described
    assert "\\/" not in text
    assert "\\#" not in text
    declared = [
        line.split()[1].rstrip(":") for line in text.splitlines() if line.startswith("@prefix")
    ]
    body = "\n".join(line for line in text.splitlines() if not line.startswith("@prefix"))
    for name in declared:
        assert f"{name}:" in body, f"prefix {name}: declared, never used"
    assert "sh" not in declared  # the shapes' namespace: nothing of a claim is in it


def test_parley_serves_the_context_its_documents_state(reader: FlaskClient) -> None:
    """``/context.jsonld`` is the context every JSON-LD answer states inline: a client
    writing its own JSON-LD uses it and gets Parley's IRIs."""
    served = reader.get("/context.jsonld")
    assert served.status_code == 200
    assert served.headers["Content-Type"].startswith("application/ld+json")
    context = json.loads(served.data)["@context"]
    inline = json.loads(reader.get("/id/Putin.jsonld").data)["@context"]
    # A document states the prefixes it uses (and a namespace of its own for the fragments
    # of other entities, ``id/X#...``); those it shares with the context mean the same.
    shared = inline.keys() & context.keys()
    assert {"id", "rdfs"} <= shared
    assert all(inline[name] == context[name] for name in shared)
    mine = {"@context": context, "@id": "id:Putin", "rdfs:label": "Vladimir Putin"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        graph = rdflib.Graph().parse(data=json.dumps(mine), format="json-ld")
    (subject,) = set(graph.subjects())
    assert str(subject) == context["id"] + "Putin"
