"""The embedded store: one adapter for the Kuzu family (``kuzu`` or ``ladybug``).

Bulk writes go through ``COPY FROM`` an Arrow table. Kuzu's COPY fails on a duplicate primary
key and relationship tables have no key at all, so upserts are built around it:

- nodes are merged from the table with ``LOAD FROM $rows MERGE ...`` (tens of thousands of
  rows per second; nodes are few);
- FLOW and RELEVANT edges are copied. Before a copy, one count query asks whether the run
  already has edges for the batch's classes (or images). Only if it does, the edges with the
  batch's keys are deleted first, in the same transaction as the copy (the slower path that a
  rewrite takes).

A writer holds an OS lock on "<db>.lock" (see ``queries.lock``). A read-only handle takes no
lock; Kuzu itself refuses to open a file another process is writing (ladybug allows it).

Memory: the buffer pool is bounded (``buffer_pool_mb``, default :func:`default_buffer_pool_mb`)
instead of Kuzu's 80% of RAM; a writer reopens the database after every few million rows it
bulk-loads (Kuzu holds memory for each load until the database closes); and statements with
parameters are prepared once per text and reused: Kuzu's ``execute(text, params)`` keeps
memory it never gives back on every call.
Console queries run on side connections (:meth:`EmbeddedStore.side_connection`), so they do
not hold the store's lock while they run.
"""

from __future__ import annotations

import logging
import os
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, ClassVar

import pyarrow as pa
import pyarrow.compute as pc

from relex.queries import catalogue, frames
from relex.queries.engines import DEFAULT_ENGINE, load_engine
from relex.queries.errors import (
    CypherSyntaxError,
    NotFoundError,
    QueryError,
    QueryTimeoutError,
    ReadOnlyStoreError,
    StoreError,
    StoreInUseError,
    WriteRefusedError,
)
from relex.queries.lock import StoreLock, in_use_error
from relex.queries.rows import ClassRelevanceRow, FlowBatch, FlowRow, NodeRow, RelevanceRow
from relex.queries.store import GraphStore, ReadOnlyRows, outdated_error
from relex.queries.writes import NodeWrite, as_batches, split_relevance

log = logging.getLogger(__name__)

_PARAM = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")
MAX_DEFAULT_POOL_MB = 4096
STATEMENT_CACHE_SIZE = 256
REOPEN_AFTER_ROWS = 4_000_000
REOPEN_AFTER_LOADS = 200


def default_buffer_pool_mb() -> int:
    """A quarter of the machine's memory, at most :data:`MAX_DEFAULT_POOL_MB` (Kuzu's own
    default is 80% of it)."""
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError):
        return MAX_DEFAULT_POOL_MB
    return max(64, min(MAX_DEFAULT_POOL_MB, total // 4 // 2**20))


def _signature(params: Mapping[str, Any]) -> tuple[tuple[str, str], ...] | None:
    """The parameters' names and value types, which a prepared statement is bound to; None
    when one is a table (``LOAD FROM $rows``), which a statement must not outlive, or a
    nested value whose type the name would not pin down."""
    scalar = (bool, int, float, str, type(None))
    kinds = []
    for name, value in sorted(params.items()):
        if isinstance(value, list | tuple) and all(isinstance(item, scalar) for item in value):
            kind = "list:" + ",".join(sorted({type(item).__name__ for item in value}))
        elif isinstance(value, scalar):
            kind = type(value).__name__
        else:
            return None
        kinds.append((name, kind))
    return tuple(kinds)


def used_params(cypher: str, params: Mapping[str, Any] | None) -> dict[str, Any]:
    """The parameters that ``cypher`` refers to (Kuzu rejects any others)."""
    if not params:
        return {}
    named = set(_PARAM.findall(cypher))
    return {key: value for key, value in params.items() if key in named}


class EmbeddedStore(GraphStore):
    """A Kuzu-family database file at ``path``, opened by engine "kuzu" or "ladybug"."""

    dialect: ClassVar[str] = "kuzu"

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        engine: str = DEFAULT_ENGINE,
        read_only: bool = False,
        max_threads: int = 0,
        buffer_pool_mb: int | None = None,
    ) -> None:
        super().__init__(read_only=read_only)
        self.path = Path(path)
        self.engine = engine
        self.buffer_pool_mb = buffer_pool_mb or default_buffer_pool_mb()
        if self.buffer_pool_mb < 1:
            raise StoreError(f"the buffer pool must be at least 1 MB, got {self.buffer_pool_mb}")
        module = load_engine(engine)
        self._module = module
        self._mutex = threading.RLock()
        self._side_done = threading.Condition(self._mutex)
        self._sides: set[Any] = set()
        self._statements: OrderedDict[tuple[str, Any], Any] = OrderedDict()
        self._lock = StoreLock(self.path)
        self._closed = True
        if read_only and not self.path.exists():
            raise NotFoundError(f"store {self.path} does not exist, so it cannot be read")
        if not read_only:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._lock.acquire()
        self._max_threads = max_threads
        self._rows_since_open = self._loads_since_open = 0
        try:
            self._open_database()
        except RuntimeError as exc:
            self._lock.release()
            raise self._open_error(exc) from exc
        self._closed = False
        log.info("opened %s with %s%s", self.describe(), engine, " (read-only)" * read_only)
        self._refuse_outdated()

    def _open_database(self) -> None:
        self._db = self._module.Database(
            str(self.path),
            read_only=self.read_only,
            max_num_threads=self._max_threads,
            buffer_pool_size=self.buffer_pool_mb * 2**20,
        )
        self._conn = self._module.Connection(self._db)

    def _copied(self, rows: int) -> None:
        """Count one bulk load of ``rows`` rows; past :data:`REOPEN_AFTER_ROWS` rows or
        :data:`REOPEN_AFTER_LOADS` loads, close and open the database again. kuzu 0.11.3 keeps
        memory for every bulk load until the database is closed, about 100 bytes per
        relationship and about 1 MB per load however small, part of it pinned in its buffer
        pool (a CHECKPOINT frees a third of it): the worker's five loads a class of a small
        model grew it by 4.7 MB a class and filled a 1 GB pool after about 300 classes. Not
        while a side connection is open."""
        with self._mutex:
            self._rows_since_open += rows
            self._loads_since_open += 1
            due = (
                self._rows_since_open >= REOPEN_AFTER_ROWS
                or self._loads_since_open >= REOPEN_AFTER_LOADS
            )
            if not due or self._sides or self._closed:
                return
            self._statements.clear()
            self._conn.close()
            self._db.close()
            try:
                self._open_database()
            except RuntimeError as exc:
                self._closed = True
                self._lock.release()
                raise self._open_error(exc) from exc
            self._rows_since_open = self._loads_since_open = 0
            log.debug("reopened %s to release the memory of its bulk loads", self.describe())

    def _refuse_outdated(self) -> None:
        """Close and raise OutdatedGraphError if the store's tables predate the current graph:
        a Run table without graph_version, or FLOW edges between the shared Neuron nodes."""
        tables = {row["name"] for row in self.query("CALL show_tables() RETURN name")}
        if "Run" not in tables:
            return
        columns = {row["name"] for row in self.query("CALL table_info('Run') RETURN name")}
        flow = set()
        if "FLOW" in tables:
            flow = {row["name"] for row in self.query("CALL table_info('FLOW') RETURN name")}
        if "graph_version" in columns and "run" not in flow:
            return
        runs = [row["id"] for row in self.query("MATCH (r:Run) RETURN r.id AS id ORDER BY id")]
        self.close()
        raise outdated_error(self.describe(), runs)

    @property
    def closed(self) -> bool:
        """True once ``close()`` has begun."""
        return self._closed

    def describe(self) -> str:
        """The store's path, for messages."""
        return f"store {self.path}"

    def _open_error(self, exc: RuntimeError) -> StoreError:
        message = str(exc)
        if "lock" in message.lower():
            if self.read_only:
                return in_use_error(self.path)
            return StoreInUseError(f"{self.describe()} is in use by another (read-only) process")
        return StoreError(f"cannot open {self.describe()} with {self.engine}: {message}")

    def _error(self, exc: RuntimeError, cypher: str) -> StoreError:
        message = str(exc)
        if "read-only" in message:
            return ReadOnlyStoreError(f"cannot write: {self.describe()} was opened read-only")
        if "Unable to find primary key value" in message:
            return NotFoundError(
                f"{message} (a row refers to a node missing from {self.describe()}: "
                "write that node first)"
            )
        if "does not exist" in message:
            return QueryError(f"{message} (in {self.describe()}; did you call create_schema()?)")
        return QueryError(f"{message}\nin query: {' '.join(cypher.split())[:300]}")

    def _execute(self, cypher: str, params: Mapping[str, Any] | None = None) -> Any:
        with self._mutex:
            if self._closed:
                raise StoreError(f"{self.describe()} is closed")
            used = used_params(cypher, params)
            try:
                if not used:
                    return self._conn.execute(cypher)
                return self._conn.execute(self._prepared(cypher, used), used)
            except RuntimeError as exc:
                raise self._error(exc, cypher) from exc

    def _prepared(self, cypher: str, params: dict[str, Any]) -> Any:
        """The statement prepared for ``cypher`` and these parameter types, prepared once and
        kept (least recently used out past :data:`STATEMENT_CACHE_SIZE`); the text itself when
        a parameter is a table. RuntimeError if it does not prepare."""
        signature = _signature(params)
        if signature is None:
            return cypher
        key = (cypher, signature)
        statement = self._statements.get(key)
        if statement is None:
            statement = self._module.PreparedStatement(self._conn, cypher, params)
            if not statement.is_success():
                raise RuntimeError(statement.get_error_message())
            self._statements[key] = statement
            if len(self._statements) > STATEMENT_CACHE_SIZE:
                self._statements.popitem(last=False)
        else:
            self._statements.move_to_end(key)
        return statement

    @contextmanager
    def side_connection(self) -> Iterator[Any]:
        """A connection of its own to this database, closed after use; the store's lock is held
        only to open and close it. ``close()`` interrupts the ones in use and waits for them."""
        with self._mutex:
            if self._closed:
                raise StoreError(f"{self.describe()} is closed")
            connection = self._module.Connection(self._db)
            self._sides.add(connection)
        try:
            yield connection
        finally:
            with self._mutex:
                self._sides.discard(connection)
                connection.close()
                self._side_done.notify_all()

    def _run(self, name: str, params: Mapping[str, Any] | None = None) -> None:
        self._execute(catalogue.load(name, self.dialect), params).close()

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        with self._mutex:
            self._execute("BEGIN TRANSACTION").close()
            try:
                yield
            except BaseException:
                self._rollback()
                raise
            self._execute("COMMIT").close()

    def _rollback(self) -> None:
        try:
            self._execute("ROLLBACK").close()
        except QueryError as exc:  # Kuzu has already rolled back after a failed statement.
            log.debug("rollback after a failed statement: %s", exc)

    def query(self, cypher: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        """Run one statement; every row as a dict keyed by column name."""
        result = self._execute(cypher, params)
        if isinstance(result, list):  # Kuzu runs every statement of a ";"-separated text
            for part in result:
                part.close()
            raise QueryError(f"query() takes one statement, got {len(result)}: {cypher[:200]}")
        try:
            columns = result.get_column_names()
            return [dict(zip(columns, row, strict=True)) for row in result.get_all()]
        finally:
            result.close()

    def create_schema(self) -> None:
        """Create every node and relationship table that is missing."""
        self._check_writable("create the schema")
        with self._transaction():
            for statement in catalogue.statements("schema", self.dialect):
                self._execute(statement).close()
        self._statements.clear()  # bound to the catalogue as it was

    def _write_node_group(self, spec: NodeWrite, rows: Sequence[NodeRow]) -> None:
        with self._transaction():
            nodes = frames.node_table(rows)
            self._run(spec.write, {"rows": nodes})
            if spec.unlink:
                self._run(spec.unlink, {"rows": nodes})
            links = spec.link_records(rows)
            if spec.link and links:
                self._run(spec.link, {"rows": pa.Table.from_pylist(links)})
        self._copied(len(rows) + len(links))

    def write_flows(self, flows: FlowBatch | Sequence[FlowRow]) -> None:
        """Copy FLOW edges and the ClassNeurons at their ends; keys the run already has for
        these classes are replaced."""
        self._check_writable("write flows")
        for batch in as_batches(flows):
            started = time.perf_counter()
            table, ends = frames.flow_tables(batch)
            classes = pc.unique(ends.column("cls")).to_pylist()
            with self._transaction():
                found = self.query_named(
                    "run_class_neurons", {"run": batch.run, "classes": classes}
                )
                if found:
                    log.info("run %s already has flows of these classes: replacing", batch.run)
                    self._run("delete_flow_keys", {"rows": table.select(["src", "dst"])})
                    known = pa.array([row["id"] for row in found], type=pa.string())
                    ends = ends.filter(pc.invert(pc.is_in(ends.column("id"), value_set=known)))
                if len(ends):
                    self._run("write_class_neurons", {"rows": ends})
                    holds = ends.select(["cls", "id"]).rename_columns(["src", "dst"])
                    self._run("write_holds", {"rows": holds})
                    in_class = ends.select(["neuron", "id"]).rename_columns(["src", "dst"])
                    self._run("write_in_class", {"rows": in_class})
                self._run("write_flows", {"rows": table})
            self._copied(len(table) + len(ends))
            log.debug(
                "wrote %d flows of run %s in %.2fs",
                len(batch),
                batch.run,
                time.perf_counter() - started,
            )

    def write_relevance(self, rows: Sequence[RelevanceRow]) -> None:
        """Copy RELEVANT edges; keys the run already has for these sources are replaced."""
        self._check_writable("write relevance")
        classes, images = split_relevance(rows)
        for kind, group in (("class", classes), ("image", images)):
            by_run: dict[str, list[RelevanceRow]] = {}
            for row in group:
                by_run.setdefault(row.run, []).append(row)
            for run, run_rows in by_run.items():
                self._copy_relevance(kind, run, run_rows)

    def _copy_relevance(self, kind: str, run: str, rows: Sequence[RelevanceRow]) -> None:
        table = frames.relevance_table(rows)
        sources = sorted(
            {row.class_id if isinstance(row, ClassRelevanceRow) else row.image for row in rows}
        )
        with self._transaction():
            (found,) = self.query_named(f"count_{kind}_relevance", {"run": run, "sources": sources})
            if found["n"]:
                keys = table.select(["src", "dst", "run"])
                self._run(f"delete_{kind}_relevance_keys", {"rows": keys})
            self._run(f"write_{kind}_relevance", {"rows": table})
        self._copied(len(table))

    def delete_run_class(self, run: str, class_id: str) -> None:
        """Delete one class's FLOW and per-class RELEVANT edges and its critical paths of one
        run."""
        self._check_writable("delete a class")
        params = {"run": run, "class_id": class_id}
        with self._transaction():
            self._run("delete_run_class_flows", params)
            self._run("delete_run_class_relevance", params)
            self._run("delete_run_class_paths", params)
        log.info("deleted class %s of run %s from %s", class_id, run, self.describe())

    def delete_run(self, run: str) -> None:
        """Delete a run's FLOW and RELEVANT edges and its Run node."""
        self._check_writable("delete a run")
        with self._transaction():
            for name in (
                "delete_run_flows",
                "delete_run_relevance",
                "delete_run_paths",
                "delete_run_node",
            ):
                self._run(name, {"run": run})
        log.info("deleted run %s from %s", run, self.describe())

    def close(self) -> None:
        """Close the database and release the write lock."""
        with self._mutex:
            if self._closed:
                return
            self._closed = True
            for connection in self._sides:
                connection.interrupt()
            while self._sides:
                self._side_done.wait()
            self._statements.clear()
            self._conn.close()
            self._db.close()
            self._lock.release()
            log.info("closed %s", self.describe())

    def read_only_query(
        self,
        cypher: str,
        params: Mapping[str, Any],
        *,
        timeout_s: float,
        max_rows: int,
    ) -> ReadOnlyRows:
        """The console's query (:meth:`GraphStore.read_only_query`): one prepared statement (so
        a text of several is refused before any runs) in ``BEGIN TRANSACTION READ ONLY`` on a
        connection of its own, so the store's lock is not held while it runs; the connection's
        query timeout and a watchdog that interrupts it at the limit (which also covers
        preparing the statement)."""
        engine = load_engine(self.engine)
        with self.side_connection() as connection:
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
            except (
                RuntimeError,
                TypeError,
                ValueError,
            ) as exc:  # the binding's words for bad input
                if self.closed:
                    raise StoreError(f"{self.describe()} was closed while the query ran") from None
                raise _embedded_error(str(exc), timeout_s, self.buffer_pool_mb) from None
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


def _fetch_embedded(result: Any, max_rows: int) -> ReadOnlyRows:
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
