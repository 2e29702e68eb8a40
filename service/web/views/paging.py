"""Request parameters shared by the browsing pages."""

from __future__ import annotations

from flask import request

from service.errors import BadRequestError

#: Pages beyond this are refused: nobody reads them, and OFFSET costs grow with them.
MAX_PAGE = 10_000


def page_number() -> int:
    """``?page=N`` (1 when absent); 400 for anything but a whole number from 1."""
    raw = request.args.get("page", "1")
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_PAGE:
        raise BadRequestError(f"page must be a whole number from 1 to {MAX_PAGE}, not {raw!r}")
    return int(raw)
