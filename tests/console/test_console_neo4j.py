"""The console on a real Neo4j server (scripts/test.sh starts one; skipped without NEO4J_URI):
reads answer like the store, every write is refused by the screen and, with the screen
bypassed, by the server's READ_ACCESS transaction (file reads and procedures off the read-only
list by the console's own barrier first), the graph's counts never change, a slow
query is stopped at the limit and malformed Cypher gets the server's words.

test_console_neo4j_fake.py keeps what a server cannot show: that a screened write never
reaches the driver, and that the row cap stops pulling records."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from relex.queries.console import execute_read_only, run_read_only
from relex.queries.errors import CypherSyntaxError, QueryTimeoutError, StoreError, WriteRefusedError
from relex.queries.neo4j_store import Neo4jStore
from tests.store.conftest import neo4j_store, require_backend
from tests.store.synthetic import SmallRun, small_run

WRITES = [
    "CREATE (:Model {id: 'intruder'})",
    "MERGE (m:Model {id: 'intruder'}) RETURN m",
    "MATCH (n:Neuron) SET n.`index` = 99",
    "MATCH (n:Neuron) WHERE n.layer = 'fc' DELETE n",
    "MATCH (n:Neuron) DETACH DELETE n",
    "MATCH ()-[f:FLOW]->() DELETE f",
    "MATCH (n:Neuron) REMOVE n.`index`",
    "UNWIND [1, 2] AS i FOREACH (x IN [i] | CREATE (:Model {id: toString(x)}))",
    "DROP CONSTRAINT neuron_id",
    "CREATE INDEX intruder FOR (n:Model) ON (n.name)",
]
OUTSIDE_THE_SCREEN = [  # refused by the console's file and procedure barrier before the server
    "LOAD CSV FROM 'file:///x.csv' AS row CREATE (:Model {id: row[0]})",
    "CALL apoc.create.node(['Model'], {id: 'intruder'})",
    "MATCH (n:Neuron) CALL apoc.create.setProperty(n, 'index', 99) YIELD node RETURN node",
    "MATCH (n:Neuron) WITH n LIMIT 1 CALL apoc.nodes.delete(n, 1) YIELD value RETURN value",
]
SLOW = (
    "UNWIND range(1, 100000) AS a UNWIND range(1, 100000) AS b WITH a WHERE a < 0 RETURN count(*)"
)


@pytest.fixture(scope="module")
def written() -> Iterator[tuple[SmallRun, Neo4jStore]]:
    """The small run on the server, written once for the module."""
    require_backend("neo4j")
    run = small_run()
    with neo4j_store() as store:
        assert isinstance(store, Neo4jStore)
        store.query("MATCH (n) DETACH DELETE n")
        store.create_schema()
        store.write_nodes(run.nodes)
        store.write_flows(run.flows)
        store.write_relevance(run.relevance)
        yield run, store


@pytest.fixture
def store(written: tuple[SmallRun, Neo4jStore]) -> Neo4jStore:
    run, handle = written
    assert handle.counts() == run.counts
    return handle


def test_a_read_answers_like_the_store(store: Neo4jStore) -> None:
    cypher = "MATCH (n:Neuron) WHERE n.layer = $layer RETURN n.id AS id, n.`index` AS i ORDER BY i"
    result = run_read_only(store, cypher, {"layer": "conv1"})
    assert result.columns == ("id", "i")
    assert result.records() == store.query(cypher, {"layer": "conv1"})
    assert len(result.rows) == 4 and not result.truncated


def test_the_row_cap_cuts_and_says_so(store: Neo4jStore) -> None:
    result = run_read_only(store, "MATCH (n:Neuron) RETURN n.id ORDER BY n.id", max_rows=5)
    everything = sorted(row["n.id"] for row in store.query("MATCH (n:Neuron) RETURN n.id"))
    assert [row[0] for row in result.rows] == everything[:5] and result.truncated


def test_graph_values_come_back_json_ready(store: Neo4jStore) -> None:
    ((node, flow, path),) = run_read_only(
        store, "MATCH p = (a:ClassNeuron)-[f:FLOW]->(:ClassNeuron) RETURN a, f, p LIMIT 1"
    ).rows
    assert node["_labels"] == ["ClassNeuron"] and isinstance(node["id"], str)
    assert {"relevance", "share", "cost"} <= flow.keys() and flow["_src"] == node["_id"]
    assert path["_nodes"][0]["id"] == node["id"]


@pytest.mark.parametrize("cypher", WRITES + OUTSIDE_THE_SCREEN)
def test_writes_are_refused_and_the_graph_is_unchanged(
    store: Neo4jStore, written: tuple[SmallRun, Neo4jStore], cypher: str
) -> None:
    run = written[0]
    with pytest.raises(WriteRefusedError, match="nothing was run"):
        run_read_only(store, cypher)
    bypassed = "nothing was run" if cypher in OUTSIDE_THE_SCREEN else "refused by the database"
    with pytest.raises(WriteRefusedError, match=bypassed):
        execute_read_only(store, cypher)
    assert store.counts() == run.counts
    assert store.query("MATCH (n:Neuron {id: 'tiny/fc/0'}) RETURN n.`index` AS i") == [{"i": 0}]
    assert store.query("SHOW CONSTRAINTS YIELD name WHERE name = 'neuron_id' RETURN name")


def test_a_slow_query_is_stopped_at_the_limit(store: Neo4jStore) -> None:
    started = time.perf_counter()
    with pytest.raises(QueryTimeoutError, match=r"past the 0.5 s limit"):
        run_read_only(store, SLOW, timeout_s=0.5)
    assert time.perf_counter() - started < 10
    assert run_read_only(store, "RETURN 1 AS one").rows == ((1,),)


@pytest.mark.parametrize(
    ("cypher", "words"),
    [
        ("MATC (n) RETURN n", "Invalid input 'MATC'"),
        ("MATCH (n) RETURN m", "Variable `m` not defined"),
        ("RETURN 1 +", "Invalid input"),
    ],
)
def test_malformed_cypher_gets_the_server_words(store: Neo4jStore, cypher: str, words: str) -> None:
    with pytest.raises(CypherSyntaxError, match=words):
        execute_read_only(store, cypher)


def test_the_store_still_writes_after_refusals(
    store: Neo4jStore, written: tuple[SmallRun, Neo4jStore]
) -> None:
    for cypher in [*WRITES, *OUTSIDE_THE_SCREEN, "MATC (n) RETURN n"]:
        with pytest.raises(StoreError):
            execute_read_only(store, cypher)
    store.write_flows(written[0].flows)
    assert store.counts() == written[0].counts
