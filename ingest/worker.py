"""The ingest worker: explain a dataset class by class and write per-class relevance graphs.

Work goes one class at a time (the class an image is grouped under: its true label, or the
model's prediction). For a class the worker sums neuron relevance and neuron-to-neuron flows over
its images, finds its k best critical paths of each sign on the dense flows
(:mod:`ingest.evidence`), keeps the top-k incoming edges of each neuron and the paths' edges
(:mod:`ingest.aggregate`). Finished classes are stored a few at a time (:mod:`ingest.pending`):
whatever an interrupted attempt left of each is deleted, its flows, image and class relevance
and paths are written, and only then is the Run node updated, whose ``classes`` count is the
commit marker: a run killed at any point and started again skips the classes the Run counts as
done and redoes the rest from scratch, so it ends with exactly the graph of an uninterrupted run.
"""

from __future__ import annotations

import dataclasses
import itertools
import logging
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from relex.ingest.aggregate import (
    ClassSums,
    LayerPair,
    evidence_shares,
    outflow_totals,
    rank_descending,
    retained_fraction,
    top_incoming,
)
from relex.ingest.attribution import lrp_for
from relex.ingest.datasets import BaseDataset, absolute_spec, label_mapping, open_dataset
from relex.ingest.distributed import ONE_RANK, Ranks
from relex.ingest.errors import RelexError
from relex.ingest.evidence import EvidencePath, evidence_paths
from relex.ingest.explain import pick_device
from relex.ingest.images import UnreadableImageError
from relex.ingest.lrp import LRP
from relex.ingest.lrp.composites import COMPOSITES
from relex.ingest.lrp.network import Network
from relex.ingest.models import LoadedModel, load_model
from relex.ingest.pending import ClassWrite, PendingClasses
from relex.ingest.run_params import GroupBy, RunParameters
from relex.queries import (
    ClassRelevanceRow,
    ClassRow,
    CriticalPathRow,
    DatasetRow,
    FlowBatch,
    GraphStore,
    ImageRelevanceRow,
    ImageRow,
    LayerRow,
    ModelRow,
    NeuronRow,
    NodeRow,
    NotFoundError,
    RunRow,
    utc_now,
)
from relex.queries import ids as store_ids

log = logging.getLogger(__name__)

Progress = Callable[[RunRow], None]
"""Told the Run row each time the worker writes it (started, each class done, finished)."""


class IngestCancelledError(RelexError):
    """The ingest was asked to stop (its cancel event was set); running it again resumes it."""


@dataclass(frozen=True)
class _Control:
    """Who hears about progress, and the event that asks the worker to stop."""

    on_progress: Progress | None = None
    cancel: threading.Event | None = None

    def check(self) -> None:
        """Raise IngestCancelledError if the cancel event is set."""
        if self.cancel is not None and self.cancel.is_set():
            raise IngestCancelledError("the ingest was cancelled")

    def report(self, run: RunRow) -> None:
        """Tell ``on_progress`` about ``run`` (just written)."""
        if self.on_progress is not None:
            self.on_progress(run)


@dataclass(frozen=True)
class IngestOptions:
    """One ingest run. ``limit`` caps the images per class; ``classes`` picks dataset classes."""

    run: str
    dataset: str
    model: str = "vgg16"
    weights: str = "imagenet"
    method: str = "epsilon_gamma_box"
    top_k: int = 8
    batch_size: int = 16
    device: str = "auto"
    classes: tuple[int, ...] | None = None
    limit: int | None = None
    group_by: GroupBy = "label"
    paths: int = 5
    """Critical paths stored per class and sign."""

    def parameters(self) -> RunParameters:
        """What defines the run's result (the device and batch size do not)."""
        chosen = dataclasses.asdict(self)
        for key in ("run", "device", "batch_size"):
            chosen.pop(key)
        return RunParameters(**chosen)


NAMED_WEIGHTS = ("imagenet", "none")


def _absolute_paths(options: IngestOptions) -> IngestOptions:
    """``options`` with the dataset folder and a weights file named by absolute paths: the Run
    records them, and whoever renders the run later (the API) may work in another folder."""
    weights = options.weights
    if weights not in NAMED_WEIGHTS:
        weights = str(Path(weights).expanduser().resolve())
    return dataclasses.replace(options, dataset=absolute_spec(options.dataset), weights=weights)


@dataclass(frozen=True)
class _Setup:
    loaded: LoadedModel
    model_id: str
    dataset: BaseDataset
    method: LRP
    device: torch.device
    model_class: dict[int, int]
    """Model output index of each dataset class the model knows (matched by name)."""


def ingest(
    options: IngestOptions,
    store: GraphStore | None,
    *,
    progress: bool = True,
    on_progress: Progress | None = None,
    cancel: threading.Event | None = None,
    ranks: Ranks = ONE_RANK,
) -> RunRow:
    """Run (or resume) ``options.run`` into ``store`` and return the finished Run.

    ``progress`` shows progress bars; ``on_progress`` is told the Run row each time it is
    written. Once ``cancel`` is set, the worker stops before its next batch or write with
    IngestCancelledError, leaving the classes it finished stored (a later run resumes).
    Among several ``ranks`` (:mod:`relex.ingest.distributed`) each explains a shard of every
    class and rank 0 alone, the only one given a ``store``, writes."""
    control = _Control(on_progress, cancel)
    _validate(options)
    options = _absolute_paths(options)
    ranks.check_same("options", (options.run, options.parameters().to_json()))
    setup = _prepare(options)
    control.check()
    run = ranks.from_writer(lambda: _start_run(options, setup, _writer(store)))
    control.report(run)
    if run.status == "done":
        log.info("run %s is already done", run.id)
        return run
    groups = _class_groups(options, setup, progress=progress, ranks=ranks)
    ranks.check_images(sum(len(indices) for indices in groups.values()))
    done_classes = run.classes if run.status == "running" else 0
    images_done = sum(len(groups[c]) for c in sorted(groups)[:done_classes])
    correct = round((run.accuracy or 0.0) * run.images) if done_classes else 0
    total_images = sum(len(indices) for indices in groups.values())
    bar = tqdm(
        total=total_images,
        initial=images_done,
        desc=f"ingest {options.run}",
        unit="img",
        disable=not progress,
    )
    ordered = sorted(groups)
    flows_written = run.flows if done_classes else 0
    # Unreadable images are found as they are loaded: a resumed label run loads only the
    # classes still to do, a prediction run loads every image again in its first pass.
    skipped_before = run.skipped if done_classes and options.group_by == "label" else 0
    pending = PendingClasses(
        _writer(store) if ranks.writes else None, control.report, total=len(ordered)
    )
    try:
        for position, class_index in enumerate(ordered):
            if position < done_classes:
                continue
            control.check()
            sums, class_correct, image_rows = _explain_class(
                setup, options, class_index, ranks.shard(groups[class_index]), bar, control
            )
            own = sums.images
            sums, (class_correct, skipped), image_rows = ranks.reduce_class(
                setup.method.network,
                setup.device,
                sums,
                (class_correct, setup.dataset.skipped_count),
                image_rows,
            )
            bar.update(sums.images - own)
            control.check()
            write = None
            if not sums.images:
                log.warning(
                    "class %s: none of its %d images could be read; nothing written for it",
                    setup.dataset.class_names[class_index],
                    len(groups[class_index]),
                )
            elif ranks.writes:
                write = _class_write(setup, options, class_index, sums, image_rows)
                flows_written += len(write.flows) if write.flows is not None else 0
            correct += class_correct
            images_done += sums.images
            run = dataclasses.replace(
                run,
                classes=position + 1,
                images=images_done,
                flows=flows_written,
                accuracy=correct / images_done if images_done else None,
                skipped=skipped_before + skipped,
                updated_at=utc_now(),
            )
            pending.add(write, run, class_index)
    finally:  # what is finished is kept, whatever stops the loop
        pending.flush()
    bar.close()
    if setup.dataset.skipped_count:
        log.warning("%d unreadable images were skipped", setup.dataset.skipped_count)
    control.check()
    run = dataclasses.replace(run, status="done", updated_at=utc_now())
    if ranks.writes:
        _writer(store).write_nodes([run])
    control.report(run)
    return ranks.from_writer(lambda: run)


def _writer(store: GraphStore | None) -> GraphStore:
    if store is None:
        raise RelexError("the writing rank needs a store")
    return store


def _validate(options: IngestOptions) -> None:
    if options.method not in COMPOSITES:
        raise RelexError(
            f"ingest needs an LRP method ({', '.join(COMPOSITES)}), not {options.method!r}"
        )
    if options.top_k < 1:
        raise RelexError(f"--top-k must be at least 1, not {options.top_k}")
    if options.paths < 1:
        raise RelexError(f"--paths must be at least 1, not {options.paths}")
    if options.batch_size < 1:
        raise RelexError(f"--batch-size must be at least 1, not {options.batch_size}")
    if options.limit is not None and options.limit < 1:
        raise RelexError(f"--limit must be at least 1, not {options.limit}")
    if options.group_by not in ("label", "prediction"):
        raise RelexError(f"--group-by must be label or prediction, not {options.group_by!r}")


def _prepare(options: IngestOptions) -> _Setup:
    dataset = open_dataset(options.dataset)
    loaded = load_model(options.model, options.weights)
    device = pick_device(options.device)
    loaded.module.to(device)
    _check_channels(dataset, loaded)
    method = lrp_for(loaded.module, loaded.preprocessing, options.method, device=device)
    if options.group_by == "label":
        label_mapping(dataset, loaded.class_names)
    outputs = {name: index for index, name in enumerate(loaded.class_names)}
    model_class = {
        label: outputs[name] for label, name in enumerate(dataset.class_names) if name in outputs
    }
    model_id = loaded.name
    if loaded.weights_sha256 and options.weights != "imagenet":
        model_id = f"{loaded.name}-{loaded.weights_sha256[:12]}"
    return _Setup(loaded, model_id, dataset, method, device, model_class)


def _check_channels(dataset: BaseDataset, loaded: LoadedModel) -> None:
    """A colour model can read grey images (replicated), not the other way round silently.

    The first readable image decides; unreadable ones before it are left to the batches, which
    skip and count them like any other."""
    if not len(dataset):
        raise RelexError(f"dataset {dataset.spec} has no images")
    mode = _first_mode(dataset)
    if loaded.preprocessing.grayscale and mode not in ("L", "1", "I", "F"):
        log.warning(
            "model %s reads grey images; the colour images of %s are converted to grey",
            loaded.name,
            dataset.name,
        )


def _first_mode(dataset: BaseDataset) -> str:
    """The mode of the first readable image; RelexError if none can be read."""
    first: UnreadableImageError | None = None
    for index in range(len(dataset)):
        try:
            return dataset.image(index).mode
        except UnreadableImageError as error:
            first = first or error
    raise RelexError(f"none of the {len(dataset)} images of {dataset.spec} can be read: {first}")


def _start_run(options: IngestOptions, setup: _Setup, store: GraphStore) -> RunRow:
    store.create_schema()
    params = options.parameters().to_json()
    try:
        existing = store.get_run(options.run)
    except NotFoundError:
        existing = None
    if existing is not None and existing.params != params:
        raise RelexError(
            f"run {options.run} already exists with other parameters ({existing.params}); "
            "choose another --run name"
        )
    _write_structure(store, setup)
    if existing is not None:
        if existing.status != "done":
            log.info("resuming run %s after %d classes", existing.id, existing.classes)
            existing = dataclasses.replace(existing, status="running", updated_at=utc_now())
            store.write_nodes([existing])
        return existing
    run = RunRow(
        id=options.run,
        name=options.run,
        model=setup.model_id,
        dataset=setup.dataset.name,
        method=options.method,
        params=params,
        status="running",
        code_version=_code_version(),
        weights_hash=setup.loaded.weights_sha256 or setup.loaded.weights,
    )
    store.write_nodes([run])
    return run


def _write_structure(store: GraphStore, setup: _Setup) -> None:
    network = setup.method.network
    model = setup.model_id
    dataset = setup.dataset
    wnids = dataset.wnids
    rows: list[NodeRow] = [
        ModelRow(
            model, arch=setup.loaded.name, layers=len(network.layers), neurons=network.neuron_count
        ),
        DatasetRow(dataset.name, kind=dataset.kind, path=dataset.spec),
        *(
            LayerRow(model, layer.name, layer.depth, layer.kind, layer.size, layer.lower)
            for layer in network.layers
        ),
        *(
            NeuronRow(model, layer.name, index)
            for layer in network.layers
            for index in range(layer.size)
        ),
        *(
            ClassRow(dataset.name, index, name, wnids[index] if wnids else None)
            for index, name in enumerate(dataset.class_names)
        ),
    ]
    store.write_nodes(rows)


def _class_groups(
    options: IngestOptions, setup: _Setup, *, progress: bool, ranks: Ranks
) -> dict[int, list[int]]:
    """Dataset indices of each class the run aggregates over, classes ascending."""
    dataset = setup.dataset
    wanted = options.classes if options.classes is not None else dataset.present_classes
    unknown = sorted(set(wanted) - set(dataset.present_classes))
    if unknown:
        raise RelexError(f"classes {unknown} have no images in {dataset.name}")
    selected = dataset.select(classes=wanted)
    if options.group_by == "label":
        labels = dataset.labels
        groups = {c: [i for i in selected if labels[i] == c][: options.limit] for c in wanted}
    else:
        groups = _predicted_groups(setup, selected, options, progress=progress, ranks=ranks)
    return {c: indices for c, indices in sorted(groups.items()) if indices}


def _predicted_groups(
    setup: _Setup, selected: list[int], options: IngestOptions, *, progress: bool, ranks: Ranks
) -> dict[int, list[int]]:
    """Group images by the model's prediction, as dataset classes (matched by class name)."""
    label_of_output = {output: label for label, output in setup.model_class.items()}
    groups: dict[int, list[int]] = {}
    outside = 0
    batches = _batches(setup, ranks.shard(selected), options.batch_size)
    for indices, inputs, _ in tqdm(batches, desc="predicting", unit="batch", disable=not progress):
        with torch.no_grad():
            predicted = setup.loaded.module(inputs).argmax(1).tolist()
        for index, output in zip(indices, predicted, strict=True):
            label = label_of_output.get(output)
            if label is None:
                outside += 1
            else:
                groups.setdefault(label, []).append(index)
    if outside:
        log.warning("%d images were predicted as classes the dataset does not have", outside)
    groups = ranks.merge_groups(groups)
    return {c: indices[: options.limit] for c, indices in groups.items()}


def _batches(
    setup: _Setup, indices: Sequence[int], batch_size: int
) -> Iterator[tuple[list[int], torch.Tensor, torch.Tensor]]:
    for batch in setup.dataset.batches(
        setup.loaded.preprocessing, batch_size, indices=list(indices)
    ):
        yield batch.indices, batch.inputs.to(setup.device), batch.labels


def _explain_class(
    setup: _Setup,
    options: IngestOptions,
    class_index: int,
    indices: list[int],
    bar: tqdm,
    control: _Control,
) -> tuple[ClassSums, int, list[ImageRelevanceRow | ImageRow]]:
    """Sum relevance and flows over the class's images; rows of each image's top neurons."""
    sums = ClassSums()
    correct = 0
    rows: list[ImageRelevanceRow | ImageRow] = []
    target = setup.model_class[class_index]
    for batch_indices, inputs, labels in _batches(setup, indices, options.batch_size):
        control.check()
        result = setup.method.attribute(
            inputs, target, flow_groups=torch.zeros(len(batch_indices), dtype=torch.long)
        )
        sums.add(result.neuron_relevance, {pair: flow[0] for pair, flow in result.flows.items()})
        predicted = result.logits.argmax(1).cpu()
        truth = torch.tensor([setup.model_class.get(int(label), -1) for label in labels])
        correct += int((predicted == truth).sum())
        rows += _image_rows(setup, options, batch_indices, result.neuron_relevance)
        bar.update(len(batch_indices))
    return sums, correct, rows


def _image_rows(
    setup: _Setup,
    options: IngestOptions,
    indices: list[int],
    neuron_relevance: Mapping[str, torch.Tensor],
) -> list[ImageRelevanceRow | ImageRow]:
    rows: list[ImageRelevanceRow | ImageRow] = []
    for offset, index in enumerate(indices):
        sample = setup.dataset.sample(index)
        image = ImageRow(setup.dataset.name, sample.image_id, sample.label)
        rows.append(image)
        for layer, relevance in neuron_relevance.items():
            values = relevance[offset].double().cpu().numpy()
            ranks = rank_descending(values)
            for neuron in np.argsort(ranks)[: options.top_k]:
                rows.append(
                    ImageRelevanceRow(
                        options.run,
                        image.id,
                        store_ids.neuron_id(setup.model_id, layer, int(neuron)),
                        float(values[neuron]),
                        int(ranks[neuron]),
                    )
                )
    return rows


def _class_write(
    setup: _Setup,
    options: IngestOptions,
    class_index: int,
    sums: ClassSums,
    image_rows: list[ImageRelevanceRow | ImageRow],
) -> ClassWrite:
    """The class's part of the run: its top-k FLOW edges with the critical paths' edges,
    image and class relevance, and the critical paths."""
    network: Network = setup.method.network
    model, run = setup.model_id, options.run
    class_id = store_ids.class_id(setup.dataset.name, class_index)
    outflows = outflow_totals(sums.flows)
    shares = {
        pair: evidence_shares(flow, outflows[pair[1]], sums.neurons[pair[0]])
        for pair, flow in sums.flows.items()
    }
    paths = _critical_paths(network, options, sums, shares)
    on_paths = _path_edges(paths)
    kept: dict[str, np.ndarray] = {}
    total: dict[str, np.ndarray] = {}
    batches = []
    for (lower, upper), flow in sums.flows.items():
        edges = top_incoming(
            flow, shares[(lower, upper)], options.top_k, keep=on_paths.get((lower, upper))
        )
        kept[upper] = kept.get(upper, 0.0) + edges.kept_magnitude
        total[upper] = total.get(upper, 0.0) + edges.total_magnitude
        if len(edges.flow):
            batches.append(
                FlowBatch.of(
                    run,
                    class_id,
                    _neuron_ids(model, upper, edges.upper),
                    _neuron_ids(model, lower, edges.lower),
                    edges.flow,
                    edges.share,
                )
            )
    class_rows = []
    for layer in network.layers:
        totals = sums.neurons[layer.name]
        ranks = rank_descending(totals)
        retained = (
            retained_fraction(kept[layer.name], total[layer.name]) if layer.name in kept else None
        )
        for index in range(layer.size):
            class_rows.append(
                ClassRelevanceRow(
                    run,
                    class_id,
                    store_ids.neuron_id(model, layer.name, index),
                    float(totals[index]),
                    int(ranks[index]),
                    float(totals[index] / sums.images),
                    None if retained is None else float(retained[index]),
                    sums.images,
                )
            )
    return ClassWrite(
        class_id,
        FlowBatch.concat(batches) if batches else None,
        [row for row in image_rows if isinstance(row, ImageRow)],
        [row for row in image_rows if isinstance(row, ImageRelevanceRow)],
        class_rows,
        [
            CriticalPathRow(
                run,
                class_id,
                "positive" if path.sign > 0 else "negative",
                path.rank,
                path.score,
                tuple(store_ids.neuron_id(model, layer, index) for layer, index in path.hops),
            )
            for path in paths
        ],
    )


def _critical_paths(
    network: Network,
    options: IngestOptions,
    sums: ClassSums,
    shares: Mapping[LayerPair, np.ndarray],
) -> list[EvidencePath]:
    """The class's ``options.paths`` best paths of each sign on its dense flows, from its
    output neuron (the largest |relevance|, the smaller index on a tie) to the first weight
    layer: what ``queries.analysis.critical_paths`` answers with its defaults."""
    layers = network.layers
    if len(layers) < 3:
        return []
    output = layers[-1].name
    source = (output, int(np.argmax(np.abs(sums.neurons[output]))))
    depths = {layer.name: layer.depth for layer in layers}
    return [
        path
        for sign in (1, -1)
        for path in evidence_paths(
            sums.flows,
            shares,
            depths,
            source=source,
            target_layer=layers[1].name,
            k=options.paths,
            sign=sign,
        )
    ]


def _path_edges(paths: Sequence[EvidencePath]) -> dict[LayerPair, tuple[np.ndarray, np.ndarray]]:
    """The (lower, upper) index arrays of the paths' edges, per (lower, upper) layer pair."""
    edges: dict[LayerPair, set[tuple[int, int]]] = {}
    for path in paths:
        for (upper_layer, upper), (lower_layer, lower) in itertools.pairwise(path.hops):
            edges.setdefault((lower_layer, upper_layer), set()).add((lower, upper))
    return {
        pair: (
            np.array([lower for lower, _ in kept], dtype=np.int64),
            np.array([upper for _, upper in kept], dtype=np.int64),
        )
        for pair, kept in edges.items()
    }


def _neuron_ids(model: str, layer: str, indices: np.ndarray) -> np.ndarray:
    return np.array([store_ids.neuron_id(model, layer, int(i)) for i in indices], dtype=object)


def _code_version() -> str:
    try:
        return f"relevance-explorer {metadata.version('relevance-explorer')}"
    except metadata.PackageNotFoundError:
        return "relevance-explorer (not installed)"
