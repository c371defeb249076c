"""Frozen result types of the query catalogue: plain data, the same on every backend."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from relex.queries.analysis.paths import path_score


@dataclass(frozen=True, slots=True)
class RunInfo:
    """A stored run: what it explained and how far it got."""

    id: str
    name: str
    model: str
    dataset: str
    method: str
    status: str
    images: int
    classes: int
    flows: int


@dataclass(frozen=True, slots=True)
class ClassInfo:
    """A class that a run has relevance for."""

    id: str
    dataset: str
    index: int
    name: str
    wnid: str | None
    images: int


@dataclass(frozen=True, slots=True)
class LayerInfo:
    """A layer of the run's model; ``depth`` 0 is the input."""

    id: str
    name: str
    depth: int
    kind: str
    size: int


@dataclass(frozen=True, slots=True)
class RankedNeuron:
    """A neuron with its class relevance: ``rank`` 1 is the most relevant of its layer;
    ``retained`` is the fraction of its relevance its stored edges keep (None: input layer)."""

    id: str
    layer: str
    index: int
    relevance: float
    rank: int
    retained: float | None


@dataclass(frozen=True, slots=True)
class Edge:
    """One FLOW edge of a class: relevance passed from ``upper`` down to ``lower``."""

    upper: str
    lower: str
    relevance: float
    share: float | None
    """The relevance over the upper neuron's relevance of the same sign, in (0, 1]; None where
    the lower neuron's relevance has the other sign (no path uses such an edge)."""
    cost: float | None
    """-ln(share) >= 0, None with the share."""


@dataclass(frozen=True, slots=True)
class Path:
    """A path from the source neuron down to the target layer: its neurons (source first),
    its edges, their summed ``cost`` and its ``score``, the relevance it carries in the units of
    the class's summed relevance (``queries.analysis.paths``): positive for evidence for the
    class, negative for evidence against."""

    neurons: tuple[str, ...]
    edges: tuple[Edge, ...]
    cost: float
    score: float

    @classmethod
    def of(cls, neurons: tuple[str, ...], edges: tuple[Edge, ...], cost: float) -> Path:
        """A path whose score is computed from its first edge and its cost."""
        first = edges[0]
        return cls(neurons, edges, cost, path_score(first.relevance, first.cost or 0.0, cost))


@dataclass(frozen=True, slots=True)
class CriticalPaths:
    """The k paths of one sign that carry the most relevance, best first; ``images`` is how
    many images the class's relevance is summed over."""

    run: str
    class_id: str
    sign: str
    source: str
    target_layer: str
    images: int
    paths: tuple[Path, ...]


@dataclass(frozen=True, slots=True)
class LayerComparison:
    """One layer of two classes compared: Jaccard overlap of their top-k neuron sets, Spearman
    correlation of all the layer's neuron relevances (None where undefined: a constant side),
    the top-k neurons both share and those only one class has (as indices within the layer).

    A layer of at most k neurons (the input's colour channels, a few logits) keeps all of them
    in both top-k sets: its Jaccard is 1 whatever the classes, so ``informative`` is False and
    the means leave it out."""

    layer: str
    jaccard: float
    spearman: float | None
    shared: tuple[int, ...]
    neurons: int
    only_a: tuple[int, ...] = ()
    only_b: tuple[int, ...] = ()
    informative: bool = True


def mean_over(layers: tuple[LayerComparison, ...], field: str) -> float | None:
    """The mean of ``field`` ("jaccard" or "spearman") over the informative layers that have
    it; None if none has."""
    values = [getattr(layer, field) for layer in layers if layer.informative]
    known = [value for value in values if value is not None]
    return sum(known) / len(known) if known else None


@dataclass(frozen=True, slots=True)
class ClassComparison:
    """Two classes (of one run or of two runs over the same model) compared layer by layer;
    ``shared_edges`` are the (upper, lower) neuron-id pairs of run A that both critical
    subgraphs hold (a class's critical subgraph: its FLOW edges between top-k neurons).
    ``mean_jaccard`` and ``mean_spearman`` average the informative layers only."""

    run_a: str
    class_a: str
    run_b: str
    class_b: str
    k: int
    layers: tuple[LayerComparison, ...]
    shared_edges: tuple[tuple[str, str], ...]
    edges_a: int
    edges_b: int
    mean_jaccard: float | None = None
    mean_spearman: float | None = None


@dataclass(frozen=True, slots=True)
class DatasetComparison:
    """Classes of two runs matched by ImageNet wnid (when both have one) or by name, each pair
    compared; the classes only one side has; and each run's accuracy."""

    run_a: str
    run_b: str
    k: int
    matched: tuple[ClassComparison, ...]
    only_a: tuple[ClassInfo, ...]
    only_b: tuple[ClassInfo, ...]
    accuracy_a: float | None = None
    """Run A's accuracy on its images (the dataset shift often shows here first)."""
    accuracy_b: float | None = None


@dataclass(frozen=True, slots=True)
class SubgraphNode:
    """A neuron of a subgraph, with its class relevance (None where the run has none).

    ``layer_depth`` is its layer's place in the model (0 is the input); ``hops`` how many edges
    separate it from the nearest seed."""

    id: str
    layer: str
    layer_depth: int
    index: int
    hops: int
    relevance: float | None
    seed: bool


@dataclass(frozen=True, slots=True)
class Subgraph:
    """The connected subgraph around seed neurons; ``truncated`` when ``max_nodes`` cut it."""

    run: str
    class_id: str
    seeds: tuple[str, ...]
    nodes: tuple[SubgraphNode, ...]
    edges: tuple[Edge, ...]
    truncated: bool

    def elements(self) -> dict[str, list[dict[str, Any]]]:
        """The subgraph as cytoscape.js ``elements`` JSON: {"nodes": [...], "edges": [...]}."""
        return {
            "nodes": [
                {
                    "data": {
                        "id": node.id,
                        "label": f"{node.layer}/{node.index}",
                        "layer": node.layer,
                        "index": node.index,
                        "layer_depth": node.layer_depth,
                        "hops": node.hops,
                        "relevance": node.relevance,
                        "seed": node.seed,
                    }
                }
                for node in self.nodes
            ],
            "edges": [
                {
                    "data": {
                        "id": f"{edge.upper}->{edge.lower}",
                        "source": edge.upper,
                        "target": edge.lower,
                        "relevance": edge.relevance,
                        "share": edge.share,
                        "cost": edge.cost,
                    }
                }
                for edge in self.edges
            ],
        }


@dataclass(frozen=True, slots=True)
class ClassRank:
    """Where one neuron ranks for one class of a run."""

    class_id: str
    name: str
    rank: int
    relevance: float


@dataclass(frozen=True, slots=True)
class ClassEdge:
    """A FLOW edge with the class it belongs to."""

    class_id: str
    edge: Edge


@dataclass(frozen=True, slots=True)
class ImageRelevance:
    """An image's relevance at one neuron."""

    image: str
    relevance: float
    rank: int


@dataclass(frozen=True, slots=True)
class NeuronDetail:
    """One neuron of a run: its layer, the classes where it ranks highest, its strongest
    incoming and outgoing edges (by |relevance|, over all classes) and its top images."""

    run: str
    id: str
    layer: LayerInfo
    index: int
    classes: tuple[ClassRank, ...]
    incoming: tuple[ClassEdge, ...]
    outgoing: tuple[ClassEdge, ...]
    images: tuple[ImageRelevance, ...]
