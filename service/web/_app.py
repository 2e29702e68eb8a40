"""The Flask application factory: settings -> services -> routes.

``create_app`` is the composition root: it opens the store, picks the query
runner for it and puts it behind the guard (every evaluation whose cost a
client controls: ``service.query._guard``), builds the write gate and search,
and keeps them in one ``Services`` (``service.web._services``), which views
read through ``services()``. Nothing happens at import time.
"""

from __future__ import annotations

from collections.abc import Callable
from multiprocessing import util as mp_util

from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException

from service.build import keep_journal
from service.editing import ChangeStreams
from service.errors import ParleyError, QueryTimeoutError, ValidationTimeoutError
from service.gate import WriteGate, guard_writes
from service.pages import SearchIndex
from service.query import (
    CheckpointRunner,
    Guard,
    QueryLimits,
    QueryPool,
    QueryRunner,
    RemoteQueryRunner,
    copy_fits,
)
from service.rdf import Vocab
from service.settings import Settings
from service.sparql import VoidCache
from service.store import GraphStore, OxigraphStore, open_store
from service.web._metrics import Metrics
from service.web._middleware import TIMED_OUT, RequestWide
from service.web._problems import from_http_exception, from_parley_error, from_unexpected
from service.web._rate_limit import RateLimiter
from service.web._services import EXTENSION, Services
from service.web.views import RATE_LIMITED, register


def create_app(settings: Settings | None = None, *, store: GraphStore | None = None) -> Flask:
    """Build the application. Tests pass explicit ``settings`` (and may pass a store)."""
    settings = settings or Settings.from_env()
    vocab = Vocab(settings.base_iri)
    app = Flask(__name__, static_folder=None)  # the route table has the static route
    app.static_folder = "static"
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes
    app.json.sort_keys = False  # type: ignore[attr-defined]
    store = store or open_store(settings, vocab)
    writer = WriteGate(store, max_literal_bytes=settings.max_literal_bytes)
    # Every committed write is in the journal before its client hears of it: a rebuild
    # replays it (``parley build``).
    keep_journal(writer, settings)
    search = SearchIndex(store)
    writer.add_listener(search.on_change)
    changes = ChangeStreams(store, vocab, max_streams=settings.max_change_streams)
    writer.add_listener(changes.on_change)
    metrics = Metrics(store)
    limits = QueryLimits(
        workers=settings.query_workers,
        max_concurrent=settings.max_concurrent_queries,
        timeout_s=settings.query_timeout_s,
        base_iri=settings.base_iri,
        log=(settings.log_level, settings.log_format),
    )
    # No network for clients' work, unless hosts are allow-listed (SERVICE to them is
    # evaluated in the query processes) or the store is remote (read over HTTP by them).
    isolate = not settings.outbound_allow and isinstance(store, OxigraphStore)
    queries = _query_runner(store, limits, metrics.timeouts.inc, settings, isolate=isolate)
    # Every evaluation whose cost a client controls, under the time limit: the queries go to
    # the runner, the other jobs to killable workers that import the jobs' modules first.
    guard = Guard(
        queries,
        workers=settings.query_workers,
        max_concurrent=settings.max_concurrent_queries,
        timeout_s=settings.query_timeout_s,
        # The packages whose seams hold the jobs (validation, update effects).
        preload=("service.gate", "service.sparql"),
        on_timeout=metrics.timeouts.inc,
        log=limits.log,
        isolate_network=isolate,
    )
    # At exit: stop the query processes and the guard's workers. Not ``atexit``: the
    # server's worker is a multiprocessing child, which runs these finalizers but not
    # atexit hooks.
    mp_util.Finalize(None, guard.close, exitpriority=10)
    guard_writes(writer, guard)  # a write too costly to check here is checked by the guard
    found = Services(
        settings=settings,
        vocab=vocab,
        store=store,
        writer=writer,
        search=search,
        guard=guard,
        rate_limiter=RateLimiter(settings.rate_limit_per_minute),
        metrics=metrics,
        void=VoidCache(),
        changes=changes,
    )
    app.extensions[EXTENSION] = found
    register(app)
    _register_error_handlers(app, settings.base_iri)
    # Request id, rate limit, access log and metrics: once, around everything.
    request_wide = RequestWide(app, found, rate_limited=RATE_LIMITED)
    app.wsgi_app = request_wide  # type: ignore[method-assign]
    return app


def _query_runner(
    store: GraphStore,
    limits: QueryLimits,
    on_timeout: Callable[[], None],
    settings: Settings,
    *,
    isolate: bool,
) -> QueryRunner:
    """The composition root's choice: the embedded store's killable query processes (on an
    in-memory copy, or on checkpoints: ``_query_engine``), or a store that evaluates queries
    itself."""
    if isinstance(store, OxigraphStore):
        engine = CheckpointRunner if _query_engine(store, settings) == "checkpoint" else QueryPool
        return engine(
            store,
            workers=limits.workers,
            max_concurrent=limits.max_concurrent,
            timeout_s=limits.timeout_s,
            base_iri=limits.base_iri,
            on_timeout=on_timeout,
            log=limits.log,
            isolate_network=isolate,
        )
    return RemoteQueryRunner(store, limits, on_timeout)


def _query_engine(store: OxigraphStore, settings: Settings) -> str:
    """``Settings.query_engine``; but a store whose in-memory copy would take more than
    ``Settings.query_copy_budget_bytes`` is served on checkpoints (docs/benchmarks.md)."""
    if settings.query_engine != "copy" or store.path is None or not settings.query_workers:
        return settings.query_engine  # no copy is made without query processes
    return "copy" if copy_fits(store, settings.query_copy_budget_bytes) else "checkpoint"


def _register_error_handlers(app: Flask, base: str) -> None:
    @app.errorhandler(ParleyError)
    def _parley(error: ParleyError) -> Response:
        if isinstance(error, QueryTimeoutError | ValidationTimeoutError):  # not an overload
            request.environ[TIMED_OUT] = True
        return from_parley_error(error, base)

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException) -> Response:
        return from_http_exception(error, base)

    @app.errorhandler(Exception)
    def _unexpected(error: Exception) -> Response:
        return from_unexpected(error, base)
