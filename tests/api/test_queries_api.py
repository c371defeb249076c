"""Every read endpoint answers exactly what its query function returns for the same input,
and unknown ids are a 404 with a reason."""

from __future__ import annotations

import dataclasses
import json
import math
from typing import Any

import pytest
from fastapi.testclient import TestClient

from relex.queries import analysis
from tests.api.conftest import ApiRun


def as_json(value: Any) -> Any:
    """What the API sends for ``value``: dataclasses as maps, tuples as lists, NaN as null."""

    def finite(item: Any) -> Any:
        if isinstance(item, float) and not math.isfinite(item):
            return None
        if isinstance(item, dict):
            return {key: finite(inner) for key, inner in item.items()}
        if isinstance(item, list | tuple):
            return [finite(inner) for inner in item]
        return item

    if isinstance(value, list):
        return [as_json(item) for item in value]
    return json.loads(json.dumps(finite(dataclasses.asdict(value))))


@pytest.fixture(scope="module")
def class_id(api_run: ApiRun) -> str:
    return analysis.list_classes(api_run.store, run="r1")[0].id


def test_runs_classes_and_layers(client: TestClient, api_run: ApiRun) -> None:
    store = api_run.store
    assert client.get("/api/runs").json() == as_json(analysis.list_runs(store))
    assert client.get("/api/runs/r1/classes").json() == as_json(
        analysis.list_classes(store, run="r1")
    )
    assert client.get("/api/runs/r1/layers").json() == as_json(
        analysis.list_layers(store, run="r1")
    )


def test_top_neurons_and_critical_paths(client: TestClient, api_run: ApiRun, class_id: str) -> None:
    store = api_run.store
    got = client.get("/api/top-neurons", params={"run": "r1", "class_id": class_id, "k": 3})
    assert got.json() == as_json(analysis.top_neurons(store, run="r1", class_id=class_id, k=3))
    got = client.get(
        "/api/top-neurons", params={"run": "r1", "class_id": class_id, "layer": "conv2_1", "k": 2}
    )
    expected = analysis.top_neurons(store, run="r1", class_id=class_id, layer="conv2_1", k=2)
    assert got.json() == as_json(expected) and len(expected) == 2
    got = client.get("/api/critical-paths", params={"run": "r1", "class_id": class_id, "k": 3})
    assert got.status_code == 200, got.text
    assert got.json() == as_json(analysis.critical_paths(store, run="r1", class_id=class_id, k=3))


def test_subgraph_is_cytoscape_elements(client: TestClient, api_run: ApiRun, class_id: str) -> None:
    found = analysis.subgraph(api_run.store, run="r1", class_id=class_id, up=1, down=1)
    got = client.get(
        "/api/subgraph", params={"run": "r1", "class_id": class_id, "up": 1, "down": 1}
    ).json()
    assert got["elements"] == json.loads(json.dumps(found.elements()))
    assert got["seeds"] == list(found.seeds) and got["truncated"] == found.truncated
    seed = found.seeds[0]
    chosen = analysis.subgraph(api_run.store, run="r1", class_id=class_id, seeds=[seed])
    got = client.get("/api/subgraph", params={"run": "r1", "class_id": class_id, "seeds": seed})
    assert got.json()["elements"] == json.loads(json.dumps(chosen.elements()))


def test_comparisons_and_neuron_detail(client: TestClient, api_run: ApiRun) -> None:
    store = api_run.store
    a, b = (info.id for info in analysis.list_classes(store, run="r1"))
    params = {"run_a": "r1", "class_a": a, "run_b": "r1", "class_b": b, "k": 4}
    got = client.get("/api/compare/classes", params=params)
    assert got.json() == as_json(analysis.compare_classes(store, **params))  # type: ignore[arg-type]
    got = client.get("/api/compare/datasets", params={"run_a": "r1", "run_b": "r1", "k": 4})
    assert got.json() == as_json(analysis.compare_datasets(store, run_a="r1", run_b="r1", k=4))
    neuron = analysis.top_neurons(store, run="r1", class_id=a, layer="conv3_1", k=1)[0].id
    got = client.get("/api/neurons/detail", params={"run": "r1", "neuron": neuron, "k": 3})
    assert got.json() == as_json(analysis.neuron_detail(store, run="r1", neuron=neuron, k=3))


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/api/runs/nope/classes", {}),
        ("/api/runs/nope/layers", {}),
        ("/api/top-neurons", {"run": "nope", "class_id": "shapes-a/0"}),
        ("/api/top-neurons", {"run": "r1", "class_id": "shapes-a/5"}),
        ("/api/critical-paths", {"run": "r1", "class_id": "nope/1"}),
        ("/api/subgraph", {"run": "r1", "class_id": "shapes-a/0", "seeds": "m/conv9/0"}),
        ("/api/neurons/detail", {"run": "r1", "neuron": "smallcnn64/fc5/99"}),
        ("/api/compare/datasets", {"run_a": "r1", "run_b": "nope"}),
        ("/api/jobs/0123456789abcdef0123456789abcdef", {}),
        ("/api/runs/r1/images", {"class_id": "shapes-a/5"}),
        ("/api/runs/r1/images", {"class_id": "nope"}),
    ],
)
def test_unknown_ids_are_404_with_a_reason(
    client: TestClient, path: str, params: dict[str, str]
) -> None:
    token = {"Authorization": f"Bearer {client.app.state.relex.token}"}  # type: ignore[attr-defined]
    got = client.get(path, params=params, headers=token)
    assert got.status_code == 404, got.text
    assert isinstance(got.json()["detail"], str) and got.json()["detail"]
