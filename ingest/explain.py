"""Explain image files with one method and write heatmaps: what ``relex explain`` does."""

from __future__ import annotations

import difflib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image, UnidentifiedImageError
from tqdm import tqdm

from ingest.errors import RelexError
from ingest.lrp import (
    LRP,
    Attribution,
    DeconvNet,
    Gradient,
    GradientXInput,
    IntegratedGradients,
    composite_by_name,
)
from ingest.lrp.composites import COMPOSITES
from ingest.models import LoadedModel, load_model
from ingest.render import heatmap_rgb, pixels_rgb, side_by_side

log = logging.getLogger(__name__)

GRADIENT_METHODS = ("integrated_gradients", "gradient_x_input", "gradient", "deconvnet")
METHODS = (*COMPOSITES, *GRADIENT_METHODS)


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
        low, high = loaded.preprocessing.bounds()
        composite = composite_by_name(method, low=low, high=high)
        return LRP(loaded.module, composite).attribute(inputs, target, return_delta=True)
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


def read_image(path: Path) -> Image.Image:
    if not path.exists():
        raise RelexError(f"image {path} does not exist")
    if not path.is_file():
        raise RelexError(f"{path} is not a file")
    try:
        with Image.open(path) as image:
            image.load()
            return image.copy()
    except (UnidentifiedImageError, OSError) as error:
        raise RelexError(f"{path} is not a readable image ({error})") from None


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
) -> list[Explanation]:
    """Explain each image, write ``<name>.png`` (input beside heatmap) and ``<name>.npy`` (raw
    relevance, shape (C, H, W)) into ``out``, and return what was explained."""
    if not images:
        raise RelexError("no images given")
    if method not in METHODS:
        raise RelexError(f"unknown method {method!r}; known: {', '.join(METHODS)}")
    pictures = [read_image(path) for path in images]
    loaded = load_model(model, weights)
    target_index = resolve_class(target, loaded.class_names)
    chosen = pick_device(device)
    loaded.module.to(chosen)
    out.mkdir(parents=True, exist_ok=True)
    stems = _unique_stems(images)
    explanations: list[Explanation] = []
    starts = range(0, len(pictures), batch_size)
    for start in tqdm(starts, desc="explaining", unit="batch", disable=len(starts) < 2):
        batch = pictures[start : start + batch_size]
        inputs = torch.stack([loaded.preprocessing(picture) for picture in batch]).to(chosen)
        result = attribute(loaded, method, inputs, target_index)
        for offset in range(len(batch)):
            k = start + offset
            explanations.append(_write(loaded, result, inputs, offset, images[k], out / stems[k]))
    return explanations


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
