"""Neurons ranked by class relevance, and everything about one neuron."""

from __future__ import annotations

from typing import Any

from relex.queries.analysis.lookup import class_scope, layer_named, layers_of, neuron_in, positive
from relex.queries.analysis.results import (
    ClassEdge,
    ClassRank,
    Edge,
    ImageRelevance,
    NeuronDetail,
    RankedNeuron,
)
from relex.queries.store import GraphStore


def top_neurons(
    store: GraphStore, *, run: str, class_id: str, layer: str | None = None, k: int = 10
) -> list[RankedNeuron]:
    """The ``k`` most relevant neurons for ``class_id`` in ``layer``, or in every layer when
    ``layer`` is None; ordered by layer (input first), then rank.

    Ranks are per layer (relevance summed over the class's images, largest first; ties go to
    the smaller neuron index), as the ingest worker stores them.
    """
    positive("k", k)
    scope = class_scope(store, run=run, class_id=class_id)
    class_id = scope.info.id
    chosen = scope.layers if layer is None else [layer_named(scope.layers, layer, run)]
    depth = {info.name: info.depth for info in chosen}
    rows = store.query_named(
        "top_neurons", {"run": run, "class_id": class_id, "k": k, "layers": list(depth)}
    )
    ranked = [
        RankedNeuron(
            row["id"], row["layer"], int(row["idx"]), row["relevance"], row["rank"], row["retained"]
        )
        for row in rows
    ]
    return sorted(ranked, key=lambda n: (depth[n.layer], n.rank))


def neuron_detail(store: GraphStore, *, run: str, neuron: str, k: int = 10) -> NeuronDetail:
    """Neuron ``neuron`` in run ``run``: its layer, the ``k`` classes where it ranks highest
    (by rank, then relevance), its ``k`` strongest incoming and outgoing FLOW edges over all
    classes (by |relevance|, then class and neighbour id) and its ``k`` top images."""
    positive("k", k)
    stored_run = store.get_run(run)
    ref = neuron_in(store, stored_run, layers_of(store, stored_run), neuron)
    params = {"run": run, "neuron": ref.id, "k": k}
    return NeuronDetail(
        run=run,
        id=ref.id,
        layer=ref.layer,
        index=ref.index,
        classes=tuple(
            ClassRank(row["id"], row["name"], row["rank"], row["relevance"])
            for row in store.query_named("neuron_classes", params)
        ),
        incoming=tuple(
            ClassEdge(row["cls"], _edge(row, row["src"], ref.id))
            for row in store.query_named("neuron_incoming", params)
        ),
        outgoing=tuple(
            ClassEdge(row["cls"], _edge(row, ref.id, row["dst"]))
            for row in store.query_named("neuron_outgoing", params)
        ),
        images=tuple(
            ImageRelevance(row["image"], row["relevance"], row["rank"])
            for row in store.query_named("neuron_images", params)
        ),
    )


def edge_of(row: dict[str, Any]) -> Edge:
    """An Edge from a row with src, dst, relevance, share and cost."""
    return _edge(row, row["src"], row["dst"])


def _edge(row: dict[str, Any], upper: str, lower: str) -> Edge:
    return Edge(upper, lower, row["relevance"], row["share"], row["cost"])
