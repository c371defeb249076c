"""Our heatmaps against zennit's (EpsilonGammaBox or EpsilonPlusFlat), same model, input, process.

    python -m bench.lrp                      # VGG16, 224x224, batch 8, 5 runs, CPU or CUDA
    python -m bench.lrp --runs 7 --device cuda
    python -m bench.lrp --model resnet50 --composite epsilon_plus_flat   # zennit's ResNetCanonizer

Runs alternate between the two (after one warm-up each) so that machine load hits both alike;
prints the median seconds per batch, images per second, the ratio ours/zennit and the relative
L2 difference of the heatmaps.
"""

from __future__ import annotations

import argparse
import statistics
from pathlib import Path

import torch
import zennit
from zennit.attribution import Gradient
from zennit.composites import EpsilonGammaBox, EpsilonPlusFlat
from zennit.torchvision import ResNetCanonizer

from bench.common import setup, timed
from relex.ingest.lrp import LRP
from relex.ingest.lrp.composites import epsilon_gamma_box, epsilon_plus_flat


def zennit_version() -> str:
    """The version of the zennit actually imported (it may shadow the installed one)."""
    folder = Path(zennit.__file__).parent.parent
    found = sorted(folder.glob("zennit-*.dist-info"))
    return found[0].name.removeprefix("zennit-").removesuffix(".dist-info") if found else "?"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="vgg16")
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--device", default="auto")
    parser.add_argument(
        "--composite",
        choices=("epsilon_gamma_box", "epsilon_plus_flat"),
        default="epsilon_gamma_box",
    )
    args = parser.parse_args()
    bench = setup(args.model, args.batch, args.device)
    device, model, inputs, low, high = (
        bench.device,
        bench.loaded.module,
        bench.inputs,
        bench.low,
        bench.high,
    )
    canonizers = [ResNetCanonizer()] if args.model.startswith("resnet") else None
    if args.composite == "epsilon_gamma_box":
        ours = LRP(model, epsilon_gamma_box(low, high))
        theirs: object = EpsilonGammaBox(
            low=low.expand_as(inputs), high=high.expand_as(inputs), canonizers=canonizers
        )
    else:
        ours = LRP(model, epsilon_plus_flat())
        theirs = EpsilonPlusFlat(canonizers=canonizers)

    def run_ours() -> torch.Tensor:
        return ours.attribute(inputs).heatmap

    def run_zennit() -> torch.Tensor:
        def start(output: torch.Tensor) -> torch.Tensor:
            one_hot = torch.zeros_like(output).scatter_(1, output.argmax(1, keepdim=True), 1.0)
            return output * one_hot

        with Gradient(model=model, composite=theirs) as attributor:
            return attributor(inputs, start)[1]

    times: dict[str, list[float]] = {"ours": [], "zennit": []}
    heatmaps: dict[str, torch.Tensor] = {}
    for repeat in range(args.runs + 1):
        for name, run in (("ours", run_ours), ("zennit", run_zennit)):
            seconds, heatmaps[name] = timed(run, device)
            if repeat:
                times[name].append(seconds)
    difference = (heatmaps["ours"] - heatmaps["zennit"]).norm() / heatmaps["zennit"].norm()
    median = {name: statistics.median(values) for name, values in times.items()}
    version = zennit_version()
    print(
        f"model {args.model}, {args.composite}, batch {args.batch}, device {device}, "
        f"{args.runs} warm runs each"
    )
    print(f"threads {torch.get_num_threads()}, torch {torch.__version__}, zennit {version}")
    for name in ("ours", "zennit"):
        print(
            f"{name:>7}: median {median[name]:.3f} s/batch, "
            f"{args.batch / median[name]:.2f} images/s"
        )
    print(f"  ratio ours/zennit: {median['ours'] / median['zennit']:.3f}")
    print(f"  relative L2 difference of the heatmaps: {float(difference):.2e}")


if __name__ == "__main__":
    main()
