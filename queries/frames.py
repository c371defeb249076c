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


def _strings(values: npt.NDArray[Any]) -> pa.Array:
    return pa.array(values, type=pa.string())


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
    """A FLOW batch's tables, each id column converted to Arrow once (the conversion is most
    of their cost). ``edges`` in COPY order: src, dst (ClassNeuron ids), relevance, share,
    cost; ``ends`` each ClassNeuron once, in COPY order: id, run, cls, neuron, layer, idx."""
    classes = _strings(batch.class_ids)
    upper, lower = _strings(batch.upper), _strings(batch.lower)
    props = [column_name(p.name) for p in REL_PROPERTIES["FLOW"]]
    columns = [
        _class_neuron_ids(batch.run, classes, upper),
        _class_neuron_ids(batch.run, classes, lower),
        _floats(batch.relevance),
        _floats(batch.share),
        _floats(batch.cost()),
    ]
    edges = pa.Table.from_arrays(columns, names=["src", "dst", *props])
    ends = pa.table(
        {
            "cls": pa.concat_arrays([classes, classes]),
            "neuron": pa.concat_arrays([upper, lower]),
        }
    )
    return FlowTables(edges, _class_neurons(batch.run, ends))


def _class_neurons(run: str, ends: pa.Table) -> pa.Table:
    """The distinct (cls, neuron) pairs of ``ends`` as ClassNeuron rows."""
    pairs = ends.group_by(["cls", "neuron"]).aggregate([])
    wrong = pc.invert(pc.match_substring_regex(pairs.column("neuron"), NEURON_ID_PATTERN))
    if pc.any(wrong).as_py():
        first = pc.filter(pairs.column("neuron"), wrong)[0].as_py()
        raise InvalidRowError(f"FLOW end {first!r} is not a neuron id (model/layer/index)")
    parts = pc.split_pattern(pairs.column("neuron"), SEP)
    return pa.table(
        {
            "id": _class_neuron_ids(run, pairs.column("cls"), pairs.column("neuron")),
            "run": _constant(run, len(pairs)),
            "cls": pairs.column("cls"),
            "neuron": pairs.column("neuron"),
            "layer": pc.list_element(parts, 1),
            "idx": pc.cast(pc.list_element(parts, 2), pa.int64()),
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
