"""The metrics against formulas we did not write: quantus 0.6.0 (relevance-mass accuracy,
relevance-rank accuracy, sparseness, complexity), scipy (Spearman), plain numpy loops (region
perturbation, AOPC) and patterns with a known answer (borders, checkerboards)."""

from __future__ import annotations

import numpy as np
import pytest
import quantus
import scipy.stats
import torch
from torch import nn

from relex.ingest.errors import RelexError
from relex.ingest.evaluation import metrics as m

TOLERANCE = 1e-5
"""Quantus computes in float32/float64 numpy; we in torch: equal to 1e-5 (relative)."""


@pytest.fixture(scope="module")
def sample() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Inputs (6, 1, 16, 16), signed relevance (6, 1, 16, 16), masks (6, 1, 16, 16)."""
    rng = np.random.default_rng(3)
    inputs = rng.normal(size=(6, 1, 16, 16)).astype(np.float32)
    relevance = rng.normal(size=(6, 1, 16, 16)).astype(np.float32)
    masks = np.zeros((6, 1, 16, 16), dtype=bool)
    for i in range(6):
        top, left = rng.integers(0, 10, 2)
        masks[i, 0, top : top + 3 + i, left : left + 4] = True
        relevance[i, 0, top : top + 3, left : left + 2] += 2.0
    return inputs, relevance, masks


def _model() -> nn.Module:
    return nn.Sequential(nn.Flatten(), nn.Linear(256, 3)).eval()


def _quantus(metric: quantus.Metric, sample: tuple[np.ndarray, ...], a: np.ndarray) -> np.ndarray:
    inputs, _, masks = sample
    return np.asarray(
        metric(
            model=_model(),
            x_batch=inputs,
            y_batch=np.zeros(len(inputs), dtype=np.int64),
            a_batch=a.copy(),
            s_batch=masks.astype(np.float32),
            device="cpu",
        )
    )


def test_relevance_mass_accuracy_equals_quantus_on_positive_relevance(
    sample: tuple[np.ndarray, np.ndarray, np.ndarray],
) -> None:
    _, relevance, masks = sample
    ours = m.relevance_mass_accuracy(
        torch.from_numpy(relevance[:, 0]), torch.from_numpy(masks[:, 0])
    )
    theirs = _quantus(
        quantus.RelevanceMassAccuracy(abs=False, normalise=False, disable_warnings=True),
        sample,
        np.clip(relevance, 0, None),
    )
    np.testing.assert_allclose(ours.numpy(), theirs, rtol=TOLERANCE)
    assert ours.min() > 0 and ours.max() < 1


def test_relevance_rank_accuracy_equals_quantus(
    sample: tuple[np.ndarray, np.ndarray, np.ndarray],
) -> None:
    _, relevance, masks = sample
    ours = m.relevance_rank_accuracy(
        torch.from_numpy(relevance[:, 0]), torch.from_numpy(masks[:, 0])
    )
    theirs = _quantus(
        quantus.RelevanceRankAccuracy(abs=False, normalise=False, disable_warnings=True),
        sample,
        relevance,
    )
    np.testing.assert_allclose(ours.numpy(), theirs, rtol=TOLERANCE)


def test_sparseness_and_complexity_equal_quantus(
    sample: tuple[np.ndarray, np.ndarray, np.ndarray],
) -> None:
    _, relevance, _ = sample
    pixels = torch.from_numpy(relevance[:, 0])
    sparse = _quantus(
        quantus.Sparseness(abs=True, normalise=False, disable_warnings=True),
        sample,
        np.abs(relevance),
    )
    np.testing.assert_allclose(m.sparseness(pixels).numpy(), sparse, rtol=1e-4)
    entropy = _quantus(
        quantus.Complexity(abs=True, normalise=False, disable_warnings=True),
        sample,
        np.abs(relevance),
    )
    np.testing.assert_allclose(m.complexity(pixels).numpy(), entropy, rtol=TOLERANCE)


def test_sparseness_extremes() -> None:
    one_hot = torch.zeros(1, 8, 8)
    one_hot[0, 3, 3] = 5.0
    assert float(m.sparseness(one_hot)[0]) == pytest.approx(1 - 1 / 64)
    assert float(m.sparseness(torch.ones(1, 8, 8))[0]) == pytest.approx(0.0, abs=1e-6)
    assert float(m.complexity(torch.ones(1, 8, 8))[0]) == pytest.approx(np.log(64))


def test_rank_correlation_equals_scipy_with_ties() -> None:
    rng = np.random.default_rng(0)
    a = rng.integers(0, 5, size=(3, 40)).astype(np.float32)
    b = a + rng.normal(size=a.shape).astype(np.float32)
    ours = m.rank_correlation(torch.from_numpy(a), torch.from_numpy(b)).numpy()
    theirs = [scipy.stats.spearmanr(a[i], b[i]).statistic for i in range(3)]
    np.testing.assert_allclose(ours, theirs, rtol=1e-5)


def _numpy_region_perturbation(
    weights: np.ndarray, inputs: np.ndarray, relevance: np.ndarray, patch: int, steps: int
) -> np.ndarray:
    """The slow obvious loop: sort regions by relevance sum, zero them one at a time."""
    curves = []
    for x, r in zip(inputs, relevance, strict=True):
        h, w = r.shape
        regions = [
            (r[i : i + patch, j : j + patch].sum(), i, j)
            for i in range(0, h, patch)
            for j in range(0, w, patch)
        ]
        order = sorted(range(len(regions)), key=lambda k: (-regions[k][0], k))
        current = x.copy()
        scores = [float((current * weights).sum())]
        for k in order[:steps]:
            _, i, j = regions[k]
            current[:, i : i + patch, j : j + patch] = 0.0
            scores.append(float((current * weights).sum()))
        curves.append(scores)
    return np.asarray(curves)


def test_region_perturbation_and_aopc_match_a_numpy_loop(
    sample: tuple[np.ndarray, np.ndarray, np.ndarray],
) -> None:
    inputs, relevance, _ = sample
    weights = np.random.default_rng(1).normal(size=inputs.shape[1:]).astype(np.float32)

    def score(x: torch.Tensor) -> torch.Tensor:
        return (x * torch.from_numpy(weights)).flatten(1).sum(1)

    curve = m.region_perturbation(
        score, torch.from_numpy(inputs), torch.from_numpy(relevance[:, 0]), patch=4, steps=10
    )
    expected = _numpy_region_perturbation(weights, inputs, relevance[:, 0], 4, 10)
    np.testing.assert_allclose(curve.scores.numpy(), expected, rtol=1e-4, atol=1e-4)
    aopc = (expected[:, :1] - expected).mean(1)
    np.testing.assert_allclose(curve.aopc().numpy(), aopc, rtol=1e-4, atol=1e-5)
    shuffled = m.region_perturbation(
        score, torch.from_numpy(inputs), torch.from_numpy(relevance[:, 0]), patch=4, order="random"
    )
    final = (torch.from_numpy(inputs) * 0).flatten(1).sum(1)
    torch.testing.assert_close(shuffled.scores[:, -1], final)


def test_border_and_checkerboard_shares_on_known_patterns() -> None:
    flat = torch.ones(1, 16, 16)
    assert float(m.border_share(flat, width=2)[0]) == pytest.approx(1.0)
    rim = torch.zeros(1, 16, 16)
    rim[0, 0, :] = 1.0
    assert float(m.border_share(rim, width=2)[0]) == pytest.approx(256 / (256 - 144))
    grid = torch.arange(16)
    checker = ((grid[:, None] + grid[None, :]) % 2).float()[None]
    assert float(m.checkerboard_share(checker)[0]) == pytest.approx(1.0)
    smooth = torch.outer(torch.hann_window(16), torch.hann_window(16))[None]
    assert float(m.checkerboard_share(smooth)[0]) < 1e-3
    noise = torch.randn(200, 16, 16, generator=torch.Generator().manual_seed(0))
    assert float(m.checkerboard_share(noise).mean()) == pytest.approx(81 / 256, abs=0.02)


def test_conservation_error() -> None:
    heatmap = torch.full((2, 1, 2, 2), 0.5)
    assert m.conservation_error(heatmap, torch.tensor([2.0, 4.0])).tolist() == [0.0, 0.5]


def test_bad_input_gets_a_clear_error() -> None:
    with pytest.raises(RelexError, match="empty ground-truth mask"):
        m.relevance_mass_accuracy(torch.ones(1, 4, 4), torch.zeros(1, 4, 4, dtype=torch.bool))
    with pytest.raises(RelexError, match="do not match"):
        m.relevance_rank_accuracy(torch.ones(1, 4, 4), torch.ones(1, 5, 5, dtype=torch.bool))
    with pytest.raises(RelexError, match="does not tile"):
        m.region_scores(torch.ones(1, 10, 10), 4)
    with pytest.raises(RelexError, match="unknown perturbation order"):
        m.region_perturbation(
            lambda x: x.sum((1, 2, 3)),
            torch.ones(1, 1, 8, 8),
            torch.ones(1, 8, 8),
            order="lerf",  # type: ignore[arg-type]
        )
    with pytest.raises(RelexError, match="batch, C, H, W"):
        m.pixel_relevance(torch.ones(3, 3))
