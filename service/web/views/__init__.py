"""HTTP routes, one blueprint per concern; each view parses, calls the core, renders."""

from __future__ import annotations

from flask import Flask


def register_blueprints(app: Flask) -> None:
    from service.web.views import browse, data, gsp, meta, pages, sparql

    app.register_blueprint(meta.bp)
    app.register_blueprint(sparql.bp)
    app.register_blueprint(gsp.bp)
    app.register_blueprint(pages.bp)
    app.register_blueprint(browse.bp)
    app.register_blueprint(data.bp)
