"""Rows as Arrow tables for Kuzu's ``COPY FROM $rows`` and ``LOAD FROM $rows``.

Arrow (not pandas) because kuzu 0.11.3 cannot read pandas 3's default string dtype. COPY maps
columns by position, so relationship tables list ``src, dst`` and then the properties in the
order of ``queries.schema.REL_PROPERTIES``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from relex.queries.errors import InvalidRowError
from relex.queries.ids import NEURON_ID_PATTERN, SEP
from relex.queries.rows import FlowBatch, NodeRow, RelevanceRow
from relex.queries.schema import NODE_PROPERTIES, REL_PROPERTIES, PropertyType

ARROW_TYPES: dict[PropertyType, pa.DataType] = {
    "STRING": pa.string(),
    "INT64": pa.int64(),
    "DOUBLE": pa.float64(),
}
COLUMN_ALIASES = {"index": "idx", "class": "cls"}


def column_name(prop: str) -> str:
    """The column that carries property ``prop`` in row records and tables."""
    return COLUMN_ALIASES.get(prop, prop)


def _constant(value: str, length: int) -> pa.Array:
    """One string repeated ``length`` times (a take of one value: 20x faster than np.full)."""
    return pa.array([value], type=pa.string()).take(pa.array(np.zeros(length, dtype=np.int32)))


def _floats(values: npt.NDArray[np.float64]) -> pa.Array:
    return pa.array(values, type=pa.float64(), mask=np.isnan(values))


def node_table(rows: Sequence[NodeRow]) -> pa.Table:
    """Records of node rows of one label (plus link columns such as ``layer_id``)."""
    records = [row.record() for row in rows]
    types = {column_name(p.name): ARROW_TYPES[p.type] for p in NODE_PROPERTIES[rows[0].LABEL]}
    return pa.table(
        {
            name: pa.array([rec[name] for rec in records], type=types.get(name, pa.string()))
            for name in records[0]
        }
    )


def _class_neuron_ids(run: str, classes: pa.Array, neurons: pa.Array) -> pa.Array:
    """``ids.class_neuron_id`` over columns: "<run>/<class id>/<neuron id>"."""
    return pc.binary_join_element_wise(_constant(run, len(neurons)), classes, neurons, SEP)


class FlowTables(NamedTuple):
    """A FLOW batch as the two tables its write copies: the edges and the ClassNeurons they
    end at."""

    edges: pa.Table
    ends: pa.Table


def flow_tables(batch: FlowBatch) -> FlowTables:
    """A FLOW batch's tables. ``edges`` in COPY order: src, dst (ClassNeuron ids), relevance,
    share, cost; ``ends`` each ClassNeuron once, in COPY order: id, run, cls, neuron, layer,
    idx. The ids are factorised first: a batch of many classes names few distinct classes and
    neurons, and hashing the id objects costs a fraction of converting each one to Arrow. So
    each ClassNeuron's id is built once, and ``src`` and ``dst`` are dictionary columns over
    those ids (COPY and LOAD FROM read them as strings; a 100-class VGG16 batch of 10.7M edges
    converts in 6.3 s, against 12.5 s when every edge's two ids were built as strings)."""
    class_codes, classes = _factorized(batch.class_ids, "class_ids")
    end_codes, neurons = _factorized(np.concatenate([batch.upper, batch.lower]), "upper/lower")
    _check_neuron_ids(neurons)
    pair_keys = np.tile(class_codes, 2) * len(neurons) + end_codes
    pair_codes, pairs = pd.factorize(pair_keys)
    pair_class, pair_neuron = np.divmod(pairs, len(neurons))
    ends = _class_neurons(batch.run, classes.take(pair_class), neurons, pair_neuron)
    ids = ends.column("id").combine_chunks()
    props = [column_name(p.name) for p in REL_PROPERTIES["FLOW"]]
    columns = [
        pa.DictionaryArray.from_arrays(pair_codes[: len(batch)], ids),
        pa.DictionaryArray.from_arrays(pair_codes[len(batch) :], ids),
        _floats(batch.relevance),
        _floats(batch.share),
        _floats(batch.cost()),
    ]
    return FlowTables(pa.Table.from_arrays(columns, names=["src", "dst", *props]), ends)


def _factorized(values: npt.NDArray[Any], name: str) -> tuple[npt.NDArray[np.int64], pa.Array]:
    """Each value's code and the distinct values, as strings, in order of first appearance."""
    codes, distinct = pd.factorize(values)
    if len(codes) and codes.min() < 0:
        raise InvalidRowError(f"FlowBatch.{name} has a missing id")
    return codes.astype(np.int64, copy=False), pa.array(distinct, type=pa.string())


def _check_neuron_ids(neurons: pa.Array) -> None:
    wrong = pc.invert(pc.match_substring_regex(neurons, NEURON_ID_PATTERN))
    if pc.any(wrong).as_py():
        first = pc.filter(neurons, wrong)[0].as_py()
        raise InvalidRowError(f"FLOW end {first!r} is not a neuron id (model/layer/index)")


def _class_neurons(
    run: str, classes: pa.Array, neurons: pa.Array, neuron_codes: npt.NDArray[np.int64]
) -> pa.Table:
    """ClassNeuron rows: the class of each and the code of its neuron among ``neurons``."""
    parts = pc.split_pattern(neurons, SEP)
    neuron = neurons.take(neuron_codes)
    return pa.table(
        {
            "id": _class_neuron_ids(run, classes, neuron),
            "run": _constant(run, len(neuron)),
            "cls": classes,
            "neuron": neuron,
            "layer": pc.list_element(parts, 1).take(neuron_codes),
            "idx": pc.cast(pc.list_element(parts, 2), pa.int64()).take(neuron_codes),
        }
    )


def relevance_table(rows: Sequence[RelevanceRow]) -> pa.Table:
    """RELEVANT rows in COPY order: src, dst, run, relevance, rank, mean, retained, images."""
    records = [row.record() for row in rows]
    columns = {"src": pa.string(), "dst": pa.string()} | {
        p.name: ARROW_TYPES[p.type] for p in REL_PROPERTIES["RELEVANT"]
    }
    return pa.table(
        {
            name: pa.array([rec[name] for rec in records], type=kind)
            for name, kind in columns.items()
        }
    )
