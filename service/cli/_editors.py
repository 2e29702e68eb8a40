"""``parley editor add | list | revoke``: the editors and their tokens.

The registry is a file beside the store (``<store>.editors``, or ``--editors-file``);
these commands change it directly, so they work while ``parley serve`` runs (the server
reads the file again when it changes). A new editor's token is printed once: the file
keeps only its scrypt hash.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from service.errors import ConfigError, ParleyError
from service.settings import ENV_NAMES, Settings

if TYPE_CHECKING:
    from service.editing import Registry

Decorator = Callable[[Callable[..., Any]], Callable[..., Any]]


def editors_file_option(f: Callable[..., Any]) -> Callable[..., Any]:
    """``--editors-file`` (``Settings.editors_file``)."""
    return click.option(
        "--editors-file",
        "editors_file",
        envvar=ENV_NAMES["editors_file"],
        show_envvar=True,
        type=click.Path(path_type=Path, dir_okay=False),
        help="File that keeps the editors (names and token hashes; `parley editor add`) and, "
        "beside it, their sign-in sessions.  [default: STORE.editors, beside the store "
        "directory]",
    )(f)


def editor_group(
    settings_of: Callable[..., Settings], fail: Callable[[ParleyError], None], *options: Decorator
) -> click.Group:
    """The ``editor`` command group; ``options`` (the store and base IRI options) and
    ``settings_of`` (flags -> settings) are the main command's, so they read the same
    variables and defaults as every other command."""

    def with_options(f: Callable[..., Any]) -> Callable[..., Any]:
        for option in (*options, editors_file_option):
            f = option(f)
        return f

    def registry(flags: dict[str, Any]) -> tuple[Registry, Settings]:
        from service.editing import Registry, editors_file  # see service.cli: imports light

        settings = settings_of(**flags)
        path = editors_file(settings)
        if path is None:
            raise ConfigError(
                "no store given (and no var/store here): pass --store DIR, or --editors-file "
                "FILE for a server on a remote store"
            )
        return Registry(path), settings

    @click.group()
    def editor() -> None:
        """Editors: people who write with tokens of their own (the server's write token
        stays the administrator's)."""

    @editor.command()
    @click.argument("name")
    @with_options
    def add(name: str, **flags: Any) -> None:
        """Add an editor named NAME and print their token, once (only its hash is kept).
        The editor signs in at /sign-in with it, or sends it as a bearer token."""
        try:
            kept, settings = registry(flags)
            added, token = kept.add(name)
        except ParleyError as error:
            fail(error)
            return
        click.echo(f"Editor {added.id} ({added.name}): {added.iri(settings.base_iri)}", err=True)
        click.echo("Token (shown once; keep it secret, give it to the editor):", err=True)
        click.echo(token)

    @editor.command("list")
    @with_options
    def list_editors(**flags: Any) -> None:
        """List the editors: id, name, IRI, when added, when revoked."""
        try:
            kept, settings = registry(flags)
            editors = kept.editors()
        except ParleyError as error:
            fail(error)
            return
        if not editors:
            click.echo(f"No editors in {kept.path} (add one: parley editor add NAME)", err=True)
            return
        rows = [("ID", "NAME", "IRI", "CREATED", "REVOKED")]
        rows += [
            (
                e.id,
                e.name,
                e.iri(settings.base_iri),
                e.created.strftime("%Y-%m-%d %H:%M"),
                e.revoked.strftime("%Y-%m-%d %H:%M") if e.revoked else "-",
            )
            for e in editors
        ]
        widths = [max(len(row[i]) for row in rows) for i in range(4)]
        for row in rows:
            cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
            click.echo("  ".join([*cells, row[4]]))

    @editor.command()
    @click.argument("editor_id", metavar="ID")
    @with_options
    def revoke(editor_id: str, **flags: Any) -> None:
        """Revoke the editor ID: their token and sessions stop working at once (a running
        server sees it with no restart). They stay listed: their past writes name them."""
        try:
            from service.editing import Sessions

            kept, _settings = registry(flags)
            revoked = kept.revoke(editor_id)
            ended = Sessions(kept).end_all(editor_id)
        except ParleyError as error:
            fail(error)
            return
        assert revoked.revoked is not None
        when = f"{revoked.revoked:%Y-%m-%d %H:%M} UTC"
        click.echo(
            f"Editor {revoked.id} ({revoked.name}) revoked at {when}; {ended} session(s) ended"
        )

    return editor
