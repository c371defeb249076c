"""Exact k best paths in a layered relevance graph (numpy, no database), and their score.

What a critical path means (DESIGN.md): a path n_0 -> n_1 -> ... -> n_L from a source neuron
down the FLOW edges carries evidence of one sign. Evidence for the class (sign +1) uses edges
whose flow is positive into neurons whose class relevance is positive; evidence against (sign -1)
negative flows into negative neurons. Each edge's ``share`` is the fraction of its upper neuron's
relevance of that sign which the edge carries (``ingest.aggregate``), a number in (0, 1], and its
``cost = -ln(share) >= 0``. The path's score is the relevance it carries, in logit units:

    score = M[n_1, n_0] * share(n_1 -> n_2) * ... * share(n_{L-1} -> n_L)

the flow its first edge takes out of the source, passed down in the proportion each neuron
splits its relevance of that sign. For one source and sign the first factor is a fixed fraction
of the source's total relevance of that sign, so the path with the largest |score| is the path
with the smallest summed cost: a weighted shortest path with non-negative weights, for which
Kuzu's WSHORTEST, APOC's Dijkstra and Yen's method over either are exact.

The search here is exact for any weights, negative ones included (the graph is a DAG whose
edges go from a layer to a lower one), by a dynamic programme over the layers:

  walking down from the source's layer, every neuron keeps its k best paths from the source
  (a path that is among the k best overall reaches each of its neurons by one of that neuron's
  k best prefixes), and the k best paths overall are the k best of those that end in the target
  layer.

Each layer is one vectorised join of the upper layer's kept prefixes with the layer pair's
edges, then a sort: O(E k log(E k)) for E edges. Paths in a DAG are simple, so the result
equals Yen's k shortest simple paths (networkx ``shortest_simple_paths``).

Ties are broken deterministically: by cost (costs that agree to 1e-9 are equal), then by the
sequence of neuron indices from the source down (lexicographically, the smaller first). Edges
without a cost are never on a path.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from relex.queries.analysis.errors import InvalidArgumentError

TIE_DECIMALS = 9
"""Costs are compared rounded to this many decimals, so float noise never breaks a tie."""

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class LayerEdges:
    """The FLOW edges from one layer to another, as parallel arrays (neuron indices)."""

    upper_layer: str
    lower_layer: str
    upper: IntArray
    lower: IntArray
    cost: FloatArray
    """-ln(share); NaN for an edge no path may use."""


@dataclass(frozen=True)
class FoundPath:
    """A path as (layer, index) hops from the source down, and its summed cost."""

    hops: tuple[tuple[str, int], ...]
    cost: float


@dataclass(frozen=True)
class _Prefixes:
    """The kept paths from the source into one layer: one entry per (neuron, path)."""

    node: IntArray
    cost: FloatArray
    order: IntArray
    """Rank of the path's neuron sequence among this layer's prefixes (the tie-breaker)."""
    parent: IntArray
    """Row of the path's previous hop in the prefixes of layer ``parent_depth`` (-1: source)."""
    parent_depth: IntArray


def path_score(first_flow: float, first_cost: float, cost: float) -> float:
    """The relevance a path carries (module doc): its first edge's flow times the shares of the
    later edges, from the first edge's cost and the path's summed cost."""
    return first_flow * math.exp(first_cost - cost)


def k_best_paths(
    edges: Sequence[LayerEdges],
    depths: Mapping[str, int],
    *,
    source: tuple[str, int],
    target_layer: str,
    k: int,
) -> list[FoundPath]:
    """The ``k`` paths from neuron ``source`` (layer, index) to any neuron of ``target_layer``
    with the smallest summed cost, best first (see the module docstring for ties)."""
    if k < 1:
        raise InvalidArgumentError(f"k must be at least 1, not {k}")
    source_layer, source_index = source
    top, bottom = depths[source_layer], depths[target_layer]
    if bottom >= top:
        raise InvalidArgumentError(
            f"target layer {target_layer} must lie below the source's layer {source_layer}"
        )
    names = {depth: name for name, depth in depths.items()}
    kept = {top: _source(source_index)}
    candidates: dict[int, list[_Prefixes]] = {}
    for depth in range(top, bottom - 1, -1):
        if depth != top:
            kept[depth] = _select(candidates.pop(depth, []), k)
        if depth == bottom:
            break
        for pair in edges:
            lower = depths[pair.lower_layer]
            if depths[pair.upper_layer] == depth and bottom <= lower < depth:
                candidates.setdefault(lower, []).append(_extend(kept[depth], depth, pair))
    final = kept[bottom]
    best = np.lexsort((final.order, np.round(final.cost, TIE_DECIMALS)))[:k]
    return [_trace(kept, names, bottom, int(row)) for row in best]


def _source(index: int) -> _Prefixes:
    none = np.array([-1], dtype=np.int64)
    return _Prefixes(
        np.array([index], dtype=np.int64),
        np.zeros(1),
        np.zeros(1, dtype=np.int64),
        none,
        none,
    )


def _extend(prefixes: _Prefixes, depth: int, pair: LayerEdges) -> _Prefixes:
    """Every kept prefix of layer ``depth`` followed by each of its neurons' edges in ``pair``."""
    usable = np.flatnonzero(np.isfinite(pair.cost))
    by_node = np.argsort(prefixes.node, kind="stable")
    nodes = prefixes.node[by_node]
    start = np.searchsorted(nodes, pair.upper[usable], side="left")
    stop = np.searchsorted(nodes, pair.upper[usable], side="right")
    counts = stop - start
    rows = np.repeat(usable, counts)
    offsets = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    parents = by_node[np.repeat(start, counts) + offsets]
    return _Prefixes(
        pair.lower[rows],
        prefixes.cost[parents] + pair.cost[rows],
        prefixes.order[parents],
        parents,
        np.full(len(rows), depth, dtype=np.int64),
    )


def _select(parts: list[_Prefixes], k: int) -> _Prefixes:
    """Each neuron's ``k`` best candidate prefixes, ranked by their neuron sequences."""
    if not parts:
        empty = np.zeros(0, dtype=np.int64)
        return _Prefixes(empty, np.zeros(0), empty, empty, empty)
    merged = _Prefixes(
        *(np.concatenate(columns) for columns in zip(*map(_columns, parts), strict=True))
    )
    parent_depth = merged.parent_depth
    _, cost_rank = np.unique(np.round(merged.cost, TIE_DECIMALS), return_inverse=True)
    if len(parts) > 1:  # parents in more than one layer: their depth orders them first
        tie = np.lexsort((merged.order, -parent_depth))
        ties = np.empty(len(tie), dtype=np.int64)
        ties[tie] = np.arange(len(tie))
    else:
        ties = merged.order
    ranked = np.argsort(_compound(merged.node, cost_rank.ravel(), ties))
    node = merged.node[ranked]
    first = np.r_[True, node[1:] != node[:-1]]
    group_start = np.maximum.accumulate(np.where(first, np.arange(len(node)), 0))
    chosen = ranked[np.arange(len(node)) - group_start < k]
    picked = _Prefixes(*(column[chosen] for column in _columns(merged)))
    sequence = np.argsort(_compound(ties[chosen], picked.node))
    order = np.empty(len(sequence), dtype=np.int64)
    order[sequence] = np.arange(len(sequence))
    return _Prefixes(
        picked.node,
        picked.cost,
        order,
        picked.parent,
        picked.parent_depth,
    )


def _compound(*keys: IntArray) -> IntArray:
    """One int64 key that orders like the tuple of non-negative integer ``keys``: a single
    sort instead of one per key (a lexsort rank where the product would overflow int64)."""
    base = int(max(key.max(initial=0) for key in keys)) + 1
    if base ** len(keys) >= 2**62:
        rank = np.empty(len(keys[0]), dtype=np.int64)
        rank[np.lexsort(keys[::-1])] = np.arange(len(keys[0]))
        return rank
    out = np.zeros(len(keys[0]), dtype=np.int64)
    for key in keys:
        out = out * base + key
    return out


def _columns(prefixes: _Prefixes) -> tuple[npt.NDArray[Any], ...]:
    return (
        prefixes.node,
        prefixes.cost,
        prefixes.order,
        prefixes.parent,
        prefixes.parent_depth,
    )


def _trace(
    kept: Mapping[int, _Prefixes], names: Mapping[int, str], depth: int, row: int
) -> FoundPath:
    """Follow a target-layer prefix back to the source."""
    cost = float(kept[depth].cost[row])
    hops: list[tuple[str, int]] = []
    while True:
        prefixes = kept[depth]
        hops.append((names[depth], int(prefixes.node[row])))
        if prefixes.parent[row] < 0:
            break
        depth, row = int(prefixes.parent_depth[row]), int(prefixes.parent[row])
    return FoundPath(tuple(reversed(hops)), cost)
