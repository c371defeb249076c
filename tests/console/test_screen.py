"""The console's keyword screen: writes are refused by name, words inside literals, comments,
quoted names, properties and parameters are not."""

from __future__ import annotations

import pytest

from relex.queries.console import READ_PROCEDURES, screen
from relex.queries.errors import CypherSyntaxError, QueryTooComplexError, WriteRefusedError

REFUSED = {
    "CREATE (:Model {id: 'x'})": "CREATE",
    "MERGE (m:Model {id: 'x'}) RETURN m": "MERGE",
    "MATCH (n:Neuron) SET n.index = 3": "SET",
    "MATCH (n:Neuron) DELETE n": "DELETE",
    "MATCH (n) DETACH DELETE n": "DETACH",
    "MATCH (n:Neuron) REMOVE n.index": "REMOVE",
    "DROP TABLE FLOW": "DROP",
    "LOAD FROM '/etc/passwd' RETURN *": "LOAD",
    "LOAD CSV FROM 'file:///x.csv' AS row RETURN row": "LOAD",
    "COPY Neuron FROM 'neurons.csv'": "COPY",
    "COPY (MATCH (n) RETURN n) TO '/tmp/out.csv'": "COPY",
    "EXPORT DATABASE '/tmp/dump'": "EXPORT",
    "IMPORT DATABASE '/tmp/dump'": "IMPORT",
    "ALTER TABLE Neuron ADD x INT64": "ALTER",
    "INSTALL httpfs": "INSTALL",
    "ATTACH 'other.kuzu' AS o (dbtype kuzu)": "ATTACH",
    "BEGIN TRANSACTION": "BEGIN",
    "COMMIT": "COMMIT",
    "CHECKPOINT": "CHECKPOINT",
    "MATCH (n) FOREACH (x IN [1] | SET n.k = x)": "FOREACH",
    "match (n) detach delete n": "DETACH",
    "MATCH (n) /* harmless */ create (m)": "CREATE",
    "MATCH (n) WITH n CALL { WITH n CREATE (m) } RETURN 1": "CREATE",
}


@pytest.mark.parametrize(("query", "word"), REFUSED.items())
def test_writes_are_refused_by_name(query: str, word: str) -> None:
    with pytest.raises(WriteRefusedError, match=rf"refused: {word} .*nothing was run"):
        screen(query)


@pytest.mark.parametrize(
    "query",
    [
        "CALL apoc.create.node(['X'], {})",
        "CALL apoc.periodic.iterate('MATCH (n) RETURN n', 'DELETE n', {})",
        "CALL db.createLabel('X')",
        "CALL threads=1",
        "CALL `apoc`.`merge`.node(['X'], {})",
        "CALL dbms.setConfigValue('x', 'y')",
    ],
)
def test_procedures_off_the_read_list_are_refused(query: str) -> None:
    with pytest.raises(WriteRefusedError, match="not on the console's list of read-only"):
        screen(query)


@pytest.mark.parametrize(
    "query",
    [
        "MATCH (n:Neuron) RETURN n.id",
        "MATCH (n) WHERE n.id = 'create (x) set y' RETURN n",
        'RETURN "DETACH DELETE n" AS text',
        "MATCH (n) RETURN n // then DELETE n",
        "MATCH (n) /* MERGE\nSET */ RETURN n",
        "MATCH (n) RETURN n.`set`, `create`",
        "MATCH (n) WHERE n.set = $delete RETURN {set: 1, remove: 2}",
        "MATCH (n) RETURN n;",
        "CALL show_tables() RETURN *",
        "CALL db.labels()",
        "MATCH (s), (t) CALL apoc.algo.dijkstra(s, t, 'FLOW>', 'cost') YIELD path RETURN path",
        "MATCH (n) CALL { WITH n RETURN n.id AS i } RETURN i",
        "MATCH (n) WHERE n.id STARTS WITH 'vgg' RETURN toLower(n.id)",
        "RETURN 'it''s fine', 'escaped \\' CREATE'",
    ],
)
def test_reads_pass(query: str) -> None:
    screen(query)


def test_several_statements_are_refused() -> None:
    with pytest.raises(CypherSyntaxError, match="one statement at a time"):
        screen("MATCH (n) RETURN n; MATCH (m) RETURN m")


@pytest.mark.parametrize("query", ["", "   ", "// only a comment"])
def test_an_empty_query_is_a_syntax_error(query: str) -> None:
    with pytest.raises(CypherSyntaxError, match="empty"):
        screen(query)


def test_an_unterminated_literal_does_not_hide_a_write() -> None:
    with pytest.raises(WriteRefusedError, match="CREATE"):
        screen("RETURN 'abc CREATE (n)")


def test_the_read_list_is_lower_case() -> None:
    assert all(name == name.lower() for name in READ_PROCEDURES)


@pytest.mark.parametrize(
    "query",
    [
        "RETURN 1 AS set",
        "RETURN x AS set",
        "WITH 1 AS delete RETURN delete",
        "UNWIND [2, 1] AS remove RETURN remove ORDER BY remove",
        "WITH 1 AS merge RETURN merge + 1, [merge], merge = 1",
        "MATCH (n) WHERE NOT set AND n.x IN create RETURN DISTINCT drop",
        "RETURN x AS load, y AS copy, z AS call",
    ],
)
def test_keywords_as_aliases_and_in_expressions_pass(query: str) -> None:
    screen(query)


@pytest.mark.parametrize(
    ("query", "word"),
    [
        ("MATCH (n) WITH * SET n.k = 1", "SET"),
        ("MATCH (n) WITH n AS set SET set.k = 1", "SET"),
        ("UNWIND [1] AS x CREATE (:Model {id: 'x'})", "CREATE"),
        ("MATCH (n) WHERE n.k = 1 DELETE n", "DELETE"),
        ("MATCH (n) WHERE n.k IN [1] DETACH DELETE n", "DETACH"),
        ("MATCH (n) RETURN n ORDER BY n.k DESC UNION CREATE (m) RETURN m", "CREATE"),
        ("MATCH (n) WITH n AS x, n AS y MERGE (x)-[:R]->(y)", "MERGE"),
    ],
)
def test_writes_after_an_alias_or_expression_are_still_refused(query: str, word: str) -> None:
    with pytest.raises(WriteRefusedError, match=rf"refused: {word} "):
        screen(query)


def test_a_text_too_long_to_read_is_refused_before_it_is_split() -> None:
    with pytest.raises(QueryTooComplexError, match="characters long"):
        screen("/*" * 500_000)
