"""Test helpers: Parley in-process or as real `parley` and `oxigraph serve` processes on
free loopback ports, and model builds.

Parley runs on one of two backends: ``embedded`` (its own pyoxigraph store directory) or
``remote`` (an ``oxigraph serve`` process reached with ``--store-url``). ``start_site``
gives either on the same store directory, so a module fixture parametrised over
``BACKENDS`` runs its tests on both: on ``embedded`` the app runs in this process
(``AppSite``: httpx drives the WSGI app that Granian serves, no socket, no server), on
``remote`` as a real `parley serve` in front of a real `oxigraph serve` (``ServerProcess``).
Both answer ``client()``, ``auth()``, ``url`` and ``token``.

Only tests marked ``server`` may start a real server (``start_server``, ``start_oxigraph``):
tests/conftest.py marks them, and says here which test runs (``allow_servers``), so a
test that starts one without the mark fails instead of slowing the fast tier.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, TypeAlias

import httpx
import pytest
from flask import Flask

from service import reasoning
from service.build import ModelFiles, _pipeline, build
from service.build import _files as build_files
from service.gate import ValidationReport
from service.gate._write_gate import GateModel
from service.rdf import NQUADS, NTRIPLES, NamedNode, Quad, Vocab
from service.settings import ENV_NAMES, PROJECT_ROOT, Settings
from service.store import GraphStore, OxigraphStore
from service.web import create_app
from service.web._services import EXTENSION, Services
from tests import clients

if TYPE_CHECKING:
    from tests.virtuoso import VirtuosoProcess

#: Where the W3C test suites live (a sibling of the checkout, as in CI).
CONFORMANCE_DIR = Path(
    os.environ.get("PARLEY_CONFORMANCE_DIR", PROJECT_ROOT.parent / "shared" / "conformance")
)
#: The source article as published, to compare the copy in data/ with.
SHARED_ARTICLE = PROJECT_ROOT.parent / "shared" / "source" / "article.txt"
#: Screenshots and other files tests leave for people to look at.
ARTIFACTS_DIR = PROJECT_ROOT / "test-artifacts"
PARLEY = str(Path(sys.executable).with_name("parley"))
#: The Oxigraph server (PyPI package ``oxigraph``, a dev dependency), the remote store.
OXIGRAPH = str(Path(sys.executable).with_name("oxigraph"))
#: The store backends every HTTP test runs on (the ids of the parametrised fixtures).
BACKENDS = ("embedded", "remote", "virtuoso")
#: For a test of what does not depend on the store (a page's layout, its scripts): on the
#: embedded backend only (the session's ``backend`` fixture, given one value).
EMBEDDED_ONLY = pytest.mark.parametrize("backend", ["embedded"], indirect=True, scope="session")
#: A five-way cross product over the 60 test triples: 778 million solutions to count (on
#: the test's predicate only, so what else a store holds does not change its size).
CROSS_PRODUCT = (
    "SELECT (COUNT(*) AS ?n) WHERE { ?a <http://ex/p> ?c . ?d <http://ex/p> ?f . "
    "?g <http://ex/p> ?i . ?j <http://ex/p> ?l . ?m <http://ex/p> ?o }"
)


def first_subjects(variable: str, count: int) -> str:
    """``VALUES`` binding ``variable`` to the first ``count`` subjects of the 60 numbered
    test triples (``<http://ex/s0>`` ...): what sizes a counting query that must run a
    while and then finish. A four-way product over all 60 is 60^4 solutions, 4 s of CPU
    here; bound to N subjects its first pattern makes it N/60 of that."""
    subjects = " ".join(f"<http://ex/s{i}>" for i in range(count))
    return f"VALUES ?{variable} {{ {subjects} }}"


_servers_allowed = True


def allow_servers(allowed: bool) -> None:
    """Whether the running test may start a real server (tests/conftest.py sets it for each
    test: only those marked ``server`` may)."""
    global _servers_allowed
    _servers_allowed = allowed


def _may_start(what: str) -> None:
    if not _servers_allowed:
        raise RuntimeError(
            f"a test not marked `server` starts {what}: use an in-process site, or add its "
            "fixture to SERVER_FIXTURES in tests/conftest.py"
        )


def descendant_ticks(pid: int) -> dict[int, int]:
    """The living processes under ``pid`` (recursively; zombies are dead already) and the
    CPU ticks each has used: which of a server's processes is evaluating a query."""
    children: dict[int, list[int]] = {}
    ticks: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if fields[0] == "Z":
            continue
        child = int(entry.name)
        children.setdefault(int(fields[1]), []).append(child)
        ticks[child] = int(fields[11]) + int(fields[12])
    found: dict[int, int] = {}
    pending = [pid]
    while pending:
        for child in children.get(pending.pop(), []):
            found[child] = ticks[child]
            pending.append(child)
    return found


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def base_for(port: int) -> str:
    return f"http://127.0.0.1:{port}/"


def build_store(path: Path, base_iri: str, **overrides: object) -> Settings:
    """Build the project's model into ``path`` for ``base_iri``."""
    settings = Settings(store_path=path, base_iri=base_iri).replace(**overrides)
    build(settings)
    return settings


@contextmanager
def one_closure_per_model() -> Iterator[None]:
    """Within the block, builds reason over each distinct model once: owlrl takes two
    seconds for the ontology alone, and a module that builds the same small model again
    and again (to replay a journal on it, ...) tests what the build does around the
    reasoner, not the reasoner (``tests/test_inference.py`` and ``test_incremental.py``
    do). Everything else a build does, it does every time. Remembered as a function of its
    exact input: the ontology by its files' bytes and base IRI (the same quads, blank
    nodes and all, for the same files), the closure by its very quads."""
    ontologies: dict[tuple[str, tuple[tuple[str, bytes], ...]], list[Quad]] = {}
    closures: dict[tuple[frozenset[Quad], frozenset[Quad], NamedNode], list[Quad]] = {}

    def load_ontology(files: ModelFiles, vocab: Vocab) -> list[Quad]:
        read = tuple((str(p), p.read_bytes()) for p in build_files.rdf_files(files.ontology_dir))
        key = (vocab.base, read)
        if key not in ontologies:
            ontologies[key] = build_files.load_ontology(files, vocab)
        return list(ontologies[key])

    def closure(
        asserted: Iterable[Quad], ontology: Iterable[Quad], inferred_graph: NamedNode
    ) -> list[Quad]:
        asserted, ontology = list(asserted), list(ontology)
        key = (frozenset(asserted), frozenset(ontology), inferred_graph)
        if key not in closures:
            closures[key] = reasoning.closure(asserted, ontology, inferred_graph)
        return list(closures[key])

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_pipeline, "load_ontology", load_ontology)
        patch.setattr(_pipeline, "closure", closure)
        yield


@contextmanager
def one_validation_per_model() -> Iterator[None]:
    """Within the block, builds validate each distinct model's data once (pyshacl over all
    of it: most of a small model's build once its closure is remembered): for a module
    that builds the same data again and again to replay a journal on it
    (``tests/test_journal.py``), which tests the replay, not the validation of data/
    (``tests/test_build.py`` and ``test_shapes.py`` do). Remembered as a function of its
    exact input: the shapes by their files' bytes and base IRI (as ``one_closure_per_model``
    remembers the ontology, blank nodes and all), the report by the very quads of the
    ontology, shapes and data. Use it with ``one_closure_per_model``."""
    shapes: dict[tuple[str, tuple[tuple[str, bytes], ...]], list[Quad]] = {}
    reports: dict[tuple[frozenset[Quad], ...], ValidationReport] = {}

    def load_shapes(files: ModelFiles, vocab: Vocab) -> list[Quad]:
        read = tuple((str(p), p.read_bytes()) for p in build_files.rdf_files(files.shapes_dir))
        key = (vocab.base, read)
        if key not in shapes:
            shapes[key] = build_files.load_shapes(files, vocab)
        return list(shapes[key])

    def validate_model(model: _pipeline.Model) -> ValidationReport:
        key = (frozenset(model.ontology), frozenset(model.shapes), frozenset(model.data))
        if key not in reports:
            reports[key] = validate_data(model)
        return reports[key]

    validate_data = _pipeline.validate_model
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_pipeline, "load_shapes", load_shapes)
        patch.setattr(_pipeline, "validate_model", validate_model)
        yield


@contextmanager
def one_gate_model_per_model() -> Iterator[None]:
    """Within the block, the write gate's model (the ontology's rules and the shapes,
    compiled: half a second for Parley's) is compiled once per distinct model, as a guard
    worker does (``service.gate._validation_jobs``): the applications, ``parley load``
    runs and build replays of a test process over the same model graphs share it, as the
    requests of one server do. Found by the exact content of the store's ontology and
    shapes graphs and its base IRI; everything the gate does with it, it does every time."""
    compile_model = GateModel.from_store.__func__  # type: ignore[attr-defined]
    models: dict[str, GateModel] = {}

    def from_store(cls: type[GateModel], store: GraphStore) -> GateModel:
        vocab = store.vocab
        digest = hashlib.sha256(vocab.base.encode() + b"\n")
        for graph in (vocab.ontology_graph, vocab.shapes_graph):
            for line in sorted(store.serialize_graph(graph, NTRIPLES).splitlines()):
                digest.update(line + b"\n")
            digest.update(b"\n")
        key = digest.hexdigest()
        if key not in models:
            models[key] = compile_model(cls, store)
        return models[key]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(GateModel, "from_store", classmethod(from_store))
        yield


def create_empty_store(path: Path, base_iri: str) -> Path:
    """An empty store directory at ``path`` (a server opens only a store that exists)."""
    OxigraphStore.open(path, Vocab(base_iri)).close()
    return path


def clone_store(source: Path, target: Path) -> Path:
    """A copy of a closed store that no process opens (the session's ``built_store``), file
    by file: what ``copy_store`` makes, without opening the source for write (a tenth of
    its time: the tests take a private copy a few hundred times). RocksDB's lock and info
    logs are the copy's own."""
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("LOCK", "LOG", "LOG.old.*"))
    return target


def copy_store(source: Path, target: Path, base_iri: str) -> Path:
    """A consistent copy of a store (hard links; cheap)."""
    if target.exists():
        shutil.rmtree(target)
    store = OxigraphStore.open(source, Vocab(base_iri))
    store.backup(target)
    store.close()
    return target


def _wait_until(
    answers: Callable[[], bool],
    process: subprocess.Popen[bytes],
    what: str,
    wait_s: float,
    log: Callable[[], str],
) -> None:
    """Poll ``answers`` until it holds; fail when ``process`` exits or ``wait_s`` passes."""
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with {process.returncode}:\n{log()}")
        try:
            if answers():
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{what} did not answer within {wait_s} s:\n{log()}")


def _terminate(process: subprocess.Popen[bytes], timeout: float = 15) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


@dataclass
class OxigraphProcess:
    """A running `oxigraph serve` (the remote store), on ``location`` (``None``: in memory)."""

    location: Path | None
    port: int
    log_path: Path
    process: subprocess.Popen[bytes]
    args: tuple[str, ...] = ()

    @property
    def url(self) -> str:
        return base_for(self.port)

    @property
    def sparql_url(self) -> str:
        """The combined SPARQL query and update endpoint (what ``--store-url`` takes)."""
        return self.url + "sparql"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def log_lines_with(self, text: str, timeout: float = 10) -> list[str]:
        """The log's lines holding ``text``, waited for: an access-log line is written when
        the server closes the answer, which may be just after the client has its last byte."""
        return _log_lines_with(self.log_path, text, timeout)

    def dump(self) -> set[str]:
        """Every quad the store holds, as N-Quads lines, read from it directly (its Graph
        Store endpoint; the lines keep the store's own blank node labels, so two dumps of
        one store compare equal)."""
        response = clients.get(
            self.url + "store", headers={"Accept": NQUADS.media_type}, timeout=60
        )
        assert response.status_code == 200, response.text
        return {line for line in response.text.splitlines() if line.strip()}

    def stop(self) -> None:
        _terminate(self.process)

    def kill(self) -> None:
        """SIGKILL: the store disappears at once, under whatever request it serves."""
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=10)

    def restart(self, wait_s: float = 30.0) -> None:
        """Start the server again on the same location and port (after ``stop``/``kill``)."""
        self.stop()
        self.process = _spawn_oxigraph(self.location, self.port, self.log_path, self.args)
        _wait_oxigraph(self, wait_s)


def _spawn_oxigraph(
    location: Path | None, port: int, log_path: Path, extra: tuple[str, ...]
) -> subprocess.Popen[bytes]:
    _may_start("`oxigraph serve`")
    args = [OXIGRAPH, "serve", "--bind", f"127.0.0.1:{port}", *extra]
    if location is not None:
        args += ["--location", str(location)]
    with log_path.open("ab") as log:
        return subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)


def _wait_oxigraph(server: OxigraphProcess, wait_s: float) -> None:
    def answers() -> bool:
        response = clients.get(server.sparql_url, params={"query": "ASK {}"}, timeout=2)
        return response.status_code == 200

    try:
        _wait_until(answers, server.process, "oxigraph serve", wait_s, server.log)
    except RuntimeError:
        server.stop()
        raise


def start_oxigraph(
    location: Path | None, *, port: int, log_dir: Path, args: tuple[str, ...] = ()
) -> OxigraphProcess:
    """Start `oxigraph serve` on ``location`` (an existing pyoxigraph store directory is
    served as it is; a missing one is created empty), with ``args`` (e.g. ``--timeout-s``),
    and wait until it answers a query."""
    log_path = log_dir / f"oxigraph-{port}.log"
    process = _spawn_oxigraph(location, port, log_path, args)
    server = OxigraphProcess(location, port, log_path, process, args)
    _wait_oxigraph(server, 30.0)
    return server


@dataclass
class ServerProcess:
    """A running `parley serve`; on the ``remote`` backend, with the `oxigraph serve` it
    owns (stopped with it), or none when the test manages the store process itself."""

    url: str
    port: int
    token: str
    process: subprocess.Popen[bytes]
    log_path: Path
    env: dict[str, str] = field(default_factory=dict)
    backend: str = "embedded"
    oxigraph: OxigraphProcess | None = None
    virtuoso: VirtuosoProcess | None = None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def log_lines_with(self, text: str, timeout: float = 10) -> list[str]:
        """The log's lines holding ``text``, waited for: an access-log line is written when
        the server closes the answer, which may be just after the client has its last byte."""
        return _log_lines_with(self.log_path, text, timeout)

    def client(self, **kwargs: object) -> httpx.Client:
        return clients.client(base_url=self.url, timeout=60, **kwargs)

    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def stop(self) -> None:
        _terminate(self.process)
        if self.oxigraph is not None:
            self.oxigraph.stop()
        if self.virtuoso is not None:
            self.virtuoso.stop()


def _log_lines_with(log_path: Path, text: str, timeout: float) -> list[str]:
    deadline = time.monotonic() + timeout
    while True:
        lines = [line for line in log_path.read_text(errors="replace").splitlines() if text in line]
        if lines or time.monotonic() >= deadline:
            return lines
        time.sleep(0.05)


def start_server(
    store: Path | None,
    *,
    port: int,
    log_dir: Path,
    token: str = "test-token",
    extra_args: tuple[str, ...] = (),
    env: dict[str, str] | None = None,
    wait_s: float = 30.0,
    store_url: str | None = None,
    base_iri: str | None = None,
) -> ServerProcess:
    """Start `parley serve` and wait until /health answers: on the store directory
    ``store`` (an empty one when it does not exist), or with ``store_url`` on a remote SPARQL
    store (``store`` is then ``None``). The base IRI is the server's own URL unless
    ``base_iri`` says otherwise (replicas share one)."""
    if (store is None) == (store_url is None):
        raise ValueError("start_server needs a store directory or a store URL, not both")
    _may_start("`parley serve`")
    if store is not None and not store.exists():
        create_empty_store(store, base_iri or base_for(port))
    log_path = log_dir / f"server-{port}.log"
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("PARLEY_")}
    full_env.update({"PARLEY_WRITE_TOKEN": token, **(env or {})})
    where = ["--store", str(store)] if store_url is None else ["--store-url", store_url]
    args = [PARLEY, "serve", *where, "--port", str(port)]
    args += ["--base-iri", base_iri or base_for(port), *extra_args]
    with log_path.open("wb") as log:
        process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, env=full_env)
    backend = "embedded" if store_url is None else "remote"
    server = ServerProcess(base_for(port), port, token, process, log_path, full_env, backend)

    def answers() -> bool:
        return clients.get(server.url + "health", timeout=1).status_code == 200

    try:
        _wait_until(answers, process, "parley serve", wait_s, server.log)
    except RuntimeError:
        server.stop()
        raise
    return server


def insert_test_triples(site: AppSite | ServerProcess) -> None:
    """The 60 test triples ``<http://ex/sN> <http://ex/p> N`` (what ``CROSS_PRODUCT``
    multiplies), written through the site's SPARQL endpoint."""
    triples = " ".join(f"<http://ex/s{i}> <http://ex/p> {i} ." for i in range(60))
    with site.client() as http:
        response = http.post(
            "/sparql",
            content=f"INSERT DATA {{ {triples} }}",
            headers={"Content-Type": "application/sparql-update", **site.auth()},
        )
    assert response.status_code == 200, response.text


def start_backend(
    backend: str,
    store: Path,
    *,
    port: int,
    log_dir: Path,
    extra_args: tuple[str, ...] = (),
    env: dict[str, str] | None = None,
    store_timeout_s: int | None = None,
) -> ServerProcess:
    """`parley serve` on the store directory ``store`` through ``backend``: ``embedded``
    opens it itself; ``remote`` has an `oxigraph serve` (on a free port) serve it (an
    existing pyoxigraph store as it is, a missing one empty) and reaches it by URL;
    ``virtuoso`` loads its quads into a Virtuoso. ``store_timeout_s``: the remote store's
    own time limit for a query. The returned server stops its store with it."""
    if backend == "embedded":
        return start_server(store, port=port, log_dir=log_dir, extra_args=extra_args, env=env)
    if backend == "virtuoso":
        return _start_on_virtuoso(
            store,
            port=port,
            log_dir=log_dir,
            extra_args=extra_args,
            env=env,
            timeout_s=store_timeout_s,
        )
    if backend != "remote":
        raise ValueError(f"unknown backend {backend!r}")
    args = ("--timeout-s", str(store_timeout_s)) if store_timeout_s is not None else ()
    oxigraph = start_oxigraph(store, port=free_port(), log_dir=log_dir, args=args)
    try:
        server = start_server(
            None,
            port=port,
            log_dir=log_dir,
            extra_args=extra_args,
            env=env,
            store_url=oxigraph.sparql_url,
        )
    except BaseException:
        oxigraph.stop()
        raise
    server.oxigraph = oxigraph
    return server


def _start_on_virtuoso(
    store: Path,
    *,
    port: int,
    log_dir: Path,
    extra_args: tuple[str, ...],
    env: dict[str, str] | None,
    timeout_s: int | None,
) -> ServerProcess:
    """`parley serve` on a Virtuoso (``tests.virtuoso``) that holds the quads of the store
    directory ``store`` (none when it is missing), its Graph Store endpoint given; a query
    stops there after ``timeout_s`` (``MaxQueryExecutionTime``), when given."""
    from tests.virtuoso import MAX_QUERY_S, start_virtuoso

    base_iri = base_for(port)
    virtuoso = start_virtuoso(
        log_dir / f"virtuoso-{port}",
        store=store,
        base_iri=base_iri,
        timeout_s=MAX_QUERY_S if timeout_s is None else timeout_s,
    )
    try:
        server = start_server(
            None,
            port=port,
            log_dir=log_dir,
            extra_args=("--store-gsp-url", virtuoso.gsp_url, *extra_args),
            env=env,
            store_url=virtuoso.sparql_url,
            # Parley reads the whole model from the store as it starts (the gate's model,
            # the search index): seconds on Virtuoso, more on a machine busy with tests.
            wait_s=90.0,
        )
    except BaseException:
        virtuoso.stop()
        raise
    server.backend = "virtuoso"
    server.virtuoso = virtuoso
    return server


@dataclass
class AppSite:
    """Parley in this process: the WSGI app of ``create_app``, which `parley serve` runs under
    Granian, driven through httpx's WSGI transport (no socket, no server). Its clients take
    absolute URLs at ``url`` as well as paths."""

    app: Flask
    url: str
    token: str
    backend: str = "embedded"

    @property
    def services(self) -> Services:
        found: Services = self.app.extensions[EXTENSION]
        return found

    def client(self, **kwargs: object) -> httpx.Client:
        transport = httpx.WSGITransport(app=self.app)
        return clients.client(
            transport=transport,
            base_url=self.url,
            timeout=60,
            **kwargs,
        )

    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def stop(self) -> None:
        """Stop the app's query processes and close its store."""
        self.services.queries.close()
        self.services.store.close()


#: A Parley to send requests to: in-process (embedded) or a real server (remote).
Site: TypeAlias = AppSite | ServerProcess


def open_app(store: Path, base_iri: str, **fields: object) -> AppSite:
    """The app in-process on the store directory ``store`` (an empty one when it does not
    exist), with the ``Settings`` fields ``fields`` (``query_timeout_s=2``, ...; the write
    token is ``test-token``, as a real server's)."""
    if not store.exists():
        create_empty_store(store, base_iri)
    settings = Settings(store_path=store, base_iri=base_iri, write_token="test-token")
    settings = settings.replace(**fields)
    return AppSite(create_app(settings), base_iri, settings.write_token or "")


def env_for(fields: Mapping[str, object]) -> dict[str, str]:
    """The ``PARLEY_*`` variables that give a real server the ``Settings`` fields ``fields``."""
    env = {}
    for name, value in fields.items():
        if isinstance(value, bool):
            text = "true" if value else "false"
        elif isinstance(value, tuple):
            text = ",".join(str(part) for part in value)
        else:
            text = str(value)
        env[ENV_NAMES[name]] = text
    return env


def start_site(
    backend: str,
    store: Path,
    *,
    log_dir: Path,
    port: int | None = None,
    store_timeout_s: int | None = None,
    **fields: object,
) -> Site:
    """Parley on the store directory ``store`` through ``backend``, with the ``Settings``
    fields ``fields``: ``embedded`` in this process (``AppSite``, its base IRI the URL of
    ``port``, which nothing listens on); ``remote`` a real `parley serve` on ``port``
    (given ``fields`` as its ``PARLEY_*`` variables) in front of an `oxigraph serve` serving
    ``store``, or of a Virtuoso holding its quads (``virtuoso``), whose own time limit is
    ``store_timeout_s`` when given. Stop it with ``stop()``."""
    port = port or free_port()
    if backend == "embedded":
        return open_app(store, base_for(port), **fields)
    if backend not in ("remote", "virtuoso"):
        raise ValueError(f"unknown backend {backend!r}")
    return start_backend(
        backend,
        store,
        port=port,
        log_dir=log_dir,
        env=env_for(fields),
        store_timeout_s=store_timeout_s,
    )
