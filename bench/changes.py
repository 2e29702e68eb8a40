"""The feed of changes: how long an accepted write takes to reach a live subscriber.

A real ``parley serve`` on a copy of a ``bench.write`` store (``--size`` synthetic
triples); a client follows ``GET /changes`` as Server-Sent Events (httpx, reconnecting
with ``Last-Event-ID`` when a stream ends) while another makes ``--writes`` writes with
``POST /data``, one after the other. For each write: the time from its 201 to its event,
as the subscriber's clock sees both (negative: the event came before the 201, as the
writer's listener wakes the streams before the answer is sent).

Two set-ups, a row each:

- ``listener``: the stream and the writes on one server; the write gate's listener wakes
  the stream.
- ``replica``: two servers on one ``oxigraph serve`` store (``--store-url``); the stream
  on one, the writes on the other, whose writes no listener here hears: they arrive by
  the stream's poll of the store (every half second).

Prints a table and as its last line ``p99_ms=N replica_p99_ms=M``. Target: every write
within a second (p99 under 1000 ms in both).

    python -m bench.changes
    python -m bench.changes --size 100000 --writes 200
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import threading
import time
from dataclasses import dataclass

import httpx

from bench.write import BASE, STORES, TOKEN, Server, build, oxigraph, parley, percentile

AUTH = {"Authorization": f"Bearer {TOKEN}"}
#: Seconds the subscriber may take to hear of the last write before the run fails.
PATIENCE_S = 30.0


@dataclass
class Row:
    setup: str
    writes: int
    p50: float
    p99: float
    worst: float


class Subscriber:
    """Follows ``/changes`` on ``url`` in a thread; when each entry's event arrived."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.arrived: dict[str, float] = {}
        self.ready = threading.Event()
        self._changed = threading.Condition()
        threading.Thread(target=self._follow, daemon=True).start()

    def _follow(self) -> None:
        try:
            self._read()
        except httpx.HTTPError:
            return  # the server stopped at the end of the run

    def _read(self) -> None:
        last: str | None = None
        timeout = httpx.Timeout(10, read=120)
        with httpx.Client(timeout=timeout) as client:
            while True:  # a stream ends after a minute: reconnect after the last event
                headers = {"Accept": "text/event-stream"}
                if last is not None:
                    headers["Last-Event-ID"] = last
                with client.stream("GET", self.url + "changes", headers=headers) as response:
                    response.raise_for_status()
                    for line in response.iter_lines():
                        self.ready.set()
                        if line.startswith("id: "):
                            last = line[4:]
                            with self._changed:
                                self.arrived[last] = time.perf_counter()
                                self._changed.notify_all()

    def wait_for(self, records: list[str]) -> None:
        with self._changed:
            if not self._changed.wait_for(
                lambda: all(r in self.arrived for r in records), PATIENCE_S
            ):
                missing = [r for r in records if r not in self.arrived]
                raise RuntimeError(f"{len(missing)} writes never reached the subscriber")


def measure(setup: str, stream_at: Server, write_at: Server, writes: int) -> Row:
    subscriber = Subscriber(stream_at.url)
    if not subscriber.ready.wait(30):
        raise RuntimeError("the stream did not open")
    answered: dict[str, float] = {}
    with httpx.Client(base_url=write_at.url, timeout=60) as client:
        for n in range(writes):
            response = client.post(
                "data",
                params={"graph": BASE + "graph/editorial"},
                content=(
                    f"<{BASE}id/bench-change-{n}> "
                    f'<http://www.w3.org/2000/01/rdf-schema#comment> "{setup} {n}" .'
                ).encode(),
                headers={"Content-Type": "text/turtle", **AUTH},
            )
            now = time.perf_counter()
            if response.status_code != 201:
                raise RuntimeError(f"write refused: {response.text[:2000]}")
            answered[str(response.json()["record"])] = now
    subscriber.wait_for(list(answered))
    delays = [(subscriber.arrived[r] - t) * 1000 for r, t in answered.items()]
    return Row(setup, writes, statistics.median(delays), percentile(delays, 0.99), max(delays))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", type=int, default=10_000)
    parser.add_argument("--writes", type=int, default=100)
    args = parser.parse_args()
    STORES.mkdir(parents=True, exist_ok=True)
    store = build(args.size)
    work = STORES / "work-changes"
    rows = []
    shutil.rmtree(work, ignore_errors=True)
    shutil.copytree(store, work)
    server = parley(work)
    try:
        rows.append(measure("listener", server, server, args.writes))
    finally:
        server.stop()
    shutil.rmtree(work, ignore_errors=True)
    shutil.copytree(store, work)
    shared = oxigraph(work)
    replicas: list[Server] = []
    try:
        replicas = [parley(shared.url + "sparql"), parley(shared.url + "sparql")]
        rows.append(measure("replica", replicas[0], replicas[1], args.writes))
    finally:
        for replica in replicas:
            replica.stop()
        shared.stop()
        shutil.rmtree(work, ignore_errors=True)
    for leftover in STORES.glob(f"{work.name}.*"):  # the servers' journal and exports
        shutil.rmtree(leftover, ignore_errors=True)
    print(" | ".join(["set-up", "writes", "p50 ms", "p99 ms", "worst ms"]))
    for r in rows:
        print(f"{r.setup} | {r.writes} | {r.p50:.1f} | {r.p99:.1f} | {r.worst:.1f}")
    by_setup = {r.setup: r for r in rows}
    print(f"p99_ms={by_setup['listener'].p99:.1f} replica_p99_ms={by_setup['replica'].p99:.1f}")


if __name__ == "__main__":
    main()
