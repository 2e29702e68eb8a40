"""``parley build`` and the other commands, on a small data directory of their own."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from service.cli import main
from service.rdf import NamedNode, Vocab
from service.store import OxigraphStore
from tests.support import one_closure_per_model

BASE = "http://build.test/"
FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="module", autouse=True)
def _one_closure_per_model() -> Iterator[None]:
    """Three tests build the same small model: it is reasoned over once for the module
    (``tests.support.one_closure_per_model``); the rest of each build is done every time."""
    with one_closure_per_model():
        yield


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """A data directory holding the minimal valid graph as one source's claims."""
    target = tmp_path / "data" / "claims" / "text"
    target.mkdir(parents=True)
    shutil.copy(FIXTURES / "minimal.ttl", target / "minimal.ttl")
    return tmp_path / "data"


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.output


def dump(store_dir: Path) -> bytes:
    from service.rdf import NQUADS, DefaultGraph

    store = OxigraphStore.open(store_dir, Vocab(BASE))
    try:
        return b"".join(sorted(store.serialize_graph(DefaultGraph(), NQUADS).splitlines(True)))
    finally:
        store.close()


def test_build_writes_a_store_and_summarises_it(tmp_path: Path, data_dir: Path) -> None:
    code, output = run(
        "build", "--store", str(tmp_path / "store"), "--base-iri", BASE, "--data-dir", str(data_dir)
    )
    assert code == 0, output
    assert "graph/claims/text" in output
    assert "Inferred triples:" in output
    assert "Claim " in output
    assert "Time per stage:" in output
    store = OxigraphStore.open(tmp_path / "store", Vocab(BASE))
    vocab = store.vocab
    graphs = {g.value for g in store.named_graphs() if isinstance(g, NamedNode)}
    assert {
        vocab.graph(n).value
        for n in ("ontology", "shapes", "claims/text", "inferred", "provenance")
    } <= graphs
    assert store.count(vocab.inferred_graph) > 0
    # The build's own provenance record.
    assert store.ask("ASK { GRAPH graph:provenance { ?b a parley:Build ; prov:endedAtTime ?t } }")
    store.close()


def test_a_violating_build_prints_the_report_and_leaves_the_store_alone(
    tmp_path: Path, data_dir: Path
) -> None:
    store_dir = tmp_path / "store"
    assert (
        run("build", "--store", str(store_dir), "--base-iri", BASE, "--data-dir", str(data_dir))[0]
        == 0
    )
    before = dump(store_dir)
    broken = data_dir / "claims" / "text" / "minimal.ttl"
    broken.write_text(broken.read_text().replace("parley:claimant <id/Alpha> ;", ""))
    code, output = run(
        "build", "--store", str(store_dir), "--base-iri", BASE, "--data-dir", str(data_dir)
    )
    assert code == 1
    assert "breaks the shapes" in output
    assert "<http://build.test/id/claim/fail>" in output
    assert "exactly one claimant" in output
    assert dump(store_dir) == before


def test_a_syntax_error_names_the_file_and_line(tmp_path: Path, data_dir: Path) -> None:
    bad = data_dir / "reference" / "bad.ttl"
    bad.parent.mkdir()
    bad.write_text('@prefix id: <id/> .\n\nid:a id:b "unterminated .\n')
    code, output = run(
        "build", "--store", str(tmp_path / "store"), "--base-iri", BASE, "--data-dir", str(data_dir)
    )
    assert code == 2
    assert "bad.ttl" in output
    assert "3:" in output or "line 3" in output
    assert not (tmp_path / "store").exists()


def test_query_stats_and_validate_commands(tmp_path: Path, data_dir: Path) -> None:
    store = str(tmp_path / "store")
    assert run("build", "--store", store, "--base-iri", BASE, "--data-dir", str(data_dir))[0] == 0
    code, output = run(
        "query",
        "SELECT ?claim ?who WHERE { ?claim parley:claimant ?who } ORDER BY ?claim",
        "--store",
        store,
        "--base-iri",
        BASE,
    )
    assert code == 0
    assert "claim:fail" in output
    assert "id:Alpha" in output
    assert "(2 rows)" in output
    code, output = run(
        "query",
        "ASK { id:Alpha parley:makesClaim <id/claim/fail> }",
        "--store",
        store,
        "--base-iri",
        BASE,
    )
    assert (code, output.strip()) == (0, "true")
    code, output = run("query", "SELECT * WHERE { ?s ?p }", "--store", store, "--base-iri", BASE)
    assert code == 2
    assert "line 1, column 25" in output
    code, output = run("stats", "--store", store, "--base-iri", BASE)
    assert code == 0
    assert "graph:claims/text" in output
    assert "parley:Claim" in output

    good = tmp_path / "good.ttl"
    good.write_text(
        "@prefix parley: <ontology#> . @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
        "@prefix dcterms: <http://purl.org/dc/terms/> .\n"
        '<id/Gamma> a parley:Person ; rdfs:label "Gamma"@en ; dcterms:source <id/ref/doc> .\n'
    )
    code, output = run("validate", str(good), "--store", store, "--base-iri", BASE)
    assert (code, output.strip()) == (0, "Conforms: yes")
    bad = tmp_path / "bad.ttl"
    bad.write_text(
        "@prefix parley: <ontology#> .\n"
        "<id/claim/new> a parley:Claim ; parley:claimant <id/Alpha> .\n"
    )
    code, output = run("validate", str(bad), "--store", store, "--base-iri", BASE)
    assert code == 1
    assert "<http://build.test/id/claim/new>" in output
    assert "parley:hasEvidence" in output
