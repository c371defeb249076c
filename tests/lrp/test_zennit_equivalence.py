"""Our heatmaps equal zennit's for the same composites and rules (relative L2 error <= 1e-4)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import torch
import zennit.composites as zc
import zennit.rules as zr
from torch import Tensor
from zennit.attribution import Gradient as ZennitGradient
from zennit.composites import LayerMapComposite, SpecialFirstLayerMapComposite
from zennit.types import Convolution, Linear

from relex.ingest.lrp import LRP, Composite
from relex.ingest.lrp import rules as ours
from relex.ingest.lrp.composites import epsilon_alpha2_beta1, epsilon_gamma_box, epsilon_plus_flat
from relex.ingest.models import LoadedModel
from tests.helpers import random_inputs, randomised, relative_error

TOLERANCE = 1e-4


def zennit_heatmap(loaded: LoadedModel, composite: object, inputs: Tensor) -> Tensor:
    """zennit's LRP of the predicted class, starting from the target logit (as our engine)."""

    def logit_of_prediction(output: Tensor) -> Tensor:
        return output * torch.eye(output.shape[1])[output.argmax(1)]

    with ZennitGradient(model=loaded.module, composite=composite) as attributor:
        _, heatmap = attributor(inputs, logit_of_prediction)
    return heatmap


def zennit_composite(name: str, loaded: LoadedModel, inputs: Tensor) -> object:
    if name == "epsilon_gamma_box":
        low, high = loaded.preprocessing.bounds()
        return zc.EpsilonGammaBox(low=low.expand_as(inputs), high=high.expand_as(inputs))
    return {"epsilon_plus_flat": zc.EpsilonPlusFlat, "epsilon_alpha2_beta1": zc.EpsilonAlpha2Beta1}[
        name
    ]()


def our_composite(name: str, loaded: LoadedModel) -> Composite:
    low, high = loaded.preprocessing.bounds()
    return {
        "epsilon_gamma_box": lambda: epsilon_gamma_box(low, high),
        "epsilon_plus_flat": epsilon_plus_flat,
        "epsilon_alpha2_beta1": epsilon_alpha2_beta1,
    }[name]()


COMPOSITES = ["epsilon_gamma_box", "epsilon_plus_flat", "epsilon_alpha2_beta1"]


@pytest.mark.parametrize("composite", COMPOSITES)
@pytest.mark.parametrize(
    "model",
    [
        "smallcnn28",
        "smallcnn64",
        pytest.param("vgg16", marks=pytest.mark.slow),
        pytest.param("vgg19", marks=pytest.mark.slow),
    ],
)
def test_composite_matches_zennit(model: str, composite: str) -> None:
    loaded = randomised(model)
    inputs = random_inputs(loaded, batch=2)
    reference = zennit_heatmap(loaded, zennit_composite(composite, loaded, inputs), inputs)
    result = LRP(loaded.module, our_composite(composite, loaded)).attribute(inputs)
    assert torch.isfinite(result.heatmap).all()
    assert relative_error(result.heatmap, reference) <= TOLERANCE


RulePair = tuple[Callable[[], ours.Rule], Callable[[], object]]

MIDDLE_RULES: dict[str, RulePair] = {
    "epsilon": (lambda: ours.Epsilon(0.1), lambda: zr.Epsilon(epsilon=0.1)),
    "gamma": (lambda: ours.Gamma(0.5), lambda: zr.Gamma(gamma=0.5)),
    "zplus": (lambda: ours.ZPlus(), lambda: zr.ZPlus()),
    "alpha1_beta0": (lambda: ours.AlphaBeta(1.0, 0.0), lambda: zr.AlphaBeta(alpha=1.0, beta=0.0)),
    "alpha2_beta1": (lambda: ours.AlphaBeta(2.0, 1.0), lambda: zr.AlphaBeta(alpha=2.0, beta=1.0)),
}

FIRST_RULES: dict[str, RulePair] = {
    "flat": (lambda: ours.Flat(), lambda: zr.Flat()),
    "wsquare": (lambda: ours.WSquare(), lambda: zr.WSquare()),
}


@pytest.mark.parametrize("rule", MIDDLE_RULES)
def test_each_rule_matches_zennit_in_every_layer(rule: str) -> None:
    """One rule on every conv and linear layer, including signed inputs in the first layer."""
    loaded = randomised("smallcnn64")
    inputs = random_inputs(loaded, batch=3)
    ours_rule, zennit_rule = MIDDLE_RULES[rule]
    composite = Composite(rule, conv=ours_rule(), linear=ours_rule())
    zennit_composite = LayerMapComposite(
        [(zr_type, zennit_rule()) for zr_type in (Convolution, torch.nn.Linear)]
        + zc.layer_map_base()
    )
    reference = zennit_heatmap(loaded, zennit_composite, inputs)
    result = LRP(loaded.module, composite).attribute(inputs)
    assert relative_error(result.heatmap, reference) <= TOLERANCE


@pytest.mark.parametrize("rule", [*FIRST_RULES, "zbox"])
def test_first_layer_rules_match_zennit(rule: str) -> None:
    loaded = randomised("smallcnn28")
    inputs = random_inputs(loaded, batch=3)
    low, high = loaded.preprocessing.bounds()
    if rule == "zbox":
        ours_first: ours.Rule = ours.ZBox(low, high)
        zennit_first = zr.ZBox(low=low.expand_as(inputs), high=high.expand_as(inputs))
    else:
        ours_first, zennit_first = FIRST_RULES[rule][0](), FIRST_RULES[rule][1]()
    composite = Composite(rule, conv=ours.Epsilon(), linear=ours.Epsilon(), first=ours_first)
    zennit_composite = SpecialFirstLayerMapComposite(
        layer_map=[(Linear, zr.Epsilon()), *zc.layer_map_base()],
        first_map=[(Linear, zennit_first)],
    )
    reference = zennit_heatmap(loaded, zennit_composite, inputs)
    result = LRP(loaded.module, composite).attribute(inputs)
    assert relative_error(result.heatmap, reference) <= TOLERANCE


def test_comparison_can_fail() -> None:
    """A different gamma gives a different heatmap: the equality above is not vacuous."""
    loaded = randomised("smallcnn64")
    inputs = random_inputs(loaded)
    reference = zennit_heatmap(loaded, zc.EpsilonGammaBox(low=-3.0, high=3.0, gamma=0.25), inputs)
    composite = epsilon_gamma_box(torch.tensor(-3.0), torch.tensor(3.0), gamma=0.5)
    result = LRP(loaded.module, composite).attribute(inputs)
    assert relative_error(result.heatmap, reference) > 1e-3
