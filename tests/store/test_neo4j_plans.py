"""What only a real Neo4j server shows: the plans its planner picks for the write texts, and
the notifications it sends.

On a database with few edges, a ``MERGE (c)-[r:RELEVANT {run}]->(n)`` is planned as a seek in
the run's relationship index followed by a filter on the two ends: every row then reads every
edge of its run, and a batch takes time quadratic in its size (a 10,000-row FLOW batch ran for
over ten minutes when FLOW had such an index). The upserts must find an existing edge by
expanding from its ends, whatever the statistics say. Skipped without NEO4J_URI
(scripts/test.sh starts a server).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest

from relex.queries import GraphStore, catalogue
from tests.store.conftest import neo4j_store, require_backend

EDGE_UPSERTS = (
    "write_class_neurons",
    "write_flows",
    "write_class_relevance",
    "write_image_relevance",
)


@pytest.fixture(scope="module")
def empty_neo4j() -> Iterator[GraphStore]:
    require_backend("neo4j")
    with neo4j_store() as store:
        store.query("MATCH (n) DETACH DELETE n")
        store.create_schema()
        yield store


def operators(plan: dict[str, Any]) -> list[str]:
    """The operator names of an EXPLAIN plan, depth first."""
    name = plan["operatorType"].split("@")[0]
    return [name, *(op for child in plan.get("children", []) for op in operators(child))]


def explain(store: GraphStore, cypher: str) -> list[str]:
    from relex.queries.neo4j_store import Neo4jStore

    assert isinstance(store, Neo4jStore)
    with store._driver.session(database=store.database) as session:
        summary = session.run(f"CYPHER replan=force EXPLAIN {cypher}", rows=[]).consume()
    assert summary.plan is not None
    return operators(summary.plan)


@pytest.mark.parametrize("name", EDGE_UPSERTS)
def test_edge_upserts_expand_from_their_ends_on_an_empty_database(
    empty_neo4j: GraphStore, name: str
) -> None:
    plan = explain(empty_neo4j, catalogue.load(name, "neo4j"))
    assert not [op for op in plan if "RelationshipIndex" in op], plan
    assert any("Expand(Into)" in op for op in plan), plan


def test_a_merge_on_the_indexed_key_would_seek_the_index(empty_neo4j: GraphStore) -> None:
    # The shape the upserts avoid, so this test fails if the planner ever stops doing it and
    # the workaround can go.
    merge = (
        "UNWIND $rows AS row MATCH (a:Class {id: row.src}) MATCH (b:Neuron {id: row.dst}) "
        "MERGE (a)-[r:RELEVANT {run: row.run}]->(b) RETURN count(*) AS written"
    )
    assert any("RelationshipIndexSeek" in op for op in explain(empty_neo4j, merge))


def test_reading_a_property_no_node_has_logs_no_server_warning(
    empty_neo4j: GraphStore, caplog: pytest.LogCaptureFixture
) -> None:
    # Neo4j stores no nulls, so a run whose accuracy is unknown has no "accuracy" key, and
    # get_run.cypher reading it made the server warn, which the driver logged on every call.
    with neo4j_store() as store, caplog.at_level(logging.INFO, logger="neo4j.notifications"):
        assert store.query("MATCH (r:Run) RETURN r.no_such_property AS x") == []
    assert not caplog.records
