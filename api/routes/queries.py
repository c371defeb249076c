"""Read endpoints over the query catalogue (:mod:`queries.analysis`): each answers exactly what
the query function returns for the same arguments."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query

from relex.api.schemas import SubgraphOut
from relex.api.state import Store
from relex.queries import analysis
from relex.queries.analysis import (
    ClassComparison,
    ClassInfo,
    CriticalPaths,
    DatasetComparison,
    LayerInfo,
    NeuronDetail,
    RankedNeuron,
    RunInfo,
)

router = APIRouter(prefix="/api", tags=["queries"])

K = Annotated[int, Query(ge=1, le=1000, description="How many to return.")]
Run = Annotated[str, Query(min_length=1, description="Run id.")]
ClassId = Annotated[str, Query(min_length=1, description="Class id <dataset>/<index>.")]


@router.get("/runs", response_model=list[RunInfo])
def runs(store: Store) -> list[RunInfo]:
    """Every stored run."""
    return analysis.list_runs(store)


@router.get("/runs/{run}/classes", response_model=list[ClassInfo])
def classes(store: Store, run: str) -> list[ClassInfo]:
    """The classes run ``run`` has relevance for."""
    return analysis.list_classes(store, run=run)


@router.get("/runs/{run}/layers", response_model=list[LayerInfo])
def layers(store: Store, run: str) -> list[LayerInfo]:
    """The layers of run ``run``'s model, input first."""
    return analysis.list_layers(store, run=run)


@router.get("/top-neurons", response_model=list[RankedNeuron])
def top_neurons(
    store: Store,
    run: Run,
    class_id: ClassId,
    layer: Annotated[str | None, Query(min_length=1)] = None,
    k: K = 10,
) -> list[RankedNeuron]:
    """The class's most relevant neurons (of one layer, or of each layer)."""
    return analysis.top_neurons(store, run=run, class_id=class_id, layer=layer, k=k)


@router.get("/critical-paths", response_model=CriticalPaths)
def critical_paths(
    store: Store,
    run: Run,
    class_id: ClassId,
    k: Annotated[int, Query(ge=1, le=100)] = 5,
    source: Annotated[str | None, Query(min_length=1)] = None,
    target_layer: Annotated[str | None, Query(min_length=1)] = None,
    sign: Annotated[
        Literal["positive", "negative"],
        Query(description="positive: evidence for the class; negative: evidence against it"),
    ] = "positive",
) -> CriticalPaths:
    """The k paths that carry the most evidence for the class (or against it, with
    sign=negative); each path's score is the relevance it carries."""
    return analysis.critical_paths(
        store,
        run=run,
        class_id=class_id,
        k=k,
        source=source,
        target_layer=target_layer,
        sign=sign,
    )


@router.get("/subgraph", response_model=SubgraphOut)
def subgraph(
    store: Store,
    run: Run,
    class_id: ClassId,
    seeds: Annotated[
        str | None, Query(description="Comma-separated neuron ids (default: the top neurons).")
    ] = None,
    up: Annotated[int, Query(ge=0, le=20)] = 2,
    down: Annotated[int, Query(ge=0, le=20)] = 2,
    min_share: Annotated[float, Query(ge=0, le=1)] = 0.0,
    max_nodes: Annotated[int, Query(ge=1, le=5000)] = 500,
) -> SubgraphOut:
    """The subgraph around seed neurons as cytoscape.js elements."""
    chosen = [seed.strip() for seed in seeds.split(",") if seed.strip()] if seeds else None
    found = analysis.subgraph(
        store,
        run=run,
        class_id=class_id,
        seeds=chosen,
        up=up,
        down=down,
        min_share=min_share,
        max_nodes=max_nodes,
    )
    return SubgraphOut(
        run=found.run,
        class_id=found.class_id,
        seeds=list(found.seeds),
        truncated=found.truncated,
        elements=found.elements(),
    )


@router.get("/compare/classes", response_model=ClassComparison)
def compare_classes(
    store: Store, run_a: Run, class_a: ClassId, run_b: Run, class_b: ClassId, k: K = 10
) -> ClassComparison:
    """Two classes compared layer by layer."""
    return analysis.compare_classes(
        store, run_a=run_a, class_a=class_a, run_b=run_b, class_b=class_b, k=k
    )


@router.get("/compare/datasets", response_model=DatasetComparison)
def compare_datasets(store: Store, run_a: Run, run_b: Run, k: K = 10) -> DatasetComparison:
    """Two runs' classes matched and compared."""
    return analysis.compare_datasets(store, run_a=run_a, run_b=run_b, k=k)


@router.get("/neurons/detail", response_model=NeuronDetail)
def neuron_detail(
    store: Store,
    run: Run,
    neuron: Annotated[str, Query(min_length=1, description="Neuron id model/layer/index.")],
    k: K = 10,
) -> NeuronDetail:
    """One neuron of a run: its classes, strongest edges and top images."""
    return analysis.neuron_detail(store, run=run, neuron=neuron, k=k)
