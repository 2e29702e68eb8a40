"""Requests the server would make to other hosts: refused unless a host is allow-listed.

pyoxigraph fetches any URL a query's ``SERVICE`` or an update's ``LOAD`` names,
which on a public endpoint lets anyone make the server call internal addresses
(SSRF). Parley therefore looks at the text before evaluation
(``sparql_text.remote_iris``) and refuses every remote IRI whose host is not in
``Settings.outbound_allow`` (empty by default: no outbound request at all), and
every ``SERVICE ?var`` (it could name anything).
"""

from __future__ import annotations

import urllib.request
from collections.abc import Iterable
from urllib.parse import urlsplit

from service.errors import OutboundRequestError, UpdateFailedError
from service.rdf import remote_iris


def check_outbound(text: str, allow: Iterable[str]) -> None:
    """Refuse a query or update that would fetch from a host not allow-listed.

    >>> check_outbound("SELECT * { ?s ?p ?o }", ())
    >>> check_outbound("LOAD <http://10.0.0.1/x.ttl>", ())
    Traceback (most recent call last):
    ...
    service.errors.OutboundRequestError: LOAD/SERVICE of <http://10.0.0.1/x.ttl> is refused: ...
    >>> check_outbound("SELECT * { SERVICE <http://data.example/sparql> {} }", ["data.example"])
    """
    allowed = {host.lower() for host in allow}
    for iri in remote_iris(text):
        if iri.startswith(("?", "$")):
            raise OutboundRequestError(
                f"SERVICE {iri} is refused: the endpoint to call must be a fixed IRI of an "
                "allow-listed host, never a variable",
                iri=iri,
            )
        host = (urlsplit(iri).hostname or "").lower()
        if host not in allowed:
            hint = (
                "this server makes no outbound requests (no --outbound-allow hosts)"
                if not allowed
                else "allowed hosts: " + ", ".join(sorted(allowed))
            )
            raise OutboundRequestError(
                f"LOAD/SERVICE of <{iri}> is refused: {hint}", iri=iri, host=host
            )


def fetch(url: str, *, max_bytes: int, timeout_s: float) -> tuple[bytes, str | None]:
    """Download an allow-listed document for ``LOAD``: its bytes and Content-Type.

    :raises UpdateFailedError: the download failed or was larger than ``max_bytes``.
    """
    request = urllib.request.Request(url, headers={"Accept": "text/turtle, application/n-triples"})
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as response:
            data = response.read(max_bytes + 1)
            content_type = response.headers.get("Content-Type")
    except OSError as exc:
        raise UpdateFailedError(f"LOAD <{url}> failed: {exc}") from exc
    if len(data) > max_bytes:
        raise UpdateFailedError(f"LOAD <{url}> is larger than {max_bytes} bytes")
    return data, content_type
