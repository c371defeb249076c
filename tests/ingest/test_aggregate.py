"""Aggregation, sparsification and retained fractions against a plain-loop numpy reference."""

from __future__ import annotations

import math

import numpy as np
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from ingest.aggregate import ClassSums, accumulate, group_by_class, rank_descending, top_incoming
from ingest.lrp import LRP
from ingest.lrp.composites import epsilon_gamma_box
from tests.helpers import random_inputs, randomised


def reference_top_incoming(flow: np.ndarray, relevance: np.ndarray, k: int) -> dict:
    edges = {}
    retained = []
    for j in range(flow.shape[1]):
        column = [(abs(flow[i, j]), -i, i) for i in range(flow.shape[0])]
        kept = [i for _, _, i in sorted(column, reverse=True)[:k]]
        total = sum(abs(flow[i, j]) for i in range(flow.shape[0]))
        retained.append(sum(abs(flow[i, j]) for i in kept) / total if total else 0.0)
        for i in kept:
            if flow[i, j] != 0:
                share = flow[i, j] / relevance[j] if relevance[j] != 0 else math.nan
                edges[(i, j)] = (flow[i, j], share)
    return {"edges": edges, "retained": retained}


@settings(max_examples=60, deadline=None)
@given(
    lower=st.integers(1, 12),
    upper=st.integers(1, 6),
    k=st.integers(1, 14),
    seed=st.integers(0, 10_000),
    ties=st.booleans(),
)
def test_top_incoming_matches_reference(
    lower: int, upper: int, k: int, seed: int, ties: bool
) -> None:
    rng = np.random.default_rng(seed)
    flow = rng.normal(size=(lower, upper))
    if ties:
        flow = np.round(flow * 2) / 2
    relevance = flow.sum(0) + rng.normal(scale=0.1, size=upper)
    ours = top_incoming(flow, relevance, k)
    expected = reference_top_incoming(flow, relevance, k)
    got = {
        (int(i), int(j)): (f, s)
        for i, j, f, s in zip(ours.lower, ours.upper, ours.flow, ours.share, strict=True)
    }
    assert got.keys() == expected["edges"].keys()
    for key, (value, share) in expected["edges"].items():
        assert got[key][0] == value
        assert np.isclose(got[key][1], share, equal_nan=True)
    np.testing.assert_allclose(ours.retained, expected["retained"])
    positive = ours.share > 0
    np.testing.assert_allclose(ours.cost[positive], -np.log(ours.share[positive]))
    assert np.isnan(ours.cost[~positive]).all()


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
