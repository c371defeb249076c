"""Reference answers computed from a LayeredGraph's arrays with numpy, networkx and scipy, never
with the code under test."""

from __future__ import annotations

import itertools
import math
import warnings

import networkx as nx
import numpy as np
from scipy.stats import ConstantInputWarning, spearmanr

from tests.queries.graphs import LayeredGraph

SINK = "<sink>"


def top_indices(values: np.ndarray, k: int) -> list[int]:
    """The k largest values' indices; ties to the smaller index (a stable sort of -values)."""
    return [int(i) for i in np.argsort(-values, kind="stable")[:k]]


def source_of(graph: LayeredGraph, class_id: str) -> str:
    """The class's output neuron: the last layer's neuron with the largest |relevance|."""
    name = graph.layers[-1][0]
    return graph.neuron(name, top_indices(np.abs(graph.relevance[class_id][name]), 1)[0])


def _with_sink(graph: LayeredGraph, class_id: str, target_layer: str, sign: int) -> nx.DiGraph:
    digraph = graph.digraph(class_id, sign)
    size = dict((name, size) for name, _, size in graph.layers)[target_layer]
    for index in range(size):
        digraph.add_edge(graph.neuron(target_layer, index), SINK, cost=0.0)
    return digraph


def yen_costs(
    graph: LayeredGraph, class_id: str, source: str, target_layer: str, k: int, sign: int = 1
) -> list[float]:
    """Costs of the k shortest simple paths (networkx's Yen) to any target-layer neuron."""
    digraph = _with_sink(graph, class_id, target_layer, sign)
    if source not in digraph:
        return []
    try:
        paths = nx.shortest_simple_paths(digraph, source, SINK, weight="cost")
        chosen = list(itertools.islice(paths, k))
    except nx.NetworkXNoPath:
        return []
    return [nx.path_weight(digraph, path, "cost") for path in chosen]


def ordered_paths(
    graph: LayeredGraph, class_id: str, source: str, target_layer: str, k: int, sign: int = 1
) -> list[tuple[float, tuple[str, ...], float]]:
    """Every simple path of ``sign`` (networkx enumeration), sorted by cost rounded to 1e-9 and
    then by the sequence of neuron indices: the documented order, ties included, any sign of
    costs; (cost, neurons, score) with score = the first edge's flow times the shares of the
    later edges (the relevance the path carries)."""
    digraph = _with_sink(graph, class_id, target_layer, sign)
    if source not in digraph:
        return []
    found = []
    for path in nx.all_simple_paths(digraph, source, SINK):
        neurons = tuple(path[:-1])
        cost = nx.path_weight(digraph, path, "cost")
        hops = list(itertools.pairwise(neurons))
        score = digraph.edges[hops[0]]["relevance"] * math.prod(
            digraph.edges[hop]["share"] for hop in hops[1:]
        )
        indices = tuple(int(n.rsplit("/", 1)[1]) for n in neurons)
        found.append((round(cost, 9), indices, cost, neurons, score))
    found.sort(key=lambda item: (item[0], item[1]))
    return [(cost, neurons, score) for _, _, cost, neurons, score in found[:k]]


def spearman(a: np.ndarray, b: np.ndarray) -> float | None:
    """scipy's Spearman rho, None where scipy says nan (a constant side)."""
    if len(a) < 2:
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConstantInputWarning)  # nan is the expected answer
        rho = spearmanr(a, b).statistic
    return None if math.isnan(rho) else float(rho)


def critical_edges(graph: LayeredGraph, class_id: str, k: int) -> set[tuple[str, str]]:
    """The class's edges between top-k neurons, as "<layer>/<index>" pairs."""
    top = {
        graph.neuron(name, i)
        for name, values in graph.relevance[class_id].items()
        for i in top_indices(values, k)
    }
    edges = graph.edges[class_id]
    return {
        (str(u).split("/", 1)[1], str(v).split("/", 1)[1])
        for u, v in zip(edges.upper, edges.lower, strict=True)
        if u in top and v in top
    }


def neighbourhood(
    graph: LayeredGraph, class_id: str, seeds: list[str], up: int, down: int, min_share: float
) -> tuple[dict[str, int], set[tuple[str, str]]]:
    """Neurons within ``down`` hops below / ``up`` hops above the seeds along edges with
    share >= min_share (hop distance each), and the edges leaving / entering the expanded ones."""
    edges = graph.edges[class_id]
    kept = nx.DiGraph()
    kept.add_nodes_from(seeds)
    for u, v, share in zip(edges.upper, edges.lower, edges.share, strict=True):
        if share >= min_share:
            kept.add_edge(str(u), str(v))
    below = nx.multi_source_dijkstra_path_length(kept, set(seeds), cutoff=down, weight=None)
    above = nx.multi_source_dijkstra_path_length(kept.reverse(), set(seeds), cutoff=up, weight=None)
    depth = {node: min(below.get(node, 99), above.get(node, 99)) for node in {*below, *above}}
    chosen = {
        (u, v)
        for u, v in kept.edges
        if u in depth and v in depth and (below.get(u, 99) < down or above.get(v, 99) < up)
    }
    return depth, chosen
