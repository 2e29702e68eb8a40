"""Helpers of the browser tests: Debian's Chromium driven by Playwright, the axe-core
checker the tests inject into pages, and the SPARQL look-ups that find a page to test.

Nothing here downloads a browser or a script: Chromium is Debian's package and axe-core
comes from the npm registry at install time (`make axe`); when either is missing the
tests fail and say what to run, they never skip.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Literal, TypedDict

import pytest

from service.settings import PROJECT_ROOT
from tests import clients
from tests.support import ServerProcess

if TYPE_CHECKING:
    from playwright.sync_api import Browser

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


class Jpeg(TypedDict):
    type: Literal["jpeg"]
    quality: int


#: How the tests save a screenshot (for people to look at, under ``test-artifacts/``): JPEG,
#: which Chromium encodes in a fraction of the time PNG takes (a full page as PNG cost
#: 0.25 s of its CPU: 12 s of the page tour's 72).
JPEG: Jpeg = {"type": "jpeg", "quality": 85}
#: Where `make axe` installs axe-core (the Makefile pins its version).
AXE_JS = PROJECT_ROOT / ".vendor" / "axe" / "node_modules" / "axe-core" / "axe.min.js"


def chromium_path() -> str:
    """Debian's Chromium; fail (never skip) with what to do when it is missing."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None and Path("/usr/bin/chromium").exists():
        found = "/usr/bin/chromium"
    if found is None:
        pytest.fail(
            "Chromium is not installed: the browser tests need Debian's package "
            "(`apt-get install -y chromium`; .ci/run installs it on a fresh machine)."
        )
    return found


def axe_path() -> Path:
    """axe-core's script; fail (never skip) with what to do when it is missing."""
    if not AXE_JS.is_file():
        pytest.fail(
            f"axe-core is not installed at {AXE_JS.relative_to(PROJECT_ROOT)}: run `make axe` "
            "(npm installs the pinned version from the npm registry; `make test` runs it)."
        )
    return AXE_JS


@contextmanager
def chromium() -> Iterator[Browser]:
    """One headless Chromium, closed at the end."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover - the dev extra installs it
        pytest.fail("Playwright for Python is missing: `pip install -e '.[dev]'`")
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_FLAGS)
        try:
            yield instance
        finally:
            instance.close()


def select(server: ServerProcess, query: str) -> list[dict[str, str]]:
    """The rows of a SELECT asked of the server, each a name-to-value dict."""
    answer = clients.get(
        server.url + "sparql",
        params={"query": query},
        headers={"Accept": "application/sparql-results+json"},
        timeout=60,
    )
    assert answer.status_code == 200, f"{query}\n{answer.text[:500]}"
    rows = json.loads(answer.text)["results"]["bindings"]
    return [{name: cell["value"] for name, cell in row.items()} for row in rows]


def first_of(server: ServerProcess, query: str) -> str:
    """The IRI of the first answer of ``SELECT ?c ...``."""
    rows = select(server, query)
    assert rows, query
    return rows[0]["c"]


#: Where a word may wrap inside a table cell: after one of these characters (the places
#: a ``<wbr>`` marks in a long IRI, CURIE or identifier), or between a lower-case and an
#: upper-case letter (camelCase names such as ``actsOnBehalfOf``).
BREAK_AFTER = "/#_-.:?&=,;|>)–—"

#: The words of table cells that wrap where they may not (``found``: ``Turke⏎y``, ``⏎``
#: where the line ends, with the cell's text), and how many cells the page has
#: (``cells``). A word is a run of non-space characters in one text node (a ``<wbr>`` or
#: a tag ends one); the per-letter scan runs only on words whose own box spans two lines,
#: so a page of whole words costs one range per word.
BROKEN_WORDS_JS = """
(breakAfter) => {
  const found = [];
  const lineOf = (node, start, end) => {
    const range = document.createRange();
    range.setStart(node, start);
    range.setEnd(node, end);
    return [...range.getClientRects()].filter(r => r.width > 0 && r.height > 0);
  };
  const allowed = (before, after) =>
    breakAfter.includes(before) || (/[a-z]/.test(before) && /[A-Z]/.test(after));
  const cells = document.querySelectorAll("td, th");
  for (const cell of cells) {
    const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      for (const match of node.data.matchAll(/\\S{2,}/g)) {
        const rects = lineOf(node, match.index, match.index + match[0].length);
        if (new Set(rects.map(r => Math.round(r.top / 3))).size < 2) continue;
        const word = match[0];
        let top = null, shown = "";
        for (let i = 0; i < word.length; i++) {
          const box = lineOf(node, match.index + i, match.index + i + 1)[0];
          if (box === undefined) { shown += word[i]; continue; }
          if (top !== null && Math.abs(box.top - top) > 2 && !allowed(word[i - 1], word[i])) {
            shown += "⏎";
          }
          top = box.top;
          shown += word[i];
        }
        if (shown.includes("⏎")) {
          found.push(`${shown} (in "${cell.textContent.trim().slice(0, 60)}")`);
        }
      }
    }
  }
  return { found, cells: cells.length };
}
"""

#: What sticks out past the right edge of the viewport, outermost first: elements whose
#: box ends past ``width`` and whose parent's does not (the ones that push the page
#: wider), each as ``tag#id.class`` under its parent. Content inside a scroll container
#: (overflow-x auto, scroll or hidden) does not push the page and is not listed.
OVERFLOWING_JS = """
(width) => {
  const name = el => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") +
    [...el.classList].map(c => "." + c).join("");
  const clipped = el => {
    for (let up = el.parentElement; up; up = up.parentElement) {
      if (["auto", "scroll", "hidden", "clip"].includes(getComputedStyle(up).overflowX) &&
          up !== document.documentElement && up !== document.body) return true;
    }
    return false;
  };
  const wide = el => el.getBoundingClientRect().right > width + 1;
  const found = [];
  for (const el of document.body.querySelectorAll("*")) {
    if (!wide(el) || (el.parentElement && wide(el.parentElement)) || clipped(el)) continue;
    const right = Math.round(el.getBoundingClientRect().right);
    found.push(`${name(el.parentElement)} > ${name(el)} ends at ${right}px`);
  }
  return found.slice(0, 8);
}
"""

#: axe-core's serious and critical violations, each rule with where it is found.
AXE_JS_RUN = """
async () => {
  const result = await axe.run(document, { resultTypes: ["violations"] });
  return result.violations
    .filter(v => v.impact === "serious" || v.impact === "critical")
    .map(v => `${v.impact} ${v.id} (${v.help}) at ` +
      v.nodes.slice(0, 3).map(n => n.target.join(" ")).join(", ") +
      (v.nodes.length > 3 ? ` and ${v.nodes.length - 3} more` : ""));
}
"""
