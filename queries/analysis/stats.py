"""Rank statistics for comparing two relevance vectors (computed here; the tests check them
against scipy)."""

from __future__ import annotations

from collections.abc import Set

import numpy as np
import numpy.typing as npt


def average_ranks(values: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """1-based ranks, smallest value first; tied values share the mean of their ranks."""
    array = np.asarray(values, dtype=np.float64)
    order = np.argsort(array, kind="stable")
    ordered = array[order]
    starts = np.r_[True, ordered[1:] != ordered[:-1]]
    group = np.cumsum(starts) - 1
    first = np.flatnonzero(starts)
    last = np.r_[first[1:], len(array)] - 1
    ranks = np.empty(len(array))
    ranks[order] = (first[group] + last[group]) / 2 + 1
    return ranks


def spearman(a: npt.ArrayLike, b: npt.ArrayLike) -> float | None:
    """Spearman's rank correlation (Pearson's r of the average ranks, Spearman 1904), or None
    where it is undefined: fewer than two values or a constant side."""
    x, y = average_ranks(a), average_ranks(b)
    if len(x) != len(y):
        raise ValueError(f"spearman needs equal lengths, got {len(x)} and {len(y)}")
    if len(x) < 2:
        return None
    dx, dy = x - x.mean(), y - y.mean()
    norm = float(np.sqrt((dx * dx).sum() * (dy * dy).sum()))
    if norm == 0.0:
        return None
    return float(np.clip((dx * dy).sum() / norm, -1.0, 1.0))


def jaccard(a: Set[int], b: Set[int]) -> float:
    """|a & b| / |a | b|; 1.0 for two empty sets (they agree)."""
    union = len(a | b)
    return len(a & b) / union if union else 1.0


def top_k(values: npt.ArrayLike, k: int) -> npt.NDArray[np.int64]:
    """Indices of the ``k`` largest values, largest first; ties go to the smaller index."""
    array = np.asarray(values, dtype=np.float64)
    return np.lexsort((np.arange(len(array)), -array))[:k].astype(np.int64)
