"""``parley ingest``: a source and a spreadsheet of its claims in one validated change, and
``POST /claims``'s batch form that it uses through a running server.

The sheet (``tests/fixtures/ingest/talks.csv``) has two good rows and five bad ones, each
bad for a different reason: a quote not in the text (row 4), no claimant (row 5), a
modality that is none of the five (row 6), a stance that does not read (row 7), and one
the gate refuses (row 8: supports and opposes one proposition; it also puts its claimant
on both sides with row 2, which is taken once row 8 is left out).
"""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from service.cli import main
from service.editing import claims_from_csv
from service.rdf import Vocab
from service.store import OxigraphStore
from tests.support import AppSite

FIXTURES = Path(__file__).parent / "fixtures" / "ingest"
TEXT, META, SHEET = FIXTURES / "talks.txt", FIXTURES / "talks.json", FIXTURES / "talks.csv"
#: Each refused row, and the field its reason is about.
REFUSED = {4: "exact", 5: "claimant", 6: "modality", 7: "stances", 8: "supportsProposition"}


def _ingest(store: Path, base_iri: str, *more: str) -> tuple[int, str]:
    args = [str(TEXT), "--meta", str(META), "--claims", str(SHEET)]
    result = CliRunner().invoke(
        main, ["ingest", *args, "--store", str(store), "--base-iri", base_iri, *more]
    )
    return result.exit_code, result.output


def _claims_of_the_new_source(store_path: Path, base_iri: str) -> dict[str, tuple[str, str]]:
    store = OxigraphStore.open(store_path, Vocab(base_iri))
    try:
        rows = store.select(
            "SELECT ?id ?exact ?text ?start ?end WHERE { ?c parley:appearsIn ?s ; "
            "dcterms:identifier ?id ; parley:hasEvidence/oa:hasSelector ?q, ?p . "
            "?q oa:exact ?exact . ?p oa:start ?start ; oa:end ?end . ?s schema:text ?text ; "
            'rdfs:label "Delegations meet in Geneva"@en }'
        )
    finally:
        store.close()
    found = {}
    for row in rows:
        start, end = int(row["start"].value), int(row["end"].value)
        found[row["id"].value] = (row["exact"].value, row["text"].value[start:end])
    return found


def test_the_good_rows_are_imported_and_the_bad_ones_reported_by_row(
    store_copy: Path, base_iri: str
) -> None:
    code, output = _ingest(store_copy, base_iri)
    assert code == 1, output  # some rows were refused
    refused = {
        int(line.split(":", 1)[0].removeprefix("row ")): line
        for line in output.splitlines()
        if line.startswith("row ")
    }
    assert set(refused) == set(REFUSED), output
    for row, field in REFUSED.items():
        assert f"refused: {field}: " in refused[row] or f"; {field}: " in refused[row], output
    assert "not in the source's text" in refused[4]
    assert "'ordered' is not one of the values" in refused[6]
    assert "2 claim(s) written, 5 row(s) refused" in output
    claims = _claims_of_the_new_source(store_copy, base_iri)
    assert sorted(claims) == ["C102", "C103"]  # in row order, after the seed's C101
    assert claims["C102"] == ("Crimea will never be returned",) * 2
    assert claims["C103"] == ("no territory will be traded for peace",) * 2


def test_a_dry_run_reports_and_writes_nothing(store_copy: Path, base_iri: str) -> None:
    code, output = _ingest(store_copy, base_iri, "--dry-run")
    assert code == 1, output
    assert "2 claim(s) would be written, 5 row(s) refused" in output
    assert _claims_of_the_new_source(store_copy, base_iri) == {}


def test_nothing_written_exits_2(store_copy: Path, base_iri: str, tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"title": "No kind", "language": "en"}))
    files = [str(TEXT), "--meta", str(bad), "--claims", str(SHEET)]
    store = ["--store", str(store_copy), "--base-iri", base_iri]
    result = CliRunner().invoke(main, ["ingest", *files, *store])
    assert result.exit_code == 2, result.output
    assert "source: kind:" in result.output
    assert _claims_of_the_new_source(store_copy, base_iri) == {}


def test_the_batch_form_of_post_claims_imports_in_one_change(private_site: AppSite) -> None:
    """What ``parley ingest`` sends a running server: the new source and the rows."""
    rows, unread = claims_from_csv(SHEET.read_text(encoding="utf-8"))
    assert set(unread) == {7}
    body = {
        "source": {**json.loads(META.read_text()), "text": TEXT.read_text(encoding="utf-8")},
        "claims": [{**claim, "row": n} for n, claim in rows],
    }
    with private_site.client() as http:
        answer = http.post("/claims", json=body, headers=private_site.auth())
        assert answer.status_code == 201, answer.text
        report = answer.json()
        records = http.get(
            "/sparql",
            params={
                "query": "SELECT (COUNT(DISTINCT ?r) AS ?n) WHERE { ?r a parley:WriteRecord ; "
                f"prov:wasAssociatedWith ?a ; parley:targetGraph <{private_site.url}graph/"
                "claims/delegations-meet-in-geneva> }"
            },
            headers={"Accept": "application/sparql-results+json"},
        ).json()["results"]["bindings"]
    assert report["written"] is True
    assert (report["taken"], report["refused"]) == (2, 4)
    assert answer.headers["Location"] == report["source"]
    by_row = {r["row"]: r for r in report["rows"]}
    assert [n for n, r in sorted(by_row.items()) if r["taken"]] == [2, 3]
    refused = {n: {x["field"] for x in r["results"]} for n, r in by_row.items() if not r["taken"]}
    assert set(refused) == set(REFUSED) - {7}
    assert all(REFUSED[n] in fields for n, fields in refused.items()), refused
    assert records[0]["n"]["value"] == "1"  # one write: the source and its claims together
