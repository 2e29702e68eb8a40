"""``SELECT *`` lists its variables in the order the query writes them, as people and
other stores expect (newcomer review: ``{"head":{"vars":["o","p","s"]}}`` for ``?s ?p ?o``);
the rows are those of the query as written."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from service.rdf import star_in_written_order

JSON_RESULTS = {"Accept": "application/sparql-results+json"}


@pytest.mark.parametrize(
    ("query", "order"),
    [
        ("SELECT * WHERE { ?s ?p ?o } LIMIT 3", ["s", "p", "o"]),
        ("SELECT DISTINCT * WHERE { ?z a ?class . ?z ?b ?a } LIMIT 3", ["z", "class", "b", "a"]),
        # A subquery's SELECT * is not the query's: the outer projection stands.
        ("SELECT ?o ?s WHERE { { SELECT * WHERE { ?s ?p ?o } LIMIT 2 } }", ["o", "s"]),
        ("# SELECT * in a comment\nSELECT * WHERE { ?x ?y ?z } LIMIT 1", ["x", "y", "z"]),
    ],
)
def test_select_star_keeps_the_written_order(
    reader: FlaskClient, query: str, order: list[str]
) -> None:
    answer = reader.get("/sparql", query_string={"query": query}, headers=JSON_RESULTS)
    assert answer.status_code == 200, answer.data
    doc = answer.get_json()
    assert doc["head"]["vars"] == order
    assert doc["results"]["bindings"]
    for row in doc["results"]["bindings"]:
        assert set(row) <= set(order)


def test_the_rows_are_those_of_the_query_as_written(reader: FlaskClient) -> None:
    star = "SELECT * WHERE { ?s a ?t } ORDER BY ?s ?t LIMIT 20"
    named = "SELECT ?s ?t WHERE { ?s a ?t } ORDER BY ?s ?t LIMIT 20"
    rows = [
        reader.get("/sparql", query_string={"query": q}, headers=JSON_RESULTS).get_json()
        for q in (star, named)
    ]
    assert rows[0] == rows[1]


def test_only_the_query_star_is_rewritten() -> None:
    assert star_in_written_order("SELECT ?a { { SELECT * {} } }", ["a"]) is None
    assert star_in_written_order("SELECT * { ?a ?b ?c }", ["a", "b", "c"]) is None
    assert (
        star_in_written_order('SELECT * { ?b "*" ?a }', ["a", "b"]) == 'SELECT ?b ?a { ?b "*" ?a }'
    )
