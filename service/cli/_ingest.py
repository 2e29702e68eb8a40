"""``parley ingest SOURCE --meta META --claims CLAIMS.csv``: a source and its claims at once.

SOURCE is the source's text (UTF-8); META a JSON object of its fields (those of ``POST
/sources``: title, url, publisher, date, kind, language, author); CLAIMS.csv one claim a
row (``service.editing._claims_csv`` names the columns). Everything goes in **one**
validated change through the write gate, the new source and every row that makes a
claim; a row that does not is left out and reported with why (``add_claims``). On a
store a running ``parley serve`` holds, the same batch goes to its ``POST /claims``.

Exit status: 0 when every row was taken, 1 when some were left out, 2 when nothing
could be written.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from service.build import keep_journal
from service.cli._query import open_local_store
from service.cli._running import RunningServer
from service.cli._via_server import ANSWER_TIMEOUT_S, _error_of
from service.cli._write import cli_agent
from service.editing import (
    ClaimFields,
    ClaimFieldsError,
    FieldProblem,
    NewSourceFields,
    Writer,
    add_claims,
    claim_fields_from_json,
    claims_from_csv,
)
from service.errors import AuthenticationError, BadRequestError, StoreUnavailableError
from service.gate import WriteGate
from service.rdf import Vocab
from service.settings import Settings


@dataclass(frozen=True)
class Batch:
    """What the files say: the new source, the claims by row, and the rows not read."""

    source: dict[str, Any]
    text: str
    claims: list[tuple[int, dict[str, Any]]]
    unread: dict[int, list[FieldProblem]]


def read_files(source: Path, meta: Path, claims: Path) -> Batch:
    """The three files, read.

    :raises BadRequestError: META is not a JSON object, or a file is not UTF-8.
    """
    try:
        text = source.read_text(encoding="utf-8")
        fields = json.loads(meta.read_text(encoding="utf-8"))
        sheet = claims.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BadRequestError(f"a file is not UTF-8 text: {exc}") from exc
    except json.JSONDecodeError as exc:
        raise BadRequestError(f"{meta} is not JSON: {exc}") from exc
    if not isinstance(fields, dict):
        raise BadRequestError(f"{meta} is not a JSON object of the source's fields")
    rows, unread = claims_from_csv(sheet)
    return Batch(fields, text, rows, unread)


def ingest_here(settings: Settings, batch: Batch, *, dry_run: bool) -> dict[str, Any]:
    """Import the batch through a gate on the store itself; the report (``BatchOutcome``).

    :raises StoreInUseError: a running server holds the store (the caller asks it instead).
    """
    vocab = Vocab(settings.base_iri)
    unread = dict(batch.unread)
    rows: list[tuple[int, ClaimFields]] = []
    for number, claim in batch.claims:
        try:
            rows.append((number, claim_fields_from_json(claim)))
        except ClaimFieldsError as error:
            unread[number] = [FieldProblem(error.field, error.message)]
    store = open_local_store(settings)
    try:
        gate = WriteGate(store, max_literal_bytes=settings.max_literal_bytes)
        keep_journal(gate, settings)  # a rebuild replays the import
        outcome = add_claims(
            gate,
            rows,
            Writer(cli_agent(vocab), "parley ingest"),
            new_source=NewSourceFields(batch.source, batch.text),
            max_text_bytes=settings.max_literal_bytes,
            dry_run=dry_run,
        )
    finally:
        store.close()
    report = outcome.to_json()
    return _with_unread(report, unread)


def ingest_via(
    server: RunningServer, batch: Batch, *, dry_run: bool, token: str | None
) -> dict[str, Any]:
    """The same import through a running server's ``POST /claims`` (one batch)."""
    if token is None:
        raise AuthenticationError(
            f"the store is in use by `parley serve` at {server.url}, and writing through it "
            "needs the write token: set PARLEY_WRITE_TOKEN or --write-token-file"
        )
    body = {
        "source": {**batch.source, "text": batch.text},
        "claims": [{**claim, "row": number} for number, claim in batch.claims],
    }
    try:
        response = httpx.post(
            server.url + "claims",
            params={"dry-run": "true" if dry_run else "false"},
            json=body,
            headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
            timeout=httpx.Timeout(ANSWER_TIMEOUT_S, connect=10.0),
        )
    except httpx.HTTPError as exc:
        raise StoreUnavailableError(
            f"the store is in use by `parley serve` at {server.url} (pid {server.pid}), "
            f"which does not answer: {exc}"
        ) from exc
    answer: dict[str, Any] = response.json() if response.content else {}
    if response.status_code == 422 and "rows" in answer:  # nothing could be written
        report = {"source": None, "written": False, "record": None, "rows": answer["rows"]}
        report["sourceResults"] = answer.get("sourceResults") or []
    elif response.status_code >= 400:
        raise _error_of(response)
    else:
        report = answer
    return _with_unread(report, batch.unread)


def _with_unread(report: dict[str, Any], unread: dict[int, list[FieldProblem]]) -> dict[str, Any]:
    rows = [r for r in report.get("rows", []) if r["row"] not in unread]
    rows += [
        {
            "row": n,
            "taken": False,
            "iri": None,
            "identifier": None,
            "results": [p.to_json() for p in problems],
        }
        for n, problems in unread.items()
    ]
    rows.sort(key=lambda r: r["row"])
    taken = sum(1 for r in rows if r["taken"])
    return {**report, "rows": rows, "taken": taken, "refused": len(rows) - taken}


def report_text(report: dict[str, Any], *, dry_run: bool) -> str:
    """The report a person reads: each row left out and why, then what was written."""
    lines = []
    for problem in report.get("sourceResults") or []:
        lines.append(f"source: {problem.get('field') or 'source'}: {problem['message']}")
    for row in report["rows"]:
        if row["taken"]:
            continue
        reasons = (
            "; ".join(f"{r.get('field') or 'claim'}: {r.get('message')}" for r in row["results"])
            or "left out"
        )
        lines.append(f"row {row['row']}: refused: {reasons}")
    verb = "would be written" if dry_run else "written"
    if report.get("taken"):
        lines.append(
            f"{report['taken']} claim(s) {verb}, {report['refused']} row(s) refused"
            + (f"; source <{report['source']}>" if report.get("source") else "")
            + (f"; record <{report['record']}>" if report.get("record") else "")
        )
    else:
        lines.append(f"nothing {verb}: {report['refused']} row(s) refused")
    return "\n".join(lines)


def exit_code(report: dict[str, Any]) -> int:
    """0: every row taken; 1: some left out; 2: nothing could be written."""
    if not report.get("taken"):
        return 2
    return 1 if report.get("refused") else 0
