"""Two runs over the same classes, and many classes a run, in one store keep their answers
apart: every per-class answer from the shared store, on every backend, equals the answer from
an embedded store that holds only that run (or only that class). The stores alone are always
embedded: Neo4j has one database, which the shared store holds (and the backends' parity is
checked in test_parity)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from relex.queries import GraphStore
from relex.queries.analysis import (
    compare_classes,
    critical_paths,
    neuron_detail,
    subgraph,
    top_neurons,
)
from tests.queries.conftest import fresh_store
from tests.queries.graphs import LayeredGraph, layered_graph
from tests.store.conftest import require_backend

LAYERS = [("input", "input", 3), ("c1", "conv", 6), ("c2", "conv", 5), ("out", "linear", 12)]
CLASSES = 12
CHECKED = (0, 5, 11)
"""The class positions whose answers are compared (each comparison builds stores)."""


def run_graph(run: str, seed: int) -> LayeredGraph:
    """One run of the model over the dataset's 12 classes (both runs share the Class nodes)."""
    return layered_graph(LAYERS, classes=CLASSES, top_k=3, seed=seed, run=run)


RUN_A = run_graph("run-a", 1)
RUN_B = run_graph("run-b", 2)


def only(graph: LayeredGraph, position: int) -> LayeredGraph:
    """The run with one of its classes only."""
    class_id = graph.class_id(position)
    return dataclasses.replace(
        graph,
        class_names=(graph.class_names[position],),
        class_indices=(graph.class_indices[position],),
        wnids=(graph.wnids[position],),
        relevance={class_id: graph.relevance[class_id]},
        edges={class_id: graph.edges[class_id]},
    )


def per_class(store: GraphStore, run: str, class_id: str) -> list[object]:
    """Every per-class answer for one class of one run."""
    return [
        top_neurons(store, run=run, class_id=class_id, k=3),
        critical_paths(store, run=run, class_id=class_id, k=4),
        critical_paths(store, run=run, class_id=class_id, k=4, sign="negative"),
        subgraph(store, run=run, class_id=class_id, up=1, down=2),
    ]


@contextmanager
def stored(backend: str, *graphs: LayeredGraph) -> Iterator[GraphStore]:
    """A fresh store of ``backend`` holding ``graphs``."""
    with fresh_store(backend) as store:
        for graph in graphs:
            graph.write(store)
        yield store


@pytest.fixture(scope="module", params=["embedded", "neo4j"])
def shared(request: pytest.FixtureRequest) -> Iterator[GraphStore]:
    """Both runs, every class, in one store; Neo4j when NEO4J_URI names a server."""
    with stored(require_backend(str(request.param)), RUN_A, RUN_B) as store:
        yield store


@pytest.mark.parametrize("position", CHECKED)
def test_a_class_answers_as_if_alone_in_the_store(
    shared: GraphStore, position: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("relex.queries.analysis.critical.FRONTIER_LIMIT", 2)  # both fetch phases
    store = shared
    for graph in (RUN_A, RUN_B):
        class_id = graph.class_id(position)
        with stored("embedded", only(graph, position)) as alone:
            assert per_class(store, graph.run, class_id) == per_class(alone, graph.run, class_id)


def test_the_two_runs_compare_as_if_alone(shared: GraphStore) -> None:
    store = shared
    position = CHECKED[1]
    a, b = RUN_A.class_id(position), RUN_B.class_id(position)
    with stored("embedded", only(RUN_A, position), only(RUN_B, position)) as alone:
        expected = compare_classes(alone, run_a="run-a", class_a=a, run_b="run-b", class_b=b, k=3)
    assert compare_classes(store, run_a="run-a", class_a=a, run_b="run-b", class_b=b, k=3) == (
        expected
    )


def test_a_neuron_over_all_classes_sees_its_own_run_only(shared: GraphStore) -> None:
    store = shared
    for graph in (RUN_A, RUN_B):
        with stored("embedded", graph) as alone:
            for neuron in ("m/c1/2", "m/c2/0"):
                assert neuron_detail(store, run=graph.run, neuron=neuron, k=5) == neuron_detail(
                    alone, run=graph.run, neuron=neuron, k=5
                )
