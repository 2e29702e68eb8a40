"""The ``parley`` command: build, serve, query, validate, stats.

Every option that sets a ``Settings`` field also reads the field's ``PARLEY_*``
environment variable, named in one table (``service.settings.ENV_NAMES``) and
shown in ``--help``; flags win over the environment.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from service.cli._editors import editor_group, editors_file_option
from service.cli._running import (
    current_token,
    in_use_by,
    remove_server_file,
    second_server,
    serve_token,
    write_server_file,
    write_token,
)
from service.errors import ConfigError, ParleyError, ShapeViolationError, StoreInUseError
from service.settings import ENV_NAMES, Settings


def _settings(**flags: Any) -> Settings:
    return Settings.from_env().replace(**flags)


#: The store ``make run`` builds and serves: the commands that read a store (or write
#: through one) use it when they are run in the clone and no store is given.
CLONE_STORE = Path("var/store")


def _store_settings(**flags: Any) -> Settings:
    """Settings for a command that works on a store: ``--store``/``--store-url`` (or their
    variables), else ``var/store`` when it exists here (so the README's commands need no
    ``--store`` in the clone)."""
    settings = _settings(**flags)
    if settings.store_path is None and settings.store_url is None and CLONE_STORE.is_dir():
        return settings.replace(store_path=CLONE_STORE)
    return settings


def _check_model_dirs(settings: Settings) -> None:
    """Refuse to build from model directories that are not there (an empty store would be
    built without a word, e.g. by a `pip install .` run outside the clone)."""
    for flag, directory in (
        ("--ontology-dir", settings.ontology_dir),
        ("--shapes-dir", settings.shapes_dir),
        ("--data-dir", settings.data_dir),
    ):
        if not directory.is_dir():
            raise ConfigError(
                f"no model directory at {directory}: run parley in the project's clone, "
                f"or pass {flag}"
            )


def _fail(error: ParleyError) -> None:
    from service.gate import ValidationReport

    report = error.extras.get("report")
    click.echo(f"error: {error.detail}", err=True)
    if isinstance(report, ValidationReport):
        click.echo(report.text(), err=True)
    sys.exit(1 if isinstance(error, ShapeViolationError) else 2)


def setting(
    flag: str, field: str, **attrs: Any
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """An option that sets the ``Settings`` field ``field`` (its parameter name): from the
    flag, else from the field's ``PARLEY_*`` variable in ``ENV_NAMES``, shown in ``--help``."""
    return click.option(flag, field, envvar=ENV_NAMES[field], show_envvar=True, **attrs)


def store_option(f: Callable[..., Any]) -> Callable[..., Any]:
    """The store: a directory (embedded Oxigraph), or a remote SPARQL store."""
    credentials = (
        f"{ENV_NAMES['store_user']}/{ENV_NAMES['store_password']} or {ENV_NAMES['store_token']}"
    )
    remote = [
        ("--store-url", "store_url",
         "Remote SPARQL store's query endpoint (an Oxigraph server: http://HOST:PORT/sparql); "
         f"replaces --store. Credentials: {credentials}."),
        ("--store-update-url", "store_update_url",
         "Remote store's update endpoint, when it is not the query endpoint."),
        ("--store-gsp-url", "store_gsp_url",
         "Remote store's Graph Store Protocol endpoint, for faster bulk loads."),
        ("--store-timeout-param", "store_timeout_param",
         "Name of the remote store's per-query time-limit parameter (Fuseki: timeout)."),
    ]  # fmt: skip
    for flag, field, text in reversed(remote):
        f = setting(flag, field, help=text)(f)
    return setting(
        "--store",
        "store_path",
        type=click.Path(path_type=Path, file_okay=False),
        help="Directory of the Oxigraph store.",
    )(f)


def token_file_option(f: Callable[..., Any]) -> Callable[..., Any]:
    return setting(
        "--write-token-file",
        "write_token_file",
        type=click.Path(path_type=Path, dir_okay=False),
        help="File that keeps the bearer token for writes; `parley serve` makes it (mode "
        f"0600) when it is missing. {ENV_NAMES['write_token']} wins over it.  "
        "[default: STORE.token, beside the store directory]",
    )(f)


def journal_option(f: Callable[..., Any]) -> Callable[..., Any]:
    return setting(
        "--journal",
        "journal",
        type=click.Path(path_type=Path, file_okay=False),
        help="Directory of the journal of accepted writes, which `parley build` replays.  "
        "[default: STORE.journal, beside the store directory; none for --store-url]",
    )(f)


def literal_option(f: Callable[..., Any]) -> Callable[..., Any]:
    return setting(
        "--max-literal-bytes",
        "max_literal_bytes",
        type=int,
        help="Bytes of one written literal at most (the write is refused past it).  "
        "[default: 1 MiB]",
    )(f)


def base_option(f: Callable[..., Any]) -> Callable[..., Any]:
    return setting(
        "--base-iri",
        "base_iri",
        help="The server's own URL; relative IRIs in ontology/, shapes/ and data/ "
        "resolve against it.  [default: http://127.0.0.1:8000/]",
    )(f)


class _HostList(click.ParamType[str, object]):
    """A host name; the environment variable lists them separated by commas (as
    ``Settings.from_env`` reads it), not by spaces."""

    name = "host"
    envvar_list_splitter = ","

    def convert(
        self, value: object, param: click.Parameter | None, ctx: click.Context | None
    ) -> str:
        return str(value).strip()


@click.group()
@click.version_option(package_name="parley")
def main() -> None:
    """Parley: a knowledge graph of who claims what."""


class _Ticker:
    """Prints a stage's elapsed time every few seconds while it runs."""

    def __init__(self) -> None:
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def __call__(self, stage: str, event: str) -> None:
        if event == "start":
            click.echo(f"{stage} ...", err=True)
            self._stop.clear()
            started = time.perf_counter()

            def tick() -> None:
                while not self._stop.wait(5):
                    click.echo(f"  {stage}: {time.perf_counter() - started:.0f} s", err=True)

            self._thread = threading.Thread(target=tick, daemon=True)
            self._thread.start()
        elif event == "progress":  # a stage's own progress line (a remote load's batches)
            click.echo(f"  {stage}", err=True)
        else:
            self._stop.set()


@main.command()
@store_option
@base_option
@setting(
    "--data-dir",
    "data_dir",
    type=click.Path(path_type=Path, file_okay=False),
)
@setting(
    "--ontology-dir",
    "ontology_dir",
    type=click.Path(path_type=Path, file_okay=False),
)
@setting(
    "--shapes-dir",
    "shapes_dir",
    type=click.Path(path_type=Path, file_okay=False),
)
@journal_option
@click.option(
    "--no-replay",
    is_flag=True,
    help="Do not replay the journal: the new store DROPS every write made through the "
    "server or `parley load` (the journal keeps them: a build without it brings them back).",
)
def build(no_replay: bool, **flags: Any) -> None:
    """Validate data/ against shapes/, reason with the ontology, and write the store;
    then replay the journal of accepted writes onto it, each through the write gate
    again (a write that no longer passes is set aside in the journal's directory).

    On a violation the report is printed, the exit status is 1 and any
    existing store is left untouched.
    """
    from service.build import build as run_build

    try:
        settings = _settings(**flags)
        _check_model_dirs(settings)
        summary = run_build(settings, progress=_Ticker(), replay_journal=not no_replay)
    except ParleyError as error:
        _fail(error)
        return
    click.echo(summary.text())
    where = settings.store_url or settings.store_path
    click.echo(f"Store written to {where} for base IRI {settings.base_iri}")


@main.command()
@store_option
@base_option
@setting(
    "--host",
    "host",
    help="Interface to listen on.  [default: 127.0.0.1]",
)
@setting(
    "--port",
    "port",
    type=int,
    help="Port to listen on.  [default: 8000]",
)
@setting(
    "--read-only",
    "read_only",
    is_flag=True,
    default=None,
    help="Refuse every write with 403.",
)
@token_file_option
@editors_file_option
@journal_option
@setting(
    "--query-timeout",
    "query_timeout_s",
    type=float,
    help="Seconds a query may run before it is stopped.  [default: 30]",
)
@setting(
    "--query-workers",
    "query_workers",
    type=int,
    help="Client queries evaluated at once, on threads of the query process (0: in the web "
    "process, with no hard time limit).  [default: 4]",
)
@setting(
    "--query-engine",
    "query_engine",
    type=click.Choice(["copy", "checkpoint"]),
    help="What evaluates queries on the embedded store: query processes forked from an "
    "in-memory copy (copy), or workers on checkpoints of the store on disk (checkpoint).  "
    "[default: copy]",
)
@setting(
    "--query-copy-budget-bytes",
    "query_copy_budget_bytes",
    type=int,
    help="Bytes the copy engine's in-memory copy of the store may take (estimated at start); "
    "a larger store is served by the checkpoint engine.  [default: 2 GiB]",
)
@setting(
    "--max-concurrent-queries",
    "max_concurrent_queries",
    type=int,
    help="Queries admitted at once; past it clients get 503 + Retry-After.  [default: 8]",
)
@setting(
    "--max-result-rows",
    "max_result_rows",
    type=int,
    help="Rows (solutions or triples) of an answer at most; a cut answer says so.  "
    "[default: 100000]",
)
@setting(
    "--max-response-bytes",
    "max_response_bytes",
    type=int,
    help="Bytes of an answer at most.  [default: 64 MiB]",
)
@setting(
    "--max-body-bytes",
    "max_body_bytes",
    type=int,
    help="Bytes of a request body at most (413 past it).  [default: 16 MiB]",
)
@literal_option
@setting(
    "--rate-limit",
    "rate_limit_per_minute",
    type=int,
    help="Requests per minute per client address to /sparql and /store (0: off).  [default: 0]",
)
@setting(
    "--outbound-allow",
    "outbound_allow",
    type=_HostList(),
    multiple=True,
    help="A host SERVICE and LOAD may fetch from (repeatable; the variable takes a "
    "comma-separated list). Default: none, no outbound request at all.",
)
@setting(
    "--threads",
    "threads",
    type=int,
    help="Request threads, besides one per admitted query and guarded job.  [default: 8]",
)
@setting(
    "--max-change-streams",
    "max_change_streams",
    type=int,
    help="Live streams of GET /changes (Server-Sent Events) open at once, each on a thread "
    "of its own; past it clients get 503 + Retry-After (0: none).  [default: 2]",
)
@setting(
    "--stop-abandoned-queries/--keep-abandoned-queries",
    "stop_abandoned_queries",
    default=None,
    help="Stop a query whose client hangs up (its admission slot and core freed at once), "
    "or run it on to its answer or its time limit, which saves about 0.5 ms of CPU per "
    "request.  [default: stop]",
)
@setting(
    "--log-format",
    "log_format",
    type=click.Choice(["text", "json"]),
)
@setting("--log-level", "log_level")
def serve(outbound_allow: tuple[str, ...], **flags: Any) -> None:
    """Serve the store over HTTP (SPARQL endpoint, pages, writes)."""
    if outbound_allow:
        flags["outbound_allow"] = tuple(host for host in outbound_allow if host)
    from service.logsetup import configure_logging
    from service.web import serve as run_server

    try:
        settings = _settings(**flags)
        configure_logging(settings.log_level, settings.log_format)
        store_words = _check_store(settings)  # fail fast, before the HTTP server starts
        settings, token_note = serve_token(settings)
    except StoreInUseError:
        _fail(second_server(_settings(**flags)))
        return
    except ParleyError as error:
        _fail(error)
        return
    if token_note:
        click.echo(token_note, err=True)
    if store_words:
        click.echo(f"store: {store_words}", err=True)
    click.echo(
        f"Serving {settings.store_url or settings.store_path} on http://{settings.host}:{settings.port}/",
        err=True,
    )
    server_file = write_server_file(settings)
    try:
        run_server(settings)
    finally:
        if server_file is not None:
            remove_server_file(server_file)


def _open_and_close(settings: Settings) -> tuple[str, str] | str | None:
    """The store's failure (its error's class name and detail), or a remote store's engine
    in words (what it cannot do that Parley needs), or ``None``."""
    from service.rdf import Vocab
    from service.store import RemoteStore, open_store

    try:
        store = open_store(settings, Vocab(settings.base_iri), verify=True)
        try:
            return store.client.engine.describe() if isinstance(store, RemoteStore) else None
        finally:
            store.close()
    except ParleyError as error:
        return type(error).__name__, error.detail


def _check_store(settings: Settings) -> str | None:
    """Open the store once in a child process, so a bad store fails before the server starts;
    a remote store's engine in words (``Engine.describe``), said at start-up.

    Not in this process: the HTTP server forks its worker from it, and RocksDB's background
    threads do not survive a fork (the worker's store would then hang on its first flush).
    The child is forked, not spawned: this process holds no store and no thread yet, and a
    spawned child would import Parley again (a second of a start's three).
    """
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    from service import errors

    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("fork")) as pool:
        failed = pool.submit(_open_and_close, settings).result()
    if isinstance(failed, tuple):
        cls = getattr(errors, failed[0], ParleyError)
        raise cls(failed[1])
    return failed


@main.command()
@click.argument("sparql")
@store_option
@base_option
@click.option(
    "--format",
    "fmt",
    help="Print the answer in this format (json, xml, csv, tsv, turtle, ntriples, jsonld, ...) "
    "instead of a table.",
)
def query(sparql: str, fmt: str | None, **flags: Any) -> None:
    """Run a SPARQL query against the store and print the answer."""
    from service.cli._query import run_query

    try:
        click.echo(run_query(_store_settings(**flags), sparql, fmt), nl=False)
    except ParleyError as error:
        _fail(error)


@main.command()
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@store_option
@base_option
def validate(file: Path, **flags: Any) -> None:
    """Validate an RDF file against the shapes, in the context of the store; exit 1 on violation."""
    from service.cli._via_server import validate_via
    from service.cli._write import validate_file

    settings = _store_settings(**flags)
    try:
        try:
            report, note = validate_file(settings, file)
        except StoreInUseError as in_use:
            report, note = validate_via(in_use_by(settings, in_use), file), None
    except ParleyError as error:
        _fail(error)
        return
    if note:
        click.echo(note, err=True)
    click.echo(report.text())
    sys.exit(0 if report.conforms else 1)


@main.command()
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.option(
    "--graph",
    required=True,
    help="The graph to write into, relative to the base IRI: graph/reference, graph/editorial, "
    "graph/claims/<source>; or store/<name> or an IRI outside the base (yours, not validated).",
)
@click.option("--dry-run", is_flag=True, help="Validate and report; write nothing.")
@store_option
@base_option
@token_file_option
@journal_option
@literal_option
def load(file: Path, graph: str, dry_run: bool, **flags: Any) -> None:
    """Validate an RDF file in the context of the store and write it; exit 1 on violation."""
    import json

    from service.cli._via_server import load_via
    from service.cli._write import load_file

    settings = _store_settings(**flags)
    try:
        try:
            outcome = load_file(settings, file, graph, dry_run=dry_run).to_json()
        except StoreInUseError as in_use:  # the server writes it, with the kept token
            server = in_use_by(settings, in_use)
            token = write_token(settings)
            outcome = load_via(server, file, graph, dry_run=dry_run, token=token)
    except ParleyError as error:
        _fail(error)
        return
    click.echo(json.dumps(outcome, indent=1))


@main.command()
@click.argument("source", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.option(
    "--meta",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    required=True,
    help="JSON object of the source's fields (as POST /sources).",
)
@click.option(
    "--claims",
    "claims_csv",
    required=True,
    help="CSV of claims, one a row.",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
)
@click.option("--dry-run", is_flag=True, help="Check and report; write nothing.")
@store_option
@base_option
@token_file_option
@journal_option
@literal_option
def ingest(source: Path, meta: Path, claims_csv: Path, dry_run: bool, **flags: Any) -> None:
    """Import a source's text and a CSV of its claims in one validated change; report each
    row left out and why (exit 0: all taken, 1: some refused, 2: nothing written)."""
    from service.cli import _ingest

    settings = _store_settings(**flags)
    try:
        batch = _ingest.read_files(source, meta, claims_csv)
        try:
            report = _ingest.ingest_here(settings, batch, dry_run=dry_run)
        except StoreInUseError as in_use:  # the server imports it, with the kept token
            server, token = in_use_by(settings, in_use), write_token(settings)
            report = _ingest.ingest_via(server, batch, dry_run=dry_run, token=token)
    except ParleyError as error:
        click.echo(f"error: {error.detail}", err=True)
        sys.exit(2)
    click.echo(_ingest.report_text(report, dry_run=dry_run))
    sys.exit(_ingest.exit_code(report))


@main.command()
@store_option
@base_option
def stats(**flags: Any) -> None:
    """Triples per graph, instances per class, and the store's size."""
    from service.cli._query import store_stats

    try:
        click.echo(store_stats(_store_settings(**flags)))
    except ParleyError as error:
        _fail(error)


@main.command()
@store_option
@token_file_option
def token(**flags: Any) -> None:
    """Print the write token `parley serve` takes (made and kept beside the store if there
    is none yet), for clients: curl -H "Authorization: Bearer $(parley token)" ..."""
    try:
        click.echo(current_token(_store_settings(**flags)))
    except ParleyError as error:
        _fail(error)


main.add_command(editor_group(_store_settings, _fail, store_option, base_option))
