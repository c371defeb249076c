"""Frozen rows that the ingest worker builds and a ``GraphStore`` writes.

Node rows derive their ``id`` from their fields (see ``queries.ids``), so a row cannot carry an
id that disagrees with its model, layer or index. ``record()`` gives the flat mapping that the
write queries read as ``row.<column>`` (Neo4j) or as a dataframe column (Kuzu); the column is
the property name except ``index`` -> ``idx`` and ``class`` -> ``cls``.

FLOW relationships come either as ``FlowRow`` objects or, for speed, as one columnar
``FlowBatch`` (numpy arrays; about a million rows per batch is the sweet spot for Kuzu).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt

from relex.queries import ids
from relex.queries.errors import InvalidRowError
from relex.queries.schema import GRAPH_VERSION, LAYER_KINDS, PATH_SIGNS, RUN_STATUSES


def utc_now() -> str:
    """The current time as ISO-8601 UTC text, the format of Run timestamps."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def params_json(params: dict[str, Any]) -> str:
    """Run parameters as canonical JSON text (sorted keys), the format of ``Run.params``."""
    return json.dumps(params, sort_keys=True)


def share_cost(share: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """The weight of a FLOW in shortest paths, ``cost = -ln(share)``, elementwise: NaN where the
    share is not positive (or NaN). The share itself is defined by ``ingest.aggregate``."""
    values = np.asarray(share, dtype=np.float64)
    out = np.full(values.shape, np.nan)
    np.log(values, out=out, where=values > 0.0)
    return np.negative(out, out=out)


@dataclass(frozen=True, slots=True)
class ModelRow:
    """A network, e.g. ModelRow("vgg16", arch="vgg16", layers=17, neurons=13419)."""

    LABEL: ClassVar[str] = "Model"
    name: str
    arch: str
    layers: int
    neurons: int

    @property
    def id(self) -> str:
        """The Model id (its name)."""
        return ids.model_id(self.name)

    def record(self) -> dict[str, Any]:
        """The columns the write query reads."""
        return {
            "id": self.id,
            "name": self.name,
            "arch": self.arch,
            "layers": self.layers,
            "neurons": self.neurons,
        }


@dataclass(frozen=True, slots=True)
class LayerRow:
    """A layer that has neurons: the input, or a conv / linear weight layer (``index`` = depth)."""

    LABEL: ClassVar[str] = "Layer"
    model: str
    name: str
    index: int
    kind: str
    size: int
    lower: tuple[str, ...] | None = None
    """Names of the model's layers this one reads from (a DAG: a ResNet's skip connections);
    ``None``: the layer of the previous index among the rows written together."""

    def __post_init__(self) -> None:
        if self.kind not in LAYER_KINDS:
            raise InvalidRowError(
                f"layer {self.model}/{self.name}: kind {self.kind!r} is not one of "
                f"{sorted(LAYER_KINDS)}"
            )

    @property
    def id(self) -> str:
        """The Layer id, "<model>/<name>"."""
        return ids.layer_id(self.model, self.name)

    def record(self) -> dict[str, Any]:
        """The columns the write query reads."""
        return {
            "id": self.id,
            "model": self.model,
            "name": self.name,
            "idx": self.index,
            "kind": self.kind,
            "size": self.size,
        }


@dataclass(frozen=True, slots=True)
class NeuronRow:
    """One channel / unit / logit of a layer; written with its (Layer)-[:HAS]->(Neuron) edge."""

    LABEL: ClassVar[str] = "Neuron"
    model: str
    layer: str
    index: int

    @property
    def id(self) -> str:
        """The Neuron id, "<model>/<layer>/<index>"."""
        return ids.neuron_id(self.model, self.layer, self.index)

    @property
    def layer_id(self) -> str:
        """The id of the Layer that HAS this neuron."""
        return ids.layer_id(self.model, self.layer)

    def record(self) -> dict[str, Any]:
        """The columns the write query reads."""
        return {
            "id": self.id,
            "model": self.model,
            "layer": self.layer,
            "idx": self.index,
            "layer_id": self.layer_id,
        }


@dataclass(frozen=True, slots=True)
class DatasetRow:
    """A dataset, e.g. DatasetRow("imagenette", kind="imagefolder", path="/data/imagenette")."""

    LABEL: ClassVar[str] = "Dataset"
    name: str
    kind: str
    path: str

    @property
    def id(self) -> str:
        """The Dataset id (its name)."""
        return ids.dataset_id(self.name)

    def record(self) -> dict[str, Any]:
        """The columns the write query reads."""
        return {"id": self.id, "name": self.name, "kind": self.kind, "path": self.path}


@dataclass(frozen=True, slots=True)
class ClassRow:
    """A class of a dataset (dataset-scoped: runs on that dataset share it)."""

    LABEL: ClassVar[str] = "Class"
    dataset: str
    index: int
    name: str
    wnid: str | None = None

    @property
    def id(self) -> str:
        """The Class id, "<dataset>/<index>"."""
        return ids.class_id(self.dataset, self.index)

    def record(self) -> dict[str, Any]:
        """The columns the write query reads."""
        return {
            "id": self.id,
            "dataset": self.dataset,
            "name": self.name,
            "idx": self.index,
            "wnid": self.wnid,
        }


@dataclass(frozen=True, slots=True)
class ImageRow:
    """An image of a dataset; ``label`` is its true class index when known."""

    LABEL: ClassVar[str] = "Image"
    dataset: str
    path: str
    label: int | None = None

    @property
    def id(self) -> str:
        """The Image id, "<dataset>/<path>"."""
        return ids.image_id(self.dataset, self.path)

    def record(self) -> dict[str, Any]:
        """The columns the write query reads."""
        return {"id": self.id, "dataset": self.dataset, "path": self.path, "label": self.label}


@dataclass(frozen=True, slots=True)
class RunRow:
    """One explanation job; written with its (Run)-[:OF]->(Model) and -[:ON]->(Dataset) edges.

    Write it again (``dataclasses.replace(run, status="done", updated_at=utc_now())``) to
    update it: the Run is keyed by ``id``.
    """

    LABEL: ClassVar[str] = "Run"
    id: str
    name: str
    model: str
    dataset: str
    method: str
    params: str = "{}"
    status: str = "pending"
    created_at: str = field(default_factory=utc_now)
    updated_at: str = field(default_factory=utc_now)
    images: int = 0
    classes: int = 0
    flows: int = 0
    skipped: int = 0
    """Images of the dataset that could not be read and were left out."""
    accuracy: float | None = None
    code_version: str = ""
    weights_hash: str = ""
    graph_version: int | None = GRAPH_VERSION
    """The meaning of the run's numbers (``queries.schema.GRAPH_VERSION``); None: older."""

    def __post_init__(self) -> None:
        if not self.id:
            raise InvalidRowError("run id must not be empty")
        if self.status not in RUN_STATUSES:
            raise InvalidRowError(
                f"run {self.id}: status {self.status!r} is not one of {sorted(RUN_STATUSES)}"
            )
        try:
            json.loads(self.params)
        except json.JSONDecodeError as exc:
            raise InvalidRowError(f"run {self.id}: params is not JSON text ({exc})") from exc

    def record(self) -> dict[str, Any]:
        """The columns the write query reads."""
        return {
            "id": self.id,
            "name": self.name,
            "model": self.model,
            "dataset": self.dataset,
            "method": self.method,
            "params": self.params,
            "status": self.status,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
            "images": self.images,
            "classes": self.classes,
            "flows": self.flows,
            "skipped": self.skipped,
            "accuracy": self.accuracy,
            "code_version": self.code_version,
            "weights_hash": self.weights_hash,
            "graph_version": self.graph_version,
        }


@dataclass(frozen=True, slots=True)
class CriticalPathRow:
    """One of a class's stored critical paths: its neurons from the output down (written as
    (CriticalPath)-[:STEP {position}]->(Neuron), position 0 first), its sign ("positive" or
    "negative"), rank (1 = best) and score (the relevance it carries)."""

    LABEL: ClassVar[str] = "CriticalPath"
    run: str
    class_id: str
    sign: str
    rank: int
    score: float
    neurons: tuple[str, ...]

    def __post_init__(self) -> None:
        if self.sign not in PATH_SIGNS:
            raise InvalidRowError(f"path sign {self.sign!r} is not one of {sorted(PATH_SIGNS)}")
        if len(self.neurons) < 2:
            raise InvalidRowError(f"a critical path has at least two neurons: {self.neurons}")

    @property
    def id(self) -> str:
        """The CriticalPath id, "<run>/<class id>/<sign>/<rank>"."""
        return ids.critical_path_id(self.run, self.class_id, self.sign, self.rank)

    def record(self) -> dict[str, Any]:
        """The columns the write query reads."""
        return {
            "id": self.id,
            "run": self.run,
            "cls": self.class_id,
            "sign": self.sign,
            "rank": self.rank,
            "score": self.score,
        }

    def steps(self) -> list[dict[str, Any]]:
        """The (CriticalPath)-[:STEP]->(Neuron) records: src, dst, position."""
        return [
            {"src": self.id, "dst": neuron, "position": position}
            for position, neuron in enumerate(self.neurons)
        ]


NodeRow = (
    ModelRow | LayerRow | NeuronRow | DatasetRow | ClassRow | ImageRow | RunRow | CriticalPathRow
)


@dataclass(frozen=True, slots=True)
class FlowRow:
    """One FLOW edge: relevance ``relevance`` passed from neuron ``upper`` to neuron ``lower``.

    ``upper`` and ``lower`` are Neuron ids, ``class_id`` a Class id. ``share`` is the flow over
    the upper neuron's relevance of the flow's sign (``queries.schema``, computed by
    ``ingest.aggregate``);
    ``cost`` follows from it.
    """

    run: str
    class_id: str
    upper: str
    lower: str
    relevance: float
    share: float | None

    @property
    def cost(self) -> float | None:
        """-ln(share), or None where the share is not positive."""
        if self.share is None:
            return None
        cost = float(share_cost(self.share))
        return None if math.isnan(cost) else cost


def _column(values: npt.ArrayLike, name: str, kind: str) -> npt.NDArray[Any]:
    array = np.asarray(values, dtype=object if kind == "str" else np.float64)
    if array.ndim != 1:
        raise InvalidRowError(f"FlowBatch.{name} must be one-dimensional, got {array.shape}")
    return array


@dataclass(frozen=True, slots=True, eq=False)
class FlowBatch:
    """Many FLOW edges of one run as columns: the fast path for ``GraphStore.write_flows``.

    ``class_ids``, ``upper`` and ``lower`` are id arrays, ``relevance`` and ``share`` float
    arrays, all of one length; a NaN share means "undefined" and is stored as null.
    """

    run: str
    class_ids: npt.NDArray[Any]
    upper: npt.NDArray[Any]
    lower: npt.NDArray[Any]
    relevance: npt.NDArray[np.float64]
    share: npt.NDArray[np.float64]

    def __post_init__(self) -> None:
        if not self.run:
            raise InvalidRowError("FlowBatch.run must not be empty")
        lengths = {len(a) for a in self.columns()}
        if len(lengths) != 1:
            raise InvalidRowError(f"FlowBatch columns differ in length: {sorted(lengths)}")

    @classmethod
    def of(
        cls,
        run: str,
        class_ids: npt.ArrayLike | str,
        upper: npt.ArrayLike,
        lower: npt.ArrayLike,
        relevance: npt.ArrayLike,
        share: npt.ArrayLike,
    ) -> FlowBatch:
        """Build a batch from array-likes; a single class id is repeated for every row."""
        up = _column(upper, "upper", "str")
        if isinstance(class_ids, str):
            classes = np.full(len(up), class_ids, dtype=object)
        else:
            classes = _column(class_ids, "class_ids", "str")
        return cls(
            run,
            classes,
            up,
            _column(lower, "lower", "str"),
            _column(relevance, "relevance", "float"),
            _column(share, "share", "float"),
        )

    @classmethod
    def from_rows(cls, rows: Sequence[FlowRow]) -> FlowBatch:
        """Columns of FlowRows that all belong to one run."""
        runs = {row.run for row in rows}
        if len(runs) != 1:
            raise InvalidRowError(f"a FlowBatch holds one run, got {sorted(runs)}")
        return cls.of(
            runs.pop(),
            [r.class_id for r in rows],
            [r.upper for r in rows],
            [r.lower for r in rows],
            [r.relevance for r in rows],
            [np.nan if r.share is None else r.share for r in rows],
        )

    @classmethod
    def concat(cls, batches: Iterable[FlowBatch]) -> FlowBatch:
        """One batch from several batches of the same run (e.g. several classes)."""
        parts = list(batches)
        if not parts:
            raise InvalidRowError("FlowBatch.concat needs at least one batch")
        runs = {b.run for b in parts}
        if len(runs) != 1:
            raise InvalidRowError(f"a FlowBatch holds one run, got {sorted(runs)}")
        return cls(
            parts[0].run,
            *(np.concatenate(cols) for cols in zip(*(b.columns() for b in parts), strict=True)),
        )

    def __len__(self) -> int:
        return len(self.upper)

    def columns(self) -> tuple[npt.NDArray[Any], ...]:
        """class_ids, upper, lower, relevance, share."""
        return (self.class_ids, self.upper, self.lower, self.relevance, self.share)

    def cost(self) -> npt.NDArray[np.float64]:
        """-ln(share) where the share is positive, NaN (stored as null) elsewhere."""
        return share_cost(self.share)

    def rows(self) -> list[FlowRow]:
        """The batch as FlowRows (slow for big batches; meant for tests and small writes)."""
        return [
            FlowRow(self.run, str(c), str(u), str(lo), float(r), None if np.isnan(s) else float(s))
            for c, u, lo, r, s in zip(*self.columns(), strict=True)
        ]


@dataclass(frozen=True, slots=True)
class ClassRelevanceRow:
    """Per-class stats of one neuron in one run: (Class)-[:RELEVANT]->(Neuron).

    ``relevance`` is summed over the class's ``images`` images, ``mean`` = relevance / images,
    ``rank`` the neuron's rank in its layer (1 = most relevant), ``retained`` the fraction of
    its relevance kept by its stored top-k FLOW edges (None for the input layer).
    """

    run: str
    class_id: str
    neuron: str
    relevance: float
    rank: int
    mean: float
    retained: float | None
    images: int

    def record(self) -> dict[str, Any]:
        """The columns the write query reads (src = the Class id, dst = the Neuron id)."""
        return {
            "src": self.class_id,
            "dst": self.neuron,
            "run": self.run,
            "relevance": self.relevance,
            "rank": self.rank,
            "mean": self.mean,
            "retained": self.retained,
            "images": self.images,
        }


@dataclass(frozen=True, slots=True)
class ImageRelevanceRow:
    """Relevance of one neuron for one image in one run: (Image)-[:RELEVANT]->(Neuron)."""

    run: str
    image: str
    neuron: str
    relevance: float
    rank: int

    def record(self) -> dict[str, Any]:
        """The columns the write query reads (src = the Image id, dst = the Neuron id)."""
        return {
            "src": self.image,
            "dst": self.neuron,
            "run": self.run,
            "relevance": self.relevance,
            "rank": self.rank,
            "mean": None,
            "retained": None,
            "images": None,
        }


RelevanceRow = ClassRelevanceRow | ImageRelevanceRow
