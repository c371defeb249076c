"""The exact k best paths (numpy) against networkx on random layered DAGs, including edges that
skip a layer (parents in several layers), without a store."""

from __future__ import annotations

import itertools

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from relex.queries.analysis.errors import InvalidArgumentError
from relex.queries.analysis.paths import LayerEdges, k_best_paths

SINK = "sink"


@st.composite
def dags(draw: st.DrawFn) -> tuple[list[LayerEdges], dict[str, int], nx.DiGraph]:
    depth = draw(st.integers(2, 5))
    widths = [draw(st.integers(1, 4)) for _ in range(depth)]
    names = [f"l{d}" for d in range(depth)]
    graph = nx.DiGraph()
    pairs = []
    for upper in range(1, depth):
        for lower in range(upper - 1, -1, -1):
            if lower < upper - 1 and not draw(st.booleans()):
                continue  # a skip pair only sometimes
            edges = draw(
                st.lists(
                    st.tuples(
                        st.integers(0, widths[upper] - 1),
                        st.integers(0, widths[lower] - 1),
                        st.sampled_from([0.0, 0.5, 1.0, 1.5, 2.25]),
                    ),
                    max_size=8,
                    unique_by=lambda e: (e[0], e[1]),
                )
            )
            for u, v, cost in edges:
                graph.add_edge((names[upper], u), (names[lower], v), cost=cost)
            up, low, cost = (list(c) for c in zip(*edges, strict=True)) if edges else ([], [], [])
            pairs.append(
                LayerEdges(
                    names[upper],
                    names[lower],
                    np.array(up, dtype=np.int64),
                    np.array(low, dtype=np.int64),
                    np.array(cost, dtype=np.float64),
                )
            )
    for v in range(widths[0]):
        graph.add_edge((names[0], v), SINK, cost=0.0)
    return pairs, {name: d for d, name in enumerate(names)}, graph


@given(dags(), st.integers(1, 10))
@settings(max_examples=150, deadline=None)
def test_costs_equal_yen_with_layer_skipping_edges(
    dag: tuple[list[LayerEdges], dict[str, int], nx.DiGraph], k: int
) -> None:
    pairs, depths, graph = dag
    top = max(depths, key=depths.__getitem__)
    found = k_best_paths(pairs, depths, source=(top, 0), target_layer="l0", k=k)
    expected: list[float] = []
    if (top, 0) in graph and nx.has_path(graph, (top, 0), SINK):
        paths = nx.shortest_simple_paths(graph, (top, 0), SINK, weight="cost")
        expected = [nx.path_weight(graph, p, "cost") for p in itertools.islice(paths, k)]
    assert [p.cost for p in found] == pytest.approx(expected)
    for path in found:
        hops = [*path.hops, SINK]
        assert nx.path_weight(graph, hops, "cost") == pytest.approx(path.cost)


def test_bad_arguments_are_refused() -> None:
    depths = {"l0": 0, "l1": 1}
    with pytest.raises(InvalidArgumentError, match="k must be at least 1"):
        k_best_paths([], depths, source=("l1", 0), target_layer="l0", k=0)
    with pytest.raises(InvalidArgumentError, match="must lie below"):
        k_best_paths([], depths, source=("l0", 0), target_layer="l1", k=1)
    assert k_best_paths([], depths, source=("l1", 0), target_layer="l0", k=3) == []
