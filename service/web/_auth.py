"""Who may write: the bearer token, the read-only switch, and the writing agent.

Writes need ``Authorization: Bearer <token>`` (the token of ``PARLEY_WRITE_TOKEN``
or ``--write-token-file``); a read-only server refuses every write with 403.
The agent recorded in provenance is derived from the token (a fingerprint,
never the token itself).
"""

from __future__ import annotations

import hashlib
import hmac

from service.errors import AuthenticationError, ReadOnlyError
from service.rdf import Vocab
from service.settings import Settings


def agent_for_token(token: str, vocab: Vocab) -> str:
    """The IRI of the agent holding ``token``.

    >>> agent_for_token("secret", Vocab("http://h/"))
    'http://h/id/agent/token-2bb80d53'
    """
    fingerprint = hashlib.sha256(token.encode("utf-8")).hexdigest()[:8]
    return f"{vocab.base}id/agent/token-{fingerprint}"


def require_write_access(authorization: str | None, settings: Settings) -> str:
    """Check a request's Authorization header; return the writing agent's IRI.

    :raises ReadOnlyError: the server is read-only (403).
    :raises AuthenticationError: the token is missing or wrong (401).
    """
    if settings.read_only:
        raise ReadOnlyError("this server is read-only (--read-only); it accepts no writes")
    expected = settings.write_token
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthenticationError(
            "writes need an 'Authorization: Bearer <token>' header with the server's write token"
        )
    if expected is None or not hmac.compare_digest(token.strip().encode(), expected.encode()):
        raise AuthenticationError("the bearer token is not this server's write token")
    return agent_for_token(token.strip(), Vocab(settings.base_iri))
