"""The remote engines' profiles (``service.store._engines``), their pure parts: no server.
What each difference looks like on a real Virtuoso is in ``tests/test_virtuoso.py``."""

from __future__ import annotations

import httpx

from service.rdf import graphs_outside_renamed
from service.store._engines import (
    OXIGRAPH,
    STANDARD,
    VIRTUOSO,
    XML,
    Engine,
    engine_for,
    standard_boolean,
    with_limits,
)
from service.store._sparql_client import StoreAuth
from tests import clients


def test_rewritten_across_chunk_boundaries() -> None:
    """``<bnode>nodeID://`` is rewritten wherever the chunks of the answer split it."""
    doc = b"<r><bnode>nodeID://b1</bnode><bnode>nodeID://b22</bnode><uri>x</uri></r>"
    want = b"<r><bnode>b1</bnode><bnode>b22</bnode><uri>x</uri></r>"
    for cut in range(len(doc) + 1):
        assert b"".join(VIRTUOSO.rewritten([doc[:cut], doc[cut:]])) == want, cut
    for size in (1, 2, 3, 7):
        chunks = [doc[i : i + size] for i in range(0, len(doc), size)]
        assert b"".join(VIRTUOSO.rewritten(chunks)) == want, size
    assert list(STANDARD.rewritten([doc[:5], doc[5:]])) == [doc[:5], doc[5:]]


def test_standard_boolean() -> None:
    def table(row: str) -> bytes:
        return (
            '<sparql xmlns="http://www.w3.org/2005/sparql-results#"><head>'
            '<variable name="__ASK_RETVAL"/></head><results>'
            f"{row}</results></sparql>"
        ).encode()

    one = '<result><binding name="__ASK_RETVAL"><literal>1</literal></binding></result>'
    zero = one.replace(">1<", ">0<")
    assert b"<boolean>true</boolean>" in standard_boolean(VIRTUOSO, table(one))
    assert b"<boolean>false</boolean>" in standard_boolean(VIRTUOSO, table(""))
    assert b"<boolean>false</boolean>" in standard_boolean(VIRTUOSO, table(zero))
    standard = b'<sparql xmlns="http://www.w3.org/2005/sparql-results#"><head/><boolean>true</boolean></sparql>'
    assert standard_boolean(VIRTUOSO, standard) == standard
    assert standard_boolean(OXIGRAPH, table(one)) == table(one)  # only Virtuoso's form


def test_engine_for() -> None:
    virtuoso = engine_for("Virtuoso/07.20.3229 (Linux) x86_64-pc-linux-gnu")
    assert virtuoso.name == "Virtuoso"
    assert virtuoso.version == "7.2"
    assert virtuoso.solutions == XML
    assert virtuoso.ask_variable == "__ASK_RETVAL"
    assert engine_for("Oxigraph/0.5.3").version == "0.5.3"
    assert engine_for("oxigraph").name == "Oxigraph"
    assert engine_for("Apache Jena Fuseki (5.1.0)") == STANDARD
    assert engine_for(None) == STANDARD
    assert engine_for("") == STANDARD


def test_with_limits() -> None:
    v = with_limits(VIRTUOSO, "10000", "60")
    assert (v.max_rows, v.max_time_s) == (10000, 60.0)
    assert v.cut_at_cap(10000)
    assert v.cut_at_cap(10001)
    assert not v.cut_at_cap(9999)
    none = with_limits(VIRTUOSO, "0", "0")
    assert (none.max_rows, none.max_time_s) == (None, None)
    assert not none.cut_at_cap(10**9)
    assert with_limits(VIRTUOSO, None, "abc").max_rows is None
    assert with_limits(VIRTUOSO, "1e4", None).max_rows == 10000
    assert with_limits(VIRTUOSO, "-5", None).max_rows is None


def test_describe_and_timed_out() -> None:
    words = with_limits(engine_for("Virtuoso/07.20.3229"), "50", "1").describe()
    assert words.startswith("Virtuoso 7.2 (row cap 50, time limit 1 s)")
    assert "not atomic" in words
    assert "per-request time limits" in words
    assert Engine("Oxigraph", version="0.5.3").describe() == "Oxigraph 0.5.3"
    assert VIRTUOSO.timed_out("Virtuoso S1T00 Error SR171: Transaction timed out\n")
    assert VIRTUOSO.timed_out("Virtuoso 42000 Error The estimated execution time 6949 (sec)")
    assert not VIRTUOSO.timed_out("Virtuoso 37000 Error SP031: SPARQL compiler")
    assert not OXIGRAPH.timed_out("SR171: Transaction timed out")


def test_store_auth_answers_a_basic_challenge() -> None:
    """A store that challenges for basic gets basic, from then on without asking first; no
    credentials go before the first challenge."""
    seen: list[str | None] = []

    def store(request: httpx.Request) -> httpx.Response:
        given = request.headers.get("Authorization")
        seen.append(given)
        if given == httpx.BasicAuth("parley", "secret")._auth_header:
            return httpx.Response(200)
        return httpx.Response(401, headers={"WWW-Authenticate": 'Basic realm="store"'})

    auth = StoreAuth("parley", "secret")
    with clients.client(transport=httpx.MockTransport(store), auth=auth) as http:
        assert http.get("http://store/sparql").status_code == 200
        assert auth.scheme == "basic"
        assert seen[0] is None
        assert http.get("http://store/sparql").status_code == 200
    assert len(seen) == 3  # one challenge, then one request each


def test_store_auth_passes_on_a_refusal_without_a_challenge() -> None:
    """A 401 that asks for nothing is the store's answer (wrong user): no loop."""
    calls = []

    def store(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(401)

    with clients.client(transport=httpx.MockTransport(store), auth=StoreAuth("a", "b")) as http:
        assert http.get("http://store/sparql").status_code == 401
    assert len(calls) == 2  # without credentials, then with basic (no scheme was asked)


def test_graphs_outside_renamed_reads_the_text_as_the_store_does() -> None:
    named = {"http://a/g/in"}
    text = (
        "BASE <http://a/>\n"
        "PREFIX g: <http://a/g/>\n"
        "SELECT * { GRAPH g:in { ?s ?p 'GRAPH <http://a/g/x>' } # GRAPH <x>\r"
        "  GRAPH <g/in> {} graph <g/\\u006Fut> {} GRAPH un:known {} GRAPH $v {} }"
    )
    # The graph of the dataset, by prefixed name and by relative IRI, stays; the one
    # outside it (written with a codepoint escape, the keyword in lower case) is renamed;
    # a string, a comment ended by a carriage return, an undeclared prefix and a variable
    # are left as written.
    renamed = graphs_outside_renamed(text, named, "urn:no")
    assert renamed == text.replace("<g/\\u006Fut>", "<urn:no>")
    assert renamed != text
    unchanged = "SELECT * { GRAPH <http://a/g/in> { ?s ?p ?o } }"
    assert graphs_outside_renamed(unchanged, named, "urn:no") is unchanged
