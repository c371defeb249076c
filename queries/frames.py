"""Rows as Arrow tables for Kuzu's ``COPY FROM $rows`` and ``LOAD FROM $rows``.

Arrow (not pandas) because kuzu 0.11.3 cannot read pandas 3's default string dtype. COPY maps
columns by position, so relationship tables list ``src, dst`` and then the properties in the
order of ``queries.schema.REL_PROPERTIES``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa

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


def flow_table(batch: FlowBatch) -> pa.Table:
    """A FLOW batch in COPY order: src, dst, run, cls, relevance, share, cost."""
    props = [column_name(p.name) for p in REL_PROPERTIES["FLOW"]]
    columns = [
        _strings(batch.upper),
        _strings(batch.lower),
        _constant(batch.run, len(batch)),
        _strings(batch.class_ids),
        _floats(batch.relevance),
        _floats(batch.share),
        _floats(batch.cost()),
    ]
    return pa.Table.from_arrays(columns, names=["src", "dst", *props])


def flow_keys(table: pa.Table) -> pa.Table:
    """Only the key columns of a FLOW table: src, dst, run, cls."""
    return table.select(["src", "dst", "run", "cls"])


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
