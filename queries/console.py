"""The read-only Cypher console: user-written queries with a time limit and a row cap.

Two guards, so that a write never reaches the graph:

1. :func:`screen` reads the query's tokens (outside string literals, quoted names and
   comments) and refuses write clauses, file access, transaction control and procedures that
   are not on :data:`READ_PROCEDURES`, with a message that names the word, before anything
   runs; a text of several statements is refused too.
2. :func:`execute_read_only` runs what passes in a read-only transaction that the database
   itself enforces: ``BEGIN TRANSACTION READ ONLY`` on the Kuzu family (with
   ``Connection.set_query_timeout``), a ``READ_ACCESS`` session and ``execute_read`` with a
   transaction timeout on Neo4j.

Values come back JSON-ready: nodes, relationships and paths as maps, decimals as floats,
temporal values as ISO text, non-finite floats as null (JSON has no NaN).
"""

from __future__ import annotations

import datetime as dt
import math
import re
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import neo4j
from neo4j.exceptions import DriverError, Neo4jError
from neo4j.graph import Node, Path, Relationship

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

DEFAULT_TIMEOUT_S = 10.0
DEFAULT_MAX_ROWS = 1000

_WHY = {
    "changes the graph": ("CREATE", "MERGE", "SET", "DELETE", "DETACH", "REMOVE", "FOREACH"),
    "changes the schema": ("DROP", "ALTER", "RENAME", "COMMENT", "ANALYZE"),
    "reads or writes files": ("LOAD", "COPY", "IMPORT", "EXPORT"),
    "changes the database set-up": ("INSTALL", "UNINSTALL", "ATTACH", "USE"),
    "controls transactions (each console query runs in its own read-only one)": (
        "BEGIN",
        "COMMIT",
        "ROLLBACK",
        "CHECKPOINT",
    ),
    "administers the server": ("GRANT", "DENY", "REVOKE", "START", "STOP", "TERMINATE"),
}
WRITE_KEYWORDS: dict[str, str] = {word: why for why, words in _WHY.items() for word in words}

READ_PROCEDURES = frozenset(
    {
        # Kuzu family
        "show_tables",
        "table_info",
        "show_connection",
        "current_setting",
        "db_version",
        "show_functions",
        "show_indexes",
        "show_macros",
        # Neo4j (and APOC core's read-only graph algorithms)
        "db.labels",
        "db.relationshiptypes",
        "db.propertykeys",
        "db.schema.visualization",
        "db.schema.nodetypeproperties",
        "db.schema.reltypeproperties",
        "dbms.components",
        "apoc.algo.dijkstra",
        "apoc.algo.astar",
        "apoc.algo.allsimplepaths",
        "apoc.path.expand",
        "apoc.path.expandconfig",
        "apoc.path.subgraphnodes",
        "apoc.path.subgraphall",
        "apoc.path.spanningtree",
        "apoc.meta.schema",
        "apoc.meta.stats",
    }
)

_TOKEN = re.compile(
    r"""
    (?P<comment>//[^\n]*|/\*.*?\*/)
    |(?P<string>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
    |(?P<quoted>`(?:[^`]|``)*`)
    |(?P<word>[A-Za-z_][A-Za-z0-9_]*)
    |(?P<symbol>\S)
    """,
    re.VERBOSE | re.DOTALL,
)


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


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str
    text: str


def _tokens(cypher: str) -> list[_Token]:
    """Words and symbols of ``cypher``; comments dropped, literals and quoted names kept whole
    (an unterminated literal falls apart into symbols and words, which are then screened)."""
    found = []
    for match in _TOKEN.finditer(cypher):
        kind = match.lastgroup or "symbol"
        if kind != "comment":
            found.append(_Token(kind, match.group()))
    return found


def _is_keyword(tokens: list[_Token], at: int) -> bool:
    """False for a word used as a property, label, parameter or map key (``n.set``, ``$load``,
    ``{set: 1}``), where it cannot start a clause."""
    before = tokens[at - 1].text if at > 0 else ""
    after = tokens[at + 1].text if at + 1 < len(tokens) else ""
    return before not in {".", ":", "$"} and after != ":"


def _procedure_name(tokens: list[_Token], at: int) -> str | None:
    """The dotted procedure name after the CALL at ``at``; None for a ``CALL { ... }``
    subquery."""
    parts: list[str] = []
    index = at + 1
    while index < len(tokens):
        token = tokens[index]
        if token.kind in {"word", "quoted"}:
            parts.append(token.text.strip("`"))
        elif token.text != ".":
            break
        index += 1
    if not parts:
        if index < len(tokens) and tokens[index].text == "{":
            return None
        return ""
    return ".".join(parts)


def screen(cypher: str) -> None:
    """Refuse (WriteRefusedError) a query that writes, touches files or the set-up, controls
    transactions or calls a procedure not known to only read; CypherSyntaxError for an empty
    text or one of several statements. Runs nothing."""
    tokens = _tokens(cypher)
    if not tokens:
        raise CypherSyntaxError("the query is empty: write one Cypher statement, e.g. MATCH ...")
    for at, token in enumerate(tokens):
        if token.kind != "word" or not _is_keyword(tokens, at):
            continue
        word = token.text.upper()
        if word in WRITE_KEYWORDS:
            raise WriteRefusedError(
                f"refused: {word} {WRITE_KEYWORDS[word]}; the console only reads "
                "(MATCH ... RETURN ...) and nothing was run"
            )
        if word == "CALL":
            name = _procedure_name(tokens, at)
            if name is not None and name.lower() not in READ_PROCEDURES:
                raise WriteRefusedError(
                    f"refused: procedure {name or '(unnamed)'!r} is not on the console's list "
                    f"of read-only procedures ({', '.join(sorted(READ_PROCEDURES))}); "
                    "nothing was run"
                )
    ends = [at for at, token in enumerate(tokens) if token.text == ";"]
    if ends and any(token.text != ";" for token in tokens[ends[0] :]):
        raise CypherSyntaxError("the console runs one statement at a time: remove the ';'")


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
    (:func:`run_read_only` screens; this is the guard behind the screen)."""
    if not timeout_s > 0 or not math.isfinite(timeout_s):
        raise StoreError(f"the time limit must be a positive number of seconds, got {timeout_s}")
    if max_rows < 1:
        raise StoreError(f"the row cap must be at least 1, got {max_rows}")
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
    ``BEGIN TRANSACTION READ ONLY`` on the store's own connection, under its lock so no write of
    the store interleaves, with the connection's query timeout."""
    engine = load_engine(store.engine)
    with store._mutex:
        if store._closed:
            raise StoreError(f"{store.describe()} is closed")
        connection = store._conn
        connection.set_query_timeout(max(1, round(timeout_s * 1000)))
        connection.execute("BEGIN TRANSACTION READ ONLY")
        try:
            statement = engine.PreparedStatement(connection, cypher)
            result = connection.execute(statement, used_params(cypher, params))
            try:
                return _fetch_embedded(result, max_rows)
            finally:
                result.close()
        except (RuntimeError, TypeError, ValueError) as exc:  # the binding's words for bad input
            raise _embedded_error(str(exc), timeout_s) from None
        finally:
            _end_transaction(connection)
            connection.set_query_timeout(0)


def _end_transaction(connection: Any) -> None:
    """Roll back the console's transaction; Kuzu has already done so after most failures."""
    try:
        connection.execute("ROLLBACK")
    except RuntimeError as exc:
        if "No active transaction" not in str(exc):
            raise


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


def _embedded_error(message: str, timeout_s: float) -> StoreError:
    if "read-only transaction" in message or "read-only database" in message:
        return WriteRefusedError(
            f"refused by the database: the query writes and the console only reads ({message})"
        )
    if "multiple statements" in message:
        return CypherSyntaxError("the console runs one statement at a time: remove the ';'")
    if "Interrupted" in message:
        return QueryTimeoutError(f"the query ran past the {timeout_s:g} s limit and was stopped")
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
