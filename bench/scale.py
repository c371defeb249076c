"""Per-class query cost as the classes of a run grow: VGG16-shaped runs of 10, 100, 1,000 classes.

    python -m bench.scale --classes 10,100          # kuzu, 2 runs of each size, 20 rounds
    python -m bench.scale --classes 10,100 --json   # {query: {classes: p95 cpu ms}}

Each size is built in a child process into a fresh store: two runs ("nette" and "woof", as
Imagenette and Imagewoof over one model) of N classes each, written class by class as in
``bench.queries`` (13,419 VGG16-shaped neurons, every upper neuron keeping its top-8 incoming
edges per class: 107,008 FLOW edges a class). Each run has 10 distinctly generated classes, and
class i is a copy of class i mod 10 under its own id, so that building 1,000 classes costs the
writes and not the generation; they are written 100 classes a transaction (bulk loads). kuzu's
COMMIT of a bulk load costs time in proportion to the rows the table already holds
(``bench.commit_cost``): at 10 classes a transaction, a batch's commits grew from 0.9 s to 6.1 s
over the first 120 classes, so fewer, larger transactions keep a 1,000-class build to minutes.
Then one more child measures every size's stores in turns, read-only on one Kuzu thread: each
round runs each query on every store, on a class that changes from round to round, each time
on a class's first look (the store opened afresh, the query run on another class first) and
again (see ``measure``). Measured apart, minutes from each other, the sizes' figures moved with
the machine's load by up to 2x, more than the sizes differ. The CPU milliseconds of that process
are reported (median and p95), with the build time, the relationships/s of ``write_flows``
(FLOW/s, and rel/s counting the HOLDS and IN_CLASS links of the ClassNeurons it writes with
them), the whole build's relationships/s (RELEVANT and the model's edges too, over its whole
time), bytes on disk per FLOW edge, the build's peak RSS, and one compare_datasets over all N
matched class pairs. The stores are deleted at the end.

    python -m bench.scale --classes 10,100,1000 --keep DIR  # keep the stores in DIR

With ``--keep`` the stores and their build figures stay in DIR (``scale-N.kuzu``,
``scale-N.json``); a later run with the same DIR measures them again without building them.
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tqdm import tqdm

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.queries import p95  # noqa: E402
from queries import ClassRow, FlowBatch, GraphStore  # noqa: E402
from queries.analysis import (  # noqa: E402
    compare_classes,
    compare_datasets,
    critical_paths,
    subgraph,
    top_neurons,
)
from queries.embedded import EmbeddedStore  # noqa: E402
from queries.engines import ENGINES  # noqa: E402
from tests.queries.graphs import VGG16_LAYERS, LayeredGraph, layered_graph  # noqa: E402

TOP_K = 8
DISTINCT = 10
CHUNK = 100
POOL_MB = 2048
RUNS = (("nette", "imagenette"), ("woof", "imagewoof"))
QUERIES = ("top_neurons", "critical_paths", "subgraph", "compare_classes")
FLOW_WRITE_TYPES = ("FLOW", "HOLDS", "IN_CLASS")
"""The relationships ``write_flows`` writes: the edges, and the links of their ClassNeurons."""

Query = Callable[[GraphStore, str, str], object]


def one_class(run: str, dataset: str, seed: int, index: int) -> LayeredGraph:
    """Class ``index`` of a run: one of the run's ``DISTINCT`` generated classes, under the id
    of class ``index`` (generating each of 1,000 classes would take longer than writing it)."""
    graph = generated(run, dataset, seed, index % DISTINCT)
    old = graph.class_id(0)
    new = f"{dataset}/{index}"
    return dataclasses.replace(
        graph,
        class_indices=(index,),
        class_names=(f"class {index}",),
        relevance={new: graph.relevance[old]},
        edges={new: graph.edges[old]},
    )


@functools.cache
def generated(run: str, dataset: str, seed: int, index: int) -> LayeredGraph:
    """Class ``index`` of a run, generated on its own."""
    return layered_graph(
        VGG16_LAYERS,
        classes=1,
        class_indices=[index],
        top_k=TOP_K,
        seed=seed * 1_000_003 + index,
        run=run,
        model="vgg16",
        dataset=dataset,
    )


def build(path: Path, engine: str, classes: int) -> dict[str, float]:
    """Write both runs, ``CHUNK`` classes a batch; seconds in total and in write_flows (the
    FLOW edges with the ClassNeurons at their ends), FLOW edges."""
    started = time.perf_counter()
    flow_seconds, flows = 0.0, 0
    bar = tqdm(total=classes * len(RUNS), desc=f"build {classes}", unit="class", leave=False)
    with bar, EmbeddedStore(path, engine=engine, buffer_pool_mb=POOL_MB) as store:
        store.create_schema()
        for seed, (run, dataset) in enumerate(RUNS):
            for first in range(0, classes, CHUNK):
                graphs = [
                    one_class(run, dataset, seed, i)
                    for i in range(first, min(classes, first + CHUNK))
                ]
                nodes = [row for g in graphs for row in g.nodes() if isinstance(row, ClassRow)]
                if first == 0:  # the model, its neurons and the run, with the first chunk
                    nodes = [r for r in graphs[0].nodes() if not isinstance(r, ClassRow)] + nodes
                store.write_nodes(nodes)
                batch = FlowBatch.concat(
                    FlowBatch.of(run, class_id, e.upper, e.lower, e.flow, e.share)
                    for g in graphs
                    for class_id, e in g.edges.items()
                )
                written = time.perf_counter()
                store.write_flows(batch)
                flow_seconds += time.perf_counter() - written
                flows += len(batch)
                store.write_relevance([row for g in graphs for row in g.relevance_rows()])
                bar.update(len(graphs))
        build_s = time.perf_counter() - started
        written = store.counts().relationships
    return {
        "build_s": build_s,
        "flow_write_s": flow_seconds,
        "flows": flows,
        "flow_write_relationships": sum(written[kind] for kind in FLOW_WRITE_TYPES),
        "relationships": sum(written.values()),
        "build_rss_mb": rss_mb(),
    }


def rss_mb() -> float:
    """This process's peak resident set so far, in MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def calls(classes: int) -> dict[str, Query]:
    """The measured queries, each on class ``c`` of the round."""
    (run, a), (other, b) = RUNS

    def cls(dataset: str, c: int) -> str:
        return f"{dataset}/{c % classes}"

    return {
        "top_neurons": lambda s, c: top_neurons(s, run=run, class_id=cls(a, c), k=10),
        "critical_paths": lambda s, c: critical_paths(s, run=run, class_id=cls(a, c), k=5),
        "subgraph": lambda s, c: subgraph(s, run=run, class_id=cls(a, c), up=2, down=2),
        "compare_classes": lambda s, c: compare_classes(
            s, run_a=run, class_a=cls(a, c), run_b=other, class_b=cls(b, c), k=10
        ),
    }


def measure(stores: dict[int, Path], engine: str, rounds: int) -> dict[int, dict[str, Any]]:
    """CPU milliseconds of each query (median, p95) on a class's first look and again, and of
    one compare_datasets, per store.

    A first look: the store is opened afresh (an empty page cache), the query runs once on
    another class of the run (so that its statements are prepared and the pages that every
    class shares are cached, as in a server that has been up a while), then on the round's
    class, measured; then once more on that class, measured as "again". Without the fresh
    open a small store's classes are all cached after a few rounds and a large store's never
    are, and the two sizes would be compared in different states. Each round measures a query
    on every store before the next query, so the machine's load falls on every size alike."""
    first = {n: {name: [] for name in QUERIES} for n in stores}
    again = {n: {name: [] for name in QUERIES} for n in stores}
    stride = {n: max(1, n // max(rounds, 1)) * 7 + 1 for n in stores}  # spread over the run

    def opened(path: Path) -> EmbeddedStore:
        return EmbeddedStore(
            path, engine=engine, read_only=True, max_threads=1, buffer_pool_mb=POOL_MB
        )

    queries = {n: calls(n) for n in stores}
    for r in tqdm(range(rounds), desc="rounds", leave=False):
        for name in QUERIES:
            for n, path in stores.items():
                call, c = queries[n][name], r * stride[n]
                with opened(path) as store:
                    call(store, c + 1)
                    first[n][name].append(cpu_ms(call, store, c))
                    again[n][name].append(cpu_ms(call, store, c))
    measured = {}
    for n, path in stores.items():
        with opened(path) as store:
            cpu = time.process_time()
            compared = compare_datasets(store, run_a=RUNS[0][0], run_b=RUNS[1][0], k=10)
            measured[n] = {
                "median_ms": {name: statistics.median(v) for name, v in first[n].items()},
                "p95_ms": {name: p95(v) for name, v in first[n].items()},
                "again_median_ms": {name: statistics.median(v) for name, v in again[n].items()},
                "again_p95_ms": {name: p95(v) for name, v in again[n].items()},
                "compare_datasets_s": time.process_time() - cpu,
                "compared_pairs": len(compared.matched),
            }
    return measured


def cpu_ms(call: Query, store: GraphStore, c: int) -> float:
    """The CPU milliseconds of this process that ``call`` takes on class ``c``."""
    cpu = time.process_time()
    call(store, c)
    return (time.process_time() - cpu) * 1000


def disk_bytes(path: Path) -> int:
    """Bytes of the store (a file or a directory, with its side files)."""
    files = [p for p in path.parent.glob(path.name + "*")]
    total = 0
    for entry in files:
        if entry.is_dir():
            total += sum(f.stat().st_size for f in entry.rglob("*") if f.is_file())
        else:
            total += entry.stat().st_size
    return total


def store_path(folder: Path, classes: int) -> Path:
    """Where the store of ``classes`` classes a run lies in ``folder``."""
    return folder / f"scale-{classes}.kuzu"


def describe(classes: int, built: dict[str, float], measured: dict[str, Any]) -> dict[str, Any]:
    """One point's figures: the build's (its peak RSS too), the store's size, the queries'."""
    return {
        "classes": classes,
        **built,
        "flows_per_s": built["flows"] / built["flow_write_s"],
        "relationships_per_s": built["flow_write_relationships"] / built["flow_write_s"],
        "build_relationships_per_s": built["relationships"] / built["build_s"],
        "bytes_per_flow": built["disk_bytes"] / built["flows"],
        "disk_mb": built["disk_bytes"] / 2**20,
        "peak_rss_mb": built["build_rss_mb"],
        **measured,
    }


def child(*args: str) -> Any:
    """Run this module with ``args`` in a child process; the JSON of its last line."""
    command = [sys.executable, "-m", "bench.scale", *args]
    done = subprocess.run(command, cwd=ROOT, check=True, stdout=subprocess.PIPE, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def built_point(folder: Path, engine: str, classes: int) -> dict[str, float]:
    """Build one store in a child process (its own peak RSS), unless a build already finished
    there: its figures are saved beside the store (``scale-N.json``)."""
    path = store_path(folder, classes)
    figures = path.with_suffix(".json")
    if not figures.exists():
        shutil.rmtree(path, ignore_errors=True)
        path.unlink(missing_ok=True)
        built = child("--build", str(classes), "--engine", engine, "--store", str(path))
        figures.write_text(json.dumps(built))
    result: dict[str, float] = json.loads(figures.read_text())
    return result


def points(folder: Path, engine: str, sizes: list[int], rounds: int) -> list[dict[str, Any]]:
    """Build (or reuse) every size's store, then measure them all in one child process."""
    built = {n: built_point(folder, engine, n) for n in sizes}
    args = ["--measure", ",".join(map(str, sizes)), "--engine", engine]
    measured = child(*args, "--rounds", str(rounds), "--store", str(folder))
    return [describe(n, built[n], measured[str(n)]) for n in sizes]


def report(points: list[dict[str, Any]]) -> str:
    """A line of build figures per point, then median / p95 CPU ms of each query per point, on
    a first look and again."""
    head = f"{'classes':>8}{'build s':>9}{'FLOW/s':>10}{'rel/s':>10}{'build rel/s':>12}"
    head += f"{'B/edge':>8}{'RSS MB':>8}{'compare_datasets':>20}"
    lines = [head]
    for p in points:
        line = f"{p['classes']:>8}{p['build_s']:>9.0f}{p['flows_per_s']:>10,.0f}"
        line += f"{p['relationships_per_s']:>10,.0f}{p['build_relationships_per_s']:>12,.0f}"
        line += f"{p['bytes_per_flow']:>8.0f}{p['peak_rss_mb']:>8.0f}"
        pairs = f"{p['compare_datasets_s']:.1f} s, {p['compared_pairs']} pairs"
        lines.append(line + f"{pairs:>20}")
    lines.append(f"{'classes':>8}{'':>12}" + "".join(f"{name:>18}" for name in QUERIES))
    for p in points:
        for state, prefix in (("first look", ""), ("again", "again_")):
            line = f"{p['classes']:>8}{state:>12}"
            for name in QUERIES:
                median, p95_ms = p[prefix + "median_ms"][name], p[prefix + "p95_ms"][name]
                line += f"{median:>10.1f} /{p95_ms:>6.1f}"
            lines.append(line)
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--classes", default="10,100,1000", help="comma-separated run sizes")
    parser.add_argument("--engine", choices=ENGINES, default="kuzu")
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument(
        "--json", action="store_true", help="print {query: {classes: first-look p95 ms}}"
    )
    parser.add_argument("--dir", type=Path, default=Path(tempfile.gettempdir()))
    parser.add_argument("--keep", type=Path, help="keep the stores in this folder and reuse them")
    parser.add_argument("--build", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    parser.add_argument("--store", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.build is not None:
        built = build(args.store, args.engine, args.build)
        print(json.dumps({**built, "disk_bytes": disk_bytes(args.store)}))
        return
    if args.measure is not None:
        sizes = [int(part) for part in args.measure.split(",")]
        stores = {n: store_path(args.store, n) for n in sizes}
        print(json.dumps(measure(stores, args.engine, args.rounds)))
        return
    sizes = [int(part) for part in args.classes.split(",") if part.strip()]
    folder = args.keep or Path(tempfile.mkdtemp(prefix="relex-scale-", dir=args.dir))
    folder.mkdir(parents=True, exist_ok=True)
    try:
        measured = points(folder, args.engine, sizes, args.rounds)
    finally:
        if args.keep is None:
            shutil.rmtree(folder, ignore_errors=True)
    if args.json:
        print(json.dumps({q: {p["classes"]: p["p95_ms"][q] for p in measured} for q in QUERIES}))
        return
    print(
        f"{args.engine}: 2 VGG16-shaped runs of N classes, top-{TOP_K}; {args.rounds} rounds, "
        f"1 Kuzu thread, CPU ms median / p95; load average {os.getloadavg()[0]:.1f}"
    )
    print(report(measured))
    print(json.dumps(measured))


if __name__ == "__main__":
    main()
