"""Every URL Parley answers, in one flat table; each view parses, calls the core, renders.

Oxigraph's ``main.rs`` is the model: one list says what the server answers, to
which methods, with which handler, so nobody has to collect decorators from six
modules to learn it. ``rate_limited`` marks the routes that evaluate work a client
wrote (queries, updates, graph writes, validation); the request-wide middleware
(``service.web._middleware``) counts their requests against the client's rate
limit. ``tests/test_routes.py`` checks that the application answers each route and
no other.
"""

from __future__ import annotations

from typing import NamedTuple

from flask import Flask
from flask.typing import RouteCallable

from service.web._auth import csrf_token, current_editor
from service.web.views import (
    browse,
    changes,
    claim_form,
    claims,
    data,
    gsp,
    meta,
    openapi,
    pages,
    revisions,
    signin,
    sources,
    sparql,
)
from service.web.views._added_by import added_by_global
from service.web.views._breaks import breakable


class Route(NamedTuple):
    """One URL rule: what it matches, and who answers it."""

    rule: str
    methods: tuple[str, ...]
    view: RouteCallable
    #: The name ``url_for`` knows it by.
    endpoint: str
    #: Counted against the client's rate limit: it evaluates work the client wrote.
    rate_limited: bool = False


GET, GSP = ("GET",), gsp.METHODS

ROUTES: tuple[Route, ...] = (
    # Pages for a person.
    Route("/", GET, pages.home, "home"),
    Route("/data", GET, pages.data_page, "data_page"),
    Route("/search", GET, pages.search, "search"),
    Route("/timeline", GET, pages.timeline, "timeline"),
    Route("/network", GET, pages.network, "network"),
    Route("/instances", GET, pages.class_index, "instances"),
    Route("/validate", GET, pages.validate_page, "validate_page"),
    Route("/changes", GET, changes.changes, "changes"),
    Route("/static/<path:filename>", GET, pages.static, "static"),
    Route("/favicon.ico", GET, pages.favicon, "favicon"),
    # Every IRI under the base dereferences: a page for a person, RDF for a program.
    Route("/id/<path:local>", GET, browse.entity, "entity"),
    Route("/.well-known/genid/<path:local>", GET, browse.genid, "genid"),
    Route("/graph/<path:local>", GET, browse.graph, "graph"),
    Route("/ontology", GET, browse.ontology, "ontology"),
    Route("/ontology.<suffix>", GET, browse.ontology, "ontology"),
    Route("/shapes", GET, browse.shapes, "shapes"),
    Route("/shapes.<suffix>", GET, browse.shapes, "shapes"),
    Route("/context.jsonld", GET, browse.jsonld_context, "jsonld_context"),
    # The SPARQL 1.1 Protocol, the Graph Store Protocol, and what describes them.
    Route("/sparql", ("GET", "POST"), sparql.endpoint, "sparql", rate_limited=True),
    Route("/store", GSP, gsp.indirect, "store", rate_limited=True),
    Route("/store/<path:graph_path>", GSP, gsp.direct, "store_graph", rate_limited=True),
    Route("/.well-known/void", GET, sparql.void, "void"),
    # Editors sign in with their token (a session cookie), and out.
    Route("/sign-in", GET, signin.sign_in_page, "sign_in_page"),
    Route("/sign-in", ("POST",), signin.sign_in, "sign_in", rate_limited=True),
    Route("/sign-out", ("POST",), signin.sign_out, "sign_out"),
    # The editors' workbench: a new source (the form, and the write).
    Route("/sources/new", GET, sources.new_source, "source_new"),
    Route("/sources", ("POST",), sources.create, "sources", rate_limited=True),
    # A claim from its fields (the claim form, programs, `parley ingest`); ?dry-run=true checks.
    Route("/claims", ("POST",), claims.create, "claims", rate_limited=True),
    # The claim form, generated from the shapes, on the words marked in a source; its pickers.
    Route("/claims/new", GET, claim_form.new_claim, "claim_new"),
    Route("/choices", GET, claim_form.choices, "choices"),
    # Change, retract, review: a claim's new version (the old one kept in graph/history), its
    # withdrawal, and editorial reviews from the form generated from the review's shapes.
    Route("/claims/<path:slug>/edit", GET, revisions.edit_page, "claim_edit"),
    Route(
        "/claims/<path:slug>/versions",
        ("POST",),
        revisions.new_version,
        "claim_versions",
        rate_limited=True,
    ),
    Route(
        "/claims/<path:slug>/retraction",
        ("POST",),
        revisions.retract,
        "claim_retraction",
        rate_limited=True,
    ),
    Route("/reviews/new", GET, revisions.new_review_page, "review_new"),
    Route("/reviews", ("POST",), revisions.create_review, "reviews", rate_limited=True),
    # The write gate: validate, or validate and write.
    Route("/validate", ("POST",), data.validate, "validate", rate_limited=True),
    Route("/data", ("POST",), data.write, "data", rate_limited=True),
    # The service itself.
    Route("/health", GET, meta.health, "health"),
    Route("/metrics", GET, meta.metrics, "metrics"),
    Route("/problems/<slug>", GET, meta.problem_type, "problem_type"),
    Route("/openapi.json", GET, openapi.document, "openapi"),
)

#: The endpoints whose requests count against the client's rate limit.
RATE_LIMITED = frozenset(route.endpoint for route in ROUTES if route.rate_limited)


def register(app: Flask) -> None:
    """Add every route of the table to ``app``, and the helpers the pages' templates use.
    (``app`` is made without Flask's own static route: the table has it.)"""
    for route in ROUTES:
        app.add_url_rule(route.rule, route.endpoint, route.view, methods=list(route.methods))
    app.add_template_filter(pages.local_href, "local_href")
    app.add_template_filter(pages.highlight, "highlight")
    app.add_template_filter(breakable, "breakable")
    app.context_processor(pages.template_globals)
    app.add_template_global(csrf_token, "csrf_token")
    app.add_template_global(current_editor, "current_editor")
    app.add_template_global(added_by_global, "added_by")
