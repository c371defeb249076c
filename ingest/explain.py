"""Explain image files with one method and write heatmaps: what ``relex explain`` does."""

from __future__ import annotations

import difflib
import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from relex.ingest.attribution import lrp_for
from relex.ingest.errors import RelexError
from relex.ingest.images import UnreadableImageError, decode_image
from relex.ingest.lrp import (
    Attribution,
    DeconvNet,
    Gradient,
    GradientXInput,
    IntegratedGradients,
)
from relex.ingest.lrp.composites import COMPOSITES
from relex.ingest.models import LoadedModel, load_model
from relex.ingest.registry import EXPLAIN_METHODS
from relex.ingest.render import heatmap_rgb, pixels_rgb, side_by_side

log = logging.getLogger(__name__)

METHODS = EXPLAIN_METHODS


@dataclass(frozen=True)
class Explanation:
    """What was explained for one image and where its files went."""

    image: str
    predicted: int
    predicted_name: str
    target: int
    target_name: str
    logit: float
    delta: float | None
    png: str
    npy: str


def pick_device(device: str) -> torch.device:
    """``auto`` is CUDA when present, the CPU otherwise."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise RelexError(f"device {device} asked for, but CUDA is not available here")
    try:
        return torch.device(device)
    except RuntimeError:
        raise RelexError(f"unknown device {device!r} (use auto, cpu or cuda)") from None


def attribute(
    loaded: LoadedModel, method: str, inputs: torch.Tensor, target: int | None
) -> Attribution:
    """Run method ``method`` (a composite name or a gradient method) on a batch."""
    if method in COMPOSITES:
        lrp = lrp_for(loaded.module, loaded.preprocessing, method)
        return lrp.attribute(inputs, target, return_delta=True)
    if method == "integrated_gradients":
        return IntegratedGradients(loaded.module).attribute(inputs, target, return_delta=True)
    if method == "gradient_x_input":
        return GradientXInput(loaded.module).attribute(inputs, target)
    if method == "gradient":
        return Gradient(loaded.module).attribute(inputs, target)
    if method == "deconvnet":
        return DeconvNet(loaded.module).attribute(inputs, target)
    raise RelexError(f"unknown method {method!r}; known: {', '.join(METHODS)}")


def resolve_class(target: str, class_names: Sequence[str]) -> int | None:
    """``auto`` (None: the prediction), a class index, or a class name (case-insensitive)."""
    if target == "auto":
        return None
    if target.lstrip("-").isdigit():
        index = int(target)
        if not 0 <= index < len(class_names):
            raise RelexError(
                f"target class {index} is out of range: the model has {len(class_names)} classes "
                f"(0 to {len(class_names) - 1})"
            )
        return index
    lowered = [name.lower() for name in class_names]
    if target.lower() in lowered:
        return lowered.index(target.lower())
    close = difflib.get_close_matches(target.lower(), lowered, n=3)
    hint = f"; did you mean {', '.join(repr(class_names[lowered.index(c)]) for c in close)}?"
    raise RelexError(f"unknown target class {target!r}" + (hint if close else ""))


@dataclass(frozen=True)
class Failure:
    """An image that could not be explained, and why."""

    image: str
    reason: str


@dataclass(frozen=True)
class ExplainReport:
    """What :func:`explain_images` explained, and the images it could not read."""

    explanations: list[Explanation]
    failures: list[Failure]


def explain_images(
    images: Sequence[Path],
    *,
    model: str = "vgg16",
    weights: str = "none",
    method: str = "epsilon_gamma_box",
    target: str = "auto",
    out: Path,
    device: str = "auto",
    batch_size: int = 8,
) -> ExplainReport:
    """Explain each readable image, write ``<name>.png`` (input beside heatmap) and ``<name>.npy``
    (raw relevance, shape (C, H, W)) into ``out``, and report what was explained.

    An image that cannot be decoded (:func:`ingest.images.decode_image`) is a failure of its own:
    the others are still explained. ``out`` is created only once there is something to write.
    """
    if not images:
        raise RelexError("no images given")
    if method not in METHODS:
        raise RelexError(f"unknown method {method!r}; known: {', '.join(METHODS)}")
    loaded = load_model(model, weights)
    target_index = resolve_class(target, loaded.class_names)
    chosen = pick_device(device)
    loaded.module.to(chosen)
    stems = _unique_stems(images)
    explanations: list[Explanation] = []
    failures: list[Failure] = []
    bar = tqdm(total=len(images), desc="explaining", unit="img", disable=len(images) <= batch_size)
    for batch, inputs in _batches(images, loaded, batch_size, failures):
        result = attribute(loaded, method, inputs.to(chosen), target_index)
        out.mkdir(parents=True, exist_ok=True)
        for offset, k in enumerate(batch):
            explanations.append(_write(loaded, result, inputs, offset, images[k], out / stems[k]))
        bar.update(len(batch))
    bar.close()
    return ExplainReport(explanations, failures)


def _batches(
    images: Sequence[Path], loaded: LoadedModel, batch_size: int, failures: list[Failure]
) -> Iterator[tuple[list[int], torch.Tensor]]:
    """Positions and model inputs of the readable images, ``batch_size`` at a time; each
    unreadable one is appended to ``failures`` instead."""
    kept: list[int] = []
    inputs: list[torch.Tensor] = []
    for k, path in enumerate(images):
        try:
            inputs.append(loaded.preprocessing(decode_image(path)))
        except UnreadableImageError as error:
            log.info("not explaining %s: %s", path, error)
            failures.append(Failure(str(path), str(error)))
            continue
        kept.append(k)
        if len(kept) == batch_size:
            yield kept, torch.stack(inputs)
            kept, inputs = [], []
    if kept:
        yield kept, torch.stack(inputs)


def _write(
    loaded: LoadedModel,
    result: Attribution,
    inputs: torch.Tensor,
    offset: int,
    image: Path,
    stem: Path,
) -> Explanation:
    relevance = result.heatmap[offset].detach().cpu().numpy().astype(np.float32)
    pixels = loaded.preprocessing.denormalise(inputs[offset].detach().cpu()).numpy()
    png, npy = stem.with_suffix(".png"), stem.with_suffix(".npy")
    side_by_side(pixels_rgb(pixels), heatmap_rgb(relevance.sum(0))).save(png)
    np.save(npy, relevance)
    logits = result.logits[offset]
    predicted = int(logits.argmax())
    target = int(result.target[offset])
    return Explanation(
        image=str(image),
        predicted=predicted,
        predicted_name=loaded.class_names[predicted],
        target=target,
        target_name=loaded.class_names[target],
        logit=float(logits[target]),
        delta=None if result.delta is None else float(result.delta[offset]),
        png=str(png),
        npy=str(npy),
    )


def _unique_stems(images: Sequence[Path]) -> list[str]:
    seen: dict[str, int] = {}
    stems = []
    for path in images:
        count = seen.get(path.stem, 0)
        seen[path.stem] = count + 1
        stems.append(path.stem if count == 0 else f"{path.stem}-{count}")
    return stems
