"""Critical paths: the k paths of one sign that carry the most of a class's relevance.

What a path and its score mean is in ``queries.analysis.paths``: evidence for the class
(positive flows through positive neurons) or, on request, evidence against it; every cost is
non-negative, and the search is exact. Its input is every FLOW edge of the class and sign that a
path from the source can use, the same text and code on the embedded store and on Neo4j. The
class's ClassNeurons are read first with their store keys (``class_neuron_keys``), so that the
edges are asked for and come back by key, and no later statement reads a ClassNeuron's
properties through HOLDS (on kuzu each such read scans the whole ClassNeuron table). Then the
edges, in two phases:

1. while the reachable neurons of the next layer are few (at most ``FRONTIER_LIMIT``), the
   edges leaving exactly those neurons (``flows_from_keys``);
2. then all of the class's edges of the layers left down to the target (``class_flows``, one
   row of parallel lists per upper layer: neuron indices, the lower ends' keys and costs).

The relevance and share of the edges on the chosen paths are read at the end
(``flows_from_keys`` on the paths' neurons).

From VGG16's output neuron, phase 1 walks fc8 -> fc7 -> fc6 (1, 8, 64 neurons) and phase 2
pulls the convolutional layers, which leaves out the ~70,000 fc edges of the class that no path
from that neuron can use. FLOW edges join consecutive layers (DESIGN.md), so the frontier is
always one layer.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

import numpy as np

from relex.queries.analysis.class_neurons import ClassNeurons
from relex.queries.analysis.errors import InvalidArgumentError
from relex.queries.analysis.lookup import class_scope, layer_named, neuron_in, positive
from relex.queries.analysis.neurons import edge_of
from relex.queries.analysis.paths import LayerEdges, k_best_paths
from relex.queries.analysis.results import CriticalPaths, LayerInfo, Path
from relex.queries.ids import neuron_id
from relex.queries.schema import PATH_SIGNS
from relex.queries.store import GraphStore

FRONTIER_LIMIT = 64
"""Look up the edges of at most this many neurons one by one; pull whole layers beyond it."""


def critical_paths(
    store: GraphStore,
    *,
    run: str,
    class_id: str,
    k: int = 5,
    source: str | None = None,
    target_layer: str | None = None,
    sign: str = "positive",
) -> CriticalPaths:
    """The ``k`` paths of ``sign`` ("positive": evidence for the class, "negative": against)
    from ``source`` (default: the class's output neuron) down to any neuron of
    ``target_layer`` (default: the first weight layer, so that the k paths differ above the
    input) with the largest |score|, best first; ties by the sequence of neuron indices (see
    ``queries.analysis.paths``). Fewer than ``k`` when fewer exist.

    With the defaults, the answer equals the run's stored ``CriticalPath`` nodes for its first
    k paths: the worker searched the class's dense flows and kept their edges."""
    positive("k", k)
    if sign not in PATH_SIGNS:
        raise InvalidArgumentError(f"sign must be one of {', '.join(PATH_SIGNS)}, not {sign!r}")
    scope = class_scope(store, run=run, class_id=class_id)
    class_id = scope.info.id
    start = neuron_in(store, scope.run, scope.layers, source or scope.output_neuron)
    default_target = scope.layers[min(1, len(scope.layers) - 1)].name
    target = layer_named(scope.layers, target_layer or default_target, run)
    if target.depth >= start.layer.depth:
        raise InvalidArgumentError(
            f"target layer {target.name} must lie below the source's layer {start.layer.name}"
        )
    params: dict[str, Any] = {"run": run, "class_id": class_id, "sign": PATH_SIGNS[sign]}
    model = scope.run.model
    neurons = ClassNeurons(store, run=run, class_id=class_id, model=model)
    start_keys = neurons.keys([start.id])
    pairs, depth = _walk_frontier(params, neurons, start_keys, start.layer.depth, target.depth)
    if depth > target.depth:
        # Skip connections reach layers that phase 2 pulls whole: keep their edges once.
        depths = {layer.name: layer.depth for layer in scope.layers}
        pairs = [pair for pair in pairs if depths[pair.upper_layer] > depth]
        pairs += _pull_layers(store, params, neurons, scope.layers, target.depth, depth)
    found = k_best_paths(
        pairs,
        {layer.name: layer.depth for layer in scope.layers},
        source=(start.layer.name, start.index),
        target_layer=target.name,
        k=k,
    )
    hops = [tuple(neuron_id(model, layer, index) for layer, index in p.hops) for p in found]
    uppers = sorted(set(neurons.keys([neuron for ids in hops for neuron in ids[:-1]])))
    details = {(row["src"], row["dst"]): edge_of(row) for row in neurons.edges(uppers)}
    paths = tuple(
        Path.of(ids, tuple(details[pair] for pair in itertools.pairwise(ids)), path.cost)
        for path, ids in zip(found, hops, strict=True)
    )
    return CriticalPaths(run, class_id, sign, start.id, target.name, scope.info.images, paths)


def _walk_frontier(
    params: dict[str, Any],
    neurons: ClassNeurons,
    source: list[Any],
    top: int,
    bottom: int,
) -> tuple[list[LayerEdges], int]:
    """Phase 1: the edges leaving the reachable neurons (keys), layer by layer from the source
    (no key if the class has no ClassNeuron there) while they are few; returns them and the
    depth of the first layer not walked."""
    pairs: list[LayerEdges] = []
    frontier, depth = source, top
    walked: set[Any] = set()
    while depth > bottom and len(frontier) <= FRONTIER_LIMIT:
        rows = _usable(neurons.keyed_edges(frontier), params)
        pairs += _group(rows, neurons)
        walked.update(frontier)
        # A neuron reached again along a skip connection has had its edges read already.
        frontier = sorted({row["dst"] for row in rows} - walked)
        depth -= 1
        if not frontier:
            return pairs, bottom
    return pairs, depth


def _pull_layers(
    store: GraphStore,
    params: dict[str, Any],
    neurons: ClassNeurons,
    layers: Sequence[LayerInfo],
    bottom: int,
    top: int,
) -> list[LayerEdges]:
    """Phase 2: every usable edge of the class from layers bottom+1 .. top."""
    names = [layer.name for layer in layers if bottom < layer.depth <= top]
    pairs = []
    for row in store.query_named("class_flows", {**params, "layers": names}):
        low_layers, low = neurons.locate(row["key"])
        up = np.asarray(row["up"], dtype=np.int64)
        cost = np.asarray(row["cost"], dtype=np.float64)
        for low_layer in np.unique(low_layers):
            kept = low_layers == low_layer
            pairs.append(LayerEdges(row["layer"], str(low_layer), up[kept], low[kept], cost[kept]))
    return pairs


def _usable(rows: list[dict[str, Any]], params: dict[str, Any]) -> list[dict[str, Any]]:
    """The rows of edges a path of the asked sign may use."""
    return [
        row for row in rows if row["cost"] is not None and row["relevance"] * params["sign"] > 0
    ]


def _group(rows: list[dict[str, Any]], neurons: ClassNeurons) -> list[LayerEdges]:
    """Rows of ``flows_from_keys`` as LayerEdges per layer pair."""
    up_layers, up = neurons.locate([row["src"] for row in rows])
    low_layers, low = neurons.locate([row["dst"] for row in rows])
    cost = np.asarray([row["cost"] for row in rows], dtype=np.float64)
    pairs = []
    layer_pairs = zip(up_layers.tolist(), low_layers.tolist(), strict=True)
    for up_layer, low_layer in sorted(set(layer_pairs)):
        kept = (up_layers == up_layer) & (low_layers == low_layer)
        pairs.append(LayerEdges(up_layer, low_layer, up[kept], low[kept], cost[kept]))
    return pairs
