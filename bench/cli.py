"""CPU time of whole ``relex`` commands, start-up included, against Python alone and torch's import.

    python -m bench.cli                # 7 runs of each command
    python -m bench.cli --runs 15 --json

A VGG16-shaped run of two classes is generated into a fresh store (as in ``bench.queries``);
then each command runs in a child process and the CPU seconds it used (user + system, of the
child) are taken, median over the runs. Peers measured in the same run: ``python -c pass``
(the interpreter's own start) and ``python -c "import torch"`` (what a command that imported torch
would pay before doing anything), so the ratios say how close a query is to bare Python and how far
from a torch import, whatever the machine's speed.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from relex.queries.embedded import EmbeddedStore  # noqa: E402
from tests.queries.graphs import VGG16_LAYERS, layered_graph  # noqa: E402

RUN, DATASET = "nette", "imagenette"


def build(path: Path) -> None:
    """One generated VGG16-shaped run of two classes, top-8 edges."""
    with EmbeddedStore(path) as store:
        store.create_schema()
        layered_graph(
            VGG16_LAYERS, classes=2, top_k=8, seed=0, run=RUN, model="vgg16", dataset=DATASET
        ).write(store)


def commands(store: Path) -> dict[str, list[str]]:
    """The measured command lines, peers first."""
    relex = [sys.executable, "-m", "relex"]
    where = ["--store", str(store)]
    return {
        "python -c pass": [sys.executable, "-c", "pass"],
        "python -c 'import torch'": [sys.executable, "-c", "import torch"],
        "relex --help": [*relex, "--help"],
        "relex query top-neurons": [
            *relex, "query", "top-neurons", "--run", RUN, "--class", f"{DATASET}/0", *where
        ],
        "relex query critical-paths": [
            *relex, "query", "critical-paths", "--run", RUN, "--class", f"{DATASET}/1", *where
        ],
        "relex cypher": [*relex, "cypher", "MATCH (c:Class) RETURN count(c) AS n", *where],
    }  # fmt: skip


def cpu_seconds(command: list[str]) -> float:
    """User + system CPU seconds of one run of ``command`` (which must succeed)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, check=False)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed: {done.stderr[-500:]}")
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="Runs of each command.")
    parser.add_argument("--json", action="store_true", help="Print {command: median s}.")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="relex-bench-cli-") as folder:
        store = Path(folder) / "graph.kuzu"
        build(store)
        medians = {
            name: statistics.median(cpu_seconds(command) for _ in range(args.runs))
            for name, command in commands(store).items()
        }
    if args.json:
        print(json.dumps(medians))
        return
    bare, torch = medians["python -c pass"], medians["python -c 'import torch'"]
    print(f"CPU seconds, median of {args.runs} runs; load average {os.getloadavg()[0]:.1f}")
    for name, seconds in medians.items():
        print(f"{name:30} {seconds:6.2f} s  {seconds / bare:5.1f}x bare python  "
              f"{seconds / torch:5.2f}x import torch")  # fmt: skip


if __name__ == "__main__":
    main()
