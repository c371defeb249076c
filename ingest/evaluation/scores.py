"""Evaluation scores on the Run node: ``Run.scores``, JSON text keyed by method then metric.

Stores made before the property existed get it on the first write (``add_run_scores``: an
``ALTER TABLE ... ADD IF NOT EXISTS`` on the Kuzu family; Neo4j nodes take any property), so
reading and writing runs keeps working on every store.
"""

from __future__ import annotations

import json
import math
from typing import Any

from relex.ingest.evaluation.experiments import Evaluation
from relex.queries import GraphStore, NotFoundError, QueryError, utc_now


def scores_document(evaluation: Evaluation) -> dict[str, Any]:
    """What is stored: when, on which images, and each method's mean scores."""
    return {
        "evaluated_at": utc_now(),
        "dataset": evaluation.dataset,
        "model": evaluation.model,
        "images": evaluation.images,
        "patch": evaluation.patch,
        "methods": {
            s.method: {metric: _finite(value) for metric, value in s.scores.items()}
            for s in evaluation.methods
        },
    }


def _finite(value: float) -> float | None:
    """JSON has no NaN or infinity: a score that is not a number is stored as null."""
    return value if math.isfinite(value) else None


def _add_property(store: GraphStore) -> None:
    if store.dialect == "kuzu":
        store.query_named("add_run_scores")


def store_scores(store: GraphStore, run: str, document: dict[str, Any]) -> None:
    """Write ``document`` as ``Run.scores`` of ``run`` (NotFoundError if there is no such run)."""
    _add_property(store)
    text = json.dumps(document, sort_keys=True, allow_nan=False)
    if not store.query_named("set_run_scores", {"run": run, "scores": text}):
        raise NotFoundError(f"run {run!r} is not in {store.describe()}")


def read_scores(store: GraphStore, run: str) -> dict[str, Any] | None:
    """The stored scores of ``run``, None if it was never evaluated (also in a read-only store
    that no evaluation has given the property yet)."""
    if not store.read_only:
        _add_property(store)
    try:
        found = store.query_named("get_run_scores", {"run": run})
    except QueryError as error:
        if store.read_only and "Cannot find property scores" in str(error):
            store.get_run(run)
            return None
        raise
    if not found:
        raise NotFoundError(f"run {run!r} is not in {store.describe()}")
    text = found[0]["scores"]
    return None if text is None else dict(json.loads(text))
