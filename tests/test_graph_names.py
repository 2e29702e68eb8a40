"""Graph names at every write door (the reliability review's finding 24, the newcomer
review's mistyped graph): a graph under the base IRI that is not one of Parley's
(``?graph=claims/article``, ``graph/inferred%2F``, ``graph/inferred/``) is refused with
the name that was meant; clients' own graphs (outside the base, or under ``store/``) are
written as before.

The doors: ``POST /data`` (and its dry run), the Graph Store Protocol's PUT and POST,
SPARQL Update (INSERT DATA, INSERT … WHERE, COPY, MOVE, ADD, CREATE, LOAD … INTO) and
``parley load --graph``. In-process on a copy of the built model; the LOAD from a
loopback HTTP server.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
from click.testing import CliRunner

from service.cli import main
from service.rdf import NamedNode, Quad, Vocab
from service.store import ChangeSet, OxigraphStore
from tests.support import AppSite, open_app

TURTLE = {"Content-Type": "text/turtle"}
UPDATE = {"Content-Type": "application/sparql-update"}
#: A triple any graph takes (no Parley term: the shapes have nothing to say of it).
TRIPLE = b'<http://example.org/a> <http://example.org/b> "c" .'


@pytest.fixture
def site(private_site: AppSite) -> AppSite:
    """Writes land on a private copy of the model (the conftest's ``http`` uses it)."""
    return private_site


def _graphs(site: AppSite) -> set[str]:
    return {g.value for g in site.services.store.named_graphs() if isinstance(g, NamedNode)}


# -- graph names ----------------------------------------------------------------------


def _doors(base: str, graph: str) -> dict[str, tuple[str, str, dict[str, str], bytes]]:
    """Each write door, writing ``TRIPLE`` into ``graph`` (an IRI): method, URL, headers
    (without the token), body."""
    triple = TRIPLE.decode()
    return {
        "POST /data": ("POST", f"/data?graph={quote(graph, safe='')}", TURTLE, TRIPLE),
        "POST /data dry-run": (
            "POST",
            f"/data?dry-run=true&graph={quote(graph, safe='')}",
            TURTLE,
            TRIPLE,
        ),
        "GSP PUT": ("PUT", f"/store?graph={quote(graph, safe='')}", TURTLE, TRIPLE),
        "GSP POST": ("POST", f"/store?graph={quote(graph, safe='')}", TURTLE, TRIPLE),
        "INSERT DATA": (
            "POST",
            "/sparql",
            UPDATE,
            f"INSERT DATA {{ GRAPH <{graph}> {{ {triple} }} }}".encode(),
        ),
        "INSERT WHERE": (
            "POST",
            "/sparql",
            UPDATE,
            f"INSERT {{ GRAPH <{graph}> {{ ?s ?p ?o }} }} WHERE {{ "
            f"GRAPH <{base}graph/editorial> {{ ?s ?p ?o }} }}".encode(),
        ),
        "COPY": ("POST", "/sparql", UPDATE, f"COPY <{base}graph/editorial> TO <{graph}>".encode()),
        "MOVE": ("POST", "/sparql", UPDATE, f"MOVE <{base}store/scratch> TO <{graph}>".encode()),
        "ADD": ("POST", "/sparql", UPDATE, f"ADD <{base}graph/editorial> TO <{graph}>".encode()),
        "CREATE": ("POST", "/sparql", UPDATE, f"CREATE GRAPH <{graph}>".encode()),
    }


DOORS = list(_doors("http://h/", "http://h/g"))


@pytest.mark.parametrize("door", DOORS)
def test_a_mistyped_graph_is_refused_with_the_name_meant(
    site: AppSite, http: httpx.Client, base_iri: str, door: str
) -> None:
    """``?graph=claims/article`` resolves to ``{base}claims/article``: outside ``graph/``,
    it was written unvalidated. Now every door says which graph was meant."""
    # MOVE's source: a client graph of its own, which the move would empty.
    made = http.put("/store/scratch", content=TRIPLE, headers={**TURTLE, **site.auth()})
    assert made.status_code == 201
    before = _graphs(site)
    mistyped = f"{base_iri}claims/article"
    method, url, headers, body = _doors(base_iri, mistyped)[door]
    answer = http.request(method, url, content=body, headers={**headers, **site.auth()})
    assert answer.status_code == 400, answer.text
    problem = answer.json()
    assert problem["type"] == f"{base_iri}problems/graph-name"
    assert f"did you mean <{base_iri}graph/claims/article>?" in problem["detail"]
    assert problem["suggestion"] == f"{base_iri}graph/claims/article"
    assert _graphs(site) == before  # nothing written, the scratch graph not moved


@pytest.mark.parametrize("door", DOORS)
def test_a_look_alike_of_a_build_only_graph_is_protected(
    site: AppSite, http: httpx.Client, base_iri: str, door: str
) -> None:
    """Written, ``graph/inferred%2F`` was a new Parley graph, merged into the default graph,
    named like the one only the build writes."""
    # MOVE's source must exist for the move to reach the gate.
    made = http.put("/store/scratch", content=TRIPLE, headers={**TURTLE, **site.auth()})
    assert made.status_code == 201
    before = _graphs(site)
    for lookalike in ("inferred%2F", "inferred?x", "inferred/", "Provenance"):
        method, url, headers, body = _doors(base_iri, f"{base_iri}graph/{lookalike}")[door]
        answer = http.request(method, url, content=body, headers={**headers, **site.auth()})
        assert answer.status_code == 403, (lookalike, answer.text)
        problem = answer.json()
        assert problem["type"] == f"{base_iri}problems/protected-graph"
        assert "looks like" in problem["detail"]
    assert _graphs(site) == before


@pytest.mark.parametrize(
    ("local", "meant"),
    [
        ("graph/claims/article/", "graph/claims/article"),
        ("graph/claim/article", "graph/claims/article"),
        ("graph/refrence", "graph/reference"),
        ("editorial", "graph/editorial"),
        ("mygraph", None),
        ("graph/nonsense", None),
        ("", None),  # the base IRI itself
    ],
)
def test_post_data_says_what_a_near_miss_meant(
    site: AppSite, http: httpx.Client, base_iri: str, local: str, meant: str | None
) -> None:
    answer = http.post(
        "/data",
        params={"graph": base_iri + local},
        content=TRIPLE,
        headers={**TURTLE, **site.auth()},
    )
    assert answer.status_code == 400, answer.text
    problem = answer.json()
    assert problem["graph"] == base_iri + local
    assert problem.get("suggestion") == (base_iri + meant if meant else None)
    assert f"<{base_iri}store/>" in problem["detail"]  # where a client's own graphs go


def test_clients_own_graphs_and_new_sources_are_written_as_before(
    site: AppSite, http: httpx.Client, base_iri: str
) -> None:
    """Outside the base (the W3C suites' ``http://example.org/...``) and under ``store/``
    (the Graph Store Protocol's own names): the client's; a new source's claims graph: a
    data graph, validated."""
    token = site.auth()
    outside = http.post(
        "/data",
        params={"graph": "http://example.org/g"},
        content=TRIPLE,
        headers={**TURTLE, **token},
    )
    mine = http.put(
        "/store",
        params={"graph": f"{base_iri}store/mine"},
        content=TRIPLE,
        headers={**TURTLE, **token},
    )
    direct = http.put("/store/direct/x", content=TRIPLE, headers={**TURTLE, **token})
    created = http.post("/store", content=TRIPLE, headers={**TURTLE, **token})
    source = http.post(
        "/data",
        params={"graph": "graph/claims/new-source"},
        content=TRIPLE,
        headers={**TURTLE, **token},
    )
    assert [r.status_code for r in (outside, mine, direct, created, source)] == [201] * 5
    assert created.headers["Location"].startswith(f"{base_iri}store/")
    assert {
        "http://example.org/g",
        f"{base_iri}store/mine",
        f"{base_iri}store/direct/x",
        created.headers["Location"],
        f"{base_iri}graph/claims/new-source",
    } <= _graphs(site)


def test_a_mistyped_graph_written_before_can_still_be_removed(
    site: AppSite, http: httpx.Client, base_iri: str
) -> None:
    """Deleting only cleans up: a store written before the check keeps no junk for ever."""
    junk = NamedNode(f"{base_iri}claims/article")
    quad = Quad(NamedNode("http://example.org/a"), NamedNode("http://example.org/b"), junk, junk)
    site.services.store.commit(ChangeSet(insert=[quad]))  # as an older Parley let it in
    dropped = http.delete("/store", params={"graph": junk.value}, headers=site.auth())
    assert dropped.status_code == 204, dropped.text
    assert junk.value not in _graphs(site)


class _TurtleFile(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/turtle")
        self.send_header("Content-Length", str(len(TRIPLE)))
        self.end_headers()
        self.wfile.write(TRIPLE)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def turtle_server() -> Iterator[str]:
    """A loopback HTTP server answering every GET with ``TRIPLE``: its URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _TurtleFile)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/data.ttl"
    server.shutdown()
    server.server_close()


def test_load_into_a_mistyped_graph_is_refused(
    store_copy: Path, base_iri: str, turtle_server: str
) -> None:
    site = open_app(store_copy, base_iri, query_workers=0, outbound_allow=("127.0.0.1",))
    try:
        with site.client() as http:
            headers = {**UPDATE, **site.auth()}
            refused = http.post(
                "/sparql",
                content=f"LOAD <{turtle_server}> INTO GRAPH <{base_iri}claims/article>".encode(),
                headers=headers,
            )
            loaded = http.post(
                "/sparql",
                content=f"LOAD <{turtle_server}> INTO GRAPH <{base_iri}store/loaded>".encode(),
                headers=headers,
            )
        assert refused.status_code == 400, refused.text
        assert f"<{base_iri}graph/claims/article>" in refused.json()["detail"]
        assert loaded.status_code == 200, loaded.text  # the door itself works
        assert f"{base_iri}claims/article" not in _graphs(site)
        assert f"{base_iri}store/loaded" in _graphs(site)
    finally:
        site.stop()


def test_parley_load_refuses_a_mistyped_graph(
    store_copy: Path, base_iri: str, tmp_path: Path
) -> None:
    data = tmp_path / "claim.ttl"
    data.write_bytes(TRIPLE)
    args = ["load", str(data), "--store", str(store_copy), "--base-iri", base_iri]
    refused = CliRunner().invoke(main, [*args, "--graph", "claims/article"])
    assert refused.exit_code == 2, refused.output
    assert f"did you mean <{base_iri}graph/claims/article>?" in refused.stderr
    lookalike = CliRunner().invoke(main, [*args, "--graph", "graph/inferred/"])
    assert lookalike.exit_code == 2, lookalike.output
    assert "looks like" in lookalike.stderr
    written = CliRunner().invoke(main, [*args, "--graph", "http://example.org/mine"])
    assert written.exit_code == 0, written.output
    store = OxigraphStore.open(store_copy, Vocab(base_iri))
    try:
        graphs = {g.value for g in store.named_graphs() if isinstance(g, NamedNode)}
    finally:
        store.close()
    assert "http://example.org/mine" in graphs
    assert not {f"{base_iri}claims/article", f"{base_iri}graph/inferred/"} & graphs
