"""The Flask application factory: settings -> services -> routes.

``create_app`` is the composition root: it opens the store, picks the query
runner for it, builds the write gate and search, and keeps them in one
``Services`` (``service.web._services``), which views read through
``services()``. Nothing happens at import time.
"""

from __future__ import annotations

from collections.abc import Callable
from multiprocessing import util as mp_util

from flask import Flask, Response
from werkzeug.exceptions import HTTPException

from service.errors import ParleyError
from service.gate._write_gate import WriteGate
from service.pages._search import SearchIndex
from service.query._job import QueryLimits, QueryRunner
from service.query._pool import QueryPool
from service.query._remote import RemoteQueryRunner
from service.rdf._vocab import Vocab
from service.settings import Settings
from service.sparql._description import VoidCache
from service.store._base import GraphStore
from service.store._open import open_store
from service.store._oxigraph import OxigraphStore
from service.web import _problems as problems
from service.web._front import Front
from service.web._metrics import Metrics
from service.web._rate_limit import RateLimiter
from service.web._services import EXTENSION, Services
from service.web.views import register_blueprints


def create_app(settings: Settings | None = None, *, store: GraphStore | None = None) -> Flask:
    """Build the application. Tests pass explicit ``settings`` (and may pass a store)."""
    settings = settings or Settings.from_env()
    vocab = Vocab(settings.base_iri)
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes
    app.json.sort_keys = False  # type: ignore[attr-defined]
    store = store or open_store(settings, vocab)
    writer = WriteGate(store)
    search = SearchIndex(store)
    writer.add_listener(search.on_change)
    metrics = Metrics(store)
    limits = QueryLimits(
        workers=settings.query_workers,
        max_concurrent=settings.max_concurrent_queries,
        timeout_s=settings.query_timeout_s,
        base_iri=settings.base_iri,
        log=(settings.log_level, settings.log_format),
    )
    queries = _query_runner(store, limits, metrics.timeouts.inc)
    # At exit: stop the query processes. Not ``atexit``: the server's worker is a
    # multiprocessing child, which runs these finalizers but not atexit hooks.
    mp_util.Finalize(None, queries.close, exitpriority=10)
    found = Services(
        settings=settings,
        vocab=vocab,
        store=store,
        writer=writer,
        search=search,
        queries=queries,
        rate_limiter=RateLimiter(settings.rate_limit_per_minute),
        metrics=metrics,
        void=VoidCache(),
    )
    app.extensions[EXTENSION] = found
    metrics.install(app)
    register_blueprints(app)
    _register_error_handlers(app, settings.base_iri)
    # Programs' queries are answered before Flask (service.web._front); Flask answers the rest.
    app.wsgi_app = Front(app.wsgi_app, services=found)  # type: ignore[method-assign]
    return app


def _query_runner(
    store: GraphStore, limits: QueryLimits, on_timeout: Callable[[], None]
) -> QueryRunner:
    """The composition root's choice: the embedded store's killable query processes, or a
    store that evaluates queries itself."""
    if isinstance(store, OxigraphStore):
        return QueryPool(
            store,
            workers=limits.workers,
            max_concurrent=limits.max_concurrent,
            timeout_s=limits.timeout_s,
            base_iri=limits.base_iri,
            on_timeout=on_timeout,
            log=limits.log,
        )
    return RemoteQueryRunner(store, limits, on_timeout)


def _register_error_handlers(app: Flask, base: str) -> None:
    @app.errorhandler(ParleyError)
    def _parley(error: ParleyError) -> Response:
        return problems.from_parley_error(error, base)

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException) -> Response:
        return problems.from_http_exception(error, base)

    @app.errorhandler(Exception)
    def _unexpected(error: Exception) -> Response:
        return problems.from_unexpected(error, base)
