"""Adding a source (``GET /sources/new``, ``POST /sources``): JSON, a signed-in editor's
form, an uploaded ``.txt`` or ``.html`` file; the text normalised to NFC and hashed; the
source's page showing the text at once; refusals naming their field.

In-process on a private copy of the built model (``private_site``): every test writes.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import httpx
import pytest

from service.editing import (
    Registry,
    SourceDraft,
    editors_file,
    html_to_text,
    pasted_text,
    plan_source,
)
from service.editing._source_text import UploadError, uploaded_text
from service.editing._sources import slug_for
from service.rdf import NamedNode
from tests.support import AppSite, open_app

#: A source any store of the model takes.
FIELDS = {
    "title": "Talks in Geneva resume",
    "url": "https://example.org/news/talks-in-geneva",
    "publisher": "Example News",
    "date": "2025-12-01",
    "kind": "newspaper",
    "language": "en",
}
TEXT = "Delegations met in Geneva on Monday.\nBoth sides said the talks would go on."
#: An HTML page: a script, a style, entities, a decomposed é, unclosed paragraphs.
PAGE = (
    "<!doctype html><html lang=uk><head><meta charset=utf-8><title>Talks &amp; truce</title>"
    "<style>p { color: red }</style><script>var secret = '<p>not text</p>';</script>"
    "<link rel=canonical href='https://example.org/page'></head><body>"
    "<nav><a href='/'>Home</a></nav><h1>Talks &amp; a  truce</h1>"
    "<p>The caf\u0065\u0301 on &laquo;Main&nbsp;Street&raquo;\n   was   full.<p>Second"
    "<br>line<noscript>Enable scripts</noscript><!-- a comment --></body></html>"
)


@pytest.fixture
def site(private_site: AppSite) -> AppSite:
    return private_site


@pytest.fixture
def http(site: AppSite) -> Iterator[httpx.Client]:
    with site.client() as client:
        yield client


def _add_json(
    site: AppSite, http: httpx.Client, fields: dict[str, object], query: str = ""
) -> httpx.Response:
    return http.post(f"/sources{query}", json=fields, headers=site.auth())


def _ask(site: AppSite, query: str) -> bool:
    return site.services.store.ask(query)


def _signed_in(site: AppSite, http: httpx.Client) -> str:
    """Sign an editor in on ``http``; the CSRF token its forms post."""
    path = editors_file(site.services.settings)
    assert path is not None, "the private site keeps editors beside its store"
    _editor, token = Registry(path).add("Ann Lee")
    signed = http.post("/sign-in", data={"token": token, "next": "/sources/new"})
    assert signed.status_code == 303, signed.text
    form = http.get("/sources/new")
    found = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert found, "the form carries the session's CSRF token"
    return found.group(1)


def test_a_json_post_adds_the_source_and_its_page_shows_the_text(
    site: AppSite, http: httpx.Client
) -> None:
    answer = _add_json(site, http, {**FIELDS, "text": TEXT})
    assert answer.status_code == 201, answer.text
    body = answer.json()
    iri = f"{site.url}id/source/talks-in-geneva-resume"
    assert answer.headers["Location"] == iri == body["iri"]
    assert body["identifier"] == "talks-in-geneva-resume"
    assert body["graph"] == f"{site.url}graph/claims/talks-in-geneva-resume"
    assert body["sha256"] == hashlib.sha256(TEXT.encode()).hexdigest()
    assert body["record"].startswith(f"{site.url}graph/provenance#write-")
    assert body["source"]["kind"] == f"{site.url}ontology#kind-newspaper"
    graph = body["graph"]
    assert _ask(
        site,
        f"ASK {{ GRAPH <{graph}> {{ <{iri}> a parley:Source ; rdfs:label ?label ; "
        "schema:headline ?label ; parley:sourceKind parley:kind-newspaper ; "
        f'schema:url <{FIELDS["url"]}> ; dcterms:publisher "Example News" ; '
        'dcterms:date "2025-12-01"^^xsd:date ; schema:inLanguage "en" ; '
        f'schema:author ?author ; parley:textSha256 "{body["sha256"]}" ; schema:text ?text }} '
        'FILTER (STR(?label) = "Talks in Geneva resume" && LANG(?label) = "en") }',
    )
    # A parley:Source with a kind is not taken for a reference source.
    assert not _ask(site, f"ASK {{ <{iri}> a parley:ReferenceSource }}")
    page = http.get(iri, headers={"Accept": "text/html"})
    assert page.status_code == 200
    assert "Delegations met in Geneva on Monday." in page.text
    assert "Both sides said the talks would go on." in page.text
    assert "The text, with its claims" in page.text


def test_the_write_is_recorded_in_the_provenance_graph(site: AppSite, http: httpx.Client) -> None:
    body = _add_json(site, http, {**FIELDS, "text": TEXT}).json()
    record, iri = body["record"], body["iri"]
    assert _ask(
        site,
        f"ASK {{ GRAPH graph:provenance {{ <{record}> a parley:WriteRecord ; "
        f"prov:wasAssociatedWith ?agent ; parley:targetGraph <{body['graph']}> . "
        f"?s rdf:subject <{iri}> ; rdf:predicate schema:text }} "
        'FILTER (CONTAINS(STR(?agent), "/id/agent/token-")) }',
    )


def test_a_decomposed_letter_is_stored_composed_and_hashed_so(
    site: AppSite, http: httpx.Client
) -> None:
    decomposed = "Cafe\u0301 talks.\r\nNext line."
    body = _add_json(site, http, {**FIELDS, "text": decomposed}).json()
    stored = "Caf\u00e9 talks.\nNext line."
    assert unicodedata.is_normalized("NFC", stored)
    assert not unicodedata.is_normalized("NFC", decomposed)
    assert body["characters"] == len(stored)
    assert body["sha256"] == hashlib.sha256(stored.encode("utf-8")).hexdigest()
    rows = site.services.store.select(f"SELECT ?t WHERE {{ <{body['iri']}> schema:text ?t }}")
    assert rows[0]["t"].value == stored


def test_an_html_upload_is_converted_to_its_text(site: AppSite, http: httpx.Client) -> None:
    fields = {"kind": "wire", "language": "", "title": ""}  # the page's own fill them
    answer = http.post(
        "/sources",
        data=fields,
        files={"file": ("talks.html", PAGE.encode("utf-8"), "text/html")},
        headers={**site.auth(), "Accept": "application/json"},
    )
    assert answer.status_code == 201, answer.text
    body = answer.json()
    expected = "Home\nTalks & a truce\nThe caf\u00e9 on «Main\u00a0Street» was full.\nSecond\nline"
    rows = site.services.store.select(f"SELECT ?t WHERE {{ <{body['iri']}> schema:text ?t }}")
    text = rows[0]["t"].value
    assert text == expected
    assert "secret" not in text
    assert "color" not in text
    assert "Enable scripts" not in text
    assert body["sha256"] == hashlib.sha256(expected.encode()).hexdigest()
    assert body["source"]["title"] == "Talks & truce"
    assert body["source"]["language"] == "uk"
    assert body["source"]["url"] == "https://example.org/page"
    assert body["identifier"] == "talks-truce"


def test_a_txt_upload_in_its_declared_charset(site: AppSite, http: httpx.Client) -> None:
    text = "Переговоры продолжаются.\nВторой абзац."
    answer = http.post(
        "/sources",
        data={**FIELDS, "title": "Переговоры в Женеве", "language": "ru"},
        files={"file": ("talks.txt", text.encode("cp1251"), "text/plain; charset=windows-1251")},
        headers=site.auth(),
    )
    assert answer.status_code == 201, answer.text
    assert answer.json()["identifier"] == "peregovory-v-zheneve"
    assert answer.json()["characters"] == len(text)


def test_a_signed_in_editors_form_post_lands_on_the_page(site: AppSite, http: httpx.Client) -> None:
    csrf = _signed_in(site, http)
    form = http.get("/sources/new")
    assert 'name="title"' in form.text
    assert 'type="file"' in form.text
    # The kinds are the store's, with their labels.
    assert 'value="kind-state-media"' in form.text
    assert "state-affiliated media" in form.text
    answer = http.post(
        "/sources",
        data={**FIELDS, "text": "A pasted text.\r\nTwo lines.", "csrf_token": csrf},
        headers={"Accept": "text/html"},
    )
    assert answer.status_code == 303, answer.text
    assert answer.headers["Location"] == "/id/source/talks-in-geneva-resume"
    page = http.get(answer.headers["Location"])
    assert "A pasted text." in page.text
    assert "Two lines." in page.text
    assert _ask(
        site,
        "ASK { GRAPH graph:provenance { ?r prov:wasAssociatedWith ?editor . "
        '?editor rdfs:label "Ann Lee" } }',
    )


def test_a_form_without_its_csrf_token_is_refused(site: AppSite, http: httpx.Client) -> None:
    _signed_in(site, http)
    answer = http.post("/sources", data={**FIELDS, "text": TEXT}, headers={"Accept": "text/html"})
    assert answer.status_code == 403
    assert not _ask(site, f"ASK {{ <{site.url}id/source/talks-in-geneva-resume> ?p ?o }}")


def test_the_form_again_with_the_messages_next_to_the_fields(
    site: AppSite, http: httpx.Client
) -> None:
    csrf = _signed_in(site, http)
    answer = http.post(
        "/sources",
        data={**FIELDS, "title": "", "url": "not a url", "text": "kept", "csrf_token": csrf},
        headers={"Accept": "text/html"},
    )
    assert answer.status_code == 422
    assert re.search(
        r'id="title"[^>]*aria-describedby="err-title"[^>]*aria-invalid="true"', answer.text
    )
    assert 'id="err-title"' in answer.text
    assert "Give a title." in answer.text
    assert 'id="err-url"' in answer.text
    assert "Example News" in answer.text
    assert ">kept</textarea>" in answer.text


def test_without_a_signed_in_editor_the_form_links_to_sign_in(http: httpx.Client) -> None:
    page = http.get("/sources/new")
    assert page.status_code == 200
    assert 'href="/sign-in?next=/sources/new"' in page.text
    assert 'name="title"' not in page.text


def test_without_credentials_401(http: httpx.Client) -> None:
    answer = http.post("/sources", json={**FIELDS, "text": TEXT})
    assert answer.status_code == 401
    assert answer.headers["Content-Type"].startswith("application/problem+json")


def test_422_names_each_field_it_refuses(site: AppSite, http: httpx.Client) -> None:
    answer = _add_json(
        site, http, {**FIELDS, "title": " ", "url": "example.org/x", "kind": "blog", "text": TEXT}
    )
    assert answer.status_code == 422
    problem = answer.json()
    assert problem["conforms"] is False
    assert set(problem["fields"]) == {"title", "url", "kind"}
    assert "Give a title." in problem["fields"]["title"]
    assert "http" in problem["fields"]["url"][0]
    assert "'blog' is not a kind of source" in problem["fields"]["kind"][0]
    assert "state-media" in problem["fields"]["kind"][0]
    assert {r["field"] for r in problem["results"]} == {"title", "url", "kind"}
    assert not _ask(site, "ASK { ?s a parley:Source FILTER (?s != src:article) }")


def test_other_refusals_name_their_field(site: AppSite, http: httpx.Client) -> None:
    tomorrow = (date.today() + timedelta(days=1)).isoformat()
    answer = _add_json(
        site,
        http,
        {
            **FIELDS,
            "date": tomorrow,
            "language": "english",
            "author": "id/NoSuchAgent",
            "text": "",
            "extra": "x",
        },
    )
    assert answer.status_code == 422
    fields = answer.json()["fields"]
    assert set(fields) == {"extra"}  # an unknown field is refused before anything else
    answer = _add_json(
        site,
        http,
        {**FIELDS, "date": tomorrow, "language": "english", "author": "id/NoSuchAgent", "text": ""},
    )
    assert set(answer.json()["fields"]) == {"date", "language", "author", "text"}


def test_a_text_past_the_literal_limit_is_refused_with_its_field(
    site: AppSite, http: httpx.Client
) -> None:
    limit = site.services.settings.max_literal_bytes
    answer = _add_json(site, http, {**FIELDS, "text": "é" * (limit // 2 + 1)})
    assert answer.status_code == 422
    assert "--max-literal-bytes" in answer.json()["fields"]["text"][0]


def test_a_dry_run_writes_nothing(site: AppSite, http: httpx.Client) -> None:
    answer = _add_json(site, http, {**FIELDS, "text": TEXT}, "?dry-run=true")
    assert answer.status_code == 200
    assert answer.json()["dryRun"] is True
    assert answer.json()["record"] is None
    assert not _ask(site, f"ASK {{ <{answer.json()['iri']}> ?p ?o }}")


def test_two_sources_with_one_title_get_two_slugs(site: AppSite, http: httpx.Client) -> None:
    first = _add_json(site, http, {**FIELDS, "text": TEXT}).json()
    second = _add_json(site, http, {**FIELDS, "text": TEXT, "author": "id/Putin"}).json()
    assert (first["identifier"], second["identifier"]) == (
        "talks-in-geneva-resume",
        "talks-in-geneva-resume-2",
    )
    assert second["source"]["author"] == f"{site.url}id/Putin"
    assert _ask(site, f"ASK {{ <{second['iri']}> schema:author id:Putin }}")


def test_a_source_with_no_claims_has_a_page_with_its_text_and_no_claims(
    site: AppSite, http: httpx.Client
) -> None:
    body = _add_json(site, http, {**FIELDS, "text": "Only this.\n\nAnd this."}).json()
    page = http.get(body["iri"], headers={"Accept": "text/html"})
    assert page.status_code == 200
    assert "0 claims" in page.text
    # One paragraph a line; the blank line between them is none.
    assert re.findall(r"<p[^>]*>(Only this\.|And this\.)</p>", page.text) == [
        "Only this.",
        "And this.",
    ]
    assert "No claims have been marked in this source yet." in page.text
    assert f'<code class="sha256">{body["sha256"]}</code>' in page.text


# -- the core, without HTTP ---------------------------------------------------------


def test_the_html_parser_drops_code_and_keeps_paragraphs() -> None:
    page = html_to_text(PAGE)
    assert page.text.splitlines()[1:] == [
        "Talks & a truce",
        "The cafe\u0301 on «Main\u00a0Street» was full.",  # normalised later, by the caller
        "Second",
        "line",
    ]
    pre = html_to_text("<pre>  a  b\n\n c</pre><p>x  y</p><table><tr><td>1<td>2</table>")
    assert pre.text == "  a  b\n c\nx y\n1 2"


def test_an_upload_that_is_not_text_is_refused() -> None:
    with pytest.raises(UploadError, match=r"not a \.txt or \.html"):
        uploaded_text("talks.pdf", "application/pdf", b"%PDF-1.4")
    with pytest.raises(UploadError, match="not utf-8 text"):
        uploaded_text("talks.txt", "text/plain", "Мир".encode("cp1251"))


def test_slugs_are_ascii_kebab_case() -> None:
    assert slug_for("Talks: Istanbul, 2022 – again?") == "talks-istanbul-2022-again"
    assert slug_for("Зеленський і переговори") == "zelenskii-i-peregovori"
    assert len(slug_for("word " * 40)) <= 60


def test_plan_source_reads_the_kinds_from_the_store(site: AppSite) -> None:
    store = site.services.store
    draft = SourceDraft(title="T", kind="kind-primary", language="en")
    plan, errors = plan_source(store, draft, pasted_text("x"), max_text_bytes=100)
    assert errors == []
    assert plan is not None
    assert NamedNode(f"{site.url}ontology#kind-primary") in {q.object for q in plan.quads}


def test_a_body_past_the_servers_limit_is_refused_with_413(store_copy: Path, base_iri: str) -> None:
    small = open_app(store_copy, base_iri, query_workers=0, max_body_bytes=4096)
    try:
        with small.client() as http:
            answer = http.post(
                "/sources",
                data={**FIELDS},
                files={"file": ("big.txt", b"word " * 2000, "text/plain")},
                headers=small.auth(),
            )
        assert answer.status_code == 413
        assert answer.headers["Content-Type"].startswith("application/problem+json")
        assert not small.services.store.ask("ASK { ?s a parley:Source FILTER (?s != src:article) }")
    finally:
        small.stop()


def test_the_forms_check_writes_nothing_and_keeps_the_fields(
    site: AppSite, http: httpx.Client
) -> None:
    csrf = _signed_in(site, http)
    answer = http.post(
        "/sources?dry-run=true",
        data={**FIELDS, "text": "To check.", "csrf_token": csrf},
        headers={"Accept": "text/html"},
    )
    assert answer.status_code == 200
    assert "Nothing was written" in answer.text
    assert 'value="Talks in Geneva resume"' in answer.text
    assert ">To check.</textarea>" in answer.text
    assert not _ask(site, f"ASK {{ <{site.url}id/source/talks-in-geneva-resume> ?p ?o }}")
