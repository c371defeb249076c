"""Synthetic relevance graphs for the store tests: a small run and a large random one."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from relex.queries import (
    ClassRelevanceRow,
    ClassRow,
    Counts,
    CriticalPathRow,
    DatasetRow,
    FlowBatch,
    ImageRelevanceRow,
    ImageRow,
    LayerRow,
    ModelRow,
    NeuronRow,
    NodeRow,
    RelevanceRow,
    RunRow,
    params_json,
)


@dataclass(frozen=True)
class SmallRun:
    """Every row of one small run, and the counts a store must show after writing them."""

    run: RunRow
    nodes: list[NodeRow]
    flows: FlowBatch
    relevance: list[RelevanceRow]
    counts: Counts


TINY_LAYERS = (
    ("input", "input", 3),
    ("conv1", "conv", 4),
    ("conv2", "conv", 4),
    ("fc", "linear", 2),
)


PATH_LAYERS = tuple(reversed(TINY_LAYERS))
"""A critical path's layers, output first."""


def small_run(run_id: str = "run-1", *, seed: int = 0, top_k: int = 2) -> SmallRun:
    """A 4-layer model, 2 classes, 4 images; top-k FLOW edges per upper neuron and class; one
    critical path of each sign per class."""
    rng = np.random.default_rng(seed)
    layers = [
        LayerRow("tiny", name, i, kind, size) for i, (name, kind, size) in enumerate(TINY_LAYERS)
    ]
    neurons = [NeuronRow("tiny", layer.name, i) for layer in layers for i in range(layer.size)]
    classes = [ClassRow("toy", 0, "cat", "n02123045"), ClassRow("toy", 1, "dog")]
    images = [ImageRow("toy", f"img/{i}.png", i % 2) for i in range(3)] + [ImageRow("toy", "x.png")]
    run = RunRow(
        run_id,
        "tiny on toy",
        "tiny",
        "toy",
        "EpsilonPlusFlat",
        params_json({"top_k": top_k, "target": "label"}),
        status="running",
        created_at="2025-01-02T03:04:05+00:00",
        updated_at="2025-01-02T03:04:06+00:00",
        images=len(images),
        classes=len(classes),
        accuracy=0.75,
        code_version="abc123",
        weights_hash="sha256:00",
    )
    paths = [
        CriticalPathRow(
            run_id,
            cls.id,
            sign,
            1,
            score,
            tuple(
                NeuronRow("tiny", name, int(rng.integers(size))).id for name, _, size in PATH_LAYERS
            ),
        )
        for cls in classes
        for sign, score in (("positive", 0.5), ("negative", -0.25))
    ]
    nodes: list[NodeRow] = [
        ModelRow("tiny", "tiny", len(layers), len(neurons)),
        DatasetRow("toy", "synthetic", "/data/toy"),
        *layers,
        *neurons,
        *classes,
        *images,
        run,
        *paths,
    ]
    cls_ids, uppers, lowers, flows, shares = [], [], [], [], []
    for cls in classes:
        for upper, lower in zip(layers[1:], layers[:-1], strict=True):
            for j in range(upper.size):
                upper_relevance = float(rng.uniform(0.5, 2.0))
                for i in rng.choice(lower.size, size=top_k, replace=False):
                    flow = float(rng.uniform(-0.2, 1.0))
                    cls_ids.append(cls.id)
                    uppers.append(NeuronRow("tiny", upper.name, j).id)
                    lowers.append(NeuronRow("tiny", lower.name, int(i)).id)
                    flows.append(flow)
                    shares.append(flow / upper_relevance)
    batch = FlowBatch.of(run_id, cls_ids, uppers, lowers, flows, shares)
    relevance: list[RelevanceRow] = [
        ClassRelevanceRow(
            run_id,
            cls.id,
            neuron.id,
            relevance=float(rng.normal()),
            rank=neuron.index + 1,
            mean=float(rng.normal()),
            retained=None if neuron.layer == "input" else float(rng.uniform()),
            images=2,
        )
        for cls in classes
        for neuron in neurons
    ]
    relevance += [
        ImageRelevanceRow(
            run_id, image.id, NeuronRow("tiny", "fc", i).id, float(rng.normal()), i + 1
        )
        for image in images
        for i in range(2)
    ]
    ends = {(f.class_id, end) for f in batch.rows() for end in (f.upper, f.lower)}
    counts = Counts.from_rows(
        {
            "ClassNeuron": len(ends),
            "Model": 1,
            "Layer": len(layers),
            "Neuron": len(neurons),
            "Dataset": 1,
            "Class": len(classes),
            "Image": len(images),
            "Run": 1,
            "CriticalPath": len(paths),
        },
        {
            "NEXT": len(layers) - 1,
            "HAS": len(neurons),
            "HOLDS": len(ends),
            "IN_CLASS": len(ends),
            "FLOW": len(batch),
            "RELEVANT": len(relevance),
            "OF": 1,
            "ON": 1,
            "STEP": sum(len(path.neurons) for path in paths),
        },
    )
    return SmallRun(run, nodes, batch, relevance, counts)


@dataclass(frozen=True)
class BigGraph:
    """A random layered FLOW graph of one run, as index arrays for the reference answers."""

    run: str
    ids: npt.NDArray[np.object_]
    src: npt.NDArray[np.int64]
    dst: npt.NDArray[np.int64]
    cls: npt.NDArray[np.int64]
    relevance: npt.NDArray[np.float64]
    nodes: list[NodeRow]

    def class_id(self, k: int) -> str:
        """The Class id of class index ``k``."""
        return f"big/{k}"

    def batch(self) -> FlowBatch:
        """All edges as one FlowBatch."""
        class_ids = np.array(
            [self.class_id(k) for k in range(int(self.cls.max()) + 1)], dtype=object
        )
        return FlowBatch.of(
            self.run,
            class_ids[self.cls],
            self.ids[self.src],
            self.ids[self.dst],
            self.relevance,
            self.relevance,
        )

    def top_by_incoming(self, k: int, limit: int) -> tuple[set[str], float]:
        """Reference for shape 1: the ``limit`` neurons with the largest summed incoming
        relevance of class ``k``, and the smallest sum among them."""
        sel = self.cls == k
        sums = np.bincount(self.dst[sel], weights=self.relevance[sel], minlength=len(self.ids))
        order = np.argsort(-sums)[:limit]
        return set(self.ids[order]), float(sums[order[-1]])

    def incoming_sum(self, k: int, neuron: str) -> float:
        """Summed incoming relevance of class ``k`` at one neuron."""
        index = int(np.flatnonzero(self.ids == neuron)[0])
        sel = (self.cls == k) & (self.dst == index)
        return float(self.relevance[sel].sum())

    def two_hop(self, start: int, k: int) -> dict[str, int]:
        """Reference for shape 2: undirected paths start-[class k]-b-[any]-c with c != start,
        counted per c."""
        first = (self.cls == k) & ((self.src == start) | (self.dst == start))
        middle = np.where(self.src[first] == start, self.dst[first], self.src[first])
        weight = np.bincount(middle, minlength=len(self.ids))
        counts = np.bincount(self.dst, weights=weight[self.src], minlength=len(self.ids))
        counts += np.bincount(self.src, weights=weight[self.dst], minlength=len(self.ids))
        counts[start] = 0
        return {str(self.ids[i]): round(counts[i]) for i in np.flatnonzero(counts)}


def big_graph(
    edges: int, *, layers: int = 4, width: int = 5000, classes: int = 10, seed: int = 1
) -> BigGraph:
    """``edges`` random FLOW edges from layer l + 1 to layer l of a ``layers`` x ``width``
    model, spread over ``classes`` classes of one run, with uniform relevance."""
    rng = np.random.default_rng(seed)
    model = ModelRow("big", "random", layers, layers * width)
    layer_rows = [
        LayerRow("big", f"l{i}", i, "input" if i == 0 else "conv", width) for i in range(layers)
    ]
    neurons = [NeuronRow("big", layer.name, i) for layer in layer_rows for i in range(width)]
    ids = np.array([n.id for n in neurons], dtype=object)
    lower_layer = rng.integers(0, layers - 1, edges)
    dst = lower_layer * width + rng.integers(0, width, edges)
    src = (lower_layer + 1) * width + rng.integers(0, width, edges)
    cls = rng.integers(0, classes, edges)
    n = layers * width
    _, first = np.unique((cls * n + src) * n + dst, return_index=True)  # distinct keys only
    keep = np.sort(first)
    nodes: list[NodeRow] = [
        model,
        DatasetRow("big", "synthetic", "/data/big"),
        *layer_rows,
        *neurons,
        *(ClassRow("big", k, f"class {k}") for k in range(classes)),
        RunRow("big-run", "big", "big", "big", "random"),
    ]
    return BigGraph(
        "big-run",
        ids,
        src[keep].astype(np.int64),
        dst[keep].astype(np.int64),
        cls[keep].astype(np.int64),
        rng.uniform(0.01, 1.0, len(keep)),
        nodes,
    )
