"""The held-out images for the small CNN trained once per test session (tests/conftest.py):
the evaluation's orderings are asserted on a model that learnt something."""

from __future__ import annotations

import pytest

from relex.ingest.evaluation import EvaluationData, load_evaluation_data
from relex.ingest.models import LoadedModel

HELD_OUT_SPEC = "synthetic:shapes-a?size=28&grey=1&n=24&seed=12"


@pytest.fixture(scope="session")
def held_out(trained: LoadedModel) -> EvaluationData:
    return load_evaluation_data(HELD_OUT_SPEC, trained.preprocessing, limit=24)
