"""Read endpoints for the class view: a neuron's numbers for a class (the hover tooltip) and
the model's layer DAG (columns for skip edges)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from relex.api.state import Store
from relex.queries.analysis.classview import LayerGraph, NeuronSummary, layer_graph, neuron_summary

router = APIRouter(prefix="/api", tags=["queries"])


@router.get("/neurons/summary", response_model=NeuronSummary)
def summary(
    store: Store,
    run: Annotated[str, Query(min_length=1, description="Run id.")],
    class_id: Annotated[str, Query(min_length=1, description="Class id or name.")],
    neuron: Annotated[str, Query(min_length=1, description="Neuron id or layer/index.")],
    k: Annotated[int, Query(ge=1, le=16, description="How many top images.")] = 1,
) -> NeuronSummary:
    """One neuron's relevance, rank, share of its layer, retained fraction and top images for
    one class of a run."""
    return neuron_summary(store, run=run, class_id=class_id, neuron=neuron, k=k)


@router.get("/runs/{run}/layer-graph", response_model=LayerGraph)
def layers_dag(store: Store, run: str) -> LayerGraph:
    """The run's model as a DAG of layers, with each layer's topological column."""
    return layer_graph(store, run=run)
