"""A client's query as it travels to a query worker, and its answer (both picklable);
what evaluates clients' queries (``QueryRunner``) and the admission limit they share."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import NamedTuple, Protocol

from service.errors import OverloadedError
from service.rdf import BY_NAME, BlankNode, DefaultGraph, Format, GraphName, NamedNode
from service.store import Answer, DatasetSpec, GraphStore


class Wire(NamedTuple):
    """A job on the wire: plain values only (a pickled dataclass of pyoxigraph terms and
    formats cost more than the rest of a cheap query's trip to the worker)."""

    text: str
    #: Graph names as text (``""``: the default graph; ``_:x``: a blank node).
    default_graphs: list[str] | None
    named_graphs: list[str] | None
    query_has_dataset: bool
    #: Format names (``service.rdf.BY_NAME``).
    results_format: str | None
    graph_format: str | None
    max_rows: int
    max_bytes: int
    base_iri: str | None


@dataclass(frozen=True)
class QueryJob:
    """Everything a worker needs to evaluate one query and serialise its answer."""

    text: str
    dataset: DatasetSpec | None
    #: The query names its own dataset (FROM / FROM NAMED).
    query_has_dataset: bool
    #: The negotiated format for solutions/booleans, and for graphs (None: not acceptable).
    results_format: Format | None
    graph_format: Format | None
    max_rows: int
    max_bytes: int
    #: Relative IRIs in the query resolve against it (the endpoint's URL).
    base_iri: str | None = None

    def to_wire(self) -> Wire:
        """The job as plain values, for the pipe to a worker.

        >>> from service.rdf._formats import JSON
        >>> job = QueryJob("ASK {}", DatasetSpec((DefaultGraph(),), ()), False, JSON, None, 5, 9)
        >>> QueryJob.from_wire(job.to_wire()) == job
        True
        """
        d = self.dataset
        return Wire(
            self.text,
            None
            if d is None or d.default_graphs is None
            else [_graph_text(g) for g in d.default_graphs],
            None
            if d is None or d.named_graphs is None
            else [_graph_text(g) for g in d.named_graphs],
            self.query_has_dataset,
            self.results_format.name if self.results_format else None,
            self.graph_format.name if self.graph_format else None,
            self.max_rows,
            self.max_bytes,
            self.base_iri,
        )

    def answer_on(self, store: GraphStore, *, timeout_s: float | None = None) -> Answer:
        """Evaluate the job on ``store`` (in the process that may be killed at the limit, or
        on a store that evaluates it elsewhere and is waited for ``timeout_s``)."""
        return store.answer(
            self.text,
            dataset=self.dataset,
            query_has_dataset=self.query_has_dataset,
            results_format=self.results_format,
            graph_format=self.graph_format,
            base_iri=self.base_iri,
            max_rows=self.max_rows,
            max_bytes=self.max_bytes,
            timeout_s=timeout_s,
        )

    @classmethod
    def from_wire(cls, wire: Wire) -> QueryJob:
        text, defaults, named, has_dataset, results, graph, rows, size, base = wire
        dataset = None
        if defaults is not None or named is not None:
            dataset = DatasetSpec(
                None if defaults is None else tuple(_graph_term(g) for g in defaults),
                None if named is None else tuple(_named_term(g) for g in named),
            )
        return cls(
            text,
            dataset,
            has_dataset,
            BY_NAME[results] if results else None,
            BY_NAME[graph] if graph else None,
            rows,
            size,
            base,
        )


def _graph_text(graph: GraphName) -> str:
    if isinstance(graph, DefaultGraph):
        return ""
    return ("_:" if isinstance(graph, BlankNode) else "") + graph.value


def _graph_term(text: str) -> GraphName:
    return DefaultGraph() if text == "" else _named_term(text)


def _named_term(text: str) -> NamedNode | BlankNode:
    return BlankNode(text[2:]) if text.startswith("_:") else NamedNode(text)


@dataclass
class Streamed:
    """An answer on its way: headers are known, the body arrives in chunks."""

    format: Format
    rows: int
    truncated: str | None
    size: int
    chunks: Iterator[bytes]
    #: The whole body, when it arrived in one piece (most answers): nothing to wait for.
    body: bytes | None = None

    @classmethod
    def whole(cls, fmt: Format, rows: int, truncated: str | None, body: bytes) -> Streamed:
        """An answer that is all here."""
        return cls(fmt, rows, truncated, len(body), iter([body]), body)


@dataclass(frozen=True)
class QueryLimits:
    """The endpoint's limits on clients' queries (``Settings``)."""

    #: Queries evaluated at once in the query process; 0: in the web process.
    workers: int
    max_concurrent: int
    timeout_s: float
    #: Relative IRIs in queries resolve against it.
    base_iri: str
    #: The level and format of the query processes' own log lines.
    log: tuple[str, str] = ("INFO", "text")


class QueryRunner(Protocol):
    """Evaluates clients' queries within the limits: the embedded store's query pool, or the
    remote store's endpoint (``GraphStore.query_runner``)."""

    #: The processes that evaluate the queries have no network (``service.query._isolation``).
    network_isolated: bool

    def run(self, job: QueryJob, gone: threading.Event | None = None) -> Streamed:
        """Evaluate ``job``; raises the query's error, ``QueryTimeoutError`` or
        ``OverloadedError``. The returned chunks must be consumed or closed.

        ``gone``: set when the query's client has gone (``service.web._asgi``); a runner
        that can stop the evaluation then does, and raises ``ClientGoneError``."""

    def running(self) -> int:
        """Queries admitted now."""

    def ready(self) -> bool:
        """True when a query would be evaluated at once (no copy of the store to load)."""

    def worker_pids(self) -> list[int]:
        """Processes that evaluate queries (none when the store evaluates them)."""

    def close(self) -> None:
        """Stop evaluating."""


#: Seconds a client is told to wait when the endpoint is saturated.
RETRY_AFTER_S = 2


class Admission:
    """At most ``max_concurrent`` queries admitted at once; past that, 503 + Retry-After.

    It can refuse only a request that reaches the application: ``service.web._server``
    gives it a thread beyond everything admission lets in, so an extra request is refused
    at once instead of waiting for a thread. A query whose client has gone leaves the
    count when its evaluation is stopped for it (``service.query._runner``), which needs
    the server to watch for it (Granian's ASGI interface, ``parley serve``'s default):
    with ``--keep-abandoned-queries`` it runs on to its answer or its time limit.

    >>> gate = Admission(1)
    >>> gate.enter(); gate.running()
    1
    >>> gate.enter()
    Traceback (most recent call last):
    ...
    service.errors.OverloadedError: 1 queries are running; try again in a moment
    >>> gate.leave(); gate.running()
    0
    """

    def __init__(self, max_concurrent: int) -> None:
        self.max_concurrent = max_concurrent
        self._admitted = 0
        self._lock = threading.Lock()

    def enter(self) -> None:
        with self._lock:
            if self._admitted >= self.max_concurrent:
                raise OverloadedError(
                    f"{self.max_concurrent} queries are running; try again in a moment",
                    retryAfter=RETRY_AFTER_S,
                )
            self._admitted += 1

    def leave(self) -> None:
        with self._lock:
            self._admitted -= 1

    def running(self) -> int:
        return self._admitted
