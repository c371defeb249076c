"""Pictures of relevance: a diverging colour map centred at zero, side by side with the input."""

from __future__ import annotations

import numpy as np
from PIL import Image

_NEGATIVE = np.array([0.0, 0.0, 1.0])
_POSITIVE = np.array([1.0, 0.0, 0.0])
_WHITE = np.ones(3)


def heatmap_rgb(relevance: np.ndarray) -> np.ndarray:
    """Colour a 2-D relevance map: white at zero, red for positive, blue for negative, scaled by
    the largest absolute value so that zero stays white. Returns uint8 (H, W, 3)."""
    if relevance.ndim != 2:
        raise ValueError(f"expected a 2-D relevance map, got shape {relevance.shape}")
    scale = float(np.abs(relevance).max())
    level = relevance / scale if scale > 0 else np.zeros_like(relevance)
    level = np.clip(level, -1.0, 1.0)[..., None]
    colour = np.where(
        level >= 0,
        _WHITE + level * (_POSITIVE - _WHITE),
        _WHITE - level * (_NEGATIVE - _WHITE),
    )
    return (colour * 255 + 0.5).astype(np.uint8)


def pixels_rgb(pixels: np.ndarray) -> np.ndarray:
    """An image in [0, 1], shape (C, H, W) with C in {1, 3}, as uint8 (H, W, 3)."""
    array = np.clip(pixels, 0.0, 1.0)
    if array.shape[0] == 1:
        array = np.repeat(array, 3, axis=0)
    return (array.transpose(1, 2, 0) * 255 + 0.5).astype(np.uint8)


def side_by_side(*panels: np.ndarray, gap: int = 4) -> Image.Image:
    """Panels of equal height (uint8 (H, W, 3)) left to right on a white background."""
    height = max(panel.shape[0] for panel in panels)
    width = sum(panel.shape[1] for panel in panels) + gap * (len(panels) - 1)
    canvas = Image.new("RGB", (width, height), "white")
    left = 0
    for panel in panels:
        canvas.paste(Image.fromarray(panel), (left, 0))
        left += panel.shape[1] + gap
    return canvas
