"""``parley ingest`` of a 500-claim spreadsheet: the issue asks for under a minute.

Writes a synthetic source (one sentence per claim, each quoted once) and its CSV (quote,
claimant, modality, type, stances, about: names resolved as a person writes them), then
times ``parley ingest`` on a copy of a store built from ``data/`` (``--store``, built by
``parley build`` if missing). Prints ``ingest_500_s=N``.

    python -m bench.ingest                    # var/bench/ingest-store, built once
    python -m bench.ingest --rows 500 --store /tmp/store --base-iri http://127.0.0.1:8000/
"""

from __future__ import annotations

import argparse
import csv
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

from service.settings import PROJECT_ROOT

BIN = Path(sys.executable).parent
WORK = PROJECT_ROOT / "var" / "bench"
BASE = "http://bench.parley.test/"
CLAIMANTS = ("Putin", "Volodymyr Zelensky", "Trump", "Russia", "Ukraine", "EU")
MODALITIES = ("asserted", "predicted", "conditional", "demanded", "speculated")
TYPES = ("factual", "evaluative", "interpretive", "normative", "causal")
ABOUT = ("Ukraine", "Russia", "Crimea", "PeaceTalks2025", "Donbas")


def sheet(rows: int, folder: Path) -> tuple[Path, Path, Path]:
    """The source text, its fields and a CSV of ``rows`` claims quoting it."""
    sentences = [
        f"Statement {n} says that round {n} of the talks moved on item {n * 7 % 101}."
        for n in range(rows)
    ]
    text = folder / "source.txt"
    text.write_text(" ".join(sentences) + "\n", encoding="utf-8")
    meta = folder / "source.json"
    fields = {"title": f"Bench source {time.time_ns()}", "kind": "newspaper", "language": "en"}
    meta.write_text(json.dumps(fields), encoding="utf-8")
    claims = folder / "claims.csv"
    with claims.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["quote", "claimant", "modality", "type", "stances", "about"])
        for n, sentence in enumerate(sentences):
            about = ABOUT[n % len(ABOUT)]
            stance = f"{about}:neutral" if about in ("Ukraine", "Russia") else ""
            writer.writerow(
                [
                    sentence.split(" says that ", 1)[1],
                    CLAIMANTS[n % len(CLAIMANTS)],
                    MODALITIES[n % len(MODALITIES)],
                    TYPES[n % len(TYPES)],
                    stance,
                    about,
                ]
            )
    return text, meta, claims


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=500)
    parser.add_argument("--store", type=Path, default=WORK / "ingest-store")
    parser.add_argument("--base-iri", default=BASE)
    args = parser.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    if not args.store.exists():
        subprocess.run(
            [str(BIN / "parley"), "build", "--store", str(args.store), "--base-iri", args.base_iri],
            check=True,
            stdout=subprocess.DEVNULL,
        )
    copy = WORK / "ingest-work"
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(args.store, copy)
    folder = WORK / "ingest-files"
    folder.mkdir(exist_ok=True)
    text, meta, claims = sheet(args.rows, folder)
    command = [str(BIN / "parley"), "ingest", str(text), "--meta", str(meta)]
    command += ["--claims", str(claims), "--store", str(copy), "--base-iri", args.base_iri]
    command += ["--journal", str(WORK / "ingest-work.journal")]
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    print(done.stdout.strip().splitlines()[-1] if done.stdout.strip() else done.stderr[-2000:])
    shutil.rmtree(copy, ignore_errors=True)
    shutil.rmtree(WORK / "ingest-work.journal", ignore_errors=True)
    shutil.rmtree(folder, ignore_errors=True)
    print(f"ingest_{args.rows}_s={elapsed:.1f} exit={done.returncode}")


if __name__ == "__main__":
    main()
