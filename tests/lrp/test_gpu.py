"""The engine on CUDA gives the CPU's results (skipped where there is no GPU)."""

from __future__ import annotations

import pytest
import torch

from relex.ingest.lrp import LRP, IntegratedGradients
from relex.ingest.lrp.composites import epsilon_gamma_box
from tests.helpers import random_inputs, randomised, relative_error

pytestmark = [
    pytest.mark.gpu,
    pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU"),
]


@pytest.fixture(autouse=True)
def exact_float32() -> None:
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False


@pytest.mark.parametrize("model", ["smallcnn64", "vgg16"])
def test_cuda_heatmaps_and_flows_equal_cpu(model: str) -> None:
    loaded = randomised(model)
    inputs = random_inputs(loaded, batch=4)
    low, high = loaded.preprocessing.bounds()
    cpu = LRP(loaded.module, epsilon_gamma_box(low, high)).attribute(
        inputs, flow_groups=torch.tensor([0, 1, 0, 1])
    )
    module = loaded.module.to("cuda")
    gpu = LRP(module, epsilon_gamma_box(low.cuda(), high.cuda())).attribute(
        inputs.cuda(), flow_groups=torch.tensor([0, 1, 0, 1])
    )
    assert gpu.heatmap.is_cuda
    assert relative_error(gpu.heatmap.cpu(), cpu.heatmap) <= 1e-4
    for pair, flow in cpu.flows.items():
        assert relative_error(gpu.flows[pair].cpu(), flow) <= 1e-4, pair


def test_cuda_integrated_gradients_equal_cpu() -> None:
    loaded = randomised("smallcnn64")
    inputs = random_inputs(loaded, batch=2)
    cpu = IntegratedGradients(loaded.module, steps=8).attribute(inputs, 1)
    gpu = IntegratedGradients(loaded.module.to("cuda"), steps=8).attribute(inputs.cuda(), 1)
    assert relative_error(gpu.heatmap.cpu(), cpu.heatmap) <= 1e-4
