"""What ``relex evaluate`` does: evaluate a stored run's model on its dataset, or run one of the
named experiments, and write the report (and, for a run, its scores on the Run node)."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from relex.ingest.errors import RelexError
from relex.ingest.evaluation.data import EvaluationData, load_evaluation_data
from relex.ingest.evaluation.experiments import (
    DEFAULT_METRICS,
    Evaluation,
    artefact_experiment,
    evaluate_methods,
    randomisation_check,
    robustness_experiment,
    selection_experiment,
)
from relex.ingest.evaluation.methods import DEFAULT_METHODS, check_methods
from relex.ingest.evaluation.report import Report
from relex.ingest.evaluation.scores import scores_document, store_scores
from relex.ingest.explain import pick_device
from relex.ingest.lrp.composites import COMPOSITES
from relex.ingest.models import LoadedModel, load_model
from relex.ingest.registry import EXPERIMENTS
from relex.ingest.run_params import RunParameters
from relex.queries import GraphStore

log = logging.getLogger(__name__)

"""``methods``: every method on every metric; ``randomisation``: the cascading sanity check;
``selection``: top-k neurons per layer (MSE/SMAPE, critical paths); ``lrp-vs-ig``: the LRP
composites against Integrated Gradients (for MNIST-format data: no masks, so faithfulness and
complexity only); ``artefacts``: border and checkerboard relevance per method; ``robustness``:
R-LRP against epsilon-LRP when pre-activations are tiny."""

LRP_VS_IG_METHODS = ("epsilon_gamma_box", "epsilon_plus_flat", "rlrp", "integrated_gradients")
FAITHFULNESS_METRICS = ("aopc", "aopc_random", "sparseness", "complexity", "conservation_error")


@dataclass(frozen=True)
class EvaluationSettings:
    """Shared knobs of every evaluation command."""

    methods: tuple[str, ...] = DEFAULT_METHODS
    metrics: tuple[str, ...] = DEFAULT_METRICS
    limit: int = 48
    patch: int = 8
    steps: int | None = 16
    randomisation: tuple[str, ...] = ("epsilon_gamma_box", "gradient")
    randomisation_images: int = 12
    seed: int = 0
    device: str = "auto"


def parse_list(text: str) -> tuple[str, ...]:
    """``"a, b,c"`` -> ``("a", "b", "c")``."""
    return tuple(part.strip() for part in text.split(",") if part.strip())


def _loaded(model: str, weights: str, device: str) -> LoadedModel:
    loaded = load_model(model, weights)
    loaded.module.to(pick_device(device))
    return loaded


def evaluate_run(
    store: GraphStore, run: str, *, report: Path, settings: EvaluationSettings
) -> tuple[Path, dict[str, Any]]:
    """Evaluate run ``run``'s model on (the first ``limit`` images of) its dataset, write the
    report into ``report`` and the scores onto the Run node; returns the report and the scores."""
    params = RunParameters.from_json(store.get_run(run).params, run=run)
    loaded = _loaded(params.model, params.weights, settings.device)
    data = load_evaluation_data(params.dataset, loaded.preprocessing, limit=settings.limit)
    metrics = settings.metrics
    if data.masks is None:
        metrics = tuple(metric for metric in metrics if metric in FAITHFULNESS_METRICS)
        log.warning("%s has no ground-truth masks: localisation metrics left out", data.dataset)
    path, evaluation = _methods_section(
        Report(f"Evaluation of run {run}", report), loaded, data, settings, metrics
    )
    document = scores_document(evaluation)
    store_scores(store, run, document)
    return path, document


def _methods_section(
    report: Report,
    loaded: LoadedModel,
    data: EvaluationData,
    settings: EvaluationSettings,
    metrics: Sequence[str],
) -> tuple[Path, Evaluation]:
    evaluation = evaluate_methods(
        loaded,
        data,
        methods=settings.methods,
        metrics=metrics,
        patch=settings.patch,
        steps=settings.steps,
        seed=settings.seed,
    )
    report.add_evaluation(evaluation)
    if settings.randomisation:
        subset = data.subset(settings.randomisation_images)
        report.add_randomisation(
            [
                randomisation_check(loaded, subset, method=method, seed=settings.seed)
                for method in check_methods(list(settings.randomisation))
            ]
        )
    return report.write(), evaluation


def run_experiment(
    name: str,
    *,
    model: str,
    weights: str,
    dataset: str,
    report: Path,
    settings: EvaluationSettings,
    composite: str = "epsilon_gamma_box",
    ks: tuple[int, ...] = (1, 2, 4, 8, 16, 32, 64),
    threshold: float = 50.0,
) -> Path:
    """Run experiment ``name`` (one of :data:`EXPERIMENTS`) and write its report."""
    if name not in EXPERIMENTS:
        raise RelexError(f"unknown experiment {name!r}; known: {', '.join(EXPERIMENTS)}")
    if composite not in COMPOSITES:
        raise RelexError(f"unknown LRP composite {composite!r}; known: {', '.join(COMPOSITES)}")
    loaded = _loaded(model, weights, settings.device)
    data = load_evaluation_data(dataset, loaded.preprocessing, limit=settings.limit)
    out = Report(f"Experiment {name}: {model} on {data.dataset}", report)
    if name in ("methods", "lrp-vs-ig"):
        methods = settings.methods if name == "methods" else LRP_VS_IG_METHODS
        metrics = settings.metrics if data.masks is not None else FAITHFULNESS_METRICS
        chosen = dataclasses.replace(settings, methods=methods, metrics=metrics)
        return _methods_section(out, loaded, data, chosen, metrics)[0]
    if name == "randomisation":
        subset = data.subset(settings.randomisation_images)
        out.add_randomisation(
            [
                randomisation_check(loaded, subset, method=method, seed=settings.seed)
                for method in check_methods(list(settings.methods))
            ]
        )
    elif name == "selection":
        out.add_selection(
            selection_experiment(loaded, data, composite=composite, ks=ks, threshold=threshold)
        )
    elif name == "artefacts":
        out.add_artefacts(
            artefact_experiment(loaded, data, methods=settings.methods, seed=settings.seed),
            border_width=2,
        )
    else:
        noise = 0.01
        out.add_robustness(
            robustness_experiment(loaded, data, noise=noise, seed=settings.seed), noise=noise
        )
    return out.write()
