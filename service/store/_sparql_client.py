"""An HTTP client for a remote store's SPARQL 1.1 Query, Update and Graph Store endpoints.

The only module that speaks HTTP to the store (``httpx``); it translates what
can go wrong on the wire into Parley's errors, so a store that is down or
unreachable is a 503 ``StoreUnavailableError`` for every caller, and the
store refusing a query is a 400 with the store's own message.
"""

from __future__ import annotations

import threading
from collections.abc import Generator, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import urlencode

import httpx

from service.errors import (
    QuerySyntaxError,
    QueryTimeoutError,
    StoreAnswerError,
    StoreError,
    StoreUnavailableError,
)
from service.rdf import (
    Term,
    graphs_outside_renamed,
    parse_boolean,
    parse_solutions,
    without_local_escapes,
)
from service.store._engines import (
    VIRTUOSO,
    VIRTUOSO_LIMITS_QUERY,
    XML,
    Engine,
    engine_for,
    standard_boolean,
    with_limits,
)

#: Seconds to wait for a connection to the store before calling it unavailable.
CONNECT_TIMEOUT_S = 5.0
#: What to check when the store refuses Parley (401, 403).
CREDENTIALS = (
    "set PARLEY_STORE_USER and PARLEY_STORE_PASSWORD (HTTP basic or digest, as the store "
    "asks) or PARLEY_STORE_TOKEN, for a user the store lets query and update"
)
#: Seconds a request Parley makes for itself (not a client's query) may take.
INTERNAL_TIMEOUT_S = 120.0
#: A graph no store holds: how an empty dataset is sent (an empty default graph and no
#: named graphs), and the graph a query names in place of one outside its dataset on a
#: store that misreads that (``Engine.empty_outside_dataset``).
EMPTY_GRAPH = "urn:parley:no-graph"


@dataclass(frozen=True)
class Endpoints:
    """Where the store answers, and how Parley proves who it is."""

    query_url: str
    update_url: str
    #: Graph Store Protocol endpoint (bulk loads); ``None``: load with SPARQL Update.
    gsp_url: str | None = None
    username: str | None = None
    password: str | None = None
    token: str | None = None
    #: Name of the store's per-request query time-limit parameter (Fuseki: ``timeout``).
    timeout_param: str | None = None


class StoreAuth(httpx.Auth):
    """HTTP basic or digest authentication, whichever the store's challenge asks for.

    Virtuoso's ``/sparql-auth`` wants digest and answers basic credentials with a bare
    401 (no challenge), so the scheme cannot be learnt from a refusal: until the store has
    challenged once, a request goes without credentials, and the challenge
    (``WWW-Authenticate``) says which scheme every later request uses. No password is
    sent before the store asks for one, and none in basic form to a digest endpoint.
    """

    requires_request_body = True

    def __init__(self, username: str, password: str) -> None:
        self._basic = httpx.BasicAuth(username, password)
        self._digest = httpx.DigestAuth(username, password)
        #: "basic" or "digest" once the store has challenged; ``None`` before.
        self.scheme: str | None = None

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        if self.scheme == "digest":
            yield from self._digest.auth_flow(request)
            return
        if self.scheme == "basic":
            yield from self._basic.auth_flow(request)
            return
        digest = self._digest.auth_flow(request)
        response = yield next(digest)  # no credentials yet (no challenge seen)
        if response.status_code != 401:
            return
        challenges = response.headers.get_list("www-authenticate")
        if any(c.lower().startswith("digest ") for c in challenges):
            self.scheme = "digest"
            try:
                response = yield digest.send(response)  # answered with the challenge in hand
                digest.send(response)
            except StopIteration:
                pass
            return
        self.scheme = "basic"
        yield from self._basic.auth_flow(request)


class SparqlClient:
    """Thread-safe: one pooled ``httpx.Client`` shared by every request thread."""

    def __init__(self, endpoints: Endpoints) -> None:
        self.endpoints = endpoints
        auth: httpx.Auth | None = None
        headers = {"User-Agent": "parley"}
        if endpoints.username is not None:
            auth = StoreAuth(endpoints.username, endpoints.password or "")
        elif endpoints.token is not None:
            headers["Authorization"] = f"Bearer {endpoints.token}"
        self._engine: Engine | None = None
        self._engine_lock = threading.Lock()
        self._client = httpx.Client(
            auth=auth,
            headers=headers,
            timeout=httpx.Timeout(INTERNAL_TIMEOUT_S, connect=CONNECT_TIMEOUT_S),
            limits=httpx.Limits(max_connections=64, max_keepalive_connections=16),
        )

    # -- queries ---------------------------------------------------------

    def query(
        self,
        text: str,
        *,
        accept: str,
        default_graphs: Sequence[str] = (),
        named_graphs: Sequence[str] = (),
    ) -> bytes:
        """A query's whole answer, in the ``accept`` media type."""
        with self.stream_query(
            text, accept=accept, default_graphs=default_graphs, named_graphs=named_graphs
        ) as response:
            return b"".join(read_chunks(response))

    @property
    def engine(self) -> Engine:
        """The store's engine profile, learnt from its first answer (``_engines``)."""
        if self._engine is None:
            with self._engine_lock:
                if self._engine is None:
                    self._engine = self._detect_engine()
        return self._engine

    def _detect_engine(self) -> Engine:
        with self._post_query("ASK {}", accept=XML) as response:
            response.read()
            engine = engine_for(response.headers.get("server"))
        if engine.name == VIRTUOSO.name:
            with self._post_query(VIRTUOSO_LIMITS_QUERY, accept=XML) as response:
                rows = parse_solutions(response.read(), XML)[1]
            found = rows[0] if rows else {}
            rows_cap, time_s = found.get("rows"), found.get("time")
            engine = with_limits(
                engine,
                None if rows_cap is None else rows_cap.value,
                None if time_s is None else time_s.value,
            )
        return engine

    def select(
        self,
        text: str,
        *,
        default_graphs: Sequence[str] = (),
        named_graphs: Sequence[str] = (),
    ) -> tuple[list[str], list[dict[str, Term]]]:
        """The variables and rows of a SELECT query Parley asks for itself, whole: an
        answer the store cut (at its row cap or its time limit) is an error, never read
        as complete."""
        engine = self.engine
        body = self.query(
            text,
            accept=engine.solutions,
            default_graphs=default_graphs,
            named_graphs=named_graphs,
        )
        names, rows = parse_solutions(b"".join(engine.rewritten([body])), engine.solutions)
        self.check_whole(len(rows))
        return names, rows

    def check_whole(self, rows: int) -> None:
        """Refuse an answer of Parley's own that the store may have cut at its row cap.

        :raises StoreAnswerError: the answer has as many rows (or triples) as the cap.
        """
        engine = self.engine
        if engine.cut_at_cap(rows):
            raise StoreAnswerError(
                f"the store cut an answer at its row cap of {engine.max_rows} "
                f"({engine.name}); Parley needs whole answers: raise the store's cap "
                "(Virtuoso: ResultSetMaxRows in virtuoso.ini)"
            )

    def ask(
        self,
        text: str,
        *,
        default_graphs: Sequence[str] = (),
        named_graphs: Sequence[str] = (),
    ) -> bool:
        """An ASK query's answer (read as XML, which every engine writes exactly)."""
        body = self.query(
            text, accept=XML, default_graphs=default_graphs, named_graphs=named_graphs
        )
        return bool(parse_boolean(standard_boolean(self.engine, body), XML))

    @contextmanager
    def stream_query(
        self,
        text: str,
        *,
        accept: str,
        default_graphs: Sequence[str] = (),
        named_graphs: Sequence[str] = (),
        timeout_s: float | None = None,
    ) -> Iterator[httpx.Response]:
        """The open response to a query (``_post_query``), refused when the store says it
        stopped the query at its own time limit and sent a partial answer."""
        partial = self.engine.partial_header
        if not self.engine.local_escapes:
            text = without_local_escapes(text)
        if not self.engine.empty_outside_dataset and named_graphs:
            renamed = graphs_outside_renamed(text, set(named_graphs), EMPTY_GRAPH)
            if renamed != text and EMPTY_GRAPH not in named_graphs:
                named_graphs = [*named_graphs, EMPTY_GRAPH]
            text = renamed
        with self._post_query(
            text,
            accept=accept,
            default_graphs=default_graphs,
            named_graphs=named_graphs,
            timeout_s=timeout_s,
        ) as response:
            if partial is not None and partial in response.headers:
                limit = self.engine.max_time_s or timeout_s or 0
                raise QueryTimeoutError(
                    f"the store ({self.engine.name}) stopped the query at its own time limit"
                    f"{f' of {limit:g} s' if limit else ''} and sent a partial answer "
                    f"({partial}: {response.headers[partial]}), which Parley does not pass on",
                    timeoutSeconds=limit,
                )
            yield response

    @contextmanager
    def _post_query(
        self,
        text: str,
        *,
        accept: str,
        default_graphs: Sequence[str] = (),
        named_graphs: Sequence[str] = (),
        timeout_s: float | None = None,
    ) -> Iterator[httpx.Response]:
        """Send a query by POST (no URL length limit) and yield the open response.

        The query goes as an HTML form (``query=``, the protocol's first POST binding),
        not as a bare ``application/sparql-query`` body: every store reads the form, and
        Virtuoso 7.2 answers a bare body with a wrong ``Content-Length`` (the client then
        waits for bytes that never come).

        Leaving the block closes the connection, which is how a client's query is
        stopped at its time limit on a store without a per-request limit.
        """
        fields = [("query", text)]
        fields += [("default-graph-uri", g) for g in default_graphs]
        fields += [("named-graph-uri", g) for g in named_graphs]
        engine = self._engine  # None only while it is being learnt (no time limit then)
        sends_limit = engine is None or engine.per_request_timeout
        if timeout_s is not None and self.endpoints.timeout_param and sends_limit:
            fields.append((self.endpoints.timeout_param, f"{timeout_s:g}"))
        timeout = (
            httpx.Timeout(timeout_s, connect=CONNECT_TIMEOUT_S) if timeout_s is not None else None
        )
        request = self._client.build_request(
            "POST",
            self.endpoints.query_url,
            content=urlencode(fields).encode(),
            headers={"Content-Type": "application/x-www-form-urlencoded", "Accept": accept},
            timeout=timeout,
        )
        response = self._send(request, stream=True, query_timeout_s=timeout_s)
        try:
            if response.status_code >= 400:
                response.read()
                _raise_for_query(response, engine, timeout_s)
            yield response
        finally:
            response.close()

    # -- updates and loads ---------------------------------------------------

    def update(self, text: str) -> None:
        """Run one SPARQL Update request (atomic on the store)."""
        request = self._client.build_request(
            "POST",
            self.endpoints.update_url,
            content=text.encode(),
            headers={"Content-Type": "application/sparql-update"},
        )
        response = self._send(request)
        if response.status_code in (401, 403):
            raise StoreError(
                f"the store refused Parley's credentials ({response.status_code}): {CREDENTIALS}"
            )
        if response.status_code >= 400:
            raise StoreError(
                f"the store refused an update ({response.status_code}): "
                f"{_excerpt(response, self._engine)}"
            )

    def post_graph(self, graph: str, body: bytes, media_type: str) -> None:
        """Add triples to a graph through the Graph Store Protocol (bulk loads)."""
        assert self.endpoints.gsp_url is not None
        request = self._client.build_request(
            "POST",
            self.endpoints.gsp_url,
            params={"graph": graph},
            content=body,
            headers={"Content-Type": media_type},
        )
        response = self._send(request)
        if response.status_code >= 400:
            raise StoreError(
                f"the store refused a load into {graph} ({response.status_code}): "
                f"{_excerpt(response)}"
            )

    def close(self) -> None:
        self._client.close()

    # -- the wire ------------------------------------------------------------

    def _send(
        self, request: httpx.Request, *, stream: bool = False, query_timeout_s: float | None = None
    ) -> httpx.Response:
        try:
            return self._client.send(request, stream=stream)
        except httpx.TimeoutException as exc:
            if query_timeout_s is not None and not isinstance(exc, httpx.ConnectTimeout):
                raise query_timeout(query_timeout_s) from exc
            raise StoreUnavailableError(
                f"the store at {request.url.copy_with(query=None)} did not answer in time: {exc}"
            ) from exc
        except httpx.TransportError as exc:
            raise StoreUnavailableError(
                f"the store at {request.url.copy_with(query=None)} cannot be reached: {exc}"
            ) from exc


def read_chunks(response: httpx.Response, query_timeout_s: float | None = None) -> Iterator[bytes]:
    """A streamed answer's body, chunk by chunk, with wire errors translated (a read past
    a client's ``query_timeout_s`` is its query's timeout)."""
    try:
        yield from response.iter_bytes()
    except httpx.TimeoutException as exc:
        if query_timeout_s is not None:
            raise query_timeout(query_timeout_s) from exc
        raise StoreUnavailableError(f"the store stopped answering: {exc}") from exc
    except httpx.TransportError as exc:
        raise StoreUnavailableError(f"the store's answer was cut off: {exc}") from exc


def query_timeout(limit_s: float) -> QueryTimeoutError:
    return QueryTimeoutError(
        f"the query ran longer than {limit_s:g} s and was stopped (the connection to the "
        "store was closed)",
        timeoutSeconds=limit_s,
    )


def _raise_for_query(
    response: httpx.Response, engine: Engine | None, timeout_s: float | None
) -> None:
    status = response.status_code
    if engine is not None and engine.timed_out(response.text):
        limit = engine.max_time_s or timeout_s or 0
        raise QueryTimeoutError(
            f"the store ({engine.name}) stopped the query at its time limit, or refused it "
            f"for its estimated time: {_excerpt(response, engine)}",
            timeoutSeconds=limit,
        )
    excerpt = _excerpt(response, engine)
    if status in (401, 403):
        raise StoreError(f"the store refused Parley's credentials ({status}): {CREDENTIALS}")
    if status in (400, 422):
        raise QuerySyntaxError(f"the store refused the query: {excerpt}")
    if status in (502, 503, 504):
        raise StoreUnavailableError(f"the store is unavailable ({status}): {excerpt}")
    raise StoreError(f"the store failed on a query ({status}): {excerpt}")


def _excerpt(response: httpx.Response, engine: Engine | None = None) -> str:
    text = response.text
    if engine is not None and engine.error_echo is not None:
        text = text.split(engine.error_echo, 1)[0]  # the store repeating the query
    text = text.strip().replace("\n", " ")
    return text[:500] or response.reason_phrase
