"""A query that does not parse gets a problem a person can read: where, what is there, and
the engine's cause when it names one, never the grammar's character classes
(newcomer review: "Oxigraph syntax errors reach the user raw")."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

JSON_RESULTS = {"Accept": "application/sparql-results+json"}


@pytest.mark.parametrize(
    ("query", "line", "column", "says"),
    [
        # The engine's cause, which it lists among the tokens it expected.
        (
            "SELECT (COUNT(?x) AS ?c) ?y WHERE { ?x ?y ?z }",
            1,
            47,
            "The SELECT contains a variable that is unbound",
        ),
        # A character class of the grammar becomes "a name".
        ("SELECT ?x WHERE { ?x ?y ?z }\nGROUP BY", 2, 9, '"?" or a name'),
        # What stands where the parser stopped is shown.
        ("SELEC ?x WHERE { ?x ?y ?z }", 1, 10, 'near "WHERE { ?x ?y ?z }"'),
    ],
)
def test_a_syntax_error_says_where_and_why_in_words(
    reader: FlaskClient, query: str, line: int, column: int, says: str
) -> None:
    response = reader.get("/sparql", query_string={"query": query}, headers=JSON_RESULTS)
    assert response.status_code == 400
    problem = response.get_json()
    assert problem["type"].endswith("/problems/sparql-syntax")
    assert (problem["line"], problem["column"]) == (line, column)
    detail = problem["detail"]
    assert f"line {line}, column {column}" in detail
    assert says in detail
    assert "..=" not in detail
    assert "\\u{" not in detail
    assert "[_]" not in detail
