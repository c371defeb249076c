"""A run's parameters: what defines its result, written by the worker as ``Run.params`` and read
back by whoever loads the run's model and dataset again (the API's renders)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any, Literal

from relex.ingest.errors import RelexError
from relex.queries import params_json

GroupBy = Literal["label", "prediction"]

REQUIRED = ("model", "weights", "method", "dataset")
"""What a run must record for its model and dataset to be loaded again."""


@dataclass(frozen=True)
class RunParameters:
    """What defines a run's result (not the device or batch size it ran with)."""

    model: str
    weights: str
    method: str
    dataset: str
    top_k: int = 8
    classes: tuple[int, ...] | None = None
    limit: int | None = None
    group_by: GroupBy = "label"
    paths: int = 5
    """Critical paths stored per class and sign."""

    def to_json(self) -> str:
        """The parameters as ``Run.params`` text (canonical JSON, sorted keys)."""
        return params_json(asdict(self))

    @classmethod
    def from_json(cls, text: str, *, run: str) -> RunParameters:
        """The parameters run ``run`` recorded as ``text``; RelexError naming what is missing.
        Keys it does not know are ignored; a run recorded before a key existed gets its
        default."""
        params = json.loads(text)
        if not isinstance(params, dict):
            raise RelexError(f"run {run!r} records no parameters")
        missing = [key for key in REQUIRED if params.get(key) is None]
        if missing:
            raise RelexError(f"run {run!r} does not record its {', '.join(missing)}")
        chosen: dict[str, Any] = {key: str(params[key]) for key in REQUIRED}
        for key in ("top_k", "limit", "group_by", "paths"):
            if params.get(key) is not None:
                chosen[key] = params[key]
        if params.get("classes") is not None:
            chosen["classes"] = tuple(int(label) for label in params["classes"])
        return cls(**chosen)
