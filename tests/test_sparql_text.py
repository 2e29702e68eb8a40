from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from service.rdf import has_dataset_clause, query_form, remote_iris, tokens


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


def test_remote_iris_of_service_and_load() -> None:
    update = "LOAD SILENT <http://a/x.ttl> ; LOAD <http://b/y.ttl> INTO GRAPH <http://g>"
    assert remote_iris(update) == ["http://a/x.ttl", "http://b/y.ttl"]
    assert remote_iris("SELECT * { SERVICE ?endpoint { ?s ?p ?o } }") == ["?endpoint"]
    assert remote_iris('SELECT * { ?s ?p "SERVICE <http://no/>" }') == []


@given(st.text(alphabet="FROM<>\"'# \n{}?abcSERVICE:", max_size=60))
def test_tokenizer_never_fails(text: str) -> None:
    assert isinstance(list(tokens(text)), list)
    has_dataset_clause(text)
    remote_iris(text)
