"""An HTTP client for a remote store's SPARQL 1.1 Query, Update and Graph Store endpoints.

The only module that speaks HTTP to the store (``httpx``); it translates what
can go wrong on the wire into Parley's errors, so a store that is down or
unreachable is a 503 ``StoreUnavailableError`` for every caller, and the
store refusing a query is a 400 with the store's own message.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import httpx

from service.errors import QuerySyntaxError, QueryTimeoutError, StoreError, StoreUnavailableError

#: Seconds to wait for a connection to the store before calling it unavailable.
CONNECT_TIMEOUT_S = 5.0
#: Seconds a request Parley makes for itself (not a client's query) may take.
INTERNAL_TIMEOUT_S = 120.0


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


class SparqlClient:
    """Thread-safe: one pooled ``httpx.Client`` shared by every request thread."""

    def __init__(self, endpoints: Endpoints) -> None:
        self.endpoints = endpoints
        auth: httpx.Auth | None = None
        headers = {"User-Agent": "parley"}
        if endpoints.username is not None:
            auth = httpx.BasicAuth(endpoints.username, endpoints.password or "")
        elif endpoints.token is not None:
            headers["Authorization"] = f"Bearer {endpoints.token}"
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
        """Send a query by POST (no URL length limit) and yield the open response.

        Leaving the block closes the connection, which is how a client's query is
        stopped at its time limit on a store without a per-request limit.
        """
        params: list[tuple[str, str | int | float | bool | None]]
        params = [("default-graph-uri", g) for g in default_graphs]
        params += [("named-graph-uri", g) for g in named_graphs]
        if timeout_s is not None and self.endpoints.timeout_param:
            params.append((self.endpoints.timeout_param, f"{timeout_s:g}"))
        timeout = (
            httpx.Timeout(timeout_s, connect=CONNECT_TIMEOUT_S) if timeout_s is not None else None
        )
        request = self._client.build_request(
            "POST",
            self.endpoints.query_url,
            params=params,
            content=text.encode(),
            headers={"Content-Type": "application/sparql-query", "Accept": accept},
            timeout=timeout,
        )
        response = self._send(request, stream=True, query_timeout_s=timeout_s)
        try:
            if response.status_code >= 400:
                response.read()
                _raise_for_query(response)
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
        if response.status_code >= 400:
            raise StoreError(
                f"the store refused an update ({response.status_code}): {_excerpt(response)}"
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


def _raise_for_query(response: httpx.Response) -> None:
    status = response.status_code
    if status in (400, 422):
        raise QuerySyntaxError(f"the store refused the query: {_excerpt(response)}")
    if status in (502, 503, 504):
        raise StoreUnavailableError(f"the store is unavailable ({status}): {_excerpt(response)}")
    raise StoreError(f"the store failed on a query ({status}): {_excerpt(response)}")


def _excerpt(response: httpx.Response) -> str:
    text = response.text.strip().replace("\n", " ")
    return text[:500] or response.reason_phrase
