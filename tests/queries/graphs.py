"""Random layered relevance graphs for the query tests and the query benchmark.

A ``LayeredGraph`` holds, per class, every neuron's relevance and the top-k incoming FLOW edges
of every upper neuron (as the ingest worker stores them), as plain numpy arrays, so the tests
can compute reference answers with numpy / networkx / scipy from the same numbers the store
holds.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field

import networkx as nx
import numpy as np
import numpy.typing as npt
from scipy.stats import rankdata

from relex.queries import (
    ClassRelevanceRow,
    ClassRow,
    DatasetRow,
    FlowBatch,
    GraphStore,
    ImageRelevanceRow,
    ImageRow,
    LayerRow,
    ModelRow,
    NeuronRow,
    NodeRow,
    RunRow,
)

VGG16_LAYERS: tuple[tuple[str, str, int], ...] = (
    ("input", "input", 3),
    *(
        (name, "conv", size)
        for name, size in (
            ("conv1_1", 64),
            ("conv1_2", 64),
            ("conv2_1", 128),
            ("conv2_2", 128),
            ("conv3_1", 256),
            ("conv3_2", 256),
            ("conv3_3", 256),
            ("conv4_1", 512),
            ("conv4_2", 512),
            ("conv4_3", 512),
            ("conv5_1", 512),
            ("conv5_2", 512),
            ("conv5_3", 512),
        )
    ),
    ("fc6", "linear", 4096),
    ("fc7", "linear", 4096),
    ("fc8", "linear", 1000),
)
"""VGG16's neuron layers as the engine names them: (name, kind, neurons)."""


@dataclass(frozen=True)
class ClassEdges:
    """The FLOW edges of one class: neuron ids and per-edge numbers, parallel arrays."""

    upper: npt.NDArray[np.object_]
    lower: npt.NDArray[np.object_]
    flow: npt.NDArray[np.float64]
    share: npt.NDArray[np.float64]

    def cost(self) -> npt.NDArray[np.float64]:
        """-ln(share) where the share is positive, NaN elsewhere."""
        out = np.full(len(self.share), np.nan)
        positive = self.share > 0
        out[positive] = -np.log(self.share[positive])
        return out


@dataclass(frozen=True)
class LayeredGraph:
    """One run of a layered model over some classes: relevance and top-k flows per class."""

    run: str
    model: str
    dataset: str
    layers: tuple[tuple[str, str, int], ...]
    class_names: tuple[str, ...]
    class_indices: tuple[int, ...]
    wnids: tuple[str | None, ...]
    relevance: dict[str, dict[str, npt.NDArray[np.float64]]]
    """class id -> layer name -> relevance of each neuron of that layer."""
    edges: dict[str, ClassEdges]
    images: dict[str, dict[str, float]] = field(default_factory=dict)
    """image id -> neuron id -> relevance (a few images of the run)."""

    def class_id(self, position: int) -> str:
        """The Class id of the ``position``-th class of the run."""
        return f"{self.dataset}/{self.class_indices[position]}"

    def neuron(self, layer: str, index: int) -> str:
        """A neuron id of this model."""
        return f"{self.model}/{layer}/{index}"

    def digraph(self, class_id: str, sign: int = 1) -> nx.DiGraph:
        """The class's FLOW edges a path of ``sign`` may use (a positive share, a flow of that
        sign), as a networkx graph weighted by cost."""
        edges = self.edges[class_id]
        graph = nx.DiGraph()
        for upper, lower, flow, share, cost in zip(
            edges.upper, edges.lower, edges.flow, edges.share, edges.cost(), strict=True
        ):
            if share > 0 and flow * sign > 0:
                graph.add_edge(
                    str(upper), str(lower), cost=float(cost), relevance=float(flow), share=share
                )
        return graph

    def nodes(self) -> list[NodeRow]:
        """Model, dataset, layers, neurons, classes, images and the run."""
        layer_rows = [
            LayerRow(self.model, name, depth, kind, size)
            for depth, (name, kind, size) in enumerate(self.layers)
        ]
        images = [ImageRow(self.dataset, image_id.split("/", 1)[1]) for image_id in self.images]
        return [
            ModelRow(self.model, "layered", len(self.layers), sum(s for _, _, s in self.layers)),
            DatasetRow(self.dataset, "synthetic", f"/data/{self.dataset}"),
            *layer_rows,
            *(NeuronRow(self.model, row.name, i) for row in layer_rows for i in range(row.size)),
            *(
                ClassRow(self.dataset, index, name, wnid)
                for index, name, wnid in zip(
                    self.class_indices, self.class_names, self.wnids, strict=True
                )
            ),
            *images,
            RunRow(self.run, self.run, self.model, self.dataset, "epsilon_gamma_box"),
        ]

    def write(self, store: GraphStore) -> None:
        """Write every node, FLOW and RELEVANT edge of the run to ``store``."""
        store.write_nodes(self.nodes())
        batches = [
            FlowBatch.of(self.run, class_id, e.upper, e.lower, e.flow, e.share)
            for class_id, e in self.edges.items()
            if len(e.upper)
        ]
        if batches:
            store.write_flows(FlowBatch.concat(batches))
        store.write_relevance(self.relevance_rows())

    def relevance_rows(self) -> list[ClassRelevanceRow | ImageRelevanceRow]:
        """The run's RELEVANT rows: every neuron of every class, and the images' neurons."""
        rows: list[ClassRelevanceRow | ImageRelevanceRow] = []
        for class_id, per_layer in self.relevance.items():
            for layer, values in per_layer.items():
                ranks = rankdata(-values, method="ordinal")  # ties: smaller index first
                rows += [
                    ClassRelevanceRow(
                        self.run,
                        class_id,
                        self.neuron(layer, i),
                        float(values[i]),
                        int(ranks[i]),
                        float(values[i]) / 4,
                        None if layer == self.layers[0][0] else 0.9,
                        4,
                    )
                    for i in range(len(values))
                ]
        for image_id, per_neuron in self.images.items():
            rows += [
                ImageRelevanceRow(self.run, image_id, neuron, value, 1)
                for neuron, value in per_neuron.items()
            ]
        return rows


def layered_graph(
    layers: Sequence[tuple[str, str, int]],
    *,
    classes: int,
    top_k: int,
    seed: int,
    run: str = "run-a",
    model: str = "m",
    dataset: str = "ds",
    shares: Sequence[float] | None = None,
    class_names: Sequence[str] | None = None,
    class_indices: Sequence[int] | None = None,
    wnids: Sequence[str | None] | None = None,
    relevance_values: Sequence[float] = tuple(np.linspace(-1.0, 3.0, 9)),
) -> LayeredGraph:
    """A random graph: per class, each upper neuron keeps ``top_k`` distinct lower neurons.

    Shares are drawn from ``shares`` when given (a few values make ties and, above 1, negative
    costs; zero or negative ones make edges no path may use), else uniformly in (0.01, 0.5).
    Relevance values come from a small set too (``relevance_values``), so rankings have ties
    and signs are mixed.
    """
    rng = np.random.default_rng(seed)
    names = tuple(class_names or (f"class {c}" for c in range(classes)))
    indices = tuple(class_indices or range(classes))
    relevance: dict[str, dict[str, npt.NDArray[np.float64]]] = {}
    edges: dict[str, ClassEdges] = {}
    for index in indices:
        class_id = f"{dataset}/{index}"
        relevance[class_id] = {
            name: rng.choice(np.asarray(relevance_values), size) for name, _, size in layers
        }
        uppers, lowers, flows, drawn = [], [], [], []
        for (lower_name, _, lower_size), (upper_name, _, upper_size) in itertools.pairwise(layers):
            keep = min(top_k, lower_size)
            picks = np.argpartition(rng.random((upper_size, lower_size)), keep - 1, axis=1)
            picks = picks[:, :keep]
            ids_up = np.array([f"{model}/{upper_name}/{j}" for j in range(upper_size)], object)
            ids_low = np.array([f"{model}/{lower_name}/{i}" for i in range(lower_size)], object)
            uppers.append(np.repeat(ids_up, keep))
            lowers.append(ids_low[picks.ravel()])
            share = (
                rng.choice(np.asarray(shares, dtype=np.float64), upper_size * keep)
                if shares is not None
                else rng.uniform(0.01, 0.5, upper_size * keep)
            )
            upper_relevance = np.repeat(relevance[class_id][upper_name], keep)
            drawn.append(share)
            flows.append(share * upper_relevance)
        edges[class_id] = ClassEdges(
            np.concatenate(uppers),
            np.concatenate(lowers),
            np.concatenate(flows),
            np.concatenate(drawn),
        )
    chosen_wnids = tuple(wnids) if wnids is not None else tuple(f"n{i:08d}" for i in indices)
    return LayeredGraph(
        run, model, dataset, tuple(layers), names, indices, chosen_wnids, relevance, edges
    )


def from_store(store: GraphStore, run: str) -> LayeredGraph:
    """A run read back from a store with plain Cypher (not the code under test), as arrays."""
    (meta,) = store.query(
        "MATCH (r:Run {id: $run}) RETURN r.model AS model, r.dataset AS dataset", {"run": run}
    )
    layers = store.query(
        "MATCH (l:Layer) WHERE l.model = $model "
        "RETURN l.name AS name, l.kind AS kind, l.`size` AS n ORDER BY l.`index`",
        {"model": meta["model"]},
    )
    classes = store.query(
        "MATCH (c:Class)-[r:RELEVANT]->(n:Neuron) WHERE r.run = $run "
        "RETURN DISTINCT c.id AS id, c.`index` AS idx, c.name AS name, c.wnid AS wnid",
        {"run": run},
    )
    classes.sort(key=lambda row: row["idx"])
    relevance: dict[str, dict[str, npt.NDArray[np.float64]]] = {}
    for row in store.query(
        "MATCH (c:Class)-[r:RELEVANT]->(n:Neuron) WHERE r.run = $run "
        "RETURN c.id AS cls, n.layer AS layer, n.`index` AS idx, r.relevance AS relevance",
        {"run": run},
    ):
        per_layer = relevance.setdefault(row["cls"], {})
        if row["layer"] not in per_layer:
            size = next(layer["n"] for layer in layers if layer["name"] == row["layer"])
            per_layer[row["layer"]] = np.zeros(size)
        per_layer[row["layer"]][row["idx"]] = row["relevance"]
    edges: dict[str, ClassEdges] = {}
    for cls in classes:
        rows = store.query(
            "MATCH (:Class {id: $cls})-[:HOLDS]->(a:ClassNeuron)-[f:FLOW]->(b:ClassNeuron) "
            "WHERE a.run = $run "
            "RETURN a.neuron AS up, b.neuron AS low, f.relevance AS flow, f.share AS share",
            {"run": run, "cls": cls["id"]},
        )
        edges[cls["id"]] = ClassEdges(
            np.array([r["up"] for r in rows], dtype=object),
            np.array([r["low"] for r in rows], dtype=object),
            np.array([r["flow"] for r in rows], dtype=np.float64),
            np.array([np.nan if r["share"] is None else r["share"] for r in rows]),
        )
    return LayeredGraph(
        run,
        meta["model"],
        meta["dataset"],
        tuple((layer["name"], layer["kind"], layer["n"]) for layer in layers),
        tuple(c["name"] for c in classes),
        tuple(c["idx"] for c in classes),
        tuple(c["wnid"] for c in classes),
        relevance,
        edges,
    )
