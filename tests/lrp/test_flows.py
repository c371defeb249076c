"""Neuron-to-neuron relevance flows: conserved at both ends, and equal to the brute-force
conditional relevance (lower channel i when the backward pass keeps upper neuron j alone)."""

from __future__ import annotations

import itertools

import pytest
import torch

from relex.ingest.lrp import LRP
from relex.ingest.lrp.composites import epsilon_gamma_box, uniform_epsilon
from tests.helpers import random_inputs, randomised, zero_biases


def normalised_error(ours: torch.Tensor, reference: torch.Tensor) -> float:
    return float((ours - reference).norm() / reference.norm().clamp(min=1e-30))


@pytest.mark.parametrize(
    "model", ["smallcnn28", "smallcnn64", pytest.param("vgg16", marks=pytest.mark.slow)]
)
def test_flows_are_conserved_at_both_ends(model: str) -> None:
    loaded = zero_biases(randomised(model))
    inputs = random_inputs(loaded, batch=2)
    method = LRP(loaded.module, uniform_epsilon(1e-9))
    result = method.attribute(inputs, flow_groups=torch.arange(2))
    names = method.network.layer_names
    assert list(result.flows) == list(itertools.pairwise(names))
    for (lower, upper), flow in result.flows.items():
        assert flow.shape == (2, method.network.layer(lower).size, method.network.layer(upper).size)
        into_upper = flow.sum(1)
        out_of_lower = flow.sum(2)
        assert normalised_error(into_upper, result.neuron_relevance[upper]) <= 1e-4, upper
        assert normalised_error(out_of_lower, result.neuron_relevance[lower]) <= 1e-4, lower


def test_group_flows_are_sums_of_image_flows() -> None:
    loaded = randomised("smallcnn64")
    low, high = loaded.preprocessing.bounds()
    method = LRP(loaded.module, epsilon_gamma_box(low, high))
    inputs = random_inputs(loaded, batch=4)
    trace = method.trace(inputs)
    per_image = method.attribute(inputs, flow_groups=torch.arange(4), trace=trace).flows
    grouped = method.attribute(inputs, flow_groups=torch.tensor([1, 0, 1, 1]), trace=trace).flows
    for pair, flow in per_image.items():
        torch.testing.assert_close(grouped[pair][0], flow[1], rtol=1e-5, atol=1e-6)
        torch.testing.assert_close(grouped[pair][1], flow[[0, 2, 3]].sum(0), rtol=1e-5, atol=1e-6)


def assert_flow_equals_conditional_relevance(
    method: LRP, inputs: torch.Tensor, pair: tuple[str, str], uppers: list[int]
) -> None:
    lower, upper = pair
    trace = method.trace(inputs)
    batch = inputs.shape[0]
    flows = method.attribute(inputs, flow_groups=torch.arange(batch), trace=trace).flows[pair]
    for j in uppers:
        conditional = method.attribute(inputs, neurons={upper: [j]}, trace=trace)
        expected = conditional.neuron_relevance[lower]
        scale = flows.abs().max()
        assert float((flows[:, :, j] - expected).abs().max() / scale) <= 1e-4, (pair, j)


def test_small_cnn_flows_equal_conditional_relevance_in_every_pair() -> None:
    loaded = randomised("smallcnn64")
    low, high = loaded.preprocessing.bounds()
    method = LRP(loaded.module, epsilon_gamma_box(low, high))
    inputs = random_inputs(loaded, batch=2)
    names = method.network.layer_names
    for lower, upper in itertools.pairwise(names):
        size = method.network.layer(upper).size
        assert_flow_equals_conditional_relevance(
            method, inputs, (lower, upper), [0, size // 2, size - 1]
        )


@pytest.mark.slow
@pytest.mark.parametrize("pair", [("input", "conv1_1"), ("conv4_2", "conv4_3"), ("conv5_3", "fc6")])
def test_vgg16_flows_equal_conditional_relevance(pair: tuple[str, str]) -> None:
    loaded = randomised("vgg16")
    low, high = loaded.preprocessing.bounds()
    method = LRP(loaded.module, epsilon_gamma_box(low, high))
    inputs = random_inputs(loaded, batch=2)
    assert_flow_equals_conditional_relevance(method, inputs, pair, [0, 17, 63])
