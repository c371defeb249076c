"""Shared fixtures."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from relex.ingest.datasets import open_dataset
from relex.ingest.models import LoadedModel, load_model
from relex.ingest.training import train_small_cnn
from tests.helpers import randomised

TRAIN_SPEC = "synthetic:shapes-a?size=28&grey=1&n=600&seed=11"
"""What the session's trained small CNN learns from (28x28 grey shapes with masks)."""


@pytest.fixture(scope="session")
def vgg16() -> LoadedModel:
    return randomised("vgg16")


@pytest.fixture(scope="session")
def small_cnn() -> LoadedModel:
    return randomised("smallcnn64")


@pytest.fixture(scope="session")
def trained_checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A smallcnn28 trained here once per test session on TRAIN_SPEC (its checkpoint file)."""
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
    return report.checkpoint


@pytest.fixture(scope="session")
def trained(trained_checkpoint: Path) -> LoadedModel:
    """The session's trained smallcnn28, loaded."""
    return load_model("smallcnn28", str(trained_checkpoint))
