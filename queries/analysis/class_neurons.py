"""The ClassNeurons of one class of a run by their store keys (node offsets on the embedded
store, element ids on Neo4j), read once with ``class_neuron_keys``, so that the FLOW edges of
the class can be asked for and come back by key (``flows_from_keys``): on kuzu every
ClassNeuron property read through HOLDS costs a pass over the whole ClassNeuron table, which
grows with the classes of the store. Worth it where many steps follow (the path search);
the subgraph's two default steps cost less than the read of the keys."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from relex.queries.ids import neuron_id, parse_neuron_id
from relex.queries.store import GraphStore


class ClassNeurons:
    """The key of each neuron of the class, and the layer and index of each key."""

    def __init__(self, store: GraphStore, *, run: str, class_id: str, model: str) -> None:
        rows = store.query_named("class_neuron_keys", {"run": run, "class_id": class_id})
        self._store, self._model = store, model
        self._params = {"run": run, "class_id": class_id}
        self._by_layer = {
            row["layer"]: dict(zip(row["idx"], row["key"], strict=True)) for row in rows
        }
        keys = np.asarray([key for row in rows for key in row["key"]])
        order = np.argsort(keys, kind="stable")
        self._keys = keys[order]
        self._indices = np.asarray([i for row in rows for i in row["idx"]], dtype=np.int64)[order]
        self._layers = np.asarray([row["layer"] for row in rows for _ in row["key"]])[order]

    def keys(self, neurons: Sequence[str]) -> list[Any]:
        """The keys of those of these neurons (ids) that the class has ClassNeurons for."""
        parts = [parse_neuron_id(neuron) for neuron in neurons]
        layers = [self._by_layer.get(part.layer, {}) for part in parts]
        return [
            ids[part.index] for part, ids in zip(parts, layers, strict=True) if part.index in ids
        ]

    def locate(self, keys: Sequence[Any]) -> tuple[npt.NDArray[Any], npt.NDArray[np.int64]]:
        """The layers and indices of these keys, in their order."""
        at = np.searchsorted(self._keys, np.asarray(keys))
        return self._layers[at], self._indices[at]

    def ids(self, keys: Sequence[Any]) -> list[str]:
        """The neuron ids of these keys, in their order."""
        layers, indices = self.locate(keys)
        return [
            neuron_id(self._model, layer, int(index))
            for layer, index in zip(layers.tolist(), indices.tolist(), strict=True)
        ]

    def keyed_edges(self, keys: Sequence[Any]) -> list[dict[str, Any]]:
        """The FLOW edges that leave these keys (``flows_from_keys``): src, dst (keys),
        relevance, share, cost."""
        if not keys:
            return []
        return self._store.query_named("flows_from_keys", {**self._params, "keys": list(keys)})

    def edges(self, keys: Sequence[Any]) -> list[dict[str, Any]]:
        """The rows of :meth:`keyed_edges` with both ends as neuron ids."""
        rows = self.keyed_edges(keys)
        ends = [self.ids([row[end] for row in rows]) for end in ("src", "dst")]
        return [{**row, "src": src, "dst": dst} for row, src, dst in zip(rows, *ends, strict=True)]
