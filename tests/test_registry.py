"""The torch-free registry names what the torch side builds: every LRP method is a composite,
every model an architecture, every metric and experiment one the evaluation runs."""

from __future__ import annotations

from relex.ingest.evaluation.commands import EXPERIMENTS as RUN_EXPERIMENTS
from relex.ingest.evaluation.experiments import METRICS as SCORED_METRICS
from relex.ingest.evaluation.methods import METHODS as EVALUATED
from relex.ingest.evaluation.methods import make_explainer
from relex.ingest.explain import METHODS as EXPLAINED
from relex.ingest.lrp.composites import COMPOSITES
from relex.ingest.models import ARCHITECTURES, load_model
from relex.ingest.registry import (
    EVALUATION_METHODS,
    EXPERIMENTS,
    EXPLAIN_METHODS,
    LRP_METHODS,
    METRICS,
    MODELS,
    REGISTRY,
)


def test_the_lrp_methods_are_the_composites() -> None:
    assert tuple(COMPOSITES) == LRP_METHODS


def test_the_models_are_the_architectures() -> None:
    assert tuple(ARCHITECTURES) == MODELS


def test_explain_and_evaluation_offer_the_registry_s_methods() -> None:
    assert EXPLAINED == EXPLAIN_METHODS
    assert EVALUATED == EVALUATION_METHODS
    assert "random" in EVALUATED and "random" not in EXPLAINED
    assert "deconvnet" in EXPLAINED and "deconvnet" not in EVALUATED
    assert METRICS == SCORED_METRICS and EXPERIMENTS == RUN_EXPERIMENTS


def test_every_evaluated_method_can_be_made() -> None:
    loaded = load_model("smallcnn28", "none")
    for name in EVALUATION_METHODS:
        assert callable(make_explainer(name, loaded.module, loaded.preprocessing))
    assert all(REGISTRY[name].flows == (name in COMPOSITES) for name in REGISTRY)
