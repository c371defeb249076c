"""Latency of the query catalogue on the embedded store, warm, against the issue's targets.

    python -m bench.queries                          # kuzu, 2 runs x 10 classes, 30 rounds
    python -m bench.queries --engine ladybug --rounds 50 --store /tmp/bench.kuzu

The graph is VGG16-shaped (13,419 neurons at VGG16's layer sizes) and generated, not computed:
running LRP over ten classes of ImageNet on two CPU cores would take hours and the queries only
see the stored numbers. Two runs over the same model (think Imagenette and Imagewoof), ten
classes each, every upper neuron keeping its top-8 incoming edges per class: 2 x 1,070,080
FLOW edges and 2 x 134,190 class RELEVANT edges. Shares are uniform in (0.01, 0.5).

Each round runs every query once, on a class that changes from round to round, after one
warm-up round; median and 95th percentile per query are printed with the target, as wall time
and as the CPU time of this process. On a machine that other jobs share (the load average is
printed), wall time includes waiting for a core; with ``--threads 1`` (the default) Kuzu runs
on one thread, so the CPU time is what the query costs on one idle core.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from relex.queries.analysis import (  # noqa: E402
    compare_classes,
    compare_datasets,
    critical_paths,
    neuron_detail,
    subgraph,
    top_neurons,
)
from relex.queries.embedded import EmbeddedStore  # noqa: E402
from relex.queries.engines import ENGINES  # noqa: E402
from tests.queries.graphs import VGG16_LAYERS, layered_graph  # noqa: E402

CLASSES = 10
TOP_K = 8
RUNS = (("nette", "imagenette"), ("woof", "imagewoof"))
TARGETS_MS = {
    "top_neurons": 50.0,
    "critical_paths": 200.0,
    "compare_classes": 300.0,
    "subgraph": 100.0,
}

Query = Callable[[EmbeddedStore, int], object]


def build(path: Path, engine: str) -> float:
    """Write both runs into a new store at ``path``; returns the seconds it took."""
    started = time.perf_counter()
    with EmbeddedStore(path, engine=engine) as store:
        store.create_schema()
        for seed, (run, dataset) in enumerate(RUNS):
            layered_graph(
                VGG16_LAYERS,
                classes=CLASSES,
                top_k=TOP_K,
                seed=seed,
                run=run,
                model="vgg16",
                dataset=dataset,
            ).write(store)
    return time.perf_counter() - started


def queries() -> dict[str, Query]:
    """The measured calls; ``c`` picks the class of the round."""
    run, other = RUNS[0][0], RUNS[1][0]

    def cls(dataset: str, c: int) -> str:
        return f"{dataset}/{c % CLASSES}"

    a, b = RUNS[0][1], RUNS[1][1]
    return {
        "top_neurons": lambda s, c: top_neurons(s, run=run, class_id=cls(a, c), k=10),
        "top_neurons (one layer)": lambda s, c: top_neurons(
            s, run=run, class_id=cls(a, c), layer="conv5_3", k=10
        ),
        "critical_paths": lambda s, c: critical_paths(s, run=run, class_id=cls(a, c), k=5),
        "compare_classes": lambda s, c: compare_classes(
            s, run_a=run, class_a=cls(a, c), run_b=other, class_b=cls(b, c), k=10
        ),
        "subgraph": lambda s, c: subgraph(s, run=run, class_id=cls(a, c), up=2, down=2),
        "subgraph (conv4_3 seed)": lambda s, c: subgraph(
            s, run=run, class_id=cls(a, c), seeds=[f"vgg16/conv4_3/{c}"], up=2, down=2
        ),
        "neuron_detail": lambda s, c: neuron_detail(s, run=run, neuron=f"vgg16/conv5_3/{c}"),
    }


Times = dict[str, dict[str, list[float]]]


def measure(path: Path, engine: str, rounds: int, threads: int) -> Times:
    """Wall and CPU milliseconds of each query in each round (round 0 is the warm-up)."""
    calls: dict[str, Callable[[EmbeddedStore, int], object]] = dict(queries())
    calls["compare_datasets (10 pairs)"] = lambda s, c: compare_datasets(
        s, run_a=RUNS[0][0], run_b=RUNS[1][0], k=10
    )
    times: Times = {"wall": {name: [] for name in calls}, "cpu": {name: [] for name in calls}}
    with EmbeddedStore(path, engine=engine, read_only=True, max_threads=threads) as store:
        for c in range(rounds + 1):
            for name, call in calls.items():
                if name.startswith("compare_datasets") and c > 3:
                    continue  # ten compare_classes calls: three rounds are enough
                wall, cpu = time.perf_counter(), time.process_time()
                call(store, c)
                if c > 0:
                    times["wall"][name].append((time.perf_counter() - wall) * 1000)
                    times["cpu"][name].append((time.process_time() - cpu) * 1000)
    return times


def p95(values: list[float]) -> float:
    """The 95th percentile (nearest rank)."""
    ordered = sorted(values)
    return ordered[max(0, -(-95 * len(ordered) // 100) - 1)]


def report(times: Times) -> str:
    """One line per query: wall and CPU median and p95, the target and the verdicts."""
    header = ["query", "wall median", "wall p95", "cpu median", "cpu p95", "target", "wall/cpu"]
    lines = [f"   {header[0]:<30}" + "".join(f"{h:>12}" for h in header[1:])]
    for name, wall in times["wall"].items():
        cpu = times["cpu"][name]
        target = TARGETS_MS.get(name)
        figures = [statistics.median(wall), p95(wall), statistics.median(cpu), p95(cpu)]
        shown = "" if target is None else f"< {target:.0f}"
        verdict = (
            ""
            if target is None
            else "/".join("meets" if v < target else "misses" for v in (figures[0], figures[2]))
        )
        row = "".join(f"{v:>12.1f}" for v in figures) + f"{shown:>12}{verdict:>16}"
        lines.append(f"   {name:<30}{row}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", choices=ENGINES, default="kuzu")
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--threads", type=int, default=1, help="Kuzu threads (0: all cores)")
    parser.add_argument("--store", type=Path, help="reuse (or create) the store here")
    parser.add_argument("--json", action="store_true", help="print the raw times as JSON")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="relex-bench-") as tmp:
        path = args.store or Path(tmp) / "queries.kuzu"
        if not path.exists():
            seconds = build(path, args.engine)
            print(f"built the store in {seconds:.1f} s: {path}")
        times = measure(path, args.engine, args.rounds, args.threads)
    if args.json:
        print(json.dumps(times))
        return
    print(
        f"{args.engine}: VGG16-shaped graph, {len(RUNS)} runs x {CLASSES} classes, top-{TOP_K} "
        f"edges per neuron; {args.rounds} warm rounds, {args.threads or 'all'} Kuzu thread(s), "
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; milliseconds"
    )
    print(report(times))


if __name__ == "__main__":
    main()
