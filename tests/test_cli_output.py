"""`parley query` prints whole values when its output is piped, and fits the terminal when
it is not (newcomer review: "labels are cut at 60 characters whatever the terminal width")."""

from __future__ import annotations

import pytest

from service.cli._query import table

LONG = "Vladimir Putin (as the article paraphrases him): sovereignty over Crimea is not negotiable"
ROWS = [["C17", LONG, "demanded"], ["C05", "short", "speculated"]]


def test_piped_output_keeps_every_value_whole() -> None:
    out = table(["id", "label", "modality"], ROWS)
    assert LONG in out
    assert "…" not in out


@pytest.mark.parametrize("width", [40, 80, 120])
def test_a_terminal_gets_lines_no_wider_than_itself(width: int) -> None:
    out = table(["id", "label", "modality"], ROWS, width)
    lines = out.splitlines()
    assert max(len(line) for line in lines) <= width
    # The narrow columns are whole; only the wide one is cut.
    assert "C17" in out
    assert "speculated" in out
    assert ("…" in out) == (len(LONG) + len("C17 | ") + len(" | speculated") > width)


def test_a_wide_terminal_cuts_nothing() -> None:
    assert "…" not in table(["id", "label", "modality"], ROWS, 200)
