"""What an editing request asks for, read the same way by every editing door: its fields
(JSON or a form), a dry run, and a JSON answer rather than a page."""

from __future__ import annotations

from typing import Any

from flask import request

from service.errors import BadRequestError, UnsupportedMediaTypeError

#: The media types of a browser's form post.
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")

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


def editing_body(what: str = "the fields") -> tuple[dict[str, list[str]], Any, bool]:
    """The posted values (a form: name -> values; ``{}`` for JSON), the JSON payload (or
    ``None`` for a form), and whether it asks for a dry run (``?dry-run=``, or a form's
    ``dry-run`` field).

    :raises UnsupportedMediaTypeError: neither JSON nor a form (415).
    """
    if request.is_json:
        return {}, request.get_json(silent=True), dry_run_flag(request.args.get("dry-run"))
    if request.mimetype in FORM_TYPES:
        values = request.form.to_dict(flat=False)
        dry_run = dry_run_flag(request.args.get("dry-run") or request.form.get("dry-run"))
        return values, None, dry_run
    raise UnsupportedMediaTypeError(
        f"send {what} as JSON (application/json) or as a form "
        "(application/x-www-form-urlencoded or multipart/form-data)",
        accepted=["application/json", *FORM_TYPES],
    )
