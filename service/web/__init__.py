"""The thin web layer: the Flask application factory, the WSGI middleware for the
request-wide concerns, the views (one handler per URL, listed in one route
table), problem documents, authentication, metrics and the Granian server.

Only this package imports Flask.
"""

from service.web._app import create_app
from service.web._server import serve

__all__ = ["create_app", "serve"]
