"""Spearman, average ranks, Jaccard and top-k against scipy / plain Python."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import rankdata, spearmanr

from relex.queries.analysis.stats import average_ranks, jaccard, spearman, top_k

small_floats = st.sampled_from([-2.0, -0.5, 0.0, 0.5, 1.0, 3.0])  # a few values: many ties


@given(st.lists(small_floats, min_size=1, max_size=30))
@settings(max_examples=200)
def test_average_ranks_equal_scipy(values: list[float]) -> None:
    assert average_ranks(values) == pytest.approx(rankdata(values, method="average"))


@given(st.lists(st.tuples(small_floats, small_floats), min_size=2, max_size=30))
@settings(max_examples=200)
def test_spearman_equals_scipy(pairs: list[tuple[float, float]]) -> None:
    a, b = (np.array(side) for side in zip(*pairs, strict=True))
    expected = spearmanr(a, b).statistic if np.ptp(a) and np.ptp(b) else math.nan
    got = spearman(a, b)
    if math.isnan(expected):
        assert got is None
    else:
        assert got == pytest.approx(expected, abs=1e-12)


def test_spearman_of_too_few_values_is_undefined() -> None:
    assert spearman([1.0], [2.0]) is None
    with pytest.raises(ValueError, match="equal lengths"):
        spearman([1.0, 2.0], [1.0])


@given(st.sets(st.integers(0, 9)), st.sets(st.integers(0, 9)))
def test_jaccard(a: set[int], b: set[int]) -> None:
    assert jaccard(a, b) == (len(a & b) / len(a | b) if a | b else 1.0)


@given(st.lists(small_floats, min_size=1, max_size=20), st.integers(1, 25))
def test_top_k_breaks_ties_by_the_smaller_index(values: list[float], k: int) -> None:
    expected = sorted(range(len(values)), key=lambda i: (-values[i], i))[:k]
    assert top_k(values, k).tolist() == expected
