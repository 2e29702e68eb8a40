"""What the views work with, built once per application by ``create_app``.

A leaf of the web package (flaskr's ``get_db`` pattern): views read their
services here, so no view imports the application factory, and the factory
imports the views without an import circle.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, current_app

from service.gate._write_gate import WriteGate
from service.pages._search import SearchIndex
from service.query._job import QueryRunner
from service.rdf._vocab import Vocab
from service.settings import Settings
from service.sparql._description import VoidCache
from service.store._base import GraphStore
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
    #: What evaluates clients' queries: the embedded store's killable query processes, or
    #: the remote store's pass-through.
    queries: QueryRunner
    rate_limiter: RateLimiter
    metrics: Metrics
    #: VoID statistics, cached until the store changes.
    void: VoidCache


def services() -> Services:
    """The services of the current application."""
    return services_of(current_app)


def services_of(app: Flask) -> Services:
    """The services of ``app``."""
    found = app.extensions[EXTENSION]
    assert isinstance(found, Services)
    return found
