"""A client's query as it travels to a query worker, and its answer (both picklable)."""

from __future__ import annotations

from dataclasses import dataclass

from service.formats import Format
from service.store import DatasetSpec


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


@dataclass(frozen=True)
class Answered:
    """A serialised answer."""

    format: Format
    body: bytes
    #: Solutions or triples in ``body``.
    rows: int
    #: Why the answer was cut ("rows" or "bytes"); ``None`` when complete.
    truncated: str | None
