"""Aggregation, sparsification and retained fractions against a plain-loop numpy reference."""

from __future__ import annotations

import math

import numpy as np
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from relex.ingest.aggregate import (
    ClassSums,
    accumulate,
    evidence_shares,
    group_by_class,
    outflow_totals,
    rank_descending,
    top_incoming,
)
from relex.ingest.lrp import LRP
from relex.ingest.lrp.composites import epsilon_gamma_box
from tests.helpers import random_inputs, randomised


def reference_shares(flow: np.ndarray, lower_relevance: np.ndarray) -> np.ndarray:
    """share[i, j] by plain loops: the flow over the upper neuron's flows of its sign, where
    the lower neuron's relevance has that sign too; NaN elsewhere."""
    share = np.full(flow.shape, math.nan)
    for j in range(flow.shape[1]):
        column = [flow[i, j] for i in range(flow.shape[0])]
        positive = sum(value for value in column if value > 0)
        negative = sum(value for value in column if value < 0)
        for i, value in enumerate(column):
            if value > 0 and lower_relevance[i] > 0:
                share[i, j] = value / positive
            elif value < 0 and lower_relevance[i] < 0:
                share[i, j] = value / negative
    return share


def reference_top_incoming(flow: np.ndarray, share: np.ndarray, k: int, keep: set) -> dict:
    edges = {}
    retained = []
    for j in range(flow.shape[1]):
        column = [(abs(flow[i, j]), -i, i) for i in range(flow.shape[0])]
        kept = {i for _, _, i in sorted(column, reverse=True)[:k]}
        kept |= {i for i, jj in keep if jj == j}
        total = sum(abs(flow[i, j]) for i in range(flow.shape[0]))
        retained.append(sum(abs(flow[i, j]) for i in kept) / total if total else 0.0)
        for i in kept:
            if flow[i, j] != 0:
                edges[(i, j)] = (flow[i, j], share[i, j])
    return {"edges": edges, "retained": retained}


@settings(max_examples=60, deadline=None)
@given(
    lower=st.integers(1, 12),
    upper=st.integers(1, 6),
    k=st.integers(1, 14),
    seed=st.integers(0, 10_000),
    ties=st.booleans(),
    extra=st.integers(0, 4),
)
def test_top_incoming_matches_reference(
    lower: int, upper: int, k: int, seed: int, ties: bool, extra: int
) -> None:
    rng = np.random.default_rng(seed)
    flow = rng.normal(size=(lower, upper))
    if ties:
        flow = np.round(flow * 2) / 2
    lower_relevance = np.round(flow.sum(1) + rng.normal(scale=0.5, size=lower), 1)
    share = evidence_shares(flow, outflow_totals({("a", "b"): flow})["b"], lower_relevance)
    np.testing.assert_allclose(share, reference_shares(flow, lower_relevance))
    usable = np.isfinite(share)
    assert ((share[usable] > 0) & (share[usable] <= 1 + 1e-12)).all()
    keep = {(int(rng.integers(lower)), int(rng.integers(upper))) for _ in range(extra)}
    keep_arrays = (
        np.array([i for i, _ in keep], dtype=np.int64),
        np.array([j for _, j in keep], dtype=np.int64),
    )
    ours = top_incoming(flow, share, k, keep=keep_arrays)
    expected = reference_top_incoming(flow, share, k, keep)
    got = {
        (int(i), int(j)): (f, s)
        for i, j, f, s in zip(ours.lower, ours.upper, ours.flow, ours.share, strict=True)
    }
    assert got.keys() == expected["edges"].keys()
    for key, (value, edge_share) in expected["edges"].items():
        assert got[key][0] == value
        assert np.isclose(got[key][1], edge_share, equal_nan=True)
    np.testing.assert_allclose(ours.retained, expected["retained"])


def test_shares_sum_over_every_lower_layer_of_the_upper_neuron() -> None:
    """An upper neuron that passes relevance to two lower layers (a residual DAG) splits its
    relevance of each sign over both."""
    one = np.array([[2.0], [-1.0]])
    two = np.array([[2.0], [-3.0]])
    totals = outflow_totals({("a", "u"): one, ("b", "u"): two})["u"]
    np.testing.assert_allclose(totals[0], [4.0])
    np.testing.assert_allclose(totals[1], [-4.0])
    np.testing.assert_allclose(evidence_shares(two, totals, np.array([1.0, -1.0])), [[0.5], [0.75]])


def test_rank_breaks_ties_by_index() -> None:
    assert rank_descending(np.array([0.5, 2.0, 0.5, -1.0])).tolist() == [2, 1, 3, 4]


def test_class_sums_equal_sums_of_per_image_results() -> None:
    """Aggregating batches grouped by class equals summing each image's own relevance and flows."""
    loaded = randomised("smallcnn28")
    low, high = loaded.preprocessing.bounds()
    method = LRP(loaded.module, epsilon_gamma_box(low, high))
    inputs = random_inputs(loaded, batch=6)
    labels = torch.tensor([3, 1, 3, 3, 0, 1])
    sums: dict[int, ClassSums] = {}
    for batch in (slice(0, 4), slice(4, 6)):
        groups, classes = group_by_class(labels[batch])
        result = method.attribute(inputs[batch], flow_groups=groups)
        accumulate(sums, groups, result.neuron_relevance, result.flows, classes)
    per_image = method.attribute(inputs, flow_groups=torch.arange(6))
    assert sorted(sums) == [0, 1, 3]
    for class_index, class_sums in sums.items():
        members = (labels == class_index).nonzero().flatten()
        assert class_sums.images == len(members)
        for layer, total in class_sums.neurons.items():
            expected = per_image.neuron_relevance[layer][members].sum(0).double().numpy()
            np.testing.assert_allclose(total, expected, rtol=1e-5, atol=1e-7)
        for pair, total in class_sums.flows.items():
            expected = per_image.flows[pair][members].sum(0).double().numpy()
            np.testing.assert_allclose(total, expected, rtol=1e-5, atol=1e-7)
