"""Synthetic shapes with ground-truth masks, generated in memory from a seed.

Six classes (``SHAPE_CLASSES``): solid shapes (disk, square, triangle, cross) and textured
square patches (stripes, checker), each drawn at a random position, size and angle over a
cluttered background (a smooth random colour field, pixel noise and distractor strokes). The
mask marks exactly the pixels the object painted. Two variants share the class names but not
the clutter statistics, so classes can be compared across datasets:

- ``shapes-a``: smooth full-range background, light noise, a few thin strokes, larger objects
  tilted by up to 18 degrees;
- ``shapes-b``: busier mid-range background, heavy noise, more and thicker strokes, smaller
  objects tilted by up to 30 degrees.

Image ``i`` depends only on (variant, seed, size, grey, ``i``), not on how many are generated;
its label is ``i % 6`` so the classes are balanced.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from relex.ingest.datasets.arrays import ArrayDataset
from relex.ingest.errors import RelexError

SHAPE_CLASSES = ("checker", "cross", "disk", "square", "stripes", "triangle")


@dataclass(frozen=True)
class Style:
    """Clutter statistics of one variant; lengths are fractions of the image side."""

    code: int
    grid: int
    background: tuple[int, int]
    noise: float
    strokes: tuple[int, int]
    stroke_width: tuple[float, float]
    half_size: tuple[float, float]
    tilt: float


VARIANTS: dict[str, Style] = {
    "shapes-a": Style(
        code=1,
        grid=3,
        background=(0, 255),
        noise=8.0,
        strokes=(2, 4),
        stroke_width=(0.015, 0.03),
        half_size=(0.14, 0.26),
        tilt=math.pi / 10,
    ),
    "shapes-b": Style(
        code=2,
        grid=8,
        background=(40, 215),
        noise=18.0,
        strokes=(4, 7),
        stroke_width=(0.02, 0.04),
        half_size=(0.12, 0.22),
        tilt=math.pi / 6,
    ),
}


@dataclass(frozen=True)
class Rendering:
    """One drawn image ``(S, S, C)`` uint8, its object mask ``(S, S)`` and the bare background."""

    image: np.ndarray
    mask: np.ndarray
    background: np.ndarray
    label: int


def render(
    variant: str, index: int, *, seed: int = 0, size: int = 64, grey: bool = False
) -> Rendering:
    """Draw image ``index`` of a variant (deterministic in all arguments)."""
    style = _style(variant)
    channels = 1 if grey else 3
    rng = np.random.default_rng([seed, style.code, size, channels, index])
    label = index % len(SHAPE_CLASSES)
    ys, xs = np.mgrid[0:size, 0:size] + 0.5
    background = _background(style, rng, size, channels, xs, ys)
    half = max(2.5, rng.uniform(*style.half_size) * size)
    reach = half * 1.45
    cx, cy = rng.uniform(reach, size - reach, size=2)
    angle = rng.uniform(-style.tilt, style.tilt)
    mask, second = _shape(SHAPE_CLASSES[label], xs - cx, ys - cy, half, angle)
    first_colour, second_colour = _contrasting(background[mask], rng)
    image = background.copy()
    image[mask] = first_colour
    image[second] = second_colour
    return Rendering(image=image, mask=mask, background=background, label=label)


def synthetic_dataset(
    variant: str = "shapes-a", *, n: int = 1200, seed: int = 0, size: int = 64, grey: bool = False
) -> ArrayDataset:
    """``n`` images of a variant, colour or grey, ``size`` pixels square, with masks."""
    _style(variant)
    if n < 1:
        raise RelexError(f"a synthetic dataset needs n >= 1, not {n}")
    if not 16 <= size <= 512:
        raise RelexError(f"synthetic image size must be between 16 and 512, not {size}")
    drawn = [render(variant, index, seed=seed, size=size, grey=grey) for index in range(n)]
    images = np.stack([item.image for item in drawn])
    name = variant + (f"-{size}" if size != 64 else "") + ("-grey" if grey else "")
    spec = f"synthetic:{variant}?n={n}&seed={seed}&size={size}" + ("&grey=1" if grey else "")
    return ArrayDataset(
        kind="synthetic",
        name=name,
        spec=spec,
        images=images[..., 0] if grey else images,
        labels=np.array([item.label for item in drawn]),
        class_names=SHAPE_CLASSES,
        id_prefix=f"{name}-s{seed}-",
        masks=np.stack([item.mask for item in drawn]),
    )


def _style(variant: str) -> Style:
    try:
        return VARIANTS[variant]
    except KeyError:
        known = ", ".join(sorted(VARIANTS))
        raise RelexError(f"unknown synthetic dataset {variant!r}; known: {known}") from None


def _background(
    style: Style, rng: np.random.Generator, size: int, channels: int, xs: np.ndarray, ys: np.ndarray
) -> np.ndarray:
    """A smooth random colour field plus noise and distractor strokes, ``(S, S, C)`` uint8."""
    low, high = style.background
    grid = rng.uniform(low, high, size=(style.grid, style.grid, channels))
    weights = _interpolation(style.grid, size)
    field = np.einsum("ij,jkc,lk->ilc", weights, grid, weights, optimize=True)
    field += rng.normal(0.0, style.noise, size=field.shape)
    for _ in range(rng.integers(style.strokes[0], style.strokes[1], endpoint=True)):
        start = rng.uniform(0, size, size=2)
        angle = rng.uniform(0, 2 * math.pi)
        length = rng.uniform(0.3, 0.8) * size
        end = start + length * np.array([math.cos(angle), math.sin(angle)])
        width = max(1.0, rng.uniform(*style.stroke_width) * size)
        on_stroke = _segment_distance(xs, ys, start, end) <= width / 2
        field[on_stroke] = rng.uniform(0, 255, size=channels)
    return np.clip(np.rint(field), 0, 255).astype(np.uint8)


def _interpolation(points: int, size: int) -> np.ndarray:
    """Matrix ``(size, points)`` that linearly interpolates ``points`` values to ``size`` pixels."""
    position = (np.arange(size) + 0.5) / size * (points - 1)
    lower = np.clip(np.floor(position).astype(int), 0, points - 2)
    fraction = position - lower
    weights = np.zeros((size, points))
    weights[np.arange(size), lower] = 1 - fraction
    weights[np.arange(size), lower + 1] = fraction
    return weights


def _segment_distance(
    xs: np.ndarray, ys: np.ndarray, start: np.ndarray, end: np.ndarray
) -> np.ndarray:
    direction = end - start
    t = ((xs - start[0]) * direction[0] + (ys - start[1]) * direction[1]) / direction.dot(direction)
    t = np.clip(t, 0.0, 1.0)
    return np.hypot(xs - start[0] - t * direction[0], ys - start[1] - t * direction[1])


def _shape(
    name: str, dx: np.ndarray, dy: np.ndarray, half: float, angle: float
) -> tuple[np.ndarray, np.ndarray]:
    """The object's mask and the part of it painted in the second colour (textures only)."""
    u = dx * math.cos(angle) + dy * math.sin(angle)
    v = -dx * math.sin(angle) + dy * math.cos(angle)
    patch = np.maximum(np.abs(u), np.abs(v)) <= half
    none = np.zeros_like(patch)
    period = max(1.5, half / 3)
    if name == "disk":
        return np.hypot(u, v) <= half * 1.1, none
    if name == "square":
        return patch, none
    if name == "cross":
        arm = half * 0.32
        bars = (np.abs(u) <= arm) & (np.abs(v) <= half * 1.2)
        return bars | ((np.abs(v) <= arm) & (np.abs(u) <= half * 1.2)), none
    if name == "triangle":
        inside = np.ones_like(patch)
        for edge in (math.pi / 2, math.pi * 7 / 6, math.pi * 11 / 6):
            inside &= u * math.cos(edge) + v * math.sin(edge) <= half * 0.7
        return inside, none
    if name == "stripes":
        return patch, patch & (np.floor(u / period) % 2 == 1)
    if name == "checker":
        return patch, patch & ((np.floor(u / period) + np.floor(v / period)) % 2 == 1)
    raise ValueError(f"unknown shape {name!r}")


def _contrasting(under: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Two colours far from the background pixels ``under`` the object and from each other."""
    mean = under.astype(float).mean(axis=0)
    candidates = rng.integers(0, 256, size=(24, under.shape[-1])).astype(float)
    first = candidates[np.argmax(np.abs(candidates - mean).max(axis=1))]
    apart = np.minimum(
        np.abs(candidates - mean).max(axis=1), np.abs(candidates - first).max(axis=1)
    )
    second = candidates[np.argmax(apart)]
    return first.astype(np.uint8), second.astype(np.uint8)
