"""Neuron selection: the heatmap of a selected subgraph and how far it is from the full heatmap.

Restricting the LRP backward pass to some neurons of some layers gives the *conditional* heatmap of
that subgraph (the relevance that flows through the selected neurons only). Keeping the top-k
neurons of every hidden layer and growing k traces how few neurons reproduce the full heatmap,
measured by the mean squared error and the symmetric mean absolute percentage error (SMAPE,
Makridakis 1993). Conditional relevance is that of Concept Relevance Propagation (Achtibat et al.
2023, zennit-crp); here a selection may span several layers at once.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import torch
from torch import Tensor

from relex.ingest.errors import RelexError
from relex.ingest.lrp import INPUT_LAYER, LRP, Attribution
from relex.ingest.lrp.engine import Trace
from relex.ingest.lrp.methods import Target

SelectionMetric = Literal["mse", "smape"]
METRICS: tuple[SelectionMetric, ...] = ("mse", "smape")


def mse(a: Tensor, b: Tensor) -> float:
    """Mean squared error ``(1/n) * sum_i (a_i - b_i)^2`` over all ``n`` elements (float64)."""
    _check_same_shape(a, b)
    difference = a.detach().double() - b.detach().double()
    return float(difference.pow(2).mean())


def smape(a: Tensor, b: Tensor) -> float:
    """Symmetric mean absolute percentage error, in percent (0 to 200).

    ``(100/n) * sum_i |a_i - b_i| / ((|a_i| + |b_i|) / 2)`` over all ``n`` elements. A term with
    ``a_i = b_i = 0`` (0/0) counts as 0: both maps agree there exactly. Symmetric in ``a``, ``b``.
    """
    _check_same_shape(a, b)
    a64, b64 = a.detach().double(), b.detach().double()
    scale = (a64.abs() + b64.abs()) / 2
    difference = (a64 - b64).abs()
    terms = torch.where(scale > 0, difference / scale.clamp(min=torch.finfo(scale.dtype).tiny), 0)
    return float(100 * terms.mean())


def _check_same_shape(a: Tensor, b: Tensor) -> None:
    if a.shape != b.shape:
        raise RelexError(f"heatmaps of different shapes: {tuple(a.shape)} and {tuple(b.shape)}")
    if a.numel() == 0:
        raise RelexError("empty heatmaps have no error")


@dataclass(frozen=True)
class SubgraphHeatmap:
    """The conditional heatmap of a selected subgraph beside the full one, and their distance.

    ``mse`` and ``smape`` compare ``heatmap`` with ``full`` (see :func:`mse`, :func:`smape`) over
    the whole batch; ``neurons_kept`` counts the selected neurons over all restricted layers.
    """

    heatmap: Tensor
    full: Tensor
    target: Tensor
    neurons: Mapping[str, tuple[int, ...]]
    neurons_kept: int
    mse: float
    smape: float


def conditional_heatmap(
    lrp: LRP,
    inputs: Tensor,
    target: Target,
    neurons: Mapping[str, Sequence[int]],
    *,
    trace: Trace | None = None,
) -> SubgraphHeatmap:
    """The heatmap of the subgraph ``neurons`` (layer name -> neuron indices; every listed layer is
    restricted to its indices, an empty list keeps none) and the full heatmap of ``target``.

    ``trace`` (from ``lrp.trace(inputs)``) saves the forward pass when it is reused.
    """
    trace = trace or lrp.trace(inputs)
    full = lrp.attribute(inputs, target, trace=trace)
    return compare_with_full(lrp, inputs, full, neurons, trace)


def compare_with_full(
    lrp: LRP,
    inputs: Tensor,
    full: Attribution,
    neurons: Mapping[str, Sequence[int]],
    trace: Trace,
) -> SubgraphHeatmap:
    """The subgraph heatmap of ``neurons`` beside ``full``, the full attribution already made
    from ``trace`` (so a caller that keeps both pays one conditional backward pass)."""
    selection = {layer: tuple(int(i) for i in indices) for layer, indices in neurons.items()}
    conditional = lrp.attribute(inputs, full.target, neurons=selection, trace=trace)
    return SubgraphHeatmap(
        heatmap=conditional.heatmap,
        full=full.heatmap,
        target=full.target,
        neurons=selection,
        neurons_kept=sum(len(set(indices)) for indices in selection.values()),
        mse=mse(conditional.heatmap, full.heatmap),
        smape=smape(conditional.heatmap, full.heatmap),
    )


def hidden_layers(lrp: LRP) -> tuple[str, ...]:
    """The layers a selection restricts by default: every weight layer but the output layer."""
    return tuple(name for name in lrp.network.layer_names if name != INPUT_LAYER)[:-1]


def top_neurons_per_layer(
    attribution: Attribution, k: int, *, layers: Iterable[str] | None = None
) -> dict[str, list[int]]:
    """The ``k`` most relevant neurons of each layer (all of them where a layer has fewer).

    Neurons are ranked by their relevance summed over the batch, largest first, ties by the smaller
    index (the order of the graph's RELEVANT ranks). ``layers`` defaults to every layer of
    ``attribution.neuron_relevance`` but the input pseudo-layer.
    """
    if k < 0:
        raise RelexError(f"k must be at least 0, got {k}")
    names = (
        [n for n in attribution.neuron_relevance if n != INPUT_LAYER] if layers is None else layers
    )
    chosen: dict[str, list[int]] = {}
    for name in names:
        if name not in attribution.neuron_relevance:
            known = ", ".join(attribution.neuron_relevance)
            raise RelexError(f"no relevance for layer {name!r}; layers: {known}")
        total = attribution.neuron_relevance[name].detach().double().sum(0).cpu()
        order = sorted(range(len(total)), key=lambda i: (-float(total[i]), i))
        chosen[name] = order[:k]
    return chosen


@dataclass(frozen=True)
class SelectionPoint:
    """One point of a selection curve: top-``k`` per layer keeps ``neurons_kept`` neurons."""

    k: int
    neurons_kept: int
    mse: float
    smape: float


@dataclass(frozen=True)
class SelectionResult:
    """The selection curve over growing ``k`` and the smallest ``k`` whose ``metric`` is at most
    ``threshold`` (``chosen_k`` and ``chosen_neurons`` are None when no ``k`` reaches it)."""

    points: tuple[SelectionPoint, ...]
    metric: SelectionMetric
    threshold: float
    layers: tuple[str, ...]
    chosen_k: int | None
    chosen_neurons: Mapping[str, list[int]] | None


def selection_curve(
    lrp: LRP,
    inputs: Tensor,
    target: Target,
    *,
    ks: Iterable[int],
    metric: SelectionMetric = "mse",
    threshold: float,
    layers: Sequence[str] | None = None,
) -> SelectionResult:
    """Keep the top-``k`` neurons of every layer in ``layers`` (default: :func:`hidden_layers`)
    for each ``k`` in ``ks`` (sorted, duplicates dropped) and measure the conditional heatmap
    against the full one. One forward pass serves every ``k``."""
    if metric not in METRICS:
        raise RelexError(f"unknown selection metric {metric!r}; known: {', '.join(METRICS)}")
    if not threshold >= 0:
        raise RelexError(f"the threshold must be a number at least 0, got {threshold}")
    steps = sorted(set(ks))
    if not steps:
        raise RelexError("no k given for the selection curve")
    if steps[0] < 1:
        raise RelexError(f"every k must be at least 1, got {steps[0]}")
    restricted = tuple(layers) if layers is not None else hidden_layers(lrp)
    for name in restricted:
        lrp.network.layer(name)
    trace = lrp.trace(inputs)
    full = lrp.attribute(inputs, target, trace=trace)
    points: list[SelectionPoint] = []
    chosen_k: int | None = None
    chosen_neurons: dict[str, list[int]] | None = None
    for k in steps:
        selected = top_neurons_per_layer(full, k, layers=restricted)
        compared = compare_with_full(lrp, inputs, full, selected, trace)
        points.append(SelectionPoint(k, compared.neurons_kept, compared.mse, compared.smape))
        value = compared.mse if metric == "mse" else compared.smape
        if chosen_k is None and value <= threshold:
            chosen_k, chosen_neurons = k, selected
    return SelectionResult(
        points=tuple(points),
        metric=metric,
        threshold=threshold,
        layers=restricted,
        chosen_k=chosen_k,
        chosen_neurons=chosen_neurons,
    )
