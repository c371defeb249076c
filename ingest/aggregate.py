"""Per-class relevance graphs: sums over a class's images, then the strongest edges only.

For each class the worker sums, over the class's images, every neuron's relevance and every
neuron-to-neuron flow ``M[i, j]`` (DESIGN.md). Sparsification keeps, for each upper neuron j, the
``top_k`` incoming edges by ``|flow|`` and every edge of the class's stored critical paths
(:mod:`ingest.evidence`), so sparsifying never removes the class's best paths; the neuron records
the fraction of its flow magnitude the kept edges keep
(``retained = sum_kept |M[i, j]| / sum_i |M[i, j]|``, both sums taken over every lower layer j
passes relevance to, as in a residual block), so a sparsified graph is never mistaken for the
whole. Ties in ``|flow|`` are broken by the lower neuron's index (smaller first); edges
whose flow is exactly zero are not kept.

An edge's ``share`` is the fraction of the upper neuron's relevance *of the flow's sign* that the
edge carries, over the dense (not sparsified) flows:

    share[i, j] = M[i, j] / sum_{i' : sign M[i', j] = sign M[i, j]} M[i', j]    in (0, 1],

defined only where the lower neuron's class relevance has the flow's sign too (evidence for the
class that stays evidence for it, or evidence against that stays against); elsewhere it is NaN
(stored as null) and no critical path uses the edge. The sum runs over every lower layer the
upper neuron passes relevance to. ``cost = -ln(share) >= 0`` (``queries.rows.share_cost``, the
one definition the store and the path searches use), so Dijkstra-based searches are exact on it.
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
    """The share of the upper neuron's relevance of the flow's sign (module doc), or NaN."""
    kept_magnitude: np.ndarray
    """Per upper neuron: the summed ``|flow|`` of its kept edges from this lower layer."""
    total_magnitude: np.ndarray
    """Per upper neuron: the summed ``|flow|`` of all its edges from this lower layer."""

    @property
    def retained(self) -> np.ndarray:
        """Per upper neuron: the fraction of its flow magnitude the kept edges carry."""
        return retained_fraction(self.kept_magnitude, self.total_magnitude)


def retained_fraction(kept: np.ndarray, total: np.ndarray) -> np.ndarray:
    """``kept / total`` per neuron, 0 where the neuron passes no relevance down."""
    return np.divide(kept, total, out=np.zeros(total.shape), where=total > 0)


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


def outflow_totals(flows: Mapping[LayerPair, np.ndarray]) -> dict[str, tuple[np.ndarray, ...]]:
    """Per upper layer: each neuron's summed positive flows and summed negative flows, over
    every lower layer it passes relevance to (``flows`` maps (lower, upper) to (lower, upper)
    matrices)."""
    totals: dict[str, tuple[np.ndarray, ...]] = {}
    for (_, upper), flow in flows.items():
        part = (np.clip(flow, 0, None).sum(0), np.clip(flow, None, 0).sum(0))
        if upper in totals:
            part = tuple(a + b for a, b in zip(totals[upper], part, strict=True))
        totals[upper] = part
    return totals


def evidence_shares(
    flow: np.ndarray, totals: tuple[np.ndarray, ...], lower_relevance: np.ndarray
) -> np.ndarray:
    """``share[i, j]`` of the module doc for one layer pair: ``flow`` (lower, upper), the upper
    layer's ``outflow_totals`` and the lower neurons' class relevance; NaN where undefined."""
    positive, negative = totals
    denominator = np.where(flow > 0, positive[None, :], negative[None, :])
    agrees = np.sign(flow) == np.sign(lower_relevance)[:, None]
    usable = (flow != 0) & agrees & (denominator != 0)
    share = np.full(flow.shape, np.nan)
    np.divide(flow, denominator, out=share, where=usable)
    return share


def top_incoming(
    flow: np.ndarray,
    share: np.ndarray,
    top_k: int,
    *,
    keep: tuple[np.ndarray, np.ndarray] | None = None,
) -> SparseEdges:
    """Keep the ``top_k`` incoming edges by ``|flow|`` of each upper neuron (a column of ``flow``,
    shape (lower, upper)) and the edges ``keep`` names ((lower, upper) index arrays)."""
    lower_size, upper_size = flow.shape
    k = min(top_k, lower_size)
    magnitude = np.abs(flow)
    order = np.argsort(-magnitude, axis=0, kind="stable")[:k]
    chosen = np.zeros(flow.shape, dtype=bool)
    chosen[order, np.arange(upper_size)[None, :]] = True
    if keep is not None:
        chosen[keep] = True
    chosen &= flow != 0
    total = magnitude.sum(0)
    kept_magnitude = np.where(chosen, magnitude, 0.0).sum(0)
    lower, upper = np.nonzero(chosen.T)[::-1]
    return SparseEdges(
        lower=lower,
        upper=upper,
        flow=flow[lower, upper],
        share=share[lower, upper],
        kept_magnitude=kept_magnitude,
        total_magnitude=total,
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
