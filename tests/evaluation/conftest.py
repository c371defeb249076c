"""A small CNN trained here on synthetic shapes (28x28 grey, with ground-truth masks), once per
test session: the evaluation's orderings are asserted on a model that learnt something."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from ingest.datasets import open_dataset
from ingest.evaluation import EvaluationData, load_evaluation_data
from ingest.models import LoadedModel, load_model
from ingest.training import train_small_cnn

TRAIN_SPEC = "synthetic:shapes-a?size=28&grey=1&n=600&seed=11"
HELD_OUT_SPEC = "synthetic:shapes-a?size=28&grey=1&n=24&seed=12"


@pytest.fixture(scope="session")
def trained(tmp_path_factory: pytest.TempPathFactory) -> LoadedModel:
    folder: Path = tmp_path_factory.mktemp("trained")
    with torch.random.fork_rng(devices=[]):
        report = train_small_cnn(
            open_dataset(TRAIN_SPEC),
            model_name="smallcnn28",
            epochs=6,
            out=folder,
            progress=False,
        )
    assert report.test_accuracy > 0.5, report
    return load_model("smallcnn28", str(report.checkpoint))


@pytest.fixture(scope="session")
def held_out(trained: LoadedModel) -> EvaluationData:
    return load_evaluation_data(HELD_OUT_SPEC, trained.preprocessing, limit=24)
