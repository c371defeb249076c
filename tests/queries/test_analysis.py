"""Every query function against numpy / networkx / scipy references, on random layered graphs
written to a real store (each reachable backend), with ties, negative costs and unusable edges.

test_engines.py runs this module again with ladybug in its own process.
"""

from __future__ import annotations

import dataclasses
from unittest import mock

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from relex.queries import NotFoundError
from relex.queries.analysis import (
    InvalidArgumentError,
    compare_classes,
    compare_datasets,
    critical_paths,
    list_classes,
    list_layers,
    list_runs,
    neuron_detail,
    subgraph,
    top_neurons,
)
from tests.queries import reference
from tests.queries.conftest import fresh_store
from tests.queries.graphs import LayeredGraph, layered_graph

EXAMPLES = settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
POSITIVE_SHARES = (0.1, 0.25, 0.5, 0.9, 1.0)
ANY_SHARES = (-0.3, 0.0, 0.25, 0.5, 1.0, 1.5, 2.0)


@st.composite
def graphs(draw: st.DrawFn, shares: tuple[float, ...] = POSITIVE_SHARES) -> LayeredGraph:
    depth = draw(st.integers(3, 5))
    widths = [draw(st.integers(1, 5)) for _ in range(depth)]
    layers = [(f"l{i}", "input" if i == 0 else "conv", width) for i, width in enumerate(widths)]
    return layered_graph(
        layers,
        classes=2,
        top_k=draw(st.integers(1, 3)),
        seed=draw(st.integers(0, 2**16)),
        shares=shares,
    )


SIGNS = {"positive": 1, "negative": -1}


def assert_paths_match(graph: LayeredGraph, found: object, k: int, source: str) -> None:
    """The paths equal a brute-force enumeration (order, ties, costs and scores), and every
    edge carries relevance of the asked sign."""
    from relex.queries.analysis import CriticalPaths

    assert isinstance(found, CriticalPaths)
    sign = SIGNS[found.sign]
    expected = reference.ordered_paths(graph, found.class_id, source, found.target_layer, k, sign)
    assert [path.neurons for path in found.paths] == [neurons for _, neurons, _ in expected]
    assert [path.cost for path in found.paths] == pytest.approx([c for c, _, _ in expected])
    assert [path.score for path in found.paths] == pytest.approx([s for _, _, s in expected])
    digraph = graph.digraph(found.class_id, sign)
    for path in found.paths:
        assert path.score * sign > 0
        for edge in path.edges:
            assert edge.relevance * sign > 0
            assert digraph.edges[edge.upper, edge.lower]["cost"] == pytest.approx(edge.cost)


@given(graph=graphs(), k=st.integers(1, 6), frontier=st.sampled_from([0, 2, 64]))
@EXAMPLES
def test_queries_equal_the_references(
    backend: str, graph: LayeredGraph, k: int, frontier: int
) -> None:
    with (
        fresh_store(backend) as store,
        mock.patch("relex.queries.analysis.critical.FRONTIER_LIMIT", frontier),
    ):
        graph.write(store)
        first, second = graph.class_id(0), graph.class_id(1)

        ranked = top_neurons(store, run=graph.run, class_id=first, k=k)
        expected = [
            graph.neuron(name, i)
            for name, _, _ in graph.layers
            for i in reference.top_indices(graph.relevance[first][name], k)
        ]
        assert [n.id for n in ranked] == expected
        assert [n.rank for n in ranked] == [
            r for name, _, size in graph.layers for r in range(1, min(k, size) + 1)
        ]

        source = reference.source_of(graph, first)
        for sign in SIGNS:
            found = critical_paths(store, run=graph.run, class_id=first, k=k, sign=sign)
            assert found.source == source and found.target_layer == "l1"
            assert [p.cost for p in found.paths] == pytest.approx(
                reference.yen_costs(graph, first, source, "l1", k, SIGNS[sign])
            )
            assert_paths_match(graph, found, k, source)

        compared = compare_classes(
            store, run_a=graph.run, class_a=first, run_b=graph.run, class_b=second, k=k
        )
        for layer in compared.layers:
            a, b = graph.relevance[first][layer.layer], graph.relevance[second][layer.layer]
            top_a = set(reference.top_indices(a, k))
            top_b = set(reference.top_indices(b, k))
            assert layer.jaccard == pytest.approx(len(top_a & top_b) / len(top_a | top_b))
            assert layer.shared == tuple(sorted(top_a & top_b))
            assert layer.only_a == tuple(sorted(top_a - top_b))
            assert layer.only_b == tuple(sorted(top_b - top_a))
            assert layer.informative == (len(a) > k)
            rho = reference.spearman(a, b)
            assert layer.spearman == (None if rho is None else pytest.approx(rho))
        shared = reference.critical_edges(graph, first, k) & reference.critical_edges(
            graph, second, k
        )
        assert set(compared.shared_edges) == {
            (f"{graph.model}/{u}", f"{graph.model}/{v}") for u, v in shared
        }
        assert compared.edges_a == len(reference.critical_edges(graph, first, k))
        informative = [layer.jaccard for layer in compared.layers if layer.neurons > k]
        expected_mean = float(np.mean(informative)) if informative else None
        assert compared.mean_jaccard == (
            None if expected_mean is None else pytest.approx(expected_mean)
        )


@given(
    graph=graphs(ANY_SHARES),
    k=st.integers(1, 8),
    frontier=st.sampled_from([0, 1, 3, 64]),
    sign=st.sampled_from(sorted(SIGNS)),
    data=st.data(),
)
@EXAMPLES
def test_paths_with_negative_costs_ties_and_unusable_edges(
    backend: str, graph: LayeredGraph, k: int, frontier: int, sign: str, data: st.DataObject
) -> None:
    """Mixed signs; shares above 1 give negative costs (the search stays exact for them, though
    ingest never stores such shares), zero or negative shares give edges no path may use; any
    source neuron and any lower target layer, either sign; edges fetched neuron by neuron,
    layer by layer, or both (``frontier``)."""
    class_id = graph.class_id(1)
    depth = data.draw(st.integers(1, len(graph.layers) - 1))
    name, _, size = graph.layers[depth]
    source = graph.neuron(name, data.draw(st.integers(0, size - 1)))
    target = graph.layers[data.draw(st.integers(0, depth - 1))][0]
    with (
        fresh_store(backend) as store,
        mock.patch("relex.queries.analysis.critical.FRONTIER_LIMIT", frontier),
    ):
        graph.write(store)
        found = critical_paths(
            store,
            run=graph.run,
            class_id=class_id,
            k=k,
            source=source,
            target_layer=target,
            sign=sign,
        )
    assert found.source == source and found.target_layer == target
    assert_paths_match(graph, found, k, source)


@given(
    graph=graphs(),
    up=st.integers(0, 2),
    down=st.integers(0, 3),
    min_share=st.sampled_from([0.0, 0.25, 0.9]),
    data=st.data(),
)
@EXAMPLES
def test_subgraph_is_the_neighbourhood_networkx_finds(
    backend: str, graph: LayeredGraph, up: int, down: int, min_share: float, data: st.DataObject
) -> None:
    class_id = graph.class_id(0)
    everyone = [graph.neuron(n, i) for n, _, size in graph.layers for i in range(size)]
    seeds = data.draw(st.lists(st.sampled_from(everyone), min_size=1, max_size=3, unique=True))
    with fresh_store(backend) as store:
        graph.write(store)
        found = subgraph(
            store,
            run=graph.run,
            class_id=class_id,
            seeds=seeds,
            up=up,
            down=down,
            min_share=min_share,
        )
    depth, edges = reference.neighbourhood(graph, class_id, seeds, up, down, min_share)
    assert {node.id: node.hops for node in found.nodes} == depth
    assert {(e.upper, e.lower) for e in found.edges} == edges
    assert not found.truncated
    relevance = {
        graph.neuron(name, i): float(values[i])
        for name, values in graph.relevance[class_id].items()
        for i in range(len(values))
    }
    assert all(node.relevance == relevance[node.id] for node in found.nodes)
    assert {node.id for node in found.nodes if node.seed} == set(seeds)
    elements = found.elements()
    assert {n["data"]["id"] for n in elements["nodes"]} == set(depth)
    assert {(e["data"]["source"], e["data"]["target"]) for e in elements["edges"]} == edges


def wide_graph() -> LayeredGraph:
    layers = [("input", "input", 3), ("c1", "conv", 6), ("c2", "conv", 6), ("out", "linear", 4)]
    return layered_graph(layers, classes=2, top_k=3, seed=7, shares=POSITIVE_SHARES)


def test_subgraph_stops_at_max_nodes_and_says_so() -> None:
    graph = wide_graph()
    with fresh_store("embedded") as store:
        graph.write(store)
        found = subgraph(store, run=graph.run, class_id=graph.class_id(0), down=3, max_nodes=5)
        default = subgraph(store, run=graph.run, class_id=graph.class_id(0), down=1, up=1)
    assert found.truncated and len(found.nodes) == 5
    assert all(e.upper in {n.id for n in found.nodes} for e in found.edges)
    assert default.seeds == (reference.source_of(graph, graph.class_id(0)),)
    assert {node.hops for node in default.nodes} == {0, 1}


def test_ties_go_to_the_smaller_index_sequence() -> None:
    """All shares equal: every path costs the same, so the order is the index sequence."""
    layers = [("input", "input", 3), ("c1", "conv", 3), ("out", "linear", 1)]
    graph = layered_graph(
        layers, classes=1, top_k=3, seed=0, shares=(0.5,), relevance_values=(1.0, 2.0)
    )
    with fresh_store("embedded") as store:
        graph.write(store)
        found = critical_paths(
            store, run=graph.run, class_id=graph.class_id(0), k=9, target_layer="input"
        )
    out = found.source
    assert [p.neurons for p in found.paths] == [
        (out, f"m/c1/{j}", f"m/input/{i}") for j in range(3) for i in range(3)
    ]


def test_neuron_detail_equals_sorted_edges_and_ranks() -> None:
    graph = wide_graph()
    neuron = graph.neuron("c1", 2)
    images = {f"{graph.dataset}/img{i}.png": {neuron: float(v)} for i, v in enumerate([3, 1, 2])}
    graph = dataclasses.replace(graph, images=images)
    with fresh_store("embedded") as store:
        graph.write(store)
        detail = neuron_detail(store, run=graph.run, neuron=neuron, k=3)
    assert (detail.layer.name, detail.layer.depth, detail.index) == ("c1", 1, 2)
    ranks = []
    for position in range(2):
        class_id = graph.class_id(position)
        values = graph.relevance[class_id]["c1"]
        rank = reference.top_indices(values, len(values)).index(2) + 1
        ranks.append((rank, -float(values[2]), class_id))
    assert [(c.rank, -c.relevance, c.class_id) for c in detail.classes] == sorted(ranks)
    incoming, outgoing = [], []
    for class_id, e in graph.edges.items():
        for u, v, flow in zip(e.upper, e.lower, e.flow, strict=True):
            if v == neuron:
                incoming.append((-abs(flow), class_id, u))
            if u == neuron:
                outgoing.append((-abs(flow), class_id, v))
    assert [(-abs(c.edge.relevance), c.class_id, c.edge.upper) for c in detail.incoming] == (
        sorted(incoming)[:3]
    )
    assert [(-abs(c.edge.relevance), c.class_id, c.edge.lower) for c in detail.outgoing] == (
        sorted(outgoing)[:3]
    )
    assert [i.image for i in detail.images] == [
        f"{graph.dataset}/img0.png",
        f"{graph.dataset}/img2.png",
        f"{graph.dataset}/img1.png",
    ]


def test_two_runs_on_different_datasets_compare_by_wnid_then_name() -> None:
    layers = [("input", "input", 3), ("c1", "conv", 5), ("out", "linear", 4)]
    a = layered_graph(
        layers,
        classes=3,
        top_k=2,
        seed=1,
        run="nette",
        dataset="imagenette",
        class_names=("tench", "church", "golf ball"),
        class_indices=(0, 1, 2),
        wnids=("n01440764", "n03028079", None),
    )
    b = layered_graph(
        layers,
        classes=3,
        top_k=2,
        seed=2,
        run="woof",
        dataset="imagewoof",
        class_names=("Tench fish", "Golf Ball", "beagle"),
        class_indices=(0, 1, 2),
        wnids=("n01440764", None, "n02088364"),
    )
    with fresh_store("embedded") as store:
        a.write(store)
        b.write(store)
        streamed: list[object] = []
        both = compare_datasets(store, run_a="nette", run_b="woof", k=2, on_pair=streamed.append)
        direct = compare_classes(
            store, run_a="nette", class_a="imagenette/0", run_b="woof", class_b="imagewoof/0", k=2
        )
        assert [r.id for r in list_runs(store)] == ["nette", "woof"]
        assert [c.name for c in list_classes(store, run="woof")] == [
            "Tench fish",
            "Golf Ball",
            "beagle",
        ]
        assert [layer.name for layer in list_layers(store, run="nette")] == ["input", "c1", "out"]
    assert [(m.class_a, m.class_b) for m in both.matched] == [
        ("imagenette/0", "imagewoof/0"),
        ("imagenette/2", "imagewoof/1"),
    ]
    assert both.matched[0] == direct
    assert tuple(streamed) == both.matched  # each pair handed on as it is made, in order
    assert [c.id for c in both.only_a] == ["imagenette/1"]
    assert [c.id for c in both.only_b] == ["imagewoof/2"]
    for layer in direct.layers:
        rho = reference.spearman(
            a.relevance["imagenette/0"][layer.layer], b.relevance["imagewoof/0"][layer.layer]
        )
        assert layer.spearman == (None if rho is None else pytest.approx(rho))


def test_unknown_ids_are_not_found_and_bad_arguments_are_refused() -> None:
    graph = wide_graph()
    run, cls = graph.run, graph.class_id(0)
    with fresh_store("embedded") as store:
        graph.write(store)
        cases = [
            (lambda: top_neurons(store, run="nope", class_id=cls), "run 'nope'"),
            (lambda: top_neurons(store, run=run, class_id="ds/9"), "class 'ds/9' is not in"),
            (lambda: top_neurons(store, run=run, class_id=cls, layer="fc9"), "no layer 'fc9'"),
            (lambda: critical_paths(store, run=run, class_id=cls, source="m/c1/99"), "m/c1/99"),
            (lambda: neuron_detail(store, run=run, neuron="m/zz/0"), "neuron 'm/zz/0'"),
            (lambda: subgraph(store, run=run, class_id=cls, seeds=["x/y/1"]), "x/y/1"),
            (lambda: list_classes(store, run="nope"), "run 'nope'"),
            (
                lambda: compare_classes(store, run_a=run, class_a=cls, run_b="gone", class_b=cls),
                "run 'gone'",
            ),
            (lambda: compare_datasets(store, run_a="gone", run_b=run), "run 'gone'"),
        ]
        for call, message in cases:
            with pytest.raises(NotFoundError, match=message):
                call()
        store.write_nodes([dataclasses.replace(graph.nodes()[-1], id="empty-run")])
        with pytest.raises(NotFoundError, match="run 'empty-run' has no relevance for class"):
            critical_paths(store, run="empty-run", class_id=cls)
        with pytest.raises(InvalidArgumentError, match="k must be at least 1"):
            top_neurons(store, run=run, class_id=cls, k=0)
        with pytest.raises(InvalidArgumentError, match="must lie below"):
            critical_paths(store, run=run, class_id=cls, source="m/c1/0", target_layer="c2")
        with pytest.raises(InvalidArgumentError, match="at least 0"):
            subgraph(store, run=run, class_id=cls, up=-1)


def test_two_runs_on_one_dataset_keep_apart(monkeypatch: pytest.MonkeyPatch) -> None:
    """Class ids are per dataset, so only the run filter separates these two runs' edges."""
    monkeypatch.setattr("relex.queries.analysis.critical.FRONTIER_LIMIT", 0)  # whole-layer fetches
    layers = [("input", "input", 3), ("c1", "conv", 4), ("c2", "conv", 4), ("out", "linear", 2)]
    runs = [
        layered_graph(layers, classes=1, top_k=2, seed=seed, run=f"r{seed}", shares=ANY_SHARES)
        for seed in (1, 2)
    ]
    with fresh_store("embedded") as store:
        for graph in runs:
            graph.write(store)
        for graph in runs:
            class_id = graph.class_id(0)
            found = critical_paths(store, run=graph.run, class_id=class_id, k=4)
            assert_paths_match(graph, found, 4, reference.source_of(graph, class_id))
            around = subgraph(store, run=graph.run, class_id=class_id, up=0, down=3)
            _, edges = reference.neighbourhood(graph, class_id, [found.source], 0, 3, 0.0)
            assert {(e.upper, e.lower) for e in around.edges} == edges


def test_class_names_and_short_neuron_ids_are_accepted() -> None:
    layers = [("input", "input", 3), ("c1", "conv", 6), ("c2", "conv", 6), ("out", "linear", 4)]
    graph = layered_graph(
        layers,
        classes=3,
        top_k=3,
        seed=7,
        shares=POSITIVE_SHARES,
        class_names=("cross", "circle", "square"),
    )
    with fresh_store("embedded") as store:
        graph.write(store)
        by_id = top_neurons(store, run=graph.run, class_id=graph.class_id(0), k=2)
        assert top_neurons(store, run=graph.run, class_id="Cross", k=2) == by_id
        assert top_neurons(store, run=graph.run, class_id="squ", k=2) == top_neurons(
            store, run=graph.run, class_id=graph.class_id(2), k=2
        )
        with pytest.raises(NotFoundError, match=r"ambiguous.*ds/0 \(cross\).*ds/1 \(circle\)"):
            top_neurons(store, run=graph.run, class_id="c")
        with pytest.raises(NotFoundError, match=r"nor a class name.*ds/2 \(square\)"):
            top_neurons(store, run=graph.run, class_id="triangle")
        found = critical_paths(store, run=graph.run, class_id="circle", source="c2/1")
        assert found.class_id == graph.class_id(1) and found.source == graph.neuron("c2", 1)
        assert neuron_detail(store, run=graph.run, neuron="c1/2") == neuron_detail(
            store, run=graph.run, neuron=graph.neuron("c1", 2)
        )
