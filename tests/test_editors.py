"""Editors: their registry and CLI, their tokens as bearer tokens, signing in with a session
cookie, CSRF, signing out, revocation, and the provenance and pages that name them.

HTTP in-process (the app on a private copy of the model: ``private_site``), the CLI through
click's runner on the same editors file, as an administrator would run it beside a server.
"""

from __future__ import annotations

import json
import re
import stat
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from service.build._journal import Entry
from service.cli import main
from service.editing import Registry, Sessions, editors_file
from service.gate import Accepted, Stamp
from service.rdf import NamedNode
from service.settings import Settings
from service.store import ChangeSet
from service.web import create_app
from tests.support import AppSite

RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
PROV = "http://www.w3.org/ns/prov#"
TURTLE = {"Content-Type": "text/turtle"}


def _person(base: str, local: str, label: str) -> bytes:
    return (
        f'<{base}id/{local}> a <{base}ontology#Person> ; <{RDFS_LABEL}> "{label}"@en ; '
        f"<http://purl.org/dc/terms/source> <{base}id/ref/wikidata> ."
    ).encode()


@pytest.fixture
def site(private_site: AppSite) -> AppSite:
    return private_site


@pytest.fixture
def registry(site: AppSite) -> Registry:
    path = editors_file(site.services.settings)
    assert path is not None
    return Registry(path)


@pytest.fixture
def client(site: AppSite) -> Iterator[httpx.Client]:
    with site.client() as http:
        yield http


def _cli(site: AppSite, *args: str) -> str:
    store = site.services.settings.store_path
    assert store is not None
    result = CliRunner().invoke(
        main, ["editor", *args, "--store", str(store), "--base-iri", site.url]
    )
    assert result.exit_code == 0, result.output
    return result.output


def _add(site: AppSite, name: str) -> str:
    """Add an editor with the CLI; their token (the one line on standard output)."""
    result = CliRunner().invoke(
        main,
        ["editor", "add", name, "--store", str(site.services.settings.store_path)],
    )
    assert result.exit_code == 0, result.output
    return result.stdout.strip().splitlines()[-1]


def _sign_in(client: httpx.Client, token: str, next_path: str = "/") -> httpx.Response:
    return client.post("/sign-in", data={"token": token, "next": next_path})


def _csrf(client: httpx.Client) -> str:
    page = client.get("/sign-in").text
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found, "a signed-in page carries the CSRF token"
    return found.group(1)


def _post_person(
    client: httpx.Client, base: str, local: str, headers: dict[str, str] | None = None
) -> httpx.Response:
    return client.post(
        f"/data?graph={base}graph/reference",
        content=_person(base, local, local),
        headers={**TURTLE, **(headers or {})},
    )


def _ask(site: AppSite, query: str) -> bool:
    return site.services.store.ask(query)


def _holds_person(site: AppSite, local: str) -> bool:
    return _ask(site, f"ASK {{ <{site.url}id/{local}> ?p ?o }}")


# -- the registry and the CLI ---------------------------------------------------------------


def test_editor_add_list_revoke_keeps_only_a_hash(site: AppSite) -> None:
    store = site.services.settings.store_path
    assert store is not None
    added = CliRunner().invoke(main, ["editor", "add", "Olena Kovalenko", "--store", str(store)])
    assert added.exit_code == 0, added.output
    token = added.stdout.strip().splitlines()[-1]
    assert len(token) == 43
    assert "id/editor/olena-kovalenko" in added.stderr
    second = _add(site, "Olena  Kovalenko")  # same name: its own id
    path = store.with_name(store.name + ".editors")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    text = path.read_text()
    assert token not in text
    assert second not in text
    kept = json.loads(text)["editors"]
    assert [e["id"] for e in kept] == ["olena-kovalenko", "olena-kovalenko-2"]
    assert all(len(e["hash"]) == 64 and len(e["salt"]) == 32 for e in kept)
    assert kept[0]["scrypt"] == {"n": 2**14, "r": 8, "p": 1}

    listing = _cli(site, "list")
    assert "olena-kovalenko-2" in listing
    assert f"{site.url}id/editor/olena-kovalenko" in listing
    revoked = _cli(site, "revoke", "olena-kovalenko")
    assert "revoked" in revoked
    rows = {line.split()[0]: line for line in _cli(site, "list").splitlines()[1:]}
    assert not rows["olena-kovalenko"].rstrip().endswith("-")  # a revocation date
    assert rows["olena-kovalenko-2"].rstrip().endswith("-")
    unknown = CliRunner().invoke(main, ["editor", "revoke", "nobody", "--store", str(store)])
    assert unknown.exit_code != 0
    assert "no editor 'nobody'" in unknown.output


def test_a_revoked_id_is_never_reused(tmp_path: Path) -> None:
    registry = Registry(tmp_path / "store.editors")
    first, _token = registry.add("Ann Lee")
    registry.revoke(first.id)
    again, _token = registry.add("Ann Lee")
    assert (first.id, again.id) == ("ann-lee", "ann-lee-2")


def test_two_processes_adding_at_once_lose_no_editor(tmp_path: Path) -> None:
    """Each add reads and writes the file under its lock: two registries (two processes'
    views of one file) interleaving adds keep every editor, and see each other's."""
    path = tmp_path / "store.editors"
    one, other = Registry(path), Registry(path)
    tokens = {}
    for n in range(3):
        for registry, who in ((one, "a"), (other, "b")):
            editor, token = registry.add(f"{who} {n}")
            tokens[editor.id] = token
    assert {e.id for e in one.editors()} == set(tokens) == {e.id for e in other.editors()}
    for editor_id, token in tokens.items():
        found = other.verify(token)
        assert found is not None
        assert found.id == editor_id


# -- bearer tokens ------------------------------------------------------------------------


def test_an_editors_token_writes_and_the_provenance_names_the_editor(
    site: AppSite, client: httpx.Client
) -> None:
    token = _add(site, "Olena Kovalenko")
    answer = _post_person(client, site.url, "EditorsPerson", {"Authorization": f"Bearer {token}"})
    assert answer.status_code == 201, answer.text
    record = answer.json()["record"]
    editor = f"{site.url}id/editor/olena-kovalenko"
    graph = f"{site.url}graph/provenance"
    assert _ask(
        site,
        f"ASK {{ GRAPH <{graph}> {{ <{record}> <{PROV}wasAssociatedWith> <{editor}> . "
        f'<{editor}> a <{PROV}Agent> ; <{RDFS_LABEL}> "Olena Kovalenko" }} }}',
    )


def test_the_administrators_token_still_writes_as_the_administrator(
    site: AppSite, client: httpx.Client
) -> None:
    answer = _post_person(client, site.url, "AdminPerson", site.auth())
    assert answer.status_code == 201, answer.text
    record = answer.json()["record"]
    assert _ask(
        site,
        f"ASK {{ <{record}> <{PROV}wasAssociatedWith> ?agent . "
        f'?agent <{RDFS_LABEL}> "administrator" '
        f'FILTER(STRSTARTS(STR(?agent), "{site.url}id/agent/token-")) }}',
    )


def test_the_journal_keeps_the_editors_name_for_a_replay() -> None:
    from datetime import UTC, datetime

    now = datetime.now(UTC)
    accepted = Accepted(ChangeSet(), "http://h/id/editor/ann", "POST /data", Stamp(now, now), "Ann")
    entry = Entry.of(accepted, "http://h/")
    again = Entry.from_json(json.loads(json.dumps(entry.to_json())))
    assert again.agent_name == "Ann"
    assert again.agent == "http://h/id/editor/ann"
    unnamed = Entry.of(Accepted(ChangeSet(), "x", "op", Stamp(now, now)), "http://h/")
    assert "agentName" not in unnamed.to_json()  # older entries read the same as before


def test_a_revoked_token_gets_401_at_once_and_its_sessions_end(
    site: AppSite, client: httpx.Client
) -> None:
    token = _add(site, "Ann Lee")
    bearer = {"Authorization": f"Bearer {token}"}
    assert _post_person(client, site.url, "BeforeRevoking", bearer).status_code == 201
    assert _sign_in(client, token).status_code == 303
    csrf = _csrf(client)
    _cli(site, "revoke", "ann-lee")  # beside the running app, which is not restarted
    refused = _post_person(client, site.url, "AfterRevoking", bearer)
    assert refused.status_code == 401
    assert refused.headers["Content-Type"].startswith("application/problem+json")
    by_cookie = _post_person(client, site.url, "AfterRevoking", {"X-CSRF-Token": csrf})
    assert by_cookie.status_code == 401
    assert not _holds_person(site, "AfterRevoking")
    assert "Sign out" not in client.get("/").text


# -- signing in, CSRF, signing out -------------------------------------------------------------


def test_sign_in_sets_a_strict_http_only_session_cookie(
    site: AppSite, client: httpx.Client
) -> None:
    token = _add(site, "Ann Lee")
    form = client.get("/sign-in")
    assert form.status_code == 200
    assert 'name="token"' in form.text
    answer = _sign_in(client, token, "/search?q=Putin")
    assert answer.status_code == 303
    assert answer.headers["Location"] == "/search?q=Putin"
    cookie = answer.headers["Set-Cookie"]
    assert cookie.startswith("parley_session=")
    attributes = {part.strip().split("=")[0].lower() for part in cookie.split(";")}
    assert {"httponly", "path", "max-age"} <= attributes
    assert "samesite=strict" in cookie.lower()
    assert "secure" not in attributes  # the base IRI is http
    home = client.get("/").text
    assert "Ann Lee" in home
    assert "Sign out" in home
    assert 'href="/sources/new"' in home
    assert 'href="/changes"' in home


def test_the_cookie_is_secure_on_an_https_site(tmp_path: Path) -> None:
    settings = Settings(
        base_iri="https://parley.test/",
        write_token="test-token",
        editors_file=tmp_path / "editors",
        query_workers=0,
    )
    app = create_app(settings)
    try:
        _editor, token = Registry(tmp_path / "editors").add("Ann Lee")
        answer = app.test_client().post(
            "/sign-in", data={"token": token}, base_url="https://parley.test/"
        )
        assert answer.status_code == 303
        assert "; secure" in answer.headers["Set-Cookie"].lower()
    finally:
        app.extensions["parley"].store.close()


def test_a_wrong_token_gets_the_form_again_with_401(site: AppSite, client: httpx.Client) -> None:
    _add(site, "Ann Lee")
    answer = _sign_in(client, "not-a-token")
    assert answer.status_code == 401
    assert "not an editor" in answer.text
    assert 'name="token"' in answer.text
    assert "set-cookie" not in answer.headers
    admin = _sign_in(client, site.token)
    assert admin.status_code == 401
    assert "write token" in admin.text


def test_next_never_leads_to_another_host(site: AppSite, client: httpx.Client) -> None:
    token = _add(site, "Ann Lee")
    for target in ("https://evil.example/", "//evil.example/x", "/\\evil.example", "x"):
        answer = _sign_in(client, token, target)
        assert answer.status_code == 303
        assert answer.headers["Location"] == "/", target


def test_a_forged_cookie_post_is_refused_and_writes_nothing(
    site: AppSite, client: httpx.Client
) -> None:
    token = _add(site, "Ann Lee")
    _sign_in(client, token)
    csrf = _csrf(client)
    # A form another site posts: the browser sends the cookie, not the token.
    forged = client.post(
        f"/data?graph={site.url}graph/reference",
        content=_person(site.url, "Forged", "Forged"),
        headers={**TURTLE, "Origin": "https://evil.example"},
    )
    assert forged.status_code == 403
    assert forged.json()["type"].endswith("/problems/csrf")
    no_token = _post_person(client, site.url, "Forged")
    assert no_token.status_code == 403
    wrong_token = _post_person(client, site.url, "Forged", {"X-CSRF-Token": "0" * 43})
    assert wrong_token.status_code == 403
    other_site = _post_person(
        client, site.url, "Forged", {"X-CSRF-Token": csrf, "Origin": "https://evil.example"}
    )
    assert other_site.status_code == 403
    by_referer = _post_person(
        client, site.url, "Forged", {"X-CSRF-Token": csrf, "Referer": "https://evil.example/a"}
    )
    assert by_referer.status_code == 403
    assert not _holds_person(site, "Forged")
    # A browser's page gets the refusal as a page.
    page = client.post(
        "/sign-out", data={}, headers={"Accept": "text/html", "Origin": "https://evil.example"}
    )
    assert page.status_code == 403
    assert page.headers["Content-Type"].startswith("text/html")


def test_a_cookie_post_with_the_csrf_token_writes_as_the_editor(
    site: AppSite, client: httpx.Client
) -> None:
    token = _add(site, "Ann Lee")
    _sign_in(client, token)
    csrf = _csrf(client)
    answer = _post_person(client, site.url, "ByCookie", {"X-CSRF-Token": csrf, "Origin": site.url})
    assert answer.status_code == 201, answer.text
    record = answer.json()["record"]
    assert _ask(
        site, f"ASK {{ <{record}> <{PROV}wasAssociatedWith> <{site.url}id/editor/ann-lee> }}"
    )
    # Chromium sends "Origin: null" under the pages' no-referrer policy: the token decides.
    hidden = _post_person(client, site.url, "ByCookie2", {"X-CSRF-Token": csrf, "Origin": "null"})
    assert hidden.status_code == 201, hidden.text
    # As a form field (a SPARQL update posted by a form).
    update = client.post(
        "/sparql",
        data={
            "update": f"INSERT DATA {{ GRAPH <{site.url}graph/reference> {{ <{site.url}id/ByForm> "
            f'a <{site.url}ontology#Person> ; <{RDFS_LABEL}> "By form"@en ; '
            f"<http://purl.org/dc/terms/source> <{site.url}id/ref/wikidata> }} }}",
            "csrf_token": csrf,
        },
    )
    assert update.status_code == 200, update.text
    assert _holds_person(site, "ByForm")


def test_signing_out_ends_the_session_on_the_server(site: AppSite, client: httpx.Client) -> None:
    token = _add(site, "Ann Lee")
    _sign_in(client, token)
    cookie = client.cookies["parley_session"]
    csrf = _csrf(client)
    out = client.post("/sign-out", data={"csrf_token": csrf})
    assert out.status_code == 303
    assert "Sign in" in client.get("/").text
    with site.client() as replay:  # the old cookie, replayed
        replay.cookies.set("parley_session", cookie)
        answer = _post_person(replay, site.url, "Replayed", {"X-CSRF-Token": csrf})
        assert answer.status_code == 401
        assert "Sign out" not in replay.get("/").text
    assert not _holds_person(site, "Replayed")


def test_sessions_are_shared_through_their_file(tmp_path: Path) -> None:
    """Two processes' views of one sessions file (the server's workers, or a restart): a
    session started by one is known to the other, and ended for both by either."""
    registry = Registry(tmp_path / "editors")
    editor, _token = registry.add("Ann Lee")
    one, other = Sessions(registry), Sessions(Registry(tmp_path / "editors"))
    cookie, session = one.start(editor)
    found = other.find(cookie)
    assert found is not None
    assert found.editor.id == "ann-lee"
    assert other.csrf_ok(found, one.csrf_token(session))
    assert other.find(cookie[:-1] + ("0" if cookie[-1] != "0" else "1")) is None  # forged MAC
    other.end(found)
    assert one.find(cookie) is None
    text = one.path.read_text()
    assert cookie.split(".")[0] not in text  # only hashes of session ids are kept
    assert stat.S_IMODE(one.path.stat().st_mode) == 0o600


# -- pages ----------------------------------------------------------------------------------


def test_a_page_says_who_added_its_subject(site: AppSite, client: httpx.Client) -> None:
    token = _add(site, "Olena Kovalenko")
    answer = _post_person(client, site.url, "AddedPerson", {"Authorization": f"Bearer {token}"})
    assert answer.status_code == 201
    record = answer.json()["record"]
    page = client.get("/id/AddedPerson", headers={"Accept": "text/html"}).text
    assert "Added by" in page
    assert "Olena Kovalenko" in page
    fragment = record.split("#", 1)[1]
    assert f'href="/graph/provenance#{fragment}"' in page
    built = client.get("/id/Putin", headers={"Accept": "text/html"}).text
    assert "Added by" not in built  # the build's data has no write record


def test_added_by_looks_up_one_subject(site: AppSite) -> None:
    from service.editing import added_by

    assert added_by(site.services.store, NamedNode(f"{site.url}id/Putin")) is None


def test_sign_in_attempts_are_rate_limited(store_copy: Path, base_iri: str) -> None:
    """Guessing tokens at the sign-in form counts against the client's rate limit; the form
    itself (GET) does not."""
    from tests.support import open_app

    limited = open_app(store_copy, base_iri, query_workers=0, rate_limit_per_minute=2)
    try:
        with limited.client() as http:
            for _ in range(3):
                assert http.get("/sign-in").status_code == 200
            answers = [_sign_in(http, "guess").status_code for _ in range(3)]
        assert answers == [401, 401, 429]
    finally:
        limited.stop()
