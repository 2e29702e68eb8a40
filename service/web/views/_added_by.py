"""The pages' "added by <name> on <date>": a template global over ``service.editing``."""

from __future__ import annotations

from service.editing import Addition, added_by
from service.rdf import NamedNode
from service.web._services import services


def added_by_global(subject: NamedNode | str) -> Addition | None:
    """The write that added ``subject`` (its record, editor and time), for a page's header;
    ``None`` for what the build loaded."""
    node = subject if isinstance(subject, NamedNode) else NamedNode(subject)
    return added_by(services().store, node)
