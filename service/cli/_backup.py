"""``parley dump`` and ``parley restore`` (the click commands; the work is
``service.build``'s). Registered on ``main`` by ``service.cli``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from service.cli._main import _fail, _store_settings, base_option, store_option
from service.errors import ParleyError


@click.command()
@click.argument("file", required=False, type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["trig", "nquads"]),
    help="Format of the dump.  [default: from FILE's suffix (.nq: nquads), else trig]",
)
@store_option
@base_option
def dump(file: Path | None, fmt: str | None, **flags: Any) -> None:
    """Write every graph of the store (data, model, inferences, provenance) to FILE, or to
    standard output when FILE is - or missing. Stop `parley serve` first."""
    from service.build import dump as read_dump
    from service.build import dump_format, write_dump

    target = None if file is None or str(file) == "-" else file
    try:
        data = read_dump(_store_settings(**flags), dump_format(fmt, target))
        if target is None:
            sys.stdout.buffer.write(data)
            sys.stdout.buffer.flush()
        else:
            write_dump(data, target)
    except ParleyError as error:
        _fail(error)


@click.command()
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.option("--force", is_flag=True, help="Replace a store that is not empty.")
@store_option
@base_option
def restore(file: Path, force: bool, **flags: Any) -> None:
    """Load a dump (TriG or N-Quads) as the whole store: into a new or empty store
    directory, or over a full one with --force. Stop `parley serve` first."""
    from service.build import restore as run_restore

    try:
        settings = _store_settings(**flags)
        count, base = run_restore(settings, file, force=force)
    except ParleyError as error:
        _fail(error)
        return
    where = settings.store_url or settings.store_path
    built = f"; serve it with --base-iri {base}" if base else ""
    click.echo(f"Restored {count} quads into {where}{built}")
