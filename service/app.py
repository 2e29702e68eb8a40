"""The Flask application factory: settings -> services -> routes.

``create_app`` builds everything a request needs (the store, the vocabulary)
and keeps it in ``app.extensions["parley"]``; views read it through
``services()``. Nothing happens at import time.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, Response, current_app
from werkzeug.exceptions import HTTPException

from service import problems
from service.errors import ConfigError, ParleyError
from service.gate import WriteGate
from service.oxigraph_store import OxigraphStore
from service.search import SearchIndex
from service.settings import Settings
from service.store import GraphStore
from service.terms import OWL, RDF, NamedNode
from service.vocab import Vocab
from service.writes import Writer


@dataclass(frozen=True)
class Services:
    """What the views work with, built once per application."""

    settings: Settings
    vocab: Vocab
    store: GraphStore
    #: Every write goes through ``writer.submit``: the write gate (``service.gate``).
    writer: Writer
    #: Full-text search, kept current by listening to the writer.
    search: SearchIndex


def services() -> Services:
    """The services of the current application."""
    return services_of(current_app)


def services_of(app: Flask) -> Services:
    """The services of ``app``."""
    found = app.extensions["parley"]
    assert isinstance(found, Services)
    return found


def open_store(settings: Settings, vocab: Vocab) -> GraphStore:
    """Open the configured store (the directory, or the remote store at ``store_url``)
    and check it was built for this base IRI."""
    store: GraphStore
    if settings.store_url is not None:
        from service.remote_store import RemoteStore

        store = RemoteStore.connect(settings, vocab)
    else:
        store = OxigraphStore.open(settings.store_path, vocab)
    check_base_iri(store, vocab)
    return store


def check_base_iri(store: GraphStore, vocab: Vocab) -> None:
    """Refuse a store whose Parley IRIs were resolved against another base IRI."""
    graphs = store.named_graphs()
    if not any(isinstance(g, NamedNode) and g.value.endswith("/graph/ontology") for g in graphs):
        return  # an empty or scratch store: nothing to check
    if store.graph_exists(vocab.ontology_graph):
        return
    found = next(
        (
            q.subject.value
            for q in store.quads(None, RDF.type, OWL.Ontology)
            if isinstance(q.subject, NamedNode) and q.subject.value.endswith("/ontology")
        ),
        "another base",
    )
    raise ConfigError(
        f"the store was built for base IRI {found.removesuffix('ontology')}, not {vocab.base}; "
        "rebuild it with `parley build --base-iri` or serve it with that base IRI"
    )


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
    app.extensions["parley"] = Services(
        settings=settings, vocab=vocab, store=store, writer=writer, search=search
    )
    from service import endpoint
    from service.front import Front
    from service.views import register_blueprints

    found = endpoint.install(app, settings, store)  # query pool, rate limit, access log, /metrics
    register_blueprints(app)
    _register_error_handlers(app, settings.base_iri)
    # Programs' queries are answered before Flask (service.front); Flask answers the rest.
    app.wsgi_app = Front(app.wsgi_app, settings=settings, endpoint=found)  # type: ignore[method-assign]
    return app


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
