"""Every error Parley reports to a client, as one typed tree.

The HTTP status, title and problem-type slug live on the class; the detail and
any evidence (a position in a query, a validation report) on the instance.
``service.web._problems`` turns any of them into an RFC 9457 problem response, and
the CLI turns them into a message and an exit code. Engine errors
(pyoxigraph's ``SyntaxError``/``OSError``, pyshacl's, owlrl's) are translated
into these at the one module that imports each engine.

::

    ParleyError (500)
    ├── BadRequestError (400)
    │   ├── QuerySyntaxError          a SPARQL query or update does not parse
    │   ├── QueryCrashedError         evaluating the query alone crashed its process
    │   ├── RdfSyntaxError            an RDF body or file does not parse
    │   ├── ShapesError               a client's shapes cannot be used
    │   ├── ProtocolError             a SPARQL/GSP protocol rule is broken
    │   ├── GraphNameError            a graph under the base that is not one of Parley's
    │   └── UpdateFailedError         an update operation cannot apply (CREATE of an existing graph)
    │       └── RemoteStoreLimitError a change a remote store cannot be told to make
    ├── AuthenticationError (401)     no or wrong bearer token for a write
    ├── ForbiddenError (403)
    │   ├── ReadOnlyError             the server was started with --read-only
    │   ├── OutboundRequestError      SERVICE/LOAD of a host not allow-listed
    │   ├── ProtectedGraphError       a write to a graph only the pipeline writes
    │   ├── CsrfError                 a signed-in browser's post without its CSRF token
    │   └── OntologyStatementError    a write states the model outside the ontology graph
    ├── NotFoundError (404)
    │   ├── EntityNotFoundError       no triple mentions the IRI
    │   └── GraphNotFoundError        the named graph does not exist
    ├── MethodNotAllowedError (405)
    ├── NotAcceptableError (406)      no supported format fits Accept
    ├── ClaimWithdrawnError (409)     an edit or a retraction of a claim already withdrawn
    ├── PayloadTooLargeError (413)
    ├── UnsupportedMediaTypeError (415)
    ├── ShapeViolationError (422)     the write breaks the shapes; carries the report
    ├── TooManyRequestsError (429)
    ├── ClientGoneError (499)         the client hung up; its query was stopped
    ├── ServiceUnavailableError (503)
    │   ├── QueryTimeoutError         the query ran past its time limit and was stopped
    │   ├── ValidationTimeoutError    a validation ran past its time limit and was stopped
    │   ├── OverloadedError           too many queries at once
    │   ├── StoreUnavailableError     the store (local or remote) cannot be reached
    │   │   ├── StoreAnswerError      a remote store's answer broke off mid-way
    │   │   ├── StoreLoadingError     the query processes' copy of the store is loading
    │   │   └── HalfWrittenError      a commit applied in part waits to be completed
    │   └── WriteConflictError        other replicas kept writing first; try again
    ├── StoreError (500)              the store failed
    └── ConfigError (500)             invalid settings, raised at start-up
        ├── UnsupportedOntologyError  the reasoner cannot follow the ontology
        └── UnsupportedShapeError     the gate cannot follow what a shape reads
"""

from __future__ import annotations

import json
from typing import Any, ClassVar


class ParleyError(Exception):
    """Base of every error the service reports to a client."""

    status: ClassVar[int] = 500
    title: ClassVar[str] = "Internal error"
    slug: ClassVar[str] = "internal"

    def __init__(self, detail: str, **extras: Any) -> None:
        super().__init__(detail)
        #: A sentence a person can act on.
        self.detail = detail
        #: Evidence that travels with the error (position, report, allowed formats, ...).
        self.extras: dict[str, Any] = extras
        #: Extra response headers (``Retry-After``, ``WWW-Authenticate``, ``Allow``).
        self.headers: dict[str, str] = {}
        if "retryAfter" in extras:  # the problem's member and the header say the same
            self.headers["Retry-After"] = str(extras["retryAfter"])


class BadRequestError(ParleyError):
    """The request is malformed."""

    status = 400
    title = "Bad request"
    slug = "bad-request"


class QuerySyntaxError(BadRequestError):
    """A SPARQL query or update does not parse; ``extras`` may hold line and column."""

    title = "SPARQL syntax error"
    slug = "sparql-syntax"


class QueryCrashedError(BadRequestError):
    """Evaluating the query crashed the query process when it ran alone there (the engine
    overflowed its stack, say); it is not run again."""

    title = "Query crashed the engine"
    slug = "query-crashed"


class RdfSyntaxError(BadRequestError):
    """An RDF document does not parse; ``extras`` may hold line and column."""

    title = "RDF syntax error"
    slug = "rdf-syntax"


class ShapesError(BadRequestError):
    """Shapes a client sent cannot be used (a SPARQL constraint that does not parse, a
    malformed shape)."""

    title = "Unusable shapes"
    slug = "invalid-shapes"


class ProtocolError(BadRequestError):
    """A rule of the SPARQL Protocol or the Graph Store Protocol is broken."""

    title = "Protocol error"
    slug = "protocol"


class GraphNameError(BadRequestError):
    """A write names a graph under the server's base IRI that is not one of Parley's
    (a mistyped or relative name, ``claims/article`` for ``graph/claims/article``);
    the detail suggests the nearest one. Graphs outside the base are the client's own."""

    title = "Not one of Parley's graphs"
    slug = "graph-name"


class UpdateFailedError(BadRequestError):
    """A SPARQL Update operation cannot be applied (e.g. CREATE of a graph that exists,
    DROP of one that does not, without SILENT); nothing of the request was written."""

    title = "Update failed"
    slug = "update-failed"


class RemoteStoreLimitError(UpdateFailedError):
    """The change cannot be expressed to a remote store over the SPARQL protocols (a stored
    blank node cannot be named in an update); nothing was written."""

    title = "Not possible on a remote store"
    slug = "remote-store-limit"


class AuthenticationError(ParleyError):
    """A write came without the bearer token, or with a wrong one."""

    status = 401
    title = "Authentication required"
    slug = "unauthenticated"

    def __init__(self, detail: str, **extras: Any) -> None:
        super().__init__(detail, **extras)
        self.headers["WWW-Authenticate"] = 'Bearer realm="parley"'


class ForbiddenError(ParleyError):
    """The request is understood and refused."""

    status = 403
    title = "Forbidden"
    slug = "forbidden"


class ReadOnlyError(ForbiddenError):
    """The server runs read-only and refuses every write."""

    title = "Read-only server"
    slug = "read-only"


class OutboundRequestError(ForbiddenError):
    """A query or update asked the server to fetch a URL from a host not allow-listed."""

    title = "Outbound request refused"
    slug = "outbound-request"


class ProtectedGraphError(ForbiddenError):
    """A client tried to write a graph that only the build pipeline writes."""

    title = "Protected graph"
    slug = "protected-graph"


class CsrfError(ForbiddenError):
    """A write authenticated by the session cookie came without the session's CSRF token,
    or from another origin: a form another site made the browser post. Nothing was written."""

    title = "Cross-site request refused"
    slug = "csrf"


class OntologyStatementError(ForbiddenError):
    """A write states something about the model (its classes, properties, axioms or
    the ontology's own terms) in a data graph: the model changes only by a rebuild."""

    title = "Ontology statement refused"
    slug = "ontology-statement"


class NotFoundError(ParleyError):
    """Nothing is found at this address."""

    status = 404
    title = "Not found"
    slug = "not-found"


class EntityNotFoundError(NotFoundError):
    """No triple in the graph mentions the IRI."""

    title = "Unknown entity"
    slug = "unknown-entity"


class GraphNotFoundError(NotFoundError):
    """The named graph does not exist."""

    title = "Unknown graph"
    slug = "unknown-graph"


class MethodNotAllowedError(ParleyError):
    """The HTTP method is not supported at this address."""

    status = 405
    title = "Method not allowed"
    slug = "method-not-allowed"


class NotAcceptableError(ParleyError):
    """No format Parley can produce fits the request's Accept header."""

    status = 406
    title = "Not acceptable"
    slug = "not-acceptable"


class ClaimWithdrawnError(ParleyError):
    """The claim was withdrawn: it is kept in ``graph/history`` as it stood, and is neither
    edited nor withdrawn again. Nothing was written."""

    status = 409
    title = "Claim withdrawn"
    slug = "claim-withdrawn"


class PayloadTooLargeError(ParleyError):
    """The request body is larger than the configured limit."""

    status = 413
    title = "Payload too large"
    slug = "payload-too-large"


class UnsupportedMediaTypeError(ParleyError):
    """The request body's Content-Type is not one Parley reads here."""

    status = 415
    title = "Unsupported media type"
    slug = "unsupported-media-type"


class ShapeViolationError(ParleyError):
    """A write would leave the graph in breach of the shapes; nothing was written."""

    status = 422
    title = "Shape violation"
    slug = "shape-violation"


class TooManyRequestsError(ParleyError):
    """The client exceeded its request rate."""

    status = 429
    title = "Too many requests"
    slug = "rate-limited"


class ClientGoneError(ParleyError):
    """The client closed its connection before its query was answered, and the query's
    evaluation was stopped: nobody was left to read the answer. Nobody receives this
    problem either; its status (499, nginx's "client closed request") is for the access
    log and the metrics."""

    status = 499
    title = "Client closed request"
    slug = "client-gone"


class ServiceUnavailableError(ParleyError):
    """The service cannot answer now; retrying later may succeed."""

    status = 503
    title = "Service unavailable"
    slug = "unavailable"


class QueryTimeoutError(ServiceUnavailableError):
    """The query ran past its time limit; its evaluation was stopped."""

    title = "Query timeout"
    slug = "query-timeout"


class ValidationTimeoutError(ServiceUnavailableError):
    """Validating a client's data (``POST /validate``) ran past the time limit; the
    validation was stopped (its process killed)."""

    title = "Validation timeout"
    slug = "validation-timeout"


class OverloadedError(ServiceUnavailableError):
    """Too many queries are running; ``Retry-After`` says when to try again."""

    title = "Too many concurrent queries"
    slug = "overloaded"


class TooManyStreamsError(ServiceUnavailableError):
    """As many live streams of changes (``GET /changes`` as Server-Sent Events) are open
    as the server keeps (``--max-change-streams``); ``Retry-After`` says when to try again,
    and the paged feed (``?since=``) answers meanwhile."""

    title = "Too many change streams"
    slug = "too-many-streams"


class StoreUnavailableError(ServiceUnavailableError):
    """The store cannot be reached."""

    title = "Store unavailable"
    slug = "store-unavailable"


class StoreAnswerError(StoreUnavailableError):
    """A remote store's answer broke off or does not parse (a store that stops a query at
    its own time limit writes its message into an answer it has begun)."""

    title = "Store answer broken off"
    slug = "store-answer-broken"


class StoreLoadingError(StoreUnavailableError):
    """The query processes' in-memory copy of the store is being loaded (at start, or after
    its process stopped); ``Retry-After`` says when to try again."""

    title = "Store copy loading"
    slug = "store-loading"


class HalfWrittenError(StoreUnavailableError):
    """A commit to a store whose update requests are not all or nothing (Virtuoso) was
    applied in part and could not be completed yet: writes are refused until it is (the
    next write completes it)."""

    title = "Store half-written"
    slug = "store-half-written"


class WriteConflictError(ServiceUnavailableError):
    """Another Parley process wrote to the shared store first, every time this write was
    computed again; nothing was written (``Retry-After`` says when to try again)."""

    title = "Write conflict"
    slug = "write-conflict"


class StoreError(ParleyError):
    """The store failed while reading or writing."""

    title = "Store error"
    slug = "store"


class StoreInUseError(StoreError):
    """The store directory is locked by another process (a running ``parley serve``): the
    CLI then talks to that server, and a second server refuses to start."""

    title = "Store in use"
    slug = "store-in-use"


class ConfigError(ParleyError):
    """The settings are invalid; raised at start-up, never per request."""

    title = "Configuration error"
    slug = "config"


class UnsupportedOntologyError(ConfigError):
    """The ontology uses a construct the incremental reasoner does not implement."""

    title = "Unsupported ontology construct"
    slug = "unsupported-ontology"


class UnsupportedShapeError(ConfigError):
    """A server shape reads the data in a way the write gate cannot follow."""

    title = "Unsupported shape construct"
    slug = "unsupported-shape"


def error_class(name: str) -> type[ParleyError]:
    """The class of an error named in another process's message (``StoreError`` when the
    name is not one of Parley's errors).

    >>> error_class("QueryTimeoutError").status, error_class("KeyError").__name__
    (503, 'StoreError')
    """
    found = globals().get(name)
    if isinstance(found, type) and issubclass(found, ParleyError):
        return found
    return StoreError


def json_safe(extras: dict[str, Any]) -> dict[str, Any]:
    """The members of ``extras`` that JSON can carry (to a client, or between processes).

    >>> json_safe({"line": 3, "term": object()})
    {'line': 3}
    """
    safe: dict[str, Any] = {}
    for key, value in extras.items():
        try:
            json.dumps(value)
        except (TypeError, ValueError):
            continue
        safe[key] = value
    return safe
