"""torchvision ResNets in the engine: heatmaps equal zennit's with its ResNetCanonizer, logits equal
the model's own, relevance is conserved across the residual additions, flows equal brute-force
conditional relevance across an addition and inside a block, and bad models give clear errors."""

from __future__ import annotations

import pytest
import torch
import zennit.composites as zc
from captum.attr import Deconvolution
from torch import Tensor, nn
from torchvision.models.resnet import BasicBlock
from zennit.attribution import Gradient as ZennitGradient
from zennit.canonizers import SequentialMergeBatchNorm
from zennit.torchvision import ResNetCanonizer

from relex.ingest.errors import RelexError
from relex.ingest.lrp import LRP, DeconvNet, Network
from relex.ingest.lrp.composites import (
    epsilon_alpha2_beta1,
    epsilon_gamma_box,
    epsilon_plus_flat,
    relative,
    uniform_epsilon,
)
from relex.ingest.models import LoadedModel
from tests.helpers import randomised, relative_error

SIDE = 32


def random_batch_norms(loaded: LoadedModel, *, seed: int = 3, zero_eps: bool = False) -> None:
    """Random running statistics and affine parameters in every batch norm. ``zero_eps``: zennit's
    merge leaves each batch norm dividing by sqrt(1 + eps), which its comparison must not see."""
    generator = torch.Generator().manual_seed(seed)
    for module in loaded.module.modules():
        if isinstance(module, nn.BatchNorm2d):
            size = module.num_features
            assert module.running_mean is not None and module.running_var is not None
            with torch.no_grad():
                module.running_mean.copy_(torch.randn(size, generator=generator) * 0.1)
                module.running_var.copy_(torch.rand(size, generator=generator) + 0.5)
                module.weight.copy_(torch.rand(size, generator=generator) + 0.5)
                module.bias.copy_(torch.randn(size, generator=generator) * 0.1)
            if zero_eps:
                module.eps = 0.0


def resnet(name: str, *, dtype: torch.dtype = torch.float64, zero_eps: bool = True) -> LoadedModel:
    loaded = randomised(name)
    random_batch_norms(loaded, zero_eps=zero_eps)
    loaded.module.to(dtype)
    return loaded


def inputs_for(dtype: torch.dtype = torch.float64, batch: int = 2) -> Tensor:
    generator = torch.Generator().manual_seed(11)
    return torch.randn(batch, 3, SIDE, SIDE, generator=generator).to(dtype)


def zennit_heatmap(model: nn.Module, composite: object, inputs: Tensor) -> Tensor:
    def logit_of_prediction(output: Tensor) -> Tensor:
        return output * torch.eye(output.shape[1], dtype=output.dtype)[output.argmax(1)]

    with ZennitGradient(model=model, composite=composite) as attributor:
        _, heatmap = attributor(inputs, logit_of_prediction)
    return heatmap


def composites(loaded: LoadedModel, inputs: Tensor, canonizer: type) -> dict[str, tuple]:
    low, high = (bound.to(inputs.dtype) for bound in loaded.preprocessing.bounds())
    canonizers = [canonizer()]
    return {
        "epsilon_plus_flat": (epsilon_plus_flat(), zc.EpsilonPlusFlat(canonizers=canonizers)),
        "epsilon_gamma_box": (
            epsilon_gamma_box(low, high),
            zc.EpsilonGammaBox(
                low=low.expand_as(inputs), high=high.expand_as(inputs), canonizers=canonizers
            ),
        ),
        "epsilon_alpha2_beta1": (
            epsilon_alpha2_beta1(),
            zc.EpsilonAlpha2Beta1(canonizers=canonizers),
        ),
    }


@pytest.mark.parametrize(
    "composite", ["epsilon_plus_flat", "epsilon_gamma_box", "epsilon_alpha2_beta1"]
)
@pytest.mark.parametrize("model", ["resnet18", "resnet50"])
def test_heatmaps_match_zennit_resnet_canonizer(model: str, composite: str) -> None:
    loaded = resnet(model)
    inputs = inputs_for()
    ours, theirs = composites(loaded, inputs, ResNetCanonizer)[composite]
    result = LRP(loaded.module, ours).attribute(inputs)
    reference = zennit_heatmap(loaded.module, theirs, inputs)
    assert torch.isfinite(result.heatmap).all()
    assert relative_error(result.heatmap, reference) <= 1e-4


def test_additions_without_the_sum_rule_differ_so_the_comparison_can_fail() -> None:
    """zennit with merged batch norms but a plain ``+`` hands all relevance to both branches."""
    loaded = resnet("resnet18")
    inputs = inputs_for()
    ours, theirs = composites(loaded, inputs, SequentialMergeBatchNorm)["epsilon_plus_flat"]
    result = LRP(loaded.module, ours).attribute(inputs)
    assert relative_error(result.heatmap, zennit_heatmap(loaded.module, theirs, inputs)) > 1e-2


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
@pytest.mark.parametrize("model", ["resnet18", "resnet34", "resnet50"])
def test_logits_equal_the_models_own(model: str, dtype: torch.dtype) -> None:
    """Exactly in float64; in float32 up to the rounding that folding the batch norms changes."""
    loaded = resnet(model, dtype=dtype, zero_eps=False)
    inputs = inputs_for(dtype)
    with torch.no_grad():
        expected = loaded.module(inputs)
    logits = LRP(loaded.module, epsilon_plus_flat()).trace(inputs).logits
    scale = float(expected.abs().max())
    tolerance = 1e-12 if dtype == torch.float64 else 1e-5
    torch.testing.assert_close(logits, expected, rtol=0, atol=tolerance * scale)


def zero_bias_resnet(name: str) -> LoadedModel:
    """Random batch-norm scales, but zero means and shifts: every folded bias is zero."""
    loaded = resnet(name, zero_eps=False)
    for module in loaded.module.modules():
        if isinstance(module, nn.BatchNorm2d):
            assert module.running_mean is not None
            with torch.no_grad():
                module.running_mean.zero_()
                module.bias.zero_()
        if isinstance(module, nn.Linear):
            with torch.no_grad():
                module.bias.zero_()
    return loaded


@pytest.mark.parametrize("model", ["resnet18", "resnet50"])
def test_relevance_is_conserved_across_the_additions(model: str) -> None:
    loaded = zero_bias_resnet(model)
    inputs = inputs_for()
    result = LRP(loaded.module, uniform_epsilon(1e-12)).attribute(inputs, return_delta=True)
    logit = result.logits.gather(1, result.target[:, None])[:, 0]
    assert result.delta is not None
    assert (result.delta.abs() <= 1e-8 * logit.abs()).all()
    torch.testing.assert_close(result.neuron_relevance["fc"].sum(1), logit)


def test_biases_break_conservation_so_the_check_can_fail() -> None:
    loaded = resnet("resnet18", zero_eps=False)
    inputs = inputs_for()
    result = LRP(loaded.module, uniform_epsilon(1e-12)).attribute(inputs, return_delta=True)
    logit = result.logits.gather(1, result.target[:, None])[:, 0]
    assert result.delta is not None
    assert (result.delta.abs() > 1e-3 * logit.abs()).any()


def test_deconvnet_walks_the_dag_as_captum() -> None:
    """Signals meeting at a block's input add up, as captum's Deconvolution's gradients do."""
    loaded = resnet("resnet18", zero_eps=False)
    inputs = inputs_for()
    reference = Deconvolution(loaded.module).attribute(inputs, target=[3, 7])
    result = DeconvNet(loaded.module).attribute(inputs, [3, 7])
    assert relative_error(result.heatmap, reference) <= 1e-10


def test_relative_lrp_runs_on_a_resnet() -> None:
    loaded = resnet("resnet18", dtype=torch.float32, zero_eps=False)
    result = LRP(loaded.module, relative()).attribute(inputs_for(torch.float32))
    assert torch.isfinite(result.heatmap).all() and result.heatmap.abs().sum() > 0
    for relevance in result.neuron_relevance.values():
        assert torch.isfinite(relevance).all()


def test_layers_have_module_names_and_skip_connections() -> None:
    network = Network(randomised("resnet18").module)
    names = network.layer_names
    assert names[:3] == ("input", "conv1", "layer1.0.conv1") and names[-1] == "fc"
    assert "layer3.1.conv2" in names and "layer3.0.downsample" in names
    assert len(names) == 1 + 1 + 16 + 3 + 1
    lower = {layer.name: set(layer.lower) for layer in network.layers}
    assert lower["layer1.0.conv2"] == {"layer1.0.conv1"}
    assert lower["layer1.1.conv1"] == {"conv1", "layer1.0.conv2"}
    assert lower["layer2.0.conv1"] == lower["layer2.0.downsample"]
    assert lower["layer2.0.downsample"] == {"conv1", "layer1.0.conv2", "layer1.1.conv2"}
    assert lower["layer3.0.conv1"] == {"layer2.0.downsample", "layer2.0.conv2", "layer2.1.conv2"}
    assert lower["fc"] == {"layer4.0.downsample", "layer4.0.conv2", "layer4.1.conv2"}
    bottleneck = Network(randomised("resnet50").module)
    assert bottleneck.layer("layer2.3.conv3").size == 512
    assert bottleneck.layer("layer1.0.downsample").lower == ("conv1",)


def test_an_unknown_module_is_named_with_its_type() -> None:
    model = nn.Sequential(nn.Conv2d(3, 4, 3), nn.GELU(), nn.Flatten(), nn.LazyLinear(2))
    with pytest.raises(RelexError, match=r"module 1 of type GELU is not supported"):
        Network(model)
    loaded = randomised("resnet18")
    loaded.module.get_submodule("layer2.1").add_module("relu", nn.SiLU())
    with pytest.raises(RelexError, match=r"module layer2.1.relu1 of type SiLU"):
        Network(loaded.module)
    other = randomised("resnet18")
    stage = other.module.get_submodule("layer3")
    assert isinstance(stage, nn.Sequential)
    stage[0] = nn.Identity()
    with pytest.raises(RelexError, match=r"module layer3.0 of type Identity"):
        Network(other.module)
    block = BasicBlock(3, 3)
    with pytest.raises(RelexError, match=r"module 0 \(BasicBlock\) is a residual block"):
        Network(nn.Sequential(block, nn.Flatten(), nn.LazyLinear(2)))


@pytest.fixture(scope="module")
def resnet18_flows() -> tuple[LRP, Tensor, dict[tuple[str, str], Tensor]]:
    loaded = resnet("resnet18")
    low, high = (bound.double() for bound in loaded.preprocessing.bounds())
    method = LRP(loaded.module, epsilon_gamma_box(low, high))
    inputs = inputs_for()
    return method, inputs, dict(method.attribute(inputs, flow_groups=torch.arange(2)).flows)


@pytest.mark.parametrize(
    "pair",
    [
        ("layer1.0.conv1", "layer1.0.conv2"),
        ("layer1.0.conv2", "layer1.1.conv1"),
        ("conv1", "layer1.1.conv1"),
        ("layer1.0.conv2", "layer2.0.downsample"),
        ("layer4.1.conv2", "fc"),
    ],
)
def test_flows_equal_conditional_relevance_across_the_dag(
    resnet18_flows: tuple[LRP, Tensor, dict[tuple[str, str], Tensor]], pair: tuple[str, str]
) -> None:
    """Column j of M is what reaches the lower layer through upper neuron j alone, on the direct
    route. Relevance is linear in what the upper layer keeps, so it is the lower layer's relevance
    with j kept minus that with nothing kept (the skip connection carries the rest either way),
    with every weight layer on a longer route between the two masked out in both passes."""
    method, inputs, flows = resnet18_flows
    lower, upper = pair
    between: dict[str, list[int]] = {name: [] for name in _between(method.network, lower, upper)}
    trace = method.trace(inputs)
    without = method.attribute(inputs, neurons={upper: [], **between}, trace=trace)
    size = method.network.layer(upper).size
    scale = flows[pair].abs().max()
    assert scale > 0
    for j in [0, size // 2, size - 1]:
        kept = method.attribute(inputs, neurons={upper: [j], **between}, trace=trace)
        expected = kept.neuron_relevance[lower] - without.neuron_relevance[lower]
        error = (flows[pair][:, :, j] - expected).abs().max() / scale
        assert float(error) <= 1e-8, (pair, j)


def _between(network: Network, lower: str, upper: str) -> set[str]:
    """The weight layers on a route from ``lower`` up to ``upper`` (both excluded)."""
    below: dict[str, set[str]] = {}
    for layer in network.layers:
        below[layer.name] = set(layer.lower).union(*(below[name] for name in layer.lower))
    return {name for name in below[upper] if lower in below[name]}


def test_flows_join_every_connected_pair_and_are_conserved() -> None:
    loaded = zero_bias_resnet("resnet18")
    method = LRP(loaded.module, uniform_epsilon(1e-12))
    result = method.attribute(inputs_for(), flow_groups=torch.arange(2))
    assert set(result.flows) == set(method.network.connections)
    into: dict[str, Tensor] = {}
    out_of: dict[str, Tensor] = {}
    for (lower, upper), flow in result.flows.items():
        into[upper] = into.get(upper, 0) + flow.sum(1)
        out_of[lower] = out_of.get(lower, 0) + flow.sum(2)
    for name, relevance in result.neuron_relevance.items():
        if name != "input":
            torch.testing.assert_close(into[name], relevance, msg=name)
        if name != "fc":
            torch.testing.assert_close(out_of[name], relevance, msg=name)
