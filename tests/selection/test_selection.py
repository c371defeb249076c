"""Neuron selection: the whole selection is the full heatmap, a partition of a layer adds up to it
(LRP is linear in the upper relevance), the curve is monotone in neurons kept and picks the first
k that meets the threshold, and MSE/SMAPE match plain numpy formulas."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from relex.ingest.errors import RelexError
from relex.ingest.lrp import LRP
from relex.ingest.lrp.composites import epsilon_gamma_box, epsilon_plus_flat
from relex.ingest.selection import (
    conditional_heatmap,
    hidden_layers,
    mse,
    selection_curve,
    smape,
    top_neurons_per_layer,
)
from tests.helpers import random_inputs, randomised


@pytest.fixture(scope="module")
def explained() -> tuple[LRP, torch.Tensor]:
    loaded = randomised("smallcnn64")
    low, high = loaded.preprocessing.bounds()
    return LRP(loaded.module, epsilon_gamma_box(low, high)), random_inputs(loaded, batch=2)


def test_selecting_every_neuron_of_every_layer_reproduces_the_full_heatmap(
    explained: tuple[LRP, torch.Tensor],
) -> None:
    method, inputs = explained
    everything = {layer.name: list(range(layer.size)) for layer in method.network.layers[1:]}
    result = conditional_heatmap(method, inputs, None, everything)
    assert result.mse == 0.0
    assert result.smape == 0.0
    assert torch.equal(result.heatmap, result.full)
    assert result.neurons_kept == sum(layer.size for layer in method.network.layers[1:])


def test_a_strict_subset_changes_the_heatmap(explained: tuple[LRP, torch.Tensor]) -> None:
    method, inputs = explained
    result = conditional_heatmap(method, inputs, 1, {"conv2_1": [0, 1]})
    assert result.mse > 0
    assert 0 < result.smape <= 200
    assert result.neurons_kept == 2
    assert result.target.tolist() == [1, 1]


@pytest.mark.parametrize("layer", ["conv1_2", "conv3_1", "fc4"])
def test_conditional_heatmaps_of_a_partition_add_up_to_the_full_heatmap(
    explained: tuple[LRP, torch.Tensor], layer: str
) -> None:
    method, inputs = explained
    size = method.network.layer(layer).size
    parts = np.random.default_rng(5).integers(0, 4, size)
    pieces = [
        conditional_heatmap(method, inputs, 2, {layer: np.flatnonzero(parts == p).tolist()})
        for p in range(4)
    ]
    total = sum(piece.heatmap for piece in pieces)
    assert isinstance(total, torch.Tensor)
    full = pieces[0].full
    assert float((total - full).abs().max() / full.abs().max()) <= 1e-5
    assert all(piece.mse > 0 for piece in pieces)


def test_top_neurons_follow_the_summed_relevance(explained: tuple[LRP, torch.Tensor]) -> None:
    method, inputs = explained
    attribution = method.attribute(inputs, 0)
    top = top_neurons_per_layer(attribution, 5)
    assert "input" not in top
    for layer, chosen in top.items():
        total = attribution.neuron_relevance[layer].sum(0).numpy()
        expected = np.argsort(-total, kind="stable")[:5].tolist()
        assert chosen == expected, layer
    assert len(top_neurons_per_layer(attribution, 1000)["conv1_1"]) == 16


def test_selection_curve_is_monotone_and_picks_the_first_k_meeting_the_threshold(
    explained: tuple[LRP, torch.Tensor],
) -> None:
    method, inputs = explained
    ks = [1, 2, 4, 8, 16, 32, 64, 128]
    probe = selection_curve(method, inputs, None, ks=ks, threshold=0.0)
    kept = [point.neurons_kept for point in probe.points]
    assert kept == sorted(kept)
    assert kept[-1] == sum(method.network.layer(n).size for n in hidden_layers(method))
    assert probe.points[-1].mse == 0.0
    assert hidden_layers(method) == (
        "conv1_1",
        "conv1_2",
        "conv2_1",
        "conv2_2",
        "conv3_1",
        "conv3_2",
        "fc4",
    )
    for metric in ("mse", "smape"):
        values = [getattr(point, metric) for point in probe.points]
        threshold = values[3] * 1.0000001
        result = selection_curve(
            method, inputs, None, ks=reversed(ks), metric=metric, threshold=threshold
        )
        assert result.chosen_k is not None
        at = [p.k for p in result.points].index(result.chosen_k)
        assert getattr(result.points[at], metric) <= threshold
        assert all(getattr(p, metric) > threshold for p in result.points[:at])
        assert result.chosen_neurons is not None
        assert all(len(v) <= result.chosen_k for v in result.chosen_neurons.values())


def test_no_k_meets_an_impossible_threshold(explained: tuple[LRP, torch.Tensor]) -> None:
    method, inputs = explained
    result = selection_curve(method, inputs, None, ks=[1, 2], metric="smape", threshold=0.0)
    assert result.chosen_k is None and result.chosen_neurons is None


def test_mse_and_smape_match_numpy() -> None:
    rng = np.random.default_rng(0)
    a = rng.normal(size=(2, 3, 5, 5))
    b = a + rng.normal(scale=0.3, size=a.shape)
    a[0, 0, 0, :] = 0
    b[0, 0, 0, :] = 0
    b[1, 2, 0, 0] = 0
    expected_mse = np.mean((a - b) ** 2)
    denominator = (np.abs(a) + np.abs(b)) / 2
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.where(denominator > 0, np.abs(a - b) / denominator, 0.0)
    expected_smape = 100 * ratio.mean()
    ta, tb = torch.from_numpy(a).float(), torch.from_numpy(b).float()
    assert mse(ta, tb) == pytest.approx(expected_mse, rel=1e-6)
    assert smape(ta, tb) == pytest.approx(expected_smape, rel=1e-6)
    assert smape(tb, ta) == pytest.approx(expected_smape, rel=1e-6)
    assert smape(ta, -ta) == pytest.approx(200 * np.mean(a != 0))
    assert smape(torch.zeros(4), torch.zeros(4)) == 0.0


def test_bad_input_gets_a_clear_error(explained: tuple[LRP, torch.Tensor]) -> None:
    method, inputs = explained
    with pytest.raises(RelexError, match="different shapes"):
        mse(torch.zeros(3), torch.zeros(4))
    with pytest.raises(RelexError, match="unknown layer 'conv9_9'"):
        conditional_heatmap(method, inputs, None, {"conv9_9": [0]})
    with pytest.raises(RelexError, match="out of range"):
        conditional_heatmap(method, inputs, None, {"conv1_1": [16]})
    with pytest.raises(RelexError, match="unknown selection metric"):
        selection_curve(method, inputs, None, ks=[1], metric="mae", threshold=1)  # type: ignore[arg-type]
    with pytest.raises(RelexError, match="at least 1"):
        selection_curve(method, inputs, None, ks=[0, 1], threshold=1)
    with pytest.raises(RelexError, match="no k"):
        selection_curve(method, inputs, None, ks=[], threshold=1)


def test_works_with_another_composite() -> None:
    loaded = randomised("smallcnn28")
    method = LRP(loaded.module, epsilon_plus_flat())
    inputs = random_inputs(loaded, batch=1)
    result = selection_curve(method, inputs, None, ks=[1, 1000], threshold=1e-12)
    assert result.chosen_k == 1000
