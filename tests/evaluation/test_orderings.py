"""On synthetic shapes with a small CNN trained here: the LRP composites beat the random map and
the plain gradient on relevance-mass accuracy and AOPC, and cascading randomisation of the model's
layers makes the heatmaps drift away from the trained model's."""

from __future__ import annotations

import itertools

import networkx as nx
import numpy as np
import pytest
import torch

from relex.ingest.evaluation import (
    EvaluationData,
    critical_path,
    evaluate_methods,
    randomisation_check,
    selection_experiment,
)
from relex.ingest.lrp import LRP
from relex.ingest.lrp.composites import epsilon_plus_flat
from relex.ingest.models import LoadedModel

COMPOSITES = ("epsilon_gamma_box", "epsilon_plus_flat")
FLOORS = ("gradient", "random")


def test_lrp_composites_beat_random_and_gradient(
    trained: LoadedModel, held_out: EvaluationData
) -> None:
    evaluation = evaluate_methods(
        trained,
        held_out,
        methods=(*COMPOSITES, *FLOORS),
        metrics=("relevance_mass_accuracy", "aopc"),
        patch=4,
        steps=8,
    )
    for metric in ("relevance_mass_accuracy", "aopc"):
        for composite in COMPOSITES:
            for floor in FLOORS:
                assert evaluation.score(composite, metric) > evaluation.score(floor, metric), (
                    metric,
                    composite,
                    floor,
                    evaluation,
                )
    mask_share = float(held_out.masks.float().mean()) if held_out.masks is not None else 0.0
    assert evaluation.score("random", "relevance_mass_accuracy") == pytest.approx(
        mask_share, abs=0.05
    )


def test_cascading_randomisation_lowers_similarity(
    trained: LoadedModel, held_out: EvaluationData
) -> None:
    result = randomisation_check(trained, held_out.subset(8), method="epsilon_gamma_box")
    assert result.layers[0] == "fc4" and result.layers[-1] == "conv1_1"
    assert result.similarity[-1] < 0.5
    assert result.similarity[-1] < result.similarity[0] - 0.2


def test_selection_experiment_keeps_fewer_neurons_for_a_looser_threshold(
    trained: LoadedModel, held_out: EvaluationData
) -> None:
    data = held_out.subset(3)
    strict = selection_experiment(trained, data, ks=(1, 4, 16, 128), threshold=1e-9)
    loose = selection_experiment(trained, data, ks=(1, 4, 16, 128), threshold=150.0)
    assert strict.mse[-1] == pytest.approx(0.0, abs=1e-12)
    assert all(k == 128 for k in strict.chosen_k)
    assert all(k is not None and k <= 128 for k in loose.chosen_k)
    assert list(strict.neurons_kept) == sorted(strict.neurons_kept)
    assert all(path and path[-1].startswith("fc4/") for path in strict.paths)


def test_critical_path_is_the_networkx_shortest_path(
    trained: LoadedModel, held_out: EvaluationData
) -> None:
    lrp = LRP(trained.module, epsilon_plus_flat())
    inputs = held_out.inputs[:1]
    target = int(held_out.labels[0])
    result = lrp.attribute(inputs, target, flow_groups=torch.zeros(1))
    rng = np.random.default_rng(0)
    names = lrp.network.layer_names
    neurons = {
        name: sorted(rng.choice(lrp.network.layer(name).size, 6, replace=False).tolist())
        for name in names[1:-1]
    }
    ours = critical_path(lrp.network, result.flows, neurons, target)
    graph = nx.DiGraph()
    kept = {names[0]: list(range(lrp.network.layer(names[0]).size)), **neurons}
    kept[names[-1]] = [target]
    for lower, upper in itertools.pairwise(names):
        flow = result.flows[(lower, upper)][0].double().numpy()
        positive_out = np.clip(flow, 0, None).sum(0)  # what each upper neuron passes down
        lower_relevance = flow.sum(1)
        for j in kept[upper]:
            for i in kept[lower]:
                if flow[i, j] > 0 and lower_relevance[i] > 0:
                    share = flow[i, j] / positive_out[j]
                    graph.add_edge(f"{upper}/{j}", f"{lower}/{i}", cost=-np.log(share))
    for i in kept[names[0]]:
        graph.add_edge(f"{names[0]}/{i}", "sink", cost=0.0)
    expected = nx.shortest_path(graph, f"{names[-1]}/{target}", "sink", weight="cost")[:-1]
    assert ours == tuple(reversed(expected))
