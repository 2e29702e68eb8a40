"""The write gate through its doors: ``POST /data`` and ``POST /validate`` over HTTP,
``parley load`` and ``parley validate`` on a store, and the gate API.

One site per module and backend, on the gate's fixture model built for its URL:
in-process on the embedded store, a real `parley serve` on the remote one. The gate's API and ``parley load``/``parley validate`` work on a
store directory in the test process, with no server: they run once, not per backend.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from service.cli import main
from service.rdf import (
    NQUADS,
    NTRIPLES,
    TURTLE,
    XSD,
    Literal,
    NamedNode,
    Quad,
    Vocab,
    parse,
    serialize,
)
from service.store import OxigraphStore
from tests.gate_examples import EXAMPLES, PREFIXES, Example, claim
from tests.gatekit import (
    CliPath,
    GatePath,
    GspPostPath,
    HttpPath,
    SparqlUpdatePath,
    WritePath,
    build_fixture,
    inferred_difference,
    model_report,
    post_to_data,
    server_data,
)
from tests.support import BACKENDS, Site, base_for, free_port, start_site

SERVER_DOORS = ["http-data", "sparql-update", "gsp-post"]
LOCAL_DOORS = ["gate", "cli-load"]


@dataclass
class Setup:
    site: Site
    vocab: Vocab
    paths: dict[str, WritePath]


@dataclass
class Local:
    """The doors that need no server: the gate's API and the command line."""

    vocab: Vocab
    paths: dict[str, WritePath]
    cli_store: Path


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory, backend: str) -> Iterator[Setup]:
    root = tmp_path_factory.mktemp(f"gate-http-{backend}")
    port = free_port()
    base = base_for(port)
    store = build_fixture(root / "server-store", base)
    site = start_site(backend, store, log_dir=root, port=port)
    http = HttpPath(site.client(), site.token)
    update = SparqlUpdatePath(site.client(), site.token)
    gsp = GspPostPath(site.client(), site.token)
    paths: dict[str, WritePath] = {"http-data": http, "sparql-update": update, "gsp-post": gsp}
    yield Setup(site, Vocab(base), paths)
    for door in (http, update, gsp):
        door.close()
    site.stop()


@pytest.fixture(scope="module")
def local(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Local]:
    root = tmp_path_factory.mktemp("gate-local")
    base = base_for(free_port())
    gate_store = OxigraphStore.open(build_fixture(root / "gate-store", base), Vocab(base))
    cli_store = build_fixture(root / "cli-store", base)
    paths: dict[str, WritePath] = {
        "gate": GatePath(gate_store),
        "cli-load": CliPath(cli_store, base, root),
    }
    yield Local(Vocab(base), paths, cli_store)
    gate_store.close()


@pytest.fixture
def client(setup: Setup) -> Iterator[httpx.Client]:
    with setup.site.client() as c:
        yield c


def body(text: str, token: str = "t") -> bytes:
    return (PREFIXES + text.replace("{k}", token)).encode()


# -- every shape, through every write path ---------------------------------------------


def _door_cases() -> list[object]:
    """Every shape through every server door on the embedded store. On the remote ones,
    where a door's parsing and the gate are the same code and only the store behind them
    differs, every shape once and every door in turn (the shape's place in ``EXAMPLES``
    picks its door): each shape's in-context reads and commit on each store, each door on
    each store, a third of the writes (a write on Virtuoso takes 0.2 s)."""
    return [
        pytest.param(backend, door, example, id=f"{backend}-{example.shape}-{door}")
        for backend in BACKENDS
        for n, example in enumerate(EXAMPLES)
        for d, door in enumerate(SERVER_DOORS)
        if backend == "embedded" or d == n % len(SERVER_DOORS)
    ]


@pytest.mark.parametrize(
    ("backend", "path_name", "example"), _door_cases(), indirect=["backend"], scope="session"
)
def test_each_shape_through_each_server_door(
    setup: Setup, path_name: str, example: Example
) -> None:
    _check_door(setup.paths[path_name], path_name, example)


@pytest.mark.parametrize("path_name", LOCAL_DOORS)
@pytest.mark.parametrize("example", EXAMPLES, ids=lambda e: e.shape)
def test_each_shape_through_each_local_door(local: Local, path_name: str, example: Example) -> None:
    _check_door(local.paths[path_name], path_name, example)


def _check_door(path: WritePath, path_name: str, example: Example) -> None:
    n = EXAMPLES.index(example)
    token = f"{path_name.replace('-', '')}{n}"
    valid = path.write(
        example.text("valid", token + "v"), example.graph.replace("{k}", token + "v")
    )
    assert valid.accepted, valid.messages
    invalid = path.write(
        example.text("invalid", token + "i"), example.graph.replace("{k}", token + "i")
    )
    assert not invalid.accepted
    assert any(example.message in m for m in invalid.messages), invalid.messages


# -- POST /data ---------------------------------------------------------------------------


def dump(client: httpx.Client) -> set[tuple[str, ...]]:
    """Every quad of the site's store, through SPARQL."""
    response = client.get(
        "/sparql",
        params={"query": "SELECT * WHERE { GRAPH ?g { ?s ?p ?o } }"},
        headers={"Accept": "application/sparql-results+json"},
    )
    assert response.status_code == 200
    rows = response.json()["results"]["bindings"]
    return {tuple(json.dumps(row[v], sort_keys=True) for v in ("s", "p", "o", "g")) for row in rows}


def post_data(
    setup: Setup,
    client: httpx.Client,
    data: bytes,
    graph: str = "graph/claims/article",
    content_type: str = "text/turtle",
    **params: str,
) -> httpx.Response:
    return post_to_data(client, setup.site.auth(), data, graph, content_type, **params)


def test_a_refused_write_leaves_the_store_as_it_was(setup: Setup, client: httpx.Client) -> None:
    before = dump(client)
    response = post_data(setup, client, body(claim(quote="a good basis for war"), "r1"))
    assert response.status_code == 422
    problem = response.json()
    assert problem["conforms"] is False
    assert problem["results"][0]["sourceShape"].endswith("shapes#EvidenceShape>")
    assert dump(client) == before


def test_a_dry_run_answers_without_writing(setup: Setup, client: httpx.Client) -> None:
    before = dump(client)
    response = post_data(setup, client, body(claim(), "d1"), **{"dry-run": "true"})
    assert response.status_code == 200
    outcome = response.json()
    assert outcome["committed"] is False
    assert outcome["added"] == len(parse(body(claim(), "d1"), TURTLE, base_iri=setup.vocab.base))
    assert outcome["inferredAdded"] > 0
    assert dump(client) == before
    refused = post_data(setup, client, body(claim(claim_type=""), "d2"), **{"dry-run": "true"})
    assert refused.status_code == 422


def test_an_accepted_write_answers_201_with_its_counts(setup: Setup, client: httpx.Client) -> None:
    response = post_data(setup, client, body(claim(), "w1"))
    assert response.status_code == 201
    outcome = response.json()
    assert outcome["committed"] is True
    assert outcome["record"].startswith(setup.vocab.provenance_graph.value + "#write-")
    assert outcome["graph"] == setup.vocab.claims_graph("article").value


@pytest.mark.parametrize(
    ("headers", "status"),
    [({}, 401), ({"Authorization": "Bearer wrong"}, 401)],
)
def test_writes_need_the_token(
    setup: Setup, client: httpx.Client, headers: dict[str, str], status: int
) -> None:
    response = client.post(
        "/data",
        params={"graph": "graph/reference"},
        content=body(claim(), "a1"),
        headers={"Content-Type": "text/turtle", **headers},
    )
    assert response.status_code == status
    assert response.headers["Content-Type"].startswith("application/problem+json")


def test_bad_requests(setup: Setup, client: httpx.Client) -> None:
    no_graph = client.post(
        "/data", content=b"", headers={"Content-Type": "text/turtle", **setup.site.auth()}
    )
    assert no_graph.status_code == 400
    protected = post_data(setup, client, body(claim(), "b1"), graph="graph/inferred")
    assert protected.status_code == 403
    assert protected.json()["type"].endswith("/problems/protected-graph")
    model = post_data(setup, client, body("id:X rdfs:subClassOf parley:Claim ."))
    assert model.status_code == 403
    assert model.json()["type"].endswith("/problems/ontology-statement")
    syntax = post_data(setup, client, b"<a> <b> .")
    assert syntax.status_code == 400
    assert (syntax.json()["line"], syntax.json()["column"]) == (1, 9)
    media = post_data(setup, client, b"{}", content_type="application/x-unknown")
    assert media.status_code == 415


def test_quad_formats_keep_their_graphs(setup: Setup, client: httpx.Client) -> None:
    vocab = setup.vocab
    quads = parse(body(claim(), "q1"), TURTLE, base_iri=vocab.base)
    own = NamedNode("http://example.org/notes")
    note = Quad(vocab.id["claim/Xq1"], NamedNode("http://example.org/note"), Literal("x"), own)
    # The claim in the default graph (it goes to ?graph), the note in its own graph.
    nquads = serialize([*quads, note], NQUADS)
    response = post_data(setup, client, nquads, content_type="application/n-quads")
    assert response.status_code == 201, response.text
    ask = client.get(
        "/sparql",
        params={
            "query": f"ASK {{ GRAPH <{own.value}> {{ ?s ?p 'x' }} "
            f"GRAPH <{vocab.claims_graph('article').value}> {{ ?c a parley:Claim }} }}"
        },
        headers={"Accept": "application/sparql-results+json"},
    )
    assert ask.json()["boolean"] is True


def test_concurrent_writers_all_land(setup: Setup, client: httpx.Client) -> None:
    tokens = [f"c{n}" for n in range(8)]

    def write(token: str) -> int:
        with setup.site.client() as own:
            return post_data(setup, own, body(claim(), token)).status_code

    with ThreadPoolExecutor(len(tokens)) as pool:
        statuses = list(pool.map(write, tokens))
    assert statuses == [201] * len(tokens)
    found = client.get(
        "/sparql",
        params={
            "query": "SELECT ?c WHERE { ?c a parley:Claim ; parley:hasEvidence ?e . "
            "?e oa:hasSelector ?s . FILTER(STRENDS(STR(?c), 'Xc0') || "
            + " || ".join(f"STRENDS(STR(?c), 'X{t}')" for t in tokens)
            + ") }"
        },
        headers={"Accept": "application/sparql-results+json"},
    )
    claims = {row["c"]["value"] for row in found.json()["results"]["bindings"]}
    assert claims == {setup.vocab.id[f"claim/X{t}"].value for t in tokens}
    # The store as a whole still holds to the shapes.
    assert model_report(setup.vocab, server_data(client, setup.vocab)).conforms


def test_inferred_graph_matches_the_reference_after_writes(
    setup: Setup, client: httpx.Client
) -> None:
    vocab = setup.vocab
    predicted = claim().replace("modality-asserted", "modality-predicted")
    assert post_data(setup, client, body(predicted, "i1")).status_code == 201
    assert inferred_difference(client, vocab) == ([], [])


def test_provenance_is_queryable(setup: Setup, client: httpx.Client) -> None:
    response = post_data(setup, client, body(claim(), "p1"))
    record = response.json()["record"]
    query = f"""SELECT ?s ?p ?o ?g WHERE {{ GRAPH graph:provenance {{
        <{record}> a parley:WriteRecord ; parley:addedStatement ?st ; prov:startedAtTime ?t .
        ?st rdf:subject ?s ; rdf:predicate ?p ; rdf:object ?o ; parley:inGraph ?g }} }}"""
    rows = client.get(
        "/sparql", params={"query": query}, headers={"Accept": "application/sparql-results+json"}
    ).json()["results"]["bindings"]
    sent = parse(body(claim(), "p1"), TURTLE, base_iri=setup.vocab.base)
    assert len(rows) == len(sent)
    subjects = {row["s"]["value"] for row in rows}
    assert setup.vocab.id["claim/Xp1"].value in subjects
    assert {row["g"]["value"] for row in rows} == {setup.vocab.claims_graph("article").value}


# -- POST /validate ----------------------------------------------------------------------


def test_validate_answers_json_and_writes_nothing(setup: Setup, client: httpx.Client) -> None:
    before = dump(client)
    ok = client.post(
        "/validate", content=body(claim(), "v1"), headers={"Content-Type": "text/turtle"}
    )
    assert ok.status_code == 200
    assert ok.json() == {"conforms": True, "results": []}
    bad = client.post(
        "/validate",
        content=body(claim(claim_type=""), "v2"),
        headers={"Content-Type": "text/turtle"},
    )
    assert bad.status_code == 200
    report = bad.json()
    assert report["conforms"] is False
    result = report["results"][0]
    assert set(result) == {
        "focusNode",
        "resultPath",
        "value",
        "sourceConstraintComponent",
        "sourceShape",
        "resultSeverity",
        "message",
    }
    assert result["resultPath"].endswith("ontology#claimType>")
    assert result["sourceConstraintComponent"].endswith("#MinCountConstraintComponent>")
    assert dump(client) == before


def test_validate_in_context_sees_the_store(setup: Setup, client: httpx.Client) -> None:
    """The claimant is an actor the store holds: sh:class holds only in context."""
    in_context = client.post(
        "/validate", content=body(claim(), "v3"), headers={"Content-Type": "text/turtle"}
    )
    assert in_context.json()["conforms"] is True
    shapes = body(
        "@prefix sh: <http://www.w3.org/ns/shacl#> . [] a sh:NodeShape ; "
        "sh:targetClass parley:Claim ; sh:property [ sh:path parley:claimant ; "
        "sh:class parley:Agent ] ."
    )
    alone = client.post(
        "/validate",
        files={
            "data": ("data.ttl", body(claim(), "v3"), "text/turtle"),
            "shapes": ("shapes.ttl", shapes, "text/turtle"),
        },
    )
    assert alone.status_code == 200
    report = alone.json()
    assert report["conforms"] is False
    assert [r["value"] for r in report["results"]] == [f"<{setup.vocab.id.Trump.value}>"]


def test_unusable_client_shapes_are_a_400(client: httpx.Client) -> None:
    shapes = (
        b"@prefix sh: <http://www.w3.org/ns/shacl#> . <http://x/S> a sh:NodeShape ; "
        b"sh:targetNode <http://x/a> ; "
        b"sh:sparql [ sh:select 'SELECT $this WHERE { $this nope:p ?o }' ] ."
    )
    response = client.post(
        "/validate",
        files={
            "data": ("d.ttl", b"<http://x/a> <http://x/p> 1 .", "text/turtle"),
            "shapes": ("s.ttl", shapes, "text/turtle"),
        },
    )
    assert response.status_code == 400
    assert response.json()["type"].endswith("/problems/invalid-shapes")


def test_validate_speaks_rdf_and_html(setup: Setup, client: httpx.Client) -> None:
    data = body(claim(claim_type=""), "v4")
    as_turtle = client.post(
        "/validate", content=data, headers={"Content-Type": "text/turtle", "Accept": "text/turtle"}
    )
    assert as_turtle.headers["Content-Type"].startswith("text/turtle")
    graph = parse(as_turtle.content, TURTLE)
    sh = "http://www.w3.org/ns/shacl#"
    conforms = [q.object for q in graph if q.predicate == NamedNode(sh + "conforms")]
    assert conforms == [Literal("false", datatype=XSD.boolean)]
    as_html = client.post(
        "/validate", content=data, headers={"Content-Type": "text/turtle", "Accept": "text/html"}
    )
    assert as_html.headers["Content-Type"].startswith("text/html")
    assert "The data does not conform: 1 result(s)." in as_html.text
    assert "exactly one parley:claimType" in as_html.text
    ntriples = serialize(parse(data, TURTLE, base_iri=setup.vocab.base), NTRIPLES)
    multipart = client.post(
        "/validate", files={"data": ("data.nt", ntriples, "application/n-triples")}
    )
    assert multipart.json()["conforms"] is False


def test_validate_reports_syntax_errors_with_their_position(client: httpx.Client) -> None:
    response = client.post(
        "/validate",
        content=b"@prefix x: <http://x/> .\nx:a x:b .",
        headers={"Content-Type": "text/turtle"},
    )
    assert response.status_code == 400
    problem = response.json()
    assert problem["line"] == 2
    assert "column" in problem


# -- the command line ---------------------------------------------------------------------


def test_parley_validate(local: Local, tmp_path: Path) -> None:
    good, bad = tmp_path / "good.ttl", tmp_path / "bad.ttl"
    good.write_bytes(body(claim(), "cv1"))
    bad.write_bytes(body(claim(quote="a good basis for war"), "cv2"))
    args = ["--store", str(local.cli_store), "--base-iri", local.vocab.base]
    ok = CliRunner().invoke(main, ["validate", str(good), *args])
    assert (ok.exit_code, ok.stdout.strip()) == (0, "Conforms: yes")
    refused = CliRunner().invoke(main, ["validate", str(bad), *args])
    assert refused.exit_code == 1
    assert "is not the text of its source" in refused.stdout


def test_parley_load_dry_run(local: Local, tmp_path: Path) -> None:
    file = tmp_path / "claim.ttl"
    file.write_bytes(body(claim(), "cd1"))
    args = ["--store", str(local.cli_store), "--base-iri", local.vocab.base]
    result = CliRunner().invoke(
        main, ["load", str(file), "--graph", "graph/claims/article", "--dry-run", *args]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["committed"] is False
    store = OxigraphStore.open(local.cli_store, local.vocab)
    try:
        assert not list(store.quads(local.vocab.id["claim/Xcd1"], None, None))
    finally:
        store.close()


def test_the_validate_page_works_without_javascript(client: httpx.Client) -> None:
    """The page's form posts the pasted text and its format; the answer is the page."""
    page = client.get("/validate", headers={"Accept": "text/html"})
    assert page.status_code == 200
    assert 'name="text"' in page.text
    answer = client.post(
        "/validate",
        data={"format": "text/turtle", "text": body(claim(claim_type=""), "v5").decode()},
        files={"data": ("", b"", "application/octet-stream")},
        headers={"Accept": "text/html"},
    )
    assert answer.status_code == 200
    assert answer.headers["Content-Type"].startswith("text/html")
    assert "The data does not conform: 1 result(s)." in answer.text


def test_parley_validate_without_a_store(tmp_path: Path, local: Local) -> None:
    """With no store the file is checked against the model files alone."""
    place = tmp_path / "place.ttl"
    place.write_bytes(
        body('id:Tver a parley:City ; rdfs:label "Tver"@en ; dcterms:source <id/x> .')
    )
    args = ["--store", str(tmp_path / "none"), "--base-iri", local.vocab.base]
    ok = CliRunner().invoke(main, ["validate", str(place), *args])
    assert (ok.exit_code, ok.stdout.strip()) == (0, "Conforms: yes")
    place.write_bytes(body("id:Tver a parley:City ."))
    refused = CliRunner().invoke(main, ["validate", str(place), *args])
    assert refused.exit_code == 1
    assert "A place needs an English rdfs:label" in refused.stdout


def test_deletions_that_break_other_data_are_refused_on_every_door(
    setup: Setup, client: httpx.Client
) -> None:
    """The review cites the editor; the claims are about the events of graph/reference."""
    before = dump(client)
    editor = setup.vocab.id["editor/parley"].value
    update = client.post(
        "/sparql",
        content=f"DELETE WHERE {{ GRAPH graph:editorial {{ <{editor}> ?p ?o }} }}".encode(),
        headers={"Content-Type": "application/sparql-update", **setup.site.auth()},
    )
    assert update.status_code == 422, update.text
    focus = {r["focusNode"] for r in update.json()["results"]}
    # Every review the editor wrote (other tests of this module add some), not the editor.
    assert f"<{setup.vocab.id['review/C1'].value}>" in focus
    assert all("/id/review/" in f for f in focus)
    gsp = client.delete(
        "/store", params={"graph": setup.vocab.reference_graph.value}, headers=setup.site.auth()
    )
    assert gsp.status_code == 422, gsp.text
    messages = " ".join(r["message"] for r in gsp.json()["results"])
    assert "An event needs an English rdfs:label" in messages
    assert dump(client) == before


def test_an_update_over_every_graph_is_told_to_name_the_data_graph(
    setup: Setup, client: httpx.Client
) -> None:
    editor = setup.vocab.id["editor/parley"].value
    response = client.post(
        "/sparql",
        content=f"DELETE WHERE {{ GRAPH ?g {{ <{editor}> ?p ?o }} }}".encode(),
        headers={"Content-Type": "application/sparql-update", **setup.site.auth()},
    )
    assert response.status_code == 403
    assert "name the data graph" in response.json()["detail"]
