"""Neo4jStore against a recording fake of the driver.

Kept beside the real server (test_contract.py, test_neo4j_plans.py) for what a server does not
show: the fake records every (query file, parameters) pair with its transaction mode and
database, so these tests pin down which catalogue texts run, how rows are split into batches and
transactions, and that values only ever travel as parameters.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import pytest
from neo4j.exceptions import Neo4jError

from relex.queries import (
    FlowBatch,
    FlowRow,
    NotFoundError,
    QueryError,
    ReadOnlyStoreError,
    StoreSettings,
    catalogue,
    open_store,
)
from relex.queries.frames import flow_tables
from relex.queries.ids import class_neuron_id
from relex.queries.neo4j_store import QUERY_NAMES, Neo4jStore
from tests.store.fake_driver import RecordingDriver
from tests.store.synthetic import small_run

NAME_OF = {text: name for name in QUERY_NAMES for text in catalogue.statements(name, "neo4j")}
CHECKED = {"write_class_neurons", "write_flows", "write_class_relevance", "write_image_relevance"}


@dataclass
class FakeDriver(RecordingDriver):
    """Answers like a store that holds every node except ``missing``."""

    NAME_OF = NAME_OF

    missing: set[str] = field(default_factory=set)
    pending_deletes: dict[str, int] = field(default_factory=dict)

    def answer(self, name: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        if name.startswith("find_"):
            return [{"id": i} for i in params["ids"] if i not in self.missing]
        if name in CHECKED:
            rows = params["rows"]
            ends = ("src", "dst", "cls", "neuron")
            found = [r for r in rows if not {r.get(end) for end in ends} & self.missing]
            return [{"written": len(found)}]
        if "batch" in params:
            left = self.pending_deletes.get(name, 0)
            taken = min(left, params["batch"])
            self.pending_deletes[name] = left - taken
            return [{"deleted": taken}]
        return []


def chunks(rows: list[dict[str, Any]], size: int) -> list[list[dict[str, Any]]]:
    return [rows[i : i + size] for i in range(0, len(rows), size)]


@pytest.fixture
def driver() -> FakeDriver:
    return FakeDriver()


def test_schema_runs_every_statement_in_a_write_transaction(driver: FakeDriver) -> None:
    store = Neo4jStore(driver, database="graphs")  # type: ignore[arg-type]
    store.create_schema()
    statements = catalogue.statements("schema", "neo4j")
    assert [c.cypher for c in driver.calls] == statements
    assert all(
        c.mode == "write" and c.database == "graphs" and c.params == {} for c in driver.calls
    )
    assert any("REQUIRE n.id IS UNIQUE" in s and "(n:Neuron)" in s for s in statements)
    assert all(not s.open for s in driver.sessions)


def test_nodes_go_in_dependency_order_and_in_batches(driver: FakeDriver) -> None:
    run = small_run()
    store = Neo4jStore(driver, database="graphs", batch_size=4)  # type: ignore[arg-type]
    store.write_nodes(run.nodes)

    neurons = [row.record() for row in run.nodes if row.LABEL == "Neuron"]
    layers = [row for row in run.nodes if row.LABEL == "Layer"]
    assert driver.names() == [
        "write_models",
        "write_datasets",
        "write_layers",
        "link_layers",
        "find_layers",
        *["write_neurons"] * 4,
        *["link_neurons"] * 4,
        "write_classes",
        "write_images",
        "find_models",
        "find_datasets",
        "write_runs",
        "link_runs",
        "find_neurons",
        "write_critical_paths",
        "unlink_critical_paths",
        *["link_critical_paths"] * 4,
    ]
    writes = [c.params["rows"] for c in driver.calls if c.name == "write_neurons"]
    assert writes == chunks(neurons, 4)
    (find,) = [c for c in driver.calls if c.name == "find_layers"]
    assert find.params == {"ids": sorted({layer.id for layer in layers})}
    (link,) = [c for c in driver.calls if c.name == "link_layers"]
    assert link.params["rows"] == [
        {"src": "tiny/input", "dst": "tiny/conv1"},
        {"src": "tiny/conv1", "dst": "tiny/conv2"},
        {"src": "tiny/conv2", "dst": "tiny/fc"},
    ]
    (runs,) = [c for c in driver.calls if c.name == "write_runs"]
    assert runs.params == {"rows": [run.run.record()]}
    assert {c.mode for c in driver.calls} == {"write"}


def test_flows_are_batched_as_row_maps(driver: FakeDriver) -> None:
    rows = small_run().flows.rows()[:7]
    rows[0] = FlowRow(rows[0].run, rows[0].class_id, rows[0].upper, rows[0].lower, 0.3, None)
    store = Neo4jStore(driver, batch_size=3)  # type: ignore[arg-type]
    store.write_flows(rows)

    ends = {(row.class_id, end) for row in rows for end in (row.upper, row.lower)}
    writes = -(-len(ends) // 3)
    assert driver.names() == ["write_class_neurons"] * writes + ["write_flows"] * 3
    sent = [c.params["rows"] for c in driver.calls[writes:]]
    assert [len(batch) for batch in sent] == [3, 3, 1]
    first = sent[0][0]
    assert first == {
        "src": class_neuron_id(rows[0].run, rows[0].class_id, rows[0].upper),
        "dst": class_neuron_id(rows[0].run, rows[0].class_id, rows[0].lower),
        "relevance": 0.3,
        "share": None,
        "cost": None,
    }
    assert sent[1][0]["cost"] == pytest.approx(-math.log(rows[3].share or math.nan))
    assert [r for batch in sent for r in batch] == flow_records(FlowBatch.from_rows(rows))


def flow_records(batch: FlowBatch) -> list[dict[str, Any]]:
    """A FLOW batch as the ``row`` maps write_flows.neo4j.cypher is sent (NaN as null)."""
    return flow_tables(batch).edges.to_pylist()


def test_flow_records_match_the_rows(driver: FakeDriver) -> None:
    batch = small_run().flows
    records = flow_records(batch)
    assert [(r["src"], r["dst"], r["relevance"]) for r in records] == [
        (
            class_neuron_id(f.run, f.class_id, f.upper),
            class_neuron_id(f.run, f.class_id, f.lower),
            f.relevance,
        )
        for f in batch.rows()
    ]
    assert [r["cost"] for r in records] == [f.cost for f in batch.rows()]


def test_a_batch_with_a_missing_neuron_raises_not_found(driver: FakeDriver) -> None:
    driver.missing = {"tiny/conv2/1"}
    store = Neo4jStore(driver, batch_size=1000)  # type: ignore[arg-type]
    with pytest.raises(NotFoundError, match="rows for write_class_neurons refer to nodes missing"):
        store.write_flows(small_run().flows)


def test_relevance_goes_to_the_class_and_image_texts(driver: FakeDriver) -> None:
    rows = small_run().relevance
    Neo4jStore(driver).write_relevance(rows)  # type: ignore[arg-type]
    assert driver.names() == ["write_class_relevance", "write_image_relevance"]
    sent = [r for c in driver.calls for r in c.params["rows"]]
    assert sent == [r.record() for r in rows]


def test_deletes_repeat_until_a_short_batch(driver: FakeDriver) -> None:
    driver.pending_deletes = {"delete_run_class_flows": 7, "delete_run_class_relevance": 2}
    store = Neo4jStore(driver, batch_size=3)  # type: ignore[arg-type]
    store.delete_run_class("run-1", "toy/1")
    assert driver.names() == ["delete_run_class_flows"] * 3 + [
        "delete_run_class_relevance",
        "delete_run_class_paths",
    ]
    assert driver.calls[0].params == {"run": "run-1", "class_id": "toy/1", "batch": 3}


def test_delete_run_removes_edges_then_the_node(driver: FakeDriver) -> None:
    Neo4jStore(driver).delete_run("run-1")  # type: ignore[arg-type]
    assert driver.names() == [
        "delete_run_flows",
        "delete_run_relevance",
        "delete_run_paths",
        "delete_run_node",
    ]
    assert driver.calls[-1].params == {"run": "run-1"}


def test_values_travel_only_as_parameters(driver: FakeDriver) -> None:
    run = small_run("run-\u00e9t\u00e9-42")
    store = Neo4jStore(driver, batch_size=5)  # type: ignore[arg-type]
    store.write_nodes(run.nodes)
    store.write_flows(run.flows)
    store.write_relevance(run.relevance)
    store.delete_run_class(run.run.id, "toy/0")
    store.delete_run(run.run.id)
    assert "<ad hoc>" not in driver.names()
    assert not any(run.run.id in c.cypher or "toy/0" in c.cypher for c in driver.calls)


def test_read_only_reads_in_read_transactions_and_refuses_writes(driver: FakeDriver) -> None:
    store = Neo4jStore(driver, read_only=True)  # type: ignore[arg-type]
    store.counts()
    assert {c.mode for c in driver.calls} == {"read"}
    with pytest.raises(ReadOnlyStoreError, match="read-only"):
        store.write_nodes(small_run().nodes)
    with pytest.raises(ReadOnlyStoreError, match="read-only"):
        store.delete_run("run-1")
    assert driver.names() == ["count_nodes", "count_relationships"]


def test_server_errors_become_store_errors(driver: FakeDriver) -> None:
    store = Neo4jStore(driver)  # type: ignore[arg-type]
    driver.error = Neo4jError._hydrate_neo4j(
        code="Neo.ClientError.Statement.AccessMode", message="Writing in read access mode."
    )
    with pytest.raises(ReadOnlyStoreError):
        store.query("CREATE (:Model {id: $id})", {"id": "m"})
    driver.error = Neo4jError._hydrate_neo4j(
        code="Neo.ClientError.Statement.SyntaxError", message="Invalid input 'MATC'"
    )
    with pytest.raises(QueryError, match="Invalid input"):
        store.query("MATC (n) RETURN n")


def test_a_passed_driver_stays_open_and_an_own_driver_is_closed(
    driver: FakeDriver, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Neo4jStore(driver):  # type: ignore[arg-type]
        pass
    assert not driver.closed

    created: list[tuple[str, tuple[str, str]]] = []

    def fake_driver(uri: str, auth: tuple[str, str], **config: object) -> FakeDriver:
        created.append((uri, auth))
        assert config == {"notifications_min_severity": "OFF"}
        return driver

    monkeypatch.setattr("neo4j.GraphDatabase.driver", fake_driver)
    settings = StoreSettings(
        backend="neo4j", neo4j_uri="bolt://127.0.0.1:7687", neo4j_password="pw"
    )
    with open_store(settings) as store:
        assert isinstance(store, Neo4jStore)
    assert created == [("bolt://127.0.0.1:7687", ("neo4j", "pw"))]
    assert driver.closed


def test_open_store_shares_a_given_driver(driver: FakeDriver) -> None:
    settings = StoreSettings(backend="neo4j", neo4j_database="graphs", neo4j_batch_size=7)
    store = open_store(settings, driver=driver)  # type: ignore[arg-type]
    assert isinstance(store, Neo4jStore)
    assert (store.database, store.batch_size) == ("graphs", 7)
    store.close()
    assert not driver.closed
