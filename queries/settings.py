"""Which store to open, from arguments or the environment, and ``open_store`` to open it.

Environment: ``RELEX_STORE_BACKEND`` ("embedded", the default, or "neo4j"),
``RELEX_STORE_PATH`` (the embedded database file, default "relex.kuzu"),
``RELEX_STORE_ENGINE`` ("kuzu", the default, or "ladybug"), ``NEO4J_URI``, ``NEO4J_USER``
(default "neo4j"), ``NEO4J_PASSWORD``, ``NEO4J_DATABASE`` and ``RELEX_NEO4J_BATCH_SIZE``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from queries.engines import DEFAULT_ENGINE, ENGINES
from queries.errors import StoreError

if TYPE_CHECKING:
    import neo4j

    from queries.store import GraphStore

BACKENDS = ("embedded", "neo4j")
DEFAULT_PATH = Path("relex.kuzu")
DEFAULT_BATCH_SIZE = 10_000


@dataclass(frozen=True, slots=True)
class StoreSettings:
    """Where the graph lives: an embedded file (and engine) or a Neo4j server."""

    backend: str = "embedded"
    path: Path = DEFAULT_PATH
    engine: str = DEFAULT_ENGINE
    neo4j_uri: str | None = None
    neo4j_user: str = "neo4j"
    neo4j_password: str | None = None
    neo4j_database: str | None = None
    neo4j_batch_size: int = DEFAULT_BATCH_SIZE

    def __post_init__(self) -> None:
        if self.backend not in BACKENDS:
            raise StoreError(f"unknown store backend {self.backend!r}: use {' or '.join(BACKENDS)}")
        if self.engine not in ENGINES:
            raise StoreError(f"unknown embedded engine {self.engine!r}: use {' or '.join(ENGINES)}")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> StoreSettings:
        """Settings from ``RELEX_STORE_*`` and ``NEO4J_*`` variables (see the module doc)."""
        env = os.environ if environ is None else environ
        batch = env.get("RELEX_NEO4J_BATCH_SIZE", str(DEFAULT_BATCH_SIZE))
        if not batch.isdigit():
            raise StoreError(f"RELEX_NEO4J_BATCH_SIZE must be a positive integer, got {batch!r}")
        return cls(
            backend=env.get("RELEX_STORE_BACKEND", "embedded"),
            path=Path(env.get("RELEX_STORE_PATH", str(DEFAULT_PATH))),
            engine=env.get("RELEX_STORE_ENGINE", DEFAULT_ENGINE),
            neo4j_uri=env.get("NEO4J_URI"),
            neo4j_user=env.get("NEO4J_USER", "neo4j"),
            neo4j_password=env.get("NEO4J_PASSWORD"),
            neo4j_database=env.get("NEO4J_DATABASE"),
            neo4j_batch_size=int(batch),
        )


def open_store(
    settings: StoreSettings | None = None,
    *,
    read_only: bool = False,
    driver: neo4j.Driver | None = None,
) -> GraphStore:
    """Open the store that ``settings`` (default: the environment) names.

    For Neo4j, pass an existing ``driver`` to share it (the store will not close it);
    otherwise one is created from the settings and closed with the store.
    """
    chosen = settings if settings is not None else StoreSettings.from_env()
    if chosen.backend == "embedded":
        from queries.embedded import EmbeddedStore

        return EmbeddedStore(chosen.path, engine=chosen.engine, read_only=read_only)
    from queries.neo4j_store import Neo4jStore

    if driver is not None:
        return Neo4jStore(
            driver,
            database=chosen.neo4j_database,
            batch_size=chosen.neo4j_batch_size,
            read_only=read_only,
        )
    if not chosen.neo4j_uri or chosen.neo4j_password is None:
        raise StoreError("the neo4j backend needs NEO4J_URI and NEO4J_PASSWORD (or a driver)")
    return Neo4jStore.connect(
        chosen.neo4j_uri,
        chosen.neo4j_user,
        chosen.neo4j_password,
        database=chosen.neo4j_database,
        batch_size=chosen.neo4j_batch_size,
        read_only=read_only,
    )
