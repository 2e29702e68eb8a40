"""Claim, review and source pages (issue 14): the verdicts as badges next to the claimant,
labels that never repeat their claimant, the reported-speech chain without the claim
itself, review pages of their own, and the source text coloured by claimant with a
legend, verdict marks and keyboard navigation.

They run over the project's model (``site``, on both backends) and ask the expected
answers of the store with SPARQL, so they hold whatever claims the data holds; the
browser tests run in headless Chromium against the real server.
"""

from __future__ import annotations

from collections import defaultdict

import httpx
from bs4 import BeautifulSoup, Tag

from service.pages._labels import split_speaker
from tests.support import ServerProcess, Site


def rows(http: httpx.Client, query: str) -> list[dict[str, str]]:
    """The answers of a SELECT over the site's endpoint, each a name-to-value dict."""
    response = http.get(
        "/sparql", params={"query": query}, headers={"Accept": "application/sparql-results+json"}
    )
    assert response.status_code == 200, response.text[:500]
    return [
        {name: cell["value"] for name, cell in row.items()}
        for row in response.json()["results"]["bindings"]
    ]


def page(http: httpx.Client, path: str) -> BeautifulSoup:
    response = http.get(path, headers={"Accept": "text/html"})
    assert response.status_code == 200, (path, response.status_code)
    return BeautifulSoup(response.text, "html.parser")


def path_of(site: Site, iri: str) -> str:
    return "/" + iri.removeprefix(site.url)


def first(node: Tag, selector: str) -> Tag:
    found = node.select_one(selector)
    assert found is not None, selector
    return found


def text(node: Tag | None) -> str:
    assert node is not None
    return " ".join(node.get_text(" ").split())


def flat(node: Tag | BeautifulSoup | None) -> str:
    """The text as a reader sees it: no space added between an element and what follows."""
    assert node is not None
    return " ".join(node.get_text().split())


SOURCE = "/id/source/article"

#: Every reviewed claim with its claimant and the labels of its verdicts; accuracy only
#: where the claim is checkable, as the pages show it.
VERDICTS = """SELECT ?claim ?id ?who ?aspect ?label WHERE {
  ?review parley:reviews ?claim . ?claim dcterms:identifier ?id ; parley:claimant ?c .
  ?c rdfs:label ?who .
  { ?review parley:attribution ?v BIND("attribution" AS ?aspect) } UNION
  { ?review parley:accuracy ?v BIND("accuracy" AS ?aspect)
    FILTER NOT EXISTS { ?claim a parley:NotCheckableClaim } }
  ?v rdfs:label ?label } ORDER BY ?id ?aspect"""


def verdicts_by_claim(http: httpx.Client) -> dict[str, dict[str, set[str]]]:
    found: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for r in rows(http, VERDICTS):
        found[r["claim"]][r["aspect"]].add(r["label"])
    assert len(found) > 20, "the model has reviewed claims"
    return found


# -- the claim page's header ------------------------------------------------------------


def test_header_holds_both_verdict_badges_next_to_the_claimant(
    site: Site, http: httpx.Client
) -> None:
    reviewed = verdicts_by_claim(http)
    claimants = {
        r["claim"]: r["who"]
        for r in rows(http, "SELECT ?claim ?who WHERE { ?claim parley:claimant/rdfs:label ?who }")
    }
    for claim in sorted(reviewed)[:12]:
        soup = page(http, path_of(site, claim))
        head = soup.select_one("header.entity-head .claim-head")
        assert head is not None, claim
        assert flat(head.select_one(".who-says")) == f"Claimant: {claimants[claim]}"
        items = head.select("ul.verdicts > li.verdict")
        assert [text(li.select_one(".head-label")) for li in items] == [
            "Attribution:",
            "Accuracy:",
        ]
        for li, aspect in zip(items, ("attribution", "accuracy"), strict=True):
            badges = li.select(".verdict-badge")
            assert badges, (claim, aspect)
            expected = reviewed[claim].get(aspect)
            if expected:
                # A real badge: the verdict's words, a tone colour and a mark (by CSS).
                assert {flat(b) for b in badges} == expected, (claim, aspect)
                for b in badges:
                    classes = set(b.get("class") or [])
                    assert classes & {"tone-agrees", "tone-mixed", "tone-differs", "tone-open"}
                    assert b.get("data-mark")
            else:
                assert "missing" in (badges[0].get("class") or []), (claim, aspect)
        # In the header, before the page's first section.
        html = str(soup)
        assert html.index("verdict-accuracy") < html.index('id="h-claim"')


# -- labels without repetition ----------------------------------------------------------


def test_no_claim_label_repeats_its_claimant(site: Site, http: httpx.Client) -> None:
    """Wherever a claim follows its claimant's name, its label's own speaker is dropped: a
    page never reads "Vladimir Putin: Putin: ..." (checked on the lines that show both)."""
    claims = rows(
        http,
        "SELECT ?claim ?label ?who WHERE { ?claim a parley:Claim ; rdfs:label ?label ; "
        "parley:claimant/rdfs:label ?who }",
    )
    by_href = {path_of(site, r["claim"]): r for r in claims}
    speakers = [r for r in claims if split_speaker(r["label"])[0]]
    assert len(speakers) > 50, "claim labels name their speaker first"
    reported = rows(http, "SELECT ?c WHERE { ?r parley:reportsClaim ?c } ORDER BY ?c")
    pages = [SOURCE, "/id/Zelensky", *(path_of(site, r["c"]) for r in reported)]
    seen = 0
    for path in pages:
        soup = page(http, path)
        whole = flat(soup)
        for r in speakers:
            assert f"{r['who']}: {r['label']}" not in whole, (path, r["label"])
        for said in soup.select(".said"):
            links = said.find_all("a", recursive=False)
            claim = by_href.get(str(links[-1].get("href")))
            if claim is None:
                continue
            seen += 1
            speaker, _, words = split_speaker(claim["label"])
            assert flat(links[0]) == claim["who"]
            assert flat(links[-1]) == words, (path, claim["label"])
            assert not flat(said).startswith(f"{claim['who']}: {speaker}:")
    assert seen > 50


# -- the reported-speech chain ----------------------------------------------------------


def test_the_chain_never_lists_the_claim_as_its_own_step(site: Site, http: httpx.Client) -> None:
    # ``p+`` written as ``p`` then ``p*``: Virtuoso walks a path only from a fixed or
    # already bound start, and refuses ``?r p+ ?claim`` ("transitive start not given").
    chains = rows(
        http,
        "SELECT ?claim (COUNT(DISTINCT ?r) AS ?n) WHERE { ?r parley:reportsClaim ?step . "
        "?step parley:reportsClaim* ?claim } GROUP BY ?claim ORDER BY ?claim",
    )
    assert chains, "the model has reported speech (C51 through C50)"
    for r in chains:
        soup = page(http, path_of(site, r["claim"]))
        steps = soup.select("ol.chain-steps > li")
        own = path_of(site, r["claim"])
        assert len(steps) == int(r["n"]), r["claim"]
        for step in steps:
            assert own not in {a.get("href") for a in step.select("a")}, r["claim"]


# -- the source page ----------------------------------------------------------------------


def test_source_legend_names_every_claimant_and_every_span_its_own(
    site: Site, http: httpx.Client
) -> None:
    found = rows(
        http,
        "SELECT DISTINCT ?claim ?who ?name WHERE { ?claim parley:hasEvidence/oa:hasSource "
        f"<{site.url}id/source/article> ; parley:claimant ?who . ?who rdfs:label ?name }}",
    )
    claimant_of = {path_of(site, r["claim"]): r["name"] for r in found}
    soup = page(http, SOURCE)
    legend = soup.select_one("ul.legend")
    assert legend is not None
    entries = {str(first(li, "a").get("href")): li for li in legend.select("li")}
    assert set(entries) == {path_of(site, r["who"]) for r in found}
    colour_of = {
        flat(li.select_one("a")): next(
            c for c in first(li, ".swatch").get("class") or [] if c.startswith("who-")
        )
        for li in entries.values()
    }
    tags = soup.select(".source-text a.claim-start")
    assert len(tags) >= len(claimant_of)
    for tag in tags:
        who = claimant_of[str(tag.get("href"))]
        assert tag.get("data-claimant") == who
        assert str(tag.get("title")).startswith(f"{who}: ")
        assert f"said by {who}" in str(tag.get("aria-label"))
        assert colour_of[who] in (tag.get("class") or [])
    for span in soup.select(".source-text a.span"):
        who = claimant_of[str(span.get("href"))]
        assert span.get("data-claimant") == who
        assert str(span.get("title")).startswith(f"{who}: ")


def test_source_verdict_marks_match_the_reviews(site: Site, http: httpx.Client) -> None:
    reviewed = verdicts_by_claim(http)
    soup = page(http, SOURCE)
    marked = 0
    for tag in soup.select(".source-text a.claim-start"):
        claim = site.url + str(tag.get("href")).lstrip("/")
        said = {
            part.strip()
            for part in str(tag.get("aria-label")).split(";")[1:]
            if part.strip().startswith(("attribution:", "accuracy:"))
        }
        expected = {
            f"{aspect}: {label}"
            for aspect, labels in reviewed.get(claim, {}).items()
            for label in labels
        }
        assert said == expected, claim
        assert len(tag.select(".vmark")) == len(expected), claim
        marked += bool(expected)
    assert marked > 20


def test_source_page_navigates_without_script_and_caps_its_list(http: httpx.Client) -> None:
    soup = page(http, SOURCE)
    script = soup.select_one("script[src]")
    assert script is not None
    assert str(script.get("src")).endswith("/source.js")
    # Tab reaches each claim's tag, not every piece of its span: those are out of the order.
    assert all(a.get("tabindex") == "-1" for a in soup.select(".source-text a.span"))
    assert all(a.get("tabindex") is None for a in soup.select(".source-text a.claim-start"))
    listed = soup.select("section[aria-labelledby=h-source-claims] ul.claims > li")
    assert 0 < len(listed) <= 100


# -- review pages -------------------------------------------------------------------------


def test_review_page_shows_verdict_definitions_and_cited_sources(
    site: Site, http: httpx.Client
) -> None:
    reviews = rows(
        http,
        "SELECT ?review ?definition WHERE { ?review parley:reviews ?claim ; parley:attribution ?v "
        "FILTER EXISTS { ?review dcterms:source ?s } ?v skos:definition ?definition } "
        "ORDER BY ?review LIMIT 4",
    )
    assert reviews
    for r in reviews:
        soup = page(http, path_of(site, r["review"]))
        section = soup.select_one("section.review-page")
        assert section is not None
        assert r["definition"] in flat(section.select_one("dl.verdict-facts"))
        cited = rows(
            http,
            "SELECT ?s ?kind WHERE { "
            f"<{r['review']}> dcterms:source ?s "
            "OPTIONAL { ?s parley:sourceKind/skos:prefLabel ?kind } }",
        )
        items = section.select("ul.cited-sources > li")
        assert {str(first(li, "a").get("href")) for li in items} == {
            path_of(site, c["s"]) for c in cited
        }
        shown = flat(section.select_one("ul.cited-sources"))
        for c in cited:
            if "kind" in c:
                assert c["kind"] in shown
        # The claim's own words, as its source gives them.
        quoted = {flat(q) for q in section.select("blockquote.quote")}
        for q in rows(
            http,
            f"SELECT ?exact WHERE {{ <{r['review']}> parley:reviews/parley:hasEvidence/"
            "oa:hasSelector/oa:exact ?exact }",
        ):
            assert f"“{' '.join(q['exact'].split())}”" in quoted
        assert section.select_one(".byline") is not None
        assert "Reviewed by" in text(section.select_one(".byline"))


# -- in a browser -------------------------------------------------------------------------


def test_keys_move_from_claim_to_claim_and_badges_fit_a_phone(server: ServerProcess) -> None:
    from tests.browser import chromium, select

    with chromium() as browser:
        tab = browser.new_page(viewport={"width": 1280, "height": 900})
        tab.goto(server.url + SOURCE.lstrip("/"))
        stops = tab.locator(".source-text a.claim-start")
        assert stops.count() > 10
        hrefs = [stops.nth(i).get_attribute("href") for i in range(3)]
        focused = "document.activeElement.getAttribute('href')"
        tab.keyboard.press("j")
        assert tab.evaluate(focused) == hrefs[0]
        tab.keyboard.press("j")
        assert tab.evaluate(focused) == hrefs[1]
        tab.keyboard.press("ArrowRight")
        assert tab.evaluate(focused) == hrefs[2]
        tab.keyboard.press("k")
        assert tab.evaluate(focused) == hrefs[1]
        assert tab.evaluate("document.activeElement.classList.contains('claim-start')")
        with tab.expect_navigation():
            tab.keyboard.press("Enter")
        assert tab.url == server.url + str(hrefs[1]).lstrip("/")
        assert tab.locator(".claim-head ul.verdicts").count() == 1
        tab.close()

        claim = select(
            server,
            "SELECT ?c WHERE { ?r parley:reviews ?c ; parley:attribution ?a } ORDER BY ?c LIMIT 1",
        )[0]["c"]
        phone = browser.new_page(viewport={"width": 390, "height": 844})
        phone.goto(claim)
        badges = phone.locator(".claim-head .verdict-badge")
        assert badges.count() == 2
        for i in range(2):
            box = badges.nth(i).bounding_box()
            assert box is not None
            assert box["y"] + box["height"] <= 844, "a verdict badge is below the first screen"
            assert box["x"] + box["width"] <= 390
        phone.close()
