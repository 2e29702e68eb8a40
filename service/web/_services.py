"""What the views work with, built once per application by ``create_app``.

A leaf of the web package (flaskr's ``get_db`` pattern): views read their
services here, so no view imports the application factory, and the factory
imports the views without an import circle.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, current_app

from service.editing import ChangeStreams
from service.gate import WriteGate
from service.pages import SearchIndex
from service.query import Guard, QueryRunner
from service.rdf import Vocab
from service.settings import Settings
from service.sparql import VoidCache
from service.store import GraphStore
from service.web._metrics import Metrics
from service.web._rate_limit import RateLimiter

#: The key of the services in ``app.extensions``.
EXTENSION = "parley"


@dataclass(frozen=True)
class Services:
    """The application's parts, built once."""

    settings: Settings
    vocab: Vocab
    store: GraphStore
    #: Every write goes through ``writer.submit``: the write gate.
    writer: WriteGate
    #: Full-text search, kept current by listening to the writer.
    search: SearchIndex
    #: Every evaluation whose cost a client controls goes through ``guard.run(job)``, under
    #: the time limit: queries (the query runner's killable processes, or the remote
    #: store's pass-through), validations with a client's data or shapes, and updates'
    #: WHERE clauses (killable guard workers).
    guard: Guard
    rate_limiter: RateLimiter
    metrics: Metrics
    #: VoID statistics, cached until the store changes.
    void: VoidCache
    #: The live streams of ``GET /changes``, woken by the writer.
    changes: ChangeStreams

    @property
    def queries(self) -> QueryRunner:
        """The guard, as the query doors see it: what evaluates clients' queries."""
        return self.guard


def services() -> Services:
    """The services of the current application."""
    return services_of(current_app)


def services_of(app: Flask) -> Services:
    """The services of ``app``."""
    found = app.extensions[EXTENSION]
    assert isinstance(found, Services)
    return found
