"""Fixtures shared by every test module.

The project's model is built once per session, for a base IRI that is the
URL of the real server the session starts, so every IRI in the store
dereferences at that server. Tests that write get their own copies.

Every test that uses a real server runs twice, once per store backend
(``backend``: ``embedded``, the server's own store directory; ``remote``, an
``oxigraph serve`` process the server reaches with ``--store-url``). The
parameter is session-scoped, so pytest runs all of one backend's tests before
the other's and sets the session server up once per backend, on the same port
and base IRI (the first is torn down before the second starts).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from service.rdf._vocab import Vocab
from service.settings import Settings
from service.store._oxigraph import OxigraphStore
from service.web._app import create_app
from tests.support import (
    BACKENDS,
    ServerProcess,
    base_for,
    build_store,
    copy_store,
    free_port,
    start_backend,
)


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
    """The project's model, built once per session. Never written to: copy it first."""
    path = tmp_path_factory.mktemp("model") / "store"
    build_store(path, base_iri)
    return path


@pytest.fixture
def store_copy(tmp_path: Path, built_store: Path, base_iri: str) -> Path:
    """A private, writable copy of the built store."""
    return copy_store(built_store, tmp_path / "store", base_iri)


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


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """The store backend of the real servers: ``embedded`` or ``remote``."""
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
    one is an `oxigraph serve` on a copy of the built store). Read-only use: tests that
    write start their own server."""
    root = tmp_path_factory.mktemp(f"server-{backend}")
    store = copy_store(built_store, root / "store", base_iri)
    process = start_backend(backend, store, port=server_port, log_dir=root)
    yield process
    process.stop()


@pytest.fixture
def scratch_server(tmp_path: Path, backend: str) -> Iterator[ServerProcess]:
    """A real server on an empty store (on each backend), for protocol tests that write."""
    process = start_backend(backend, tmp_path / "store", port=free_port(), log_dir=tmp_path)
    yield process
    process.stop()
