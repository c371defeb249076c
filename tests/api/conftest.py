"""A small real run (random-weight smallcnn64 on synthetic shapes, two classes) in a real
embedded store, and the app over it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import torch
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.app import create_app
from ingest.datasets import SHAPE_CLASSES
from ingest.models import save_checkpoint, small_cnn
from ingest.worker import IngestOptions, ingest
from queries import GraphStore, RunRow
from queries.embedded import EmbeddedStore
from queries.settings import Settings

DATASET = "synthetic:shapes-a?n=60&seed=3"


@dataclass(frozen=True)
class ApiRun:
    """The store, the finished run and the options that made it."""

    store: GraphStore
    run: RunRow
    options: IngestOptions
    data_dir: Path


def run_options(checkpoint: Path, **overrides: object) -> IngestOptions:
    base: dict[str, object] = {
        "run": "r1",
        "dataset": DATASET,
        "model": "smallcnn64",
        "weights": str(checkpoint),
        "method": "epsilon_plus_flat",
        "top_k": 3,
        "batch_size": 8,
        "device": "cpu",
        "classes": (0, 2),
        "limit": 4,
    }
    return IngestOptions(**{**base, **overrides})  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("weights") / "shapes.pt"
    torch.manual_seed(0)
    module = small_cnn(3, 64, len(SHAPE_CLASSES))
    save_checkpoint(path, name="smallcnn64", module=module, class_names=tuple(SHAPE_CLASSES))
    return path


@pytest.fixture(scope="session")
def api_run(tmp_path_factory: pytest.TempPathFactory, checkpoint: Path) -> Iterator[ApiRun]:
    folder = tmp_path_factory.mktemp("api")
    options = run_options(checkpoint)
    with EmbeddedStore(folder / "graph.kuzu") as store:
        run = ingest(options, store, progress=False)
        yield ApiRun(store, run, options, folder / "data")


def settings_for(data_dir: Path, **values: str) -> Settings:
    return Settings.from_mapping({"RELEX_DATA_DIR": str(data_dir), "RELEX_DEVICE": "cpu", **values})


@pytest.fixture(scope="session")
def app(api_run: ApiRun) -> FastAPI:
    return create_app(settings_for(api_run.data_dir), store=api_run.store)


@pytest.fixture(scope="session")
def client(app: FastAPI) -> TestClient:
    return TestClient(app)
