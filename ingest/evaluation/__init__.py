"""Evaluation of explanations: metrics, the methods compared, experiments and the report."""

from relex.ingest.evaluation.commands import (
    EXPERIMENTS,
    EvaluationSettings,
    evaluate_run,
    run_experiment,
)
from relex.ingest.evaluation.data import EvaluationData, load_evaluation_data
from relex.ingest.evaluation.experiments import (
    METRICS,
    Evaluation,
    MethodScores,
    artefact_experiment,
    critical_path,
    evaluate_methods,
    randomisation_check,
    robustness_experiment,
    selection_experiment,
)
from relex.ingest.evaluation.methods import DEFAULT_METHODS, METHODS, make_explainer

__all__ = [
    "DEFAULT_METHODS",
    "EXPERIMENTS",
    "METHODS",
    "METRICS",
    "Evaluation",
    "EvaluationData",
    "EvaluationSettings",
    "MethodScores",
    "artefact_experiment",
    "critical_path",
    "evaluate_methods",
    "evaluate_run",
    "load_evaluation_data",
    "make_explainer",
    "randomisation_check",
    "robustness_experiment",
    "run_experiment",
    "selection_experiment",
]
