"""No query, update or LOAD from a client reaches the network, whatever its spelling; hosts
in ``--outbound-allow`` are the only way out (``service.sparql._outbound``,
``service.query._isolation``).

A listener on a loopback port stands for an internal service and records every
connection; a catalogue of spellings of ``SERVICE`` and ``LOAD`` that name it (escapes,
comments ended by a carriage return, prefixes, BASE, nested patterns, ...) is thrown at
every door: ``GET /sparql``, ``POST /sparql`` (a query body and a form), the query page,
an update (body and form, with the token). Each gets a 4xx problem and the listener
hears nothing. The doors are tried with queries evaluated in the web process (the text
check alone stands), and on a remote store (which evaluates ``SERVICE`` itself). The
operating-system wall is tested apart: the query processes are in a network namespace
of their own, where even a ``SERVICE`` sent to them directly reaches nothing.
"""

from __future__ import annotations

import json
import os
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from service.errors import OutboundRequestError, ParleyError, QuerySyntaxError
from service.query import QueryJob
from service.query._isolation import available, enter_isolation, shares_network
from service.rdf import JSON
from service.sparql import check_outbound
from service.sparql._outbound import MAX_READ_CHARS
from tests.support import AppSite, Site, open_app, start_site

SECRET = "INTERNAL-SECRET-42"
UPDATE = {"Content-Type": "application/sparql-update"}
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


class Listener:
    """An internal SPARQL endpoint on a loopback port: answers any request with one row
    (``SECRET``) and counts the connections it accepted."""

    def __init__(self) -> None:
        listener = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                self.rfile.read(length)
                body = json.dumps(
                    {
                        "head": {"vars": ["secret"]},
                        "results": {"bindings": [{"secret": {"type": "literal", "value": SECRET}}]},
                    }
                ).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/sparql-results+json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = _answer  # noqa: N815 (http.server's names)

            def log_message(self, *args: object) -> None:
                pass

        class Server(ThreadingHTTPServer):
            def verify_request(self, request: object, client_address: object) -> bool:
                with listener.lock:
                    listener.connections += 1
                return True

        self.lock = threading.Lock()
        self.connections = 0
        self.server = Server(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/sparql"

    def heard(self) -> int:
        with self.lock:
            return self.connections


@pytest.fixture
def listener() -> Iterator[Listener]:
    found = Listener()
    yield found
    found.server.shutdown()
    found.server.server_close()


def query_spellings(port: int) -> dict[str, str]:
    """Queries whose evaluation would call ``http://127.0.0.1:{port}/sparql``."""
    iri = f"<http://127.0.0.1:{port}/sparql>"
    pattern = f"SERVICE {iri} {{ ?secret ?p ?o }}"
    return {
        "plain": f"SELECT * WHERE {{ {pattern} }}",
        "lowercase": f"select * where {{ service {iri} {{ ?secret ?p ?o }} }}",
        "prefixed": f"PREFIX in: <http://127.0.0.1:{port}/> SELECT * {{ SERVICE in:sparql {{}} }}",
        "base-relative": f"BASE <http://127.0.0.1:{port}/> SELECT * {{ SERVICE <sparql> {{}} }}",
        "silent": f"SELECT * {{ SERVICE SILENT {iri} {{ ?s ?p ?o }} }}",
        "u-escape-in-iri": f"SELECT * {{ SERVICE <http://127.0.0.1\\u003a{port}/sparql> {{}} }}",
        "U-escape-in-iri": f"SELECT * {{ SERVICE <http\\U0000003a//127.0.0.1:{port}/x> {{}} }}",
        "escape-in-keyword": f"SELECT * {{ SERV\\u0049CE {iri} {{}} }}",
        "long-s-keyword": f"SELECT * {{ \u017fERVICE {iri} {{}} }}",
        "comment-cr": f"SELECT * WHERE {{ #x\r{pattern} }}",
        "comment-crlf": f"SELECT * WHERE {{ #x\r\n{pattern} }}",
        "comment-lf": f"SELECT * WHERE {{ #x\n{pattern} }}",
        "comment-cr-and-escape": f"SELECT * {{ #\rSERVICE <http://127.0.0.1\\u003a{port}/> {{}} }}",
        "hash-in-string": f'SELECT * {{ BIND("#" AS ?h) {pattern} }}',
        "hash-in-iri": f"SELECT * {{ OPTIONAL {{ ?s <http://x/#p> ?o }} {pattern} }}",
        "sub-select": f"SELECT * {{ {{ SELECT * {{ {pattern} }} }} }}",
        "exists": f"SELECT * {{ ?s ?p ?o FILTER EXISTS {{ {pattern} }} }} LIMIT 1",
        "not-exists": f"SELECT * {{ ?s ?p ?o FILTER NOT EXISTS {{ {pattern} }} }} LIMIT 1",
        "minus": f"SELECT * {{ ?s ?p ?o MINUS {{ {pattern} }} }} LIMIT 1",
        "optional": f"SELECT * {{ ?s ?p ?o OPTIONAL {{ {pattern} }} }} LIMIT 1",
        "variable": f"SELECT * {{ BIND({iri} AS ?e) SERVICE ?e {{ ?s ?p ?o }} }}",
        "userinfo": f"SELECT * {{ SERVICE <http://a.example@127.0.0.1:{port}/> {{}} }}",
    }


def update_spellings(port: int) -> dict[str, str]:
    """Updates that would call or fetch from ``127.0.0.1:{port}``."""
    iri = f"<http://127.0.0.1:{port}/sparql>"
    insert = "INSERT { <http://example.org/got> <http://example.org/p> ?secret }"
    return {
        "where-plain": f"{insert} WHERE {{ SERVICE {iri} {{ ?secret ?p ?o }} }}",
        "where-escape": f"{insert} WHERE {{ SERVICE <http\\u003a//127.0.0.1:{port}/> {{}} }}",
        "where-comment-cr": f"{insert} WHERE {{ #x\rSERVICE {iri} {{ ?secret ?p ?o }} }}",
        "with-where": f"WITH <http://example.org/g> {insert} WHERE {{ SERVICE {iri} {{}} }}",
        "load": f"LOAD {iri}",
        "load-silent": f"LOAD SILENT {iri}",
        "load-into": f"LOAD {iri} INTO GRAPH <http://example.org/loaded>",
        "load-comment-cr": f"#x\rLOAD {iri}",
        "load-escape": f"LOAD <http://127.0.0.1\\u003a{port}/data.ttl>",
        "load-second": f"INSERT DATA {{ <http://example.org/a> <http://example.org/b> 1 }} ;\n"
        f"LOAD {iri}",
    }


def _refused(response: httpx.Response, *, html: bool = False) -> None:
    assert 400 <= response.status_code < 500, (response.status_code, response.text[:300])
    if not html:
        assert response.headers["content-type"].startswith("application/problem+json")
        doc = json.loads(response.content)
        assert doc["status"] == response.status_code
        assert doc["detail"]
    assert SECRET not in response.text


def _ask(http: httpx.Client, door: str, text: str) -> httpx.Response:
    """``text`` sent as a query through ``door``."""
    if door == "GET":
        return http.get("/sparql", params={"query": text})
    if door == "POST body":
        headers = {"Content-Type": "application/sparql-query"}
        return http.post("/sparql", content=text, headers=headers)
    if door == "POST form":
        return http.post("/sparql", data={"query": text})
    # A person at the query page: the answer as a table, errors as a page.
    return http.get("/sparql", params={"query": text}, headers={"Accept": "text/html"})


def _throw_queries(site: Site, listener: Listener) -> None:
    """Every query spelling at every query door: refused, and nothing heard."""
    with site.client() as http:
        for name, text in query_spellings(listener.port).items():
            for door in ("GET", "POST body", "POST form", "page"):
                _refused(_ask(http, door, text), html=door == "page")
                assert listener.heard() == 0, (name, door)


def _throw_updates(site: Site, listener: Listener) -> None:
    with site.client() as http:
        for name, text in update_spellings(listener.port).items():
            body = http.post("/sparql", content=text, headers={**UPDATE, **site.auth()})
            _refused(body)
            form = http.post("/sparql", data={"update": text}, headers=site.auth())
            _refused(form)
            assert listener.heard() == 0, name
        written = http.get(
            "/sparql",
            params={
                "query": f"ASK {{ {{ <http://example.org/a> ?p ?o }} UNION {{ ?s ?p '{SECRET}' }} }}"
            },
            headers={"Accept": "application/sparql-results+json"},
        )
    assert json.loads(written.content)["boolean"] is False


# -- the text check, alone: queries evaluated in the web process, which has the network --


@pytest.fixture
def unwalled(store_copy: Path, base_iri: str) -> Iterator[AppSite]:
    site = open_app(store_copy, base_iri, query_workers=0)
    assert not site.services.guard.network_isolated
    yield site
    site.stop()


def test_every_query_spelling_is_refused_at_every_door(
    unwalled: AppSite, listener: Listener
) -> None:
    _throw_queries(unwalled, listener)


def test_every_update_spelling_is_refused_before_anything_is_written(
    unwalled: AppSite, listener: Listener
) -> None:
    _throw_updates(unwalled, listener)


def test_check_outbound_reads_as_the_engine_does(listener: Listener) -> None:
    for name, text in {**query_spellings(9), **update_spellings(9)}.items():
        try:
            check_outbound(text, ["a.example"])
        except (OutboundRequestError, QuerySyntaxError):
            continue
        pytest.fail(f"{name!r} was let through")
    # Words that only look like it, and a text with none of the letters: let through.
    check_outbound('SELECT ?download WHERE { ?s <http://x/service> "LOAD" } # SERVICE <x>', ())
    check_outbound("SELECT * { ?s ?p 'caf\\u00e9' }", ())
    # An allow-listed host is the way out, spelled plainly.
    check_outbound("SELECT * { SERVICE <https://a.example/sparql> { } }", ["a.example"])
    check_outbound("PREFIX a: <http://a.example/> LOAD a:x.ttl", ["A.example"])
    for refused in (
        "SELECT * { SERVICE <http://127.0.0.1:9@a.example/> { } }",  # user info
        "SELECT * { SERVICE <ftp://a.example/x> { } }",  # not http(s)
        "SELECT * { SERVICE <sparql> { } }",  # relative: the engine's base decides
        "SELECT * { SERVICE parley:x { } }",  # a prefix the text does not declare
    ):
        with pytest.raises(OutboundRequestError):
            check_outbound(refused, ["a.example"])
    too_long = "SELECT * { SERVICE <https://a.example/> { } } #" + "x" * MAX_READ_CHARS
    with pytest.raises(OutboundRequestError, match="limited to"):
        check_outbound(too_long, ["a.example"])
    with pytest.raises(QuerySyntaxError) as syntax:
        check_outbound("SELECT * { SERVICE <https://a.example/> { ", ["a.example"])
    assert syntax.value.extras["line"] == 1


# -- the operating system's wall ---------------------------------------------------------


def _direct_job(port: int) -> QueryJob:
    """A query that skips the text check: sent to the query runner as a request's is."""
    text = f"SELECT ?secret {{ SERVICE <http://127.0.0.1:{port}/sparql> {{ ?secret ?p ?o }} }}"
    return QueryJob(text, None, False, JSON, None, 100, 1 << 20)


@pytest.mark.parametrize("engine", ["copy", "checkpoint"])
def test_query_processes_have_no_network(
    store_copy: Path, base_iri: str, listener: Listener, engine: str
) -> None:
    site = open_app(store_copy, base_iri, query_workers=1, query_engine=engine)
    try:
        guard = site.services.guard
        with site.client() as http:
            health = http.get("/health").json()
            if available():
                assert health["network_isolated"] is True
                with pytest.raises(ParleyError):
                    guard.run(_direct_job(listener.port))
                [pid] = guard.queries.worker_pids()
                assert not shares_network(pid)
                # The guard's workers too (they compute updates' WHERE clauses).
                _throw_updates(site, listener)
            else:  # the documented fallback: said so, and the text check stands alone
                assert health["network_isolated"] is False
                _throw_queries(site, listener)
        assert listener.heard() == 0
    finally:
        site.stop()


def test_an_allow_listed_host_is_reached(
    store_copy: Path, base_iri: str, listener: Listener
) -> None:
    site = open_app(store_copy, base_iri, query_workers=1, outbound_allow=("127.0.0.1",))
    try:
        assert site.services.guard.network_isolated is False  # pyoxigraph must reach it
        query = f"SELECT ?secret {{ SERVICE <{listener.url}> {{ ?secret ?p ?o }} }}"
        with site.client() as http:
            response = http.get(
                "/sparql",
                params={"query": query},
                headers={"Accept": "application/sparql-results+json"},
            )
            [pid] = site.services.guard.queries.worker_pids()
            # Allowed host, but spelled so that it cannot be read with confidence: refused.
            escaped = query.replace("127.0.0.1:", "127.0.0.1\\u003a")
            _refused(http.get("/sparql", params={"query": escaped}))
        assert response.status_code == 200, response.text
        assert SECRET in response.text
        assert shares_network(pid)
        assert listener.heard() >= 1
    finally:
        site.stop()


def test_isolation_as_an_unprivileged_user(listener: Listener) -> None:
    """Without root, a user namespace makes the network namespace; where the kernel
    refuses, ``enter_isolation`` says False (and the web process logs it)."""
    ours = str(Path("/proc/self/ns/net").readlink())
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child reports through the pipe
        try:
            if os.getuid() == 0:
                os.setgid(65534)
                os.setuid(65534)
            isolated = enter_isolation()
            reached = True
            try:
                socket.create_connection(("127.0.0.1", listener.port), timeout=2).close()
            except OSError:
                reached = False
            theirs = str(Path("/proc/self/ns/net").readlink())
            os.write(write, json.dumps([isolated, reached, theirs]).encode())
        finally:
            os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as pipe:
        isolated, reached, theirs = json.loads(pipe.read())
    os.waitpid(pid, 0)
    if isolated:
        assert theirs != ours
        assert not reached
        assert listener.heard() == 0
    else:
        assert theirs == ours  # nothing changed: the text check stands alone


# -- a remote store, which evaluates SERVICE itself ---------------------------------------


@pytest.mark.server
def test_remote_store_refuses_every_spelling(tmp_path: Path, listener: Listener) -> None:
    site = start_site("remote", tmp_path / "store", log_dir=tmp_path)
    try:
        with site.client() as http:
            assert http.get("/health").json()["network_isolated"] is False
        _throw_queries(site, listener)
        _throw_updates(site, listener)
    finally:
        site.stop()
    assert listener.heard() == 0


def test_client_shapes_fetch_nothing(unwalled: AppSite, listener: Listener) -> None:
    """``POST /validate`` runs a client's SHACL-SPARQL in rdflib, which has a SERVICE and a
    FROM of its own: neither reaches the listener."""
    sh = "@prefix sh: <http://www.w3.org/ns/shacl#> .\n"
    target = "<http://example.org/S> a sh:NodeShape ; sh:targetNode <http://example.org/s0> ;"
    selects = (
        f"SELECT $this WHERE {{ SERVICE <{listener.url}> {{ ?a ?b ?c }} }}",
        f"SELECT $this FROM <http://127.0.0.1:{listener.port}/g.ttl> WHERE {{ ?a ?b ?c }}",
    )
    data = b"<http://example.org/s0> <http://example.org/p> 1 ."
    with unwalled.client() as http:
        for select in selects:
            shapes = f'{sh}{target} sh:sparql [ sh:select "{select}" ] .'
            files = {
                "data": ("data.ttl", data, "text/turtle"),
                "shapes": ("shapes.ttl", shapes.encode(), "text/turtle"),
            }
            response = http.post("/validate", files=files)
            assert response.status_code < 500, response.text
            assert SECRET not in response.text
    assert listener.heard() == 0


def test_comments_ended_by_a_carriage_return_are_read_as_sparql_says(
    unwalled: AppSite,
) -> None:
    """What follows a comment's CR is read (it gave a 500, or one operation for two)."""
    updates = (
        "#x\rINSERT DATA { <http://example.org/cr> <http://example.org/n> 1 }",
        "INSERT DATA { <http://example.org/cr> <http://example.org/n> 2 } #x\r;"
        " INSERT DATA { <http://example.org/cr> <http://example.org/n> 3 }",
    )
    with unwalled.client() as http:
        for update in updates:
            response = http.post("/sparql", content=update, headers={**UPDATE, **unwalled.auth()})
            assert response.status_code == 200, response.text
        answer = http.get(
            "/sparql",
            params={"query": "SELECT ?n { <http://example.org/cr> <http://example.org/n> ?n }"},
            headers={"Accept": "application/sparql-results+json"},
        )
    rows = json.loads(answer.content)["results"]["bindings"]
    assert sorted(int(row["n"]["value"]) for row in rows) == [1, 2, 3]
