"""How pytest-xdist's workers share the tests: units of work, and their order.

A unit is a module's tests on one store backend (or a module's tests, where they take no
backend): a worker takes one unit at a time, whole, so a module's fixtures are set up once
per unit and on one worker. The units of each backend come together, embedded then remote
then Virtuoso, before those with no backend: the session's ``server`` (a `parley serve`,
and on the remote backends the store behind it) is started again each time a worker's
tests change backend (pytest keeps one value of a parametrized session fixture at a time),
so a worker starts about one per backend, instead of one per module and backend (2-3 s
each, 6-8 with a Virtuoso). Within each group the longest modules come first, and the
modules with no backend, at the end, fill the workers' last minutes.

(pytest-xdist's own ``--dist loadgroup`` would say the units with marks, but it renames
the tests to do it, which pytest 9.2 no longer lets it: hence a scheduler of its own.)
"""

from __future__ import annotations

import pytest
from xdist.scheduler import LoadScopeScheduling  # type: ignore[import-untyped]

from tests.support import BACKENDS

#: The modules that take longest, longest first (seconds of each module's tests in a
#: whole run of ``make test``): they start first, and the short ones fill in at the end.
LONGEST_FIRST = (
    "test_browse_browser.py",
    "test_gate_crash.py",
    "test_gate_http.py",
    "test_pages_browser.py",
    "test_remote_store.py",
    "test_query_checkpoint.py",
    "test_w3c_query.py",
    "test_load.py",
    "test_query_page.py",
    "test_pages_claims.py",
    "test_endpoint_guards.py",
    "test_query_copy.py",
    "test_workbench_browser.py",
    "test_shacl_w3c.py",
    "test_untrusted_work.py",
    "test_pages_entities.py",
    "test_worker_life.py",
    "test_pages_home.py",
    "test_changes.py",
    "test_resilience.py",
    "test_cli_server.py",
    "test_virtuoso.py",
    "test_w3c_protocol.py",
    "test_sparql_clients.py",
    "test_browse_http.py",
    "test_journal.py",
    "test_middleware.py",
    "test_claim_history.py",
    "test_pages_record.py",
    "test_shape_form.py",
    "test_remote_commit.py",
    "test_virtuoso_writes.py",
    "test_bad_input.py",
    "test_hardening.py",
    "test_openapi.py",
    "test_record.py",
    "test_competency.py",
    "test_outbound.py",
    "test_gate.py",
    "test_editors_browser.py",
    "test_mixed_load.py",
    "test_query_pool.py",
    "test_client_gone.py",
    "test_graph_names.py",
    "test_shapes.py",
    "test_editors.py",
    "test_review_rules.py",
    "test_mark_browser.py",
    "test_incremental.py",
    "test_pages_paging.py",
    "test_sources_write.py",
    "test_build.py",
    "test_claims_write.py",
    "test_routes.py",
)


def _backend_of(nodeid: str) -> str | None:
    """The backend of the test ``nodeid``, when it has one: a ``-``-separated part of its
    parameters' id (``test_a_killed_write_is_all_or_nothing[virtuoso-2.0]``)."""
    name = nodeid.partition("::")[2]
    ids = name[name.index("[") + 1 : -1].split("-") if name.endswith("]") else []
    return next((backend for backend in BACKENDS if backend in ids), None)


def unit_of(nodeid: str) -> str:
    """The unit of the test ``nodeid``: its module, and its backend when it has one."""
    module = nodeid.partition("::")[0]
    backend = _backend_of(nodeid)
    return module if backend is None else f"{module}:{backend}"


def order(items: list[pytest.Item]) -> None:
    """Put the units in the order the workers take them (stable: each unit keeps
    pytest's own order)."""
    rank = {name: place for place, name in enumerate(LONGEST_FIRST)}
    group = {backend: place for place, backend in enumerate(BACKENDS)}

    def unit_order(item: pytest.Item) -> tuple[int, int]:
        backend = _backend_of(item.nodeid)
        first = group[backend] if backend is not None else len(group)
        return first, rank.get(item.path.name, len(rank))

    items.sort(key=unit_order)


class WorkUnits(LoadScopeScheduling):  # type: ignore[misc]  # (pytest-xdist is untyped)
    """pytest-xdist's scheduling by scope, the scope being ``unit_of`` the test, handed
    out in collection order (``order``), not largest first."""

    def _split_scope(self, nodeid: str) -> str:
        return unit_of(nodeid)


def scheduler(config: pytest.Config, log: object) -> WorkUnits | None:
    """The scheduler for ``--dist loadfile`` (what ``make test`` asks for); others as
    pytest-xdist has them."""
    if config.getvalue("dist") != "loadfile":
        return None
    config.option.loadscopereorder = False
    return WorkUnits(config, log)
