"""Test helpers: real `parley` processes on free loopback ports, and model builds."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from service.oxigraph_store import OxigraphStore
from service.pipeline import build
from service.settings import PROJECT_ROOT, Settings
from service.vocab import Vocab

#: Where the W3C test suites live (a sibling of the checkout, as in CI).
CONFORMANCE_DIR = Path(
    os.environ.get("PARLEY_CONFORMANCE_DIR", PROJECT_ROOT.parent / "shared" / "conformance")
)
#: The source article as published, to compare the copy in data/ with.
SHARED_ARTICLE = PROJECT_ROOT.parent / "shared" / "source" / "article.txt"
#: Screenshots and other files tests leave for people to look at.
ARTIFACTS_DIR = PROJECT_ROOT / "test-artifacts"
PARLEY = str(Path(sys.executable).with_name("parley"))


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def base_for(port: int) -> str:
    return f"http://127.0.0.1:{port}/"


def build_store(path: Path, base_iri: str, **overrides: object) -> Settings:
    """Build the project's model into ``path`` for ``base_iri``."""
    settings = Settings(store_path=path, base_iri=base_iri).replace(**overrides)
    build(settings)
    return settings


def copy_store(source: Path, target: Path, base_iri: str) -> Path:
    """A consistent copy of a store (hard links; cheap)."""
    if target.exists():
        shutil.rmtree(target)
    store = OxigraphStore.open(source, Vocab(base_iri))
    store.backup(target)
    store.close()
    return target


@dataclass
class ServerProcess:
    """A running `parley serve`."""

    url: str
    port: int
    token: str
    process: subprocess.Popen[bytes]
    log_path: Path
    env: dict[str, str] = field(default_factory=dict)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def client(self, **kwargs: object) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=60, **kwargs)  # type: ignore[arg-type]

    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)


def start_server(
    store: Path,
    *,
    port: int,
    log_dir: Path,
    token: str = "test-token",
    extra_args: tuple[str, ...] = (),
    env: dict[str, str] | None = None,
    wait_s: float = 30.0,
) -> ServerProcess:
    """Start `parley serve` on ``store`` and wait until /health answers."""
    log_path = log_dir / f"server-{port}.log"
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("PARLEY_")}
    full_env.update({"PARLEY_WRITE_TOKEN": token, **(env or {})})
    args = [PARLEY, "serve", "--store", str(store), "--port", str(port)]
    args += ["--base-iri", base_for(port), *extra_args]
    with log_path.open("wb") as log:
        process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, env=full_env)
    server = ServerProcess(base_for(port), port, token, process, log_path, full_env)
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"parley serve exited with {process.returncode}:\n{server.log()}")
        try:
            if httpx.get(server.url + "health", timeout=1).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    server.stop()
    raise RuntimeError(f"parley serve did not answer within {wait_s} s:\n{server.log()}")
