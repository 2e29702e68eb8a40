"""Virtuoso, the second remote engine the tests run Parley on (Debian's
``virtuoso-opensource-7-bin``, which `make test` installs when it is missing).

Each Virtuoso runs from a scratch directory of its own: its own ``virtuoso.ini``, free
loopback ports for HTTP and SQL, its database files. A new database takes Virtuoso a few
seconds to create, and the update permission it needs (``GRANT SPARQL_UPDATE TO
"SPARQL"``) is cached by the server until it restarts, so one template database is made
per test process (created, granted, checkpointed, shut down) and each instance starts on
a copy of it: a second or so.

The anonymous ``/sparql`` endpoint takes updates here because the tests grant it; the
README says how to give Parley a user of its own on a Virtuoso that serves others.
"""

from __future__ import annotations

import atexit
import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from service.rdf import NQUADS, Vocab, serialize
from tests import clients
from tests.support import _may_start, free_port

#: Debian's binaries (``virtuoso-opensource-7-bin``).
VIRTUOSO = "virtuoso-t"
ISQL = "isql-vt"
#: The database administrator of a new Virtuoso database (scratch databases only).
DBA = ("dba", "dba")
#: Its page cache for the tests' small stores (8 KiB pages: about 160 MB).
BUFFERS = 20000
# ``ThreadsPerQuery = 1`` (below): with Virtuoso's default, a query past its time limit
# (``MaxQueryExecutionTime``) keeps its other threads working after the 500: the tests'
# cross product under a 3 s limit cost 10.3 s of CPU, 1.5 s of it after the answer,
# against 4.0 s, all within the limit, on one thread. On CI's two cores that CPU was the
# other tests', and "nothing runs after a time limit" could not be checked (README,
# "On a Virtuoso you already have").

_INI = """\
[Database]
DatabaseFile = {root}/virtuoso.db
ErrorLogFile = {root}/virtuoso.log
LockFile = {root}/virtuoso.lck
TransactionFile = {root}/virtuoso.trx
xa_persistent_file = {root}/virtuoso.pxa
ErrorLogLevel = 7
FileExtend = 200
MaxCheckpointRemap = 2000
Striping = 0
TempStorage = TempDatabase

[TempDatabase]
DatabaseFile = {root}/virtuoso-temp.db
TransactionFile = {root}/virtuoso-temp.trx
MaxCheckpointRemap = 2000
Striping = 0

[Parameters]
ServerPort = {sql_port}
LiteMode = 0
DisableUnixSocket = 1
DisableTcpSocket = 0
ServerThreads = 20
CheckpointInterval = 60
NumberOfBuffers = {buffers}
MaxDirtyBuffers = {dirty_buffers}
MaxStaticCursorRows = 5000
DirsAllowed = {root}
ThreadCleanupInterval = 0
ResourcesCleanupInterval = 0
ThreadsPerQuery = 1

[HTTPServer]
ServerPort = {http_port}
ServerRoot = {root}
MaxClientConnections = 20
ServerThreads = 20
EnabledDavVSP = 0
HTTPProxyEnabled = 0
KeepAliveTimeout = 10
MaxKeepAlives = 20

[SPARQL]
ResultSetMaxRows = {max_rows}
MaxQueryCostEstimationTime = 400
MaxQueryExecutionTime = {timeout_s}
DefaultQuery = ASK {{}}
"""


#: Virtuoso's ``MaxQueryExecutionTime`` (seconds) unless a test asks for another.
MAX_QUERY_S = 60


def installed() -> bool:
    return shutil.which(VIRTUOSO) is not None and shutil.which(ISQL) is not None


@dataclass
class VirtuosoProcess:
    """A running Virtuoso on the scratch directory ``root``."""

    root: Path
    http_port: int
    sql_port: int
    process: subprocess.Popen[bytes]
    log_path: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}/"

    @property
    def sparql_url(self) -> str:
        """Virtuoso's combined SPARQL query and update endpoint (``--store-url``)."""
        return self.url + "sparql"

    @property
    def gsp_url(self) -> str:
        """Virtuoso's Graph Store endpoint (``--store-gsp-url``; ``?graph-uri=`` only)."""
        return self.url + "sparql-graph-crud"

    def log(self) -> str:
        out = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        errors = self.root / "virtuoso.log"
        return out + (errors.read_text(errors="replace") if errors.exists() else "")

    def isql(self, sql: str, timeout_s: float = 120) -> str:
        """Run SQL as the database administrator; its output, or an error when it fails."""
        done = subprocess.run(
            [ISQL, str(self.sql_port), *DBA, f"exec={sql}"],
            capture_output=True,
            text=True,
            timeout=timeout_s,
            check=False,
        )
        if done.returncode != 0 or "*** Error" in done.stdout:
            raise RuntimeError(f"isql failed on {sql!r}:\n{done.stdout}{done.stderr}")
        return done.stdout

    def load_nquads(self, path: Path, default_graph: str = "urn:parley:unused") -> None:
        """Load an N-Quads file with Virtuoso's bulk loader (blank nodes and all); a line
        without a graph goes into ``default_graph``."""
        target = self.root / "load" / path.name
        target.parent.mkdir(exist_ok=True)
        try:  # the loader reads only the files of its folder; a link spares a copy of GBs
            os.link(path, target)
        except OSError:
            shutil.copyfile(path, target)
        self.isql(
            f"ld_dir('{target.parent}', '{target.name}', '{default_graph}'); "
            "rdf_loader_run(); checkpoint;",
            # About a minute a GB of N-Quads here; two minutes at the least.
            timeout_s=max(120.0, 180.0 * path.stat().st_size / 1e9),
        )
        state = self.isql(f"select ll_error from DB.DBA.load_list where ll_file = '{target}';")
        if "NULL" not in state:
            raise RuntimeError(f"Virtuoso could not load {path}:\n{state}")

    def dump(self) -> set[str]:
        """Every quad of the graphs not Virtuoso's own, as N-Quads lines, read from the
        store directly (Virtuoso's blank node ids are stable: two dumps of one store compare
        equal). Needs a ``max_rows`` above the store's size."""
        from service.rdf import BlankNode, Literal, NamedNode, Quad, parse_solutions
        from service.store._engines import VIRTUOSO as PROFILE
        from service.store._engines import XML as XML_RESULTS

        query = "SELECT ?s ?p ?o ?g WHERE { GRAPH ?g { ?s ?p ?o } }"
        response = clients.post(
            self.sparql_url,
            data={"query": query},
            headers={"Accept": XML_RESULTS},
            timeout=120,
        )
        assert response.status_code == 200, response.text
        assert "X-SPARQL-MaxRows" not in response.headers, "the dump reached max_rows"
        body = b"".join(PROFILE.rewritten([response.content]))
        lines: set[str] = set()
        for row in parse_solutions(body, XML_RESULTS)[1]:
            s, p, o, g = row["s"], row["p"], row["o"], row["g"]
            assert isinstance(s, (NamedNode, BlankNode))
            assert isinstance(p, NamedNode)
            assert isinstance(g, NamedNode)
            assert isinstance(o, (NamedNode, BlankNode, Literal))
            if not PROFILE.is_system_graph(g.value):
                lines.add(serialize([Quad(s, p, o, g)], NQUADS).decode().strip())
        return lines

    def stop(self) -> None:
        if self.process.poll() is None:
            try:
                self.isql("checkpoint; shutdown;")
            except (RuntimeError, subprocess.TimeoutExpired):
                self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)

    def kill(self) -> None:
        """SIGKILL: the store disappears at once, under whatever request it serves."""
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=10)

    def restart(self, wait_s: float = 60.0) -> None:
        """Start again on the same directory and ports (after ``stop``/``kill``): Virtuoso
        replays its transaction log."""
        self.stop()
        self.process = _spawn(self.root, self.log_path)
        _wait(self, wait_s)


def _write_ini(
    root: Path, http_port: int, sql_port: int, max_rows: int, timeout_s: int, buffers: int
) -> None:
    text = _INI.format(
        root=root,
        http_port=http_port,
        sql_port=sql_port,
        max_rows=max_rows,
        timeout_s=timeout_s,
        buffers=buffers,
        dirty_buffers=buffers * 3 // 4,  # Virtuoso's own ini keeps this ratio
    )
    (root / "virtuoso.ini").write_text(text)


#: Every Virtuoso this test process started: any still running when it exits is killed
#: (a test that fails half-way, or kills the `parley serve` that owned one, leaves it).
_STARTED: list[subprocess.Popen[bytes]] = []


def _kill_leftovers() -> None:
    for process in _STARTED:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)


atexit.register(_kill_leftovers)


def _spawn(root: Path, log_path: Path) -> subprocess.Popen[bytes]:
    _may_start("Virtuoso")
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            [VIRTUOSO, "+foreground", "+configfile", str(root / "virtuoso.ini")],
            cwd=root,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    _STARTED[:] = [p for p in _STARTED if p.poll() is None]
    _STARTED.append(process)
    return process


def _wait(server: VirtuosoProcess, wait_s: float) -> None:
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"Virtuoso exited with {server.process.returncode}:\n{server.log()}")
        try:
            response = clients.get(server.sparql_url, params={"query": "ASK {}"}, timeout=2)
            # The SQL port opens last ("Server online at ..."): isql is used right away.
            if response.status_code == 200 and "Server online at" in server.log():
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    server.kill()
    raise RuntimeError(f"Virtuoso did not answer within {wait_s} s:\n{server.log()}")


_TEMPLATE: list[Path] = []


def _template() -> Path:
    """The database every instance of this test process starts from: new, with the update
    permission granted and in effect (the server restarted once)."""
    if _TEMPLATE:
        return _TEMPLATE[0]
    if not installed():
        raise RuntimeError(
            "Virtuoso is missing (the Virtuoso backend's tests need it): run"
            " 'sudo apt-get install virtuoso-opensource-7-bin', or make test, which installs it"
        )
    root = Path(tempfile.mkdtemp(prefix="parley-virtuoso-template-"))
    atexit.register(shutil.rmtree, root, True)
    server = _start_on(root, max_rows=10000, timeout_s=MAX_QUERY_S)
    try:
        server.isql('GRANT SPARQL_UPDATE TO "SPARQL";')
    finally:
        server.stop()
    _TEMPLATE.append(root / "virtuoso.db")
    return _TEMPLATE[0]


def _start_on(
    root: Path, *, max_rows: int, timeout_s: int, buffers: int = BUFFERS
) -> VirtuosoProcess:
    root.mkdir(parents=True, exist_ok=True)
    http_port, sql_port = free_port(), free_port()
    _write_ini(root, http_port, sql_port, max_rows, timeout_s, buffers)
    log_path = root / "virtuoso.out"
    server = VirtuosoProcess(root, http_port, sql_port, _spawn(root, log_path), log_path)
    _wait(server, 60.0)
    return server


def start_virtuoso(
    root: Path,
    *,
    store: Path | None = None,
    base_iri: str | None = None,
    max_rows: int = 10000,
    timeout_s: int = MAX_QUERY_S,
    buffers: int = BUFFERS,
) -> VirtuosoProcess:
    """A Virtuoso on a new database in ``root``, holding the quads of the pyoxigraph
    store directory ``store`` when it exists (Parley's default graph moved to the named
    graph a remote store keeps it in, ``{base_iri}graph/default``). ``max_rows`` and
    ``timeout_s`` are its ``ResultSetMaxRows`` and ``MaxQueryExecutionTime``; ``buffers``
    its ``NumberOfBuffers`` (8 KiB pages of cache; Virtuoso's docs suggest about 85,000
    per GB of RAM given it)."""
    template = _template()
    root.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(template, root / "virtuoso.db")
    server = _start_on(root, max_rows=max_rows, timeout_s=timeout_s, buffers=buffers)
    if store is not None and store.exists():
        assert base_iri is not None, "a store's quads need its base IRI"
        dump = root / "store.nq"
        write_nquads(store, dump)
        # Where a remote Parley store keeps its default graph (``StoreGraphs.default``).
        server.load_nquads(dump, default_graph=Vocab(base_iri).graph("default").value)
    return server


def write_nquads(store: Path, target: Path) -> None:
    """Every quad of the pyoxigraph store directory ``store`` into the N-Quads file
    ``target``, written by Oxigraph as it reads (2M quads in seconds, where building the
    quads in Python took minutes and gigabytes): its default graph's triples as lines
    without a graph, which ``load_nquads`` puts where a remote Parley store keeps them."""
    import pyoxigraph

    opened = pyoxigraph.Store.read_only(str(store))
    try:
        opened.dump(str(target), pyoxigraph.RdfFormat.N_QUADS)
    finally:
        del opened
