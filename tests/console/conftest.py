"""A small real run in a fresh embedded store (engine from RELEX_STORE_ENGINE, kuzu by
default), for the console tests."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from relex.queries.embedded import EmbeddedStore
from tests.store.conftest import ENGINE
from tests.store.synthetic import SmallRun, small_run


def write_small_run(path: Path) -> SmallRun:
    """Write ``small_run()`` to a new store at ``path`` and close it."""
    run = small_run()
    with EmbeddedStore(path, engine=ENGINE) as store:
        store.create_schema()
        store.write_nodes(run.nodes)
        store.write_flows(run.flows)
        store.write_relevance(run.relevance)
    return run


@pytest.fixture(scope="module")
def written_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[SmallRun, Path]:
    """The small run written once per module (copied for each test)."""
    path = tmp_path_factory.mktemp("written") / "graph.kuzu"
    return write_small_run(path), path


@pytest.fixture
def run_path(written_run: tuple[SmallRun, Path], tmp_path: Path) -> tuple[SmallRun, Path]:
    """A fresh copy of a store file holding the small run, and the run's rows."""
    run, original = written_run
    path = tmp_path / "graph.kuzu"
    shutil.copyfile(original, path)
    return run, path


@pytest.fixture
def store(run_path: tuple[SmallRun, Path]) -> Iterator[EmbeddedStore]:
    """A writable handle on the small run's store (as the API server holds it)."""
    with EmbeddedStore(run_path[1], engine=ENGINE) as handle:
        yield handle
