"""The stores the browser tests serve: a small real run and a wide synthetic one."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from relex.ingest.worker import ingest
from relex.queries import (
    ClassRelevanceRow,
    ClassRow,
    DatasetRow,
    FlowBatch,
    LayerRow,
    ModelRow,
    NeuronRow,
    NodeRow,
    RunRow,
    StoreSettings,
    open_store,
    params_json,
)
from tests.helpers import shapes_checkpoint, small_run_options

SMALL_RUN = "shapes"
SMALL_CLASSES = (0, 1, 2)
WIDE_RUN = "wide"
WIDE_CLASS = "wide-data/0"
WIDE = 222
WIDE_LAYERS = (
    ("input", "input", 3),
    ("conv1", "conv", WIDE),
    ("conv2", "conv", WIDE),
    ("fc", "linear", 1),
)
WIDE_ELEMENTS = 9 * WIDE + 4


def ingest_small_run(store_path: Path, weights_dir: Path) -> None:
    """A real run: a random-weight smallcnn64 explained on 3 synthetic shape classes
    (4 images each, top-3 edges per neuron), through the same worker ``relex ingest`` uses."""
    checkpoint = shapes_checkpoint(weights_dir / "shapes.pt")
    options = small_run_options(checkpoint, run=SMALL_RUN, classes=SMALL_CLASSES, limit=4)
    with open_store(StoreSettings(path=store_path)) as store:
        ingest(options, store, progress=False)


def write_wide_run(store_path: Path, *, seed: int = 0) -> None:
    """A synthetic run of a wide model whose class subgraph, from the output neuron down, has
    WIDE_ELEMENTS = 2,002 elements: the output takes all 222 conv2 neurons, conv2 neuron j
    takes conv1 neurons j, j+1, j+2 and every conv1 neuron the 3 input channels."""
    rng = np.random.default_rng(seed)
    model = "widenet"
    layers = [
        LayerRow(model, name, i, kind, size) for i, (name, kind, size) in enumerate(WIDE_LAYERS)
    ]
    neurons = [NeuronRow(model, layer.name, i) for layer in layers for i in range(layer.size)]
    dataset = DatasetRow("wide-data", "synthetic", "/nowhere")
    cls = ClassRow("wide-data", 0, "everything")
    relevance = {neuron.id: float(rng.uniform(-0.2, 1.0)) for neuron in neurons}
    edges = [(f"{model}/fc/0", f"{model}/conv2/{j}") for j in range(WIDE)]
    edges += [
        (f"{model}/conv2/{j}", f"{model}/conv1/{(j + d) % WIDE}")
        for j in range(WIDE)
        for d in range(3)
    ]
    edges += [(f"{model}/conv1/{j}", f"{model}/input/{c}") for j in range(WIDE) for c in range(3)]
    flows = [relevance[upper] * float(rng.uniform(0.05, 0.5)) for upper, _ in edges]
    shares = [flow / relevance[upper] for flow, (upper, _) in zip(flows, edges, strict=True)]
    ranks = {
        neuron.id: rank
        for layer in layers
        for rank, neuron in enumerate(
            sorted((n for n in neurons if n.layer == layer.name), key=lambda n: -relevance[n.id]),
            start=1,
        )
    }
    # The parameters name a model no one can load: the graph is browsable, renders are not.
    params = {"model": model, "weights": "none", "method": "epsilon", "dataset": "wide-data"}
    run = RunRow(
        WIDE_RUN,
        "wide synthetic",
        model,
        dataset.id,
        "epsilon",
        params=params_json(params),
        status="done",
        classes=1,
        flows=len(edges),
    )
    nodes: list[NodeRow] = [
        ModelRow(model, "widenet", len(layers), len(neurons)),
        dataset,
        *layers,
        *neurons,
        cls,
        run,
    ]
    with open_store(StoreSettings(path=store_path)) as store:
        store.write_nodes(nodes)
        store.write_flows(
            FlowBatch.of(
                WIDE_RUN,
                cls.id,
                [upper for upper, _ in edges],
                [lower for _, lower in edges],
                flows,
                shares,
            )
        )
        store.write_relevance(
            [
                ClassRelevanceRow(
                    WIDE_RUN, cls.id, n.id, relevance[n.id], ranks[n.id], relevance[n.id], 1.0, 1
                )
                for n in neurons
            ]
        )


DAG_RUN = "dag"
DAG_CLASS = "dag-data/0"
DAG_LAYERS = (
    ("input", "input", 3, ()),
    ("stem", "conv", 3, ("input",)),
    ("block1.conv1", "conv", 3, ("stem",)),
    ("block1.conv2", "conv", 3, ("block1.conv1",)),
    ("block2.conv1", "conv", 3, ("block1.conv2", "stem")),
    ("block2.conv2", "conv", 3, ("block2.conv1",)),
    ("block2.down", "conv", 3, ("block1.conv2", "stem")),
    ("fc", "linear", 2, ("block2.conv2", "block2.down")),
)
"""A ResNet-like DAG: block 1's output (its conv2 plus the identity from the stem) feeds block 2's
conv1 and its downsampling branch, whose sum feeds the classifier; every layer's ``lower`` names
the layers it reads, so the stem's FLOW edges skip block 1's columns."""


def write_dag_run(store_path: Path, *, seed: int = 1) -> None:
    """A synthetic run over DAG_LAYERS: every neuron reads every neuron of each layer it reads,
    and class 0's relevance flows from fc/0 down to the input."""
    rng = np.random.default_rng(seed)
    model = "dagnet"
    layers = [
        LayerRow(model, name, i, kind, size, lower=lower)
        for i, (name, kind, size, lower) in enumerate(DAG_LAYERS)
    ]
    neurons = [NeuronRow(model, layer.name, i) for layer in layers for i in range(layer.size)]
    dataset = DatasetRow("dag-data", "synthetic", "/nowhere")
    cls = ClassRow("dag-data", 0, "skipping")
    relevance = {neuron.id: float(rng.uniform(0.1, 1.0)) for neuron in neurons}
    relevance[f"{model}/fc/1"] = 0.0
    size = {layer.name: layer.size for layer in layers}
    edges = [
        (f"{model}/{layer.name}/{i}", f"{model}/{below}/{j}")
        for layer in layers
        for below in layer.lower or ()
        for i in range(layer.size)
        for j in range(size[below])
        if relevance[f"{model}/{layer.name}/{i}"] > 0
    ]
    flows = [relevance[upper] * float(rng.uniform(0.05, 0.3)) for upper, _ in edges]
    ranks = {
        neuron.id: rank
        for layer in layers
        for rank, neuron in enumerate(
            sorted((n for n in neurons if n.layer == layer.name), key=lambda n: -relevance[n.id]),
            start=1,
        )
    }

    def retained(neuron: NeuronRow) -> float | None:
        return None if neuron.layer == "input" else 0.5

    params = {"model": model, "weights": "none", "method": "epsilon", "dataset": "dag-data"}
    run = RunRow(
        DAG_RUN,
        "DAG synthetic",
        model,
        dataset.id,
        "epsilon",
        params=params_json(params),
        status="done",
        classes=1,
        flows=len(edges),
    )
    nodes: list[NodeRow] = [
        ModelRow(model, "dagnet", len(layers), len(neurons)),
        dataset,
        *layers,
        *neurons,
        cls,
        run,
    ]
    with open_store(StoreSettings(path=store_path)) as store:
        store.write_nodes(nodes)
        store.write_flows(
            FlowBatch.of(
                DAG_RUN,
                cls.id,
                [upper for upper, _ in edges],
                [lower for _, lower in edges],
                flows,
                [flow / relevance[upper] for flow, (upper, _) in zip(flows, edges, strict=True)],
            )
        )
        store.write_relevance(
            [
                ClassRelevanceRow(
                    DAG_RUN,
                    cls.id,
                    n.id,
                    relevance[n.id],
                    ranks[n.id],
                    relevance[n.id],
                    retained(n),
                    1,
                )
                for n in neurons
            ]
        )
