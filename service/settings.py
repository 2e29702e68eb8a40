"""One settings object, built from ``PARLEY_*`` environment variables and CLI flags.

``os.environ`` is read here and nowhere else. ``Settings.from_env`` validates
every value and raises ``ConfigError`` at start-up; the CLI then overrides
fields from its flags with ``dataclasses.replace``. Tests build ``Settings``
directly and never depend on the real environment.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from service.errors import ConfigError

#: The repository root when the package runs from a checkout (``pip install -e``).
PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_BASE_IRI = "http://127.0.0.1:8000/"

LogFormat = Literal["text", "json"]


@dataclass(frozen=True)
class Settings:
    """Everything Parley can be configured with. See ``parley serve --help``."""

    #: Directory of the on-disk Oxigraph store; ``None`` keeps it in memory (tests).
    store_path: Path | None = None
    #: The server's own URL: Parley's relative IRIs are resolved against it.
    base_iri: str = DEFAULT_BASE_IRI
    host: str = "127.0.0.1"
    port: int = 8000
    data_dir: Path = PROJECT_ROOT / "data"
    ontology_dir: Path = PROJECT_ROOT / "ontology"
    shapes_dir: Path = PROJECT_ROOT / "shapes"
    #: Refuse every write with 403.
    read_only: bool = False
    #: Bearer token for writes; ``parley serve`` makes one when none is set.
    write_token: str | None = None
    #: Query time limit in seconds; the evaluation is stopped at the limit.
    query_timeout_s: float = 30.0
    #: Client queries evaluated at once in the query process (0: in the web process, no hard
    #: time limit).
    query_workers: int = 4
    #: Queries evaluated at once; past it clients get 503 with Retry-After.
    max_concurrent_queries: int = 8
    #: Result rows (solutions or triples) returned at most; the answer says when it was cut.
    max_result_rows: int = 100_000
    #: Bytes of a query answer at most.
    max_response_bytes: int = 64 * 1024 * 1024
    #: Bytes of a request body at most (413 past it).
    max_body_bytes: int = 16 * 1024 * 1024
    #: Requests per minute per client address; 0 switches the limit off.
    rate_limit_per_minute: int = 0
    #: Hosts that SERVICE and LOAD may fetch from; empty: no outbound request at all.
    outbound_allow: tuple[str, ...] = ()
    #: WSGI server threads in the web process.
    threads: int = 8
    log_level: str = "INFO"
    log_format: LogFormat = "text"
    #: Remote SPARQL store (query endpoint); ``None`` uses the embedded store.
    store_url: str | None = None
    #: Remote store update endpoint, when it differs from ``store_url``.
    store_update_url: str | None = None
    #: Remote store Graph Store Protocol endpoint, used for bulk loads when set.
    store_gsp_url: str | None = None
    #: Credentials for the remote store (environment only): HTTP basic, or a bearer token.
    store_user: str | None = None
    store_password: str | None = None
    store_token: str | None = None
    #: The remote store's per-request query time-limit parameter (Fuseki: ``timeout``).
    store_timeout_param: str | None = None
    extra: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        parts = urlsplit(self.base_iri)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ConfigError(f"base IRI {self.base_iri!r} must be an absolute http(s) URL")
        if not self.base_iri.endswith("/"):
            raise ConfigError(f"base IRI {self.base_iri!r} must end with '/'")
        if parts.query or parts.fragment:
            raise ConfigError(f"base IRI {self.base_iri!r} must have no query or fragment")
        if self.query_timeout_s <= 0:
            raise ConfigError("the query timeout must be positive")
        for name in ("max_concurrent_queries", "max_result_rows", "max_response_bytes"):
            if getattr(self, name) < 1:
                raise ConfigError(f"{name} must be at least 1")
        if self.query_workers < 0 or self.rate_limit_per_minute < 0 or self.threads < 1:
            raise ConfigError("query_workers and rate_limit_per_minute must be >= 0, threads >= 1")
        if self.store_url is not None and self.store_path is not None:
            raise ConfigError(
                "give a store directory (--store) or a remote store (--store-url), not both"
            )
        if self.store_url is not None and urlsplit(self.store_url).scheme not in ("http", "https"):
            raise ConfigError(f"store URL {self.store_url!r} must be an http(s) URL")
        if self.log_format not in ("text", "json"):
            raise ConfigError("log format must be 'text' or 'json'")

    def replace(self, **changes: object) -> Settings:
        """A copy with some fields changed (``None`` values are ignored)."""
        kept: dict[str, Any] = {k: v for k, v in changes.items() if v is not None}
        return dataclasses.replace(self, **kept)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Settings from ``PARLEY_*`` variables (``PARLEY_STORE``, ``PARLEY_BASE_IRI``, ...).

        >>> Settings.from_env({"PARLEY_BASE_IRI": "https://parley.example/"}).base_iri
        'https://parley.example/'
        >>> Settings.from_env({"PARLEY_QUERY_TIMEOUT": "x"})
        Traceback (most recent call last):
        ...
        service.errors.ConfigError: PARLEY_QUERY_TIMEOUT must be a number, not 'x'
        """
        env = os.environ if environ is None else environ
        values: dict[str, object] = {}
        for name, (attr, kind) in _ENV.items():
            raw = env.get(name)
            if raw is None or raw == "":
                continue
            values[attr] = _convert(name, raw, kind)
        return cls(**values)  # type: ignore[arg-type]


_ENV: dict[str, tuple[str, str]] = {
    "PARLEY_STORE": ("store_path", "path"),
    "PARLEY_BASE_IRI": ("base_iri", "str"),
    "PARLEY_HOST": ("host", "str"),
    "PARLEY_PORT": ("port", "int"),
    "PARLEY_DATA_DIR": ("data_dir", "path"),
    "PARLEY_ONTOLOGY_DIR": ("ontology_dir", "path"),
    "PARLEY_SHAPES_DIR": ("shapes_dir", "path"),
    "PARLEY_READ_ONLY": ("read_only", "bool"),
    "PARLEY_WRITE_TOKEN": ("write_token", "str"),
    "PARLEY_QUERY_TIMEOUT": ("query_timeout_s", "float"),
    "PARLEY_QUERY_WORKERS": ("query_workers", "int"),
    "PARLEY_MAX_CONCURRENT_QUERIES": ("max_concurrent_queries", "int"),
    "PARLEY_MAX_RESULT_ROWS": ("max_result_rows", "int"),
    "PARLEY_MAX_RESPONSE_BYTES": ("max_response_bytes", "int"),
    "PARLEY_MAX_BODY_BYTES": ("max_body_bytes", "int"),
    "PARLEY_RATE_LIMIT": ("rate_limit_per_minute", "int"),
    "PARLEY_OUTBOUND_ALLOW": ("outbound_allow", "list"),
    "PARLEY_THREADS": ("threads", "int"),
    "PARLEY_LOG_LEVEL": ("log_level", "str"),
    "PARLEY_LOG_FORMAT": ("log_format", "str"),
    "PARLEY_STORE_URL": ("store_url", "str"),
    "PARLEY_STORE_UPDATE_URL": ("store_update_url", "str"),
    "PARLEY_STORE_GSP_URL": ("store_gsp_url", "str"),
    "PARLEY_STORE_USER": ("store_user", "str"),
    "PARLEY_STORE_PASSWORD": ("store_password", "str"),
    "PARLEY_STORE_TOKEN": ("store_token", "str"),
    "PARLEY_STORE_TIMEOUT_PARAM": ("store_timeout_param", "str"),
}


def _convert(name: str, raw: str, kind: str) -> object:
    if kind == "path":
        return Path(raw)
    if kind == "bool":
        lowered = raw.strip().lower()
        if lowered in ("1", "true", "yes", "on"):
            return True
        if lowered in ("0", "false", "no", "off"):
            return False
        raise ConfigError(f"{name} must be true or false, not {raw!r}")
    if kind in ("int", "float"):
        try:
            return int(raw) if kind == "int" else float(raw)
        except ValueError:
            noun = "a whole number" if kind == "int" else "a number"
            raise ConfigError(f"{name} must be {noun}, not {raw!r}") from None
    if kind == "list":
        return tuple(part.strip() for part in raw.split(",") if part.strip())
    return raw
