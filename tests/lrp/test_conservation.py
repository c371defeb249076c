"""Relevance is conserved layer by layer (LRP-0/epsilon with zero biases), and conditioning on
neurons is linear: a layer's partition sums to the whole."""

from __future__ import annotations

import pytest
import torch

from relex.ingest.lrp import LRP
from relex.ingest.lrp.composites import epsilon_gamma_box, uniform_epsilon
from tests.helpers import random_inputs, randomised, zero_biases


@pytest.mark.parametrize(
    "model", ["smallcnn28", "smallcnn64", pytest.param("vgg16", marks=pytest.mark.slow)]
)
def test_every_layer_total_equals_target_logit(model: str) -> None:
    loaded = zero_biases(randomised(model))
    inputs = random_inputs(loaded, batch=2)
    result = LRP(loaded.module, uniform_epsilon(1e-9)).attribute(inputs, return_delta=True)
    logit = result.logits.gather(1, result.target[:, None])[:, 0]
    assert set(result.neuron_relevance) == set(
        LRP(loaded.module, uniform_epsilon()).network.layer_names
    )
    for layer, relevance in result.neuron_relevance.items():
        total = relevance.sum(1)
        torch.testing.assert_close(total, logit, rtol=1e-4, atol=0, msg=f"layer {layer}")
    assert result.delta is not None
    assert (result.delta.abs() <= 1e-4 * logit.abs()).all()


def test_biases_break_conservation_so_the_check_can_fail() -> None:
    loaded = randomised("smallcnn64", bias_scale=0.5)
    inputs = random_inputs(loaded, batch=2)
    result = LRP(loaded.module, uniform_epsilon(1e-9)).attribute(inputs, return_delta=True)
    logit = result.logits.gather(1, result.target[:, None])[:, 0]
    assert result.delta is not None
    assert (result.delta.abs() > 1e-3 * logit.abs()).any()


@pytest.fixture(scope="module")
def explained() -> tuple[LRP, torch.Tensor]:
    loaded = randomised("smallcnn64")
    low, high = loaded.preprocessing.bounds()
    return LRP(loaded.module, epsilon_gamma_box(low, high)), random_inputs(loaded, batch=3)


@pytest.mark.parametrize("layer", ["conv1_1", "conv2_2", "conv3_1", "fc4"])
def test_selecting_all_neurons_reproduces_the_unconditional_heatmap(
    explained: tuple[LRP, torch.Tensor], layer: str
) -> None:
    method, inputs = explained
    full = method.attribute(inputs)
    size = method.network.layer(layer).size
    conditional = method.attribute(inputs, neurons={layer: range(size)})
    torch.testing.assert_close(conditional.heatmap, full.heatmap, atol=1e-5, rtol=0)


@pytest.mark.parametrize("layer", ["conv1_2", "conv3_2", "fc4"])
def test_heatmaps_of_a_partition_sum_to_the_whole(
    explained: tuple[LRP, torch.Tensor], layer: str
) -> None:
    method, inputs = explained
    full = method.attribute(inputs)
    trace = method.trace(inputs)
    size = method.network.layer(layer).size
    generator = torch.Generator().manual_seed(3)
    parts = torch.randint(0, 3, (size,), generator=generator)
    total = torch.zeros_like(full.heatmap)
    for part in range(3):
        selected = (parts == part).nonzero().flatten()
        total += method.attribute(inputs, neurons={layer: selected}, trace=trace).heatmap
    scale = full.heatmap.abs().max()
    assert float((total - full.heatmap).abs().max() / scale) <= 1e-5


def test_conditioning_on_several_layers_returns_conditional_neuron_relevance(
    explained: tuple[LRP, torch.Tensor],
) -> None:
    method, inputs = explained
    result = method.attribute(inputs, neurons={"conv3_2": [0, 5], "conv2_1": [1, 2, 3]})
    assert torch.count_nonzero(result.neuron_relevance["conv3_2"][:, 6:]) == 0
    assert torch.count_nonzero(result.neuron_relevance["conv2_1"][:, 4:]) == 0
    assert torch.count_nonzero(result.neuron_relevance["conv2_1"][:, 1:4]) > 0
