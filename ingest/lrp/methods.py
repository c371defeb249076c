"""Attribution methods, one call each as in captum: ``method.attribute(inputs, target)``.

- :class:`LRP` with a composite (zennit's names), relative LRP included, conditional on any neurons;
- :class:`IntegratedGradients` (Sundararajan et al. 2017) with captum's integration schemes;
- :class:`GradientXInput` and :class:`Gradient`;
- :class:`DeconvNet`, the projection of Zeiler & Fergus (2014).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import torch
from torch import Tensor, nn

from relex.ingest.errors import RelexError
from relex.ingest.lrp.composites import Composite
from relex.ingest.lrp.engine import (
    LayerOps,
    NeuronSelection,
    Trace,
    forward,
    output_relevance,
    propagate,
    selection_masks,
    unpool_max,
)
from relex.ingest.lrp.network import NETWORK_INPUT, Network

Target = int | Tensor | list[int] | None
"""The class to explain: None (the prediction), one class for all images, or one per image."""

IntegrationMethod = Literal[
    "gausslegendre", "riemann_left", "riemann_right", "riemann_middle", "riemann_trapezoid"
]


@dataclass(frozen=True)
class Attribution:
    """What one ``attribute`` call returns.

    ``heatmap`` has the input's shape; ``neuron_relevance`` maps a layer name to per-neuron
    relevance (batch, neurons); ``flows`` maps (lower layer, upper layer) to relevance flows summed
    per flow group (groups, lower neurons, upper neurons); ``delta`` is the conservation delta
    (heatmap total minus the explained output relevance), when asked for.
    """

    heatmap: Tensor
    logits: Tensor
    target: Tensor
    neuron_relevance: Mapping[str, Tensor] = field(default_factory=dict)
    flows: Mapping[tuple[str, str], Tensor] = field(default_factory=dict)
    delta: Tensor | None = None


def resolve_target(target: Target, logits: Tensor) -> Tensor:
    """One class index per image; ``None`` means the predicted class."""
    batch, classes = logits.shape
    if target is None:
        return logits.argmax(1)
    resolved = torch.as_tensor(target, dtype=torch.long, device=logits.device).reshape(-1)
    if resolved.numel() == 1:
        resolved = resolved.expand(batch)
    if resolved.numel() != batch:
        raise RelexError(f"{resolved.numel()} targets given for {batch} images")
    if int(resolved.min()) < 0 or int(resolved.max()) >= classes:
        raise RelexError(
            f"target class {resolved.tolist()} is out of range: the model has {classes} classes "
            f"(0 to {classes - 1})"
        )
    return resolved.clone()


def _device_of(module: nn.Module) -> torch.device:
    return next(module.parameters()).device


class LRP:
    """Layer-wise Relevance Propagation (Bach et al. 2015) with a composite of rules."""

    def __init__(self, model: nn.Module, composite: Composite) -> None:
        self.network = Network(model)
        self.composite = composite

    def trace(self, inputs: Tensor) -> Trace:
        """The forward pass alone, reusable for several backward passes over the same inputs."""
        with torch.no_grad():
            return forward(self.network, inputs.to(_device_of(self.network)))

    def attribute(
        self,
        inputs: Tensor,
        target: Target = None,
        *,
        neurons: Mapping[str, NeuronSelection] | None = None,
        flow_groups: Tensor | None = None,
        return_delta: bool = False,
        trace: Trace | None = None,
    ) -> Attribution:
        """Explain ``target`` for ``inputs`` (batch, C, H, W).

        ``neurons`` restricts the backward pass to the selected neurons of one or several layers
        (conditional relevance). ``flow_groups`` (a group id per image, e.g. its class) asks for
        the neuron-to-neuron relevance flows summed per group; ``torch.arange(batch)`` gives
        per-image flows.
        """
        trace = trace or self.trace(inputs)
        logits = trace.logits
        resolved = resolve_target(target, logits)
        masks = selection_masks(
            self.network, neurons or {}, batch_size=logits.shape[0], device=logits.device
        )
        groups, group_count = None, 0
        if flow_groups is not None:
            groups = torch.as_tensor(flow_groups, device=logits.device).long().reshape(-1)
            if groups.numel() != logits.shape[0] or int(groups.min()) < 0:
                raise RelexError("flow_groups needs one non-negative group id per image")
            group_count = int(groups.max()) + 1
        start = output_relevance(logits, resolved)
        if self.composite.output_magnitude:
            start = start.abs()
        with torch.no_grad():
            result = propagate(
                self.network,
                self.composite,
                trace,
                start,
                masks=masks,
                flow_groups=groups,
                flow_group_count=group_count,
            )
        delta = None
        if return_delta:
            delta = result.heatmap.flatten(1).sum(1) - start.sum(1)
        return Attribution(
            heatmap=result.heatmap,
            logits=logits,
            target=resolved,
            neuron_relevance=result.neuron_relevance,
            flows=result.flows,
            delta=delta,
        )


class _GradientMethod:
    """Shared plumbing of the gradient-based methods: the model, its device, the target."""

    def __init__(self, model: nn.Module) -> None:
        self.model = model

    def _gradient(self, inputs: Tensor, target: Tensor) -> tuple[Tensor, Tensor]:
        inputs = inputs.detach().requires_grad_(True)
        with torch.enable_grad():
            logits = self.model(inputs)
            picked = logits.gather(1, target[:, None]).sum()
            (gradient,) = torch.autograd.grad(picked, inputs)
        return gradient, logits.detach()

    def _prepare(self, inputs: Tensor, target: Target) -> tuple[Tensor, Tensor, Tensor]:
        inputs = inputs.to(_device_of(self.model))
        with torch.no_grad():
            logits = self.model(inputs)
        return inputs, logits, resolve_target(target, logits)


class Gradient(_GradientMethod):
    """The plain gradient of the target logit (Simonyan et al. 2014)."""

    def attribute(self, inputs: Tensor, target: Target = None) -> Attribution:
        inputs, logits, resolved = self._prepare(inputs, target)
        gradient, _ = self._gradient(inputs, resolved)
        return Attribution(heatmap=gradient, logits=logits, target=resolved)


class GradientXInput(_GradientMethod):
    """Gradient times input (Shrikumar et al. 2016)."""

    def attribute(self, inputs: Tensor, target: Target = None) -> Attribution:
        inputs, logits, resolved = self._prepare(inputs, target)
        gradient, _ = self._gradient(inputs, resolved)
        return Attribution(heatmap=gradient * inputs, logits=logits, target=resolved)


def integration_points(steps: int, method: IntegrationMethod) -> tuple[list[float], list[float]]:
    """Points ``alpha`` in [0, 1] and weights of a quadrature with ``steps`` points, as captum
    defines them (so results are comparable). Its trapezoid rule takes steps of ``1/steps`` with
    halved end weights, which sum to ``1 - 1/steps``, not 1."""
    if steps < 1:
        raise RelexError("integrated gradients needs at least one step")
    if method == "gausslegendre":
        nodes, weights = np.polynomial.legendre.leggauss(steps)
        return list(0.5 * (nodes + 1)), list(0.5 * weights)
    offsets = {"riemann_left": 0.0, "riemann_right": 1.0, "riemann_middle": 0.5}
    weights = np.full(steps, 1 / steps)
    if method == "riemann_trapezoid":
        if steps < 2:
            raise RelexError("the trapezoid rule needs at least two steps")
        weights[[0, -1]] /= 2
        return list(np.linspace(0, 1, steps)), list(weights)
    if method not in offsets:
        raise RelexError(f"unknown integration method {method!r}")
    return list((np.arange(steps) + offsets[method]) / steps), list(weights)


class IntegratedGradients(_GradientMethod):
    """Integrated Gradients (Sundararajan et al. 2017): ``(x - x0) * integral of the gradient``
    along the straight path from baseline ``x0`` to ``x``, by quadrature."""

    def __init__(
        self,
        model: nn.Module,
        *,
        steps: int = 50,
        method: IntegrationMethod = "gausslegendre",
        internal_batch_size: int = 32,
    ) -> None:
        super().__init__(model)
        self.alphas, self.weights = integration_points(steps, method)
        self.internal_batch_size = internal_batch_size

    def attribute(
        self,
        inputs: Tensor,
        target: Target = None,
        *,
        baseline: Tensor | float = 0.0,
        return_delta: bool = False,
    ) -> Attribution:
        inputs, logits, resolved = self._prepare(inputs, target)
        start = torch.as_tensor(baseline, dtype=inputs.dtype, device=inputs.device)
        start = start.expand_as(inputs)
        path = inputs - start
        total = torch.zeros_like(inputs)
        points = list(zip(self.alphas, self.weights, strict=True))
        per_chunk = max(1, self.internal_batch_size // inputs.shape[0])
        for first in range(0, len(points), per_chunk):
            chunk = points[first : first + per_chunk]
            scaled = torch.cat([start + alpha * path for alpha, _ in chunk])
            gradient, _ = self._gradient(scaled, resolved.repeat(len(chunk)))
            for k, (_, weight) in enumerate(chunk):
                total += weight * gradient[k * inputs.shape[0] : (k + 1) * inputs.shape[0]]
        heatmap = total * path
        delta = None
        if return_delta:
            with torch.no_grad():
                at_start = self.model(start).gather(1, resolved[:, None])[:, 0]
            picked = logits.gather(1, resolved[:, None])[:, 0]
            delta = heatmap.flatten(1).sum(1) - (picked - at_start)
        return Attribution(heatmap=heatmap, logits=logits, target=resolved, delta=delta)


class DeconvNet:
    """The DeconvNet projection (Zeiler & Fergus 2014): a backward pass through transposed
    weights, with ReLU applied to the backward signal and max-unpooling by the forward switches.

    By default it projects the target logit (a unit signal, as captum's ``Deconvolution``); with
    ``neurons`` it projects the rectified activations of the selected neurons of one layer.
    """

    def __init__(self, model: nn.Module) -> None:
        self.network = Network(model)

    def attribute(
        self,
        inputs: Tensor,
        target: Target = None,
        *,
        layer: str | None = None,
        neurons: NeuronSelection | None = None,
    ) -> Attribution:
        with torch.no_grad():
            trace = forward(self.network, inputs.to(_device_of(self.network)))
        logits = trace.logits
        resolved = resolve_target(target, logits)
        if layer is None:
            signal = torch.zeros_like(logits).scatter_(1, resolved[:, None], 1.0)
            start = len(self.network.steps) - 1
        else:
            if neurons is None:
                raise RelexError("DeconvNet needs the neurons to project for a layer")
            masks = selection_masks(
                self.network, {layer: neurons}, batch_size=logits.shape[0], device=logits.device
            )
            start = next(i for i, s in enumerate(self.network.steps) if s.name == layer)
            activation = trace.outputs[start].clamp(min=0)
            mask = masks[layer]
            signal = activation * mask.reshape(*mask.shape, *([1] * (activation.ndim - 2)))
        with torch.no_grad():
            heatmap = self._project(trace, signal, start)
        return Attribution(heatmap=heatmap, logits=logits, target=resolved)

    def _project(self, trace: Trace, signal: Tensor, start: int) -> Tensor:
        """Walk the steps back from ``start``; signals meeting at a branch point add up."""
        pending = {start: signal}
        for position in reversed(range(start + 1)):
            if position not in pending:
                continue
            signal = pending.pop(position)
            step = self.network.steps[position]
            x = trace.inputs[position]
            if step.has_neurons:
                signal = LayerOps(step, x.shape).transpose(signal, step.weight)
            elif step.kind == "relu":
                signal = signal.clamp(min=0)
            elif step.kind == "maxpool":
                signal = unpool_max(signal, trace.pool_indices[position], x.shape)
            elif step.kind == "avgpool":
                signal = torch.func.vjp(step.module, x)[1](signal)[0]
            elif step.kind == "flatten":
                signal = signal.reshape(x.shape)
            for source in step.inputs:
                pending[source] = pending[source] + signal if source in pending else signal
        return pending[NETWORK_INPUT]
