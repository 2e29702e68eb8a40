from __future__ import annotations

import pytest

from service.errors import ParleyError, ProtocolError, UnsupportedMediaTypeError
from service.sparql import parse_operation


def test_get_query_with_dataset() -> None:
    op = parse_operation(
        method="GET",
        content_type=None,
        args={"query": ["ASK {}"], "default-graph-uri": ["http://a/", "http://b/"]},
        body=b"",
    )
    assert op is not None
    dataset = op.dataset()
    assert dataset is not None
    assert [str(g) for g in dataset.default_graphs or ()] == ["<http://a/>", "<http://b/>"]
    assert dataset.named_graphs == ()


def test_form_post_merges_url_dataset_parameters() -> None:
    op = parse_operation(
        method="POST",
        content_type="application/x-www-form-urlencoded",
        args={"default-graph-uri": ["http://g/"]},
        body=b"query=ASK%20%7B%7D",
    )
    assert op is not None
    assert (op.kind, op.text, op.default_graphs) == ("query", "ASK {}", ("http://g/",))


def test_direct_update() -> None:
    op = parse_operation(
        method="POST",
        content_type="application/sparql-update; charset=utf-8",
        args={"using-graph-uri": ["http://g/"]},
        body=b"DELETE WHERE { ?s ?p ?o }",
    )
    assert op is not None
    assert op.kind == "update"
    assert op.default_graphs == ("http://g/",)


@pytest.mark.parametrize(
    ("method", "content_type", "args", "body", "error"),
    [
        ("GET", None, {"query": ["ASK {}", "ASK {}"]}, b"", ProtocolError),
        ("POST", None, {}, b"ASK {}", UnsupportedMediaTypeError),
        ("POST", "text/plain", {}, b"ASK {}", UnsupportedMediaTypeError),
        ("POST", "application/sparql-query", {}, b"\xff\xfe", ProtocolError),
        ("POST", "application/x-www-form-urlencoded", {}, b"query=a&update=b", ProtocolError),
        ("POST", "application/x-www-form-urlencoded", {}, b"nothing=1", ProtocolError),
        ("GET", None, {"update": ["CLEAR ALL"]}, b"", ProtocolError),
        (
            "POST",
            "application/sparql-update",
            {"using-graph-uri": ["http://g/"]},
            b"DELETE { ?s ?p ?o } USING <http://h/> WHERE { ?s ?p ?o }",
            ProtocolError,
        ),
        (
            "GET",
            None,
            {"query": ["ASK {}"], "default-graph-uri": ["not an iri"]},
            b"",
            ProtocolError,
        ),
    ],
)
def test_protocol_breaches_are_client_errors(
    method: str, content_type: str | None, args: dict[str, list[str]], body: bytes, error: type
) -> None:
    with pytest.raises(error) as info:
        parse_operation(method=method, content_type=content_type, args=args, body=body)
    assert isinstance(info.value, ParleyError)
    assert 400 <= info.value.status < 500


def test_get_without_query_asks_for_the_service_description() -> None:
    assert parse_operation(method="GET", content_type=None, args={}, body=b"") is None
