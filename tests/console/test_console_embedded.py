"""The console on the real embedded store: reads answer like the store, writes are refused by
the screen and, with the screen bypassed, by the database's read-only transaction; the store
is unchanged either way, and stays usable."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from relex.queries.console import execute_read_only, run_read_only
from relex.queries.embedded import EmbeddedStore
from relex.queries.errors import (
    CypherSyntaxError,
    QueryTimeoutError,
    StoreError,
    WriteRefusedError,
)
from tests.store.conftest import ENGINE
from tests.store.synthetic import SmallRun

WRITES = [
    "CREATE (:Model {id: 'intruder'})",
    "MERGE (m:Model {id: 'intruder'}) RETURN m",
    "MATCH (n:Neuron) SET n.`index` = 99",
    "MATCH (n:Neuron) WHERE n.layer = 'fc' DELETE n",
    "MATCH (n:Neuron) DETACH DELETE n",
    "MATCH ()-[f:FLOW]->() DELETE f",
    "DROP TABLE FLOW",
    "ALTER TABLE Neuron ADD intruder INT64",
    "CREATE NODE TABLE Intruder(id STRING, PRIMARY KEY(id))",
    "COPY Model FROM 'models.csv'",
    "CREATE MACRO intruder(x) AS x + 1",
]
SLOW = (
    "UNWIND range(1, 3000) AS a UNWIND range(1, 3000) AS b UNWIND range(1, 3000) AS c "
    "WITH a + b + c AS x WHERE x < 0 RETURN count(*)"
)
MEDIUM = SLOW.replace("range(1, 3000) AS c", "range(1, 3) AS c").replace("3000", "1000")


def test_a_read_answers_like_the_store(store: EmbeddedStore) -> None:
    cypher = "MATCH (n:Neuron) WHERE n.layer = $layer RETURN n.id AS id, n.`index` AS i ORDER BY i"
    result = run_read_only(store, cypher, {"layer": "conv1", "unused": 1})
    expected = store.query(cypher, {"layer": "conv1"})
    assert result.columns == ("id", "i")
    assert result.records() == expected and len(expected) == 4
    assert not result.truncated and result.elapsed_s >= 0


def test_the_row_cap_cuts_and_says_so(store: EmbeddedStore) -> None:
    result = run_read_only(store, "MATCH (n:Neuron) RETURN n.id ORDER BY n.id", max_rows=5)
    everything = sorted(row["n.id"] for row in store.query("MATCH (n:Neuron) RETURN n.id"))
    assert [row[0] for row in result.rows] == everything[:5] and result.truncated
    exact = run_read_only(store, "MATCH (n:Neuron) RETURN n.id", max_rows=len(everything))
    assert len(exact.rows) == len(everything) and not exact.truncated


def test_graph_values_come_back_json_ready(store: EmbeddedStore) -> None:
    result = run_read_only(
        store, "MATCH (a)-[f:FLOW]->(b) RETURN a, f, sum(f.relevance) AS total LIMIT 1"
    )
    node, flow, total = result.rows[0]
    assert node["_label"] == "ClassNeuron" and isinstance(node["id"], str)
    assert flow["_label"] == "FLOW" and {"relevance", "share", "cost"} <= flow.keys()
    assert isinstance(total, float)


@pytest.mark.parametrize("cypher", WRITES)
def test_writes_are_refused_and_the_store_is_unchanged(
    store: EmbeddedStore, run_path: tuple[SmallRun, Path], cypher: str
) -> None:
    run = run_path[0]
    with pytest.raises(WriteRefusedError, match="nothing was run"):
        run_read_only(store, cypher)
    assert store.counts() == run.counts
    # file access never reaches the database (its read-only transaction would read the file)
    behind_the_screen = "refused: COPY" if cypher.startswith("COPY") else "refused by the database"
    with pytest.raises(WriteRefusedError, match=behind_the_screen):
        execute_read_only(store, cypher)
    assert store.counts() == run.counts
    assert store.query("MATCH (n:Neuron {id: 'tiny/fc/0'}) RETURN n.`index` AS i") == [{"i": 0}]


def test_the_store_still_writes_after_refusals(
    store: EmbeddedStore, run_path: tuple[SmallRun, Path]
) -> None:
    run = run_path[0]
    for cypher in [*WRITES, "MATC (n) RETURN n"]:
        with pytest.raises(StoreError):
            execute_read_only(store, cypher)
    store.delete_run(run.run.id)
    assert store.counts().relationships["FLOW"] == 0


def test_several_statements_never_run(
    store: EmbeddedStore, run_path: tuple[SmallRun, Path]
) -> None:
    text = "MATCH (n) RETURN count(n); COMMIT; CREATE (:Model {id: 'intruder'})"
    with pytest.raises(CypherSyntaxError, match="one statement at a time"):
        execute_read_only(store, text)
    assert store.counts() == run_path[0].counts


@pytest.mark.parametrize(
    ("cypher", "words"),
    [
        ("MATC (n) RETURN n", "Parser exception"),
        ("MATCH (n) RETURN m", "Variable m is not in scope"),
        ("MATCH (n:NoSuchLabel) RETURN n", "NoSuchLabel"),
    ],
)
def test_malformed_cypher_gets_the_database_words(
    store: EmbeddedStore, cypher: str, words: str
) -> None:
    with pytest.raises(CypherSyntaxError, match=words):
        run_read_only(store, cypher)


def test_a_slow_query_is_stopped_at_the_limit(store: EmbeddedStore) -> None:
    started = time.perf_counter()
    with pytest.raises(QueryTimeoutError, match=r"past the 0.3 s limit"):
        run_read_only(store, SLOW, timeout_s=0.3)
    assert time.perf_counter() - started < 5
    assert run_read_only(store, "RETURN 1 AS one").rows == ((1,),)


def test_the_limit_is_reset_for_the_store_own_queries(store: EmbeddedStore) -> None:
    with pytest.raises(QueryTimeoutError):
        run_read_only(store, MEDIUM, timeout_s=0.02)
    assert run_read_only(store, "RETURN 1 AS one", timeout_s=0.02).rows == ((1,),)
    started = time.perf_counter()
    assert store.query(MEDIUM) == [{"COUNT_STAR()": 0}]
    assert time.perf_counter() - started > 0.02


@pytest.mark.parametrize(("timeout_s", "max_rows"), [(0.0, 10), (-1.0, 10), (1.0, 0)])
def test_bad_limits_are_refused(store: EmbeddedStore, timeout_s: float, max_rows: int) -> None:
    with pytest.raises(StoreError, match="must be"):
        run_read_only(store, "RETURN 1", timeout_s=timeout_s, max_rows=max_rows)


def test_a_read_only_handle_works_too(run_path: tuple[SmallRun, Path]) -> None:
    run, path = run_path
    with EmbeddedStore(path, engine=ENGINE, read_only=True) as handle:
        assert run_read_only(handle, "MATCH (r:Run) RETURN r.id").rows == ((run.run.id,),)
        with pytest.raises(WriteRefusedError):
            execute_read_only(handle, WRITES[0])
    with EmbeddedStore(path, engine=ENGINE, read_only=True) as handle:
        assert handle.counts() == run.counts


def test_a_closed_store_is_a_clear_error(store: EmbeddedStore) -> None:
    store.close()
    with pytest.raises(StoreError, match="is closed"):
        run_read_only(store, "RETURN 1")


@pytest.mark.skipif(ENGINE == "ladybug", reason="this process already runs on ladybug")
def test_the_console_holds_on_ladybug(tmp_path: Path) -> None:
    # imported here: the child that runs this file on ladybug need not import torch
    from tests.helpers import passes_on_ladybug

    passes_on_ladybug([Path(__file__)], tmp_path / "ladybug.xml", min_tests=20, timeout_s=300)


@pytest.mark.parametrize(
    ("cypher", "rows"),
    [
        ("RETURN 1 AS set", ((1,),)),
        ("WITH 2 AS delete RETURN delete", ((2,),)),
        ("UNWIND [2, 1] AS remove RETURN remove ORDER BY remove", ((1,), (2,))),
        ("RETURN {set: 3}.set AS v", ((3,),)),
    ],
)
def test_keywords_as_names_read(store: EmbeddedStore, cypher: str, rows: tuple) -> None:
    assert run_read_only(store, cypher).rows == rows
