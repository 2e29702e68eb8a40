"""Fixtures shared by every test module.

The project's model is built once per session, for a base IRI that is the
URL of the real server the session starts, so every IRI in the store
dereferences at that server. Tests that write get their own copies.

Every HTTP test runs twice, once per store backend (``backend``: ``embedded``,
Parley's own store directory; ``remote``, an ``oxigraph serve`` process Parley
reaches with ``--store-url``). On ``embedded`` the HTTP suites drive the app
in-process (``site``: httpx over the WSGI app, no socket); on ``remote``, and for
what only a real server shows (real clients, a browser, Granian, process kills),
they talk to a real `parley serve` (``server``, the one real server of each
backend). The parameter is session-scoped, so pytest runs all of one backend's
tests before the other's and sets each session fixture up once per backend; under
pytest-xdist, ``tests.work_units`` keeps it so.

Every test that starts a real server is marked ``server`` here
(``pytest_itemcollected``), so ``-m "not server"`` is the fast tier; a
test that starts one without the mark fails (``tests.support.allow_servers``).
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Generator, Iterator
from pathlib import Path

import httpx
import pytest
from flask import Flask
from flask.testing import FlaskClient

from service.rdf import NQUADS, DefaultGraph, Vocab, parse
from service.settings import Settings
from service.store import OxigraphStore
from service.web import create_app
from tests import support, work_units
from tests.compiled_templates import one_compile_per_template
from tests.support import (
    BACKENDS,
    AppSite,
    ServerProcess,
    Site,
    base_for,
    build_store,
    clone_store,
    copy_store,
    free_port,
    open_app,
    start_backend,
)

#: Fixtures that start real server processes (`parley serve`, `oxigraph serve`), here and
#: in test modules; a test that uses one, or runs on the ``remote`` backend (always a real
#: `oxigraph serve`), is marked ``server``.
SERVER_FIXTURES = frozenset(
    {
        "server",  # here: the session's real `parley serve` of each backend
        "oxigraph",  # test_remote_commit: an `oxigraph serve`
        "built",  # test_remote_store: `parley build --store-url`, then a server on it
        "replicas",  # test_remote_store: two servers on one `oxigraph serve`
        "virtuoso",  # test_virtuoso: a Virtuoso of its own
    }
)


def starts_a_server(item: pytest.Item) -> bool:
    """Whether the test starts a real server through its fixtures."""
    fixtures = set(getattr(item, "fixturenames", ()))
    callspec = getattr(item, "callspec", None)
    remote = callspec is not None and callspec.params.get("backend") in ("remote", "virtuoso")
    return remote or bool(fixtures & SERVER_FIXTURES)


#: Backend-suite tests that cannot pass on Virtuoso, with the reason (docs/engines.md, "Test
#: cases that cannot pass on Virtuoso"): each runs there as a strict expected failure, so it
#: is never skipped and an XPASS says it was mended.
VIRTUOSO_CANNOT: dict[str, str] = {}


def pytest_itemcollected(item: pytest.Item) -> None:
    # Marks go on as each test is collected, before any ``pytest_collection_modifyitems``
    # (``-m`` selects on them there).
    if starts_a_server(item):
        item.add_marker(pytest.mark.server)
    callspec = getattr(item, "callspec", None)
    if callspec is not None and callspec.params.get("backend") == "virtuoso":
        reason = VIRTUOSO_CANNOT.get(item.nodeid.split("[", 1)[0])
        if reason is not None:
            item.add_marker(pytest.mark.xfail(strict=True, reason=reason))


@pytest.hookimpl(trylast=True)  # after pytest's own order (by parametrized fixtures)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    if os.environ.get("PYTEST_XDIST_WORKER") is not None:
        # Only where a worker collects: in one process pytest's own order, which runs one
        # backend's tests before the other's, is kept.
        work_units.order(items)


@pytest.hookimpl(optionalhook=True)  # a hook of pytest-xdist's
def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> object:
    """pytest-xdist hands out ``work_units`` (a module's tests on one backend)."""
    return work_units.scheduler(config, log)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item) -> Generator[None, object, object]:
    """Only a test marked ``server`` may start one, in its fixtures or its body."""
    support.allow_servers(item.get_closest_marker("server") is not None)
    try:
        return (yield)
    finally:
        support.allow_servers(True)


@pytest.fixture(scope="session", autouse=True)
def _one_gate_model_per_model() -> Iterator[None]:
    """Each distinct model's write gate is compiled once per test process, as a server's
    requests share one (``tests.support.one_gate_model_per_model``): the tests start
    hundreds of applications and ``parley load`` runs over a few models."""
    with support.one_gate_model_per_model():
        yield


@pytest.fixture(scope="session", autouse=True)
def _one_compile_per_template() -> Iterator[None]:
    """The applications of a test process share compiled page templates
    (``tests.compiled_templates``), as a server's requests do."""
    with one_compile_per_template():
        yield


@pytest.fixture(autouse=True)
def _clean_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never depend on the real environment's PARLEY_* variables."""
    for name in list(os.environ):
        if name.startswith("PARLEY_") and name != "PARLEY_CONFORMANCE_DIR":
            monkeypatch.delenv(name)


@pytest.fixture(scope="session")
def server_port() -> int:
    return free_port()


@pytest.fixture(scope="session")
def base_iri(server_port: int) -> str:
    """The base IRI of the session's store: the session server's own URL."""
    return base_for(server_port)


@pytest.fixture(scope="session")
def vocab(base_iri: str) -> Vocab:
    return Vocab(base_iri)


@pytest.fixture(scope="session")
def built_store(tmp_path_factory: pytest.TempPathFactory, base_iri: str) -> Path:
    """The project's model, built once per session. Never written to: copy it first.

    Under pytest-xdist the first worker builds it and leaves its quads, with the base IRI
    written as a placeholder, in the run's shared folder; the others (whose session servers
    have other ports, so other base IRIs) load them under their own base: the same quads a
    build for that base makes, without its half-minute of reasoning each.
    """
    path = tmp_path_factory.mktemp("model") / "store"
    if os.environ.get("PYTEST_XDIST_WORKER") is None:
        build_store(path, base_iri)
        return path
    shared = tmp_path_factory.getbasetemp().parent  # this run's, shared by its workers
    dump = shared / "built-model.nq"
    with (shared / "built-model.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not dump.exists():
            build_store(path, base_iri)
            store = OxigraphStore.open(path, Vocab(base_iri))
            quads = store.serialize_graph(DefaultGraph(), NQUADS)
            store.close()
            partial = dump.with_suffix(".partial")
            partial.write_bytes(quads.replace(base_iri.encode(), _BASE_PLACEHOLDER))
            partial.rename(dump)
            return path
    quads = dump.read_bytes().replace(_BASE_PLACEHOLDER, base_iri.encode())
    store = OxigraphStore.open(path, Vocab(base_iri))
    store.bulk_extend(parse(quads, NQUADS, what="the shared model"))
    store.close()
    return path


#: Stands for the base IRI in the model shared between xdist workers.
_BASE_PLACEHOLDER = b"http://base.parley.invalid/"


@pytest.fixture
def store_copy(tmp_path: Path, built_store: Path) -> Path:
    """A private, writable copy of the built store (file by file: nothing opens it)."""
    return clone_store(built_store, tmp_path / "store")


@pytest.fixture(scope="session")
def model_store(
    tmp_path_factory: pytest.TempPathFactory, built_store: Path, base_iri: str
) -> Iterator[OxigraphStore]:
    """The built model opened in-process (a read-only session copy)."""
    path = copy_store(built_store, tmp_path_factory.mktemp("model-ro") / "store", base_iri)
    store = OxigraphStore.open(path, Vocab(base_iri))
    yield store
    store.close()


@pytest.fixture
def settings(base_iri: str) -> Settings:
    return Settings(base_iri=base_iri, query_workers=0, write_token="test-token")


@pytest.fixture
def app(settings: Settings, store_copy: Path) -> Iterator[Flask]:
    """The application over a private copy of the model (Flask's test client, no socket).
    In-process, on the embedded store only: the HTTP suites run on both backends."""
    application = create_app(settings.replace(store_path=store_copy))
    yield application
    application.extensions["parley"].store.close()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture(scope="session")
def _reading_app(
    tmp_path_factory: pytest.TempPathFactory, built_store: Path, base_iri: str
) -> Iterator[Flask]:
    path = copy_store(built_store, tmp_path_factory.mktemp("reading") / "store", base_iri)
    settings = Settings(base_iri=base_iri, query_workers=0, write_token="test-token")
    application = create_app(settings.replace(store_path=path))
    yield application
    application.extensions["parley"].store.close()


@pytest.fixture
def reader(_reading_app: Flask) -> Iterator[FlaskClient]:
    """Flask's test client of one application on the model shared by the session's tests
    that only read (``client``'s settings): an application costs half a second to start,
    and its search index as much again. A test that writes through it fails: use
    ``client``."""
    store = _reading_app.extensions["parley"].store
    version = store.version()
    yield _reading_app.test_client()
    assert store.version() == version, "a test of `reader` wrote to the shared model"


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """The store backend: ``embedded`` or ``remote``."""
    return str(request.param)


@pytest.fixture(scope="session")
def server(
    tmp_path_factory: pytest.TempPathFactory,
    built_store: Path,
    base_iri: str,
    server_port: int,
    backend: str,
) -> Iterator[ServerProcess]:
    """A real `parley serve` process on the session's model, on each backend (the remote
    one is an `oxigraph serve` on a copy of the built store): for real clients, a browser,
    and what only a server shows. Tests that write here take their data out again."""
    root = tmp_path_factory.mktemp(f"server-{backend}")
    store = copy_store(built_store, root / "store", base_iri)
    process = start_backend(backend, store, port=server_port, log_dir=root)
    yield process
    process.stop()


@pytest.fixture(scope="session")
def site(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    built_store: Path,
    base_iri: str,
    backend: str,
) -> Iterator[Site]:
    """The session's model over HTTP, read-only use, on each backend: the app in-process on
    a copy of the built store (embedded; its query processes stopped at the end), or the
    real `server` (remote)."""
    if backend != "embedded":
        yield request.getfixturevalue("server")
        return
    store = copy_store(built_store, tmp_path_factory.mktemp("site") / "store", base_iri)
    in_process = open_app(store, base_iri)
    yield in_process
    in_process.stop()


@pytest.fixture
def private_site(store_copy: Path, base_iri: str) -> Iterator[AppSite]:
    """The app in-process on a private, writable copy of the model, queries in the web
    process."""
    in_process = open_app(store_copy, base_iri, query_workers=0)
    yield in_process
    in_process.stop()


@pytest.fixture
def http(site: Site) -> Iterator[httpx.Client]:
    """A client of the session's ``site`` (paths and absolute IRIs of the model)."""
    with site.client() as client:
        yield client
