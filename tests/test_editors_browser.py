"""Signing in, writing and signing out in a real browser (Debian's Chromium, Playwright),
against a real `parley serve`; and a form on another site that tries to write with the
signed-in editor's cookie.

What only a browser shows: the cookie's attributes as Chromium keeps them, the ``Origin``
Chromium sends under the pages' ``Referrer-Policy: no-referrer`` (``null`` on a same-origin
POST: the CSRF token decides), and that ``SameSite=Strict`` keeps the cookie off another
site's post in the first place.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from service.cli import main
from tests import clients
from tests.browser import chromium
from tests.support import ServerProcess, copy_store, free_port, start_server

pytestmark = pytest.mark.server

RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
DCTERMS_SOURCE = "http://purl.org/dc/terms/source"


@pytest.fixture(scope="module")
def editors_site(
    tmp_path_factory: pytest.TempPathFactory, built_store: Path, base_iri: str
) -> Iterator[tuple[ServerProcess, str]]:
    """A server on a copy of the model (under the model's base IRI, on a port of its own),
    and the token of its one editor (added with the CLI while it runs)."""
    root = tmp_path_factory.mktemp("editors-browser")
    store = copy_store(built_store, root / "store", base_iri)
    server = start_server(store, port=free_port(), log_dir=root, base_iri=base_iri)
    try:
        added = CliRunner().invoke(main, ["editor", "add", "Ann Lee", "--store", str(store)])
        assert added.exit_code == 0, added.output
        yield server, added.stdout.strip().splitlines()[-1]
    finally:
        server.stop()


def _person(base: str, local: str) -> str:
    return (
        f'<{base}id/{local}> a <{base}ontology#Person> ; <{RDFS_LABEL}> "{local}"@en ; '
        f"<{DCTERMS_SOURCE}> <{base}id/ref/wikidata> ."
    )


def _holds(server: ServerProcess, base: str, local: str) -> bool:
    answer = clients.get(
        server.url + "sparql",
        params={"query": f"ASK {{ <{base}id/{local}> ?p ?o }}"},
        headers={"Accept": "application/sparql-results+json"},
        timeout=30,
    )
    return bool(answer.json()["boolean"])


def test_an_editor_signs_in_writes_and_signs_out_in_a_browser(
    editors_site: tuple[ServerProcess, str], base_iri: str
) -> None:
    server, token = editors_site
    url, base = server.url, base_iri  # where it listens; what its IRIs start with
    with chromium() as browser:
        context = browser.new_context(bypass_csp=True)  # for page.evaluate's fetch only
        page = context.new_page()
        page.goto(url + "sign-in?next=/search")
        page.fill("#token", token)
        with page.expect_navigation():
            page.click("form.sign-in button")
        assert page.url == url + "search"
        assert page.locator("header .account").inner_text().startswith("Ann Lee")
        (cookie,) = [c for c in context.cookies() if c["name"] == "parley_session"]
        assert cookie["httpOnly"]
        assert cookie["sameSite"] == "Strict"
        assert cookie["path"] == "/"

        # A write from the page, as form.js makes one: same origin, the page's CSRF token.
        status = page.evaluate(
            """async ([url, body]) => {
                const token = document.querySelector("input[name=csrf_token]").value;
                const answer = await fetch(url, {method: "POST", body,
                    headers: {"Content-Type": "text/turtle", "X-CSRF-Token": token}});
                return answer.status;
            }""",
            [f"/data?graph={base}graph/reference", _person(base, "BrowserPerson")],
        )
        assert status == 201
        assert _holds(server, base, "BrowserPerson")
        page.goto(url + "id/BrowserPerson")
        assert "Added by Ann Lee" in " ".join(page.locator(".added-by").inner_text().split())

        # Another site's form, posted with the editor's browser: nothing is written.
        evil = "http://evil.test/"
        update = (
            f"INSERT DATA {{ GRAPH <{base}graph/reference> {{ {_person(base, 'ForgedPerson')} }} }}"
        )
        page.route(
            evil,
            lambda route: route.fulfill(
                content_type="text/html",
                body=f'<form method="post" action="{url}sparql">'
                f'<input name="update" value="{update.replace(chr(34), "&quot;")}">'
                '<button id="go">go</button></form>',
            ),
        )
        page.goto(evil)
        with page.expect_navigation() as navigation:
            page.click("#go")
        forged = navigation.value
        assert forged is not None
        assert forged.status == 401  # SameSite=Strict: the cookie is not even sent
        assert not _holds(server, base, "ForgedPerson")

        # Signing out ends the session on the server: the old cookie no longer writes.
        page.goto(url + "search")
        with page.expect_navigation():
            page.click("header .account button")
        assert "Sign in" in page.locator("header .account").inner_text()
        replayed = clients.post(
            f"{url}data?graph={base}graph/reference",
            content=_person(base, "ReplayedPerson"),
            headers={"Content-Type": "text/turtle", "Cookie": f"parley_session={cookie['value']}"},
            timeout=30,
        )
        assert replayed.status_code == 401
        assert not _holds(server, base, "ReplayedPerson")
        context.close()
