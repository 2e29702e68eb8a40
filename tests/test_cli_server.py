"""The command line next to a running server: the kept write token, the commands that
talk to the server holding the store, a second server refused in one line, and
``parley validate`` with no store or with ``--store-url``."""

from __future__ import annotations

import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from service.cli import main
from service.settings import PROJECT_ROOT
from tests.support import (
    PARLEY,
    ServerProcess,
    copy_store,
    create_empty_store,
    free_port,
    start_server,
)

#: The environment of a server that keeps its token in the file (no PARLEY_WRITE_TOKEN).
NO_TOKEN = {"PARLEY_WRITE_TOKEN": ""}


def _run(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(main, list(args), env=env)


#: The seed claim's quote, and a misquote of it (the gate checks quotes against the source).
QUOTE, MISQUOTE = "Will it be Moscow this time", "Will it be Paris this time"


def _claim(change: tuple[str, str] = ("", "")) -> str:
    """A copy of the seed article's first claim under a new IRI, with one ``change`` (old
    text, new text): valid in the context of data/ (its claimant, actors, event and source
    are there), not in the file alone."""
    text = (PROJECT_ROOT / "data" / "claims" / "article" / "claims.ttl").read_text()
    blocks = text.split("\n\n")
    prefixes = [b for b in blocks if b.lstrip().startswith("@prefix")]
    own = [b for b in blocks if b.strip().startswith(("claim:headline", "<id/claim/headline#"))]
    assert len(own) > 3, "the seed data changed: pick another claim"
    copy = "\n\n".join(prefixes + own)
    copy = copy.replace("claim:headline", "claim:clicopy").replace(
        "<id/claim/headline#", "<id/claim/clicopy#"
    )
    assert change[0] in copy
    return copy.replace('"C01"', '"C901"').replace(*change)


@pytest.fixture
def claim_files(tmp_path: Path) -> tuple[Path, Path]:
    good, bad = tmp_path / "claim.ttl", tmp_path / "bad.ttl"
    good.write_text(_claim())
    bad.write_text(_claim((QUOTE, MISQUOTE)))
    return good, bad


# -- validate without a store: the model files are the context, and it says so ---------------


def test_validate_without_a_store_checks_in_the_context_of_data(
    claim_files: tuple[Path, Path], base_iri: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The newcomer review: a valid claim gave "Conforms: no (5 results)" out of context."""
    monkeypatch.chdir(claim_files[0].parent)  # no var/store here
    good, bad = claim_files
    ok = _run("validate", str(good), "--base-iri", base_iri)
    assert (ok.exit_code, ok.stdout.strip()) == (0, "Conforms: yes"), ok.output
    assert "no store given" in ok.stderr
    assert "--store" in ok.stderr
    refused = _run("validate", str(bad), "--base-iri", base_iri)
    assert refused.exit_code == 1, refused.output
    assert "Conforms: no (1 result(s))" in refused.stdout
    assert "is not the text of its source" in refused.stdout
    # What data/ holds is context: a claimant that is no agent there is reported.
    good.write_text(_claim(("parley:claimant id:author", "parley:claimant id:NoSuchAgent")))
    unknown = _run("validate", str(good), "--base-iri", base_iri)
    assert unknown.exit_code == 1, unknown.output
    assert "NoSuchAgent" in unknown.stdout


# -- the token file, without a server ---------------------------------------------------------


def test_parley_token_keeps_one_token_beside_the_store(tmp_path: Path) -> None:
    store = tmp_path / "var" / "store"
    first = _run("token", "--store", str(store))
    assert first.exit_code == 0, first.output
    token = first.stdout.strip()
    assert len(token) >= 32
    kept = tmp_path / "var" / "store.token"
    assert kept.read_text().strip() == token
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    assert _run("token", "--store", str(store)).stdout.strip() == token
    explicit = _run("token", "--store", str(store), env={"PARLEY_WRITE_TOKEN": "from-env"})
    assert explicit.stdout.strip() == "from-env"
    other = tmp_path / "elsewhere.token"
    chosen = _run("token", "--store", str(store), "--write-token-file", str(other))
    assert chosen.stdout.strip() == other.read_text().strip() != token


def test_in_the_clone_var_store_is_the_default_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The README's commands need no --store where `make run` keeps its store."""
    monkeypatch.chdir(tmp_path)
    nowhere = _run("token")
    assert nowhere.exit_code == 2
    assert "no store given" in nowhere.stderr
    (tmp_path / "var" / "store").mkdir(parents=True)
    printed = _run("token")
    assert printed.exit_code == 0, printed.output
    assert (tmp_path / "var" / "store.token").read_text().strip() == printed.stdout.strip()


def test_an_empty_token_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "store.token").write_text("\n")
    result = _run("token", "--store", str(tmp_path / "store"))
    assert result.exit_code == 2
    assert "is empty" in result.stderr


# -- a running server --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def served(
    tmp_path_factory: pytest.TempPathFactory, built_store: Path, base_iri: str
) -> Iterator[ServerProcess]:
    """A real `parley serve` on a copy of the model, keeping its token in the file."""
    root = tmp_path_factory.mktemp("cli-server")
    store = copy_store(built_store, root / "store", base_iri)
    server = start_server(store, port=free_port(), log_dir=root, env=NO_TOKEN, base_iri=base_iri)
    server.token = (root / "store.token").read_text().strip()
    yield server
    server.stop()


def _store_of(server: ServerProcess) -> Path:
    return server.log_path.parent / "store"


@pytest.mark.server
def test_the_server_keeps_its_token_in_a_file_only_its_owner_reads(
    served: ServerProcess,
) -> None:
    kept = _store_of(served).parent / "store.token"
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    assert served.token not in served.log()
    assert str(kept.resolve()) in served.log()
    printed = _run("token", "--store", str(_store_of(served)))
    assert printed.stdout.strip() == served.token
    body, graph = b"<http://ex/a> <http://ex/b> 1 .", {"graph": "http://example.org/cli-token"}
    turtle = {"Content-Type": "text/turtle"}
    with served.client() as client:
        refused = client.put("/store", params=graph, content=body, headers=turtle)
        assert refused.status_code == 401
        headers = {**turtle, **served.auth()}
        accepted = client.put("/store", params=graph, content=body, headers=headers)
        assert accepted.status_code in (201, 204), accepted.text


@pytest.mark.server
def test_query_and_stats_ask_the_server_that_holds_the_store(served: ServerProcess) -> None:
    store = str(_store_of(served))
    claims = "SELECT (COUNT(*) AS ?n) WHERE { ?c a parley:Claim }"
    with served.client() as client:
        answer = client.get("/sparql", params={"query": claims}, headers={"Accept": "text/csv"})
    expected = answer.text.splitlines()[1].strip()
    assert int(expected) >= 79
    # No --base-iri: the server file says the store's, not the default 127.0.0.1:8000.
    counted = _run("query", claims, "--store", store)
    assert counted.exit_code == 0, counted.output
    assert counted.stdout.splitlines()[2].strip() == expected
    long_graph = "http://example.org/a-graph-whose-name-is-longer-than-the-stats-column"
    with served.client() as client:
        written = client.put(
            "/store",
            params={"graph": long_graph},
            content=b"<http://ex/a> <http://ex/b> 1 .",
            headers={"Content-Type": "text/turtle", **served.auth()},
        )
        assert written.status_code in (201, 204), written.text
    stats = _run("stats", "--store", store)
    assert stats.exit_code == 0, stats.output
    assert "graph:claims/article" in stats.stdout
    assert long_graph in stats.stdout
    rows = [line for line in stats.stdout.splitlines() if line.startswith("  ")]
    assert len({len(line) for line in rows}) == 1, "the counts are not in one column"


@pytest.mark.server
def test_validate_and_load_go_through_the_running_server(
    served: ServerProcess, claim_files: tuple[Path, Path]
) -> None:
    good, bad = claim_files
    store = str(_store_of(served))
    ok = _run("validate", str(good), "--store", store)
    assert (ok.exit_code, ok.stdout.strip()) == (0, "Conforms: yes"), ok.output
    refused = _run("validate", str(bad), "--store", store)
    assert refused.exit_code == 1
    assert "is not the text of its source" in refused.stdout
    not_written = _run("load", str(bad), "--graph", "graph/claims/article", "--store", store)
    assert not_written.exit_code == 1
    assert "is not the text of its source" in not_written.stderr
    written = _run("load", str(good), "--graph", "graph/claims/article", "--store", store)
    assert written.exit_code == 0, written.output
    assert '"committed": true' in written.stdout
    with served.client() as client:
        found = client.get(
            "/sparql",
            params={"query": "ASK { <id/claim/clicopy> a parley:Claim }"},
            headers={"Accept": "application/sparql-results+json"},
        )
    assert found.json()["boolean"] is True


@pytest.mark.server
def test_load_through_the_server_needs_the_token(
    served: ServerProcess, claim_files: tuple[Path, Path], tmp_path: Path
) -> None:
    wrong = tmp_path / "wrong.token"
    wrong.write_text("not-the-token")
    wrong.chmod(0o600)
    args = ["load", str(claim_files[0]), "--graph", "graph/claims/article", "--dry-run"]
    result = _run(*args, "--store", str(_store_of(served)), "--write-token-file", str(wrong))
    assert result.exit_code == 2
    assert "token" in result.stderr.lower()


@pytest.mark.server
def test_validate_honours_store_url(
    served: ServerProcess, claim_files: tuple[Path, Path], base_iri: str
) -> None:
    good, bad = claim_files
    where = ["--store-url", served.url + "sparql", "--base-iri", base_iri]
    ok = _run("validate", str(good), *where)
    assert (ok.exit_code, ok.stdout.strip()) == (0, "Conforms: yes"), ok.output
    assert "no store given" not in ok.stderr
    refused = _run("validate", str(bad), *where)
    assert refused.exit_code == 1
    assert "is not the text of its source" in refused.stdout


@pytest.mark.server
def test_a_second_server_on_the_store_says_so_in_one_line(
    served: ServerProcess, base_iri: str
) -> None:
    args = [PARLEY, "serve", "--store", str(_store_of(served)), "--port", str(free_port())]
    second = subprocess.run(
        [*args, "--base-iri", base_iri], capture_output=True, text=True, timeout=120, check=False
    )
    assert second.returncode == 2
    lines = [line for line in second.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, second.stderr
    assert f"already served by `parley serve` at {served.url}" in lines[0]
    assert "LOCK" not in second.stderr


@pytest.mark.server
def test_the_token_survives_a_restart_and_the_environment_wins(
    tmp_path: Path, base_iri: str
) -> None:
    store = create_empty_store(tmp_path / "store", base_iri)
    port = free_port()
    first = start_server(store, port=port, log_dir=tmp_path, env=NO_TOKEN, base_iri=base_iri)
    server_file = tmp_path / "store.server.json"
    assert f'"url": "{first.url}"' in server_file.read_text()
    first.stop()
    assert "made and kept" in first.log()
    assert not server_file.exists()
    kept = (tmp_path / "store.token").read_text()
    second = start_server(store, port=port, log_dir=tmp_path, env=NO_TOKEN, base_iri=base_iri)
    second.stop()
    assert "made and kept" not in second.log()  # the same port: the log was started anew
    assert "Write token: kept in" in second.log()
    assert (tmp_path / "store.token").read_text() == kept
    env = {"PARLEY_WRITE_TOKEN": "explicit"}
    third = start_server(store, port=port, log_dir=tmp_path, env=env, base_iri=base_iri)
    try:
        graph = {"graph": "http://example.org/env-wins"}
        body = b"<http://ex/a> <http://ex/b> 1 ."
        with third.client() as client:
            for token, status in ((kept.strip(), 401), ("explicit", 201)):
                answer = client.put(
                    "/store",
                    params=graph,
                    content=body,
                    headers={"Content-Type": "text/turtle", "Authorization": f"Bearer {token}"},
                )
                assert answer.status_code == status, answer.text
    finally:
        third.stop()
    assert (tmp_path / "store.token").read_text() == kept


def _requirement_closure(names: list[str]) -> set[str]:
    """The distributions ``names`` need when installed without extras, transitively."""
    from importlib import metadata

    from packaging.requirements import Requirement

    seen: set[str] = set()
    pending = [Requirement(n) for n in names]
    while pending:
        requirement = pending.pop()
        key = requirement.name.lower().replace("_", "-")
        if key in seen:
            continue
        if requirement.marker is not None and not requirement.marker.evaluate({"extra": ""}):
            continue
        seen.add(key)
        pending.extend(Requirement(r) for r in metadata.requires(requirement.name) or [])
    return seen


def test_every_runtime_import_is_a_runtime_dependency() -> None:
    """`pip install .` without the dev extra runs every command (httpx, the remote store's
    and the running-server client's, was a dev dependency only)."""
    import ast
    import sys
    import tomllib
    from importlib import metadata

    project = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["project"]
    installed = _requirement_closure(project["dependencies"])
    providers = metadata.packages_distributions()
    imported: set[str] = set()
    for module in (PROJECT_ROOT / "service").rglob("*.py"):
        for node in ast.walk(ast.parse(module.read_text())):
            if isinstance(node, ast.Import):
                imported.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                imported.add(node.module.split(".")[0])
    third_party = imported - set(sys.stdlib_module_names) - {"service"}
    assert "httpx" in third_party
    missing = {
        name
        for name in third_party
        if not {d.lower().replace("_", "-") for d in providers.get(name, [name])} & installed
    }
    assert not missing, f"imported by service/ but not a [project] dependency: {missing}"
