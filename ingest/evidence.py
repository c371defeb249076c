"""A class's critical paths on its dense flows, before sparsification (DESIGN.md).

The worker stores, for each class and sign, the ``k`` best paths from the class's output neuron
(the logit with the largest |relevance|) down to the first weight layer, searched over every
flow of the class, not only the stored top-k edges. Their edges are then kept by the
sparsification (:func:`ingest.aggregate.top_incoming`), so the same search over the stored graph
(``queries.analysis.critical_paths`` with its defaults) finds exactly these paths.

A path of sign +1 (evidence for the class) uses edges with a positive flow into neurons of
positive class relevance; sign -1 (evidence against) negative flows into neurons of negative
relevance. Its edges' ``cost = -ln(share)`` (:mod:`ingest.aggregate`,
``queries.rows.share_cost``), and its score is the relevance it carries
(``queries.analysis.paths.path_score``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from relex.ingest.aggregate import LayerPair
from relex.queries.analysis.paths import LayerEdges, k_best_paths, path_score
from relex.queries.rows import share_cost


@dataclass(frozen=True)
class EvidencePath:
    """One critical path: (layer, index) hops from the source down, its summed cost and its
    score (the relevance it carries, with the path's sign)."""

    sign: int
    rank: int
    hops: tuple[tuple[str, int], ...]
    cost: float
    score: float


def evidence_paths(
    flows: Mapping[LayerPair, np.ndarray],
    shares: Mapping[LayerPair, np.ndarray],
    depths: Mapping[str, int],
    *,
    source: tuple[str, int],
    target_layer: str,
    k: int,
    sign: int,
) -> list[EvidencePath]:
    """The ``k`` best paths of ``sign`` from ``source`` to ``target_layer`` over the dense
    ``flows`` and their ``shares`` ((lower, upper) -> (lower, upper) matrices), best first."""
    edges = []
    for (lower, upper), flow in flows.items():
        usable = np.isfinite(shares[(lower, upper)]) & (np.sign(flow) == sign)
        rows, columns = np.nonzero(usable)
        cost = share_cost(shares[(lower, upper)][rows, columns])
        edges.append(LayerEdges(upper, lower, columns, rows, cost))
    found = k_best_paths(edges, depths, source=source, target_layer=target_layer, k=k)
    paths = []
    for rank, path in enumerate(found, start=1):
        (upper_layer, upper_index), (lower_layer, lower_index) = path.hops[:2]
        pair = (lower_layer, upper_layer)
        first_flow = float(flows[pair][lower_index, upper_index])
        first_cost = float(share_cost(shares[pair][lower_index, upper_index]))
        score = path_score(first_flow, first_cost, path.cost)
        paths.append(EvidencePath(sign, rank, path.hops, path.cost, score))
    return paths
