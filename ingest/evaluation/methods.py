"""The attribution methods an evaluation compares, each as one function ``(inputs, target) ->
heatmap``: the LRP composites (R-LRP included), Integrated Gradients, gradient x input, the plain
gradient, and a seeded random map as the floor every method should beat."""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor, nn

from relex.ingest.attribution import lrp_for
from relex.ingest.errors import RelexError
from relex.ingest.lrp import Gradient, GradientXInput, IntegratedGradients
from relex.ingest.lrp.composites import COMPOSITES
from relex.ingest.models import Preprocessing
from relex.ingest.registry import DEFAULT_EVALUATION_METHODS, EVALUATION_METHODS

Explainer = Callable[[Tensor, Tensor], Tensor]
"""``(inputs (batch, C, H, W), target classes (batch,)) -> heatmap`` of the inputs' shape."""

METHODS = EVALUATION_METHODS
DEFAULT_METHODS = DEFAULT_EVALUATION_METHODS


def check_methods(names: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """The names, checked against :data:`METHODS` (a clear error names the unknown ones)."""
    unknown = [name for name in names if name not in METHODS]
    if unknown:
        raise RelexError(f"unknown method(s) {', '.join(unknown)}; known: {', '.join(METHODS)}")
    if not names:
        raise RelexError("no method to evaluate")
    return tuple(names)


def make_explainer(
    name: str,
    module: nn.Module,
    preprocessing: Preprocessing,
    *,
    seed: int = 0,
    ig_steps: int = 32,
) -> Explainer:
    """The explainer of method ``name`` for ``module`` (whose inputs ``preprocessing`` makes)."""
    check_methods([name])
    if name in COMPOSITES:
        lrp = lrp_for(module, preprocessing, name)
        return lambda inputs, target: lrp.attribute(inputs, target).heatmap
    if name == "integrated_gradients":
        ig = IntegratedGradients(module, steps=ig_steps)
        return lambda inputs, target: ig.attribute(inputs, target).heatmap
    if name == "gradient_x_input":
        gxi = GradientXInput(module)
        return lambda inputs, target: gxi.attribute(inputs, target).heatmap
    if name == "gradient":
        gradient = Gradient(module)
        return lambda inputs, target: gradient.attribute(inputs, target).heatmap
    generator = torch.Generator().manual_seed(seed)
    return lambda inputs, target: torch.randn(inputs.shape, generator=generator).to(inputs.device)
