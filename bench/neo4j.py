"""Neo4j: write throughput over a sweep of batch sizes, and the query catalogue's latencies.

    eval "$(bash scripts/neo4j.sh start)"                   # or any server: NEO4J_* variables
    python -m bench.neo4j write [--flows 100000] [--batches 1000,5000,10000,20000,50000]
    python -m bench.neo4j queries [--classes 10] [--rounds 10] [--keep] [--narrow 8]

Both WIPE the database that NEO4J_URI names (MATCH (n) DETACH DELETE n): point them at a
throwaway server, e.g. ``NEO4J_HOME_DIR=relex-data/neo4j-bench bash scripts/neo4j.sh start``.

``write``: VGG16's 13,419 neurons, then ``--flows`` FLOW edges of one VGG16-shaped class
(top-8 incoming edges per upper neuron, as bench/store_write.py writes into the embedded store)
with ``write_flows`` at each batch size (RELEX_NEO4J_BATCH_SIZE), into an emptied database;
then the same edges again over themselves (the upsert path a resumed class takes). Prints
relationships per second.

``queries``: the graph of bench/queries.py (two runs of ``--classes`` classes, top-8 edges per
neuron; ``--narrow N`` divides every layer's width by N, so that 100 classes write in minutes)
written into Neo4j, then the same calls as there, warm, median and 95th percentile of
wall time (the work is the server's, so this process's CPU time says nothing).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from bench.queries import RUNS, TARGETS_MS, TOP_K, p95, queries  # noqa: E402
from bench.store_write import class_flows, vgg16_nodes  # noqa: E402
from relex.queries import FlowBatch  # noqa: E402
from relex.queries.analysis import compare_datasets  # noqa: E402
from relex.queries.neo4j_store import Neo4jStore  # noqa: E402
from relex.queries.settings import StoreSettings  # noqa: E402
from tests.queries.graphs import VGG16_LAYERS, layered_graph  # noqa: E402


def connect(batch_size: int) -> Neo4jStore:
    """A store on the server the NEO4J_* variables name."""
    settings = StoreSettings.from_env()
    if not settings.neo4j_uri or settings.neo4j_password is None:
        raise SystemExit('set NEO4J_URI and NEO4J_PASSWORD: eval "$(bash scripts/neo4j.sh start)"')
    return Neo4jStore.connect(
        settings.neo4j_uri,
        settings.neo4j_user,
        settings.neo4j_password,
        database=settings.neo4j_database,
        batch_size=batch_size,
    )


def wipe(store: Neo4jStore) -> None:
    """Empty the database in bounded transactions, then create the schema."""
    while store.query("MATCH ()-[r]->() WITH r LIMIT 50000 DELETE r RETURN count(*) AS n")[0]["n"]:
        pass
    while store.query("MATCH (n) WITH n LIMIT 50000 DETACH DELETE n RETURN count(*) AS n")[0]["n"]:
        pass
    store.create_schema()


def write_sweep(total: int, sizes: list[int]) -> None:
    """Relationships per second of write_flows at each batch size, fresh and as an upsert."""
    nodes, ids = vgg16_nodes()
    batch = class_flows(ids, "bench-run", 0, np.random.default_rng(0))
    batch = FlowBatch(batch.run, *(column[:total] for column in batch.columns()))
    print(
        f"Neo4j write_flows: {len(batch):,} VGG16-shaped FLOW edges of one class; "
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
    )
    print(f"   {'batch size':>10}{'fresh rel/s':>14}{'upsert rel/s':>14}")
    for size in sizes:
        with connect(size) as store:
            wipe(store)
            store.write_nodes(nodes)
            started = time.perf_counter()
            store.write_flows(batch)
            fresh = time.perf_counter() - started
            started = time.perf_counter()
            store.write_flows(batch)
            again = time.perf_counter() - started
            assert store.counts().relationships["FLOW"] == len(batch)
        print(f"   {size:>10,}{len(batch) / fresh:>14,.0f}{len(batch) / again:>14,.0f}")


def build(store: Neo4jStore, classes: int, narrow: int) -> float:
    """Write bench/queries.py's graph (with ``classes`` classes per run, every layer ``narrow``
    times narrower); the seconds it took."""
    wipe(store)
    layers = tuple((name, kind, max(3, size // narrow)) for name, kind, size in VGG16_LAYERS)
    started = time.perf_counter()
    for seed, (run, dataset) in enumerate(RUNS):
        graph = layered_graph(
            layers,
            classes=classes,
            top_k=TOP_K,
            seed=seed,
            run=run,
            model="vgg16",
            dataset=dataset,
        )
        graph.write(store)
    return time.perf_counter() - started


def latencies(classes: int, rounds: int, keep: bool, batch_size: int, narrow: int) -> None:
    """Median and p95 wall milliseconds of each catalogue call on Neo4j."""
    with connect(batch_size) as store:
        counts = store.counts().relationships
        if not keep or not counts.get("FLOW"):
            seconds = build(store, classes, narrow)
            counts = store.counts().relationships
            print(
                f"wrote {counts['FLOW']:,} FLOW and {counts['RELEVANT']:,} RELEVANT edges "
                f"in {seconds:.0f} s ({(counts['FLOW'] + counts['RELEVANT']) / seconds:,.0f} rel/s)"
            )
        calls = dict(queries())
        calls["compare_datasets"] = lambda s, c: compare_datasets(
            s, run_a=RUNS[0][0], run_b=RUNS[1][0], k=10
        )
        wall: dict[str, list[float]] = {name: [] for name in calls}
        for c in range(rounds + 1):
            for name, call in calls.items():
                if name == "compare_datasets" and c > 3:
                    continue
                started = time.perf_counter()
                call(store, c % classes)  # type: ignore[arg-type]
                if c > 0:
                    wall[name].append((time.perf_counter() - started) * 1000)
    print(
        f"Neo4j: VGG16-shaped graph ({narrow}x narrower), {len(RUNS)} runs x {classes} classes, "
        f"top-{TOP_K}; "
        f"{rounds} warm rounds, load average {os.getloadavg()[0]:.1f}; wall milliseconds"
    )
    print(f"   {'query':<30}{'median':>10}{'p95':>10}{'target':>10}")
    for name, values in wall.items():
        target = TARGETS_MS.get(name)
        shown = "" if target is None else f"< {target:.0f}"
        print(f"   {name:<30}{statistics.median(values):>10.1f}{p95(values):>10.1f}{shown:>10}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    write = commands.add_parser("write", help="write throughput over batch sizes")
    write.add_argument("--flows", type=int, default=100_000)
    write.add_argument("--batches", default="1000,5000,10000,20000,50000")
    read = commands.add_parser("queries", help="the catalogue's latencies")
    read.add_argument("--classes", type=int, default=10)
    read.add_argument("--rounds", type=int, default=10)
    read.add_argument("--batch-size", type=int, default=10_000)
    read.add_argument("--keep", action="store_true", help="reuse a graph already written")
    read.add_argument("--narrow", type=int, default=1, help="divide every layer's width by this")
    args = parser.parse_args()
    if args.command == "write":
        write_sweep(args.flows, [int(size) for size in args.batches.split(",")])
    else:
        latencies(args.classes, args.rounds, args.keep, args.batch_size, args.narrow)


if __name__ == "__main__":
    main()
