"""Shared fixtures."""

from __future__ import annotations

import pytest

from ingest.models import LoadedModel
from tests.helpers import randomised


@pytest.fixture(scope="session")
def vgg16() -> LoadedModel:
    return randomised("vgg16")


@pytest.fixture(scope="session")
def small_cnn() -> LoadedModel:
    return randomised("smallcnn64")
