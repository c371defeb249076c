"""Write throughput of the embedded store: VGG16's 13,419 neurons and 1M FLOW relationships.

The flows are per-class top-k edges (k = 8 per upper neuron, as the ingest worker stores them)
of a VGG16-shaped graph, ~107k per class. Measured, each into a fresh store:

- one batch:   all flows in one ``write_flows`` call (the fast path);
- rewrite:     the same batch written again over itself (the replace path);
- second run:  the same flows as another run, into the store that holds the first;
- per class:   one ``write_flows`` call per class (~107k rows), into a fresh store.

Kuzu's COMMIT of a COPY costs time in proportion to the rows the table already holds
(``bench.commit_cost``), which is why "second run" and "per class" are slower.

Run: ``python bench/store_write.py`` (kuzu and ladybug, each in its own process, since the
two cannot share one) or ``--engine kuzu`` / ``--engine ladybug``; ``--flows N`` to resize.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from relex.queries import (  # noqa: E402
    ClassRow,
    DatasetRow,
    FlowBatch,
    LayerRow,
    ModelRow,
    NeuronRow,
    NodeRow,
)
from relex.queries.embedded import EmbeddedStore  # noqa: E402
from relex.queries.engines import ENGINES  # noqa: E402

VGG16 = (
    [("input", "input", 3)]
    + [
        (f"features.{i}", "conv", size)
        for i, size in zip(
            (0, 2, 5, 7, 10, 12, 14, 17, 19, 21, 24, 26, 28),
            (64, 64, 128, 128, 256, 256, 256, 512, 512, 512, 512, 512, 512),
            strict=True,
        )
    ]
    + [
        ("classifier.0", "linear", 4096),
        ("classifier.3", "linear", 4096),
        ("classifier.6", "linear", 1000),
    ]
)
TOP_K = 8
TARGET = 300_000
CLASSES = 100
"""Class nodes written up front: more than the ``--flows`` of any run here need."""


def vgg16_nodes() -> tuple[list[NodeRow], list[np.ndarray]]:
    """Model, layers and neurons of VGG16, and each layer's neuron ids."""
    layers = [LayerRow("vgg16", name, i, kind, size) for i, (name, kind, size) in enumerate(VGG16)]
    neurons = [NeuronRow("vgg16", layer.name, i) for layer in layers for i in range(layer.size)]
    nodes: list[NodeRow] = [
        ModelRow("vgg16", "vgg16", len(layers), len(neurons)),
        DatasetRow("bench", "synthetic", "/dev/null"),
        *(ClassRow("bench", k, f"class {k}") for k in range(CLASSES)),
        *layers,
        *neurons,
    ]
    ids = [
        np.array([NeuronRow("vgg16", layer.name, i).id for i in range(layer.size)], dtype=object)
        for layer in layers
    ]
    return nodes, ids


def class_flows(ids: list[np.ndarray], run: str, k: int, rng: np.random.Generator) -> FlowBatch:
    """Top-k edges of every upper neuron to distinct lower neurons, for class ``k``."""
    uppers, lowers = [], []
    for upper, lower in zip(ids[1:], ids[:-1], strict=True):
        top = min(TOP_K, len(lower))
        bucket = len(lower) // top
        picks = np.arange(top) * bucket + rng.integers(0, bucket, (len(upper), top))
        uppers.append(np.repeat(upper, top))
        lowers.append(lower[picks.ravel()])
    n = sum(len(u) for u in uppers)
    share = rng.uniform(0.0, 0.5, n)
    return FlowBatch.of(
        run, f"bench/{k}", np.concatenate(uppers), np.concatenate(lowers), share * 2, share
    )


def flows(ids: list[np.ndarray], total: int, seed: int = 0) -> list[FlowBatch]:
    """Per-class batches, the last one trimmed so that they hold ``total`` flows."""
    rng = np.random.default_rng(seed)
    batches: list[FlowBatch] = []
    left = total
    while left > 0:
        batch = class_flows(ids, "bench-run", len(batches), rng)
        if len(batch) > left:
            batch = FlowBatch(batch.run, *(column[:left] for column in batch.columns()))
        batches.append(batch)
        left -= len(batch)
    return batches


def fresh(
    engine: str, folder: Path, name: str, nodes: list[NodeRow]
) -> tuple[EmbeddedStore, float]:
    """A new store with the schema and VGG16's nodes; the seconds the nodes took."""
    store = EmbeddedStore(folder / f"{name}.kuzu", engine=engine)
    store.create_schema()
    started = time.perf_counter()
    store.write_nodes(nodes)
    return store, time.perf_counter() - started


def measure(engine: str, total: int) -> dict[str, float]:
    """Seconds for the nodes and for each way of writing the flows, with engine ``engine``."""
    nodes, ids = vgg16_nodes()
    batches = flows(ids, total)
    whole = FlowBatch.concat(batches)
    result: dict[str, float] = {"neurons": float(sum(len(i) for i in ids)), "flows": float(total)}
    with tempfile.TemporaryDirectory(prefix="relex-bench-") as tmp:
        folder = Path(tmp)
        store, result["nodes_s"] = fresh(engine, folder, "one", nodes)
        with store:
            started = time.perf_counter()
            store.write_flows(whole)
            result["one_batch_s"] = time.perf_counter() - started
            started = time.perf_counter()
            store.write_flows(whole)
            result["rewrite_s"] = time.perf_counter() - started
            started = time.perf_counter()
            store.write_flows(FlowBatch("bench-run-2", *whole.columns()))
            result["second_run_s"] = time.perf_counter() - started
            assert store.counts().relationships["FLOW"] == 2 * total
        store, _ = fresh(engine, folder, "per-class", nodes)
        with store:
            started = time.perf_counter()
            for batch in batches:
                store.write_flows(batch)
            result["per_class_s"] = time.perf_counter() - started
            result["classes"] = float(len(batches))
    return result


def in_subprocess(engine: str, total: int) -> dict[str, float]:
    """``measure`` in a child process (kuzu and ladybug cannot share one)."""
    child = subprocess.run(
        [sys.executable, __file__, "--engine", engine, "--flows", str(total), "--json"],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    return dict(json.loads(child.stdout.strip().splitlines()[-1]))


def table(results: dict[str, dict[str, float]]) -> str:
    """The results as a small text table of relationships (and neurons) per second."""
    kinds = ("one_batch", "rewrite", "second_run", "per_class")
    head = f"{'engine':<9}{'neurons/s':>11}" + "".join(
        f"{kind.replace('_', ' '):>13}" for kind in kinds
    )
    lines = [head, "-" * len(head)]
    for engine, r in results.items():
        rates = "".join(f"{r['flows'] / r[f'{kind}_s']:>13,.0f}" for kind in kinds)
        lines.append(f"{engine:<9}{r['neurons'] / r['nodes_s']:>11,.0f}{rates}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", choices=[*ENGINES, "both"], default="both")
    parser.add_argument("--flows", type=int, default=1_000_000)
    parser.add_argument("--json", action="store_true", help="print one JSON line (for a parent)")
    args = parser.parse_args()
    if args.json:
        print(json.dumps(measure(args.engine, args.flows)))
        return
    engines = list(ENGINES) if args.engine == "both" else [args.engine]
    results = {engine: in_subprocess(engine, args.flows) for engine in engines}
    first = next(iter(results.values()))
    print(
        f"{int(first['flows']):,} FLOW relationships ({int(first['classes'])} classes, top-{TOP_K} "
        f"per upper neuron) and {int(first['neurons']):,} VGG16 neurons; relationships/s:"
    )
    print(table(results))
    best = {engine: r["flows"] / r["one_batch_s"] for engine, r in results.items()}
    verdict = ", ".join(
        f"{e} {'meets' if rate >= TARGET else 'misses'} {TARGET:,}/s" for e, rate in best.items()
    )
    print(f"target (one batch): {verdict}")


if __name__ == "__main__":
    main()
