"""The queries on a real small ingested run (smallcnn64 on synthetic shapes, real LRP flows),
against references computed from the run's edges read back with plain Cypher."""

from __future__ import annotations

from pathlib import Path

import pytest

from relex.queries.analysis import (
    compare_classes,
    critical_paths,
    list_classes,
    neuron_detail,
    subgraph,
    top_neurons,
)
from relex.queries.embedded import EmbeddedStore
from tests.queries import reference
from tests.queries.conftest import INGESTED_RUN
from tests.queries.graphs import from_store
from tests.store.conftest import ENGINE


def test_queries_on_a_real_run(ingested_store: Path) -> None:
    with EmbeddedStore(ingested_store, engine=ENGINE, read_only=True) as store:
        graph = from_store(store, INGESTED_RUN)
        classes = list_classes(store, run=INGESTED_RUN)
        first, second = (c.id for c in classes)
        ranked = top_neurons(store, run=INGESTED_RUN, class_id=first, layer="conv3_2", k=5)
        paths = {
            sign: critical_paths(store, run=INGESTED_RUN, class_id=first, k=5, sign=sign)
            for sign in ("positive", "negative")
        }
        compared = compare_classes(
            store, run_a=INGESTED_RUN, class_a=first, run_b=INGESTED_RUN, class_b=second, k=4
        )
        around = subgraph(store, run=INGESTED_RUN, class_id=second, up=1, down=2)
        busiest = store.query(
            "MATCH (i:Image)-[r:RELEVANT]->(n:Neuron) WHERE r.run = $run "
            "RETURN n.id AS id, count(*) AS images ORDER BY images DESC, id LIMIT 1",
            {"run": INGESTED_RUN},
        )[0]["id"]
        detail = neuron_detail(store, run=INGESTED_RUN, neuron=busiest, k=3)
        images = store.query(
            "MATCH (i:Image)-[r:RELEVANT]->(n:Neuron {id: $id}) WHERE r.run = $run "
            "RETURN i.id AS image, r.relevance AS relevance",
            {"run": INGESTED_RUN, "id": busiest},
        )
    assert [c.images for c in classes] == [3, 3]
    values = graph.relevance[first]["conv3_2"]
    assert [n.index for n in ranked] == reference.top_indices(values, 5)
    assert [n.relevance for n in ranked] == pytest.approx(values[[n.index for n in ranked]])

    source = reference.source_of(graph, first)
    for sign, found in paths.items():
        factor = 1 if sign == "positive" else -1
        assert found.source == source and found.target_layer == "conv1_1"
        assert [p.cost for p in found.paths] == pytest.approx(
            reference.yen_costs(graph, first, source, "conv1_1", 5, factor)
        )
        expected = reference.ordered_paths(graph, first, source, "conv1_1", 5, factor)
        assert [p.neurons for p in found.paths] == [neurons for _, neurons, _ in expected]
        assert [p.score for p in found.paths] == pytest.approx([s for _, _, s in expected])
    assert max(len(found.paths) for found in paths.values()) == 5

    for layer in compared.layers:
        rho = reference.spearman(
            graph.relevance[first][layer.layer], graph.relevance[second][layer.layer]
        )
        assert layer.spearman == (None if rho is None else pytest.approx(rho))
    shared = reference.critical_edges(graph, first, 4) & reference.critical_edges(graph, second, 4)
    assert {(u.split("/", 1)[1], v.split("/", 1)[1]) for u, v in compared.shared_edges} == shared

    seed = reference.source_of(graph, second)
    depth, edges = reference.neighbourhood(graph, second, [seed], 1, 2, 0.0)
    assert {n.id: n.hops for n in around.nodes} == depth
    assert {(e.upper, e.lower) for e in around.edges} == edges
    assert detail.layer.name == busiest.split("/")[1]
    expected_images = sorted(images, key=lambda r: (-r["relevance"], r["image"]))[:3]
    assert [i.image for i in detail.images] == [r["image"] for r in expected_images]
    assert detail.images
