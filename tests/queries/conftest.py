"""Fixtures of the query tests: fresh stores on each reachable backend, and a small real run.

``ingested_store`` is a real ingest (random-weight smallcnn64 on ``synthetic:shapes-a``, two
classes, three images each, top-3 edges) written once per session to an embedded store; other
suites can reuse it (``ingested_store`` yields the store's path, ``INGESTED_RUN`` names the run).
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from relex.queries import GraphStore
from relex.queries.embedded import EmbeddedStore
from tests.store.conftest import ENGINE, neo4j_store, require_backend

INGESTED_RUN = "shapes-small"


@contextmanager
def fresh_store(backend: str) -> Iterator[GraphStore]:
    """An empty store with the schema: a new embedded file, or the wiped Neo4j database."""
    if backend == "neo4j":
        with neo4j_store() as store:
            store.query("MATCH (n) DETACH DELETE n")
            store.create_schema()
            yield store
        return
    with (
        tempfile.TemporaryDirectory(prefix="relex-queries-") as folder,
        EmbeddedStore(Path(folder) / "graph.kuzu", engine=ENGINE) as store,
    ):
        store.create_schema()
        yield store


@pytest.fixture(params=["embedded", "neo4j"])
def backend(request: pytest.FixtureRequest) -> str:
    """The backend under test: "embedded" always, "neo4j" when NEO4J_URI is set."""
    return require_backend(str(request.param))


@pytest.fixture(scope="session")
def ingested_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The path of an embedded store holding a real small ingested run (INGESTED_RUN)."""
    from relex.ingest.worker import ingest
    from tests.helpers import shapes_checkpoint, small_run_options

    folder = tmp_path_factory.mktemp("ingested")
    checkpoint = shapes_checkpoint(folder / "shapes.pt")
    options = small_run_options(checkpoint, run=INGESTED_RUN, classes=(0, 2), limit=3)
    path = folder / "graph.kuzu"
    with EmbeddedStore(path, engine=ENGINE) as store:
        ingest(options, store, progress=False)
    return path
