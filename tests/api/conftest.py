"""A small real run (random-weight smallcnn64 on synthetic shapes, two classes) in a real
embedded store, and the app over it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from relex.api.app import create_app
from relex.api.settings import Settings
from relex.ingest.worker import IngestOptions, ingest
from relex.queries import GraphStore, RunRow
from relex.queries.embedded import EmbeddedStore
from tests.helpers import SHAPES_DATASET, shapes_checkpoint, small_run_options

DATASET = SHAPES_DATASET


@dataclass(frozen=True)
class ApiRun:
    """The store, the finished run and the options that made it."""

    store: GraphStore
    run: RunRow
    options: IngestOptions
    data_dir: Path


@pytest.fixture(scope="session")
def checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return shapes_checkpoint(tmp_path_factory.mktemp("weights") / "shapes.pt")


@pytest.fixture(scope="session")
def api_run(tmp_path_factory: pytest.TempPathFactory, checkpoint: Path) -> Iterator[ApiRun]:
    folder = tmp_path_factory.mktemp("api")
    options = small_run_options(
        checkpoint, method="epsilon_plus_flat", batch_size=8, classes=(0, 2), limit=4
    )
    with EmbeddedStore(folder / "graph.kuzu") as store:
        run = ingest(options, store, progress=False)
        yield ApiRun(store, run, options, folder / "data")


def settings_for(data_dir: Path, **values: str) -> Settings:
    """Settings over ``data_dir`` on the CPU that trust TestClient's host name."""
    return Settings.from_mapping(
        {
            "RELEX_DATA_DIR": str(data_dir),
            "RELEX_DEVICE": "cpu",
            "RELEX_TRUSTED_HOSTS": "testserver",
            **values,
        }
    )


@pytest.fixture(scope="session")
def app(api_run: ApiRun) -> FastAPI:
    return create_app(settings_for(api_run.data_dir), store=api_run.store)


@pytest.fixture(scope="session")
def client(app: FastAPI) -> TestClient:
    return TestClient(app)
