"""One settings object, built from ``PARLEY_*`` environment variables and CLI flags.

``ENV_NAMES`` is the one table of the ``PARLEY_*`` names: ``Settings.from_env``
reads them (how it reads each value follows from the field's type), and the CLI's
options take their ``envvar`` from it, so the two cannot drift apart. ``from_env``
validates every value and raises ``ConfigError`` at start-up; the CLI then
overrides fields from its flags with ``dataclasses.replace``. Tests build
``Settings`` directly and never depend on the real environment.
"""

from __future__ import annotations

import dataclasses
import os
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from service.errors import ConfigError

#: The repository root when the package runs from a checkout (``pip install -e``).
PROJECT_ROOT = Path(__file__).resolve().parent.parent
#: Where ontology/, shapes/ and data/ are by default: the checkout beside the package, or,
#: for a plain ``pip install .`` (the package in site-packages, the model files not), the
#: working directory (relative paths: the clone the commands are run from).
MODEL_ROOT = PROJECT_ROOT if (PROJECT_ROOT / "ontology").is_dir() else Path()
DEFAULT_BASE_IRI = "http://127.0.0.1:8000/"

LogFormat = Literal["text", "json"]
#: What evaluates clients' queries on the embedded store (``service.query``): query
#: processes forked from an in-memory copy, or workers on checkpoints of the store on disk.
QueryEngine = Literal["copy", "checkpoint"]


@dataclass(frozen=True)
class Settings:
    """Everything Parley can be configured with. See ``parley serve --help``."""

    #: Directory of the on-disk Oxigraph store; ``None`` keeps it in memory (tests).
    store_path: Path | None = None
    #: The server's own URL: Parley's relative IRIs are resolved against it.
    base_iri: str = DEFAULT_BASE_IRI
    #: The journal of accepted writes (``parley build`` replays it); ``None``: beside the
    #: store directory (``var/store`` -> ``var/store.journal``), or none for a remote store.
    journal: Path | None = None
    host: str = "127.0.0.1"
    port: int = 8000
    data_dir: Path = MODEL_ROOT / "data"
    ontology_dir: Path = MODEL_ROOT / "ontology"
    shapes_dir: Path = MODEL_ROOT / "shapes"
    #: Refuse every write with 403.
    read_only: bool = False
    #: Bearer token for writes; when none is set, ``parley serve`` keeps one in
    #: ``write_token_file`` (made on the first start, mode 0600) and ``parley token`` prints it.
    write_token: str | None = None
    #: Where the write token is kept; ``None``: ``<store>.token`` beside the store directory.
    write_token_file: Path | None = None
    #: The registry of editors (their names and token hashes) and, beside it, their sign-in
    #: sessions; ``None``: ``<store>.editors`` beside the store directory.
    editors_file: Path | None = None
    #: Query time limit in seconds; the evaluation is stopped at the limit.
    query_timeout_s: float = 30.0
    #: Client queries evaluated at once in the query process (0: in the web process, no hard
    #: time limit).
    query_workers: int = 4
    #: ``copy`` or ``checkpoint`` (docs/benchmarks.md measures both).
    query_engine: QueryEngine = "copy"
    #: Bytes the ``copy`` engine's in-memory copy may take, by an estimate made at start;
    #: a larger store is served by the ``checkpoint`` engine instead.
    query_copy_budget_bytes: int = 2 * 1024**3
    #: Queries evaluated at once; past it clients get 503 with Retry-After.
    max_concurrent_queries: int = 8
    #: Result rows (solutions or triples) returned at most; the answer says when it was cut.
    max_result_rows: int = 100_000
    #: Bytes of a query answer at most.
    max_response_bytes: int = 64 * 1024 * 1024
    #: Bytes of a request body at most (413 past it).
    max_body_bytes: int = 16 * 1024 * 1024
    #: Bytes of one written literal at most (a 10 MB label made a 115 MB page, and its
    #: provenance keeps it for ever); every write door refuses a longer one with 413.
    max_literal_bytes: int = 1024 * 1024
    #: Requests per minute per client address; 0 switches the limit off.
    rate_limit_per_minute: int = 0
    #: Hosts that SERVICE and LOAD may fetch from; empty: no outbound request at all.
    outbound_allow: tuple[str, ...] = ()
    #: WSGI server threads in the web process, besides one for each query and each guarded
    #: job admission lets in (``service.web._server.granian_threads``).
    threads: int = 8
    #: Live streams of changes (``GET /changes`` as Server-Sent Events) open at once; each
    #: holds a server thread of its own (added to ``threads``). Past it: 503 + Retry-After.
    max_change_streams: int = 2
    #: Stop a query whose client has hung up instead of running it on to its time limit:
    #: ``parley serve`` serves through Granian's ASGI interface, which says when a
    #: connection closes, at a cost in CPU per request (``service.web._asgi``); off, through
    #: its WSGI interface, which does not.
    stop_abandoned_queries: bool = True
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
        if self.max_change_streams < 0:
            raise ConfigError("max_change_streams must be >= 0 (0: no live stream)")
        if self.query_workers < 0 or self.rate_limit_per_minute < 0 or self.threads < 1:
            raise ConfigError("query_workers and rate_limit_per_minute must be >= 0, threads >= 1")
        if self.store_url is not None and self.store_path is not None:
            raise ConfigError(
                "give a store directory (--store) or a remote store (--store-url), not both"
            )
        if self.store_url is not None and urlsplit(self.store_url).scheme not in ("http", "https"):
            raise ConfigError(f"store URL {self.store_url!r} must be an http(s) URL")
        if self.query_engine not in ("copy", "checkpoint"):
            raise ConfigError("query engine must be 'copy' or 'checkpoint'")
        if self.query_copy_budget_bytes < 0:
            raise ConfigError("query_copy_budget_bytes must be >= 0")
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
        for attr, name in ENV_NAMES.items():
            raw = env.get(name)
            if raw is None or raw == "":
                continue
            values[attr] = _convert(name, raw, _KINDS[attr])
        return cls(**values)  # type: ignore[arg-type]


#: The ``PARLEY_*`` variable of each setting, by field: the one place the names are written.
#: Every field has one; ``service.cli`` takes its options' ``envvar`` from here.
ENV_NAMES: Mapping[str, str] = types.MappingProxyType(
    {
        "store_path": "PARLEY_STORE",
        "base_iri": "PARLEY_BASE_IRI",
        "journal": "PARLEY_JOURNAL",
        "host": "PARLEY_HOST",
        "port": "PARLEY_PORT",
        "data_dir": "PARLEY_DATA_DIR",
        "ontology_dir": "PARLEY_ONTOLOGY_DIR",
        "shapes_dir": "PARLEY_SHAPES_DIR",
        "read_only": "PARLEY_READ_ONLY",
        "write_token": "PARLEY_WRITE_TOKEN",
        "write_token_file": "PARLEY_WRITE_TOKEN_FILE",
        "editors_file": "PARLEY_EDITORS_FILE",
        "query_timeout_s": "PARLEY_QUERY_TIMEOUT",
        "query_workers": "PARLEY_QUERY_WORKERS",
        "query_engine": "PARLEY_QUERY_ENGINE",
        "query_copy_budget_bytes": "PARLEY_QUERY_COPY_BUDGET_BYTES",
        "max_concurrent_queries": "PARLEY_MAX_CONCURRENT_QUERIES",
        "max_result_rows": "PARLEY_MAX_RESULT_ROWS",
        "max_response_bytes": "PARLEY_MAX_RESPONSE_BYTES",
        "max_body_bytes": "PARLEY_MAX_BODY_BYTES",
        "max_literal_bytes": "PARLEY_MAX_LITERAL_BYTES",
        "rate_limit_per_minute": "PARLEY_RATE_LIMIT",
        "outbound_allow": "PARLEY_OUTBOUND_ALLOW",
        "threads": "PARLEY_THREADS",
        "max_change_streams": "PARLEY_MAX_CHANGE_STREAMS",
        "stop_abandoned_queries": "PARLEY_STOP_ABANDONED_QUERIES",
        "log_level": "PARLEY_LOG_LEVEL",
        "log_format": "PARLEY_LOG_FORMAT",
        "store_url": "PARLEY_STORE_URL",
        "store_update_url": "PARLEY_STORE_UPDATE_URL",
        "store_gsp_url": "PARLEY_STORE_GSP_URL",
        "store_user": "PARLEY_STORE_USER",
        "store_password": "PARLEY_STORE_PASSWORD",
        "store_token": "PARLEY_STORE_TOKEN",
        "store_timeout_param": "PARLEY_STORE_TIMEOUT_PARAM",
    }
)


def _kind(hint: object) -> str:
    """How a variable's text is read, from its field's type (``X | None`` as ``X``).

    >>> _kind(int | None), _kind(tuple[str, ...]), _kind(LogFormat), _kind(Path)
    ('int', 'list', 'str', 'path')
    """
    if typing.get_origin(hint) in (types.UnionType, typing.Union):
        hint = next(a for a in typing.get_args(hint) if a is not type(None))
    if typing.get_origin(hint) is Literal:
        return "str"
    if hint == tuple[str, ...]:
        return "list"
    kinds: dict[object, str] = {bool: "bool", int: "int", float: "float", Path: "path", str: "str"}
    if hint not in kinds:
        raise TypeError(f"no way to read a setting of type {hint!r} from the environment")
    return kinds[hint]


#: How each variable's text is read (``_convert``), from its field's type (a name in
#: ``ENV_NAMES`` that is no field fails here, at import).
_HINTS = typing.get_type_hints(Settings)
_KINDS = {field: _kind(_HINTS[field]) for field in ENV_NAMES}


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
