"""``parley serve``: the application under gunicorn (a production WSGI server).

One gunicorn worker process owns the store (RocksDB allows one writer) and
answers requests on a pool of threads; pyoxigraph releases the GIL while it
evaluates, so queries run in parallel on every core.
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from gunicorn.app.base import BaseApplication

from service.settings import Settings


class ParleyServer(BaseApplication):  # type: ignore[misc]
    """gunicorn configured from ``Settings``; the app is built in the worker."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        super().__init__()

    def load_config(self) -> None:
        s = self.settings
        options: dict[str, Any] = {
            "bind": f"{s.host}:{s.port}",
            "workers": 1,
            "worker_class": "gthread",
            "threads": s.threads,
            "timeout": int(max(60, s.query_timeout_s * 2)),
            "graceful_timeout": 10,
            "keepalive": 5,
            "accesslog": None,
            "errorlog": "-",
            "loglevel": s.log_level.lower(),
        }
        for key, value in options.items():
            self.cfg.set(key, value)

    def load(self) -> Flask:
        from service.app import create_app, services_of

        app = create_app(self.settings)
        # Build the search index now, in the background, rather than on the first search.
        services_of(app).search.build_in_background()
        return app


def serve(settings: Settings) -> None:
    """Run until interrupted (SIGINT/SIGTERM stop gracefully)."""
    ParleyServer(settings).run()
