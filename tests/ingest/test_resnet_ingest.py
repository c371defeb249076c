"""A real ingest of a ResNet-18 (random weights, small synthetic images) stores the model's DAG
as NEXT relationships, skip connections included, and its critical paths equal networkx's k
shortest simple paths on the stored FLOW edges."""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Mapping
from pathlib import Path

import networkx as nx
import numpy as np
import pytest
import torch
import torchvision

from relex.ingest import worker
from relex.ingest.aggregate import outflow_totals
from relex.ingest.datasets import SHAPE_CLASSES
from relex.ingest.lrp import Network
from relex.ingest.models import load_model, save_checkpoint
from relex.ingest.worker import IngestOptions, ingest
from relex.queries.analysis import critical_paths, list_classes
from tests.queries.conftest import fresh_store

SINK = "<sink>"


def resnet_options(tmp_path: Path) -> IngestOptions:
    """A random resnet18 checkpoint for the shape classes and a two-image run of class 0."""
    torch.manual_seed(0)
    module = torchvision.models.resnet18(weights=None, num_classes=len(SHAPE_CLASSES))
    checkpoint = tmp_path / "resnet18.pt"
    save_checkpoint(checkpoint, name="resnet18", module=module, class_names=tuple(SHAPE_CLASSES))
    return IngestOptions(
        run="res",
        dataset="synthetic:shapes-a?n=12&seed=3",
        model="resnet18",
        weights=str(checkpoint),
        top_k=2,
        batch_size=2,
        device="cpu",
        classes=(0,),
        limit=2,
    )


def test_a_resnet_run_stores_its_dag_and_exact_critical_paths(tmp_path: Path) -> None:
    options = resnet_options(tmp_path)
    network = Network(load_model("resnet18", options.weights).module)
    with fresh_store("kuzu") as store:
        ingest(options, store, progress=False)
        rows = store.query("MATCH (a:Layer)-[:NEXT]->(b:Layer) RETURN a.name AS low, b.name AS up")
        pairs = {(row["low"], row["up"]) for row in rows}
        assert pairs == set(network.connections)
        successors = Counter(low for low, _ in pairs)
        assert successors["layer1.0.conv2"] == 3
        assert {up for low, up in pairs if low == "layer1.1.conv2"} == {
            "layer2.0.conv1",
            "layer2.0.downsample",
        }
        (info,) = list_classes(store, run="res")
        found = critical_paths(store, run="res", class_id=info.id, k=3)
        assert found.paths
        edges = store.query(
            "MATCH (:Class {id: $class})-[:HOLDS]->(a:ClassNeuron)-[f:FLOW]->(b:ClassNeuron) "
            "WHERE a.run = 'res' AND f.relevance > 0 AND f.cost IS NOT NULL "
            "RETURN a.neuron AS up, b.neuron AS low, "
            "f.cost AS cost",
            {"class": info.id},
        )
        flow_pairs = store.query(
            "MATCH (a:ClassNeuron)-[f:FLOW]->(b:ClassNeuron) WHERE a.run = 'res' "
            "RETURN DISTINCT b.layer AS low, a.layer AS up"
        )
        stored = [
            tuple(
                row["id"]
                for row in store.query(
                    "MATCH (p:CriticalPath)-[s:STEP]->(n:Neuron) WHERE p.run = 'res' AND "
                    "p.class = $class AND p.sign = 'positive' AND p.rank = $rank "
                    "RETURN n.id AS id ORDER BY s.position",
                    {"class": info.id, "rank": rank},
                )
            )
            for rank in (1, 2, 3)
        ]
        targets = store.query(
            "MATCH (l:Layer)-[:HAS]->(n:Neuron) WHERE l.name = $name RETURN n.id AS id",
            {"name": found.target_layer},
        )
    assert {(row["low"], row["up"]) for row in flow_pairs} <= set(network.connections)
    assert ("conv1", "layer1.1.conv1") in {(row["low"], row["up"]) for row in flow_pairs}
    assert found.target_layer == "conv1"
    graph = nx.DiGraph()
    graph.add_weighted_edges_from(((e["up"], e["low"], e["cost"]) for e in edges), weight="cost")
    graph.add_weighted_edges_from(((t["id"], SINK, 0.0) for t in targets), weight="cost")
    expected = list(
        itertools.islice(nx.shortest_simple_paths(graph, found.source, SINK, weight="cost"), 3)
    )
    costs = [nx.path_weight(graph, path, "cost") for path in expected]
    assert [path.cost for path in found.paths] == pytest.approx(costs, rel=1e-9, abs=1e-12)
    assert [path.neurons for path in found.paths] == [path for path in stored if path]


def test_retained_counts_every_lower_layer_of_a_residual_block(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A block's output neuron takes relevance from two lower layers; its ``retained`` is the kept
    flow magnitude over both, divided by the dense flow magnitude over both."""
    dense: dict[tuple[str, str], np.ndarray] = {}

    def recording_totals(flows: Mapping[tuple[str, str], np.ndarray]) -> object:
        dense.update(flows)
        return outflow_totals(flows)

    monkeypatch.setattr(worker, "outflow_totals", recording_totals)
    options = resnet_options(tmp_path)
    with fresh_store("kuzu") as store:
        ingest(options, store, progress=False)
        kept = store.query(
            "MATCH (a:ClassNeuron)-[f:FLOW]->(:ClassNeuron) WHERE a.layer = $layer "
            "RETURN a.`index` AS idx, sum(abs(f.relevance)) AS kept",
            {"layer": "layer1.1.conv1"},
        )
        stored = store.query(
            "MATCH (:Class)-[r:RELEVANT]->(n:Neuron) WHERE n.layer = $layer "
            "RETURN n.`index` AS idx, r.retained AS retained",
            {"layer": "layer1.1.conv1"},
        )
    lowers = [pair for pair in dense if pair[1] == "layer1.1.conv1"]
    assert len(lowers) == 2
    total = sum(np.abs(dense[pair]).sum(0) for pair in lowers)
    expected = np.zeros(len(total))
    for row in kept:
        expected[row["idx"]] = row["kept"] / total[row["idx"]]
    assert expected.max() < 1
    retained = np.array([row["retained"] for row in sorted(stored, key=lambda r: r["idx"])])
    np.testing.assert_allclose(retained, expected, rtol=1e-9)
