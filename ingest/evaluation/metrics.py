"""Metrics of explanation quality, batched on the device of their inputs.

Heatmaps come as ``(batch, C, H, W)``; the pixel-level metrics use the *pixel relevance*, the sum
over colour channels ``(batch, H, W)``. Every metric returns one value per image.

- Localisation against ground-truth masks (Arras et al. 2022, "CLEVR-XAI"): relevance-mass
  accuracy and relevance-rank accuracy.
- Faithfulness: region perturbation with the area over the perturbation curve (AOPC; Samek et al.
  2017), most relevant regions first or in random order.
- Complexity: sparseness as the Gini index of |relevance| (Chalasani et al. 2020) and complexity as
  the entropy of the normalised |relevance| (Bhatt et al. 2020).
- Conservation error of the relevance total against the explained logit (Bach et al. 2015).
- Similarity for the model-randomisation sanity check: Spearman rank correlation of |relevance|
  (Adebayo et al. 2018).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import torch
import torch.nn.functional as F
from torch import Tensor

from relex.ingest.errors import RelexError
from relex.queries.analysis.stats import spearman

PerturbationOrder = Literal["morf", "random"]
"""``morf``: most relevant region first; ``random``: a random order of the regions."""

Scorer = Callable[[Tensor], Tensor]
"""Maps a batch of inputs to the score being explained, one value per image."""


def pixel_relevance(heatmap: Tensor) -> Tensor:
    """``(batch, C, H, W)`` relevance summed over channels: ``(batch, H, W)``."""
    if heatmap.ndim != 4:
        raise RelexError(f"a heatmap batch has shape (batch, C, H, W), not {tuple(heatmap.shape)}")
    return heatmap.sum(1)


def _check_masks(relevance: Tensor, masks: Tensor) -> Tensor:
    if masks.shape != relevance.shape:
        raise RelexError(
            f"masks of shape {tuple(masks.shape)} do not match relevance {tuple(relevance.shape)}"
        )
    flat = masks.flatten(1).bool()
    if not bool(flat.any(1).all()):
        raise RelexError("an empty ground-truth mask has no localisation score")
    return flat


def relevance_mass_accuracy(relevance: Tensor, masks: Tensor) -> Tensor:
    """Positive relevance inside the mask over all positive relevance (0 where there is none).

    ``relevance`` (batch, H, W) and boolean ``masks`` of the same shape; values in [0, 1].
    """
    inside = _check_masks(relevance, masks)
    positive = relevance.flatten(1).clamp(min=0)
    total = positive.sum(1)
    within = (positive * inside).sum(1)
    return torch.where(total > 0, within / total.clamp(min=torch.finfo(total.dtype).tiny), 0.0)


def relevance_rank_accuracy(relevance: Tensor, masks: Tensor) -> Tensor:
    """Fraction of the ``K`` most relevant pixels that lie in the mask, ``K`` = the mask's size."""
    inside = _check_masks(relevance, masks)
    sizes = inside.sum(1)
    order = relevance.flatten(1).argsort(dim=1, descending=True, stable=True)
    hits = inside.gather(1, order)
    in_top = torch.arange(hits.shape[1], device=hits.device)[None, :] < sizes[:, None]
    return (hits & in_top).sum(1) / sizes


def sparseness(relevance: Tensor) -> Tensor:
    """Gini index of |relevance| over pixels: 0 for a uniform map, near 1 for a single pixel."""
    values = relevance.flatten(1).abs().sort(1).values.double()
    n = values.shape[1]
    ranks = torch.arange(1, n + 1, device=values.device, dtype=values.dtype)
    total = values.sum(1)
    gini = ((2 * ranks - n - 1) * values).sum(1) / (n * total.clamp(min=1e-300))
    return torch.where(total > 0, gini, 0.0).to(relevance.dtype)


def complexity(relevance: Tensor) -> Tensor:
    """Entropy (nats) of the pixel distribution ``|r_i| / sum |r|``; log(pixels) at most."""
    magnitude = relevance.flatten(1).abs().double()
    share = magnitude / magnitude.sum(1, keepdim=True).clamp(min=1e-300)
    entropy = -(share * torch.log(share.clamp(min=1e-300))).sum(1)
    return entropy.to(relevance.dtype)


def conservation_error(heatmap: Tensor, explained: Tensor) -> Tensor:
    """``|sum(heatmap) - explained| / |explained|`` per image (``explained``: the target logit)."""
    total = heatmap.flatten(1).sum(1)
    return (total - explained).abs() / explained.abs().clamp(min=1e-12)


def rank_correlation(a: Tensor, b: Tensor) -> Tensor:
    """Spearman rank correlation of ``a`` and ``b`` per image (over all other dimensions), by
    :func:`queries.analysis.stats.spearman`; 0 where it is undefined (a constant map)."""
    if a.shape != b.shape:
        raise RelexError(f"cannot correlate shapes {tuple(a.shape)} and {tuple(b.shape)}")
    pairs = zip(
        a.detach().flatten(1).double().cpu().numpy(),
        b.detach().flatten(1).double().cpu().numpy(),
        strict=True,
    )
    values = [spearman(x, y) for x, y in pairs]
    scores = [0.0 if value is None else value for value in values]
    return torch.tensor(scores, dtype=torch.float32, device=a.device)


@dataclass(frozen=True)
class PerturbationCurve:
    """Scores after removing 0, 1, ..., ``steps`` regions: ``scores`` is (batch, steps + 1)."""

    order: PerturbationOrder
    patch: int
    scores: Tensor

    def aopc(self) -> Tensor:
        """Area over the perturbation curve per image: ``mean_k (f(x_0) - f(x_k))``, k = 0..L."""
        return (self.scores[:, :1] - self.scores).mean(1)


def region_scores(relevance: Tensor, patch: int) -> Tensor:
    """Relevance summed over non-overlapping ``patch`` x ``patch`` regions: (batch, regions)."""
    height, width = relevance.shape[-2:]
    if patch < 1 or height % patch or width % patch:
        raise RelexError(f"patch size {patch} does not tile a {height}x{width} image")
    pooled = F.avg_pool2d(relevance[:, None], patch) * patch * patch
    return pooled.flatten(1)


def region_perturbation(
    score: Scorer,
    inputs: Tensor,
    relevance: Tensor,
    *,
    patch: int = 8,
    steps: int | None = None,
    order: PerturbationOrder = "morf",
    fill: float = 0.0,
    seed: int = 0,
) -> PerturbationCurve:
    """Region perturbation (Samek et al. 2017): replace regions by ``fill`` one after the other,
    most relevant first (``morf``) or in a random order, and record ``score`` after each step.

    ``relevance`` is the pixel relevance (batch, H, W); ``steps`` defaults to every region.
    """
    if order not in ("morf", "random"):
        raise RelexError(f"unknown perturbation order {order!r}; use morf or random")
    batch, _, height, width = inputs.shape
    if relevance.shape != (batch, height, width):
        raise RelexError(
            f"pixel relevance of shape {tuple(relevance.shape)} does not match inputs "
            f"{tuple(inputs.shape)}"
        )
    regions = region_scores(relevance, patch)
    count = regions.shape[1]
    steps = count if steps is None else steps
    if not 1 <= steps <= count:
        raise RelexError(f"steps must be between 1 and the {count} regions, not {steps}")
    if order == "morf":
        ranking = regions.argsort(dim=1, descending=True, stable=True)
    else:
        generator = torch.Generator().manual_seed(seed)
        ranking = torch.stack([torch.randperm(count, generator=generator) for _ in range(batch)])
        ranking = ranking.to(inputs.device)
    per_row = width // patch
    removed = torch.zeros(batch, height // patch, per_row, dtype=torch.bool, device=inputs.device)
    perturbed = inputs.clone()
    scores = [score(perturbed)]
    rows = torch.arange(batch, device=inputs.device)
    for step in range(steps):
        region = ranking[:, step]
        removed[rows, region // per_row, region % per_row] = True
        pixels = removed.repeat_interleave(patch, 1).repeat_interleave(patch, 2)
        perturbed = torch.where(pixels[:, None], inputs.new_tensor(fill), inputs)
        scores.append(score(perturbed))
    return PerturbationCurve(order=order, patch=patch, scores=torch.stack(scores, 1))


def border_share(relevance: Tensor, *, width: int = 2) -> Tensor:
    """Share of |relevance| within ``width`` pixels of the image border, divided by the share of
    the image those pixels cover: 1 for relevance spread evenly, above 1 where it piles up on the
    border (an artefact of padding and of box-constrained first-layer rules)."""
    height, side = relevance.shape[-2:]
    if not 0 < 2 * width < min(height, side):
        raise RelexError(f"border width {width} does not fit a {height}x{side} image")
    border = torch.ones(height, side, dtype=torch.bool, device=relevance.device)
    border[width:-width, width:-width] = False
    magnitude = relevance.flatten(1).abs()
    total = magnitude.sum(1).clamp(min=torch.finfo(magnitude.dtype).tiny)
    share = (magnitude * border.flatten()).sum(1) / total
    return share / border.float().mean()


def checkerboard_share(relevance: Tensor) -> Tensor:
    """Share of the (mean-free) spectral power of the map at high frequencies in *both*
    directions (at least a quarter of the sampling rate along each axis): where the period-2
    to period-4 checkerboards of strided convolutions and pooling live. White noise gives the
    band's share of the frequencies, about 1/4 (81/256 for 16 pixels a side)."""
    centred = relevance - relevance.mean((-2, -1), keepdim=True)
    power = torch.fft.fft2(centred.double()).abs().pow(2)
    height, width = relevance.shape[-2:]
    fy = torch.fft.fftfreq(height, device=relevance.device).abs()
    fx = torch.fft.fftfreq(width, device=relevance.device).abs()
    high = (fy[:, None] >= 0.25) & (fx[None, :] >= 0.25)
    total = power.flatten(1).sum(1).clamp(min=1e-300)
    return ((power * high).flatten(1).sum(1) / total).to(relevance.dtype)
