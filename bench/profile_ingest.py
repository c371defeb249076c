"""Where the time of one ingest batch goes: the worker's stages timed one by one.

    python -m bench.profile_ingest                        # VGG16, 224x224, batch 8, 3 runs
    python -m bench.profile_ingest --runs 5 --device cuda

One class batch as the worker runs it (one flow group, the class's target): the forward pass;
the relevance (the heatmap's backward pass); the flows (the same pass with every layer pair's
flows, minus the plain one); the aggregation (class sums and the evidence shares); the top-k
edges per neuron; the critical paths; and the writes of the class into a fresh embedded store
(the time spent inside the store's methods). Medians over ``--runs`` warm runs.

``--max-rss-gb`` stops the benchmark once the process holds more memory than that (an address
space limit cannot be used: the embedded store maps a large file region up front).
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import torch

from bench.common import setup, timed
from relex.ingest import worker
from relex.ingest.aggregate import ClassSums, evidence_shares, outflow_totals, top_incoming
from relex.ingest.datasets import open_dataset
from relex.ingest.lrp import LRP
from relex.ingest.lrp.composites import epsilon_gamma_box
from relex.ingest.pending import store_classes
from relex.queries import GraphStore, StoreSettings
from relex.queries.settings import open_store

STAGES = (
    "forward",
    "relevance",
    "flows",
    "aggregation",
    "top-k",
    "critical paths",
    "writes",
)


class TimedStore:
    """A store whose method calls add their seconds to ``seconds``."""

    def __init__(self, store: GraphStore) -> None:
        self.store = store
        self.seconds = 0.0

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self.store, name)
        if not callable(attribute):
            return attribute

        def call(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return attribute(*args, **kwargs)
            finally:
                self.seconds += time.perf_counter() - start

        return call


def profile_once(
    method: LRP,
    inputs: torch.Tensor,
    the_setup: Any,
    options: worker.IngestOptions,
    store: TimedStore,
    device: torch.device,
) -> dict[str, float]:
    target = 0
    groups = torch.zeros(inputs.shape[0], dtype=torch.long, device=device)
    seconds: dict[str, float] = {}
    seconds["forward"], trace = timed(lambda: method.trace(inputs), device)
    heatmap, _ = timed(lambda: method.attribute(inputs, target, trace=trace), device)
    seconds["relevance"] = heatmap
    with_flows, result = timed(
        lambda: method.attribute(inputs, target, trace=trace, flow_groups=groups), device
    )
    seconds["flows"] = with_flows - heatmap
    sums = ClassSums()

    def aggregate() -> dict[tuple[str, str], Any]:
        sums.add(result.neuron_relevance, {pair: flow[0] for pair, flow in result.flows.items()})
        outflows = outflow_totals(sums.flows)
        return {
            pair: evidence_shares(flow, outflows[pair[1]], sums.neurons[pair[0]])
            for pair, flow in sums.flows.items()
        }

    seconds["aggregation"], shares = timed(aggregate, device)
    seconds["top-k"], _ = timed(
        lambda: [
            top_incoming(flow, shares[pair], options.top_k) for pair, flow in sums.flows.items()
        ],
        device,
    )
    seconds["critical paths"], _ = timed(
        lambda: worker._critical_paths(method.network, options, sums, shares), device
    )
    rows = worker._image_rows(
        the_setup, options, list(range(inputs.shape[0])), result.neuron_relevance
    )
    store.seconds = 0.0
    write = worker._class_write(the_setup, options, 0, sums, rows)
    store_classes(store, options.run, [write])  # type: ignore[arg-type]
    seconds["writes"] = store.seconds
    return seconds


def watch_memory(limit_gb: float) -> None:
    """Exit (status 3) as soon as the resident memory passes ``limit_gb``."""
    page = os.sysconf("SC_PAGE_SIZE")

    def watch() -> None:
        while True:
            with Path("/proc/self/statm").open(encoding="ascii") as statm:
                resident = int(statm.read().split()[1]) * page
            if resident > limit_gb * 2**30:
                print(f"stopped: resident memory {resident / 2**30:.1f} GB > {limit_gb} GB")
                os._exit(3)
            time.sleep(0.2)

    threading.Thread(target=watch, daemon=True).start()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="vgg16")
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--top-k", type=int, default=8)
    parser.add_argument("--max-rss-gb", type=float, default=8.0)
    args = parser.parse_args()
    watch_memory(args.max_rss_gb)
    bench = setup(args.model, args.batch, args.device)
    device, inputs = bench.device, bench.inputs
    method = LRP(bench.loaded.module, epsilon_gamma_box(bench.low, bench.high))
    dataset = open_dataset(f"synthetic:shapes-a?n={max(args.batch, 6)}&seed=0")
    the_setup = worker._Setup(bench.loaded, args.model, dataset, method, device, {0: 0})
    options = worker.IngestOptions(run="profile", dataset=dataset.spec, top_k=args.top_k)
    size = "x".join(str(side) for side in inputs.shape[2:])
    print(f"model {args.model}, {size}, batch {args.batch}, device {device}, {args.runs} warm runs")
    print(f"threads {torch.get_num_threads()}, torch {torch.__version__}")
    with (
        tempfile.TemporaryDirectory() as folder,
        open_store(StoreSettings(path=Path(folder) / "profile.kuzu")) as raw,
    ):
        raw.create_schema()
        worker._write_structure(raw, the_setup)
        store = TimedStore(raw)
        runs = [
            profile_once(method, inputs, the_setup, options, store, device)
            for _ in range(args.runs + 1)
        ][1:]
    report(runs, args.batch)


def report(runs: list[dict[str, float]], batch: int) -> None:
    median = {stage: statistics.median(run[stage] for run in runs) for stage in STAGES}
    total = sum(median.values())
    print(f"   {'stage':<16} {'s/batch':>8} {'share':>6}")
    for stage in STAGES:
        print(f"   {stage:<16} {median[stage]:>8.3f} {median[stage] / total:>6.1%}")
    print(f"   {'total':<16} {total:>8.3f}   ({batch / total:.2f} images/s)")
    heatmap = median["forward"] + median["relevance"]
    print(f"   LRP + flows / heatmap alone: {(heatmap + median['flows']) / heatmap:.2f}x")


if __name__ == "__main__":
    main()
