"""VGG16 on one CUDA GPU: LRP + flows and whole-ingest throughput, peak memory, ours vs zennit.

    python -m bench.gpu                                  # batches 8..256, 5 runs, 512 images
    python -m bench.gpu --batches 32 64 --runs 3 --images 256

1. For each batch size: images/s of one LRP call with every layer pair's flows summed for one
   group (the worker's grouping: a batch holds one class), of the heatmap alone, the ratio, and
   the peak GPU memory of the flows call. Float32, seeded random weights, 224x224.
2. Our heatmap against zennit's EpsilonGammaBox on the same GPU, same model and batch.
3. A whole ``ingest`` (two classes of random images, top-k edges, critical paths, writes into
   an embedded store) at the sweep's fastest batch size: images/s of the wall time, model
   loading included.

Without CUDA it says so and measures nothing (exit status 0).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from bench.common import timed
from relex.ingest.lrp import LRP
from relex.ingest.lrp.composites import epsilon_gamma_box
from relex.ingest.models import LoadedModel
from relex.ingest.worker import IngestOptions, ingest
from relex.queries import StoreSettings
from relex.queries.settings import open_store
from tests.helpers import random_inputs, randomised

WNIDS = Path(__file__).resolve().parents[1] / "ingest" / "datasets" / "imagenet_wnids.txt"


def median_seconds(run: Callable[[], object], runs: int, device: torch.device) -> float:
    timed(run, device)
    return statistics.median(timed(run, device)[0] for _ in range(runs))


def sweep(
    method: LRP, loaded: LoadedModel, batches: list[int], runs: int, device: torch.device
) -> int:
    """Print the sweep; return the batch size with the most LRP + flows images/s."""
    print("1. LRP + all flows (one group) vs heatmap alone, float32")
    print(f"   {'batch':>5} {'flows img/s':>11} {'heatmap img/s':>13} {'ratio':>6} {'peak GB':>8}")
    best, best_rate = batches[0], 0.0
    for batch in batches:
        inputs = random_inputs(loaded, batch=batch).to(device)
        groups = torch.zeros(batch, dtype=torch.long, device=device)
        try:
            torch.cuda.reset_peak_memory_stats(device)
            flows = median_seconds(
                partial(method.attribute, inputs, 0, flow_groups=groups), runs, device
            )
            peak = torch.cuda.max_memory_allocated(device) / 2**30
            heatmap = median_seconds(partial(method.attribute, inputs, 0), runs, device)
        except torch.cuda.OutOfMemoryError:
            print(f"   {batch:>5} out of GPU memory; larger batches skipped")
            torch.cuda.empty_cache()
            break
        rate = batch / flows
        if rate > best_rate:
            best, best_rate = batch, rate
        print(
            f"   {batch:>5} {rate:>11.1f} {batch / heatmap:>13.1f} "
            f"{flows / heatmap:>6.2f} {peak:>8.2f}"
        )
    print(f"   fastest: batch {best}, {best_rate:.1f} images/s (target >= 1000)")
    return best


def against_zennit(
    method: LRP, loaded: LoadedModel, bounds: tuple[torch.Tensor, torch.Tensor], batch: int,
    runs: int, device: torch.device,
) -> None:  # fmt: skip
    from zennit.attribution import Gradient
    from zennit.composites import EpsilonGammaBox

    inputs = random_inputs(loaded, batch=batch).to(device)
    low, high = bounds
    module = loaded.module
    theirs = EpsilonGammaBox(low=low.expand_as(inputs), high=high.expand_as(inputs))

    def run_zennit() -> torch.Tensor:
        def start(output: torch.Tensor) -> torch.Tensor:
            one_hot = torch.zeros_like(output).scatter_(1, output.argmax(1, keepdim=True), 1.0)
            return output * one_hot

        with Gradient(model=module, composite=theirs) as attributor:
            return attributor(inputs, start)[1]

    ours = median_seconds(lambda: method.attribute(inputs), runs, device)
    zennit = median_seconds(run_zennit, runs, device)
    difference = method.attribute(inputs).heatmap - run_zennit()
    relative = float(difference.norm() / run_zennit().norm())
    print(
        f"2. heatmap, batch {batch}: ours {batch / ours:.1f} images/s, zennit {batch / zennit:.1f}"
    )
    print(f"   ratio ours/zennit {ours / zennit:.3f}; heatmaps differ by {relative:.1e}")


def whole_ingest(images: int, batch: int, device: torch.device) -> None:
    wnids = WNIDS.read_text(encoding="ascii").split()[:2]
    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder) / "images"
        for wnid in wnids:
            (root / wnid).mkdir(parents=True)
            for k in range(images // len(wnids)):
                pixels = rng.integers(0, 255, (256, 256, 3), dtype=np.uint8)
                Image.fromarray(pixels).save(root / wnid / f"{k}.png")
        options = IngestOptions(
            run="bench",
            dataset=f"imagefolder:{root}",
            model="vgg16",
            weights="none",
            batch_size=batch,
            device=str(device),
        )
        start = time.perf_counter()
        with open_store(StoreSettings(path=Path(folder) / "bench.kuzu")) as store:
            run = ingest(options, store, progress=False)
        seconds = time.perf_counter() - start
    print(f"3. whole ingest, {run.images} images in {run.classes} classes, batch {batch}:")
    print(f"   {seconds:.1f} s, {run.images / seconds:.1f} images/s, {run.flows} flow edges")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, nargs="+", default=[8, 16, 32, 64, 128, 256])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--images", type=int, default=512, help="images of the whole ingest")
    args = parser.parse_args()
    if not torch.cuda.is_available():
        print("no CUDA device: bench.gpu measures nothing here")
        sys.exit(0)
    device = torch.device("cuda")
    loaded = randomised("vgg16")
    loaded.module.to(device)
    low, high = (bound.to(device) for bound in loaded.preprocessing.bounds())
    method = LRP(loaded.module, epsilon_gamma_box(low, high))
    print(f"{torch.cuda.get_device_name(device)}, torch {torch.__version__}, VGG16 224x224")
    best = sweep(method, loaded, args.batches, args.runs, device)
    against_zennit(method, loaded, (low, high), min(best, 64), args.runs, device)
    whole_ingest(args.images, best, device)


if __name__ == "__main__":
    main()
