"""The graph side: schema, store backends and the Cypher query catalogue (no torch here).

Open a store with ``open_store(StoreSettings.from_env())`` (or explicit settings) or construct
``EmbeddedStore`` / ``Neo4jStore`` directly; write rows from ``queries.rows``.
"""

from relex.queries.errors import (
    EngineConflictError,
    InvalidRowError,
    NotFoundError,
    OutdatedGraphError,
    QueryError,
    ReadOnlyStoreError,
    StoreError,
    StoreInUseError,
)
from relex.queries.rows import (
    ClassRelevanceRow,
    ClassRow,
    CriticalPathRow,
    DatasetRow,
    FlowBatch,
    FlowRow,
    ImageRelevanceRow,
    ImageRow,
    LayerRow,
    ModelRow,
    NeuronRow,
    NodeRow,
    RelevanceRow,
    RunRow,
    params_json,
    utc_now,
)
from relex.queries.settings import StoreSettings, open_store
from relex.queries.store import Counts, GraphStore

__all__ = [
    "ClassRelevanceRow",
    "ClassRow",
    "Counts",
    "CriticalPathRow",
    "DatasetRow",
    "EngineConflictError",
    "FlowBatch",
    "FlowRow",
    "GraphStore",
    "ImageRelevanceRow",
    "ImageRow",
    "InvalidRowError",
    "LayerRow",
    "ModelRow",
    "NeuronRow",
    "NodeRow",
    "NotFoundError",
    "OutdatedGraphError",
    "QueryError",
    "ReadOnlyStoreError",
    "RelevanceRow",
    "RunRow",
    "StoreError",
    "StoreInUseError",
    "StoreSettings",
    "open_store",
    "params_json",
    "utc_now",
]
