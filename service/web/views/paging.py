"""Request parameters shared by the browsing pages, and the IRIs clients write."""

from __future__ import annotations

from flask import request

from service.errors import BadRequestError, ParleyError
from service.rdf import NamedNode

#: Pages beyond this are refused: nobody reads them, and OFFSET costs grow with them.
MAX_PAGE = 10_000


def page_number() -> int:
    """``?page=N`` (1 when absent); 400 for anything but a whole number from 1."""
    raw = request.args.get("page", "1")
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_PAGE:
        raise BadRequestError(f"page must be a whole number from 1 to {MAX_PAGE}, not {raw!r}")
    return int(raw)


def client_iri(value: str, refusal: ParleyError) -> NamedNode:
    """The IRI a client wrote (in a path or a parameter), or ``refusal`` raised when the
    store would not take it as one (``<``, spaces, control characters): a 400, or a 404
    for a path no IRI can have, never the store's ``ValueError`` as a 500."""
    try:
        return NamedNode(value)
    except ValueError:
        raise refusal from None
