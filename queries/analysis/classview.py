"""What the class view draws beside the subgraph: one neuron's numbers for a class (for the
hover tooltip) and the model's layer DAG with a column for each layer (for skip edges)."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise

from relex.queries.analysis.lookup import class_scope, layers_of, neuron_in, positive
from relex.queries.analysis.results import ClassInfo, ImageRelevance, LayerInfo
from relex.queries.errors import NotFoundError
from relex.queries.store import GraphStore

CLASSVIEW_QUERIES = (
    "neuron_class_stats",
    "layer_class_total",
    "neuron_class_images",
    "model_next",
)
"""The catalogue queries of this module."""


@dataclass(frozen=True, slots=True)
class NeuronSummary:
    """One neuron's numbers for one class of a run.

    ``relevance`` is summed over the class's ``images`` images; ``rank`` is its place in its
    layer (1 = most relevant); ``share`` = relevance / ``layer_relevance`` (the layer's summed
    relevance for the class); ``retained`` the fraction of its relevance its stored top-k FLOW
    edges keep (None for the input layer); ``top_images`` the class's images where it is most
    relevant."""

    run: str
    class_id: str
    neuron: str
    layer: str
    index: int
    relevance: float
    rank: int
    retained: float | None
    share: float | None
    layer_relevance: float
    images: int
    top_images: tuple[ImageRelevance, ...]


@dataclass(frozen=True, slots=True)
class LayerEdge:
    """A NEXT relationship: layer ``upper`` reads layer ``lower``."""

    lower: str
    upper: str


@dataclass(frozen=True, slots=True)
class LayerGraph:
    """A run's model as a DAG of layers; ``columns`` maps each layer to its topological
    layer (0 for the input, else one more than the deepest layer it reads)."""

    run: str
    model: str
    layers: tuple[LayerInfo, ...]
    edges: tuple[LayerEdge, ...]
    columns: dict[str, int]


def class_images(
    store: GraphStore, *, run: str, class_id: str, neuron: str, k: int
) -> tuple[ClassInfo, list[ImageRelevance]]:
    """Class ``class_id`` (an id or a name) of ``run`` and its ``k`` images where ``neuron``
    (an id or ``layer/index``) has the largest relevance."""
    positive("k", k)
    scope = class_scope(store, run=run, class_id=class_id)
    ref = neuron_in(store, scope.run, scope.layers, neuron)
    return scope.info, _class_images(store, run, scope.info.dataset, scope.info.index, ref.id, k)


def _class_images(
    store: GraphStore, run: str, dataset: str, label: int, neuron: str, k: int
) -> list[ImageRelevance]:
    params = {"run": run, "dataset": dataset, "label": label, "neuron": neuron, "k": k}
    return [
        ImageRelevance(row["image"], row["relevance"], row["rank"])
        for row in store.query_named("neuron_class_images", params)
    ]


def neuron_summary(
    store: GraphStore, *, run: str, class_id: str, neuron: str, k: int = 1
) -> NeuronSummary:
    """Neuron ``neuron`` (an id or ``layer/index``) for class ``class_id`` (an id or a name)
    of run ``run``, with the ``k`` class images where it is most relevant."""
    positive("k", k)
    scope = class_scope(store, run=run, class_id=class_id)
    ref = neuron_in(store, scope.run, scope.layers, neuron)
    params = {"run": run, "class_id": scope.info.id, "neuron": ref.id}
    found = store.query_named("neuron_class_stats", params)
    if not found:
        raise NotFoundError(f"run {run!r} stores no relevance of {ref.id!r} for {scope.info.id!r}")
    stats = found[0]
    layer = ref.layer.name
    total = store.query_named(
        "layer_class_total",
        {"run": run, "class_id": scope.info.id, "layer": layer, "model": scope.run.model},
    )[0]["total"]
    layer_relevance = float(total or 0.0)
    relevance = float(stats["relevance"])
    return NeuronSummary(
        run=run,
        class_id=scope.info.id,
        neuron=ref.id,
        layer=layer,
        index=ref.index,
        relevance=relevance,
        rank=int(stats["rank"]),
        retained=None if stats["retained"] is None else float(stats["retained"]),
        share=relevance / layer_relevance if layer_relevance != 0.0 else None,
        layer_relevance=layer_relevance,
        images=int(stats["images"] or 0),
        top_images=tuple(
            _class_images(store, run, scope.info.dataset, scope.info.index, ref.id, k)
        ),
    )


def layer_graph(store: GraphStore, *, run: str) -> LayerGraph:
    """The layers of ``run``'s model, the NEXT relationships between them, and each layer's
    column in a longest-path layering (a layer read by a skip connection sits right of every
    layer it reads). A model stored without NEXT relationships gets a chain by depth."""
    stored = store.get_run(run)
    layers = layers_of(store, stored)
    names = {layer.name for layer in layers}
    edges = [
        LayerEdge(row["src"], row["dst"])
        for row in store.query_named("model_next", {"model": stored.model})
        if row["src"] in names and row["dst"] in names
    ]
    if not edges:
        edges = [LayerEdge(a.name, b.name) for a, b in pairwise(layers)]
    return LayerGraph(run, stored.model, tuple(layers), tuple(edges), _columns(layers, edges))


def _columns(layers: list[LayerInfo], edges: list[LayerEdge]) -> dict[str, int]:
    """Longest-path layering, visiting layers by depth (a topological order of the model)."""
    reads: dict[str, list[str]] = {layer.name: [] for layer in layers}
    for edge in edges:
        reads[edge.upper].append(edge.lower)
    columns: dict[str, int] = {}
    for layer in sorted(layers, key=lambda info: info.depth):
        below = [columns[name] for name in reads[layer.name] if name in columns]
        columns[layer.name] = 1 + max(below) if below else 0
    return columns
