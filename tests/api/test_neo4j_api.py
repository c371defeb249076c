"""The API over a real Neo4j server (scripts/test.sh starts one; skipped without NEO4J_URI):
the session's small real run is ingested again into Neo4j, and every read endpoint answers
there exactly what it answers over the embedded store (which test_queries_api.py checks against
the query functions); unknown ids are 404 and the console refuses writes with 403."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from relex.api.app import create_app
from relex.ingest.worker import ingest
from relex.queries import GraphStore, analysis
from tests.api.conftest import ApiRun, settings_for
from tests.store.conftest import neo4j_store, require_backend


@pytest.fixture(scope="module")
def neo4j_client(api_run: ApiRun) -> Iterator[tuple[TestClient, GraphStore]]:
    require_backend("neo4j")
    with neo4j_store() as store:
        store.query("MATCH (n) DETACH DELETE n")
        store.create_schema()
        ingest(api_run.options, store, progress=False)
        yield TestClient(create_app(settings_for(api_run.data_dir), store=store)), store


def reads(api_run: ApiRun) -> list[tuple[str, dict[str, Any]]]:
    store = api_run.store
    a, b = (info.id for info in analysis.list_classes(store, run="r1"))
    neuron = analysis.top_neurons(store, run="r1", class_id=a, layer="conv3_1", k=1)[0].id
    return [
        ("/api/runs", {}),
        ("/api/runs/r1/classes", {}),
        ("/api/runs/r1/layers", {}),
        ("/api/runs/r1/images", {}),
        ("/api/top-neurons", {"run": "r1", "class_id": a, "k": 3}),
        ("/api/top-neurons", {"run": "r1", "class_id": b, "layer": "conv2_1", "k": 2}),
        ("/api/critical-paths", {"run": "r1", "class_id": a, "k": 3}),
        ("/api/critical-paths", {"run": "r1", "class_id": b, "k": 2, "source": neuron}),
        ("/api/subgraph", {"run": "r1", "class_id": a, "up": 1, "down": 1}),
        ("/api/subgraph", {"run": "r1", "class_id": b, "seeds": neuron}),
        ("/api/compare/classes", {"run_a": "r1", "class_a": a, "run_b": "r1", "class_b": b}),
        ("/api/compare/datasets", {"run_a": "r1", "run_b": "r1", "k": 4}),
        ("/api/neurons/detail", {"run": "r1", "neuron": neuron, "k": 3}),
    ]


def test_every_read_answers_as_over_the_embedded_store(
    neo4j_client: tuple[TestClient, GraphStore], client: TestClient, api_run: ApiRun
) -> None:
    over_neo4j = neo4j_client[0]
    for path, params in reads(api_run):
        expected = client.get(path, params=params)
        got = over_neo4j.get(path, params=params)
        assert expected.status_code == 200, (path, expected.text)
        assert (got.status_code, got.json()) == (200, expected.json()), path


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/api/runs/nope/classes", {}),
        ("/api/top-neurons", {"run": "r1", "class_id": "shapes-a/5"}),
        ("/api/critical-paths", {"run": "r1", "class_id": "nope/1"}),
        ("/api/neurons/detail", {"run": "r1", "neuron": "smallcnn64/fc5/99"}),
        ("/api/compare/datasets", {"run_a": "r1", "run_b": "nope"}),
    ],
)
def test_unknown_ids_are_404_with_a_reason(
    neo4j_client: tuple[TestClient, GraphStore], path: str, params: dict[str, str]
) -> None:
    got = neo4j_client[0].get(path, params=params)
    assert got.status_code == 404, got.text
    assert isinstance(got.json()["detail"], str) and got.json()["detail"]


def test_the_console_reads_and_refuses_writes(
    neo4j_client: tuple[TestClient, GraphStore],
) -> None:
    over_neo4j, store = neo4j_client
    before = store.counts()
    got = over_neo4j.post("/api/cypher", json={"query": "MATCH (r:Run) RETURN r.id AS id"})
    assert got.status_code == 200, got.text
    assert got.json()["rows"] == [["r1"]]
    got = over_neo4j.post("/api/cypher", json={"query": "MATCH (n) DETACH DELETE n"})
    assert got.status_code == 403 and "DETACH" in got.json()["detail"]
    assert store.counts() == before
