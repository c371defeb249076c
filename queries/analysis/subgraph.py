"""The connected subgraph of one class around seed neurons, ready for cytoscape.js.

Breadth-first from the seeds, one query per step: ``down`` steps along FLOW edges (towards the
input) and ``up`` steps against them (towards the output), alternating down and up level by
level. Only edges with ``share >= min_share`` are followed (an edge with an undefined share
never is). When a step would pass ``max_nodes``, its new neurons are taken by the largest share
that reaches them (then by id) until the cap, and the result says it was truncated.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from relex.queries.analysis.errors import InvalidArgumentError
from relex.queries.analysis.lookup import class_scope, neuron_in, neuron_params, positive
from relex.queries.analysis.neurons import edge_of
from relex.queries.analysis.results import Edge, Subgraph, SubgraphNode
from relex.queries.ids import parse_neuron_id
from relex.queries.store import GraphStore


def subgraph(
    store: GraphStore,
    *,
    run: str,
    class_id: str,
    seeds: Sequence[str] | None = None,
    up: int = 2,
    down: int = 2,
    min_share: float = 0.0,
    max_nodes: int = 500,
) -> Subgraph:
    """The neurons within ``up`` steps above and ``down`` steps below ``seeds`` (default: the
    class's output neuron) and the FLOW edges that reach them; see the module docstring."""
    if up < 0 or down < 0:
        raise InvalidArgumentError(f"up and down must be at least 0, not {up} and {down}")
    positive("max_nodes", max_nodes)
    scope = class_scope(store, run=run, class_id=class_id)
    class_id = scope.info.id
    chosen = list(dict.fromkeys(seeds or [scope.output_neuron]))
    if len(chosen) > max_nodes:
        raise InvalidArgumentError(f"{len(chosen)} seeds exceed max_nodes={max_nodes}")
    refs = [neuron_in(store, scope.run, scope.layers, seed) for seed in chosen]
    hops = {ref.id: 0 for ref in refs}
    found: dict[tuple[str, str], Edge] = {}
    steps = {"flows_from": down, "flows_into": up}
    frontiers = {query: list(hops) for query in steps}
    seen = {query: set(hops) for query in steps}
    truncated = False
    params: dict[str, Any] = {"run": run, "class_id": class_id}
    layer_depth = {layer.name: layer.depth for layer in scope.layers}
    # No FLOW edge leaves the bottom layer downwards or enters the top one from above.
    edgeless = {"flows_from": min(layer_depth.values()), "flows_into": max(layer_depth.values())}
    for level in range(1, max(up, down) + 1):
        for query, frontier in frontiers.items():
            if level > steps[query]:
                continue
            ask = [n for n in frontier if layer_depth[parse_neuron_id(n).layer] != edgeless[query]]
            if not ask:
                continue
            rows = store.query_named(query, {**params, **neuron_params(ask)})
            step = [
                edge_of(row)
                for row in rows
                if row["share"] is not None and row["share"] >= min_share
            ]
            found.update({(edge.upper, edge.lower): edge for edge in step})
            reached = _strongest_first(step, outward=query == "flows_from")
            fresh = [node for node in reached if node not in hops]
            room = max(max_nodes - len(hops), 0)
            truncated |= len(fresh) > room
            hops.update({node: level for node in fresh[:room]})
            frontiers[query] = [n for n in reached if n in hops and n not in seen[query]]
            seen[query].update(frontiers[query])
    relevance = _relevance(store, params, list(hops))
    nodes = [
        _node(neuron, layer_depth, hops[neuron], relevance.get(neuron), neuron in chosen)
        for neuron in hops
    ]
    nodes.sort(key=lambda n: (-n.layer_depth, n.index))
    return Subgraph(
        run,
        class_id,
        tuple(ref.id for ref in refs),
        tuple(nodes),
        tuple(found[key] for key in sorted(found) if key[0] in hops and key[1] in hops),
        truncated,
    )


def _strongest_first(edges: list[Edge], *, outward: bool) -> list[str]:
    """The neurons these edges reach (lower ends going down, upper ends going up), by the
    largest share that reaches each, then by id."""
    best: dict[str, float] = {}
    for edge in edges:
        node = edge.lower if outward else edge.upper
        best[node] = max(best.get(node, float("-inf")), edge.share or 0.0)
    return sorted(best, key=lambda node: (-best[node], node))


def _relevance(store: GraphStore, params: dict[str, Any], ids: list[str]) -> dict[str, float]:
    rows = store.query_named("neuron_relevance", {**params, **neuron_params(ids)})
    return {row["id"]: row["relevance"] for row in rows}


def _node(
    neuron: str, layer_depth: dict[str, int], hops: int, relevance: float | None, seed: bool
) -> SubgraphNode:
    parts = parse_neuron_id(neuron)
    depth = layer_depth[parts.layer]
    return SubgraphNode(neuron, parts.layer, depth, parts.index, hops, relevance, seed)
