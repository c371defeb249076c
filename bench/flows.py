"""The cost of relevance flows: against the heatmap alone and per-channel conditional passes.

    python -m bench.flows                                # VGG16, 224x224, batch 8, 5 runs
    python -m bench.flows --classes 3 --runs 7 --device cuda
    python -m bench.flows --pair conv3_3 conv4_1 --sample 32

1. One EpsilonGammaBox call with the flows of every consecutive weight-layer pair against the
   heatmap alone, for flow groups of ``--classes`` classes per batch (the ingest worker's one group
   per class) and for one group per image (the worst case).
2. The flow matrix of one layer pair for one image, ours (one call) against the brute force of
   attribution-graph tools such as zennit-crp: one conditional backward pass per upper channel,
   reusing the forward pass. A sample of the upper channels is timed and extrapolated linearly to
   all of them; the sampled columns are checked against ours.

Runs alternate between the variants (after one warm-up each) so that machine load hits all alike;
medians are printed.
"""

from __future__ import annotations

import argparse
import itertools
import statistics
from collections.abc import Callable
from functools import partial

import torch

from bench.common import setup, timed
from relex.ingest.lrp import LRP
from relex.ingest.lrp.composites import epsilon_gamma_box


def alternating(
    variants: dict[str, Callable[[], object]], runs: int, device: torch.device
) -> dict[str, float]:
    """Median seconds of each variant over ``runs`` rounds after a warm-up round."""
    times: dict[str, list[float]] = {name: [] for name in variants}
    for repeat in range(runs + 1):
        for name, run in variants.items():
            seconds, _ = timed(run, device)
            if repeat:
                times[name].append(seconds)
    return {name: statistics.median(values) for name, values in times.items()}


def flows_against_heatmap(
    method: LRP, inputs: torch.Tensor, classes: list[int], runs: int, device: torch.device
) -> None:
    batch = inputs.shape[0]
    group_counts = sorted({min(count, batch) for count in classes} | {batch})
    variants: dict[str, Callable[[], object]] = {"heatmap alone": lambda: method.attribute(inputs)}
    for count in group_counts:
        # The worker's flow groups: each image's class among the classes of its batch.
        groups = torch.arange(batch, device=device) % count
        label = "per image" if count == batch else f"{count} classes per batch"
        variants[f"+ all flows, {label}"] = partial(method.attribute, inputs, flow_groups=groups)
    median = alternating(variants, runs, device)
    base = median["heatmap alone"]
    print("1. heatmap + all flows vs heatmap alone (EpsilonGammaBox)")
    print(f"   {'variant':<34} {'s/batch':>8} {'ratio':>6}")
    for name, seconds in median.items():
        print(f"   {name:<34} {seconds:>8.3f} {seconds / base:>6.2f}")
    print("   target ratio <= 1.5")


def flows_against_brute_force(
    method: LRP,
    image: torch.Tensor,
    pair: tuple[str, str],
    sample: int,
    runs: int,
    device: torch.device,
) -> None:
    lower, upper = pair
    one_group = torch.zeros(1, dtype=torch.long, device=device)
    flows = method.attribute(image, flow_groups=one_group).flows[pair][0]
    upper_size = flows.shape[1]
    channels = torch.linspace(0, upper_size - 1, min(sample, upper_size)).round().long().unique()
    trace_seconds, _ = timed(lambda: method.trace(image), device)
    trace = method.trace(image)
    columns: dict[int, torch.Tensor] = {}

    def conditional(channel: int) -> None:
        result = method.attribute(image, neurons={upper: [channel]}, trace=trace)
        columns[channel] = result.neuron_relevance[lower][0]

    times: dict[str, list[float]] = {"flows": [], "plain": [], "channel": []}
    chunks = [channels[start::runs].tolist() for start in range(runs)]
    for repeat in range(runs + 1):
        flows_seconds, _ = timed(lambda: method.attribute(image, flow_groups=one_group), device)
        plain_seconds, _ = timed(lambda: method.attribute(image), device)
        chunk = chunks[repeat - 1] if repeat else channels[:1].tolist()
        channel_seconds = [timed(partial(conditional, c), device)[0] for c in chunk]
        if repeat:
            times["flows"].append(flows_seconds)
            times["plain"].append(plain_seconds)
            times["channel"] += channel_seconds
    ours = statistics.median(times["flows"])
    overhead = ours - statistics.median(times["plain"])
    per_channel = statistics.fmean(times["channel"])
    brute = trace_seconds + per_channel * upper_size
    sampled = channels.tolist()
    brute_columns = torch.stack([columns[c] for c in sampled], dim=1)
    difference = (brute_columns - flows[:, channels]).abs().max() / flows.abs().max()
    print(f"2. flows {lower} -> {upper} ({flows.shape[0]} x {upper_size}), one image")
    print(f"   {'ours, one call with all flows':<44} {ours:>8.3f} s")
    print(f"   {'ours, flow-only overhead (minus plain call)':<44} {overhead:>8.3f} s")
    print(f"   {'brute force, one conditional pass (mean)':<44} {per_channel:>8.3f} s")
    print(f"   {f'brute force, all {upper_size} channels':<44} {brute:>8.1f} s")
    print(
        f"     extrapolated linearly from {len(sampled)} sampled channels "
        f"(+ one forward pass, {trace_seconds:.3f} s)"
    )
    print(f"   {'ratio brute / ours (whole call)':<44} {brute / ours:>8.0f} x")
    if overhead > 0:
        print(f"   {'ratio brute / ours (flow-only overhead)':<44} {brute / overhead:>8.0f} x")
    print(f"   sampled columns vs ours: max |difference| / max |M| = {float(difference):.2e}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="vgg16")
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--device", default="auto")
    parser.add_argument(
        "--classes",
        type=int,
        nargs="+",
        default=[2],
        help="classes per batch (one flow group each); one group per image is always measured",
    )
    parser.add_argument(
        "--pair", nargs=2, metavar=("LOWER", "UPPER"), default=["conv4_2", "conv4_3"]
    )
    parser.add_argument("--sample", type=int, default=16, help="upper channels run brute force")
    args = parser.parse_args()
    bench = setup(args.model, args.batch, args.device)
    device, loaded, inputs = bench.device, bench.loaded, bench.inputs
    method = LRP(loaded.module, epsilon_gamma_box(bench.low, bench.high))
    names = [layer.name for layer in method.network.layers]
    pair = (args.pair[0], args.pair[1])
    if pair not in itertools.pairwise(names):
        parser.error(f"--pair must be consecutive weight layers of {args.model}: {names}")
    size = "x".join(str(side) for side in inputs.shape[2:])
    print(f"model {args.model}, {size}, batch {args.batch}, device {device}, {args.runs} warm runs")
    print(f"threads {torch.get_num_threads()}, torch {torch.__version__}, runs alternate")
    flows_against_heatmap(method, inputs, args.classes, args.runs, device)
    flows_against_brute_force(method, inputs[:1], pair, args.sample, args.runs, device)


if __name__ == "__main__":
    main()
