"""Service metadata: health, the Prometheus metrics, and the pages describing problem types."""

from __future__ import annotations

from typing import Any

from flask import Response, abort, current_app, render_template

from service.errors import ParleyError
from service.store import GraphStore, RemoteStore
from service.web._services import services
from service.web._worker_life import CONFIG_KEY as WORKER_KEY


def health() -> dict[str, Any]:
    """Liveness, readiness and the store's identity; cheap enough to poll.

    ``status`` is "degraded" while writes fail in the store (a full disk: see
    ``last_write_error``); ``worker.restarts`` counts the web workers that died and were
    replaced. ``ready`` is true once queries are evaluated at once and the search index is
    built (both start in the background): what a load balancer's readiness check and
    a benchmark wait for. The server answers meanwhile, more slowly.
    """
    svc = services()
    queries = "ready" if services().queries.ready() else "starting"
    search = "ready" if svc.search.ready() else "building"
    # The last write that failed in the store or its journal (a full disk): the gate hears of
    # a failed commit or journal, the embedded store also of a failed snapshot's flush. A
    # remote store's own failures are its own health's business.
    write_failure = svc.writer.write_failure or getattr(svc.store, "write_failure", None)
    answer: dict[str, Any] = {
        "status": "ok" if write_failure is None else "degraded",
        "ready": queries == "ready" and search == "ready",
        "queries": queries,
        "search": search,
        "writes": "ok" if write_failure is None else "failing",
        "base_iri": svc.settings.base_iri,
        "store": "embedded" if svc.settings.store_url is None else "remote",
        "version": svc.store.version(),
        "engine": _engine(svc.store),
        # Clients' queries and updates run in processes with no network at all
        # (``service.query._isolation``); false: the text check alone keeps them in.
        "network_isolated": svc.guard.network_isolated,
    }
    if write_failure is not None:
        answer["last_write_error"] = write_failure
    worker = current_app.config.get(WORKER_KEY)  # absent when the app is not under Granian
    if worker is not None:
        answer["worker"] = worker
        # A worker died (killed, out of memory) and a new one took over.
        answer["recovered"] = worker["restarts"] > 0
    return answer


def _engine(store: GraphStore) -> dict[str, Any]:
    """The engine that evaluates queries, with the limits it applies by itself (a remote
    store's row cap and time limit, learnt from its first answer): what a client reading a
    cut or stopped answer needs to know."""
    if not isinstance(store, RemoteStore):
        return {"name": "Oxigraph", "about": "Oxigraph, embedded in Parley"}
    engine = store.client.engine
    found: dict[str, Any] = {"name": engine.name, "about": engine.describe()}
    if engine.version is not None:
        found["version"] = engine.version
    if engine.max_rows is not None:
        found["max_rows"] = engine.max_rows
    if engine.max_time_s is not None:
        found["max_time_s"] = engine.max_time_s
    return found


def metrics() -> Response:
    """The application's metrics in the Prometheus text format."""
    return services().metrics.exposition()


def _problem_types() -> dict[str, type[ParleyError]]:
    found: dict[str, type[ParleyError]] = {}
    pending: list[type[ParleyError]] = [ParleyError]
    while pending:
        cls = pending.pop()
        found.setdefault(cls.slug, cls)
        pending.extend(cls.__subclasses__())
    return found


def problem_type(slug: str) -> str:
    """What a problem ``type`` means (the IRI in every problem document)."""
    cls = _problem_types().get(slug)
    if cls is None:
        abort(404)
    return render_template(
        "problem_type.html", slug=slug, title=cls.title, status=cls.status, doc=cls.__doc__ or ""
    )
