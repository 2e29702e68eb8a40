"""``parley validate`` and ``parley load`` through a running ``parley serve`` (its store is
locked): the file goes to ``POST /validate`` or ``POST /data``, the same gate the commands
run on an unlocked store, and the server's answer becomes the command's report or error.
"""

from __future__ import annotations

from collections import deque
from pathlib import Path
from typing import Any

import httpx

from service.cli._running import RunningServer
from service.errors import (
    AuthenticationError,
    ParleyError,
    ShapeViolationError,
    StoreUnavailableError,
)
from service.gate import ValidationReport
from service.rdf import TURTLE, by_suffix

#: Seconds to wait for the server's answer: a validation or a write of a large file may
#: take the server's own time limits and more (the server bounds them, not the client).
ANSWER_TIMEOUT_S = 600.0


def _content_type(path: Path) -> str:
    fmt = by_suffix(path.suffix.lstrip(".")) or TURTLE
    return fmt.content_type


def _error_of(response: httpx.Response) -> ParleyError:
    """The ``ParleyError`` a problem+json answer names (by its slug), with its detail."""
    try:
        problem: dict[str, Any] = response.json()
    except ValueError:
        problem = {}
    slug = str(problem.get("type", "")).rsplit("/", 1)[-1]
    detail = str(problem.get("detail") or f"the server answered {response.status_code}")
    classes: deque[type[ParleyError]] = deque([ParleyError])
    while classes:
        cls = classes.popleft()
        if cls.slug == slug:
            break
        classes.extend(cls.__subclasses__())
    else:
        cls = ParleyError
    if issubclass(cls, ShapeViolationError) and "conforms" in problem:
        return cls(detail, report=ValidationReport.from_json(problem))
    return cls(detail)


def _post(
    server: RunningServer,
    path: str,
    file: Path,
    *,
    params: dict[str, str] | None = None,
    token: str | None = None,
) -> dict[str, Any]:
    headers = {"Content-Type": _content_type(file), "Accept": "application/json"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    try:
        response = httpx.post(
            server.url + path,
            params=params,
            content=file.read_bytes(),
            headers=headers,
            timeout=httpx.Timeout(ANSWER_TIMEOUT_S, connect=10.0),
        )
    except httpx.HTTPError as exc:
        raise StoreUnavailableError(
            f"the store is in use by `parley serve` at {server.url} (pid {server.pid}), "
            f"which does not answer: {exc}"
        ) from exc
    if response.status_code >= 400:
        raise _error_of(response)
    answer: dict[str, Any] = response.json()
    return answer


def validate_via(server: RunningServer, file: Path) -> ValidationReport:
    """The server's report for ``file``, in the context of its store."""
    return ValidationReport.from_json(_post(server, "validate", file))


def load_via(
    server: RunningServer, file: Path, graph: str, *, dry_run: bool, token: str | None
) -> dict[str, Any]:
    """Write ``file`` into ``graph`` through the server's gate; its answer (the counts and
    the provenance record)."""
    if token is None:
        raise AuthenticationError(
            f"the store is in use by `parley serve` at {server.url}, and writing through it "
            "needs the write token: set PARLEY_WRITE_TOKEN or --write-token-file"
        )
    params = {"graph": graph, "dry-run": "true" if dry_run else "false"}
    return _post(server, "data", file, params=params, token=token)
