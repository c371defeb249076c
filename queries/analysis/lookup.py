"""Runs, classes, layers and neurons of a store, and the checks that turn an unknown id into a
clear NotFoundError instead of an empty answer."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from relex.queries.analysis.errors import InvalidArgumentError
from relex.queries.analysis.results import ClassInfo, LayerInfo, RunInfo
from relex.queries.errors import NotFoundError
from relex.queries.ids import SEP, parse_neuron_id
from relex.queries.rows import RunRow
from relex.queries.store import GraphStore


def positive(name: str, value: int) -> int:
    """``value`` if it is at least 1, else InvalidArgumentError."""
    if value < 1:
        raise InvalidArgumentError(f"{name} must be at least 1, not {value}")
    return value


def neuron_params(ids: Sequence[str]) -> dict[str, list[str] | list[int]]:
    """The parameters that name neurons for flows_from, flows_into and neuron_relevance: their
    ids, and their indices, which the embedded store's texts test first (kuzu 0.11.3 tests a
    list of ids by comparing strings one by one; the integer test leaves it few rows)."""
    return {"ids": list(ids), "indices": sorted({parse_neuron_id(i).index for i in ids})}


def list_runs(store: GraphStore) -> list[RunInfo]:
    """Every run in the store, by id."""
    return [RunInfo(**row) for row in store.query_named("list_runs")]


def list_classes(store: GraphStore, *, run: str) -> list[ClassInfo]:
    """The classes that run ``run`` has relevance for, by class index."""
    store.get_run(run)
    return [_class_info(row) for row in store.query_named("run_classes", {"run": run})]


def list_layers(store: GraphStore, *, run: str) -> list[LayerInfo]:
    """The layers of the run's model, input first."""
    return layers_of(store, store.get_run(run))


def layers_of(store: GraphStore, run: RunRow) -> list[LayerInfo]:
    """The layers of ``run``'s model, input first; NotFoundError if the model has none."""
    layers = [
        LayerInfo(row["id"], row["name"], row["depth"], row["kind"], row["neurons"])
        for row in store.query_named("model_layers", {"model": run.model})
    ]
    if not layers:
        raise NotFoundError(f"model {run.model!r} of run {run.id!r} has no layers in the store")
    return layers


def layer_named(layers: list[LayerInfo], name: str, run: str) -> LayerInfo:
    """The layer called ``name``; NotFoundError naming the known ones otherwise."""
    for layer in layers:
        if layer.name == name:
            return layer
    known = ", ".join(layer.name for layer in layers)
    raise NotFoundError(f"run {run!r} has no layer {name!r}; its layers: {known}")


@dataclass(frozen=True)
class ClassScope:
    """A class checked to have relevance in a run, with the run's layers."""

    run: RunRow
    info: ClassInfo
    layers: list[LayerInfo]
    output_neuron: str
    """The class's neuron in the last layer: the one with the largest |relevance| (the
    explained logit, which may be negative; the other logits carry no relevance)."""


def class_scope(store: GraphStore, *, run: str, class_id: str) -> ClassScope:
    """Check that ``run`` exists and has relevance for ``class_id`` (a Class id, or the name of
    one of the run's classes); NotFoundError otherwise. ``info.id`` is the Class id."""
    stored_run = store.get_run(run)
    found = store.query_named("get_class", {"class_id": class_id}) or [
        _class_named(store, run, class_id)
    ]
    class_id = str(found[0]["id"])
    layers = layers_of(store, stored_run)
    output = store.query_named(
        "class_output", {"run": run, "class_id": class_id, "layer": layers[-1].name}
    )
    if not output:
        raise NotFoundError(f"run {run!r} has no relevance for class {class_id!r}")
    info = _class_info({**found[0], "images": output[0]["images"]})
    return ClassScope(stored_run, info, layers, output[0]["id"])


def find_class(store: GraphStore, *, run: str, class_id: str) -> ClassInfo:
    """The class ``class_id`` (an id, a name or a name's prefix) of ``run``, with its image count;
    NotFoundError as :func:`class_scope` gives it."""
    return class_scope(store, run=run, class_id=class_id).info


def _class_named(store: GraphStore, run: str, name: str) -> dict[str, object]:
    """The run's class called ``name`` (case aside), or the one class whose name starts with
    it; NotFoundError naming the candidates when none or several match."""
    classes = store.query_named("run_classes", {"run": run})
    wanted = name.casefold()
    for matches in (
        [row for row in classes if str(row["name"]).casefold() == wanted],
        [row for row in classes if str(row["name"]).casefold().startswith(wanted)],
    ):
        if len(matches) == 1:
            return matches[0]
        if matches:
            listed = ", ".join(f"{row['id']} ({row['name']})" for row in matches)
            raise NotFoundError(f"class {name!r} is ambiguous in run {run!r}: {listed}")
    known = ", ".join(f"{row['id']} ({row['name']})" for row in classes[:12])
    more = f", ... ({len(classes)} in all)" if len(classes) > 12 else ""
    raise NotFoundError(
        f"class {name!r} is not in {store.describe()} as an id, nor a class name of run "
        f"{run!r}: {known or 'it has no classes'}{more}"
    )


@dataclass(frozen=True)
class NeuronRef:
    """A neuron checked to exist in a run's model."""

    id: str
    layer: LayerInfo
    index: int


def neuron_in(store: GraphStore, run: RunRow, layers: list[LayerInfo], neuron: str) -> NeuronRef:
    """The neuron ``neuron`` of ``run``'s model, given as its id or as ``layer/index`` (short for
    ``<model>/layer/index``); NotFoundError if the store or model lacks it."""
    found = store.query_named("get_neuron", {"neuron": neuron})
    if not found and neuron.count(SEP) == 1:
        found = store.query_named("get_neuron", {"neuron": f"{run.model}{SEP}{neuron}"})
    if not found:
        raise NotFoundError(f"neuron {neuron!r} is not in {store.describe()}")
    row = found[0]
    if row["model"] != run.model:
        raise NotFoundError(
            f"neuron {neuron!r} belongs to model {row['model']!r}, not to run {run.id!r}'s "
            f"model {run.model!r}"
        )
    return NeuronRef(row["id"], layer_named(layers, row["layer"], run.id), int(row["idx"]))


def _class_info(row: dict[str, object]) -> ClassInfo:
    return ClassInfo(
        id=str(row["id"]),
        dataset=str(row["dataset"]),
        index=int(row["idx"]),  # type: ignore[call-overload]
        name=str(row["name"]),
        wnid=None if row["wnid"] is None else str(row["wnid"]),
        images=int(row["images"] or 0),  # type: ignore[call-overload]
    )
