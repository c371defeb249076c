"""Parity of the two backends on a real server (scripts/test.sh starts one; skipped without
NEO4J_URI): the same graph written to the embedded store and to Neo4j gives identical answers
from every query function, for random layered graphs and for a real ingested run."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from relex.queries import GraphStore
from relex.queries.analysis import (
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
from relex.queries.embedded import EmbeddedStore
from tests.queries.conftest import INGESTED_RUN, fresh_store
from tests.queries.graphs import layered_graph
from tests.queries.test_neo4j import every_query
from tests.store.conftest import ENGINE, require_backend

SHAPES = [
    [("input", "input", 3), ("c1", "conv", 5), ("c2", "conv", 4), ("out", "linear", 3)],
    [("input", "input", 2), ("c1", "conv", 6), ("c2", "conv", 6), ("c3", "conv", 3),
     ("out", "linear", 2)],
]  # fmt: skip


@pytest.fixture
def neo4j() -> Iterator[GraphStore]:
    require_backend("neo4j")
    with fresh_store("neo4j") as store:
        yield store


@pytest.mark.parametrize(("shape", "seed"), [(0, 5), (0, 11), (1, 2)])
def test_layered_graphs_answer_the_same(
    neo4j: GraphStore, shape: int, seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("relex.queries.analysis.critical.FRONTIER_LIMIT", 2)  # both fetch phases
    graph = layered_graph(SHAPES[shape], classes=2, top_k=2, seed=seed, shares=(0.2, 0.5, 1.2))
    graph.write(neo4j)
    with fresh_store("embedded") as embedded:
        graph.write(embedded)
        assert every_query(neo4j) == every_query(embedded)


def real_run_queries(store: GraphStore) -> list[object]:
    run = INGESTED_RUN
    classes = list_classes(store, run=run)
    first, second = (c.id for c in classes)
    top = top_neurons(store, run=run, class_id=first, layer="conv3_2", k=5)
    seed = top[0].id
    return [
        list_runs(store),
        classes,
        list_layers(store, run=run),
        top_neurons(store, run=run, class_id=second, k=4),
        top,
        critical_paths(store, run=run, class_id=first, k=5),
        critical_paths(store, run=run, class_id=second, k=3, source=seed, target_layer="input"),
        compare_classes(store, run_a=run, class_a=first, run_b=run, class_b=second, k=4),
        compare_datasets(store, run_a=run, run_b=run, k=3),
        subgraph(store, run=run, class_id=second, up=1, down=2),
        subgraph(store, run=run, class_id=first, seeds=[seed], up=2, down=2, min_share=0.05),
        neuron_detail(store, run=run, neuron=seed, k=3),
    ]


def test_a_real_ingested_run_answers_the_same(neo4j: GraphStore, ingested_store: Path) -> None:
    from relex.ingest.worker import ingest
    from tests.helpers import shapes_checkpoint, small_run_options

    checkpoint = shapes_checkpoint(ingested_store.parent / "shapes.pt")
    options = small_run_options(checkpoint, run=INGESTED_RUN, classes=(0, 2), limit=3)
    ingest(options, neo4j, progress=False)
    with EmbeddedStore(ingested_store, engine=ENGINE, read_only=True) as embedded:
        assert embedded.counts() == neo4j.counts()
        assert real_run_queries(neo4j) == real_run_queries(embedded)
