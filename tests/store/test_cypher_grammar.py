"""Every Cypher text Neo4j runs parses with a Neo4j Cypher grammar (graphglot's neo4j dialect),
so a typo in a .neo4j.cypher file fails here, without a server."""

from __future__ import annotations

import pytest
from graphglot.dialect import Dialect

from relex.queries import catalogue
from relex.queries.analysis import QUERY_NAMES as READ_NAMES
from relex.queries.neo4j_store import QUERY_NAMES as STORE_NAMES

QUERY_NAMES = sorted({*STORE_NAMES, *READ_NAMES})
"""Every text the Neo4j store runs: its own writes and counts, and the query functions' reads."""

NEO4J = Dialect.get_or_raise("neo4j")
STATEMENTS = [
    (catalogue.file_name(name, "neo4j"), index, text)
    for name in QUERY_NAMES
    for index, text in enumerate(catalogue.statements(name, "neo4j"))
]


@pytest.mark.parametrize(("file", "index", "text"), STATEMENTS, ids=lambda v: str(v)[:40])
def test_neo4j_statement_parses(file: str, index: int, text: str) -> None:
    result = NEO4J.validate(text)
    assert result.success, f"{file} statement {index + 1}: {result.error}"


def test_the_grammar_rejects_broken_cypher() -> None:
    assert not NEO4J.validate("UNWIND $rows AS row MERGE (n:Neuron {id: row.id) SET").success
    assert not NEO4J.validate("MATCH (a)-[f:FLOW]->(b) RETURN a.id AS id, f.missing_var(").success


def test_every_neo4j_twin_is_used_by_the_neo4j_store() -> None:
    twins = {
        name
        for name in catalogue.names()
        if catalogue.file_name(name, "neo4j").endswith(".neo4j.cypher")
    }
    assert twins <= set(QUERY_NAMES)


def test_the_store_uses_twins_for_what_differs_from_kuzu() -> None:
    for name in ("schema", "write_flows", "count_nodes", "delete_run_flows"):
        assert catalogue.file_name(name, "neo4j") == f"{name}.neo4j.cypher"
        assert catalogue.file_name(name, "kuzu") == f"{name}.cypher"
    assert catalogue.file_name("get_run", "neo4j") == "get_run.cypher"
