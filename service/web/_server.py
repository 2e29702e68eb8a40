"""``parley serve``: the application under Granian (an HTTP server written in Rust).

One Granian worker process owns the store (RocksDB allows one writer) and
runs the WSGI application on a pool of threads (``granian_threads``): through
Granian's ASGI interface, which tells a request when its client has gone
(``service.web._asgi``: a query whose client hung up is stopped), or with
``--keep-abandoned-queries`` its WSGI interface, which does not; client
queries are evaluated in the query process (``service.query._pool``), and
pyoxigraph releases the GIL while it evaluates, so queries run on every core.

Why Granian rather than a pure-Python server: HTTP parsing, keep-alive and
the socket loop are in Rust, off the GIL. On the 2-core machines Parley is
measured on, a do-nothing Flask app cost 0.5 ms of CPU a request under
gunicorn's threaded worker and 0.19 ms under Granian; for the short queries
the pages and most clients send, that is most of a request's cost.
"""

from __future__ import annotations

import functools
import multiprocessing
import os
from collections.abc import Callable
from typing import Any

from granian.constants import HTTPModes, Interfaces
from granian.log import LogLevels
from granian.server import Server

from service.logsetup import logging_config
from service.settings import Settings

#: Seconds a stopping worker is given to finish its requests before it is killed.
STOP_GRACE_S = 10


def _load_app(settings: Settings, main_pid: int, starts: Any) -> Callable[..., Any]:
    """Build the application in the worker process (never in the master: RocksDB's
    background threads do not survive a fork); the worker dies with the master
    (``service.web._worker_life``)."""
    from service.logsetup import configure_logging
    from service.web._app import create_app
    from service.web._asgi import WsgiOnAsgi
    from service.web._services import services_of
    from service.web._worker_life import (
        CONFIG_KEY,
        die_with_parent,
        restart_when_room_returns,
        wake_main_thread_on_signals,
        worker_record,
    )

    die_with_parent(main_pid)
    wake_main_thread_on_signals()
    configure_logging(settings.log_level, settings.log_format)
    app = create_app(settings)
    app.config[CONFIG_KEY] = worker_record(starts)
    if settings.store_path is not None and settings.store_url is None:
        restart_when_room_returns(services_of(app).store, settings.store_path)
    # Build the search index now, in the background, rather than on the first search.
    services_of(app).search.build_in_background()
    if not settings.stop_abandoned_queries:
        return app
    # On Granian's ASGI interface, which says when a client has gone (``_asgi``), at a
    # measured cost of about 0.5 ms of CPU per request (docs/benchmarks.md).
    return WsgiOnAsgi(
        app, threads=granian_threads(settings), max_body_bytes=settings.max_body_bytes
    )


def granian_threads(settings: Settings) -> int:
    """The threads that run the application (Granian's WSGI threads, or those of the ASGI
    adapter: ``service.web._asgi``): ``Settings.threads`` for what
    admission does not count (pages, writes, ``/health``, the 503s themselves), plus one
    for each query and each guarded job (``POST /validate``, updates) admission may let in
    at once, and one for each live stream of changes (``Settings.max_change_streams``),
    which holds its thread.

    Were admitted work able to take every thread (8 threads and 8 admitted queries: the
    reliability review's attack 9), a request past the limit would wait in the threads'
    queue instead of getting its fast 503 with Retry-After.

    >>> granian_threads(Settings(threads=8, max_concurrent_queries=8, max_change_streams=2))
    26
    """
    return settings.threads + 2 * settings.max_concurrent_queries + settings.max_change_streams


def _log_level(name: str) -> LogLevels:
    try:
        return LogLevels(name.lower())
    except ValueError:
        return LogLevels.info


def serve(settings: Settings) -> None:
    """Run until interrupted (SIGINT/SIGTERM stop gracefully)."""
    # WSGI: Granian runs the application on ``granian_threads`` threads of its own. ASGI
    # (without lifespan events), to stop abandoned queries: the adapter runs it on as many
    # threads of its own, and Granian's own Python thread stays one.
    interface, blocking_threads = Interfaces.WSGI, granian_threads(settings)
    if settings.stop_abandoned_queries:
        interface, blocking_threads = Interfaces.ASGINL, 1
    server = Server(
        "parley",  # only named in Granian's own log lines; the loader builds the app
        address=settings.host,
        port=settings.port,
        interface=interface,
        workers=1,
        blocking_threads=blocking_threads,
        http=HTTPModes.http1,
        websockets=False,
        log_level=_log_level(settings.log_level),
        log_dictconfig=logging_config(settings.log_level, settings.log_format),
        log_access=False,  # Parley writes its own access log (service.web._metrics)
        workers_kill_timeout=STOP_GRACE_S,
        # A worker that dies (the OOM killer, a kill) is replaced: without this Granian
        # stops the whole server. It gives up on a crash loop (two deaths within 5.5 s).
        respawn_failed_workers=True,
    )
    # Shared with every worker: how many have started (``/health`` reports restarts).
    starts = multiprocessing.RawValue("i", 0)
    loader = functools.partial(_load_app, settings, os.getpid(), starts)
    server.serve(target_loader=loader, wrap_loader=False)
