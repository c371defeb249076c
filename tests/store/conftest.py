"""Store fixtures: every contract test runs on each reachable backend.

The embedded store always runs, with the engine named by RELEX_STORE_ENGINE (kuzu by default;
test_engines.py runs this suite again in a subprocess with ladybug). Neo4j runs when NEO4J_URI
is set (scripts/test.sh starts a local server and sets it); its tests wipe that database, so
point it at a throwaway one.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from relex.queries import GraphStore
from relex.queries.embedded import EmbeddedStore
from relex.queries.engines import DEFAULT_ENGINE
from relex.queries.settings import StoreSettings

ENGINE = os.environ.get("RELEX_STORE_ENGINE", DEFAULT_ENGINE)
BACKENDS = ["embedded", "neo4j"]
NO_NEO4J = "NEO4J_URI is not set: no Neo4j server to run the contract against"

StoreFactory = Callable[..., GraphStore]


def require_backend(backend: str) -> str:
    """``backend``, or a skip when it is Neo4j and no server is configured."""
    if backend == "neo4j" and not os.environ.get("NEO4J_URI"):
        pytest.skip(NO_NEO4J)
    return backend


def neo4j_store(read_only: bool = False) -> GraphStore:
    """A Neo4jStore on the server that the NEO4J_* variables name."""
    from relex.queries.neo4j_store import Neo4jStore

    settings = StoreSettings.from_env()
    assert settings.neo4j_uri and settings.neo4j_password is not None
    return Neo4jStore.connect(
        settings.neo4j_uri,
        settings.neo4j_user,
        settings.neo4j_password,
        database=settings.neo4j_database,
        read_only=read_only,
    )


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """The backend under test: "embedded" or "neo4j"."""
    return require_backend(str(request.param))


@pytest.fixture
def open_store(backend: str, tmp_path: Path) -> Iterator[StoreFactory]:
    """Opens (and later closes) handles on one fresh, empty store of ``backend``."""
    opened: list[GraphStore] = []

    def factory(*, read_only: bool = False) -> GraphStore:
        if backend == "embedded":
            store: GraphStore = EmbeddedStore(
                tmp_path / "graph.kuzu", engine=ENGINE, read_only=read_only
            )
        else:
            store = neo4j_store(read_only)
        opened.append(store)
        return store

    if backend == "neo4j":
        with neo4j_store() as wipe:
            wipe.query("MATCH (n) DETACH DELETE n")
    yield factory
    for store in opened:
        store.close()


@pytest.fixture
def store(open_store: StoreFactory) -> GraphStore:
    """A fresh writable store with the schema created."""
    handle = open_store()
    handle.create_schema()
    return handle
