"""A real ingest of a ResNet-18 (random weights, small synthetic images) stores the model's DAG
as NEXT relationships, skip connections included, and its critical paths equal networkx's k
shortest simple paths on the stored FLOW edges."""

from __future__ import annotations

import itertools
from collections import Counter
from pathlib import Path

import networkx as nx
import pytest
import torch
import torchvision

from relex.ingest.datasets import SHAPE_CLASSES
from relex.ingest.lrp import Network
from relex.ingest.models import load_model, save_checkpoint
from relex.ingest.worker import IngestOptions, ingest
from relex.queries.analysis import critical_paths, list_classes
from tests.queries.conftest import fresh_store

SINK = "<sink>"


def test_a_resnet_run_stores_its_dag_and_exact_critical_paths(tmp_path: Path) -> None:
    torch.manual_seed(0)
    module = torchvision.models.resnet18(weights=None, num_classes=len(SHAPE_CLASSES))
    checkpoint = tmp_path / "resnet18.pt"
    save_checkpoint(checkpoint, name="resnet18", module=module, class_names=tuple(SHAPE_CLASSES))
    options = IngestOptions(
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
    network = Network(load_model("resnet18", str(checkpoint)).module)
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
            "MATCH (a:Neuron)-[f:FLOW]->(b:Neuron) WHERE f.run = 'res' AND f.class = $class "
            "AND f.relevance > 0 AND f.cost IS NOT NULL RETURN a.id AS up, b.id AS low, "
            "f.cost AS cost",
            {"class": info.id},
        )
        flow_pairs = store.query(
            "MATCH (a:Neuron)-[f:FLOW]->(b:Neuron) WHERE f.run = 'res' "
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
