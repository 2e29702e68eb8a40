"""The journal of accepted writes, and its replay by ``parley build``: a write acknowledged
with a 2xx survives a rebuild (new data, another base IRI), and one that no longer passes
is set aside with the reason, never dropped in silence.

Each test builds the gate's small fixture model into its own directory with the real
``parley build`` and writes through the real gate (``POST /data`` in-process, or
``parley load``). The OWL closure and the validation of each distinct model's data are
computed once for the module (``_one_closure_per_model``).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from service.build import Journal, journal_dir
from service.cli import main
from service.rdf import NamedNode, Vocab
from service.settings import Settings
from service.store import OxigraphStore, RemoteStore
from service.web import create_app
from tests.gate_examples import EXAMPLES, PREFIXES, claim
from tests.gatekit import FIXTURE_DATA, build_fixture
from tests.support import (
    AppSite,
    base_for,
    copy_store,
    free_port,
    one_closure_per_model,
    one_validation_per_model,
    open_app,
    start_oxigraph,
    start_server,
)

OLD_BASE = "http://127.0.0.1:8000/"
NEW_BASE = "http://127.0.0.1:8001/"
ACTOR = next(e for e in EXAMPLES if e.shape == "ActorShape")


def parley(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def build(store: Path, data: Path, base: str, *extra: str) -> Result:
    result = parley(
        "build", "--store", str(store), "--base-iri", base, "--data-dir", str(data), *extra
    )
    assert result.exit_code == 0, result.output
    return result


def post(site: AppSite, turtle: bytes, graph: str) -> dict[str, object]:
    with site.client() as http:
        response = http.post(
            "/data",
            params={"graph": graph},
            content=turtle,
            headers={"Content-Type": "text/turtle", **site.auth()},
        )
    assert response.status_code == 201, response.text
    answer = response.json()
    assert isinstance(answer, dict)
    return answer


def holds(store: Path, base: str, subject: str, graph: str) -> bool:
    """Whether the store holds statements about ``{base}{subject}`` in ``{base}{graph}``."""
    opened = OxigraphStore.open(store, Vocab(base))
    try:
        found = opened.quads(NamedNode(base + subject), None, None, NamedNode(base + graph))
        return next(iter(found), None) is not None
    finally:
        opened.close()


def provenance_records(store: Path, base: str, record: str) -> int:
    opened = OxigraphStore.open(store, Vocab(base))
    try:
        return len(list(opened.quads(NamedNode(record), None, None, Vocab(base).provenance_graph)))
    finally:
        opened.close()


@pytest.fixture(scope="module", autouse=True)
def _one_closure_per_model() -> Iterator[None]:
    """The builds here reason over a few models (the fixture data for each base IRI, edited
    or not), many times: each is reasoned over and its data validated once for the module,
    the rest of each build (the replay of the journal first) is done every time
    (``tests.support.one_closure_per_model``, ``one_validation_per_model``)."""
    with one_closure_per_model(), one_validation_per_model():
        yield


def fixture_data(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    shutil.copytree(FIXTURE_DATA, data)
    return data


@pytest.fixture(scope="module")
def fixture_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The gate's fixture model built for ``OLD_BASE`` (each test takes a copy; the
    process's other modules share its build, ``tests.gatekit.build_fixture``)."""
    return build_fixture(tmp_path_factory.mktemp("built") / "store", OLD_BASE)


def fixture_copy(tmp_path: Path, built: Path) -> tuple[Path, Path]:
    """A copy of the built store (no journal yet) and of its data directory."""
    return copy_store(built, tmp_path / "store", OLD_BASE), fixture_data(tmp_path)


def test_every_acknowledged_write_is_journalled_before_its_client_hears_of_it(
    tmp_path: Path, fixture_store: Path
) -> None:
    store, _data = fixture_copy(tmp_path, fixture_store)
    site = open_app(store, OLD_BASE, query_workers=0)
    journal = Journal(tmp_path / "store.journal")
    seen_by_listener: list[bool] = []
    # The gate's listeners run after its recorders and before ``submit`` returns.
    site.services.writer.add_listener(
        lambda _changes: seen_by_listener.append(
            journal.file.exists() and bool(journal.read().entries)
        )
    )
    try:
        answer = post(site, ACTOR.text("valid", "J1"), ACTOR.graph)
    finally:
        site.stop()
    assert seen_by_listener == [True]
    assert journal_dir(Settings(store_path=store)) == journal.path
    [entry] = journal.read().entries
    assert entry.stamp.record == answer["record"]
    assert entry.base == OLD_BASE
    assert entry.operation
    assert entry.agent.startswith(OLD_BASE)
    # The asserted statements as committed, and not the inferred ones.
    assert {q.graph_name for q in entry.insert} == {NamedNode(OLD_BASE + ACTOR.graph)}
    assert len(entry.insert) == answer["added"]
    line = journal.file.read_bytes()
    assert line.endswith(b"\n")
    assert json.loads(line)["sha256"]


def test_a_write_the_journal_cannot_keep_is_an_error_and_health_says_so(
    tmp_path: Path, fixture_store: Path
) -> None:
    """A journal that cannot be appended to (here its file is a directory: the same
    ``OSError`` path as a full disk) fails the write's answer, and ``/health`` reports the
    failing writes until a write is journalled again."""
    store, _data = fixture_copy(tmp_path, fixture_store)
    site = open_app(store, OLD_BASE, query_workers=0)
    journal = Journal(tmp_path / "store.journal")
    journal.file.mkdir(parents=True)
    try:
        with site.client() as http:
            failed = http.post(
                "/data",
                params={"graph": ACTOR.graph},
                content=ACTOR.text("valid", "J9"),
                headers={"Content-Type": "text/turtle", **site.auth()},
            )
            assert failed.status_code >= 500, failed.text
            assert failed.headers["Content-Type"].startswith("application/problem+json")
            health = http.get("/health").json()
            assert (health["status"], health["writes"]) == ("degraded", "failing")
            assert "journal" in health["last_write_error"]
            journal.file.rmdir()
            post(site, ACTOR.text("valid", "J10"), ACTOR.graph)
            health = http.get("/health").json()
            assert (health["status"], health["writes"]) == ("ok", "ok")
            assert "last_write_error" not in health
    finally:
        site.stop()


def test_writes_survive_a_rebuild_for_another_base_and_edited_data(
    tmp_path: Path, fixture_store: Path
) -> None:
    """`make run PORT=8001` after writes on port 8000, then an edit under data/."""
    store, data = fixture_copy(tmp_path, fixture_store)
    site = open_app(store, OLD_BASE, query_workers=0)
    try:
        answer = post(site, ACTOR.text("valid", "J2"), ACTOR.graph)
    finally:
        site.stop()
    loaded = tmp_path / "editor.ttl"
    loaded.write_text(PREFIXES + '<id/editor/j3> a parley:Editor ; rdfs:label "J3"@en .')
    result = parley(
        "load", str(loaded), "--graph", "graph/editorial", "--store", str(store),
        "--base-iri", OLD_BASE,
    )  # fmt: skip
    assert result.exit_code == 0, result.output

    result = build(store, data, NEW_BASE)
    assert "2 write(s) replayed: 2 committed" in result.output
    assert "2 moved to the new base IRI" in result.output
    assert holds(store, NEW_BASE, "id/LavrovJ2", "graph/reference")
    assert holds(store, NEW_BASE, "id/editor/j3", "graph/editorial")
    # The write keeps its provenance record, moved to the new base.
    record = str(answer["record"]).replace(OLD_BASE, NEW_BASE)
    assert provenance_records(store, NEW_BASE, record) > 0
    # Served under the new base, the write is there (the store checks its base IRI).
    site = open_app(store, NEW_BASE, query_workers=0)
    try:
        with site.client() as http:
            page = http.get("/id/LavrovJ2", headers={"Accept": "text/turtle"})
        assert page.status_code == 200
        assert "Sergey Lavrov" in page.text
    finally:
        site.stop()

    (data / "reference" / "more.ttl").write_text(
        PREFIXES + 'id:Lula a parley:Person ; rdfs:label "Lula"@en ; '
        "dcterms:source <id/ref/reuters> ."
    )
    build(store, data, NEW_BASE)
    assert holds(store, NEW_BASE, "id/Lula", "graph/reference")
    assert holds(store, NEW_BASE, "id/LavrovJ2", "graph/reference")
    assert holds(store, NEW_BASE, "id/editor/j3", "graph/editorial")


def test_every_door_is_journalled_and_replayed_in_order(
    tmp_path: Path, fixture_store: Path
) -> None:
    """SPARQL Update and the Graph Store Protocol too; a deletion replays after the insertion
    it undoes, and a client's own graph (outside Parley's, no provenance record) comes back."""
    store, data = fixture_copy(tmp_path, fixture_store)
    site = open_app(store, OLD_BASE, query_workers=0)
    own = "http://example.org/own"
    try:
        post(site, ACTOR.text("valid", "D1"), ACTOR.graph)
        post(site, ACTOR.text("valid", "D2"), ACTOR.graph)
        with site.client() as http:
            deleted = http.post(
                "/sparql",
                data={
                    "update": f"DELETE WHERE {{ GRAPH <{OLD_BASE}graph/reference> "
                    f"{{ <{OLD_BASE}id/LavrovD1> ?p ?o }} }}"
                },
                headers=site.auth(),
            )
            assert deleted.status_code in (200, 204), deleted.text
            put = http.put(
                "/store",
                params={"graph": own},
                content=b"<http://example.org/s> <http://example.org/p> _:b .",
                headers={"Content-Type": "application/n-triples", **site.auth()},
            )
            assert put.status_code in (200, 201, 204), put.text
    finally:
        site.stop()
    entries = Journal(tmp_path / "store.journal").read().entries
    assert len(entries) == 4
    assert entries[2].delete
    assert not entries[2].insert
    assert entries[3].stamp.record is None  # a client graph: no provenance record

    build(store, data, NEW_BASE)
    assert not holds(store, NEW_BASE, "id/LavrovD1", "graph/reference")
    assert holds(store, NEW_BASE, "id/LavrovD2", "graph/reference")
    opened = OxigraphStore.open(store, Vocab(NEW_BASE))
    try:
        [kept] = list(opened.quads(None, None, None, NamedNode(own)))
    finally:
        opened.close()
    assert kept.subject == NamedNode("http://example.org/s")  # outside the base: not moved


def test_replaying_twice_records_nothing_twice(tmp_path: Path, fixture_store: Path) -> None:
    store, data = fixture_copy(tmp_path, fixture_store)
    site = open_app(store, OLD_BASE, query_workers=0)
    try:
        answer = post(site, ACTOR.text("valid", "J4"), ACTOR.graph)
    finally:
        site.stop()
    record = str(answer["record"])
    before = provenance_records(store, OLD_BASE, record)
    for _ in range(2):
        build(store, data, OLD_BASE)
        assert provenance_records(store, OLD_BASE, record) == before
    assert len(Journal(tmp_path / "store.journal").read().entries) == 1
    opened = OxigraphStore.open(store, Vocab(OLD_BASE))
    try:
        records = opened.select(
            f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{OLD_BASE}graph/provenance> "
            f"{{ ?r a <{OLD_BASE}ontology#WriteRecord> }} }}"
        )
    finally:
        opened.close()
    assert int(records[0]["n"].value) == 1


def test_a_write_that_no_longer_passes_is_set_aside_with_the_reason(
    tmp_path: Path, fixture_store: Path
) -> None:
    store, data = fixture_copy(tmp_path, fixture_store)
    site = open_app(store, OLD_BASE, query_workers=0)
    quoting = (PREFIXES + claim().replace("{k}", "J5")).encode()
    try:
        post(site, quoting, "graph/claims/article")
        post(site, ACTOR.text("valid", "J6"), ACTOR.graph)
    finally:
        site.stop()
    # The article's text changes under the claim: its quote is no longer in it.
    article = data / "claims" / "article" / "article.txt"
    article.write_text(article.read_text().replace("basis for peace", "basis for talks"))

    result = build(store, data, OLD_BASE)
    assert "2 write(s) replayed: 1 committed, 0 already in the data, 1 rejected" in result.output
    assert holds(store, OLD_BASE, "id/LavrovJ6", "graph/reference")  # the rest went on
    assert not holds(store, OLD_BASE, "id/claim/XJ5", "graph/claims/article")
    journal = Journal(tmp_path / "store.journal")
    [aside] = list(journal.path.glob("rejected-*.trig"))
    assert str(aside) in result.output
    text = aside.read_text()
    assert "is not the text of its source" in text  # the reason
    assert f"<{OLD_BASE}id/claim/XJ5>" in text  # and the write, to fix and load again
    from service.rdf import BY_NAME, parse

    assert len(parse(aside.read_bytes(), BY_NAME["trig"])) > 10
    # Out of the journal (it is the record of what the store holds), into the file.
    assert len(journal.read().entries) == 1
    build(store, data, OLD_BASE)
    assert len(list(journal.path.glob("rejected-*.trig"))) == 1


def test_a_write_torn_by_a_crash_is_ignored_and_the_journal_goes_on(
    tmp_path: Path, fixture_store: Path
) -> None:
    store, data = fixture_copy(tmp_path, fixture_store)
    site = open_app(store, OLD_BASE, query_workers=0)
    journal = Journal(tmp_path / "store.journal")
    try:
        post(site, ACTOR.text("valid", "J7"), ACTOR.graph)
        whole = journal.file.read_bytes()
        # kill -9 in the middle of the next append: half a line, no newline.
        with journal.file.open("ab") as out:
            out.write(whole[: len(whole) // 2])
        read = journal.read()
        assert len(read.entries) == 1
        assert read.torn_tail
        post(site, ACTOR.text("valid", "J8"), ACTOR.graph)  # appends after the cut
    finally:
        site.stop()
    read = journal.read()
    assert len(read.entries) == 2
    assert not read.torn_tail
    # A line that is whole but altered fails its checksum: at the end, ignored too.
    with journal.file.open("ab") as out:
        out.write(journal.file.read_bytes().splitlines()[0].replace(b"J7", b"J9") + b"\n")
    result = build(store, data, NEW_BASE)
    assert "2 committed" in result.output
    assert "cut short by a crash" in result.output
    assert holds(store, NEW_BASE, "id/LavrovJ8", "graph/reference")
    assert not holds(store, NEW_BASE, "id/LavrovJ9", "graph/reference")


def test_no_replay_drops_the_writes_and_says_so(tmp_path: Path, fixture_store: Path) -> None:
    store, data = fixture_copy(tmp_path, fixture_store)
    site = open_app(store, OLD_BASE, query_workers=0)
    try:
        post(site, ACTOR.text("valid", "J10"), ACTOR.graph)
    finally:
        site.stop()
    result = build(store, data, OLD_BASE, "--no-replay")
    assert "replayed" not in result.output
    assert not holds(store, OLD_BASE, "id/LavrovJ10", "graph/reference")
    help_text = " ".join(parley("build", "--help").output.split())
    assert "--no-replay" in help_text
    assert "DROPS every write" in help_text
    # The journal is kept: a later build without the flag brings the write back.
    build(store, data, OLD_BASE)
    assert holds(store, OLD_BASE, "id/LavrovJ10", "graph/reference")


def test_the_journal_is_where_the_settings_say_and_never_in_the_store(tmp_path: Path) -> None:
    assert journal_dir(Settings(store_path=tmp_path / "s")) == (tmp_path / "s.journal").resolve()
    assert journal_dir(Settings(store_path=tmp_path / "s", journal=tmp_path / "j")) == (
        tmp_path / "j"
    )
    assert journal_dir(Settings()) is None  # an in-memory store (tests)
    assert journal_dir(Settings(store_url="http://127.0.0.1:1/sparql")) is None


def _kill_tree(pid: int) -> None:
    """SIGKILL a server and its workers, as a crash or `kill -9` of the group would."""
    workers = [
        int(child)
        for task in Path(f"/proc/{pid}/task").iterdir()
        for child in (task / "children").read_text().split()
    ]
    for victim in [pid, *workers]:
        with contextlib.suppress(ProcessLookupError):
            os.kill(victim, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while any(Path(f"/proc/{w}").exists() for w in workers) and time.monotonic() < deadline:
        time.sleep(0.05)


@pytest.mark.server
def test_a_write_acknowledged_by_a_killed_server_is_in_the_next_build(tmp_path: Path) -> None:
    """`make run`, a write, kill -9, then `make run PORT=<another>`: the write is there."""
    store, data = tmp_path / "store", fixture_data(tmp_path)
    first, second = free_port(), free_port()
    build(store, data, base_for(first))
    server = start_server(store, port=first, log_dir=tmp_path)
    try:
        with server.client() as http:
            response = http.post(
                "/data",
                params={"graph": ACTOR.graph},
                content=ACTOR.text("valid", "K1"),
                headers={"Content-Type": "text/turtle", **server.auth()},
            )
        assert response.status_code == 201, response.text
    finally:
        _kill_tree(server.process.pid)
        server.process.wait(timeout=10)
    result = build(store, data, base_for(second))
    assert "1 committed" in result.output
    assert holds(store, base_for(second), "id/LavrovK1", "graph/reference")


def test_a_build_refuses_a_store_a_server_holds(tmp_path: Path, fixture_store: Path) -> None:
    store, data = fixture_copy(tmp_path, fixture_store)
    site = open_app(store, OLD_BASE, query_workers=0)
    try:
        result = parley("build", "--store", str(store), "--data-dir", str(data))
    finally:
        site.stop()
    assert result.exit_code == 2
    assert "in use by a running `parley serve`" in result.output


@pytest.mark.server
def test_a_remote_store_keeps_its_writes_with_a_named_journal(tmp_path: Path) -> None:
    """The journal is the writing Parley's: named with --journal, replayed by
    `parley build --store-url --journal` (without one, the build says what it replaced)."""
    oxigraph = start_oxigraph(tmp_path / "remote", port=free_port(), log_dir=tmp_path)
    journal = tmp_path / "journal"
    remote = ("--store-url", oxigraph.sparql_url, "--data-dir", str(FIXTURE_DATA))
    try:
        first = parley("build", *remote, "--base-iri", OLD_BASE, "--journal", str(journal))
        assert first.exit_code == 0, first.output
        settings = Settings(
            store_url=oxigraph.sparql_url,
            base_iri=OLD_BASE,
            write_token="test-token",
            journal=journal,
            query_workers=0,
        )
        site = AppSite(create_app(settings), OLD_BASE, "test-token")
        try:
            post(site, ACTOR.text("valid", "R1"), ACTOR.graph)
        finally:
            site.stop()
        again = parley("build", *remote, "--base-iri", NEW_BASE, "--journal", str(journal))
        assert again.exit_code == 0, again.output
        assert "1 committed" in again.output
        store = RemoteStore.connect(Settings(store_url=oxigraph.sparql_url), Vocab(NEW_BASE))
        try:
            lavrov = NamedNode(NEW_BASE + "id/LavrovR1")
            assert next(iter(store.quads(lavrov, None, None, None)), None) is not None
        finally:
            store.close()
        unjournalled = parley("build", *remote, "--base-iri", NEW_BASE)
        assert "No journal replayed" in unjournalled.output
    finally:
        oxigraph.stop()
