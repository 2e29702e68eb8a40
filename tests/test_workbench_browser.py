"""The editors' workbench, driven as an editor drives it (issue 15), in Debian's Chromium
against a real `parley serve`.

One walk through the whole workflow: sign in with an editor's token, add a source by
pasting its text, select a sentence of it with the mouse, see the claim form filled with
the quote and its offsets (Unicode code points: the text holds a character beyond the
Basic Multilingual Plane before the sentence, which JavaScript counts as two), leave the
claimant empty and see the live check put the violation next to that field, fill it,
submit, land on the claim's page with the quote highlighted in its source, and see the
change arrive on the "Latest changes" page, open in another tab, without reloading it.
Then the store is asked what was written: the claim, its quote at its offsets, and the
editor named in the write's provenance.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from click.testing import CliRunner

from service.cli import main
from tests import clients
from tests.browser import JPEG, chromium
from tests.support import ARTIFACTS_DIR, ServerProcess, copy_store, free_port, start_server

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.server

EDITOR = "Rosa Vidal"
TITLE = "Workbench test dispatch"
#: The text an editor pastes: a dove (U+1F54A, two UTF-16 units) before the sentence.
SENTENCE = "the ceasefire along the line of contact would hold through the winter"
TEXT = (
    "Talks resumed in Geneva on Monday \N{DOVE OF PEACE} after a pause of three weeks.\n\n"
    f"Speaking to reporters, Vladimir Putin said {SENTENCE}.\n\n"
    "Other delegations did not comment on the statement."
)
SHOTS = ARTIFACTS_DIR / "workbench"


@pytest.fixture(scope="module")
def workbench(
    tmp_path_factory: pytest.TempPathFactory, built_store: Path, base_iri: str
) -> Iterator[tuple[ServerProcess, str]]:
    """A server on a copy of the model, on a port of its own, and the token of an editor
    added with the CLI while it runs."""
    root = tmp_path_factory.mktemp("workbench")
    store = copy_store(built_store, root / "store", base_iri)
    server = start_server(store, port=free_port(), log_dir=root, base_iri=base_iri)
    try:
        added = CliRunner().invoke(main, ["editor", "add", EDITOR, "--store", str(store)])
        assert added.exit_code == 0, added.output
        yield server, added.stdout.strip().splitlines()[-1]
    finally:
        server.stop()


def _select_with_mouse(page: Page, words: str) -> None:
    """Drag the mouse from the first letter of ``words`` in the source's text to its last."""
    box = page.evaluate(
        """(words) => {
            const root = document.querySelector(".source-text");
            const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
            for (let node = walker.nextNode(); node; node = walker.nextNode()) {
                const at = node.data.indexOf(words);
                if (at < 0) continue;
                node.parentElement.scrollIntoView({block: "center"});
                const letter = (i) => {
                    const r = document.createRange();
                    r.setStart(node, i); r.setEnd(node, i + 1);
                    return r.getBoundingClientRect();
                };
                const first = letter(at), last = letter(at + words.length - 1);
                return {x1: first.left + 1, y1: first.top + first.height / 2,
                        x2: last.right - 1, y2: last.top + last.height / 2};
            }
            return null;
        }""",
        words,
    )
    assert box is not None, f"{words!r} is not in the source's text on the page"
    page.mouse.move(box["x1"], box["y1"])
    page.mouse.down()
    page.mouse.move(box["x2"], box["y2"], steps=12)
    page.mouse.up()


def _pick(page: Page, field: str, typed: str, label: str) -> None:
    """Type into a picker and choose the option with ``label`` from its list."""
    page.fill(f"#f-{field}", typed)
    option = page.locator(f"#f-{field} ~ ul[role=listbox] li[role=option]", has_text=label)
    option.first.wait_for(state="visible", timeout=10_000)
    option.first.click()


def _ask(server: ServerProcess, query: str) -> list[dict[str, str]]:
    answer = clients.get(
        server.url + "sparql",
        params={"query": query},
        headers={"Accept": "application/sparql-results+json"},
        timeout=30,
    )
    assert answer.status_code == 200, answer.text[:300]
    return [{k: v["value"] for k, v in row.items()} for row in answer.json()["results"]["bindings"]]


def test_an_editor_adds_a_source_and_marks_a_claim_in_the_browser(
    workbench: tuple[ServerProcess, str], base_iri: str
) -> None:
    server, token = workbench
    url = server.url
    start = TEXT.index(SENTENCE)  # code points, as Python counts
    end = start + len(SENTENCE)
    assert len(TEXT[:start].encode("utf-16-le")) // 2 == start + 1  # JavaScript's count differs
    SHOTS.mkdir(parents=True, exist_ok=True)
    with chromium() as browser:
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()

        # Sign in.
        page.goto(url + "sign-in?next=/sources/new")
        page.fill("#token", token)
        with page.expect_navigation():
            page.click("form.sign-in button")
        assert page.url == url + "sources/new"

        # The live changes page, open in another tab from before the writes.
        feed = context.new_page()
        feed.goto(url + "changes")
        feed.wait_for_function(
            "document.querySelector('#changes') && window.EventSource !== undefined"
        )

        # Add a source by pasting its text.
        page.fill("#title", TITLE)
        page.fill("#url", "https://news.example/dispatch")
        page.fill("#publisher", "Example News")
        page.fill("#date", "2025-11-28")
        page.check("input[name=kind][value=kind-newspaper]")
        page.fill("#language", "en")
        page.fill("#text", TEXT)
        with page.expect_navigation():
            page.click("form.source-form button[type=submit]:not(.secondary)")
        assert "/id/source/" in page.url, page.url
        source_page = page.url
        assert "Talks resumed in Geneva" in page.locator(".source-text").inner_text()

        # Select the sentence with the mouse and mark it.
        _select_with_mouse(page, SENTENCE)
        assert page.evaluate("window.getSelection().toString()") == SENTENCE
        with page.expect_navigation():
            page.click("#mark-selection")
        assert "/claims/new" in page.url
        assert page.locator("#quote-exact").inner_text() == SENTENCE
        assert page.get_attribute("#f-start", "data-start") == str(start)
        assert page.get_attribute("#f-end", "data-end") == str(end)

        # Leave the claimant empty: the live check says so next to the claimant.
        page.check("input[name=modality][value=modality-predicted]")
        page.check("input[name=claimType][value=type-factual]")
        _pick(page, "aboutActor", "Ukraine", "Ukraine")
        page.fill("#f-label", "Vladimir Putin: the ceasefire would hold through the winter")
        error = page.locator("#f-claimant-error")
        error.wait_for(state="visible", timeout=15_000)
        page.wait_for_function(
            "document.querySelector('#f-claimant-error').textContent.trim().length > 0",
            timeout=15_000,
        )
        assert "claimant" in error.inner_text().lower()
        assert page.get_attribute("#f-claimant", "aria-invalid") == "true"
        page.screenshot(path=str(SHOTS / "claim-form-violation.jpg"), full_page=True, **JPEG)

        # Fill it, and submit: the claim's page, with the quote highlighted in its source.
        _pick(page, "claimant", "Putin", "Vladimir Putin")
        with page.expect_navigation(url=lambda u: "/id/claim/" in u, timeout=30_000):
            page.click("#claim-submit")
        claim_page = page.url
        assert [m for m in page.locator("figure mark").all_inner_texts() if SENTENCE in m]
        assert (
            "Vladimir Putin"
            in page.locator("h1").inner_text() + page.locator("header, main").first.inner_text()
        )
        page.screenshot(path=str(SHOTS / "claim-page.jpg"), full_page=True, **JPEG)

        # The change arrived on the open changes page, without a reload.
        feed.locator("#changes li.change", has_text=EDITOR).filter(has_text="claim").first.wait_for(
            state="visible", timeout=10_000
        )
        feed.screenshot(path=str(SHOTS / "changes-live.jpg"), full_page=True, **JPEG)
        context.close()

    # What the store holds: the claim, its quote at its offsets, the editor in provenance.
    claim = base_iri + claim_page.removeprefix(url)
    rows = _ask(
        server,
        f"PREFIX parley: <{base_iri}ontology#> PREFIX oa: <http://www.w3.org/ns/oa#> "
        "PREFIX prov: <http://www.w3.org/ns/prov#> "
        "PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> "
        "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> "
        "SELECT ?claimant ?src ?exact ?start ?end ?editor WHERE { "
        f"<{claim}> parley:claimant ?claimant ; parley:appearsIn ?src ; "
        "parley:hasEvidence ?ev . ?ev oa:hasSelector ?q , ?p . ?q oa:exact ?exact . "
        "?p oa:start ?start ; oa:end ?end . "
        f"GRAPH <{base_iri}graph/provenance> {{ ?st rdf:subject <{claim}> . "
        "?record parley:addedStatement ?st ; prov:wasAssociatedWith ?agent . "
        "?agent rdfs:label ?editor } }",
    )
    assert rows, "the claim is not in the store"
    row = rows[0]
    assert row["claimant"] == base_iri + "id/Putin"
    assert source_page.removeprefix(url) in row["src"]
    assert (row["exact"], int(row["start"]), int(row["end"])) == (SENTENCE, start, end)
    assert EDITOR in {r["editor"] for r in rows}
