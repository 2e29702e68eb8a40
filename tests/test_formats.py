from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from service.errors import NotAcceptableError, UnsupportedMediaTypeError
from service.rdf import (
    RDF_FORMATS,
    RESULT_FORMATS,
    by_suffix,
    negotiate,
    prefers_html,
    rdf_format_for_content_type,
)


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        ("application/sparql-results+json", "json"),
        ("application/sparql-results+xml;q=0.9, text/csv", "csv"),
        ("text/tab-separated-values", "tsv"),
        ("application/json", "json"),
        ("*/*", "json"),
        ("text/*", "csv"),
        ("text/csv;q=0, application/sparql-results+xml;q=0.1", "xml"),
    ],
)
def test_results_negotiation_honours_q_values(accept: str, expected: str) -> None:
    assert negotiate(accept, RESULT_FORMATS).name == expected


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        ("text/turtle", "turtle"),
        ("application/ld+json", "jsonld"),
        ("application/n-triples", "ntriples"),
        ("application/rdf+xml", "rdfxml"),
        ("application/n-quads;q=0.5, application/trig", "trig"),
    ],
)
def test_graph_negotiation(accept: str, expected: str) -> None:
    assert negotiate(accept, RDF_FORMATS).name == expected


def test_format_parameter_overrides_accept() -> None:
    assert (
        negotiate("application/sparql-results+json", RESULT_FORMATS, override="tsv").name == "tsv"
    )
    with pytest.raises(NotAcceptableError) as info:
        negotiate(None, RESULT_FORMATS, override="turtle")
    assert "application/sparql-results+json" in info.value.extras["supported"]


def test_unacceptable_lists_supported_types() -> None:
    with pytest.raises(NotAcceptableError) as info:
        negotiate("image/png", RDF_FORMATS)
    assert info.value.status == 406
    assert "text/turtle" in info.value.extras["supported"]


@given(st.text(max_size=80))
def test_any_accept_header_gives_a_format_or_406(accept: str) -> None:
    try:
        chosen = negotiate(accept, RESULT_FORMATS)
    except NotAcceptableError:
        return
    assert chosen in RESULT_FORMATS


def test_content_type_of_bodies() -> None:
    assert rdf_format_for_content_type("application/ld+json").name == "jsonld"
    with pytest.raises(UnsupportedMediaTypeError):
        rdf_format_for_content_type("application/pdf")


def test_suffixes_and_browsers() -> None:
    assert by_suffix("nt") is not None
    assert prefers_html("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8")
    assert not prefers_html("*/*")
    assert not prefers_html("application/sparql-results+json, text/html;q=0.5")
