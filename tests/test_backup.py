"""``parley dump`` and ``parley restore``: every graph to a file and back, as Fuseki's
backups, on a store built by the real ``parley build`` and written through the gate."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from service.cli import main
from service.rdf import BY_NAME, NQUADS, parse, quads_from_wire, serialize
from tests.gate_examples import EXAMPLES
from tests.gatekit import build_fixture
from tests.support import AppSite, copy_store, open_app

BASE = "http://127.0.0.1:8000/"
ACTOR = next(e for e in EXAMPLES if e.shape == "ActorShape")


def parley(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


@pytest.fixture(scope="module")
def fixture_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The gate's fixture model, built once (each test takes a copy)."""
    return build_fixture(tmp_path_factory.mktemp("built") / "store", BASE)


def written_store(tmp_path: Path, built: Path) -> tuple[Path, str]:
    """A copy of the fixture model and one write made through the gate; the write's record."""
    store = copy_store(built, tmp_path / "store", BASE)
    site = open_app(store, BASE, query_workers=0)
    try:
        with site.client() as http:
            response = http.post(
                "/data",
                params={"graph": ACTOR.graph},
                content=ACTOR.text("valid", "B1"),
                headers={"Content-Type": "text/turtle", **site.auth()},
            )
        assert response.status_code == 201, response.text
        record = response.json()["record"]
    finally:
        site.stop()
    return store, str(record)


def fingerprint(nquads: bytes) -> list[str]:
    """A dataset as sorted N-Quads lines. The data graphs hold no blank node (the gate
    skolemises them); the model's do (OWL lists, SHACL shapes), and dump and restore keep
    their labels, so the lines compare as they are."""
    quads = quads_from_wire(nquads)  # keeps the labels
    return sorted(serialize([q], NQUADS).decode().strip() for q in quads)


def test_dump_restore_dump_gives_the_same_dataset_and_serves_it(
    tmp_path: Path, fixture_store: Path
) -> None:
    store, record = written_store(tmp_path, fixture_store)
    first = tmp_path / "backup.trig"
    result = parley("dump", str(first), "--store", str(store), "--base-iri", BASE)
    assert result.exit_code == 0, result.output
    dumped = parse(first.read_bytes(), BY_NAME["trig"])
    graphs = {str(q.graph_name) for q in dumped}
    for graph in ("ontology", "shapes", "inferred", "provenance", "reference"):
        assert f"<{BASE}graph/{graph}>" in graphs
    assert any(str(q.subject) == f"<{record}>" for q in dumped)  # provenance included

    before = parley("dump", "-", "--format", "nquads", "--store", str(store))

    restored = tmp_path / "restored"
    result = parley("restore", str(first), "--store", str(restored))
    assert result.exit_code == 0, result.output
    assert f"Restored {len(dumped)} quads" in result.output
    assert BASE in result.output
    again = parley("dump", "-", "--format", "nquads", "--store", str(restored))
    assert again.exit_code == 0, again.output
    assert fingerprint(again.stdout_bytes) == fingerprint(before.stdout_bytes)
    assert len(fingerprint(again.stdout_bytes)) == len(dumped)

    site = open_app(restored, BASE, query_workers=0)
    try:
        with site.client() as http:
            page = http.get("/id/LavrovB1", headers={"Accept": "text/turtle"})
            assert page.status_code == 200
            assert "Sergey Lavrov" in page.text
            # And the restored store takes writes through the gate again.
            response = http.post(
                "/data",
                params={"graph": ACTOR.graph},
                content=ACTOR.text("valid", "B2"),
                headers={"Content-Type": "text/turtle", **site.auth()},
            )
            assert response.status_code == 201, response.text
    finally:
        site.stop()


def test_restore_refuses_a_store_that_holds_data_unless_forced(
    tmp_path: Path, fixture_store: Path
) -> None:
    store, _record = written_store(tmp_path, fixture_store)
    other = copy_store(fixture_store, tmp_path / "other", BASE)
    backup = tmp_path / "backup.nq"
    assert parley("dump", str(backup), "--store", str(store)).exit_code == 0
    assert backup.read_bytes().startswith(b"<")  # N-Quads, from the suffix
    refused = parley("restore", str(backup), "--store", str(other))
    assert refused.exit_code == 2
    assert "--force" in refused.output
    assert "holds" in refused.output
    before = parley("dump", "-", "--format", "nquads", "--store", str(other)).stdout_bytes
    assert b"LavrovB1" not in before  # unchanged
    forced = parley("restore", str(backup), "--store", str(other), "--force")
    assert forced.exit_code == 0, forced.output
    after = parley("dump", "-", "--format", "nquads", "--store", str(other)).stdout_bytes
    assert sorted(after.splitlines()) == sorted(backup.read_bytes().splitlines())


def test_dump_of_a_store_a_server_holds_says_what_to_do(
    tmp_path: Path, fixture_store: Path
) -> None:
    store, _record = written_store(tmp_path, fixture_store)
    site: AppSite = open_app(store, BASE, query_workers=0)  # holds the store's lock
    try:
        result = parley("dump", "-", "--store", str(store))
    finally:
        site.stop()
    assert result.exit_code == 2
    assert "in use by a running `parley serve`" in result.output
    assert "stop it" in result.output


@pytest.mark.parametrize("missing", ["dump", "restore"])
def test_a_missing_store_or_file_is_an_error_not_a_trace(tmp_path: Path, missing: str) -> None:
    if missing == "dump":
        result = parley("dump", "-", "--store", str(tmp_path / "none"))
        assert result.exit_code == 2
        assert "no store at" in result.output
    else:
        result = parley("restore", str(tmp_path / "none.trig"), "--store", str(tmp_path / "s"))
        assert result.exit_code == 2
        assert "does not exist" in result.output
