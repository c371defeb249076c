"""The console on the Neo4j path, against a fake driver that behaves like a server: writes in
a write transaction change its graph, writes in a read transaction fail with the server's
AccessMode error, and a transaction longer than its timeout fails with TransactionTimedOut.

So these tests show which session and transaction mode the console asks for, that a screened
write never reaches the driver, that a write the screen missed is still refused by the
server's read transaction, and that the graph's counts never change."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

import neo4j
import pytest
from neo4j.exceptions import Neo4jError
from neo4j.graph import Graph, Node, Path, Relationship

from relex.queries import catalogue
from relex.queries.console import execute_read_only, run_read_only
from relex.queries.errors import CypherSyntaxError, QueryTimeoutError, WriteRefusedError
from relex.queries.neo4j_store import Neo4jStore

WRITE = re.compile(r"\b(CREATE|MERGE|SET|DELETE|REMOVE|DROP|LOAD|FOREACH)\b|apoc\.create", re.I)
COUNT_NODES = catalogue.load("count_nodes", "neo4j")
COUNT_RELATIONSHIPS = catalogue.load("count_relationships", "neo4j")


def server_error(code: str, message: str) -> Neo4jError:
    return Neo4jError._hydrate_neo4j(code=f"Neo.ClientError.{code}", message=message)


@dataclass
class FakeRecord:
    row: list[Any]

    def values(self) -> list[Any]:
        return self.row


@dataclass
class FakeResult:
    columns: list[str]
    rows: list[list[Any]]
    server: FakeServer

    def keys(self) -> list[str]:
        return self.columns

    def data(self) -> list[dict[str, Any]]:
        return [dict(zip(self.columns, row, strict=True)) for row in self.rows]

    def __iter__(self) -> Iterator[FakeRecord]:
        for row in self.rows:
            self.server.pulled += 1
            yield FakeRecord(row)


@dataclass
class FakeTx:
    server: FakeServer
    mode: str
    timeout: float | None

    def run(self, cypher: str, params: dict[str, Any]) -> FakeResult:
        self.server.runs.append((cypher, self.mode, self.timeout))
        if cypher.startswith("MATC "):
            raise server_error("Statement.SyntaxError", "Invalid input 'MATC'")
        if cypher == COUNT_NODES:
            return FakeResult(["label", "n"], [["Neuron", self.server.nodes]], self.server)
        if cypher == COUNT_RELATIONSHIPS:
            return FakeResult(["type", "n"], [["FLOW", self.server.flows]], self.server)
        if WRITE.search(cypher):
            if self.mode == "read":
                raise server_error(
                    "Statement.AccessMode", "Writing in read access mode not allowed"
                )
            self.server.nodes += 1
            return FakeResult([], [], self.server)
        if "slow" in cypher and self.timeout is not None and self.timeout < 60:
            raise server_error(
                "Transaction.TransactionTimedOutClientConfiguration", "terminated: timeout"
            )
        return FakeResult(["value"], [[i] for i in range(self.server.rows)], self.server)


@dataclass
class FakeSession:
    server: FakeServer
    database: str | None
    access_mode: str

    def __enter__(self) -> FakeSession:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        return None

    def execute_write(self, work: Callable[..., Any], *args: Any) -> Any:
        return work(FakeTx(self.server, "write", getattr(work, "timeout", None)), *args)

    def execute_read(self, work: Callable[..., Any], *args: Any) -> Any:
        return work(FakeTx(self.server, "read", getattr(work, "timeout", None)), *args)


@dataclass
class FakeServer:
    """A driver and the graph behind it (counts only)."""

    nodes: int = 13
    flows: int = 40
    rows: int = 3
    pulled: int = 0
    sessions: list[FakeSession] = field(default_factory=list)
    runs: list[tuple[str, str, float | None]] = field(default_factory=list)

    def session(
        self, database: str | None = None, default_access_mode: str = neo4j.WRITE_ACCESS
    ) -> FakeSession:
        session = FakeSession(self, database, default_access_mode)
        self.sessions.append(session)
        return session


@pytest.fixture
def server() -> FakeServer:
    return FakeServer()


@pytest.fixture
def store(server: FakeServer) -> Neo4jStore:
    return Neo4jStore(server, database="graphs")  # type: ignore[arg-type]


WRITES = [
    "CREATE (:Model {id: 'intruder'})",
    "MERGE (m:Model {id: 'intruder'})",
    "MATCH (n:Neuron) SET n.index = 99",
    "MATCH (n) DETACH DELETE n",
    "MATCH (n:Neuron) REMOVE n.index",
    "DROP CONSTRAINT neuron_id",
    "LOAD CSV FROM 'file:///x.csv' AS row CREATE (:Model {id: row[0]})",
    "CALL apoc.create.node(['Model'], {id: 'intruder'})",
]


def test_the_fake_server_does_write_in_a_write_transaction(store: Neo4jStore) -> None:
    before = store.counts()
    store.query("CREATE (:Model {id: 'm'})")
    assert store.counts().nodes["Neuron"] == before.nodes["Neuron"] + 1


def test_reads_run_in_a_read_session_with_the_time_limit(
    store: Neo4jStore, server: FakeServer
) -> None:
    result = run_read_only(store, "MATCH (n) RETURN n.index AS value", timeout_s=2.5)
    assert result.columns == ("value",) and result.rows == ((0,), (1,), (2,))
    (session,) = server.sessions
    assert session.database == "graphs" and session.access_mode == neo4j.READ_ACCESS
    assert server.runs == [("MATCH (n) RETURN n.index AS value", "read", 2.5)]


@pytest.mark.parametrize("cypher", WRITES)
def test_writes_are_refused_and_the_graph_is_unchanged(
    store: Neo4jStore, server: FakeServer, cypher: str
) -> None:
    before = store.counts()
    server.runs.clear()
    with pytest.raises(WriteRefusedError, match="nothing was run"):
        run_read_only(store, cypher)
    assert server.runs == []
    if cypher.startswith(("LOAD", "CALL")):  # files and procedures never reach the server
        with pytest.raises(WriteRefusedError, match=r"refused: (LOAD|procedure)"):
            execute_read_only(store, cypher)
        assert server.runs == []
    else:
        with pytest.raises(WriteRefusedError, match="refused by the database"):
            execute_read_only(store, cypher)
        assert [mode for _, mode, _ in server.runs] == ["read"]
    assert store.counts() == before


def test_the_row_cap_stops_pulling_records(store: Neo4jStore, server: FakeServer) -> None:
    server.rows = 10_000
    result = run_read_only(store, "MATCH (n) RETURN n", max_rows=7)
    assert len(result.rows) == 7 and result.truncated
    assert server.pulled == 8


def test_a_timeout_and_a_syntax_error_become_clear_errors(store: Neo4jStore) -> None:
    with pytest.raises(QueryTimeoutError, match=r"past the 0\.5 s limit"):
        run_read_only(store, "MATCH (n) RETURN 'slow'", timeout_s=0.5)
    with pytest.raises(CypherSyntaxError, match="Invalid input 'MATC'"):
        run_read_only(store, "MATC (n) RETURN n")


def test_graph_elements_come_back_json_ready(store: Neo4jStore, server: FakeServer) -> None:
    graph = Graph()
    upper = Node(graph, "4:x:1", 1, ["Neuron"], {"id": "m/fc/0"})
    lower = Node(graph, "4:x:2", 2, ["Neuron"], {"id": "m/conv/3"})
    flow = Relationship(graph, "5:x:9", 9, {"share": 0.5, "cost": float("inf")})
    flow._start_node, flow._end_node = upper, lower
    original = FakeTx.run

    def answer(tx: FakeTx, cypher: str, params: dict[str, Any]) -> FakeResult:
        original(tx, cypher, params)
        return FakeResult(["n", "f", "p"], [[upper, flow, Path(upper, flow)]], tx.server)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(FakeTx, "run", answer)
        ((node, edge, path),) = run_read_only(store, "MATCH p = (n)-[f]->() RETURN n, f, p").rows
    assert node == {"_id": "4:x:1", "_labels": ["Neuron"], "id": "m/fc/0"}
    assert edge["_src"] == "4:x:1" and edge["_dst"] == "4:x:2"
    assert edge["share"] == 0.5 and edge["cost"] is None
    assert [n["id"] for n in path["_nodes"]] == ["m/fc/0", "m/conv/3"]


@pytest.mark.parametrize(
    "cypher",
    [
        "LOAD CSV FROM 'file:///etc/passwd' AS row RETURN row",
        "load csv with headers from 'https://example.org/x.csv' AS row RETURN row",
        "CALL apoc.load.json('file:///etc/hosts') YIELD value RETURN value",
        "CALL apoc.export.csv.all('/tmp/all.csv', {})",
        "CALL apoc.import.csv([{fileName: 'file:///n.csv', labels: ['X']}], [], {})",
    ],
)
@pytest.mark.parametrize("run", [run_read_only, execute_read_only], ids=["screened", "bypassed"])
def test_file_access_never_reaches_the_server(
    store: Neo4jStore, server: FakeServer, cypher: str, run: Callable[..., object]
) -> None:
    server.runs.clear()
    with pytest.raises(WriteRefusedError, match="nothing was run"):
        run(store, cypher)
    assert server.runs == []
