"""Integrated Gradients and DeconvNet equal captum's on the same model, input and target."""

from __future__ import annotations

import pytest
import torch
from captum.attr import Deconvolution
from captum.attr import IntegratedGradients as CaptumIntegratedGradients

from relex.ingest.lrp import DeconvNet, IntegratedGradients
from tests.helpers import random_inputs, randomised, relative_error


@pytest.mark.parametrize(
    "method",
    ["gausslegendre", "riemann_left", "riemann_right", "riemann_middle", "riemann_trapezoid"],
)
def test_integrated_gradients_matches_captum(method: str) -> None:
    loaded = randomised("smallcnn64")
    inputs = random_inputs(loaded, batch=3)
    baseline = torch.full_like(inputs, -0.5)
    target = [1, 4, 7]
    reference = CaptumIntegratedGradients(loaded.module).attribute(
        inputs, baselines=baseline, target=target, n_steps=16, method=method
    )
    result = IntegratedGradients(loaded.module, steps=16, method=method).attribute(
        inputs, target, baseline=baseline
    )
    assert relative_error(result.heatmap, reference) <= 1e-3


def test_integrated_gradients_zero_baseline_and_delta() -> None:
    loaded = randomised("smallcnn28")
    inputs = random_inputs(loaded, batch=2)
    reference, captum_delta = CaptumIntegratedGradients(loaded.module).attribute(
        inputs, target=3, n_steps=32, return_convergence_delta=True
    )
    result = IntegratedGradients(loaded.module, steps=32).attribute(inputs, 3, return_delta=True)
    assert relative_error(result.heatmap, reference) <= 1e-3
    assert result.delta is not None
    torch.testing.assert_close(result.delta, captum_delta, atol=1e-4, rtol=1e-3)


@pytest.mark.parametrize("model", ["smallcnn64", pytest.param("vgg16", marks=pytest.mark.slow)])
def test_deconvnet_matches_captum(model: str) -> None:
    loaded = randomised(model)
    inputs = random_inputs(loaded, batch=2)
    reference = Deconvolution(loaded.module).attribute(inputs, target=[2, 5])
    result = DeconvNet(loaded.module).attribute(inputs, [2, 5])
    assert relative_error(result.heatmap, reference) <= 1e-4


def test_deconvnet_of_selected_neurons_projects_rectified_activations() -> None:
    """Projecting one channel of the first conv is its rectified map through the transposed conv."""
    loaded = randomised("smallcnn64")
    inputs = random_inputs(loaded, batch=2)
    conv = loaded.module[0]
    channel = 3
    activation = torch.relu(conv(inputs))
    kept = torch.zeros_like(activation)
    kept[:, channel] = activation[:, channel]
    expected = torch.nn.grad.conv2d_input(inputs.shape, conv.weight, kept, padding=1)
    result = DeconvNet(loaded.module).attribute(inputs, layer="conv1_1", neurons=[channel])
    torch.testing.assert_close(result.heatmap, expected, atol=1e-5, rtol=1e-4)
