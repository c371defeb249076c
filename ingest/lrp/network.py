"""A CNN as a flat sequence of steps that the LRP engine walks forwards and backwards.

Supported models are those whose forward pass is the sequence of their leaf modules, with a flatten
before the first linear layer (torchvision's VGGs, ``nn.Sequential`` CNNs). Batch normalisation
after a convolution is folded into it, as zennit's ``SequentialMergeBatchNorm`` canonizer does.
Weight layers are named like VGG's: ``conv{block}_{i}`` where a pooling layer closes a block, then
``fc{n}`` counting on from the blocks (VGG16: ``conv1_1`` ... ``conv5_3``, ``fc6``, ``fc7``,
``fc8``). The pseudo-layer ``input`` holds one neuron per colour channel.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Literal

import torch
from torch import nn

from ingest.errors import RelexError

StepKind = Literal["conv", "linear", "relu", "maxpool", "avgpool", "flatten", "identity"]
INPUT_LAYER = "input"

_KINDS: tuple[tuple[type[nn.Module] | tuple[type[nn.Module], ...], StepKind], ...] = (
    (nn.Conv2d, "conv"),
    (nn.Linear, "linear"),
    (nn.ReLU, "relu"),
    (nn.MaxPool2d, "maxpool"),
    ((nn.AvgPool2d, nn.AdaptiveAvgPool2d), "avgpool"),
    (nn.Flatten, "flatten"),
    ((nn.Dropout, nn.Identity), "identity"),
)


@dataclass(frozen=True)
class Step:
    """One leaf module of the network, with the name the graph uses for weight layers."""

    name: str
    kind: StepKind
    module: nn.Module

    @property
    def has_neurons(self) -> bool:
        return self.kind in ("conv", "linear")

    @property
    def weight(self) -> torch.Tensor:
        assert isinstance(self.module, nn.Conv2d | nn.Linear)
        return self.module.weight

    @property
    def bias(self) -> torch.Tensor | None:
        assert isinstance(self.module, nn.Conv2d | nn.Linear)
        return self.module.bias


@dataclass(frozen=True)
class LayerInfo:
    """A layer of neurons: the input pseudo-layer or a conv/linear layer."""

    name: str
    kind: Literal["input", "conv", "linear"]
    size: int
    depth: int


class Network(nn.Module):
    """The steps of a sequential CNN; ``.to(device)`` moves them with their (folded) weights."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        steps = _name_steps(_fold_batch_norms(_leaf_modules(model)))
        if not any(step.has_neurons for step in steps):
            raise RelexError("model has no convolutional or linear layer to explain")
        self.steps: tuple[Step, ...] = tuple(steps)
        self.modules_in_order = nn.ModuleList(step.module for step in steps)
        first = next(step for step in steps if step.has_neurons)
        layers = [LayerInfo(INPUT_LAYER, "input", first.weight.shape[1], 0)]
        for step in steps:
            if step.has_neurons:
                kind: Literal["conv", "linear"] = "conv" if step.kind == "conv" else "linear"
                layers.append(LayerInfo(step.name, kind, step.weight.shape[0], len(layers)))
        self.layers: tuple[LayerInfo, ...] = tuple(layers)

    @property
    def layer_names(self) -> tuple[str, ...]:
        return tuple(layer.name for layer in self.layers)

    def layer(self, name: str) -> LayerInfo:
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise RelexError(f"unknown layer {name!r}; layers: {', '.join(self.layer_names)}")

    @property
    def neuron_count(self) -> int:
        return sum(layer.size for layer in self.layers)


def _leaf_modules(model: nn.Module) -> list[nn.Module]:
    leaves = [module for module in model.modules() if not list(module.children())]
    for module in leaves:
        if isinstance(module, nn.Conv2d) and module.padding_mode != "zeros":
            raise RelexError(f"convolution {module} uses padding mode {module.padding_mode!r}")
    return leaves


def _fold_batch_norms(modules: list[nn.Module]) -> list[nn.Module]:
    folded: list[nn.Module] = []
    for module in modules:
        if isinstance(module, nn.BatchNorm2d):
            previous = folded[-1] if folded else None
            if not isinstance(previous, nn.Conv2d):
                raise RelexError("batch normalisation is supported only right after a convolution")
            folded[-1] = _fold(previous, module)
        else:
            folded.append(module)
    return folded


def _fold(conv: nn.Conv2d, norm: nn.BatchNorm2d) -> nn.Conv2d:
    """Merge ``norm`` into a copy of ``conv`` (eval-mode statistics)."""
    assert norm.running_mean is not None and norm.running_var is not None
    merged = copy.deepcopy(conv)
    scale = torch.rsqrt(norm.running_var + norm.eps)
    if norm.weight is not None:
        scale = scale * norm.weight
    bias = conv.bias if conv.bias is not None else torch.zeros_like(norm.running_mean)
    shift = (bias - norm.running_mean) * scale
    if norm.bias is not None:
        shift = shift + norm.bias
    with torch.no_grad():
        merged.weight.copy_(conv.weight * scale.view(-1, 1, 1, 1))
        merged.bias = nn.Parameter(shift.detach().clone())
    return merged


def _kind_of(module: nn.Module) -> StepKind:
    for types, kind in _KINDS:
        if isinstance(module, types):
            return kind
    raise RelexError(
        f"layer type {type(module).__name__} is not supported by the LRP engine; supported: "
        "Conv2d, Linear, ReLU, MaxPool2d, AvgPool2d, AdaptiveAvgPool2d, Flatten, Dropout, "
        "BatchNorm2d after Conv2d"
    )


def _name_steps(modules: list[nn.Module]) -> list[Step]:
    steps: list[Step] = []
    block, index_in_block, linear_count = 1, 0, 0
    counts: dict[str, int] = {}
    for module in modules:
        kind = _kind_of(module)
        if kind == "conv":
            index_in_block += 1
            name = f"conv{block}_{index_in_block}"
        elif kind == "linear":
            name = f"fc{block + linear_count}"
            linear_count += 1
        else:
            counts[kind] = counts.get(kind, 0) + 1
            name = f"{kind}{counts[kind]}"
        steps.append(Step(name, kind, module))
        if kind in ("maxpool", "avgpool") and not isinstance(module, nn.AdaptiveAvgPool2d):
            block, index_in_block = block + 1, 0
    return steps
