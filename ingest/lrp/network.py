"""A CNN as a graph of steps that the LRP engine walks forwards and backwards.

Each step is one operation reading the outputs of earlier steps (``inputs``: their positions,
``-1`` for the network input); the steps are in topological order. Two kinds of model are
supported:

- sequential CNNs, whose forward pass is the sequence of their leaf modules with a flatten before
  the first linear layer (torchvision's VGGs, ``nn.Sequential`` CNNs). Weight layers are named like
  VGG's: ``conv{block}_{i}`` where a pooling layer closes a block, then ``fc{n}`` counting on from
  the blocks (VGG16: ``conv1_1`` ... ``conv5_3``, ``fc6``, ``fc7``, ``fc8``);
- torchvision's ResNets (BasicBlock and Bottleneck), walked block by block. Weight layers keep
  their module names (``conv1``, ``layer3.1.conv2``, ``layer3.1.downsample``, ``fc``) and each
  residual addition is an ``add`` step (``layer3.1.add``), as zennit's ``ResNetCanonizer`` makes
  it a ``Sum`` module.

Batch normalisation after a convolution is folded into it (downsample branches too), as zennit's
``SequentialMergeBatchNorm`` canonizer does. The pseudo-layer ``input`` holds one neuron per
colour channel. A neuron layer's *lower layers* are the neuron layers whose outputs reach its input
through steps without weights (ReLU, pooling, flatten, additions): one for a sequential CNN; after
a residual addition both the branch's last conv and the layers behind the skip connection.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

import torch
from torch import nn
from torchvision.models.resnet import BasicBlock, Bottleneck, ResNet

from relex.ingest.errors import RelexError

StepKind = Literal["conv", "linear", "relu", "maxpool", "avgpool", "flatten", "identity", "add"]
INPUT_LAYER = "input"
NETWORK_INPUT = -1
"""The position ``Step.inputs`` uses for the network's input."""

_KINDS: tuple[tuple[type[nn.Module] | tuple[type[nn.Module], ...], StepKind], ...] = (
    (nn.Conv2d, "conv"),
    (nn.Linear, "linear"),
    (nn.ReLU, "relu"),
    (nn.MaxPool2d, "maxpool"),
    ((nn.AvgPool2d, nn.AdaptiveAvgPool2d), "avgpool"),
    (nn.Flatten, "flatten"),
    ((nn.Dropout, nn.Identity), "identity"),
)
_SUPPORTED = (
    "Conv2d, Linear, ReLU, MaxPool2d, AvgPool2d, AdaptiveAvgPool2d, Flatten, Dropout, Identity, "
    "BatchNorm2d after Conv2d, and torchvision's ResNet with BasicBlock or Bottleneck blocks"
)


class Addition(nn.Module):
    """The residual addition of a ResNet block: the sum of its two inputs."""

    def forward(self, left: torch.Tensor, right: torch.Tensor) -> torch.Tensor:
        return left + right


@dataclass(frozen=True)
class Step:
    """One operation of the network, with the name the graph uses for weight layers."""

    name: str
    kind: StepKind
    module: nn.Module
    inputs: tuple[int, ...]

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
    """A layer of neurons: the input pseudo-layer or a conv/linear layer.

    ``depth`` is its index in topological order; ``lower`` names the layers it reads from (see
    the module docstring), empty for the input."""

    name: str
    kind: Literal["input", "conv", "linear"]
    size: int
    depth: int
    lower: tuple[str, ...] = ()


class Network(nn.Module):
    """The steps of a CNN; ``.to(device)`` moves them with their (folded) weights."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        steps = _resnet_steps(model) if isinstance(model, ResNet) else _sequential_steps(model)
        if not any(step.has_neurons for step in steps):
            raise RelexError("model has no convolutional or linear layer to explain")
        self.steps: tuple[Step, ...] = tuple(steps)
        self.modules_in_order = nn.ModuleList(step.module for step in steps)
        first = next(step for step in steps if step.has_neurons)
        layers = [LayerInfo(INPUT_LAYER, "input", first.weight.shape[1], 0)]
        sources: dict[int, tuple[str, ...]] = {NETWORK_INPUT: (INPUT_LAYER,)}
        for position, step in enumerate(steps):
            feeding = tuple(dict.fromkeys(name for i in step.inputs for name in sources[i]))
            if step.has_neurons:
                kind: Literal["conv", "linear"] = "conv" if step.kind == "conv" else "linear"
                size = step.weight.shape[0]
                layers.append(LayerInfo(step.name, kind, size, len(layers), feeding))
                sources[position] = (step.name,)
            else:
                sources[position] = feeding
        self.layers: tuple[LayerInfo, ...] = tuple(layers)

    @property
    def layer_names(self) -> tuple[str, ...]:
        return tuple(layer.name for layer in self.layers)

    @property
    def connections(self) -> tuple[tuple[str, str], ...]:
        """Every (lower, upper) pair of connected neuron layers, bottom up."""
        return tuple((lower, layer.name) for layer in self.layers for lower in layer.lower)

    def layer(self, name: str) -> LayerInfo:
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise RelexError(f"unknown layer {name!r}; layers: {', '.join(self.layer_names)}")

    @property
    def neuron_count(self) -> int:
        return sum(layer.size for layer in self.layers)


def _sequential_steps(model: nn.Module) -> list[Step]:
    leaves = list(_leaf_modules(model))
    kinds = [(name, _kind_of(name, module), module) for name, module in leaves]
    folded = _fold_batch_norms(kinds)
    return _name_steps(folded)


def _leaf_modules(model: nn.Module) -> Iterator[tuple[str, nn.Module]]:
    for name, module in model.named_modules():
        if isinstance(module, BasicBlock | Bottleneck):
            raise RelexError(
                f"module {name} ({type(module).__name__}) is a residual block outside a "
                "torchvision ResNet, which the LRP engine does not support"
            )
        if list(module.children()):
            continue
        if isinstance(module, nn.Conv2d) and module.padding_mode != "zeros":
            raise RelexError(f"convolution {name} uses padding mode {module.padding_mode!r}")
        yield name or type(module).__name__, module


def _kind_of(name: str, module: nn.Module) -> StepKind | None:
    """The step kind of a leaf module; ``None`` for a batch norm (folded into its conv)."""
    if isinstance(module, nn.BatchNorm2d):
        return None
    for types, kind in _KINDS:
        if isinstance(module, types):
            return kind
    raise RelexError(
        f"module {name} of type {type(module).__name__} is not supported by the LRP engine; "
        f"supported: {_SUPPORTED}"
    )


def _fold_batch_norms(
    modules: list[tuple[str, StepKind | None, nn.Module]],
) -> list[tuple[StepKind, nn.Module]]:
    folded: list[tuple[StepKind, nn.Module]] = []
    for name, kind, module in modules:
        if kind is None:
            assert isinstance(module, nn.BatchNorm2d)
            previous = folded[-1][1] if folded else None
            if not isinstance(previous, nn.Conv2d):
                raise RelexError(
                    f"batch normalisation {name} is supported only right after a convolution"
                )
            folded[-1] = ("conv", _fold(previous, module))
        else:
            folded.append((kind, module))
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


def _name_steps(modules: list[tuple[StepKind, nn.Module]]) -> list[Step]:
    steps: list[Step] = []
    block, index_in_block, linear_count = 1, 0, 0
    counts: dict[str, int] = {}
    for kind, module in modules:
        if kind == "conv":
            index_in_block += 1
            name = f"conv{block}_{index_in_block}"
        elif kind == "linear":
            name = f"fc{block + linear_count}"
            linear_count += 1
        else:
            counts[kind] = counts.get(kind, 0) + 1
            name = f"{kind}{counts[kind]}"
        steps.append(Step(name, kind, module, (len(steps) - 1,)))
        if kind in ("maxpool", "avgpool") and not isinstance(module, nn.AdaptiveAvgPool2d):
            block, index_in_block = block + 1, 0
    return steps


class _Builder:
    """Appends the steps of a ResNet in topological order, checking each module's type."""

    def __init__(self) -> None:
        self.steps: list[Step] = []

    def add(self, name: str, kind: StepKind, module: object, *inputs: int) -> int:
        if not isinstance(module, nn.Module):
            raise RelexError(f"module {name} is missing")
        expected = dict(_KINDS_BY_NAME)[kind]
        if not isinstance(module, expected):
            raise RelexError(
                f"module {name} of type {type(module).__name__} is not supported by the LRP engine "
                f"in a ResNet (expected {expected.__name__}); supported: {_SUPPORTED}"
            )
        self.steps.append(Step(name, kind, module, inputs))
        return len(self.steps) - 1

    def conv_norm(self, name: str, conv: object, norm: object, source: int) -> int:
        """A convolution with its batch norm folded in."""
        self.add(name, "conv", conv, source)
        if not isinstance(norm, nn.BatchNorm2d):
            raise RelexError(
                f"module after {name} of type {type(norm).__name__} is not supported by the LRP "
                "engine in a ResNet (expected BatchNorm2d)"
            )
        assert isinstance(conv, nn.Conv2d)
        if conv.padding_mode != "zeros":
            raise RelexError(f"convolution {name} uses padding mode {conv.padding_mode!r}")
        step = self.steps[-1]
        self.steps[-1] = Step(name, "conv", _fold(conv, norm), step.inputs)
        return len(self.steps) - 1


_KINDS_BY_NAME: tuple[tuple[StepKind, type[nn.Module]], ...] = (
    ("conv", nn.Conv2d),
    ("linear", nn.Linear),
    ("relu", nn.ReLU),
    ("maxpool", nn.MaxPool2d),
    ("avgpool", nn.AdaptiveAvgPool2d),
    ("flatten", nn.Flatten),
    ("add", Addition),
)
_RESNET_CHILDREN = ("conv1", "bn1", "relu", "maxpool", "layer1", "layer2", "layer3", "layer4")


def _resnet_steps(model: ResNet) -> list[Step]:
    for name, child in model.named_children():
        if name not in (*_RESNET_CHILDREN, "avgpool", "fc"):
            raise RelexError(
                f"module {name} of type {type(child).__name__} is not part of a torchvision "
                "ResNet and is not supported by the LRP engine"
            )
    graph = _Builder()
    hidden = graph.conv_norm("conv1", model.conv1, model.bn1, NETWORK_INPUT)
    hidden = graph.add("relu", "relu", model.relu, hidden)
    hidden = graph.add("maxpool", "maxpool", model.maxpool, hidden)
    for stage in ("layer1", "layer2", "layer3", "layer4"):
        blocks = getattr(model, stage)
        for index, block in enumerate(blocks):
            hidden = _block_steps(graph, f"{stage}.{index}", block, hidden)
    hidden = graph.add("avgpool", "avgpool", model.avgpool, hidden)
    hidden = graph.add("flatten", "flatten", nn.Flatten(), hidden)
    graph.add("fc", "linear", model.fc, hidden)
    return graph.steps


def _block_steps(graph: _Builder, prefix: str, block: nn.Module, source: int) -> int:
    """The steps of one residual block reading step ``source``; returns its output step."""
    if not isinstance(block, BasicBlock | Bottleneck):
        raise RelexError(
            f"module {prefix} of type {type(block).__name__} is not supported by the LRP engine "
            "(a ResNet stage may hold only BasicBlock or Bottleneck blocks)"
        )
    depth = 2 if isinstance(block, BasicBlock) else 3
    hidden = source
    for k in range(1, depth + 1):
        conv, norm = getattr(block, f"conv{k}"), getattr(block, f"bn{k}")
        hidden = graph.conv_norm(f"{prefix}.conv{k}", conv, norm, hidden)
        if k < depth:
            hidden = graph.add(f"{prefix}.relu{k}", "relu", block.relu, hidden)
    shortcut = source
    if block.downsample is not None:
        parts = list(block.downsample.children())
        if len(parts) != 2:
            raise RelexError(
                f"module {prefix}.downsample must be a convolution and a batch norm, "
                f"it has {len(parts)} modules"
            )
        shortcut = graph.conv_norm(f"{prefix}.downsample", parts[0], parts[1], source)
    added = graph.add(f"{prefix}.add", "add", Addition(), shortcut, hidden)
    return graph.add(f"{prefix}.relu", "relu", block.relu, added)
