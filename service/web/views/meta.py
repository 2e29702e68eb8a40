"""Service metadata: health, the Prometheus metrics, and the pages describing problem types."""

from __future__ import annotations

from typing import Any

from flask import Response, abort, render_template

from service.errors import ParleyError
from service.web._services import services


def health() -> dict[str, Any]:
    """Liveness, readiness and the store's identity; cheap enough to poll.

    ``ready`` is true once queries are evaluated at once and the search index is
    built (both start in the background): what a load balancer's readiness check and
    a benchmark wait for. The server answers meanwhile, more slowly.
    """
    svc = services()
    queries = "ready" if services().queries.ready() else "starting"
    search = "ready" if svc.search.ready() else "building"
    return {
        "status": "ok",
        "ready": queries == "ready" and search == "ready",
        "queries": queries,
        "search": search,
        "base_iri": svc.settings.base_iri,
        "store": "embedded" if svc.settings.store_url is None else "remote",
        "version": svc.store.version(),
    }


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
