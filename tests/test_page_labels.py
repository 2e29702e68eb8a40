"""The labels pages show are read once per version of the store (``KnownLabels``).

A page names dozens of terms, each batch of them a query (on a remote store, a round trip),
and most of them were on the pages read before it. Kept for the store's version, a label
must never outlive a write that changes it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from service.web._services import services_of

PAGE = {"Accept": "text/html"}
LABEL_QUERY = "VALUES ?x"  # what ``Labels`` asks the store for a batch of terms


def _claim_by(app: Flask, actor: str) -> str:
    """The path of a claim whose claimant is ``actor`` (a page that names it by label)."""
    store = services_of(app).store
    vocab = store.vocab
    rows = store.select(
        f"SELECT ?c WHERE {{ ?c <{vocab.parley.claimant.value}> <{vocab.id[actor].value}> }} "
        "ORDER BY ?c LIMIT 1"
    )
    iri = rows[0]["c"].value
    return "/" + iri.removeprefix(store.vocab.base)


def _counting(app: Flask, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The label queries the app's store is asked from now on."""
    store = services_of(app).store
    asked: list[str] = []
    select: Callable[..., Any] = store.select

    def counted(query: str, *args: Any, **kwargs: Any) -> Any:
        if LABEL_QUERY in query:
            asked.append(query)
        return select(query, *args, **kwargs)

    monkeypatch.setattr(store, "select", counted)
    return asked


def test_a_page_read_again_asks_the_store_for_no_label(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _claim_by(app, "Putin")
    asked = _counting(app, monkeypatch)
    first = client.get(path, headers=PAGE)
    assert first.status_code == 200
    assert asked, "the first reading asked for no label: the test counts the wrong queries"
    asked.clear()
    again = client.get(path, headers=PAGE)
    assert again.status_code == 200
    assert again.data == first.data
    assert asked == []


def test_a_label_changed_by_a_write_is_shown_at_once(app: Flask, client: FlaskClient) -> None:
    path = _claim_by(app, "Putin")
    before = client.get(path, headers=PAGE).get_data(as_text=True)
    assert "Vladimir Putin" in before
    assert "Vladimir V. Putin" not in before
    update = (
        "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> "
        "DELETE { GRAPH ?g { ?who rdfs:label ?l } } "
        'INSERT { GRAPH ?g { ?who rdfs:label "Vladimir V. Putin"@en } } '
        'WHERE { GRAPH ?g { ?who rdfs:label ?l FILTER(?l = "Vladimir Putin"@en) } }'
    )
    written = client.post(
        "/sparql",
        data=update,
        headers={"Content-Type": "application/sparql-update", "Authorization": "Bearer test-token"},
    )
    assert written.status_code in (200, 204), written.get_data(as_text=True)
    after = client.get(path, headers=PAGE).get_data(as_text=True)
    assert "Vladimir V. Putin" in after
