"""What `bench.sparql` measures and prints: latencies per server and query, the
servers' start and memory, and the ratios between servers."""

from __future__ import annotations

import contextlib
import statistics
import subprocess
from dataclasses import dataclass
from pathlib import Path


@dataclass
class Served:
    """A server the bench started: its process, and when it was ready."""

    process: subprocess.Popen[bytes]
    #: Seconds from its start until it answered, until it said its queries were ready
    #: (Parley's query engine), and until it was ready (Parley: its search index built too).
    up_s: float
    queries_s: float
    ready_s: float
    pss_rest: int = 0
    pss_run: int = 0


def percentile(values: list[float], q: int) -> float:
    return (
        statistics.quantiles(values, n=100, method="inclusive")[q - 1]
        if len(values) > 1
        else values[0]
    )


@dataclass
class Measured:
    qps: float
    p50_ms: float
    p99_ms: float
    latencies: list[float]


def summary(latencies: list[float], seconds: float) -> Measured:
    return Measured(
        len(latencies) / seconds,
        percentile(latencies, 50) * 1000,
        percentile(latencies, 99) * 1000,
        latencies,
    )


def pss(pid: int) -> int:
    """Bytes of proportional set size of ``pid`` and every process under it."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                parents[int(entry.name)] = int(
                    (entry / "stat").read_text().rsplit(")", 1)[1].split()[1]
                )
    tree, pending = [pid], [pid]
    while pending:
        parent = pending.pop()
        children = [child for child, its in parents.items() if its == parent]
        tree += children
        pending += children
    total = 0
    for member in tree:
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{member}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1]) * 1024
    return total


def loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def mix_totals(results: dict[str, dict[str, Measured]], seconds: float) -> dict[str, Measured]:
    """Each server's requests per second and p99 over the whole mix."""
    totals = {}
    for server, measured in results.items():
        latencies = [x for m in measured.values() for x in m.latencies]
        totals[server] = summary(latencies, seconds)
    return totals


def report(
    size: int, clients: int, results: dict[str, dict[str, Measured]], seconds: float
) -> None:
    print(f"size={size} clients={clients} seconds_per_server={seconds:g}")
    print(f"{'query':<22} {'server':<18} {'qps':>9} {'p50 ms':>9} {'p99 ms':>9}")
    for name in next(iter(results.values())):
        for server in results:
            m = results[server][name]
            print(f"{name:<22} {server:<18} {m.qps:>9.1f} {m.p50_ms:>9.2f} {m.p99_ms:>9.2f}")
    for server, m in mix_totals(results, seconds).items():
        print(f"{'all':<22} {server:<18} {m.qps:>9.1f} {'':>9} {m.p99_ms:>9.2f}")


def report_servers(served: dict[str, Served]) -> None:
    mib = 1 << 20
    print(
        f"{'server':<18} {'up s':>7} {'queries s':>10} {'ready s':>8} {'PSS rest MiB':>13} "
        f"{'PSS run MiB':>12}"
    )
    for name, s in served.items():
        print(
            f"{name:<18} {s.up_s:>7.2f} {s.queries_s:>10.2f} {s.ready_s:>8.2f} "
            f"{s.pss_rest / mib:>13.0f} {s.pss_run / mib:>12.0f}"
        )


def report_ratios(results: dict[str, dict[str, Measured]], seconds: float) -> None:
    """Each Parley server's ratios: against `oxigraph serve` in memory (like for like with
    the copy), then on disk (the decision's line)."""
    totals = mix_totals(results, seconds)
    for server in (s for s in totals if s.startswith("parley") or s == "virtuoso"):
        parley = totals[server]
        against_all = [("oxigraph-mem", "oxigraph in memory"), ("oxigraph", "oxigraph on disk")]
        if server.startswith("parley-on-"):  # Parley on a remote store, against that store
            store = server.removeprefix("parley-on-")
            against_all = [(store, f"{store} directly")]
        for against, label in against_all:
            if against in totals:
                ratio_qps = parley.qps / totals[against].qps
                ratio_p99 = parley.p99_ms / totals[against].p99_ms
                print(
                    f"{server} against {label}: ratio_qps={ratio_qps:.2f} ratio_p99={ratio_p99:.2f}"
                )
