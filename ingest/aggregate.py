"""Per-class relevance graphs: sums over a class's images, then the strongest edges only.

For each class the worker sums, over the class's images, every neuron's relevance and every
neuron-to-neuron flow (DESIGN.md). Sparsification keeps, for each upper neuron, the ``top_k``
incoming edges by ``|flow|``; the neuron records the fraction of its flow magnitude those edges
keep (``retained = sum_kept |M[i, j]| / sum_i |M[i, j]|``), so a sparsified graph is never
mistaken for the whole. An edge's ``share`` is its flow over the upper neuron's relevance, and
``cost = -ln(share)`` for positive shares, so the path with the largest product of shares is the
shortest path by cost. Ties in ``|flow|`` are broken by the lower neuron's index (smaller first);
edges whose flow is exactly zero are not kept.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import Tensor

LayerPair = tuple[str, str]


@dataclass
class ClassSums:
    """Running sums of one class: neuron relevance per layer, flows per layer pair."""

    images: int = 0
    neurons: dict[str, np.ndarray] = field(default_factory=dict)
    flows: dict[LayerPair, np.ndarray] = field(default_factory=dict)

    def add(
        self, neuron_relevance: Mapping[str, Tensor], flows: Mapping[LayerPair, Tensor]
    ) -> None:
        """Add images: ``neuron_relevance`` (images, n) per layer and their summed flows."""
        for layer, relevance in neuron_relevance.items():
            total = relevance.sum(0).double().cpu().numpy()
            self.neurons[layer] = self.neurons[layer] + total if layer in self.neurons else total
        for pair, flow in flows.items():
            summed = flow.double().cpu().numpy()
            self.flows[pair] = self.flows[pair] + summed if pair in self.flows else summed
        self.images += next(iter(neuron_relevance.values())).shape[0]


@dataclass(frozen=True)
class SparseEdges:
    """The kept edges of one layer pair: parallel arrays, one entry per edge."""

    lower: np.ndarray
    upper: np.ndarray
    flow: np.ndarray
    share: np.ndarray
    cost: np.ndarray
    """``-ln(share)`` where the share is positive, NaN elsewhere."""
    retained: np.ndarray
    """Per upper neuron: the fraction of its flow magnitude the kept edges carry."""


def accumulate(
    sums: dict[int, ClassSums],
    groups: Tensor,
    neuron_relevance: Mapping[str, Tensor],
    flows: Mapping[LayerPair, Tensor],
    classes: list[int],
) -> None:
    """Add a batch whose images belong to flow group ``groups[b]``, group g being ``classes[g]``."""
    for group, class_index in enumerate(classes):
        members = (groups == group).nonzero().flatten()
        per_layer = {layer: values[members] for layer, values in neuron_relevance.items()}
        per_pair = {pair: flow[group] for pair, flow in flows.items()}
        sums.setdefault(class_index, ClassSums()).add(per_layer, per_pair)


def top_incoming(flow: np.ndarray, upper_relevance: np.ndarray, top_k: int) -> SparseEdges:
    """Keep the ``top_k`` incoming edges by ``|flow|`` of each upper neuron (a column of ``flow``,
    shape (lower, upper))."""
    lower_size, upper_size = flow.shape
    k = min(top_k, lower_size)
    magnitude = np.abs(flow)
    order = np.argsort(-magnitude, axis=0, kind="stable")[:k]
    uppers = np.broadcast_to(np.arange(upper_size), order.shape)
    kept = flow[order, uppers]
    total = magnitude.sum(0)
    retained = np.divide(np.abs(kept).sum(0), total, out=np.zeros(upper_size), where=total > 0)
    relevance = np.broadcast_to(upper_relevance, order.shape)
    share = np.divide(kept, relevance, out=np.full(kept.shape, np.nan), where=relevance != 0)
    positive = share > 0
    cost = np.full(kept.shape, np.nan)
    cost[positive] = -np.log(share[positive])
    nonzero = kept != 0
    return SparseEdges(
        lower=order[nonzero],
        upper=uppers[nonzero],
        flow=kept[nonzero],
        share=share[nonzero],
        cost=cost[nonzero],
        retained=retained,
    )


def rank_descending(values: np.ndarray) -> np.ndarray:
    """1-based ranks by value, largest first; ties broken by index (smaller first)."""
    order = np.argsort(-values, kind="stable")
    ranks = np.empty(len(values), dtype=np.int64)
    ranks[order] = np.arange(1, len(values) + 1)
    return ranks


def group_by_class(labels: Tensor) -> tuple[Tensor, list[int]]:
    """Flow-group ids for a batch (0..G-1) and the class of each group, classes ascending."""
    classes = sorted({int(label) for label in labels.tolist()})
    lookup = {class_index: group for group, class_index in enumerate(classes)}
    groups = torch.tensor([lookup[int(label)] for label in labels.tolist()], dtype=torch.long)
    return groups, classes
