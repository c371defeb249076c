"""The read-only Cypher console: user-written queries with a time limit and a row cap.

Three guards, so that a write never reaches the graph and no text reaches a file or crashes
the process (the checks on the text are in :mod:`queries.console_guard`):

1. :func:`screen` reads the query's tokens (outside string literals, quoted names and
   comments) and refuses write clauses, file access, transaction control and procedures that
   are not on :data:`READ_PROCEDURES`, with a message that names the word, before anything
   runs; a text of several statements is refused too.
2. :func:`execute_read_only`, which callers may reach without the screen, always checks the
   text first: complexity limits that keep the parser from crashing, file access and
   procedures off the list (a database's read-only transaction lets ``LOAD FROM``,
   ``COPY ... TO`` and ``EXPORT DATABASE`` run), and the size of ``range()``.
3. What passes runs in a read-only transaction that the database itself enforces, through
   the store's own :meth:`~queries.store.GraphStore.read_only_query`:
   ``BEGIN TRANSACTION READ ONLY`` on the Kuzu family, on a connection of its own (so the
   store's other queries never wait for it) with a query timeout and a watchdog that
   interrupts it at the limit; a ``READ_ACCESS`` session and ``execute_read`` with a
   transaction timeout on Neo4j.

Values come back JSON-ready: nodes, relationships and paths as maps, decimals as floats,
temporal values as ISO text, non-finite floats as null (JSON has no NaN).
"""

from __future__ import annotations

import datetime as dt
import math
import sys
import time
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from relex.queries.console_guard import READ_PROCEDURES, WRITE_KEYWORDS, check_text, screen
from relex.queries.errors import StoreError
from relex.queries.store import GraphStore

DEFAULT_TIMEOUT_S = 10.0
DEFAULT_MAX_ROWS = 1000
__all__ = [
    "READ_PROCEDURES",
    "WRITE_KEYWORDS",
    "ConsoleResult",
    "execute_read_only",
    "jsonable",
    "run_read_only",
    "screen",
]


@dataclass(frozen=True, slots=True)
class ConsoleResult:
    """What a console query returned: column names, JSON-ready rows (at most the cap),
    whether rows were left out by the cap, and the seconds it took."""

    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]
    truncated: bool
    elapsed_s: float

    def records(self) -> list[dict[str, Any]]:
        """The rows as maps keyed by column name."""
        return [dict(zip(self.columns, row, strict=True)) for row in self.rows]


def run_read_only(
    store: GraphStore,
    cypher: str,
    params: Mapping[str, Any] | None = None,
    *,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    max_rows: int = DEFAULT_MAX_ROWS,
) -> ConsoleResult:
    """Screen ``cypher`` and run it read-only on ``store``: at most ``max_rows`` rows, stopped
    after ``timeout_s`` seconds.

    Raises WriteRefusedError (a write, caught by the screen or by the database),
    CypherSyntaxError, QueryTimeoutError, or QueryError with the database's own words.
    """
    screen(cypher)
    return execute_read_only(store, cypher, params, timeout_s=timeout_s, max_rows=max_rows)


def execute_read_only(
    store: GraphStore,
    cypher: str,
    params: Mapping[str, Any] | None = None,
    *,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    max_rows: int = DEFAULT_MAX_ROWS,
) -> ConsoleResult:
    """Run ``cypher`` in a database-enforced read-only transaction without screening it first
    (:func:`run_read_only` screens; this is the guard behind the screen). The text's limits,
    file access and ``range()`` are checked here whatever the caller did."""
    if not timeout_s > 0 or not math.isfinite(timeout_s):
        raise StoreError(f"the time limit must be a positive number of seconds, got {timeout_s}")
    if max_rows < 1:
        raise StoreError(f"the row cap must be at least 1, got {max_rows}")
    check_text(cypher, params or {})
    started = time.perf_counter()
    columns, rows, truncated = store.read_only_query(
        cypher, params or {}, timeout_s=timeout_s, max_rows=max_rows
    )
    return ConsoleResult(
        columns=tuple(columns),
        rows=tuple(tuple(jsonable(value) for value in row) for row in rows),
        truncated=truncated,
        elapsed_s=time.perf_counter() - started,
    )


def jsonable(value: Any) -> Any:
    """``value`` as JSON-ready data: graph elements as maps, decimals as floats, temporal
    values as ISO text, bytes as hex, non-finite floats as None."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Decimal):
        return jsonable(float(value))
    # Graph elements come only from a Neo4j result, so the driver is loaded by then; looking it
    # up rather than importing it keeps the driver out of commands that never use Neo4j.
    graph = sys.modules.get("neo4j.graph")
    if graph is not None and isinstance(value, graph.Node):
        return {"_id": value.element_id, "_labels": sorted(value.labels), **jsonable(dict(value))}
    if graph is not None and isinstance(value, graph.Relationship):
        return {
            "_id": value.element_id,
            "_type": value.type,
            "_src": value.start_node.element_id if value.start_node else None,
            "_dst": value.end_node.element_id if value.end_node else None,
            **jsonable(dict(value)),
        }
    if graph is not None and isinstance(value, graph.Path):
        return {"_nodes": jsonable(value.nodes), "_rels": jsonable(value.relationships)}
    if isinstance(value, Mapping):
        return {str(key): jsonable(item) for key, item in value.items()}
    if isinstance(value, dt.date | dt.time | dt.datetime) or hasattr(value, "iso_format"):
        return value.iso_format() if hasattr(value, "iso_format") else value.isoformat()
    if isinstance(value, dt.timedelta | uuid.UUID):
        return str(value)
    if isinstance(value, bytes | bytearray):
        return value.hex()
    if isinstance(value, Iterable):
        return [jsonable(item) for item in value]
    return str(value)
