"""Property-based fuzzing of every operation from the OpenAPI schema (schemathesis): no 5xx,
and every response fits its documented schema and status. Jobs need a token here, so fuzzed
requests cannot start ingest runs."""

from __future__ import annotations

from pathlib import Path

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from relex.api.app import create_app
from relex.queries import GraphStore
from tests.api.conftest import ApiRun, settings_for


@pytest.fixture(scope="module")
def fuzzed_app(api_run: ApiRun, tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    data = tmp_path_factory.mktemp("fuzz")
    return create_app(settings_for(Path(data), RELEX_API_TOKEN="fuzz-token"), store=api_run.store)


@pytest.fixture(scope="module")
def api_schema(fuzzed_app: FastAPI) -> schemathesis.BaseSchema:
    return schemathesis.openapi.from_asgi("/openapi.json", fuzzed_app)


CHECKS = [
    schemathesis.checks.not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


def test_no_server_errors_and_no_schema_violations(
    api_schema: schemathesis.BaseSchema, api_run: ApiRun
) -> None:
    store: GraphStore = api_run.store
    before = store.counts()
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 20
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=12,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
        )
        def check(case: schemathesis.Case) -> None:
            case.call_and_validate(checks=CHECKS)

        check()
    assert store.counts() == before
