"""The claim form generated from the SHACL shapes (``service.editing.form_for``), the fields
it turns into triples, its page (``GET /claims/new``), its pickers (``GET /choices``), and
the offsets a source page gives the marking script.

The model is read from the real shapes of the built store; a property shape added to a
private copy of the shapes graph shows up in the form and in the triples with no code
changed. The page is driven over HTTP in-process, as a browser without scripts would: a
plain POST of the page's own form fields, with its CSRF token, writes a claim.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from html.parser import HTMLParser
from urllib.parse import quote, urlencode

import httpx
import pytest
from markupsafe import escape

from service.editing import (
    NEW_ACTOR,
    Registry,
    editors_file,
    form_for,
    form_for_shape,
    triples_from_fields,
)
from service.rdf import PROV, TURTLE, XSD, Literal, Quad, Vocab, parse
from service.store import ChangeSet, GraphStore, OxigraphStore
from tests.support import AppSite, Site

SOURCE = "id/source/article"


def _text(store: GraphStore) -> str:
    rows = store.select(f"SELECT ?t WHERE {{ <{store.vocab.base}{SOURCE}> schema:text ?t }}")
    value = rows[0]["t"]
    assert isinstance(value, Literal)
    return value.value


# -- the model, from the real shapes ------------------------------------------------------


def test_the_claim_form_is_read_from_the_shapes(model_store: OxigraphStore) -> None:
    vocab = model_store.vocab
    form = form_for(model_store, vocab.parley.Claim)
    modality = form.field("modality")
    assert modality is not None
    assert modality.kind == "choice"
    assert [c.name for c in modality.choices] == [
        "modality-asserted",
        "modality-predicted",
        "modality-conditional",
        "modality-demanded",
        "modality-speculated",
    ]
    assert all(c.label and c.help for c in modality.choices), "labels and definitions"
    assert modality.required
    assert not modality.many
    claimant = form.field("claimant")
    assert claimant is not None
    assert (claimant.kind, claimant.picker_class) == ("picker", PROV.Agent.value)
    assert claimant.required
    assert not claimant.many
    assert form.fields[0].name == "claimant", "sh:order puts the claimant first"
    label = form.field("label")
    assert label is not None
    assert label.kind == "text"
    assert label.language == "en"
    assert (label.label, bool(label.help)) == ("Summary", True), "sh:name and sh:description"
    # The about constraint is one group of three pickers, not a field of its own.
    assert form.field("about") is None
    (about,) = form.one_of
    assert about.name == "about"
    assert about.fields == ("aboutActor", "aboutEvent", "aboutPlace")
    # Shapes on the subjects of a predicate whose domain is a claim, and the subclass's.
    for name in ("supportsProposition", "opposesProposition", "contradictsClaim", "reportsClaim"):
        f = form.field(name)
        assert f is not None, name
        assert not f.required, name
    assert {f.name for f in form.fields if f.structured} >= {
        "hasEvidence",
        "appearsIn",
        "hasStance",
        "reportsClaim",
        "contradictsClaim",
    }
    stance = form_for_shape(model_store, vocab.shapes.StanceShape)
    assert [f.name for f in stance.fields] == ["stanceToward", "stanceValue"]


def test_the_review_form_comes_from_the_same_machinery(model_store: OxigraphStore) -> None:
    form = form_for(model_store, model_store.vocab.parley.ClaimReview)
    body = form.field("reviewBody")
    assert body is not None
    assert body.kind == "textarea"
    assert body.min_length == 20
    date = form.field("datePublished")
    assert date is not None
    assert date.kind == "date"
    assert [g.fields for g in form.one_of] == [("attribution", "accuracy")]


def test_an_or_of_datatypes_takes_the_form_the_value_has(model_store: OxigraphStore) -> None:
    """A reference source's date is an xsd:date, xsd:gYearMonth or xsd:gYear: one text field,
    typed by what is written in it."""
    vocab = model_store.vocab
    form = form_for(model_store, vocab.parley.ReferenceSource)
    date = form.field("date")
    assert date is not None
    assert date.kind == "text"
    assert {d.rsplit("#", 1)[1] for d in date.datatypes} == {"date", "gYearMonth", "gYear"}
    subject = vocab.id["ref/x"]
    for value, datatype in (("2025-11-27", "date"), ("2025-11", "gYearMonth"), ("2025", "gYear")):
        triples, _ = triples_from_fields(form, subject, {"date": [value]}, vocab)
        assert Literal(value, datatype=XSD[datatype]) in {t.object for t in triples}, value
    _, errors = triples_from_fields(form, subject, {"date": ["late 2025"]}, vocab)
    assert "date" in {e.field for e in errors}


def test_fields_become_triples_and_wrong_ones_messages(model_store: OxigraphStore) -> None:
    vocab = model_store.vocab
    form = form_for(model_store, vocab.parley.Claim)
    claim = vocab.id["claim/new"]
    actor = vocab.id["NewOne"]
    triples, errors = triples_from_fields(
        form,
        claim,
        {
            "claimant": ["id/Putin"],
            "modality": ["modality-demanded"],
            "claimType": [vocab.parley["type-normative"].value],
            "label": ["Putin demands a thing"],
            "label-lang": ["en-GB"],
            "aboutActor": ["id:Ukraine", NEW_ACTOR, ""],
            "contradictsClaim": ["id/claim/headline"],  # structured: the caller's
        },
        vocab,
        new_actor=actor,
    )
    assert errors == []
    got = {(t.predicate.value.split("#")[-1], t.object) for t in triples}
    assert got == {
        ("claimant", vocab.id.Putin),
        ("modality", vocab.parley["modality-demanded"]),
        ("claimType", vocab.parley["type-normative"]),
        ("label", Literal("Putin demands a thing", language="en-GB")),
        ("aboutActor", vocab.id.Ukraine),
        ("aboutActor", actor),
    }
    assert all(t.subject == claim for t in triples)
    _, errors = triples_from_fields(
        form,
        claim,
        {"modality": ["sometimes", ""], "claimType": ["type-factual", "type-causal"]},
        vocab,
    )
    by_field = {e.field: e.message for e in errors}
    assert set(by_field) == {"claimant", "label", "modality", "claimType", "about"}
    assert "asserted, predicted" in by_field["modality"], "the shape's sh:message"


def _with_extra_shape(model_store: OxigraphStore) -> OxigraphStore:
    """A private store with the model's ontology and a copy of its shapes, plus one more
    property shape on claims."""
    vocab = model_store.vocab
    private = OxigraphStore.open(None, vocab)
    graphs = (vocab.ontology_graph, vocab.shapes_graph)
    quads = [q for g in graphs for q in model_store.quads(graph=g)]
    private.commit(ChangeSet(insert=[*quads, *_with_extra_shape_quads(vocab)]))
    return private


def _with_extra_shape_quads(vocab: Vocab) -> list[Quad]:
    """One more property shape on claims, in the shapes graph: a confidence score."""
    extra = (
        "@prefix sh: <http://www.w3.org/ns/shacl#> . @prefix xsd: <http://www.w3.org/2001/XMLSchema#> .\n"
        f"<{vocab.shapes.ClaimShape.value}> sh:property [ sh:path <{vocab.parley.confidence.value}> ; "
        'sh:datatype xsd:integer ; sh:maxCount 1 ; sh:minInclusive 0 ; sh:name "Confidence"@en ; '
        'sh:description "How sure the editor is, 0 to 5."@en ; sh:order 3.5 ] .'
    )
    return [
        Quad(t.subject, t.predicate, t.object, vocab.shapes_graph)
        for t in parse(extra.encode(), TURTLE)
    ]


def test_a_property_shape_added_to_the_shapes_shows_up_with_no_code_changed(
    model_store: OxigraphStore,
) -> None:
    private = _with_extra_shape(model_store)
    try:
        vocab = private.vocab
        form = form_for(private, vocab.parley.Claim)
        confidence = form.field("confidence")
        assert confidence is not None
        assert (confidence.kind, confidence.label, confidence.many) == (
            "integer",
            "Confidence",
            False,
        )
        names = [f.name for f in form.fields]
        assert names.index("modality") < names.index("confidence") < names.index("claimType")
        assert form_for(model_store, vocab.parley.Claim).field("confidence") is None
        fields = {"confidence": ["4"], "claimant": ["id/Putin"]}
        triples, errors = triples_from_fields(form, vocab.id["claim/x"], fields, vocab)
        assert Literal("4", datatype=XSD.integer) in {
            t.object for t in triples if t.predicate == vocab.parley.confidence
        }
        assert "confidence" not in {e.field for e in errors}
        _, errors = triples_from_fields(form, vocab.id["claim/x"], {"confidence": ["many"]}, vocab)
        assert "confidence" in {e.field for e in errors}
    finally:
        private.close()


# -- the page ----------------------------------------------------------------------------


@pytest.fixture
def editor_http(private_site: AppSite) -> Iterator[tuple[AppSite, httpx.Client, str]]:
    """A signed-in editor's client on a private site, and its CSRF token."""
    path = editors_file(private_site.services.settings)
    assert path is not None
    _editor, token = Registry(path).add("Mia Ford")
    with private_site.client() as http:
        signed = http.post("/sign-in", data={"token": token, "next": "/"})
        assert signed.status_code == 303, signed.text
        page = http.get("/sign-in")
        found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert found
        yield private_site, http, found.group(1)


class _FormFields(HTMLParser):
    """The fields a browser without scripts would send from the page's claim form, and the
    options each select offers."""

    def __init__(self) -> None:
        super().__init__()
        self.inside = False
        self.fields: list[tuple[str, str]] = []
        self.options: dict[str, list[str]] = {}
        self.select: str | None = None
        self.labels: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if "id" in a:
            self.ids.add(a["id"])
        if tag == "form" and a.get("id") == "claim-form":
            self.inside = True
        if not self.inside:
            return
        name = a.get("name", "")
        if tag == "input" and name:
            kind = a.get("type", "text")
            if kind not in ("radio", "checkbox") or "checked" in a:
                self.fields.append((name, a.get("value", "")))
        elif tag == "select":
            self.select = name
            self.options.setdefault(name, [])
        elif tag == "option" and self.select is not None:
            self.options[self.select].append(a.get("value", ""))
            if "selected" in a:
                self.fields.append((self.select, a.get("value", "")))

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self.select = None
        if tag == "form":
            self.inside = False


def test_the_form_page_shows_every_field_with_its_label_and_help(
    editor_http: tuple[AppSite, httpx.Client, str],
) -> None:
    site, http, _csrf = editor_http
    store = site.services.store
    text = _text(store)
    start = text.index("Steve Witkoff")
    page = http.get(f"/claims/new?source={SOURCE}&start={start}&end={start + 13}")
    assert page.status_code == 200
    html = page.text
    form = form_for(store, store.vocab.parley.Claim)
    for f in form.fields:
        if f.name in ("hasEvidence", "appearsIn"):
            continue  # the quote block
        assert f.label in html, f.name
        assert str(escape(f.help)) in html, f.name
    parsed = _FormFields()
    parsed.feed(html)
    sent = dict(parsed.fields)
    assert sent["exact"] == "Steve Witkoff"
    assert (sent["start"], sent["end"]) == (str(start), str(start + 13))
    assert sent["prefix"] == text[start - 32 : start]
    assert sent["suffix"] == text[start + 13 : start + 45]
    assert f'data-start="{start}"' in html
    assert f'data-end="{start + 13}"' in html
    assert {
        "f-claimant",
        "f-label",
        "f-modality",
        "g-about",
        "g-stances",
        "claim-form",
    } <= parsed.ids
    assert f"{site.url}id/Putin" in parsed.options["claimant"]


def test_without_a_script_a_plain_post_of_the_form_writes_the_claim(
    editor_http: tuple[AppSite, httpx.Client, str],
) -> None:
    site, http, csrf = editor_http
    store = site.services.store
    text = _text(store)
    start = text.index("Steve Witkoff is arriving in Moscow")
    end = start + len("Steve Witkoff is arriving in Moscow")
    # Words selected with the space before them: the form keeps the words only.
    assert text[start - 1] == " "
    page = http.get(f"/claims/new?source={quote(site.url + SOURCE)}&start={start - 1}&end={end}")
    parsed = _FormFields()
    parsed.feed(page.text)
    fields = [(k, v) for k, v in parsed.fields if v]
    assert ("csrf_token", csrf) in fields
    fields += [
        ("claimant", f"{site.url}id/author"),
        ("label", "The author says that Steve Witkoff is arriving in Moscow"),
        ("modality", "modality-asserted"),
        ("claimType", "type-factual"),
        ("aboutActor", f"{site.url}id/Witkoff"),
    ]
    answer = http.post(
        "/claims",
        content=urlencode(fields),
        headers={"Accept": "text/html", "Content-Type": "application/x-www-form-urlencoded"},
    )
    assert answer.status_code == 303, answer.text[:2000]
    claim = answer.headers["Location"]
    assert claim.startswith("/id/claim/")
    assert store.ask(
        f"ASK {{ <{site.url}{claim[1:]}> parley:claimant id:author ; parley:hasEvidence ?ev . "
        f"?ev oa:hasSelector ?q . ?q oa:exact {_literal('Steve Witkoff is arriving in Moscow')} }}"
    )


def test_a_new_property_shape_is_in_the_page_and_written_by_post_claims(
    editor_http: tuple[AppSite, httpx.Client, str],
) -> None:
    """A shape added to the store's shapes graph (as a rebuild with a new shape file would)
    is a field of the page, and a plain form post writes it: no code knows of it."""
    site, http, _csrf = editor_http
    store = site.services.store
    vocab = store.vocab
    extra = _with_extra_shape_quads(vocab)
    store.commit(ChangeSet(insert=extra))
    text = _text(store)
    start = text.index("Steve Witkoff")
    page = http.get(f"/claims/new?source={SOURCE}&start={start}&end={start + 13}")
    assert 'id="f-confidence"' in page.text
    assert "How sure the editor is, 0 to 5." in page.text
    parsed = _FormFields()
    parsed.feed(page.text)
    fields = [(k, v) for k, v in parsed.fields if v] + [
        ("claimant", f"{site.url}id/author"),
        ("label", "The author names Steve Witkoff"),
        ("modality", "modality-asserted"),
        ("claimType", "type-factual"),
        ("aboutActor", f"{site.url}id/Witkoff"),
    ]
    headers = {"Accept": "text/html", "Content-Type": "application/x-www-form-urlencoded"}
    refused = http.post(
        "/claims", content=urlencode([*fields, ("confidence", "-1")]), headers=headers
    )
    assert refused.status_code == 422
    message = re.search(r'id="f-confidence-error"[^>]*>(.*?)</span>\s*</div>', refused.text, re.S)
    assert message
    assert "0" in message.group(1)
    answer = http.post(
        "/claims", content=urlencode([*fields, ("confidence", "4")]), headers=headers
    )
    assert answer.status_code == 303, answer.text[:2000]
    claim = answer.headers["Location"]
    assert store.ask(f"ASK {{ <{site.url}{claim[1:]}> parley:confidence 4 }}")


def test_a_refused_form_shows_each_message_next_to_its_field(
    editor_http: tuple[AppSite, httpx.Client, str],
) -> None:
    site, http, _csrf = editor_http
    text = _text(site.services.store)
    start = text.index("Steve Witkoff")
    page = http.get(f"/claims/new?source={SOURCE}&start={start}&end={start + 13}")
    parsed = _FormFields()
    parsed.feed(page.text)
    fields = [(k, v) for k, v in parsed.fields if v] + [("label", "Something, said")]
    answer = http.post(
        "/claims",
        content=urlencode(fields),
        headers={"Accept": "text/html", "Content-Type": "application/x-www-form-urlencoded"},
    )
    assert answer.status_code == 422
    html = answer.text
    claimant = re.search(r'id="f-claimant-error"[^>]*>(.*?)</span>\s*</div>', html, re.S)
    assert claimant
    assert "exactly one claimant" in claimant.group(1)
    about = re.search(r'id="g-about-error"[^>]*>(.*?)</span>', html, re.S)
    assert about
    assert "at least one actor" in about.group(1)
    assert 'id="form-summary"' in html
    assert 'href="#f-claimant"' in html


def _literal(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def test_without_a_signed_in_editor_the_form_links_to_sign_in(
    site: Site, http: httpx.Client
) -> None:
    """On both stores: the form is read from the shapes over SPARQL alone."""
    answer = http.get(f"/claims/new?source={SOURCE}&start=0&end=20")
    assert answer.status_code == 200
    assert "/sign-in?next=" in answer.text
    assert 'id="claim-form"' not in answer.text


def test_the_pickers_choices_are_instances_of_their_class(site: Site, http: httpx.Client) -> None:
    agents = http.get("/choices", params={"class": PROV.Agent.value, "q": "putin"}).json()
    assert f"{site.url}id/Putin" in [r["iri"] for r in agents["results"]]
    propositions = http.get(
        "/choices", params={"class": f"{site.url}ontology#Proposition", "q": "putin"}
    ).json()
    assert f"{site.url}id/Putin" not in [r["iri"] for r in propositions["results"]]
    everything = http.get("/choices", params={"class": f"{site.url}ontology#Proposition"}).json()
    labels = [r["label"] for r in everything["results"]]
    assert labels
    assert labels == sorted(labels, key=str.casefold)
    assert http.get("/choices").status_code == 400


def test_the_source_page_marks_each_paragraph_with_its_offset_in_the_text(
    editor_http: tuple[AppSite, httpx.Client, str],
) -> None:
    """What static/mark.js counts from: each paragraph's words (the claim tags left out)
    are the text at its data-start, in code points."""
    site, http, _csrf = editor_http
    text = _text(site.services.store)
    html = http.get(f"/{SOURCE}").text
    assert 'id="mark-bar"' in html
    assert "mark.js" in html
    paragraphs = re.findall(r'<p data-start="(\d+)">(.*?)</p>', html, re.S)
    assert len(paragraphs) > 5
    for start, inner in paragraphs:
        words = re.sub(r'<a class="claim-start.*?</a>', "", inner, flags=re.S)
        plain = re.sub(r"<[^>]+>", "", words)
        plain = plain.replace("&#34;", '"').replace("&#39;", "'").replace("&lt;", "<")
        plain = plain.replace("&gt;", ">").replace("&amp;", "&")
        assert text[int(start) : int(start) + len(plain)] == plain
    anonymous = site.client().get(f"/{SOURCE}").text
    assert 'id="mark-bar"' not in anonymous
