"""What an editing request asks for, read the same way by every editing door: a dry run,
and a JSON answer rather than a page."""

from __future__ import annotations

from flask import request

from service.errors import BadRequestError

_TRUE, _FALSE = ("true", "1", "yes", "on"), ("false", "0", "no", "off")


def dry_run_flag(value: str | None) -> bool:
    """``dry-run=...`` as a boolean; anything but a yes or a no is a 400.

    >>> dry_run_flag(None), dry_run_flag(" Yes "), dry_run_flag("0")
    (False, True, False)
    """
    text = (value or "false").strip().lower()
    if text not in (*_TRUE, *_FALSE):
        raise BadRequestError(f"dry-run must be true or false, not {text!r}")
    return text in _TRUE


def wants_json() -> bool:
    """A JSON body, or an ``Accept`` that ranks JSON before HTML (``*/*`` does): a program;
    a browser's form post ranks HTML first."""
    if request.is_json:
        return True
    return request.accept_mimetypes.best_match(["application/json", "text/html"]) == (
        "application/json"
    )
