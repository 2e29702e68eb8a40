"""Clients' queries, evaluated under the endpoint's limits.

A ``QueryRunner`` admits a query (503 past the concurrency limit), evaluates it
where it can be stopped at the time limit, and holds its answer to the caps:
on the embedded store in query processes that are killed at the limit, on a
remote store by passing it through. ``create_app`` picks the runner.

The ``Guard`` (``_guard``) is the one interface for every evaluation whose cost a
client controls: queries go to the runner; validations and updates' ``WHERE``
clauses, as picklable jobs, to worker processes that are killed at the limit too.
"""

from service.query._checkpoint import CheckpointRunner
from service.query._copy import copy_fits
from service.query._guard import Guard
from service.query._job import QueryJob, QueryLimits, QueryRunner, Streamed
from service.query._pool import QueryPool
from service.query._remote import RemoteQueryRunner

__all__ = [
    "CheckpointRunner",
    "Guard",
    "QueryJob",
    "QueryLimits",
    "QueryPool",
    "QueryRunner",
    "RemoteQueryRunner",
    "Streamed",
    "copy_fits",
]
