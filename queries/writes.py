"""How rows become writes: the order of node groups, the edges they imply, the checks
before them, and the grouping of edge rows into batches. Shared by every backend."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from relex.queries import ids
from relex.queries.rows import (
    ClassRelevanceRow,
    ClassRow,
    CriticalPathRow,
    DatasetRow,
    FlowBatch,
    FlowRow,
    ImageRelevanceRow,
    ImageRow,
    LayerRow,
    ModelRow,
    NeuronRow,
    NodeRow,
    RelevanceRow,
    RunRow,
)


def records(rows: Sequence[Any]) -> list[dict[str, Any]]:
    """Each row's ``record()``."""
    return [row.record() for row in rows]


@dataclass(frozen=True, slots=True)
class Requirement:
    """Nodes a group of rows points at: their label, the catalogue query that finds them by
    id, and how to get their ids from a row."""

    label: str
    finder: str
    refs: Callable[[Any], Iterable[str]]


@dataclass(frozen=True, slots=True)
class NodeWrite:
    """How one kind of node row is written: the upsert query, the optional edge query and
    the records it reads, the nodes that must exist first, and the optional query over the
    rows' records that drops their old edges before ``link`` creates them anew."""

    write: str
    link: str | None = None
    link_records: Callable[[Sequence[Any]], list[dict[str, Any]]] = records
    requires: tuple[Requirement, ...] = ()
    unlink: str | None = None


def group_nodes(rows: Sequence[NodeRow]) -> list[tuple[type[NodeRow], list[NodeRow]]]:
    """Rows grouped by type, in the order that lets edges find both ends."""
    groups: dict[type[NodeRow], list[NodeRow]] = {}
    for row in rows:
        groups.setdefault(type(row), []).append(row)
    return [(kind, groups[kind]) for kind in NODE_WRITES if kind in groups]


def next_pairs(layers: Sequence[LayerRow]) -> list[dict[str, str]]:
    """(Layer)-[:NEXT]->(Layer) pairs: from each of a layer's ``lower`` layers where it names
    them, else from the previous index of its model among ``layers``."""
    by_model: dict[str, list[LayerRow]] = {}
    for layer in layers:
        by_model.setdefault(layer.model, []).append(layer)
    pairs = []
    for model_layers in by_model.values():
        ordered = sorted(model_layers, key=lambda layer: layer.index)
        for previous, layer in zip([None, *ordered], ordered, strict=False):
            if layer.lower is not None:
                pairs += [
                    {"src": ids.layer_id(layer.model, name), "dst": layer.id}
                    for name in layer.lower
                ]
            elif previous is not None:
                pairs.append({"src": previous.id, "dst": layer.id})
    return pairs


def split_relevance(
    rows: Sequence[RelevanceRow],
) -> tuple[list[ClassRelevanceRow], list[ImageRelevanceRow]]:
    """Class rows and image rows of a relevance batch."""
    classes = [row for row in rows if isinstance(row, ClassRelevanceRow)]
    images = [row for row in rows if isinstance(row, ImageRelevanceRow)]
    return classes, images


def as_batches(flows: FlowBatch | Sequence[FlowRow]) -> list[FlowBatch]:
    """FLOW rows as one columnar batch per run."""
    if isinstance(flows, FlowBatch):
        return [flows] if len(flows) else []
    by_run: dict[str, list[FlowRow]] = {}
    for row in flows:
        by_run.setdefault(row.run, []).append(row)
    return [FlowBatch.from_rows(rows) for rows in by_run.values()]


# Insertion order is write order: every edge finds both of its ends.
NODE_WRITES: dict[type[NodeRow], NodeWrite] = {
    ModelRow: NodeWrite("write_models"),
    DatasetRow: NodeWrite("write_datasets"),
    LayerRow: NodeWrite("write_layers", "link_layers", next_pairs),
    NeuronRow: NodeWrite(
        "write_neurons",
        "link_neurons",
        requires=(Requirement("Layer", "find_layers", lambda row: (row.layer_id,)),),
    ),
    ClassRow: NodeWrite("write_classes"),
    ImageRow: NodeWrite("write_images"),
    RunRow: NodeWrite(
        "write_runs",
        "link_runs",
        requires=(
            Requirement("Model", "find_models", lambda row: (row.model,)),
            Requirement("Dataset", "find_datasets", lambda row: (row.dataset,)),
        ),
    ),
    CriticalPathRow: NodeWrite(
        "write_critical_paths",
        "link_critical_paths",
        lambda rows: [step for row in rows for step in row.steps()],
        requires=(Requirement("Neuron", "find_neurons", lambda row: row.neurons),),
        unlink="unlink_critical_paths",
    ),
}
