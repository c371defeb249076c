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
3. What passes runs in a read-only transaction that the database itself enforces:
   ``BEGIN TRANSACTION READ ONLY`` on the Kuzu family, on a connection of its own (so the
   store's other queries never wait for it) with a query timeout and a watchdog that
   interrupts it at the limit; a ``READ_ACCESS`` session and ``execute_read`` with a
   transaction timeout on Neo4j.

Values come back JSON-ready: nodes, relationships and paths as maps, decimals as floats,
temporal values as ISO text, non-finite floats as null (JSON has no NaN).
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import neo4j
from neo4j.exceptions import DriverError, Neo4jError
from neo4j.graph import Node, Path, Relationship

from queries.console_guard import READ_PROCEDURES, WRITE_KEYWORDS, check_text, screen
from queries.embedded import EmbeddedStore, used_params
from queries.engines import load_engine
from queries.errors import (
    CypherSyntaxError,
    QueryError,
    QueryTimeoutError,
    StoreError,
    WriteRefusedError,
)
from queries.neo4j_store import Neo4jStore
from queries.store import GraphStore

log = logging.getLogger(__name__)

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
    if isinstance(store, EmbeddedStore):
        columns, rows, truncated = _run_embedded(store, cypher, params or {}, timeout_s, max_rows)
    elif isinstance(store, Neo4jStore):
        columns, rows, truncated = _run_neo4j(store, cypher, params or {}, timeout_s, max_rows)
    else:
        raise StoreError(f"the console cannot run on {store.describe()} ({type(store).__name__})")
    return ConsoleResult(
        columns=tuple(columns),
        rows=tuple(tuple(jsonable(value) for value in row) for row in rows),
        truncated=truncated,
        elapsed_s=time.perf_counter() - started,
    )


_Rows = tuple[list[str], list[list[Any]], bool]


def _run_embedded(
    store: EmbeddedStore,
    cypher: str,
    params: Mapping[str, Any],
    timeout_s: float,
    max_rows: int,
) -> _Rows:
    """One prepared statement (so a text of several is refused before any runs) in
    ``BEGIN TRANSACTION READ ONLY`` on a connection of its own, so the store's lock is not held
    while it runs; the connection's query timeout and a watchdog that interrupts it at the limit
    (which also covers preparing the statement)."""
    engine = load_engine(store.engine)
    with store.side_connection() as connection:
        connection.set_query_timeout(max(1, round(timeout_s * 1000)))
        watchdog = threading.Timer(timeout_s, connection.interrupt)
        watchdog.daemon = True
        connection.execute("BEGIN TRANSACTION READ ONLY")
        watchdog.start()
        try:
            used = used_params(cypher, params)
            statement = engine.PreparedStatement(connection, cypher, used)
            result = connection.execute(statement, used)
            try:
                return _fetch_embedded(result, max_rows)
            finally:
                result.close()
        except (RuntimeError, TypeError, ValueError) as exc:  # the binding's words for bad input
            if store.closed:
                raise StoreError(f"{store.describe()} was closed while the query ran") from None
            raise _embedded_error(str(exc), timeout_s, store.buffer_pool_mb) from None
        finally:
            watchdog.cancel()
            watchdog.join()  # an interrupt under way ends before the connection closes
            _end_transaction(connection)


def _end_transaction(connection: Any) -> None:
    """Roll back the console's transaction; Kuzu has already done so after most failures, and
    closing the side connection ends it in any case (even when the watchdog's interrupt
    arrives as the query finishes)."""
    try:
        connection.execute("ROLLBACK")
    except RuntimeError as exc:
        log.debug("console rollback: %s", exc)


def _fetch_embedded(result: Any, max_rows: int) -> _Rows:
    columns = list(result.get_column_names())
    rows: list[list[Any]] = []
    while len(rows) < max_rows and result.has_next():
        rows.append([_engine_neutral(value) for value in result.get_next()])
    return columns, rows, bool(result.has_next())


def _engine_neutral(value: Any) -> Any:
    """Graph elements with kuzu's internal keys (``_id``, ``_label``, ``_src``, ``_dst``)
    whichever engine answered (ladybug spells them in capitals)."""
    if isinstance(value, dict):
        return {
            (key.lower() if key.startswith("_") else key): _engine_neutral(item)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_engine_neutral(item) for item in value]
    return value


def _embedded_error(message: str, timeout_s: float, pool_mb: int) -> StoreError:
    if "read-only transaction" in message or "read-only database" in message:
        return WriteRefusedError(
            f"refused by the database: the query writes and the console only reads ({message})"
        )
    if "multiple statements" in message:
        return CypherSyntaxError("the console runs one statement at a time: remove the ';'")
    if "Interrupted" in message:
        return QueryTimeoutError(f"the query ran past the {timeout_s:g} s limit and was stopped")
    if "buffer pool is full" in message or "bad_alloc" in message:
        return QueryError(
            f"the query needs more memory than the store allows ({pool_mb:,} MB of buffer "
            "pool, RELEX_STORE_BUFFER_POOL_MB) and was stopped; narrow it with WHERE or LIMIT"
        )
    if message.startswith(("Parser exception", "Binder exception", "Catalog exception")):
        return CypherSyntaxError(f"the query is not valid Cypher for this store: {message}")
    return QueryError(message)


def _run_neo4j(
    store: Neo4jStore,
    cypher: str,
    params: Mapping[str, Any],
    timeout_s: float,
    max_rows: int,
) -> _Rows:
    """One statement in a managed read transaction of a READ_ACCESS session with a server-side
    transaction timeout."""

    def read(tx: neo4j.ManagedTransaction) -> _Rows:
        result = tx.run(cypher, dict(params))
        rows: list[list[Any]] = []
        truncated = False
        for record in result:
            if len(rows) == max_rows:
                truncated = True
                break
            rows.append(list(record.values()))
        return list(result.keys()), rows, truncated

    work: Callable[[neo4j.ManagedTransaction], _Rows] = neo4j.unit_of_work(timeout=timeout_s)(read)
    try:
        with store._driver.session(
            database=store.database, default_access_mode=neo4j.READ_ACCESS
        ) as session:
            return session.execute_read(work)
    except Neo4jError as exc:
        raise _neo4j_error(exc, timeout_s) from None
    except DriverError as exc:
        raise StoreError(f"cannot run the query on {store.describe()}: {exc}") from None


def _neo4j_error(exc: Neo4jError, timeout_s: float) -> StoreError:
    code = exc.code or ""
    message = exc.message or str(exc)
    if code.endswith(("Statement.AccessMode", "Forbidden")) or "read access mode" in message:
        return WriteRefusedError(
            f"refused by the database: the query writes and the console only reads ({message})"
        )
    if "TransactionTimedOut" in code:
        return QueryTimeoutError(f"the query ran past the {timeout_s:g} s limit and was stopped")
    if code.startswith("Neo.ClientError.Statement.") or code.startswith(
        "Neo.ClientError.Procedure.ProcedureNotFound"
    ):
        return CypherSyntaxError(f"the query is not valid Cypher for this store: {message}")
    return QueryError(f"{code}: {message}" if code else message)


def jsonable(value: Any) -> Any:
    """``value`` as JSON-ready data: graph elements as maps, decimals as floats, temporal
    values as ISO text, bytes as hex, non-finite floats as None."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Decimal):
        return jsonable(float(value))
    if isinstance(value, Node):
        return {"_id": value.element_id, "_labels": sorted(value.labels), **jsonable(dict(value))}
    if isinstance(value, Relationship):
        return {
            "_id": value.element_id,
            "_type": value.type,
            "_src": value.start_node.element_id if value.start_node else None,
            "_dst": value.end_node.element_id if value.end_node else None,
            **jsonable(dict(value)),
        }
    if isinstance(value, Path):
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
