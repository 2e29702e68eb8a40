"""Bad input gets a clear 4xx problem, never a 500 and never a silent cut.

The review's attacks (docs: reliability review 4, 6, 7, 18, 19, 20, 26, 32, 40): bodies
sent chunked past ``--max-body-bytes`` (in-process and through a real Granian server,
where werkzeug used to cut them at the limit and write the first part); queries and
updates nested thousands deep (a stack overflow in the engine); invalid IRIs in paths
and parameters; undecodable text in parameters and forms; two sources for one query;
a declared charset; literals past ``--max-literal-bytes``.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
from click.testing import CliRunner

from service.cli import main
from service.errors import ParleyError, QueryCrashedError
from service.rdf import JSON
from service.sparql import Operation, run_query
from service.sparql._depth import MAX_NESTING_COST, nesting_cost
from tests.support import AppSite, Site, copy_store, open_app, start_site

#: The body limit of these tests' servers: small, so a body past it costs nothing.
LIMIT = 4096
COUNT_ALL = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"
CLIENT_GRAPH = "http://example.org/bad-input"
PROBLEM_JSON = "application/problem+json"


def _triples(count: int, start: int = 0) -> bytes:
    return "".join(
        f'<http://example.org/s{i}> <http://example.org/p> "{i}" .\n'
        for i in range(start, start + count)
    ).encode()


def _chunked(data: bytes, size: int = 1000) -> Iterator[bytes]:
    """``data`` as an iterator: httpx sends it with ``Transfer-Encoding: chunked``."""
    for at in range(0, len(data), size):
        yield data[at : at + size]


def _count(client: httpx.Client) -> int:
    answer = client.get(
        "sparql", params={"query": COUNT_ALL}, headers={"Accept": "application/sparql-results+json"}
    )
    assert answer.status_code == 200, answer.text
    return int(answer.json()["results"]["bindings"][0]["n"]["value"])


def _multipart(data: bytes) -> tuple[bytes, str]:
    boundary = "parley-test-boundary"
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="data"; filename="d.nt"\r\n'
        "Content-Type: application/n-triples\r\n\r\n"
    ).encode()
    body += data + f"\r\n--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


def _doors(big: bytes) -> list[tuple[str, str, dict[str, str], dict[str, str], bytes]]:
    """Every door that reads a body: (method, path, params, headers, body)."""
    nt = {"Content-Type": "application/n-triples"}
    query = b"SELECT * WHERE { ?s ?p ?o } LIMIT 1 #" + b"x" * len(big)
    update = b"INSERT DATA { GRAPH <" + CLIENT_GRAPH.encode() + b"> { " + big + b" } }"
    form, form_type = _multipart(big)
    return [
        ("POST", "data", {"graph": CLIENT_GRAPH}, nt, big),
        ("PUT", "store", {"graph": CLIENT_GRAPH}, nt, big),
        ("POST", "store", {"graph": CLIENT_GRAPH}, nt, big),
        ("POST", "sparql", {}, {"Content-Type": "application/sparql-query"}, query),
        ("POST", "sparql", {}, {"Content-Type": "application/sparql-update"}, update),
        ("POST", "validate", {}, nt, big),
        ("POST", "data", {"graph": CLIENT_GRAPH}, {"Content-Type": form_type}, form),
        ("POST", "store", {"graph": CLIENT_GRAPH}, {"Content-Type": form_type}, form),
    ]


def _refuses_chunked_past_the_limit(site: Site) -> None:
    big = _triples(200)  # about 9 KB, twice the limit
    assert len(big) > 2 * LIMIT
    with site.client() as client:
        before = _count(client)
    for method, path, params, headers, body in _doors(big):
        # A server may close the connection after refusing a body it did not read whole
        # (RFC 9112, 9.6): each refusal on a connection of its own.
        with site.client() as client:
            answer = client.request(
                method,
                path,
                params=params,
                headers={**headers, **site.auth()},
                content=_chunked(body),
            )
        assert answer.status_code == 413, (method, path, answer.status_code, answer.text)
        assert answer.headers["Content-Type"].startswith(PROBLEM_JSON)
        assert str(LIMIT) in answer.json()["detail"]
    with site.client() as client:
        assert _count(client) == before  # nothing of any of them was written


def _takes_chunked_within_the_limit(site: Site) -> None:
    small = _triples(20)
    assert len(small) < LIMIT
    with site.client() as client:
        before = _count(client)
        answer = client.post(
            "data",
            params={"graph": CLIENT_GRAPH},
            headers={"Content-Type": "application/n-triples", **site.auth()},
            content=_chunked(small, 100),
        )
        assert answer.status_code == 201, answer.text
        query = client.post(
            "sparql",
            headers={
                "Content-Type": "application/sparql-query",
                "Accept": "application/sparql-results+json",
            },
            content=_chunked(
                f"SELECT * WHERE {{ GRAPH <{CLIENT_GRAPH}> {{ ?s ?p ?o }} }}".encode()
            ),
        )
        assert query.status_code == 200, query.text
        assert len(query.json()["results"]["bindings"]) == 20
        assert _count(client) == before + 20


@pytest.mark.parametrize("backend", ["embedded", "remote"])
def test_chunked_bodies_past_the_limit_are_refused(backend: str, tmp_path: Path) -> None:
    """In-process (embedded), and through a real Granian server (remote: `parley serve` in
    front of `oxigraph serve`), where the server ends the chunked stream."""
    site = start_site(backend, tmp_path / "store", log_dir=tmp_path, max_body_bytes=LIMIT)
    try:
        _refuses_chunked_past_the_limit(site)
        _takes_chunked_within_the_limit(site)
    finally:
        site.stop()


# -- queries nested past what the engine's stack holds --------------------------------

#: Each nesting the review and the measurements in ``service.sparql._depth`` crashed a
#: query process with (a segfault of the engine), at the size that crashed it.
DEEP = {
    "braces": "SELECT * WHERE " + "{" * 10_000 + "?s ?p ?o" + "}" * 10_000,
    "parens": "SELECT * WHERE { ?s ?p ?o FILTER(" + "(" * 10_000 + "1" + ")" * 10_000 + ") }",
    "union": "SELECT * WHERE { " + " UNION ".join(["{?s ?p ?o}"] * 10_000) + " }",
    "sub-select": "SELECT * WHERE " + "{ SELECT * WHERE " * 3000 + "{?s ?p ?o}" + "}" * 3000,
    "exists": "ASK { " + "FILTER EXISTS {" * 850 + "?s ?p ?o" + "}" * 850 + " }",
    "concat": "SELECT * WHERE { BIND(" + "CONCAT(" * 950 + '"a"' + ")" * 950 + " AS ?x) }",
    "minus": "SELECT * WHERE { ?s ?p ?o " + " ".join(["MINUS {?s ?p ?x}"] * 2700) + " }",
    "plus": "SELECT * WHERE { ?s ?p ?o FILTER(" + "+".join(["1"] * 9400) + ") }",
    "subtraction": "SELECT * WHERE { ?s ?p ?o FILTER(" + "-".join(["1"] * 9400) + ") }",
    "path": "SELECT * WHERE { ?s " + "|".join(["<http://e/p>"] * 11_000) + " ?o }",
    "triples": "SELECT * WHERE { "
    + " . ".join(f"?s <http://e/p> ?o{i}" for i in range(8300))
    + " }",
    # A `'` in what reads as an IRI: the engine may read `<` as less-than and the `'` as
    # a string's start, hiding nothing from the count.
    "quote trick": "ASK { FILTER(?a<'x>' && " + "(" * 5000 + "1" + ")" * 5000 + " && 'y') }",
    # A `<` and a `>` the engine reads as comparisons, all between them an "IRI" to a lexer.
    "less-than trick": "ASK { FILTER(?a<" + "+".join(["1"] * 9400) + ")FILTER(?b>0) }",
    "less-than binds": "ASK { FILTER(?a<1)"
    + "".join(f"BIND((1)AS?b{i})" for i in range(2700))
    + "FILTER(?b>0) }",
    "comment trick": "ASK { #x\r" + "{" * 5000 + "}" * 5000 + " }",
}

#: A deep query that fits in a URL (3,000 levels: the engine crashed at 2,200).
DEEP_GET = "SELECT * WHERE " + "{" * 3000 + "?s ?p ?o" + "}" * 3000


def test_the_nesting_cost_counts_every_crashing_shape_and_spares_large_flat_ones() -> None:
    for name, text in DEEP.items():
        assert nesting_cost(text) > MAX_NESTING_COST, name
    # Large: each holds far more brackets, operators and items than the cap allows in all
    # (tens of times over), so only a count that spares what is flat keeps them under it.
    wide_values = "SELECT * { VALUES (?a ?b) {" + " ".join(
        f'(-{i} "x"^^<http://e/t>) (1.5 ex:a-b)' for i in range(20_000)
    )
    wide_values += "} FILTER(?a IN (" + ",".join(map(str, range(10_000))) + ")) }"
    big_insert = (
        "INSERT DATA { GRAPH <http://e/g> { "
        + " . ".join(f"<http://e/s{i}> <http://e/p> {i}.5, 'a;b{{(x)}}'" for i in range(10_000))
        + " } }"
    )
    hundred_deep = "SELECT * WHERE " + "{" * 100 + "?s ?p ?o" + "}" * 100
    for text in (wide_values, big_insert, hundred_deep):
        assert nesting_cost(text) <= MAX_NESTING_COST


@pytest.fixture(scope="module")
def two_workers(
    tmp_path_factory: pytest.TempPathFactory, built_store: Path, base_iri: str
) -> Iterator[AppSite]:
    """The app on a copy of the model with two query processes, for the deep queries: one
    for the module (they are refused, and write nothing)."""
    store = copy_store(built_store, tmp_path_factory.mktemp("deep") / "store", base_iri)
    site = open_app(store, base_iri, query_workers=2)
    yield site
    site.stop()


def test_deep_queries_and_updates_are_refused_before_any_engine(two_workers: AppSite) -> None:
    site = two_workers
    with site.client() as client:
        for name, text in DEEP.items():
            answers = [
                client.post(
                    "sparql", content=text, headers={"Content-Type": "application/sparql-query"}
                ),
                client.post("sparql", data={"query": text}),
            ]
            if len(quote(text)) < 60_000:  # httpx's limit on a URL
                answers.append(client.get("sparql", params={"query": text}))
            for answer in answers:
                assert answer.status_code == 400, (name, answer.status_code, answer.text)
                problem = answer.json()
                assert problem["type"].endswith("/problems/sparql-syntax")
                assert str(MAX_NESTING_COST) in problem["detail"]
        update = "INSERT { <http://e/s> <http://e/p> 1 } WHERE " + DEEP["braces"][16:]
        answer = client.post(
            "sparql",
            content=update,
            headers={"Content-Type": "application/sparql-update", **site.auth()},
        )
        assert answer.status_code == 400, answer.text
        assert str(MAX_NESTING_COST) in answer.json()["detail"]


def test_a_stream_of_deep_queries_fails_no_innocent_query(two_workers: AppSite) -> None:
    """The review's attack 7: 4 clients sending 10,000-deep queries while others ask
    cheap ones; every cheap one is answered."""
    site = two_workers
    innocent = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    failures: list[str] = []

    def attack() -> None:
        with site.client() as client:
            for _ in range(5):
                answer = client.get("sparql", params={"query": DEEP_GET})
                if answer.status_code != 400:
                    failures.append(f"deep: {answer.status_code}")

    def ask() -> None:
        with site.client() as client:
            for _ in range(5):
                answer = client.get(
                    "sparql",
                    params={"query": innocent},
                    headers={"Accept": "application/sparql-results+json"},
                )
                if answer.status_code != 200:
                    failures.append(f"innocent: {answer.status_code} {answer.text[:200]}")

    threads = [threading.Thread(target=attack) for _ in range(4)]
    threads += [threading.Thread(target=ask) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert failures == []


@pytest.mark.parametrize("backend", ["remote"])
def test_deep_queries_never_reach_a_remote_store(backend: str, tmp_path: Path) -> None:
    site = start_site(backend, tmp_path / "store", log_dir=tmp_path)
    try:
        with site.client() as client:
            query = {"Content-Type": "application/sparql-query"}
            for answer in (
                client.get("sparql", params={"query": DEEP_GET}),
                client.post("sparql", content=DEEP["union"], headers=query),
            ):
                assert answer.status_code == 400, answer.text
                assert str(MAX_NESTING_COST) in answer.json()["detail"]
            assert _count(client) == 0  # the store still answers
    finally:
        site.stop()


# -- invalid IRIs, undecodable text, two sources, a declared charset -------------------


def test_invalid_iris_from_clients_are_4xx_problems(store_copy: Path, base_iri: str) -> None:
    site = open_app(store_copy, base_iri, query_workers=0)
    try:
        with site.client() as client:
            for path, status in (
                ("id/%3Cscript%3E", 404),
                (".well-known/genid/%3Cscript%3E", 404),
                ("graph/%3Cscript%3E", 404),
                ("instances?class=http://example.org/a%0d%0ab", 400),
                ("instances?class=http://example.org/%3Cx%3E", 400),
                ("sparql?query=ASK%7B%7D&default-graph-uri=http://e/%01", 400),
            ):
                for accept in ("application/json", "text/html"):
                    answer = client.get(path, headers={"Accept": accept})
                    assert answer.status_code == status, (path, answer.status_code, answer.text)
                    wanted = PROBLEM_JSON if accept == "application/json" else "text/html"
                    assert answer.headers["Content-Type"].startswith(wanted), path
            nt = {"Content-Type": "application/n-triples", **site.auth()}
            body = _triples(1)
            for method, path, params in (
                ("POST", "data", {"graph": "http://example.org/a b"}),
                ("POST", "data", {"graph": "http://example.org/\x01"}),
                ("PUT", "store", {"graph": "http://example.org/\x01"}),
                ("PUT", "store/a%3Cb%3E", {}),
            ):
                answer = client.request(method, path, params=params, headers=nt, content=body)
                assert answer.status_code == 400, (method, path, params, answer.text)
    finally:
        site.stop()


def test_undecodable_parameters_two_sources_and_other_charsets_are_refused(
    store_copy: Path, base_iri: str
) -> None:
    site = open_app(store_copy, base_iri, query_workers=0)
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    try:
        with site.client() as client:
            # Not UTF-8, a lone surrogate (UTF-8 of U+D800), a NUL: refused, never replaced.
            for raw in ("ASK%7B%7D%FF", "ASK%7B%7D%ED%A0%80", "ASK%7B%7D%00"):
                answer = client.get(f"sparql?query={raw}")
                assert answer.status_code == 400, (raw, answer.text)
                answer = client.post("sparql", content=f"query={raw}", headers=form)
                assert answer.status_code == 400, (raw, answer.text)
                answer = client.get(f"search?q={raw}")
                assert answer.status_code == 400, (raw, answer.text)
            # The query in the URL and in the form: the protocol allows one source.
            answer = client.post("sparql?query=ASK%7B%7D", content="query=ASK%7B%7D", headers=form)
            assert answer.status_code == 400, answer.text
            assert "one source" in answer.json()["detail"]
            # A declared charset other than UTF-8 is not read as UTF-8.
            latin = "SELECT ('caf\xe9' AS ?x) {}".encode("latin-1")
            for media in ("application/sparql-query", "application/sparql-update"):
                answer = client.post(
                    "sparql",
                    content=latin,
                    headers={"Content-Type": f"{media}; charset=latin1", **site.auth()},
                )
                assert answer.status_code == 415, answer.text
            # UTF-8, declared or not, is read.
            answer = client.post(
                "sparql",
                content="SELECT ('caf\xe9' AS ?x) {}".encode(),
                headers={
                    "Content-Type": "application/sparql-query; charset=utf-8",
                    "Accept": "application/sparql-results+json",
                },
            )
            assert answer.status_code == 200, answer.text
            assert answer.json()["results"]["bindings"][0]["x"]["value"] == "caf\xe9"
    finally:
        site.stop()


# -- literals past --max-literal-bytes -------------------------------------------------

LITERAL_LIMIT = 1000


def test_literals_past_the_limit_are_refused_on_every_door(
    store_copy: Path, base_iri: str, tmp_path: Path
) -> None:
    long_value = "é" * 600  # 600 characters, 1,200 bytes
    triple = f'<http://example.org/big> <http://example.org/label> "{long_value}" .\n'
    site = open_app(store_copy, base_iri, query_workers=0, max_literal_bytes=LITERAL_LIMIT)
    try:
        with site.client() as client:
            before = _count(client)
            nt = {"Content-Type": "application/n-triples", **site.auth()}
            update = {"Content-Type": "application/sparql-update", **site.auth()}
            insert = f"INSERT DATA {{ GRAPH <{CLIENT_GRAPH}> {{ {triple} }} }}"
            answers = [
                client.post("data", params={"graph": CLIENT_GRAPH}, headers=nt, content=triple),
                client.put("store", params={"graph": CLIENT_GRAPH}, headers=nt, content=triple),
                client.post("store", params={"graph": CLIENT_GRAPH}, headers=nt, content=triple),
                client.post("sparql", headers=update, content=insert),
            ]
            for answer in answers:
                assert answer.status_code == 413, answer.text
                problem = answer.json()
                assert "http://example.org/big" in problem["detail"]
                assert "http://example.org/label" in problem["detail"]
                assert problem["maxLiteralBytes"] == LITERAL_LIMIT
            assert _count(client) == before
            # Within the limit (500 characters, 1,000 bytes): written.
            short = triple.replace(long_value, "é" * 500)
            answer = client.post("data", params={"graph": CLIENT_GRAPH}, headers=nt, content=short)
            assert answer.status_code == 201, answer.text
    finally:
        site.stop()
    file = tmp_path / "big.nt"
    file.write_text(triple, encoding="utf-8")
    args = ["--store", str(store_copy), "--base-iri", base_iri]
    loaded = CliRunner().invoke(
        main,
        [
            "load",
            str(file),
            "--graph",
            CLIENT_GRAPH,
            "--max-literal-bytes",
            str(LITERAL_LIMIT),
            *args,
        ],
    )
    assert loaded.exit_code != 0, loaded.output
    assert "max-literal-bytes" in loaded.output


def test_a_query_that_crashes_its_process_fails_alone(store_copy: Path, base_iri: str) -> None:
    """Past the nesting check (called here on the runner directly, as a crash the check
    does not foresee would be): the crashing query is answered 400 once it crashed a
    process of its own, and the queries that shared its first process are answered."""
    site = open_app(store_copy, base_iri, query_workers=4, max_concurrent_queries=8)
    svc = site.services
    labels = "<http://www.w3.org/2000/01/rdf-schema#label>"
    innocent = Operation("query", f"SELECT (COUNT(*) AS ?n) WHERE {{ ?a ?b ?c . ?d {labels} ?f }}")
    answers: list[str] = []

    def ask() -> None:
        try:
            page = run_query(innocent, JSON, None, svc.settings, svc.queries)
            answers.append(
                json.loads(b"".join(page.chunks))["results"]["bindings"][0]["n"]["value"]
            )
        except ParleyError as error:
            answers.append(f"failed: {error.detail}")

    try:
        ask()  # the query process is up, and the innocent answer known
        threads = [threading.Thread(target=ask) for _ in range(3)]
        for thread in threads:
            thread.start()
        time.sleep(0.2)
        with pytest.raises(QueryCrashedError):
            run_query(Operation("query", DEEP_GET), JSON, None, svc.settings, svc.queries)
        for thread in threads:
            thread.join(timeout=120)
        assert len(answers) == 4
        assert set(answers) == {answers[0]}, answers  # every innocent one answered
    finally:
        site.stop()
