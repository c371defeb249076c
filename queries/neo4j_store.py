"""The Neo4j 5 backend through the official ``neo4j`` driver (Bolt), never py2neo.

The driver is created once and passed in (``Neo4jStore(driver)``), or built from settings
(``Neo4jStore.connect(uri, user, password)``). Writes are ``UNWIND $rows AS row ...`` upserts
(MERGE for nodes, and for FLOW edges from their two ClassNeuron ends: see
write_flows.neo4j.cypher) in batches of ``batch_size`` rows, each batch one managed transaction
(``session.execute_write``), which the driver retries on transient errors. Deletes run in
batches of ``batch_size`` until nothing is left, so no transaction grows unbounded.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, ClassVar

import neo4j
from neo4j.exceptions import ClientError, DriverError, Neo4jError

from relex.queries import catalogue, frames
from relex.queries.defaults import DEFAULT_BATCH_SIZE
from relex.queries.errors import (
    CypherSyntaxError,
    NotFoundError,
    QueryError,
    QueryTimeoutError,
    ReadOnlyStoreError,
    StoreError,
    WriteRefusedError,
)
from relex.queries.rows import FlowBatch, FlowRow, NodeRow, RelevanceRow
from relex.queries.store import GraphStore, ReadOnlyRows
from relex.queries.writes import NodeWrite, as_batches, split_relevance

log = logging.getLogger(__name__)

# Every catalogue query this backend runs (the grammar test parses each of them).
QUERY_NAMES = (
    "schema",
    "write_models",
    "write_datasets",
    "write_layers",
    "link_layers",
    "write_neurons",
    "link_neurons",
    "write_classes",
    "write_images",
    "write_runs",
    "link_runs",
    "find_models",
    "find_datasets",
    "find_layers",
    "write_class_neurons",
    "write_flows",
    "write_class_relevance",
    "write_image_relevance",
    "delete_run_class_flows",
    "delete_run_class_relevance",
    "delete_run_flows",
    "delete_run_relevance",
    "delete_run_node",
    "write_critical_paths",
    "link_critical_paths",
    "unlink_critical_paths",
    "find_neurons",
    "delete_run_class_paths",
    "delete_run_paths",
    "get_run",
    "count_nodes",
    "count_relationships",
)


def batched(rows: Sequence[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    """Consecutive slices of at most ``size`` rows."""
    for start in range(0, len(rows), size):
        yield list(rows[start : start + size])


TxFunction = Callable[[neo4j.ManagedTransaction, str, dict[str, Any]], list[dict[str, Any]]]


class _MissingEndsError(Exception):
    """Raised inside a transaction function so the driver rolls the batch back."""

    def __init__(self, missing: int, rows: int) -> None:
        super().__init__(f"{missing} of {rows} rows found no node at one end")
        self.missing = missing
        self.rows = rows


def _run_tx(
    tx: neo4j.ManagedTransaction, cypher: str, params: dict[str, Any]
) -> list[dict[str, Any]]:
    return tx.run(cypher, params).data()


def _run_checked_tx(
    tx: neo4j.ManagedTransaction, cypher: str, params: dict[str, Any]
) -> list[dict[str, Any]]:
    """Run a write that returns ``written``; fail (and roll back) unless every row matched."""
    result = tx.run(cypher, params).data()
    written = sum(row["written"] for row in result)
    if written != len(params["rows"]):
        raise _MissingEndsError(len(params["rows"]) - written, len(params["rows"]))
    return result


class Neo4jStore(GraphStore):
    """A Neo4j database reached through a ``neo4j.Driver``."""

    dialect: ClassVar[str] = "neo4j"

    def __init__(
        self,
        driver: neo4j.Driver,
        *,
        database: str | None = None,
        batch_size: int = DEFAULT_BATCH_SIZE,
        read_only: bool = False,
        owns_driver: bool = False,
    ) -> None:
        super().__init__(read_only=read_only)
        if batch_size < 1:
            raise StoreError(f"Neo4j batch size must be at least 1, got {batch_size}")
        self._driver = driver
        self.database = database
        self.batch_size = batch_size
        self._owns_driver = owns_driver

    @classmethod
    def connect(
        cls,
        uri: str,
        user: str,
        password: str,
        *,
        database: str | None = None,
        batch_size: int = DEFAULT_BATCH_SIZE,
        read_only: bool = False,
    ) -> Neo4jStore:
        """Create a driver for ``uri`` that this store owns (and closes).

        The server sends no notifications: it would warn on every query that reads a property no
        stored node has yet (Neo4j stores no nulls), and the driver logs each warning.
        """
        driver = neo4j.GraphDatabase.driver(
            uri, auth=(user, password), notifications_min_severity="OFF"
        )
        return cls(
            driver,
            database=database,
            batch_size=batch_size,
            read_only=read_only,
            owns_driver=True,
        )

    def describe(self) -> str:
        """The database name, for messages."""
        return f"Neo4j database {self.database or '(default)'}"

    def _error(self, exc: Neo4jError, cypher: str) -> StoreError:
        if isinstance(exc, ClientError) and "AccessMode" in (exc.code or ""):
            return ReadOnlyStoreError(f"cannot write: {self.describe()} was opened read-only")
        return QueryError(f"{exc}\nin query: {' '.join(cypher.split())[:300]}")

    def _transact(
        self,
        cypher: str,
        params: Mapping[str, Any],
        *,
        write: bool,
        work: TxFunction = _run_tx,
    ) -> list[dict[str, Any]]:
        with self._driver.session(database=self.database) as session:
            execute = session.execute_write if write else session.execute_read
            try:
                return execute(work, cypher, dict(params))
            except Neo4jError as exc:
                raise self._error(exc, cypher) from exc

    def _write_rows(self, name: str, rows: Sequence[dict[str, Any]], *, checked: bool) -> None:
        """Run write query ``name`` over ``rows``, one transaction per batch.

        With ``checked``, a batch in which some row found no node at one of its ends is rolled
        back and raises NotFoundError (the batches before it stay written).
        """
        cypher = catalogue.load(name, self.dialect)
        work = _run_checked_tx if checked else _run_tx
        for batch in batched(rows, self.batch_size):
            try:
                self._transact(cypher, {"rows": batch}, write=True, work=work)
            except _MissingEndsError as exc:
                raise NotFoundError(
                    f"{exc.missing} of {exc.rows} rows for {name} refer to nodes missing from "
                    f"{self.describe()}; write those nodes first"
                ) from None

    def _delete_all(self, name: str, params: Mapping[str, Any]) -> int:
        cypher = catalogue.load(name, self.dialect)
        total = 0
        while True:
            (row,) = self._transact(cypher, {**params, "batch": self.batch_size}, write=True)
            total += row["deleted"]
            if row["deleted"] < self.batch_size:
                return total

    def query(self, cypher: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        """Run one statement (a read transaction when read-only); rows as dicts."""
        return self._transact(cypher, params or {}, write=not self.read_only)

    def create_schema(self) -> None:
        """Create the uniqueness constraints and relationship indexes that are missing."""
        self._check_writable("create the schema")
        for statement in catalogue.statements("schema", self.dialect):
            self._transact(statement, {}, write=True)

    def _write_node_group(self, spec: NodeWrite, rows: Sequence[NodeRow]) -> None:
        nodes = [row.record() for row in rows]
        self._write_rows(spec.write, nodes, checked=False)
        if spec.unlink:
            self._write_rows(spec.unlink, nodes, checked=False)
        if spec.link:
            self._write_rows(spec.link, spec.link_records(rows), checked=False)

    def write_flows(self, flows: FlowBatch | Sequence[FlowRow]) -> None:
        """Merge FLOW edges keyed by (run, class, upper, lower), in batches."""
        self._check_writable("write flows")
        for batch in as_batches(flows):
            edges, ends = frames.flow_tables(batch)
            self._write_rows("write_class_neurons", ends.to_pylist(), checked=True)
            self._write_rows("write_flows", edges.to_pylist(), checked=True)

    def write_relevance(self, rows: Sequence[RelevanceRow]) -> None:
        """Merge RELEVANT edges keyed by (run, source, neuron), in batches."""
        self._check_writable("write relevance")
        classes, images = split_relevance(rows)
        if classes:
            records = [row.record() for row in classes]
            self._write_rows("write_class_relevance", records, checked=True)
        if images:
            records = [row.record() for row in images]
            self._write_rows("write_image_relevance", records, checked=True)

    def delete_run_class(self, run: str, class_id: str) -> None:
        """Delete one class's FLOW and per-class RELEVANT edges (in batches) and its critical
        paths, of one run."""
        self._check_writable("delete a class")
        params = {"run": run, "class_id": class_id}
        flows = self._delete_all("delete_run_class_flows", params)
        relevant = self._delete_all("delete_run_class_relevance", params)
        self._transact(catalogue.load("delete_run_class_paths", self.dialect), params, write=True)
        log.info("deleted %d flows, %d relevant edges of %s/%s", flows, relevant, run, class_id)

    def delete_run(self, run: str) -> None:
        """Delete a run's FLOW and RELEVANT edges (in batches) and its Run node."""
        self._check_writable("delete a run")
        self._delete_all("delete_run_flows", {"run": run})
        self._delete_all("delete_run_relevance", {"run": run})
        for name in ("delete_run_paths", "delete_run_node"):
            self._transact(catalogue.load(name, self.dialect), {"run": run}, write=True)
        log.info("deleted run %s from %s", run, self.describe())

    def close(self) -> None:
        """Close the driver if this store created it."""
        if self._owns_driver:
            self._driver.close()
            self._owns_driver = False

    def read_only_query(
        self,
        cypher: str,
        params: Mapping[str, Any],
        *,
        timeout_s: float,
        max_rows: int,
    ) -> ReadOnlyRows:
        """The console's query (:meth:`GraphStore.read_only_query`): one statement in a managed
        read transaction of a READ_ACCESS session with a server-side transaction timeout."""

        def read(tx: neo4j.ManagedTransaction) -> ReadOnlyRows:
            result = tx.run(cypher, dict(params))
            rows: list[list[Any]] = []
            truncated = False
            for record in result:
                if len(rows) == max_rows:
                    truncated = True
                    break
                rows.append(list(record.values()))
            return list(result.keys()), rows, truncated

        work: Callable[[neo4j.ManagedTransaction], ReadOnlyRows] = neo4j.unit_of_work(
            timeout=timeout_s
        )(read)
        try:
            with self._driver.session(
                database=self.database, default_access_mode=neo4j.READ_ACCESS
            ) as session:
                return session.execute_read(work)
        except Neo4jError as exc:
            raise _neo4j_error(exc, timeout_s) from None
        except DriverError as exc:
            raise StoreError(f"cannot run the query on {self.describe()}: {exc}") from None


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
