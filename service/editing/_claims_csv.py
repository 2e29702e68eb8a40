"""A spreadsheet of claims (CSV, one claim a row) as claims' fields, row by row.

The header names the columns: ``quote`` or ``start`` and ``end`` (code points, end
exclusive); ``claimant``; ``modality``; ``type``; ``stances`` (``Russia:favourable;
Ukraine:unfavourable``); ``about`` (actors, events or places, ``;`` between them);
``label``; ``supports`` and ``opposes`` (propositions). Any other column named like a
claim field (``statedIn``, ``attributionNote``, ``aboutEvent``, ``contradictsClaim``,
...) is passed on as that field. Names may be IRIs, local names (``Putin``) or labels:
the server resolves them. Rows are numbered as a spreadsheet numbers them (the header
is row 1), so a report's "row 7" is the seventh line of the sheet.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from service.editing._claim_results import FieldProblem

#: Column -> claim field, where the sheet's short name differs.
COLUMNS = {
    "quote": "exact",
    "exact": "exact",
    "type": "claimType",
    "supports": "supportsProposition",
    "opposes": "opposesProposition",
    "reports": "reportsClaim",
}
#: Fields that take several values, ``;`` between them, in one cell.
LISTS = frozenset(
    {
        "about",
        "aboutActor",
        "aboutEvent",
        "aboutPlace",
        "supportsProposition",
        "opposesProposition",
        "statedIn",
        "contradictsClaim",
        "supportsClaim",
        "sameProposition",
        "repeatsClaim",
    }
)


def _stances(cell: str) -> list[dict[str, str]] | FieldProblem:
    """``Russia:favourable; Ukraine:unfavourable`` as stances.

    >>> _stances("Russia: favourable; Ukraine:unfavourable")[1]
    {'toward': 'Ukraine', 'value': 'unfavourable'}
    >>> _stances("Russia").field
    'stances'
    """
    found = []
    for part in (p.strip() for p in cell.split(";")):
        if not part:
            continue
        toward, sep, value = part.rpartition(":")
        if not sep or not toward.strip() or not value.strip():
            return FieldProblem(
                "stances", f"{part!r} is not a stance: write ACTOR:VALUE (Russia:favourable)."
            )
        found.append({"toward": toward.strip(), "value": value.strip()})
    return found


def claims_from_csv(
    text: str,
) -> tuple[list[tuple[int, dict[str, Any]]], dict[int, list[FieldProblem]]]:
    """The claims of a CSV sheet as JSON claim objects (``POST /claims``'s fields), each
    with its row number; and the rows that could not be read, with why.

    >>> rows, bad = claims_from_csv(
    ...     "quote,claimant,modality,type,stances,about\\n"
    ...     "peace is near,Putin,asserted,factual,Russia:favourable,Russia; Istanbul2022\\n"
    ...     "war,Putin,asserted,factual,Russia,Russia\\n")
    >>> rows[0][0], rows[0][1]["about"], rows[0][1]["claimType"], list(bad)
    (2, ['Russia', 'Istanbul2022'], 'factual', [3])
    """
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [(name or "").strip() for name in reader.fieldnames or []]
    rows: list[tuple[int, dict[str, Any]]] = []
    bad: dict[int, list[FieldProblem]] = {}
    for number, record in enumerate(reader, start=2):  # the sheet's row: the header is 1
        claim: dict[str, Any] = {}
        problems: list[FieldProblem] = []
        for raw_name, value in zip(header, record.values(), strict=False):
            cell = value.strip() if isinstance(value, str) else ""
            if not raw_name or not cell:
                continue
            name = COLUMNS.get(raw_name.lower(), raw_name)
            if name == "stances":
                stances = _stances(cell)
                if isinstance(stances, FieldProblem):
                    problems.append(stances)
                else:
                    claim["stances"] = stances
            elif name in LISTS:
                claim[name] = [v.strip() for v in cell.split(";") if v.strip()]
            else:
                claim[name] = cell
        if None in record:  # more cells than the header has columns
            problems.append(FieldProblem(None, "The row has more cells than the header."))
        if problems:
            bad[number] = problems
        elif claim:
            rows.append((number, claim))
    return rows, bad
