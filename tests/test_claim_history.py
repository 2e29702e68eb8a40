"""Versions and retractions of claims (issue 15, "Change, retract, review").

An edit keeps the old version as ``<claim>/v<n>`` in ``graph/history``; a retraction
moves the claim there, marked withdrawn. ``graph/history`` dereferences and the pages
read it, but a query that names no dataset does not see it (on both backends); no
client writes it. In-process on a private copy of the built model, except the union
default graph, which is checked on both backends (``site``).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from bs4 import BeautifulSoup

from service.build import Journal, journal_dir
from service.editing import Registry, claim_form_values, editors_file, retraction, revision
from service.rdf import DCTERMS, PROV, RDF, NamedNode, Quad, Triple, Vocab
from service.settings import Settings
from service.store import ChangeSet, GraphStore, OxigraphStore, RemoteStore
from tests.support import AppSite, ServerProcess, copy_store, open_app

C17 = "id/claim/sovereignty-crimea-donbas"
TURTLE = {"Content-Type": "text/turtle"}
CSV = {"Accept": "text/csv"}
WHEN = datetime(2026, 12, 7, 9, 30, tzinfo=UTC)


def _select(http: httpx.Client, query: str) -> list[list[str]]:
    """The rows of a SELECT through ``/sparql``, as CSV cells (header row dropped)."""
    answer = http.get("/sparql", params={"query": query}, headers=CSV)
    assert answer.status_code == 200, answer.text
    return [line.split(",") for line in answer.text.strip().splitlines()[1:]]


def _edited(store: GraphStore, claim: NamedNode, modality: str) -> list[Triple]:
    """The claim's current triples with another modality (what a form post would build)."""
    parley = store.vocab.parley
    graph = store.vocab.claims_graph("article")
    current = [q.triple for q in store.quads(claim, None, None, graph)]
    current += [
        q.triple
        for q in store.quads(None, None, None, graph)
        if q.subject.value.startswith(claim.value + "#")  # type: ignore[union-attr]
    ]
    return [
        Triple(t.subject, t.predicate, parley[modality])
        if t.subject == claim and t.predicate == parley.modality
        else t
        for t in current
    ]


# -- the core: an edit and a retraction through the gate ------------------------------------


@pytest.fixture
def store(private_site: AppSite) -> GraphStore:
    return private_site.services.store


def test_an_edit_keeps_the_old_version_in_history(
    private_site: AppSite, store: GraphStore, base_iri: str
) -> None:
    claim = NamedNode(base_iri + C17)
    vocab = store.vocab
    change = revision(
        store,
        claim,
        _edited(store, claim, "modality-asserted"),
        agent=NamedNode(base_iri + "id/editor/ada"),
        when=WHEN,
    )
    private_site.services.writer.submit(
        change, agent=base_iri + "id/editor/ada", operation="edit C17", history=True
    )
    # graph/history exists now, and queries keep Oxigraph's union default graph (the fast
    # one: a default graph that leaves a graph out is evaluated graph by graph).
    assert isinstance(store, OxigraphStore)
    assert store.graph_exists(vocab.history_graph)
    assert store.dataset_kwargs(None) == {"use_default_graph_as_union": True}
    with private_site.client() as http:
        current = _select(
            http,
            'SELECT ?c ?m WHERE { ?c dcterms:identifier "C17" ; parley:modality ?m }',
        )
        assert current == [[claim.value, vocab.parley["modality-asserted"].value]]
        # The old version's statements are kept as reifications (parley:keptStatement).
        old = _select(
            http,
            "SELECT ?v ?m ?of WHERE { GRAPH graph:history { ?v a parley:ClaimVersion ; "
            "dcterms:isVersionOf ?of ; parley:keptStatement ?st . ?st rdf:subject ?v ; "
            "rdf:predicate parley:modality ; rdf:object ?m } "
            f"<{claim.value}> prov:wasRevisionOf ?v }}",
        )
        assert old == [[claim.value + "/v1", vocab.parley["modality-demanded"].value, claim.value]]
        # The snapshot's evidence is its own: the quote survives under /v1#quote-1.
        quote = _select(
            http,
            "SELECT ?q WHERE { GRAPH graph:history { ?st rdf:subject ?node ; "
            "rdf:predicate oa:exact ; rdf:object ?q . "
            f'FILTER(STRSTARTS(STR(?node), "{claim.value}/v1#")) }} }}',
        )
        assert quote == [["Russian sovereignty over Crimea and Donbas is not up for negotiation"]]
        # No query for a claim's own statements matches the old version, in any graph.
        for pattern in ("parley:modality ?o", "parley:claimant ?o", "parley:hasEvidence ?o"):
            assert (
                _select(http, f"SELECT ?g WHERE {{ GRAPH ?g {{ <{claim.value}/v1> {pattern} }} }}")
                == []
            )
        claimed = _select(http, "SELECT DISTINCT ?c WHERE { ?c parley:claimant ?x }")
        claims = _select(
            http, "SELECT DISTINCT ?c WHERE { ?c a parley:Claim ; parley:claimant ?x }"
        )
        assert sorted(claimed) == sorted(claims)
        # It dereferences, and its page shows it as it stood.
        page = http.get(f"{C17}/v1", headers={"Accept": "text/turtle"})
        assert page.status_code == 200
        assert "ClaimVersion" in page.text
        html = http.get(f"{C17}/v1", headers={"Accept": "text/html"}).text
        assert "An earlier version" in html
        assert "Russian sovereignty over Crimea and Donbas is not up for negotiation" in html


def test_a_second_edit_makes_v2_which_revises_v1(
    private_site: AppSite, store: GraphStore, base_iri: str
) -> None:
    claim = NamedNode(base_iri + C17)
    agent = NamedNode(base_iri + "id/editor/ada")
    writer = private_site.services.writer
    for modality in ("modality-asserted", "modality-speculated"):
        change = revision(store, claim, _edited(store, claim, modality), agent=agent, when=WHEN)
        writer.submit(change, agent=agent.value, operation="edit C17", history=True)
    with private_site.client() as http:
        chain = _select(
            http,
            "SELECT ?v ?m ?older WHERE { GRAPH graph:history { ?v dcterms:isVersionOf "
            f"<{claim.value}> ; parley:keptStatement ?st . ?st rdf:subject ?v ; "
            "rdf:predicate parley:modality ; rdf:object ?m "
            "OPTIONAL { ?v parley:keptStatement ?r . ?r rdf:subject ?v ; "
            "rdf:predicate prov:wasRevisionOf ; rdf:object ?older } } } ORDER BY ?v",
        )
    parley = store.vocab.parley
    assert chain == [
        [claim.value + "/v1", parley["modality-demanded"].value, ""],
        [claim.value + "/v2", parley["modality-asserted"].value, claim.value + "/v1"],
    ]


def test_a_retraction_moves_the_claim_to_history(
    private_site: AppSite, store: GraphStore, base_iri: str
) -> None:
    claim = NamedNode(base_iri + C17)
    editor = NamedNode(base_iri + "id/editor/ada")
    change = retraction(store, claim, reason="A duplicate of C18.", agent=editor, when=WHEN)
    private_site.services.writer.submit(
        change, agent=editor.value, operation="retract C17", history=True
    )
    with private_site.client() as http:
        # None of its own statements is current; the links to it (its review) still entail
        # that it is a claim (rdfs:range), so "current claims" are those with a claimant.
        own = "parley:claimant parley:modality dcterms:identifier parley:hasEvidence rdfs:label"
        assert (
            _select(http, f"SELECT ?p WHERE {{ VALUES ?p {{ {own} }} <{claim.value}> ?p ?o }}")
            == []
        )
        current = "SELECT ?c WHERE { ?c a parley:Claim ; parley:claimant ?x }"
        assert [claim.value] not in _select(http, current)
        withdrawn = _select(
            http,
            "SELECT ?reason ?when ?who WHERE { GRAPH graph:history { "
            f"<{claim.value}> parley:withdrawn true ; "
            "parley:withdrawalReason ?reason ; prov:invalidatedAtTime ?when ; "
            "prov:wasInvalidatedBy/prov:wasAssociatedWith ?who } }",
        )
        assert withdrawn == [["A duplicate of C18.", "2026-12-07T09:30:00Z", editor.value]]
        # Its last version is kept: the claimant, as a reification.
        kept = _select(
            http,
            "SELECT ?who WHERE { GRAPH graph:history { ?v dcterms:isVersionOf "
            f"<{claim.value}> ; parley:keptStatement ?st . ?st rdf:subject ?v ; "
            "rdf:predicate parley:claimant ; rdf:object ?who } }",
        )
        assert kept == [[base_iri + "id/Putin"]]
        # Its page shows it as it stood, under the banner.
        html = http.get(C17, headers={"Accept": "text/html"}).text
        assert "Withdrawn" in html
        assert "A duplicate of C18." in html
        assert "Russian sovereignty over Crimea and Donbas is not up for negotiation" in html
        # Its review still points at it, and it still dereferences.
        assert _select(http, f"SELECT ?r WHERE {{ ?r parley:reviews <{claim.value}> }}") != []
        assert http.get(C17, headers={"Accept": "text/turtle"}).status_code == 200
        # No disputes are derived from it any more.
        assert _select(http, f"SELECT ?o WHERE {{ <{claim.value}> parley:disputes ?o }}") == []


def test_nothing_is_inferred_from_a_withdrawn_claims_own_statements(
    private_site: AppSite, store: GraphStore, base_iri: str
) -> None:
    claim = NamedNode(base_iri + C17)
    editor = NamedNode(base_iri + "id/editor/ada")
    writer = private_site.services.writer
    writer.submit(
        retraction(store, claim, reason="Not in the source.", agent=editor, when=WHEN),
        agent=editor.value,
        operation="retract C17",
        history=True,
    )
    inferred = store.vocab.inferred_graph
    derived = {q.predicate for q in store.quads(claim, None, None, inferred)}
    parley = store.vocab.parley
    # Before: attributed to Putin, in dispute with other claims; after: only what the links
    # to it entail (its review makes it a reviewed claim).
    assert derived
    assert not derived & {PROV.wasAttributedTo, parley.disputes, parley.publishedBy}


def test_a_withdrawn_claim_is_neither_edited_nor_withdrawn_again(
    private_site: AppSite, store: GraphStore, base_iri: str
) -> None:
    from service.errors import ClaimWithdrawnError

    claim = NamedNode(base_iri + C17)
    editor = NamedNode(base_iri + "id/editor/ada")
    private_site.services.writer.submit(
        retraction(store, claim, reason="Not in the source.", agent=editor, when=WHEN),
        agent=editor.value,
        operation="retract C17",
        history=True,
    )
    with pytest.raises(ClaimWithdrawnError):
        retraction(store, claim, reason="again", agent=editor, when=WHEN)
    with pytest.raises(ClaimWithdrawnError):
        revision(store, claim, [], agent=editor, when=WHEN)


# -- no client writes graph/history --------------------------------------------------------


@pytest.mark.parametrize("door", ["POST /data", "PUT /store", "INSERT DATA", "DELETE WHERE"])
def test_a_client_cannot_write_graph_history(private_site: AppSite, door: str) -> None:
    history = private_site.services.store.vocab.history_graph.value
    body = b'<http://example.org/a> <http://example.org/b> "c" .'
    with private_site.client() as http:
        auth = private_site.auth()
        if door == "POST /data":
            answer = http.post(
                "/data", params={"graph": history}, content=body, headers={**TURTLE, **auth}
            )
        elif door == "PUT /store":
            answer = http.put(
                "/store", params={"graph": history}, content=body, headers={**TURTLE, **auth}
            )
        else:
            update = (
                f"INSERT DATA {{ GRAPH <{history}> {{ {body.decode()} }} }}"
                if door == "INSERT DATA"
                else f"DELETE WHERE {{ GRAPH <{history}> {{ ?s ?p ?o }} }}"
            )
            # An empty graph/history matches nothing: put something there first.
            claim = NamedNode(private_site.url + C17)
            store = private_site.services.store
            private_site.services.writer.submit(
                retraction(store, claim, reason="For the test.", agent=claim, when=WHEN),
                agent="test",
                operation="retract",
                history=True,
            )
            answer = http.post(
                "/sparql",
                content=update,
                headers={"Content-Type": "application/sparql-update", **auth},
            )
    assert answer.status_code == 403, answer.text
    assert answer.json()["type"].endswith("/protected-graph")


def test_a_look_alike_of_graph_history_is_protected(private_site: AppSite) -> None:
    look_alike = private_site.services.store.vocab.history_graph.value + "/"
    with private_site.client() as http:
        answer = http.post(
            "/data",
            params={"graph": look_alike},
            content=b'<http://example.org/a> <http://example.org/b> "c" .',
            headers={**TURTLE, **private_site.auth()},
        )
    assert answer.status_code == 403, answer.text


# -- graph/history is in the union default graph, and matches no query for claims -----


@pytest.fixture
def history_quad(site: AppSite | ServerProcess, base_iri: str) -> Iterator[Quad]:
    """A quad in ``graph/history`` of the session's store, put there behind the gate's back
    (no client can) and taken out again."""
    vocab = Vocab(base_iri)
    quad = Quad(
        NamedNode(base_iri + "id/claim/union-test/v1"),
        RDF.type,
        vocab.parley.ClaimVersion,
        vocab.history_graph,
    )
    if isinstance(site, AppSite):
        store: GraphStore = site.services.store
    else:
        remote = site.oxigraph or site.virtuoso
        assert remote is not None
        store = RemoteStore.connect(Settings(store_url=remote.sparql_url), vocab)
    of = Quad(quad.subject, DCTERMS.isVersionOf, NamedNode(base_iri + C17), vocab.history_graph)
    store.commit(ChangeSet(insert=[quad, of]))
    yield quad
    store.commit(ChangeSet(delete=[quad, of]))
    if not isinstance(site, AppSite):
        store.close()  # the test's own connection to the remote store


def test_queries_see_current_claims_by_default(
    history_quad: Quad, http: httpx.Client, base_iri: str
) -> None:
    subject = str(history_quad.subject).strip("<>")
    # A version is no claim: queries for claims do not see it; its own type is plain.
    assert [subject] not in _select(http, "SELECT ?c WHERE { ?c a parley:Claim }")
    assert _select(http, f"SELECT ?t WHERE {{ GRAPH graph:history {{ <{subject}> a ?t }} }}") == [
        [base_iri + "ontology#ClaimVersion"]
    ]
    # The data graphs are still merged into the default graph.
    assert _select(http, 'SELECT ?c WHERE { ?c dcterms:identifier "C17" }') == [[base_iri + C17]]
    # The pages read graph/history: the version's page, and the claim's list of versions.
    page = http.get(subject.removeprefix(base_iri))
    assert page.status_code == 200
    assert "An earlier version" in page.text
    claim = BeautifulSoup(http.get(C17).text, "html.parser")
    assert [a["href"] for a in claim.select("ol.versions a")] == ["/id/claim/union-test/v1"]


# -- the doors: the edit form, a new version, a retraction, a review ------------------------

JSON = {"Accept": "application/json"}
BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


def _fields(store: GraphStore, claim: NamedNode, **changes: list[str]) -> dict[str, list[str]]:
    """The claim's current fields (as the edit form is filled), with ``changes``."""
    values = claim_form_values(store, claim)
    values.update(changes)
    return values


def test_the_edit_form_is_filled_with_the_current_version(store: GraphStore, base_iri: str) -> None:
    values = claim_form_values(store, NamedNode(base_iri + C17))
    assert values["modality"] == [store.vocab.parley["modality-demanded"].value]
    assert values["claimant"] == [base_iri + "id/Putin"]
    assert values["exact"] == [
        "Russian sovereignty over Crimea and Donbas is not up for negotiation"
    ]
    assert (values["start"], values["end"]) == (["1774"], ["1842"])
    assert sorted(values["stance-value"]) == ["stance-favourable", "stance-unfavourable"]


def test_an_edit_through_the_form_shows_on_the_claim_page(
    private_site: AppSite, store: GraphStore, base_iri: str
) -> None:
    claim = NamedNode(base_iri + C17)
    slug = C17.removeprefix("id/claim/")
    values = _fields(store, claim, modality=["modality-asserted"])
    with private_site.client() as http:
        answer = http.post(
            f"/claims/{slug}/versions", data=values, headers={**JSON, **private_site.auth()}
        )
        assert answer.status_code == 201, answer.text
        assert answer.headers["Location"] == claim.value
        assert answer.json()["identifier"] == "C17"
        assert answer.json()["previousVersion"] == claim.value + "/v1"
        page = BeautifulSoup(http.get(C17).text, "html.parser")
        facts = page.select_one(".claim-view dl.facts")
        assert facts is not None
        assert "asserted" in facts.get_text()
        history = page.select_one("#h-history")
        assert history is not None
        versions = page.select("ol.versions li")
        assert "Version 1" in versions[0].get_text()
        assert versions[0].a is not None
        assert str(versions[0].a["href"]).endswith(f"{C17}/v1")
        # The earlier version has a page of its own, as it stood.
        old = BeautifulSoup(http.get(f"{C17}/v1").text, "html.parser")
        banner = old.select_one("#earlier-version")
        assert banner is not None
        assert "version 1" in banner.get_text()
        old_facts = old.select_one(".claim-view dl.facts")
        assert old_facts is not None
        assert "demanded" in old_facts.get_text()
        # What was not in the form (its note) is carried into the new version.
        note = _select(
            http,
            f"SELECT (COUNT(*) AS ?n) WHERE {{ <{claim.value}> skos:note ?note "
            'FILTER(STRSTARTS(?note, "Taken to support territorial concessions")) }',
        )
        assert note == [["1"]]


def test_a_refused_edit_says_why_and_writes_nothing(
    private_site: AppSite, store: GraphStore, base_iri: str
) -> None:
    claim = NamedNode(base_iri + C17)
    values = _fields(store, claim, modality=["modality-whatever"])
    with private_site.client() as http:
        answer = http.post(
            f"/claims/{C17.removeprefix('id/claim/')}/versions",
            data=values,
            headers={**JSON, **private_site.auth()},
        )
        assert answer.status_code == 422, answer.text
        assert any(r["field"] == "modality" for r in answer.json()["results"])
        assert _select(http, "SELECT ?v WHERE { GRAPH graph:history { ?v ?p ?o } }") == []


def test_a_retraction_through_the_door_shows_on_the_claim_page(
    private_site: AppSite, base_iri: str
) -> None:
    slug = C17.removeprefix("id/claim/")
    with private_site.client() as http:
        refused = http.post(
            f"/claims/{slug}/retraction",
            data={"reason": " "},
            headers={**JSON, **private_site.auth()},
        )
        assert refused.status_code == 422
        assert refused.json()["results"][0]["field"] == "reason"
        # A retraction has no dry run: asking for one withdraws nothing.
        checked = http.post(
            f"/claims/{slug}/retraction?dry-run=true",
            data={"reason": "Only checking."},
            headers={**JSON, **private_site.auth()},
        )
        assert checked.status_code == 400
        assert BeautifulSoup(http.get(C17).text, "html.parser").select_one("#withdrawn") is None
        answer = http.post(
            f"/claims/{slug}/retraction",
            data={"reason": "The quote is the author's paraphrase."},
            headers={**BROWSER, **private_site.auth()},
        )
        assert answer.status_code == 303
        assert answer.headers["Location"].endswith(C17)
        page = BeautifulSoup(http.get(C17).text, "html.parser")
        banner = page.select_one("#withdrawn")
        assert banner is not None
        text = banner.get_text(" ", strip=True)
        assert "Withdrawn" in text
        assert "The quote is the author's paraphrase." in text
        assert "administrator" in text  # the editor (here the write token's holder)
        # Shown as it stood: its claimant and its quote are on the page.
        facts = page.select_one(".claim-view dl.facts")
        assert facts is not None
        assert "Putin" in facts.get_text()
        again = http.post(
            f"/claims/{slug}/retraction",
            data={"reason": "again"},
            headers={**JSON, **private_site.auth()},
        )
        assert again.status_code == 409


def test_a_review_posted_through_the_form_is_on_the_claim_page(
    private_site: AppSite, base_iri: str
) -> None:
    claim = base_iri + C17
    body = "The transcript of the press conference does not contain these words."
    with private_site.client() as http:
        form = http.get("/reviews/new", params={"claim": claim})
        assert form.status_code == 200
        answer = http.post(
            "/reviews",
            data={
                "claim": claim,
                "attribution": "attribution-differs",
                "reviewBody": body,
                "source": base_iri + "id/ref/kremlin-2025-11-27",
            },
            headers={**BROWSER, **private_site.auth()},
        )
        assert answer.status_code == 303, answer.text
        page = BeautifulSoup(http.get(C17).text, "html.parser")
        bodies = [p.get_text() for p in page.select("p.review-body")]
        assert body in bodies
        made = _select(
            http,
            f'SELECT ?r WHERE {{ ?r parley:reviews <{claim}> ; schema:reviewBody "{body}"@en }}',
        )
        made += _select(
            http, f'SELECT ?r WHERE {{ ?r parley:reviews <{claim}> ; schema:reviewBody "{body}" }}'
        )
        assert made == [[base_iri + "id/review/C17-2"]]


def test_a_review_without_a_verdict_is_refused_with_its_field(
    private_site: AppSite, base_iri: str
) -> None:
    with private_site.client() as http:
        answer = http.post(
            "/reviews",
            json={"claim": base_iri + C17, "reviewBody": "Too short."},
            headers=private_site.auth(),
        )
    assert answer.status_code == 422, answer.text
    fields = {r["field"] for r in answer.json()["results"]}
    assert "reviewBody" in fields


# -- a rebuild keeps the history: the journal's replay may write graph/history -------------


def test_a_replayed_edit_keeps_its_history(
    tmp_path: Path, store_copy: Path, built_store: Path, base_iri: str
) -> None:
    from service.build._replay import replay

    site = open_app(store_copy, base_iri, query_workers=0)
    try:
        store = site.services.store
        claim = NamedNode(base_iri + C17)
        agent = NamedNode(base_iri + "id/editor/ada")
        change = revision(
            store, claim, _edited(store, claim, "modality-asserted"), agent=agent, when=WHEN
        )
        site.services.writer.submit(change, agent=agent.value, operation="edit", history=True)
        where = journal_dir(site.services.settings)
        assert where is not None
        journal = Journal(where)
    finally:
        site.stop()
    fresh = OxigraphStore.open(
        copy_store(built_store, tmp_path / "fresh", base_iri), Vocab(base_iri)
    )
    try:
        done = replay(fresh, journal, base_iri)
        assert (done.committed, len(done.rejected)) == (1, 0)
        history = fresh.vocab.history_graph
        assert next(fresh.quads(NamedNode(claim.value + "/v1"), None, None, history), None)
    finally:
        fresh.close()


# -- a signed-in editor's actions on the claim page ------------------------------------------


def test_a_signed_in_editor_edits_reviews_and_retracts_from_the_claim_page(
    private_site: AppSite,
) -> None:
    settings = private_site.services.settings
    where = editors_file(settings)
    assert where is not None
    _editor, token = Registry(where).add("Ada Lovelace")
    with private_site.client() as http:
        anonymous = BeautifulSoup(http.get(C17).text, "html.parser")
        assert anonymous.select_one("#claim-edit") is None  # the actions are for editors
        signed_in = http.post("/sign-in", data={"token": token, "next": "/" + C17})
        assert signed_in.status_code == 303
        page = BeautifulSoup(http.get(C17).text, "html.parser")
        edit, review = page.select_one("#claim-edit"), page.select_one("#claim-review")
        assert edit is not None
        assert review is not None
        assert http.get(str(edit["href"])).status_code == 200
        assert http.get(str(review["href"])).status_code == 200
        form = page.select_one("#retract form")
        assert form is not None
        csrf = form.select_one("input[name=csrf_token]")
        assert csrf is not None
        action = str(form["action"])
        forged = http.post(action, data={"reason": "Forged."}, headers=BROWSER)
        assert forged.status_code == 403
        answer = http.post(
            action,
            data={"reason": "Not in the source.", "csrf_token": str(csrf["value"])},
            headers=BROWSER,
        )
        assert answer.status_code == 303, answer.text
        banner = BeautifulSoup(http.get(C17).text, "html.parser").select_one("#withdrawn")
    assert banner is not None
    assert "Ada Lovelace" in banner.get_text()
    assert "Not in the source." in banner.get_text()
