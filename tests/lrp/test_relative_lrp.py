"""R-LRP stays finite where LRP-0 divides by an exact zero, and keeps its per-layer law."""

from __future__ import annotations

import torch
from torch import nn

from relex.ingest.lrp import LRP
from relex.ingest.lrp.composites import relative, uniform_epsilon
from tests.helpers import random_inputs, randomised


def network_with_a_dead_unit() -> nn.Sequential:
    """A linear unit whose pre-activation is exactly zero while it still receives relevance
    (no nonlinearity between it and the output)."""
    model = nn.Sequential(nn.Linear(3, 2), nn.Linear(2, 2))
    with torch.no_grad():
        model[0].weight.copy_(torch.tensor([[1.0, -1.0, 0.5], [0.0, 0.0, 0.0]]))
        model[0].bias.zero_()
        model[1].weight.copy_(torch.tensor([[2.0, 3.0], [1.0, -1.0]]))
        model[1].bias.zero_()
    return model


def test_rlrp_is_finite_where_lrp0_is_not() -> None:
    model = network_with_a_dead_unit()
    inputs = torch.tensor([[1.0, 2.0, 4.0]])
    lrp0 = LRP(model, uniform_epsilon(0.0, name="lrp0")).attribute(inputs, 0)
    assert not torch.isfinite(lrp0.heatmap).all()
    rlrp = LRP(model, relative()).attribute(inputs, 0)
    assert torch.isfinite(rlrp.heatmap).all()
    assert rlrp.heatmap.abs().sum() > 0


def test_rlrp_keeps_the_l1_mass_in_every_layer() -> None:
    loaded = randomised("smallcnn64")
    inputs = random_inputs(loaded, batch=3)
    result = LRP(loaded.module, relative()).attribute(inputs)
    output = result.logits.gather(1, result.target[:, None])[:, 0].abs()
    for layer, relevance in result.neuron_relevance.items():
        mass = relevance.abs().sum(1)
        if layer != "input":
            # Neuron totals can cancel within a channel; the layer's positions cannot.
            assert (mass <= output * (1 + 1e-4)).all(), layer
    heatmap_mass = result.heatmap.flatten(1).abs().sum(1)
    torch.testing.assert_close(heatmap_mass, output, rtol=1e-4, atol=0)


def test_rlrp_is_lrp0_up_to_one_factor_in_a_single_layer() -> None:
    """With one linear layer the only difference is the per-layer factor."""
    model = nn.Sequential(nn.Linear(5, 3, bias=False))
    inputs = torch.randn(4, 5, generator=torch.Generator().manual_seed(1))
    lrp0 = LRP(model, uniform_epsilon(0.0)).attribute(inputs, 1).heatmap
    rlrp = LRP(model, relative()).attribute(inputs, 1).heatmap
    factor = rlrp.abs().sum(1, keepdim=True) / lrp0.abs().sum(1, keepdim=True)
    torch.testing.assert_close(rlrp, lrp0 * factor, rtol=1e-5, atol=1e-6)
    assert (factor > 0).all()
