"""The evaluation experiments: methods scored on the metrics, the randomisation sanity check, and
the seed papers' comparisons (neuron selection, LRP against Integrated Gradients, artefacts,
relative LRP's robustness where pre-activations are tiny)."""

from __future__ import annotations

import copy
import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import Tensor, nn

from relex.ingest.aggregate import evidence_shares, outflow_totals
from relex.ingest.attribution import lrp_for
from relex.ingest.errors import RelexError
from relex.ingest.evaluation import metrics as m
from relex.ingest.evaluation.data import EvaluationData
from relex.ingest.evaluation.methods import check_methods, make_explainer
from relex.ingest.lrp.network import Network
from relex.ingest.models import LoadedModel
from relex.ingest.registry import LOCALISATION_METRICS, METRICS
from relex.ingest.selection import selection_curve
from relex.queries.analysis.paths import LayerEdges, k_best_paths
from relex.queries.rows import share_cost

LOCALISATION = LOCALISATION_METRICS
DEFAULT_METRICS = METRICS


def check_metrics(names: Sequence[str], *, has_masks: bool) -> tuple[str, ...]:
    """The metric names, checked; localisation metrics need ground-truth masks."""
    unknown = [name for name in names if name not in METRICS]
    if unknown:
        raise RelexError(f"unknown metric(s) {', '.join(unknown)}; known: {', '.join(METRICS)}")
    if not names:
        raise RelexError("no metric to compute")
    if not has_masks and any(name in LOCALISATION for name in names):
        raise RelexError(
            "relevance-mass and relevance-rank accuracy need ground-truth masks, which this "
            "dataset does not have (the synthetic datasets do); leave them out with --metrics"
        )
    return tuple(names)


def target_score(module: nn.Module, target: Tensor) -> m.Scorer:
    """The target logit of each image, without gradients."""

    def score(inputs: Tensor) -> Tensor:
        with torch.no_grad():
            return module(inputs).gather(1, target[:, None])[:, 0]

    return score


def _device(module: nn.Module) -> torch.device:
    return next(module.parameters()).device


@dataclass(frozen=True)
class MethodScores:
    """Mean scores of one method over the images, and its mean perturbation curves by order."""

    method: str
    scores: dict[str, float]
    curves: dict[str, list[float]] = field(default_factory=dict)


@dataclass(frozen=True)
class Evaluation:
    """Every method's scores on one set of images (targets: the true labels)."""

    dataset: str
    model: str
    images: int
    patch: int
    methods: tuple[MethodScores, ...]

    def score(self, method: str, metric: str) -> float:
        return next(s.scores[metric] for s in self.methods if s.method == method)


def evaluate_methods(
    loaded: LoadedModel,
    data: EvaluationData,
    *,
    methods: Sequence[str],
    metrics: Sequence[str] = DEFAULT_METRICS,
    patch: int = 8,
    steps: int | None = None,
    batch_size: int = 32,
    seed: int = 0,
) -> Evaluation:
    """Explain every image's true label with each method and average each metric over images.

    AOPC removes ``patch`` x ``patch`` regions (``steps`` of them, default all) and fills them with
    0, the dataset mean in the model's normalised input space.
    """
    chosen = check_metrics(metrics, has_masks=data.masks is not None)
    names = check_methods(list(methods))
    device = _device(loaded.module)
    results = []
    for name in names:
        explain = make_explainer(name, loaded.module, loaded.preprocessing, seed=seed)
        sums: dict[str, list[Tensor]] = {metric: [] for metric in chosen}
        curves: dict[str, list[Tensor]] = {}
        for first in range(0, len(data), batch_size):
            inputs = data.inputs[first : first + batch_size].to(device)
            target = data.labels[first : first + batch_size].to(device)
            masks = None if data.masks is None else data.masks[first : first + batch_size]
            heatmap = explain(inputs, target).detach()
            per_image = _batch_scores(
                loaded.module, inputs, target, heatmap, masks, chosen, patch, steps, seed + first
            )
            for metric, values in per_image.items():
                if metric.startswith("curve:"):
                    curves.setdefault(metric.removeprefix("curve:"), []).append(values.cpu())
                else:
                    sums[metric].append(values.cpu())
        results.append(
            MethodScores(
                method=name,
                scores={metric: float(torch.cat(v).double().mean()) for metric, v in sums.items()},
                curves={o: torch.cat(c).double().mean(0).tolist() for o, c in curves.items()},
            )
        )
    return Evaluation(data.dataset, loaded.name, len(data), patch, tuple(results))


def _batch_scores(
    module: nn.Module,
    inputs: Tensor,
    target: Tensor,
    heatmap: Tensor,
    masks: Tensor | None,
    metrics: tuple[str, ...],
    patch: int,
    steps: int | None,
    seed: int,
) -> dict[str, Tensor]:
    relevance = m.pixel_relevance(heatmap)
    out: dict[str, Tensor] = {}
    if masks is not None:
        masks = masks.to(relevance.device)
    for metric in metrics:
        if metric == "relevance_mass_accuracy" and masks is not None:
            out[metric] = m.relevance_mass_accuracy(relevance, masks)
        elif metric == "relevance_rank_accuracy" and masks is not None:
            out[metric] = m.relevance_rank_accuracy(relevance, masks)
        elif metric in ("aopc", "aopc_random"):
            order: m.PerturbationOrder = "morf" if metric == "aopc" else "random"
            curve = m.region_perturbation(
                target_score(module, target),
                inputs,
                relevance,
                patch=patch,
                steps=steps,
                order=order,
                seed=seed,
            )
            out[metric] = curve.aopc()
            out[f"curve:{order}"] = curve.scores
        elif metric == "sparseness":
            out[metric] = m.sparseness(relevance)
        elif metric == "complexity":
            out[metric] = m.complexity(relevance)
        elif metric == "conservation_error":
            logit = target_score(module, target)(inputs)
            out[metric] = m.conservation_error(heatmap, logit)
    return out


@dataclass(frozen=True)
class RandomisationResult:
    """Cascading model-parameter randomisation (Adebayo et al. 2018), top layer first.

    ``similarity[i]`` is the mean Spearman rank correlation of |pixel relevance| between the
    original model and the model whose layers ``layers[: i + 1]`` are re-initialised.
    """

    method: str
    layers: tuple[str, ...]
    similarity: tuple[float, ...]


def randomisation_check(
    loaded: LoadedModel, data: EvaluationData, *, method: str, seed: int = 0
) -> RandomisationResult:
    """Re-initialise the weight layers one by one from the output down (seeded, PyTorch's
    default initialisation) and compare each heatmap with the original model's."""
    device = _device(loaded.module)
    inputs, target = data.inputs.to(device), data.labels.to(device)
    original = m.pixel_relevance(
        make_explainer(method, loaded.module, loaded.preprocessing, seed=seed)(inputs, target)
    ).abs()
    randomised = copy.deepcopy(loaded.module)
    weight_layers = [
        (step.name, step.module)
        for step in Network(randomised).steps
        if step.has_neurons and not _folded(step.module, randomised)
    ]
    if len(weight_layers) != len(Network(randomised).layers) - 1:
        raise RelexError("the randomisation check does not support batch-normalised models")
    names: list[str] = []
    similarity: list[float] = []
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        for name, module in reversed(weight_layers):
            assert isinstance(module, nn.Conv2d | nn.Linear)
            module.reset_parameters()
            explain = make_explainer(method, randomised, loaded.preprocessing, seed=seed)
            heatmap = m.pixel_relevance(explain(inputs, target)).abs()
            names.append(name)
            similarity.append(float(m.rank_correlation(original, heatmap).mean()))
    return RandomisationResult(method, tuple(names), tuple(similarity))


def _folded(module: nn.Module, model: nn.Module) -> bool:
    """True when ``module`` is a copy made by folding batch norm (not a module of ``model``)."""
    return not any(module is candidate for candidate in model.modules())


@dataclass(frozen=True)
class SelectionExperiment:
    """Top-k neurons per hidden layer against the full heatmap, averaged over images, and the
    critical path of each image through the neurons its chosen k keeps."""

    composite: str
    ks: tuple[int, ...]
    neurons_kept: tuple[float, ...]
    mse: tuple[float, ...]
    smape: tuple[float, ...]
    metric: str
    threshold: float
    chosen_k: tuple[int | None, ...]
    paths: tuple[tuple[str, ...], ...]


def selection_experiment(
    loaded: LoadedModel,
    data: EvaluationData,
    *,
    composite: str = "epsilon_gamma_box",
    ks: Sequence[int] = (1, 2, 4, 8, 16, 32, 64),
    metric: str = "smape",
    threshold: float = 50.0,
) -> SelectionExperiment:
    """The neuron-selection experiment: for each image (explaining its label), keep the top-k
    neurons of every hidden layer for each k; MSE and SMAPE of the conditional heatmap against
    the full one; the smallest k meeting ``threshold`` and the maximum-share path it keeps."""
    if metric not in ("mse", "smape"):
        raise RelexError(f"unknown selection metric {metric!r}; use mse or smape")
    lrp = lrp_for(loaded.module, loaded.preprocessing, composite)
    device = _device(loaded.module)
    curves = []
    for index in range(len(data)):
        inputs = data.inputs[index : index + 1].to(device)
        target = int(data.labels[index])
        curves.append(
            selection_curve(
                lrp,
                inputs,
                target,
                ks=ks,
                metric=metric,  # type: ignore[arg-type]
                threshold=threshold,
            )
        )
    paths: list[tuple[str, ...]] = []
    for index, curve in enumerate(curves):
        if curve.chosen_neurons is None:
            paths.append(())
            continue
        inputs = data.inputs[index : index + 1].to(device)
        target = int(data.labels[index])
        flows = lrp.attribute(inputs, target, flow_groups=torch.zeros(1)).flows
        neurons = {name: list(kept) for name, kept in curve.chosen_neurons.items()}
        paths.append(critical_path(lrp.network, flows, neurons, target))
    points = [curve.points for curve in curves]
    return SelectionExperiment(
        composite=composite,
        ks=tuple(p.k for p in points[0]),
        neurons_kept=tuple(
            float(np.mean([c[i].neurons_kept for c in points])) for i in range(len(points[0]))
        ),
        mse=tuple(float(np.mean([c[i].mse for c in points])) for i in range(len(points[0]))),
        smape=tuple(float(np.mean([c[i].smape for c in points])) for i in range(len(points[0]))),
        metric=metric,
        threshold=threshold,
        chosen_k=tuple(curve.chosen_k for curve in curves),
        paths=tuple(paths),
    )


def critical_path(
    network: Network,
    flows: Mapping[tuple[str, str], Tensor],
    neurons: Mapping[str, Sequence[int]],
    target: int,
) -> tuple[str, ...]:
    """The path from output neuron ``target`` down to an input channel through the selected
    ``neurons`` (a layer not listed keeps all its neurons) that carries the most evidence for the
    target: positive flows into neurons of positive relevance, the weighted shortest path for
    the costs ``-ln share`` of ``ingest.aggregate`` (DESIGN.md), found by the graph queries'
    exact path search (``queries.analysis.paths``).

    ``flows`` are one image's (or group's) flows, ``(1, lower, upper)`` per layer pair, as
    ``LRP.attribute(..., flow_groups=...)`` returns them; an upper neuron's relevance is the sum of
    its incoming flows. Returns ``"<layer>/<index>"`` ids from the input up to the output, or an
    empty tuple when no such path exists.
    """
    names = list(network.layer_names)
    kept = {**neurons, names[-1]: [target]}
    edges = [
        _selected_edges(lower, upper, flows[(lower, upper)][0], kept)
        for lower, upper in itertools.pairwise(names)
    ]
    found = k_best_paths(
        edges,
        {name: depth for depth, name in enumerate(names)},
        source=(names[-1], target),
        target_layer=names[0],
        k=1,
    )
    if not found:
        return ()
    return tuple(f"{layer}/{index}" for layer, index in reversed(found[0].hops))


def _selected_edges(
    lower: str, upper: str, flow: Tensor, kept: Mapping[str, Sequence[int]]
) -> LayerEdges:
    """Every edge of positive flow between the kept neurons of two layers into a lower neuron
    of positive relevance, costing ``-ln share`` with the share of ``ingest.aggregate`` (over
    the whole layers); NaN elsewhere. A lower neuron's relevance is the sum of its flows."""
    matrix = flow.double().cpu().numpy()
    shares = evidence_shares(matrix, outflow_totals({(lower, upper): matrix})[upper], matrix.sum(1))
    lower_ids = np.asarray(kept.get(lower, range(matrix.shape[0])), dtype=np.int64)
    upper_ids = np.asarray(kept.get(upper, range(matrix.shape[1])), dtype=np.int64)
    chosen = shares[np.ix_(lower_ids, upper_ids)]
    positive = matrix[np.ix_(lower_ids, upper_ids)] > 0
    costs = np.where(positive, share_cost(chosen), np.nan)
    grid_lower, grid_upper = np.meshgrid(lower_ids, upper_ids, indexing="ij")
    return LayerEdges(upper, lower, grid_upper.ravel(), grid_lower.ravel(), costs.ravel())


@dataclass(frozen=True)
class ArtefactRow:
    """Mean border and checkerboard shares of one method's pixel relevance."""

    method: str
    border: float
    checkerboard: float


def artefact_experiment(
    loaded: LoadedModel,
    data: EvaluationData,
    *,
    methods: Sequence[str],
    border_width: int = 2,
    seed: int = 0,
) -> tuple[ArtefactRow, ...]:
    """How much relevance lands on the image border and in checkerboard patterns, per method
    (each LRP composite is one combination of layer rules)."""
    device = _device(loaded.module)
    inputs, target = data.inputs.to(device), data.labels.to(device)
    rows = []
    for name in check_methods(list(methods)):
        explain = make_explainer(name, loaded.module, loaded.preprocessing, seed=seed)
        relevance = m.pixel_relevance(explain(inputs, target))
        rows.append(
            ArtefactRow(
                method=name,
                border=float(m.border_share(relevance, width=border_width).mean()),
                checkerboard=float(m.checkerboard_share(relevance).mean()),
            )
        )
    return tuple(rows)


@dataclass(frozen=True)
class RobustnessRow:
    """For one weight scale: heatmap change under input noise and agreement with scale 1."""

    method: str
    scale: float
    noise_change: float
    agreement: float


def scaled_copy(module: nn.Module, scale: float) -> nn.Module:
    """A copy with every weight and bias multiplied by ``scale``: a ReLU network stays the same
    function up to a positive factor per layer, while its pre-activations shrink by ``scale``
    per layer (``scale`` ** depth at depth)."""
    scaled = copy.deepcopy(module)
    layers = [layer for layer in scaled.modules() if isinstance(layer, nn.Conv2d | nn.Linear)]
    with torch.no_grad():
        for depth, layer in enumerate(layers, start=1):
            layer.weight.mul_(scale)
            if layer.bias is not None:
                layer.bias.mul_(scale**depth)
    return scaled


def robustness_experiment(
    loaded: LoadedModel,
    data: EvaluationData,
    *,
    methods: Sequence[str] = ("epsilon", "rlrp"),
    scales: Sequence[float] = (1.0, 0.1, 0.01),
    noise: float = 0.01,
    seed: int = 0,
) -> tuple[RobustnessRow, ...]:
    """R-LRP against epsilon-LRP when pre-activations are tiny: scale every layer by ``scale``
    (the decision is unchanged) and measure the relative L2 change of the heatmap under Gaussian
    input noise of std ``noise`` (``noise_change``) and the Spearman correlation of |pixel
    relevance| with the heatmap at scale 1 (``agreement``)."""
    device = _device(loaded.module)
    inputs, target = data.inputs.to(device), data.labels.to(device)
    generator = torch.Generator().manual_seed(seed)
    noisy = inputs + noise * torch.randn(inputs.shape, generator=generator).to(device)
    rows = []
    for name in check_methods(list(methods)):
        reference: Tensor | None = None
        for scale in scales:
            if not scale > 0:
                raise RelexError(f"weight scales must be positive, not {scale}")
            explain = make_explainer(name, scaled_copy(loaded.module, scale), loaded.preprocessing)
            clean, perturbed = explain(inputs, target), explain(noisy, target)
            change = (perturbed - clean).flatten(1).norm(dim=1) / clean.flatten(1).norm(
                dim=1
            ).clamp(min=1e-30)
            pixels = m.pixel_relevance(clean).abs()
            reference = pixels if reference is None else reference
            rows.append(
                RobustnessRow(
                    method=name,
                    scale=scale,
                    noise_change=float(change.mean()),
                    agreement=float(m.rank_correlation(reference, pixels).mean()),
                )
            )
    return tuple(rows)
