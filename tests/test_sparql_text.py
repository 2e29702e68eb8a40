from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from service.rdf import (
    has_codepoint_escapes,
    has_dataset_clause,
    query_form,
    tokens,
    unescape_codepoints,
)


def test_keywords_inside_strings_iris_and_comments_do_not_count() -> None:
    query = """
        PREFIX ex: <http://example.org/FROM/>
        # FROM <http://commented.out/>
        SELECT ?from WHERE { ?s ex:FROM "FROM <x>" ; <http://x/FROM> '''FROM''' }
    """
    assert not has_dataset_clause(query)
    assert has_dataset_clause("select * from named <http://g> { graph ?g { ?s ?p ?o } }")


def test_query_form_after_prologue() -> None:
    assert query_form("BASE <http://b/> PREFIX p: <x#> CONSTRUCT WHERE { ?s ?p ?o }") == "CONSTRUCT"
    assert query_form("describe <http://x>") == "DESCRIBE"
    assert query_form("INSERT DATA {}") is None


def test_comments_end_at_a_carriage_return_as_in_sparql() -> None:
    # SPARQL (and Oxigraph) end a comment at CR as well as LF: what follows is read.
    assert has_dataset_clause("SELECT * #x\rFROM <http://g> WHERE { ?s ?p ?o }")
    assert has_dataset_clause("SELECT * #x\r\nFROM <http://g> WHERE { ?s ?p ?o }")
    assert not has_dataset_clause("SELECT * # FROM <http://g>\nWHERE { ?s ?p ?o }")
    texts = [t.text for t in tokens("ASK #c\r{ ?s ?p 'a' }")]
    assert texts == ["ASK", "{", "?s", "?p", "'a'", "}"]


def test_an_iri_with_codepoint_escapes_is_one_token() -> None:
    [iri] = [t for t in tokens("SELECT * { ?s ?p <http://x/\\u0041/FROM> }") if t.kind == "iri"]
    assert iri.text == "<http://x/\\u0041/FROM>"
    assert not has_dataset_clause("SELECT * { ?s ?p <http://x/\\u0041/FROM> }")


def test_codepoint_unescaping_over_the_whole_text() -> None:
    assert unescape_codepoints("SERV\\u0049CE <http://a\\u003ab/>") == "SERVICE <http://a:b/>"
    assert unescape_codepoints("\\U0001F600 \\u00410041") == "\U0001f600 A0041"
    assert unescape_codepoints("\\uDC00 \\UFFFFFFFF") == "\\uDC00 \\UFFFFFFFF"  # no character
    assert has_codepoint_escapes("'\\U0001F600'")
    assert has_codepoint_escapes("<a\\u0041>")
    assert not has_codepoint_escapes("'\\n' <a\\u>")


@given(st.text(alphabet="FROM<>\"'# \n{}?abcSERVICE:", max_size=60))
def test_tokenizer_never_fails(text: str) -> None:
    assert isinstance(list(tokens(text)), list)
    has_dataset_clause(text)
    query_form(text)
