"""The LRP engine: one forward pass that keeps what the rules need, one backward pass of relevance.

Relevance flows (DESIGN.md). For a weight layer with rule parts ``(x_v, w_v)`` and term signals
``s = R / z'`` the message from upper neuron ``j`` to lower neuron ``i`` is
``M[i, j] = sum_v c_v * sum_positions x_v,i * w_v,ij * s_j``. For a convolution the position sum is
``sum_k w_v[j, i, k] * C_v[j, i, k]`` with ``C_v[j, i, k] = sum_p s_j(p) * x_v,i(p + k)``, which is
exactly the weight gradient of the convolution for output gradient ``s`` and input ``x_v``: one
``conv2d_weight`` call per part, the cost of about one forward convolution. Summing ``M`` over
``i`` gives the relevance that reached the lower layer, over ``j`` that of the upper neuron (up to
what biases and stabilisers absorb).

In a graph of steps (a ResNet) the lower layers of a weight layer are all those whose outputs
reach its input without another weight layer between; the message to each of them weights the
input by the share of relevance the additions hand on to that layer (:func:`origin_shares`), one
more ``conv2d_weight`` call per lower layer and part.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F
import torch.nn.grad
from torch import Tensor, nn

from relex.ingest.errors import RelexError
from relex.ingest.lrp.composites import Composite
from relex.ingest.lrp.network import INPUT_LAYER, NETWORK_INPUT, Network, Step
from relex.ingest.lrp.rules import PoolingRule, Rule, stabilise

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
    """Run the network step by step without in-place operations, keeping inputs and outputs.

    ``inputs[i]`` is the first input of step ``i``; an addition's inputs are the outputs of the
    steps it reads (see :func:`step_inputs`)."""
    stored_inputs: list[Tensor] = []
    outputs: list[Tensor] = []
    indices: dict[int, Tensor] = {}
    for position, step in enumerate(network.steps):
        args = [inputs if i == NETWORK_INPUT else outputs[i] for i in step.inputs]
        hidden = args[0]
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
        elif step.kind == "add":
            hidden = args[0] + args[1]
        outputs.append(hidden)
    return Trace(tuple(stored_inputs), tuple(outputs), indices)


def step_inputs(network: Network, trace: Trace, position: int) -> list[Tensor]:
    """The tensors step ``position`` read in the forward pass of ``trace``."""
    return [
        trace.inputs[0] if i == NETWORK_INPUT else trace.outputs[i]
        for i in network.steps[position].inputs
    ]


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

    The steps are visited in reverse topological order; relevance reaching a step's output from
    several consumers (a ResNet block's input feeds both branches) is summed. ``masks`` (layer
    name -> float mask of shape (1 or batch, neurons)) restricts the pass to the selected neurons
    of those layers. With ``flow_groups`` (a group id per image) the flows of every pair of
    connected weight layers are summed per group: shape (groups, lower, upper).
    """
    masks = masks or {}
    neuron_relevance: dict[str, Tensor] = {}
    flows: dict[tuple[str, str], Tensor] = {}
    first_weight = next(i for i, step in enumerate(network.steps) if step.has_neurons)
    sizes = {layer.name: layer.size for layer in network.layers}
    shares = origin_shares(network, composite, trace) if flow_groups is not None else {}
    pending: dict[int, Tensor] = {len(network.steps) - 1: relevance}
    for position in reversed(range(len(network.steps))):
        step = network.steps[position]
        if position not in pending:
            continue
        relevance = pending.pop(position)
        x, z = trace.inputs[position], trace.outputs[position]
        lowers: list[Tensor]
        if step.has_neurons:
            if step.name in masks:
                relevance = relevance * _broadcast(masks[step.name], relevance)
            neuron_relevance[step.name] = _per_neuron(relevance)
            rule = composite.rule_for(step.kind, is_first=position == first_weight)
            lower, layer_flows = _propagate_weight_layer(
                step,
                rule,
                x,
                z,
                relevance,
                flow_groups,
                flow_group_count,
                {name: (sizes[name], share) for name, share in shares.get(position, {}).items()},
            )
            lowers = [lower]
            flows.update({(name, step.name): flow for name, flow in layer_flows.items()})
        elif step.kind == "maxpool":
            lowers = [unpool_max(relevance, trace.pool_indices[position], x.shape)]
        elif step.kind == "avgpool":
            lowers = [_propagate_avgpool(step.module, composite.pooling, x, z, relevance)]
        elif step.kind == "flatten":
            lowers = [relevance.reshape(x.shape)]
        elif step.kind == "add":
            lowers = _propagate_addition(
                composite.addition, step_inputs(network, trace, position), z, relevance
            )
        else:
            lowers = [relevance]
        for source, lower in zip(step.inputs, lowers, strict=True):
            pending[source] = pending[source] + lower if source in pending else lower
    relevance = pending[NETWORK_INPUT]
    if INPUT_LAYER in masks:
        relevance = relevance * _broadcast(masks[INPUT_LAYER], relevance)
    neuron_relevance[INPUT_LAYER] = _per_neuron(relevance)
    bottom_up = dict(reversed(neuron_relevance.items()))
    return Relevance(relevance, bottom_up, dict(reversed(flows.items())))


Shares = dict[str, Tensor | None]
"""Per lower neuron layer, the fraction of the relevance at each position of a tensor that the
backward pass hands on to that layer's output; ``None`` means all of it."""


def origin_shares(network: Network, composite: Composite, trace: Trace) -> dict[int, Shares]:
    """For each weight step (by position), the shares of its input that reach each lower layer.

    Between two weight layers there are only steps that keep channels apart, so the message from
    upper neuron ``j`` to lower channel ``i`` is the relevance ``j`` sends to input channel ``i``,
    weighted position by position by these shares. A ReLU, a flatten and (as in a sequential CNN,
    where every share is whole) a pooling step pass them on; max-pooling picks them at the
    winning positions, and an addition multiplies each branch's by its fraction ``x_k / z`` of
    the sum (the addition rule), as average pooling does by ``pool(x * share) / z``."""
    at: dict[int, Shares] = {NETWORK_INPUT: {INPUT_LAYER: None}}
    result: dict[int, Shares] = {}
    consumers = {NETWORK_INPUT: 0} | {i: 0 for i in range(len(network.steps))}
    for step in network.steps:
        for source in step.inputs:
            consumers[source] += 1
    for position, step in enumerate(network.steps):
        incoming = [at[i] for i in step.inputs]
        x, z = trace.inputs[position], trace.outputs[position]
        if step.has_neurons:
            result[position] = incoming[0]
            at[position] = {step.name: None}
        elif step.kind == "flatten":
            at[position] = {
                k: None if v is None else v.reshape(z.shape) for k, v in incoming[0].items()
            }
        elif step.kind == "maxpool":
            index = trace.pool_indices[position].flatten(2)
            at[position] = {
                k: None if v is None else v.flatten(2).gather(2, index).reshape(z.shape)
                for k, v in incoming[0].items()
            }
        elif step.kind == "avgpool":
            denominator = _denominator(z, composite.pooling.stabiliser)
            at[position] = {
                k: None if v is None else _divide(step.module(x * v), denominator)
                for k, v in incoming[0].items()
            }
        elif step.kind == "add":
            denominator = _denominator(z, composite.addition.stabiliser)
            combined: Shares = {}
            for branch, branch_shares in zip(
                step_inputs(network, trace, position), incoming, strict=True
            ):
                fraction = _divide(branch, denominator)
                for k, v in branch_shares.items():
                    share = fraction if v is None else fraction * v
                    previous = combined.get(k)
                    combined[k] = share if previous is None else previous + share
            at[position] = combined
        else:
            at[position] = incoming[0]
        for source in step.inputs:
            consumers[source] -= 1
            if not consumers[source]:
                del at[source]
    return result


def _denominator(z: Tensor, stabiliser: float | None) -> Tensor:
    return z if stabiliser is None else stabilise(z, stabiliser)


def _divide(numerator: Tensor, denominator: Tensor) -> Tensor:
    """``numerator / denominator``, 0 where the denominator is 0 (unstabilised rules)."""
    return torch.where(denominator != 0, numerator / denominator, 0.0)


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
    lower_layers: Mapping[str, tuple[int, Tensor | None]],
) -> tuple[Tensor, dict[str, Tensor]]:
    """The relevance at the layer's input and, with ``flow_groups``, its flows to each lower
    layer (name -> (size, shares of the input that reach it))."""
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
        return lower, {}
    upper_size = relevance.shape[1]
    flows: dict[str, Tensor] = {}
    for name, (lower_size, share) in lower_layers.items():
        flow = torch.zeros(flow_group_count, lower_size, upper_size, device=x.device, dtype=x.dtype)
        for group in range(flow_group_count):
            members = (flow_groups == group).nonzero().flatten()
            if members.numel() == 0:
                continue
            whole_batch = members.numel() == flow_groups.numel()
            for factor, inp, weight, signal in pieces:
                if share is not None:
                    inp = inp * share
                if not whole_batch:
                    inp, signal = inp[members], signal[members]
                flow[group].add_(ops.flow(inp, signal, weight, lower_size), alpha=factor)
        flows[name] = flow
    return lower, flows


def _propagate_addition(
    rule: PoolingRule, branches: Sequence[Tensor], z: Tensor, relevance: Tensor
) -> list[Tensor]:
    """Split the relevance of a sum among its inputs in proportion to their contributions
    ``x_k * R / stabilise(z)`` (zennit's ``Sum`` with the Norm rule); without a stabiliser the
    shares ``x_k * R`` are rescaled together to keep the L1 mass (relative LRP)."""
    if rule.stabiliser is not None:
        signal = relevance / stabilise(z, rule.stabiliser)
        return [branch * signal for branch in branches]
    shares = [branch * relevance for branch in branches]
    mass = sum(share.flatten(1).abs().sum(1) for share in shares)
    upper = relevance.flatten(1).abs().sum(1)
    assert isinstance(mass, Tensor)
    ratio = torch.where(mass > 0, upper / mass.clamp(min=1e-38), 0.0)
    return [share * ratio.reshape(-1, *([1] * (share.ndim - 1))) for share in shares]


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
