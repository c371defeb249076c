"""POST /api/cypher: the console's answers, refusals (403, store unchanged), syntax errors
(400) and time limit (408), each with its reason."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from relex.queries.console import run_read_only
from tests.api.conftest import ApiRun


def test_a_read_answers_like_the_console(client: TestClient, api_run: ApiRun) -> None:
    query = "MATCH (n:Neuron) WHERE n.layer = $layer RETURN n.id AS id ORDER BY id"
    got = client.post("/api/cypher", json={"query": query, "params": {"layer": "fc5"}})
    assert got.status_code == 200, got.text
    expected = run_read_only(api_run.store, query, {"layer": "fc5"})
    assert got.json()["columns"] == ["id"]
    assert got.json()["rows"] == [list(row) for row in expected.rows] and len(expected.rows) == 6
    capped = client.post(
        "/api/cypher", json={"query": query, "params": {"layer": "fc5"}, "max_rows": 2}
    )
    assert len(capped.json()["rows"]) == 2 and capped.json()["truncated"] is True


@pytest.mark.parametrize(
    "query",
    [
        "CREATE (:Model {id: 'intruder'})",
        "MATCH (n:Neuron) SET n.`index` = 0",
        "MATCH (n) DETACH DELETE n",
        "MERGE (m:Model {id: 'x'})",
        "DROP TABLE FLOW",
        "COPY Model FROM 'x.csv'",
        "CALL apoc.create.node(['X'], {})",
    ],
)
def test_writes_are_403_and_the_store_is_unchanged(
    client: TestClient, api_run: ApiRun, query: str
) -> None:
    before = api_run.store.counts()
    got = client.post("/api/cypher", json={"query": query})
    assert got.status_code == 403 and got.json()["detail"].startswith("refused")
    assert api_run.store.counts() == before


def test_syntax_errors_and_timeouts_are_clear(client: TestClient) -> None:
    got = client.post("/api/cypher", json={"query": "MATC (n) RETURN n"})
    assert got.status_code == 400 and "not valid Cypher" in got.json()["detail"]
    slow = (
        "UNWIND range(1, 3000) AS a UNWIND range(1, 3000) AS b UNWIND range(1, 3000) AS c "
        "WITH a + b + c AS x WHERE x < 0 RETURN count(*)"
    )
    got = client.post("/api/cypher", json={"query": slow, "timeout_s": 0.2})
    assert got.status_code == 408 and "limit" in got.json()["detail"]
