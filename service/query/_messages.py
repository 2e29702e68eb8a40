"""The messages between the web process and the processes that evaluate for it.

Small ``NamedTuple``s: they pickle almost as cheaply as bare tuples (a class
reference and the fields), and give the protocol types and names where it
used to have string tags and positions. A reply is one of ``Answered``,
``Chunk``, ``End`` and ``Failed``; ``Gone``, ``Retired`` and ``Abandoned`` are what
the web process tells itself when a process died or takes no more work, or when the
query's client went.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from service.errors import ParleyError, error_class, json_safe


class Answered(NamedTuple):
    """The head of an answer: its format, size and cut, and the body when it fits in one
    message (``None``: ``Chunk``s follow, then ``End``)."""

    format_name: str
    rows: int
    truncated: str | None
    size: int
    body: bytes | None


class Chunk(NamedTuple):
    """A piece of a large answer's body."""

    data: bytes


class End(NamedTuple):
    """The last piece of a large answer has been sent."""


class Failed(NamedTuple):
    """The work failed with a ``ParleyError``: its class name, detail and evidence."""

    error: str
    detail: str
    extras: dict[str, Any]

    @classmethod
    def of(cls, exc: ParleyError) -> Failed:
        return cls(type(exc).__name__, exc.detail, json_safe(exc.extras))

    def exception(self) -> ParleyError:
        """The error again, in the web process.

        >>> Failed("QuerySyntaxError", "bad", {"line": 1}).exception().extras
        {'line': 1}
        """
        return error_class(self.error)(self.detail, **self.extras)


class Done(NamedTuple):
    """A command or a job succeeded; ``value`` is its result."""

    value: Any


class Ready(NamedTuple):
    """A new worker has imported what its jobs need and takes work."""


class Fork(NamedTuple):
    """To the zygote: fork a query process serving the copy (its control socket follows)."""


class Forked(NamedTuple):
    """From the zygote: the new query process."""

    pid: int


class Load(NamedTuple):
    """To the zygote: replace the copy with an N-Quads export of the store."""

    nquads: str
    graphs: list[Any]


class Apply(NamedTuple):
    """To the zygote: bring the copy forward by these commits' updates, oldest first."""

    updates: list[str]


class Gone(NamedTuple):
    """The process died (killed at a limit, or crashed) before it answered."""


class Retired(NamedTuple):
    """The process takes no more work (a newer version of the store is served)."""


class Abandoned(NamedTuple):
    """The query's client went before its answer came (``service.query._runner``)."""


Reply = Answered | Chunk | End | Failed
Command = Fork | Load | Apply
