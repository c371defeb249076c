"""The engine and the ingest on CUDA against the CPU (skipped without a CUDA device): the same
flows, the same graph; with two GPUs, two NCCL ranks write the one-process graph."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import torch

from relex.ingest.lrp import LRP
from relex.ingest.lrp.composites import epsilon_gamma_box
from tests.helpers import random_inputs, randomised, shapes_checkpoint
from tests.ingest.test_distributed import (
    CLI,
    TORCHRUN,
    arguments,
    assert_same_graph,
    counts_of,
    one_process,
    run_counts,
)
from tests.ingest.test_worker import dump

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device")


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return shapes_checkpoint(tmp_path_factory.mktemp("weights") / "shapes.pt")


def test_flows_on_cuda_equal_the_cpu_flows() -> None:
    loaded = randomised("vgg11")
    inputs = random_inputs(loaded, batch=4)
    groups = torch.tensor([0, 1, 0, 1])
    results = {}
    for device in ("cpu", "cuda"):
        loaded.module.to(device)
        low, high = (bound.to(device) for bound in loaded.preprocessing.bounds())
        method = LRP(loaded.module, epsilon_gamma_box(low, high))
        results[device] = method.attribute(inputs.to(device), 0, flow_groups=groups.to(device))
    cpu, cuda = results["cpu"], results["cuda"]
    assert cpu.flows.keys() == cuda.flows.keys()
    for pair, flow in cpu.flows.items():
        difference = (cuda.flows[pair].cpu() - flow).abs().max() / flow.abs().max()
        assert difference < 1e-4, pair
    heatmap = (cuda.heatmap.cpu() - cpu.heatmap).norm() / cpu.heatmap.norm()
    assert heatmap < 1e-4


def test_ingest_on_cuda_writes_the_cpu_graph(checkpoint: Path, tmp_path: Path) -> None:
    expected, run = one_process(checkpoint, tmp_path)
    path = tmp_path / "cuda.kuzu"
    extra = ["--device", "cuda"]
    done = subprocess.run(
        [*CLI, *arguments(checkpoint, path, *extra)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert_same_graph(dump(path), expected)
    assert run_counts(path) == counts_of(run)


@pytest.mark.skipif(torch.cuda.device_count() < 2, reason="fewer than two CUDA devices")
def test_two_nccl_ranks_write_the_one_process_graph(checkpoint: Path, tmp_path: Path) -> None:
    expected, run = one_process(checkpoint, tmp_path)
    path = tmp_path / "two.kuzu"
    done = subprocess.run(
        [TORCHRUN, "--standalone", "--nproc-per-node", "2", "--no-python", "--", *CLI,
         *arguments(checkpoint, path, device="cuda")],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert_same_graph(dump(path), expected)
    assert run_counts(path) == counts_of(run)
