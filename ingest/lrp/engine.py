"""The LRP engine: one forward pass that keeps what the rules need, one backward pass of relevance.

Relevance flows (DESIGN.md). For a weight layer with rule parts ``(x_v, w_v)`` and term signals
``s = R / z'`` the message from upper neuron ``j`` to lower neuron ``i`` is
``M[i, j] = sum_v c_v * sum_positions x_v,i * w_v,ij * s_j``. For a convolution the position sum is
``sum_k w_v[j, i, k] * C_v[j, i, k]`` with ``C_v[j, i, k] = sum_p s_j(p) * x_v,i(p + k)``, which is
exactly the weight gradient of the convolution for output gradient ``s`` and input ``x_v``: one
``conv2d_weight`` call per part, the cost of about one forward convolution. Summing ``M`` over
``i`` gives the relevance that reached the lower layer, over ``j`` that of the upper neuron (up to
what biases and stabilisers absorb).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F
import torch.nn.grad
from torch import Tensor, nn

from ingest.errors import RelexError
from ingest.lrp.composites import Composite
from ingest.lrp.network import INPUT_LAYER, Network, Step
from ingest.lrp.rules import PoolingRule, Rule, stabilise

NeuronSelection = Sequence[int] | Tensor
"""Neurons of one layer: indices, or a (n,) / (batch, n) boolean or float mask."""


@dataclass(frozen=True)
class Trace:
    """What a forward pass leaves for the backward pass: each step's input and output."""

    inputs: tuple[Tensor, ...]
    outputs: tuple[Tensor, ...]
    pool_indices: Mapping[int, Tensor]

    @property
    def logits(self) -> Tensor:
        return self.outputs[-1]


@dataclass(frozen=True)
class Relevance:
    """The result of one backward pass of relevance."""

    heatmap: Tensor
    neuron_relevance: Mapping[str, Tensor]
    flows: Mapping[tuple[str, str], Tensor]


def forward(network: Network, inputs: Tensor) -> Trace:
    """Run the network step by step without in-place operations, keeping inputs and outputs."""
    stored_inputs: list[Tensor] = []
    outputs: list[Tensor] = []
    indices: dict[int, Tensor] = {}
    hidden = inputs
    for position, step in enumerate(network.steps):
        stored_inputs.append(hidden)
        module = step.module
        if step.kind == "conv":
            hidden = _conv(step.module, hidden, step.weight, step.bias)
        elif step.kind == "linear":
            hidden = F.linear(hidden.flatten(1), step.weight, step.bias)
        elif step.kind == "relu":
            hidden = F.relu(hidden)
        elif step.kind == "maxpool":
            assert isinstance(module, nn.MaxPool2d)
            hidden, indices[position] = F.max_pool2d(
                hidden,
                module.kernel_size,
                module.stride,
                module.padding,
                module.dilation,
                ceil_mode=module.ceil_mode,
                return_indices=True,
            )
        elif step.kind in ("avgpool", "flatten"):
            hidden = module(hidden)
        outputs.append(hidden)
    return Trace(tuple(stored_inputs), tuple(outputs), indices)


def output_relevance(logits: Tensor, target: Tensor) -> Tensor:
    """Relevance at the output: the target logit, zero elsewhere (Bach et al. 2015)."""
    picked = logits.gather(1, target[:, None])
    return torch.zeros_like(logits).scatter_(1, target[:, None], picked)


def propagate(
    network: Network,
    composite: Composite,
    trace: Trace,
    relevance: Tensor,
    *,
    masks: Mapping[str, Tensor] | None = None,
    flow_groups: Tensor | None = None,
    flow_group_count: int = 0,
) -> Relevance:
    """Propagate ``relevance`` (at the network output) down to the input.

    ``masks`` (layer name -> float mask of shape (1 or batch, neurons)) restricts the pass to the
    selected neurons of those layers. With ``flow_groups`` (a group id per image) the flows of
    every pair of consecutive weight layers are summed per group: shape (groups, lower, upper).
    """
    masks = masks or {}
    neuron_relevance: dict[str, Tensor] = {}
    flows: dict[tuple[str, str], Tensor] = {}
    weight_positions = [i for i, step in enumerate(network.steps) if step.has_neurons]
    lower_layer = {
        position: network.steps[weight_positions[k - 1]].name if k else INPUT_LAYER
        for k, position in enumerate(weight_positions)
    }
    lower_size = {layer.name: layer.size for layer in network.layers}
    for position in reversed(range(len(network.steps))):
        step = network.steps[position]
        x, z = trace.inputs[position], trace.outputs[position]
        if step.has_neurons:
            if step.name in masks:
                relevance = relevance * _broadcast(masks[step.name], relevance)
            neuron_relevance[step.name] = _per_neuron(relevance)
            rule = composite.rule_for(step.kind, is_first=position == weight_positions[0])
            lower = lower_layer[position]
            relevance, flow = _propagate_weight_layer(
                step,
                rule,
                x,
                z,
                relevance,
                flow_groups,
                flow_group_count,
                lower_size[lower],
            )
            if flow is not None:
                flows[(lower, step.name)] = flow
        elif step.kind == "maxpool":
            relevance = unpool_max(relevance, trace.pool_indices[position], x.shape)
        elif step.kind == "avgpool":
            relevance = _propagate_avgpool(step.module, composite.pooling, x, z, relevance)
        elif step.kind == "flatten":
            relevance = relevance.reshape(x.shape)
    if INPUT_LAYER in masks:
        relevance = relevance * _broadcast(masks[INPUT_LAYER], relevance)
    neuron_relevance[INPUT_LAYER] = _per_neuron(relevance)
    bottom_up = dict(reversed(neuron_relevance.items()))
    return Relevance(relevance, bottom_up, dict(reversed(flows.items())))


def selection_masks(
    network: Network,
    selection: Mapping[str, NeuronSelection],
    *,
    batch_size: int,
    device: torch.device,
) -> dict[str, Tensor]:
    """Turn ``layer -> neurons`` into float masks, with clear errors for unknown layers/neurons."""
    masks: dict[str, Tensor] = {}
    for layer_name, neurons in selection.items():
        size = network.layer(layer_name).size
        if isinstance(neurons, Tensor) and neurons.dtype != torch.long:
            mask = neurons.to(device=device, dtype=torch.float32)
            if mask.shape[-1] != size or mask.ndim > 2 or mask.shape[0] not in (1, batch_size):
                raise RelexError(
                    f"mask for layer {layer_name} has shape {tuple(mask.shape)}; expected "
                    f"({size},) or ({batch_size}, {size})"
                )
            masks[layer_name] = mask.reshape(-1, size)
            continue
        index = torch.as_tensor(neurons, dtype=torch.long, device=device).reshape(-1)
        if index.numel() and (int(index.min()) < 0 or int(index.max()) >= size):
            raise RelexError(
                f"neuron index out of range for layer {layer_name} ({size} neurons): "
                f"{index.tolist()[:8]}"
            )
        mask = torch.zeros(1, size, device=device)
        mask[0, index] = 1.0
        masks[layer_name] = mask
    return masks


def _conv(module: nn.Module, x: Tensor, weight: Tensor, bias: Tensor | None) -> Tensor:
    assert isinstance(module, nn.Conv2d)
    return F.conv2d(x, weight, bias, module.stride, module.padding, module.dilation, module.groups)


def _per_neuron(relevance: Tensor) -> Tensor:
    return relevance.flatten(2).sum(2) if relevance.ndim > 2 else relevance


def _broadcast(mask: Tensor, relevance: Tensor) -> Tensor:
    return mask.reshape(*mask.shape, *([1] * (relevance.ndim - 2)))


def _l1_ratio(upper: Tensor, lower: Tensor) -> Tensor:
    """Per image ``||upper||_1 / ||lower||_1`` (0 where ``lower`` is all zero), shaped as it."""
    upper_mass = upper.flatten(1).abs().sum(1)
    lower_mass = lower.flatten(1).abs().sum(1)
    ratio = torch.where(lower_mass > 0, upper_mass / lower_mass.clamp(min=1e-38), 0.0)
    return ratio.reshape(-1, *([1] * (lower.ndim - 1)))


class LayerOps:
    """Forward, transpose and flow of a conv or linear layer for modified inputs and weights."""

    def __init__(self, step: Step, input_shape: torch.Size) -> None:
        self.step = step
        self.input_shape = input_shape

    def forward(self, x: Tensor, weight: Tensor, bias: Tensor | None) -> Tensor:
        if self.step.kind == "conv":
            return _conv(self.step.module, x, weight, bias)
        return F.linear(x.flatten(1), weight, bias)

    def transpose(self, signal: Tensor, weight: Tensor) -> Tensor:
        if self.step.kind == "conv":
            module = self.step.module
            assert isinstance(module, nn.Conv2d)
            return torch.nn.grad.conv2d_input(
                self.input_shape,
                weight,
                signal,
                module.stride,
                module.padding,
                module.dilation,
                module.groups,
            )
        return (signal @ weight).reshape(self.input_shape)

    def flow(self, x: Tensor, signal: Tensor, weight: Tensor, lower_size: int) -> Tensor:
        """``M[i, j]`` summed over the images of ``x``: shape (lower_size, upper neurons)."""
        if self.step.kind == "conv":
            module = self.step.module
            assert isinstance(module, nn.Conv2d)
            if module.groups != 1:
                raise RelexError(f"relevance flows of grouped convolution {self.step.name}")
            correlation = torch.nn.grad.conv2d_weight(
                x, weight.shape, signal, module.stride, module.padding, module.dilation
            )
            return (weight * correlation).sum((2, 3)).T
        flat = x.flatten(1)
        per_neuron = flat.shape[1] // lower_size
        if per_neuron == 1:
            return (flat.T @ signal) * weight.T
        grouped = flat.reshape(flat.shape[0], lower_size, per_neuron)
        contributions = torch.einsum(
            "bcp,jcp->bcj", grouped, weight.reshape(-1, lower_size, per_neuron)
        )
        return torch.einsum("bcj,bj->cj", contributions, signal)


def _propagate_weight_layer(
    step: Step,
    rule: Rule,
    x: Tensor,
    z: Tensor,
    relevance: Tensor,
    flow_groups: Tensor | None,
    flow_group_count: int,
    lower_size: int,
) -> tuple[Tensor, Tensor | None]:
    ops = LayerOps(step, x.shape)
    nonnegative = bool((x >= 0).all())
    pieces: list[tuple[float, Tensor, Tensor, Tensor]] = []
    for term in rule.terms(step.weight, step.bias):
        gated = relevance if term.gate is None else torch.where(term.gate(z), relevance, 0.0)
        if term.gate is not None and not bool(gated.any()):
            continue
        parts = [p for p in term.parts if not (nonnegative and p.input_sign == "negative")]
        modified = [
            x if nonnegative and part.input_sign == "positive" else part.input_modifier(x)
            for part in parts
        ]
        if term.stabiliser is None:
            signal = gated
        else:
            denominator = sum(
                part.sign * (z if part.is_forward else ops.forward(inp, part.weight, part.bias))
                for part, inp in zip(parts, modified, strict=True)
            )
            signal = gated / stabilise(torch.as_tensor(denominator), term.stabiliser)
        pieces += [
            (term.coefficient * part.sign, inp, part.weight, signal)
            for part, inp in zip(parts, modified, strict=True)
        ]
    lower: Tensor | None = None
    for factor, inp, weight, signal in pieces:
        contribution = ops.transpose(signal, weight).mul_(inp)
        if factor != 1.0:
            contribution.mul_(factor)
        lower = contribution if lower is None else lower.add_(contribution)
    if lower is None:
        lower = torch.zeros_like(x)
    if rule.rescale_layer:
        ratio = _l1_ratio(relevance, lower)
        lower = lower * ratio
        signal_ratio = ratio.reshape(-1, *([1] * (relevance.ndim - 1)))
        pieces = [(f, inp, w, signal * signal_ratio) for f, inp, w, signal in pieces]
    if flow_groups is None:
        return lower, None
    upper_size = relevance.shape[1]
    flow = torch.zeros(flow_group_count, lower_size, upper_size, device=x.device, dtype=x.dtype)
    for group in range(flow_group_count):
        members = (flow_groups == group).nonzero().flatten()
        if members.numel() == 0:
            continue
        whole_batch = members.numel() == flow_groups.numel()
        for factor, inp, weight, signal in pieces:
            if not whole_batch:
                inp, signal = inp[members], signal[members]
            flow[group].add_(ops.flow(inp, signal, weight, lower_size), alpha=factor)
    return lower, flow


def unpool_max(relevance: Tensor, indices: Tensor, input_shape: torch.Size) -> Tensor:
    """Route each pooled relevance to the position that won the max (the gradient of max-pool)."""
    batch, channels = relevance.shape[:2]
    lower = relevance.new_zeros(batch, channels, input_shape[2] * input_shape[3])
    lower.scatter_add_(2, indices.flatten(2), relevance.flatten(2))
    return lower.reshape(input_shape)


def _propagate_avgpool(
    module: nn.Module, rule: PoolingRule, x: Tensor, z: Tensor, relevance: Tensor
) -> Tensor:
    transpose = torch.func.vjp(module, x)[1]
    if rule.stabiliser is None:
        lower = x * transpose(relevance)[0]
        return lower * _l1_ratio(relevance, lower)
    return x * transpose(relevance / stabilise(z, rule.stabiliser))[0]
