"""Heatmaps, deconvolutions, selection curves and reference images for a run's model.

The run's model, method and dataset come from :mod:`api.runs`. Renders are cached (LRU) by the
request; the forward pass and the full heatmap of an image are cached too, so selecting another
subgraph of the same image costs one conditional backward pass.
"""

from __future__ import annotations

import io
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from PIL import Image
from torch import Tensor

from relex.api.cache import LRUCache
from relex.api.runs import ImageInput, RunModel, RunService
from relex.ingest.errors import RelexError
from relex.ingest.lrp import INPUT_LAYER, Attribution
from relex.ingest.lrp.engine import Trace
from relex.ingest.render import heatmap_rgb, pixels_rgb, side_by_side
from relex.ingest.selection import (
    SelectionResult,
    compare_with_full,
    doubling_ks,
    selection_curve,
)
from relex.queries import InvalidRowError
from relex.queries import ids as store_ids

MAX_SELECTED = 4096
"""The most neurons one selection may name."""


class SelectionError(RelexError):
    """A neuron selection that does not fit the run: empty, too large, another model's neurons."""


@dataclass(frozen=True)
class HeatmapRender:
    """A subgraph's conditional heatmap (summed over colour channels) beside the full one."""

    heatmap: np.ndarray
    full: np.ndarray
    mse: float
    smape: float
    target: int
    logit: float
    neurons_kept: int

    def png(self) -> bytes:
        """The subgraph heatmap, coloured by :func:`ingest.render.heatmap_rgb`, as PNG bytes."""
        return png_bytes(heatmap_rgb(self.heatmap))


@dataclass(frozen=True)
class DeconvolutionRender:
    """The DeconvNet projection (summed over colour channels) of the selected neurons."""

    projection: np.ndarray
    target: int

    def png(self) -> bytes:
        """The projection, coloured by :func:`ingest.render.heatmap_rgb`, as PNG bytes."""
        return png_bytes(heatmap_rgb(self.projection))


@dataclass(frozen=True)
class Reference:
    """A reference image of a neuron: its score and the neuron's heatmap around its peak."""

    image: str
    score: float
    crop: tuple[int, int, int, int]
    """top, left, bottom, right of the crop in model-input pixels."""
    png: bytes
    """The input crop beside the neuron's heatmap crop."""


def png_bytes(pixels: np.ndarray) -> bytes:
    """An ``(H, W, 3)`` uint8 array as PNG bytes."""
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    return buffer.getvalue()


def parse_neuron(neuron: str) -> tuple[str, str, int]:
    """ "model/layer/index" as its parts; SelectionError if it is not one."""
    try:
        parts = store_ids.parse_neuron_id(neuron)
    except InvalidRowError as error:
        raise SelectionError(str(error)) from None
    return parts.model, parts.layer, parts.index


class Renderer:
    """Renders for the runs ``runs`` serves, cached (LRU) by the request."""

    def __init__(self, runs: RunService, *, cache_size: int = 128) -> None:
        self.runs = runs
        self._traces: LRUCache[tuple[str, str, int | None], tuple[Trace, Attribution]] = LRUCache(
            16
        )
        self.renders: LRUCache[Hashable, Any] = LRUCache(cache_size)

    def selection(self, context: RunModel, neurons: Sequence[str]) -> dict[str, list[int]]:
        """Neuron ids as layer -> indices of the run's model; SelectionError unless every id
        names a neuron of that model, and the selection is neither empty nor too large."""
        if not neurons:
            raise SelectionError("the selection is empty: name at least one neuron")
        if len(neurons) > MAX_SELECTED:
            raise SelectionError(
                f"the selection names {len(neurons)} neurons; at most {MAX_SELECTED} are allowed"
            )
        chosen: dict[str, list[int]] = {}
        layers = {layer.name: layer for layer in context.lrp.network.layers}
        for neuron in neurons:
            model, layer, index = parse_neuron(neuron)
            if model != context.model_id:
                raise SelectionError(
                    f"neuron {neuron} belongs to model {model}, not to run {context.run.id}'s "
                    f"model {context.model_id}"
                )
            if layer not in layers:
                raise SelectionError(
                    f"model {model} has no layer {layer!r}; layers: {', '.join(layers)}"
                )
            if index >= layers[layer].size:
                raise SelectionError(
                    f"layer {layer} of {model} has {layers[layer].size} neurons; "
                    f"{neuron} is out of range"
                )
            chosen.setdefault(layer, []).append(index)
        return {layer: sorted(set(indices)) for layer, indices in chosen.items()}

    def _full(
        self, context: RunModel, image: ImageInput, target: int | None
    ) -> tuple[Trace, Attribution]:
        def make() -> tuple[Trace, Attribution]:
            trace = context.lrp.trace(image.tensor)
            return trace, context.lrp.attribute(image.tensor, target, trace=trace)

        return self._traces.get_or_make((context.run.id, image.key, target), make)

    def heatmap(
        self,
        context: RunModel,
        image: ImageInput,
        target: int | None,
        neurons: Mapping[str, Sequence[int]],
    ) -> HeatmapRender:
        """The conditional LRP heatmap of the subgraph ``neurons`` (layer -> indices), with the
        MSE and SMAPE of the full heatmap against it (:mod:`ingest.selection`)."""
        key = ("heatmap", context.run.id, image.key, target, _frozen(neurons))

        def make() -> HeatmapRender:
            trace, full = self._full(context, image, target)
            compared = compare_with_full(context.lrp, image.tensor, full, neurons, trace)
            return HeatmapRender(
                heatmap=_plane(compared.heatmap),
                full=_plane(full.heatmap),
                mse=compared.mse,
                smape=compared.smape,
                target=int(full.target[0]),
                logit=float(full.logits[0, full.target[0]]),
                neurons_kept=compared.neurons_kept,
            )

        return self.renders.get_or_make(key, make)

    def deconvolution(
        self,
        context: RunModel,
        image: ImageInput,
        target: int | None,
        neurons: Mapping[str, Sequence[int]],
    ) -> DeconvolutionRender:
        """The DeconvNet projection (Zeiler & Fergus 2014) of the selected neurons' rectified
        activations, one projection per layer, summed; input-layer neurons are left out."""
        key = ("deconvolution", context.run.id, image.key, target, _frozen(neurons))

        def make() -> DeconvolutionRender:
            layers = {name: list(idx) for name, idx in neurons.items() if name != INPUT_LAYER}
            if not layers:
                raise SelectionError("deconvolution projects hidden-layer neurons; none selected")
            total: Tensor | None = None
            resolved = 0
            for layer, indices in layers.items():
                result = context.deconvnet.attribute(
                    image.tensor, target, layer=layer, neurons=indices
                )
                total = result.heatmap if total is None else total + result.heatmap
                resolved = int(result.target[0])
            assert total is not None
            return DeconvolutionRender(projection=_plane(total), target=resolved)

        return self.renders.get_or_make(key, make)

    def selection_curve(
        self,
        context: RunModel,
        image: ImageInput,
        target: int | None,
        *,
        ks: Sequence[int] | None,
        metric: str,
        threshold: float,
    ) -> SelectionResult:
        """The seed paper's neuron selection: top-k neurons per layer for growing k (None: 1, 2,
        4, ... up to the largest restricted layer), and the smallest k whose conditional heatmap
        meets ``threshold`` (:mod:`ingest.selection`)."""
        ks = ks or doubling_ks(context.lrp)
        key = ("selection", context.run.id, image.key, target, tuple(ks), metric, threshold)
        return self.renders.get_or_make(
            key,
            lambda: selection_curve(
                context.lrp,
                image.tensor,
                target,
                ks=ks,
                metric=metric,  # type: ignore[arg-type]
                threshold=threshold,
            ),
        )

    def references(
        self, context: RunModel, neuron: str, images: Sequence[tuple[str, float]]
    ) -> list[Reference]:
        """``images`` (id, score) of the run's dataset, each with the neuron's conditional
        heatmap for the image's predicted class, cropped around its strongest pixel."""
        _, layer, index = parse_neuron(neuron)
        found = []
        for image_id, score in images:
            image = self.runs.stored_image(context, image_id)
            render = self.heatmap(context, image, None, {layer: [index]})
            crop = _crop_box(render.heatmap)
            top, left, bottom, right = crop
            pixels = context.loaded.preprocessing.denormalise(image.tensor)[0].cpu().numpy()
            panel = side_by_side(
                pixels_rgb(pixels[:, top:bottom, left:right]),
                heatmap_rgb(render.heatmap[top:bottom, left:right]),
            )
            buffer = io.BytesIO()
            panel.save(buffer, format="PNG")
            found.append(Reference(image_id, score, crop, buffer.getvalue()))
        return found

    def top_activations(self, context: RunModel, neuron: str, k: int) -> list[tuple[str, float]]:
        """The ``k`` dataset images (of the run's classes) where the neuron's activation (its
        spatial maximum for a channel) is largest."""
        _, layer, index = parse_neuron(neuron)
        key = ("activations", context.run.id, layer)
        ids, activations = self.renders.get_or_make(key, lambda: self._activations(context, layer))
        column = activations[:, index]
        order = np.argsort(-column, kind="stable")[:k]
        return [(ids[i], float(column[i])) for i in order]

    def _activations(self, context: RunModel, layer: str) -> tuple[list[str], np.ndarray]:
        classes = context.params.classes
        limit = context.params.limit
        dataset = context.dataset
        items: list[int] = []
        for label in classes if classes is not None else dataset.present_classes:
            items += dataset.select(classes=[label], limit=limit)
        steps = [step.name for step in context.lrp.network.steps]
        ids, rows = [], []
        for batch in dataset.batches(context.loaded.preprocessing, 16, indices=items):
            if layer == INPUT_LAYER:
                output = batch.inputs.to(self.runs.device)
            else:
                output = context.lrp.trace(batch.inputs).outputs[steps.index(layer)]
            rows.append(output.flatten(2).amax(2) if output.ndim > 2 else output)
            ids += [
                store_ids.image_id(dataset.name, dataset.sample(i).image_id) for i in batch.indices
            ]
        return ids, torch.cat(rows).cpu().double().numpy()


def _frozen(neurons: Mapping[str, Sequence[int]]) -> tuple[tuple[str, tuple[int, ...]], ...]:
    return tuple(sorted((layer, tuple(indices)) for layer, indices in neurons.items()))


def _plane(heatmap: Tensor) -> np.ndarray:
    """The first image's heatmap summed over colour channels, float64 ``(H, W)``."""
    return heatmap[0].detach().double().sum(0).cpu().numpy()


def _crop_box(heatmap: np.ndarray, fraction: float = 0.5) -> tuple[int, int, int, int]:
    """A square ``fraction`` of the image side, centred on the largest relevance (clamped)."""
    height, width = heatmap.shape
    row, column = np.unravel_index(int(np.argmax(heatmap)), heatmap.shape)
    side = max(1, round(min(height, width) * fraction))
    top = int(min(max(row - side // 2, 0), height - side))
    left = int(min(max(column - side // 2, 0), width - side))
    return top, left, top + side, left + side
