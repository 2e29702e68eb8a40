"""The server survives what took it down in the reliability review (findings 28, 42, 43,
45 and the zombie query processes), each tried for real: a billion-laughs RDF/XML body
at every door that reads RDF, a kill -9 of the web worker and of the main process, a
disk that fills up under a write (a small tmpfs in a mount namespace of the server's
own), and a store whose files are damaged.
"""

from __future__ import annotations

import errno
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from service.errors import PayloadTooLargeError, RdfSyntaxError, StoreError
from service.rdf import RDFXML, TURTLE, Vocab, parse
from service.store import OxigraphStore
from tests import clients
from tests.support import (
    CROSS_PRODUCT,
    PARLEY,
    AppSite,
    ServerProcess,
    base_for,
    copy_store,
    create_empty_store,
    free_port,
    insert_test_triples,
    open_app,
    start_server,
)

RDF_NS = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
#: The review's document, six levels deep instead of nine: a million "lol"s once expanded
#: (3 MB), so that where the guard is missing this test fails instead of taking the
#: machine's memory.
_LAUGHS = "".join(f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10}">' for n in range(1, 7)).join(
    ('<!DOCTYPE rdf:RDF [<!ENTITY lol0 "lol">', "]>")
)
_DESCRIPTION = (
    f'<rdf:RDF xmlns:rdf="{RDF_NS}" xmlns:e="http://example.org/">'
    '<rdf:Description rdf:about="http://example.org/s"><e:p>{}</e:p></rdf:Description>'
    "</rdf:RDF>"
)
BILLION_LAUGHS = ('<?xml version="1.0"?>' + _LAUGHS + _DESCRIPTION.format("&lol6;")).encode()
#: What a client might try instead: the same entity after the root element (pyoxigraph
#: reads a DOCTYPE there too), in lower case, in UTF-16 (with and without its byte-order
#: mark), and declared in an encoding pyoxigraph does not read.
VARIANTS = {
    "billion laughs": BILLION_LAUGHS,
    "late doctype": _DESCRIPTION.format('<!DOCTYPE x [<!ENTITY a "aaaaaaaa">]>&a;').encode(),
    "lower case": BILLION_LAUGHS.replace(b"<!DOCTYPE", b"<!doctype"),
    "utf-16": BILLION_LAUGHS.decode().encode("utf-16"),
    "utf-16 without bom": BILLION_LAUGHS.decode().encode("utf-16-le"),
    "latin-1": BILLION_LAUGHS.replace(b'version="1.0"', b'version="1.0" encoding="ISO-8859-1"'),
}
MINE = "http://example.org/mine"
UPDATE = {"Content-Type": "application/sparql-update"}
JSON_RESULTS = {"Accept": "application/sparql-results+json"}


@pytest.fixture(scope="module")
def documents_site(
    tmp_path_factory: pytest.TempPathFactory, built_store: Path, base_iri: str
) -> Iterator[AppSite]:
    """The app on a copy of the model, for the documents below: one for the module (they
    are refused, or written to a graph of their own)."""
    store = copy_store(built_store, tmp_path_factory.mktemp("resilience") / "store", base_iri)
    in_process = open_app(store, base_iri)
    yield in_process
    in_process.stop()


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_rdf_xml_that_declares_entities_is_refused_at_every_door(
    documents_site: AppSite, variant: str
) -> None:
    site, body = documents_site, VARIANTS[variant]
    xml = {"Content-Type": RDFXML.media_type}
    turtle = ("d.ttl", b"<http://example.org/a> <http://example.org/b> 1 .", "text/turtle")
    with site.client() as http:
        before = http.get("/health").json()["version"]
        answers = {
            "data": http.post(
                "/data", params={"graph": MINE}, content=body, headers={**xml, **site.auth()}
            ),
            "validate (no token)": http.post("/validate", content=body, headers=xml),
            "validate, the shapes part": http.post(
                "/validate", files={"data": turtle, "shapes": ("s.rdf", body, RDFXML.media_type)}
            ),
            "graph store PUT": http.put(
                "/store", params={"graph": MINE}, content=body, headers={**xml, **site.auth()}
            ),
        }
        for door, response in answers.items():
            assert response.status_code == 400, (door, response.text)
            problem = response.json()
            assert problem["type"].endswith("/rdf-syntax"), (door, problem)
            assert "entities" in problem["detail"] or "UTF-8" in problem["detail"], problem
        assert http.get("/health").json()["version"] == before  # nothing was written


def test_rdf_xml_without_entity_declarations_is_read(documents_site: AppSite) -> None:
    """A DOCTYPE that declares nothing (an external DTD is never fetched) is no reason to
    refuse a document, nor is a UTF-8 byte-order mark."""
    site = documents_site
    plain = ('<?xml version="1.0" encoding="utf-8"?>' + _DESCRIPTION.format("x")).encode()
    external = b'<!DOCTYPE rdf:RDF SYSTEM "rdf.dtd">' + _DESCRIPTION.format("y").encode()
    with site.client() as http:
        for body in (plain, b"\xef\xbb\xbf" + plain, external):
            response = http.post(
                "/data",
                params={"graph": MINE},
                content=body,
                headers={"Content-Type": RDFXML.media_type, **site.auth()},
            )
            assert response.status_code in (200, 201), response.text
        rows = http.get(
            "/sparql",
            params={"query": f"SELECT ?o WHERE {{ GRAPH <{MINE}> {{ ?s ?p ?o }} }}"},
            headers=JSON_RESULTS,
        ).json()["results"]["bindings"]
    assert {row["o"]["value"] for row in rows} == {"x", "y"}


def test_a_document_that_expands_past_its_budget_is_refused_with_413(
    documents_site: AppSite,
) -> None:
    """One 1 MB prefix used 200 times: a 1 MB body that would be 600 MB of quads."""
    site = documents_site
    prefix = "http://example.org/" + "x" * (1 << 20)
    objects = ", ".join(f"p:o{i}" for i in range(200))
    body = f"@prefix p: <{prefix}> .\np:s p:p {objects} .\n".encode()
    with pytest.raises(PayloadTooLargeError, match="expands to more than"):
        parse(body, TURTLE)
    with site.client() as http:
        response = http.post("/validate", content=body, headers={"Content-Type": "text/turtle"})
    assert response.status_code == 413, response.text
    # The same prefix used a few times is an ordinary document.
    small = f"@prefix p: <{prefix}> .\np:s p:p p:o1, p:o2 .\n".encode()
    assert len(parse(small, TURTLE)) == 2


def test_parse_refuses_entities_before_the_parser_sees_them() -> None:
    """Also what the CLI and the build read: the one parse function refuses them."""
    started = time.monotonic()
    with pytest.raises(RdfSyntaxError, match="declares XML entities"):
        parse(BILLION_LAUGHS, RDFXML, what="data.rdf")
    assert time.monotonic() - started < 1  # nothing was expanded


# -- processes ---------------------------------------------------------------------------


def _children() -> dict[int, list[int]]:
    """Every process's children, by parent pid, from /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue  # it ended meanwhile
        fields = stat.rsplit(")", 1)[1].split()
        children.setdefault(int(fields[1]), []).append(int(entry.name))
    return children


def _descendants(pid: int) -> dict[int, int]:
    """The processes under ``pid``, each with its depth (1 for a child)."""
    children, found = _children(), {}
    level, depth = [pid], 0
    while level:
        depth += 1
        level = [child for parent in level for child in children.get(parent, [])]
        found.update(dict.fromkeys(level, depth))
    return found


def _state(pid: int) -> str | None:
    """A process's state letter (``Z`` for a zombie); ``None`` once it is gone."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return None


def _wait_for(condition: Callable[[], bool], what: str, wait_s: float = 30.0) -> None:
    deadline = time.monotonic() + wait_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {wait_s} s")
        time.sleep(0.1)


def test_a_query_process_killed_at_its_time_limit_is_reaped(
    store_copy: Path, base_iri: str
) -> None:
    site = open_app(store_copy, base_iri, query_timeout_s=0.5)  # killed at the limit: any will do
    try:
        insert_test_triples(site)
        with site.client() as http:
            _wait_for(lambda: http.get("/health").json()["queries"] == "ready", "queries ready")
            response = http.get("/sparql", params={"query": CROSS_PRODUCT}, headers=JSON_RESULTS)
        assert response.status_code == 503, response.text

        # The query process was killed; its parent, the zygote, reaps it at once (it used
        # to stay a zombie until the next query forked a new process).
        def zombies() -> list[int]:
            under = _descendants(os.getpid())  # the forkserver, the zygote, its processes
            return [p for p, depth in under.items() if depth >= 3 and _state(p) == "Z"]

        _wait_for(lambda: not zombies(), "no zombie", wait_s=5)
        time.sleep(1)
        assert zombies() == []
    finally:
        site.stop()


def _health(server: ServerProcess) -> dict[str, object]:
    answer: dict[str, object] = clients.get(server.url + "health", timeout=5).json()
    return answer


def _health_or_none(server: ServerProcess) -> dict[str, object] | None:
    try:
        return _health(server)
    except httpx.HTTPError:
        return None


def _write(server: ServerProcess, value: str) -> httpx.Response:
    return clients.post(
        server.url + "sparql",
        content=f'INSERT DATA {{ GRAPH <{MINE}> {{ <http://ex/w> <http://ex/p> "{value}" }} }}',
        headers={**UPDATE, **server.auth()},
        timeout=60,
    )


def _values(server: ServerProcess) -> set[str]:
    response = clients.get(
        server.url + "sparql",
        params={"query": f"SELECT ?o WHERE {{ GRAPH <{MINE}> {{ <http://ex/w> ?p ?o }} }}"},
        headers=JSON_RESULTS,
        timeout=60,
    )
    assert response.status_code == 200, response.text
    return {row["o"]["value"] for row in response.json()["results"]["bindings"]}


def _worker_pid(server: ServerProcess) -> int:
    worker = _health(server)["worker"]
    assert isinstance(worker, dict)
    pid = worker["pid"]
    assert isinstance(pid, int)
    return pid


@pytest.mark.server
def test_a_killed_worker_is_replaced_and_health_says_so(tmp_path: Path) -> None:
    server = start_server(tmp_path / "store", port=free_port(), log_dir=tmp_path)
    try:
        assert _write(server, "before").status_code == 200
        first = _health(server)
        assert first["recovered"] is False
        worker = _worker_pid(server)
        assert _values(server) == {"before"}  # query processes are running now
        its_tree = _descendants(worker)
        assert its_tree  # the forkserver, the zygote, a query process
        os.kill(worker, signal.SIGKILL)  # what the OOM killer does
        _wait_for(
            lambda: (_health_or_none(server) or {}).get("recovered") is True,
            "a new worker answers /health",
            wait_s=60,
        )
        assert server.process.poll() is None
        health = _health(server)
        assert isinstance(health["worker"], dict)
        assert health["worker"]["restarts"] == 1
        assert health["worker"]["pid"] != worker
        assert _values(server) == {"before"}  # the acknowledged write survived
        # The dead worker's processes went with it.
        gone = lambda: all(_state(p) in (None, "Z") for p in its_tree)  # noqa: E731
        _wait_for(gone, "the dead worker's processes ended", wait_s=20)
        assert _write(server, "after").status_code == 200
        assert _values(server) == {"before", "after"}
    finally:
        server.stop()


@pytest.mark.server
def test_kill_9_of_the_main_process_ends_the_whole_tree(tmp_path: Path) -> None:
    port = free_port()
    server = start_server(tmp_path / "store", port=port, log_dir=tmp_path)
    try:
        assert _write(server, "acknowledged").status_code == 200
        assert _values(server) == {"acknowledged"}  # query processes are running now
        tree = _descendants(server.process.pid)
        assert max(tree.values()) >= 3  # worker, forkserver, zygote, query process
        server.process.send_signal(signal.SIGKILL)
        server.process.wait(timeout=10)
        gone = lambda: all(_state(p) in (None, "Z") for p in tree)  # noqa: E731
        _wait_for(gone, "every process of the tree ended", wait_s=20)
    finally:
        server.stop()
    # The store's lock went with them: a new server opens it, with the write.
    again = start_server(
        tmp_path / "store", port=free_port(), log_dir=tmp_path, base_iri=base_for(port)
    )
    try:
        assert _values(again) == {"acknowledged"}
    finally:
        again.stop()


@pytest.mark.server
def test_a_full_disk_degrades_health_and_loses_nothing(tmp_path: Path) -> None:
    """The store on a 48 MB tmpfs, mounted in a mount namespace of the server's own (no
    privilege needed: a user namespace maps us to root there); the test fills and frees it
    through ``/proc/<pid>/root``. Once space is freed the server recovers by itself."""
    port = free_port()
    mount = tmp_path / "disk"
    mount.mkdir()
    create_empty_store(tmp_path / "seed", base_for(port))
    script = (
        'mount -t tmpfs -o size=48m tmpfs "$0" && cp -a "$1" "$0/store" && '
        'exec "$2" serve --store "$0/store" --port "$3" --base-iri "$4"'
    )
    args = ["unshare", "--user", "--map-root-user", "--mount", "sh", "-c", script]
    args += [str(mount), str(tmp_path / "seed"), PARLEY, str(port), base_for(port)]
    env = {k: v for k, v in os.environ.items() if not k.startswith("PARLEY_")}
    env["PARLEY_WRITE_TOKEN"] = "test-token"
    log_path = tmp_path / "server.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, env=env)
    server = ServerProcess(base_for(port), port, "test-token", process, log_path, env)
    try:
        _wait_for(lambda: _health_or_none(server) is not None, "the server answers", 120)
        assert _write(server, "kept").status_code == 200
        filler = Path(f"/proc/{process.pid}/root") / str(mount).lstrip("/") / "filler"
        assert _fill(filler) == errno.ENOSPC
        # One write larger than what is left (the write-ahead log needs room for it).
        objects = ", ".join(f'"{i}{"y" * 2000}"' for i in range(3000))
        response = clients.post(
            server.url + "sparql",
            content=f"INSERT DATA {{ GRAPH <{MINE}> {{ <http://ex/big> <http://ex/p> {objects} }} }}",
            headers={**UPDATE, **server.auth()},
            timeout=60,
        )
        assert response.status_code >= 500, (response.text, server.log())
        health = _health(server)
        assert health["status"] == "degraded", (health, server.log())
        assert health["writes"] == "failing"
        assert "No space left" in str(health["last_write_error"])
        filler.unlink()
        # RocksDB refuses writes until the store is opened again: the worker sees the room
        # come back and hands over to a new worker, which opens it again.
        _wait_for(
            lambda: (_health_or_none(server) or {}).get("recovered") is True, "a new worker", 120
        )
        later = _write(server, "later")
        assert later.status_code == 200, (later.text, server.log())
        assert _values(server) == {"kept", "later"}
        assert _health(server)["status"] == "ok"
    finally:
        server.stop()


def _fill(path: Path) -> int | None:
    """Write zeros into ``path`` until the disk is full; the error number that stopped it."""
    with path.open("wb") as out:
        try:
            while True:
                out.write(b"\0" * (1 << 20))
                out.flush()
        except OSError as exc:
            return exc.errno


def _damage(store: Path, how: str) -> None:
    if how == "empty CURRENT":
        (store / "CURRENT").write_bytes(b"")
        return
    tables = sorted(store.glob("*.sst"), key=lambda p: p.stat().st_size, reverse=True)
    if how == "truncated table":
        data = tables[0].read_bytes()
        tables[0].write_bytes(data[: len(data) // 3])
        return
    # Garbage in the table of the quad index, which the start reads through (RocksDB
    # checks the other tables' blocks only when a query reads them): found by trying.
    for table in tables:
        data = table.read_bytes()
        middle = len(data) // 2
        table.write_bytes(data[:middle] + b"\xab" * 4096 + data[middle + 4096 :])
        try:
            OxigraphStore.open_read_only(store, Vocab("http://x/")).verify()
        except StoreError:
            return
        table.write_bytes(data)
    raise AssertionError("no table of the quad index found")


@pytest.mark.server
@pytest.mark.parametrize("how", ["empty CURRENT", "truncated table", "garbage in a table"])
def test_a_damaged_store_is_refused_at_start_in_one_line(
    tmp_path: Path, built_store: Path, base_iri: str, how: str
) -> None:
    store = tmp_path / "store"
    shutil.copytree(built_store, store)
    _damage(store, how)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PARLEY_")}
    env["PARLEY_WRITE_TOKEN"] = "test-token"
    result = subprocess.run(
        [
            PARLEY,
            "serve",
            "--store",
            str(store),
            "--port",
            str(free_port()),
            "--base-iri",
            base_iri,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, result.stderr
    assert "is damaged" in errors[0]
    assert "parley build" in errors[0]
