"""The class view's endpoints: a neuron's numbers for a class, the layer DAG, references of one
class, and /docs from the vendored Swagger UI."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from fastapi.testclient import TestClient
from graphglot.dialect import Dialect

from relex.queries import analysis, catalogue
from relex.queries.analysis.classview import CLASSVIEW_QUERIES
from tests.api.conftest import ApiRun

LAYER = "conv2_1"


@pytest.fixture(scope="module")
def classes(api_run: ApiRun) -> list[analysis.ClassInfo]:
    return analysis.list_classes(api_run.store, run="r1")


def stored_images(api_run: ApiRun, neuron: str) -> list[tuple[str, int, float]]:
    """Every image's (id, label, relevance) at ``neuron`` in run r1, straight from the store."""
    rows = api_run.store.query(
        "MATCH (i:Image)-[r:RELEVANT]->(n:Neuron {id: $neuron}) WHERE r.run = 'r1' "
        "RETURN i.id AS id, i.label AS label, r.relevance AS relevance",
        {"neuron": neuron},
    )
    return [(row["id"], row["label"], row["relevance"]) for row in rows]


def test_summary_matches_the_layer_and_the_images(
    client: TestClient, api_run: ApiRun, classes: list[analysis.ClassInfo]
) -> None:
    info = classes[-1]
    ranked = client.get(
        "/api/top-neurons", params={"run": "r1", "class_id": info.id, "layer": LAYER, "k": 1000}
    ).json()
    neuron = ranked[1]
    got = client.get(
        "/api/neurons/summary",
        params={"run": "r1", "class_id": info.id, "neuron": neuron["id"], "k": 2},
    )
    assert got.status_code == 200, got.text
    summary = got.json()
    total = float(np.sum([row["relevance"] for row in ranked]))
    assert summary["relevance"] == pytest.approx(neuron["relevance"])
    assert summary["rank"] == neuron["rank"] == 2
    assert summary["retained"] == pytest.approx(neuron["retained"])
    assert summary["layer_relevance"] == pytest.approx(total)
    assert summary["share"] == pytest.approx(neuron["relevance"] / total)
    assert summary["images"] == info.images
    ours = sorted(
        (item for item in stored_images(api_run, neuron["id"]) if item[1] == info.index),
        key=lambda item: (-item[2], item[0]),
    )
    assert [image["image"] for image in summary["top_images"]] == [item[0] for item in ours[:2]]
    # The class by name and the neuron by layer/index give the same answer.
    short = "/".join(neuron["id"].split("/")[-2:])
    again = client.get(
        "/api/neurons/summary", params={"run": "r1", "class_id": info.name, "neuron": short, "k": 2}
    )
    assert again.json() == summary


@pytest.mark.parametrize(
    ("params", "words"),
    [
        ({"class_id": "shapes-a/0", "neuron": "conv2_1/9999"}, "conv2_1/9999"),
        ({"class_id": "no-such", "neuron": "conv2_1/0"}, "no-such"),
    ],
)
def test_summary_of_an_unknown_neuron_or_class_is_a_404(
    client: TestClient, params: dict[str, str], words: str
) -> None:
    got = client.get("/api/neurons/summary", params={"run": "r1", **params})
    assert got.status_code == 404
    assert words in got.json()["detail"]


def test_layer_graph_of_a_chain_is_one_column_per_layer(client: TestClient) -> None:
    got = client.get("/api/runs/r1/layer-graph")
    assert got.status_code == 200, got.text
    answer = got.json()
    names = [layer["name"] for layer in answer["layers"]]
    assert answer["columns"] == {name: i for i, name in enumerate(names)}
    assert {(e["lower"], e["upper"]) for e in answer["edges"]} == set(itertools.pairwise(names))
    assert client.get("/api/runs/nope/layer-graph").status_code == 404


def test_references_of_one_class_are_that_class_s_top_images(
    client: TestClient, api_run: ApiRun, classes: list[analysis.ClassInfo]
) -> None:
    info = classes[0]
    neuron = analysis.top_neurons(api_run.store, run="r1", class_id=info.id, layer=LAYER, k=1)[0]
    got = client.get(
        "/api/neurons/references",
        params={"run": "r1", "neuron": neuron.id, "k": 2, "class_id": info.id},
    )
    assert got.status_code == 200, got.text
    answer = got.json()
    ours = sorted(
        (item for item in stored_images(api_run, neuron.id) if item[1] == info.index),
        key=lambda item: (-item[2], item[0]),
    )
    assert [r["image"] for r in answer["by_relevance"]] == [item[0] for item in ours[:2]]
    labels = {item[0]: item[1] for item in stored_images(api_run, neuron.id)}
    assert len(answer["by_activation"]) == 2
    assert all(labels[r["image"]] == info.index for r in answer["by_activation"])
    everywhere = client.get(
        "/api/neurons/references", params={"run": "r1", "neuron": neuron.id, "k": 8}
    ).json()
    # The class's top by activation: the all-classes ranking with the other classes left out.
    in_class = [r for r in everywhere["by_activation"] if labels.get(r["image"]) == info.index]
    assert [r["image"] for r in answer["by_activation"]] == [r["image"] for r in in_class[:2]]


def test_docs_load_swagger_ui_from_the_api(client: TestClient) -> None:
    page = client.get("/docs")
    assert page.status_code == 200
    assert "/vendor/swagger-ui-bundle.js" in page.text
    assert "/vendor/swagger-ui.css" in page.text
    assert "cdn" not in page.text.lower()
    assert client.get("/redoc").status_code == 404  # ReDoc would need a CDN: it is off


@pytest.mark.parametrize("name", CLASSVIEW_QUERIES)
def test_the_class_view_queries_parse_as_neo4j_cypher(name: str) -> None:
    neo4j = Dialect.get_or_raise("neo4j")
    for text in catalogue.statements(name, "neo4j"):
        result = neo4j.validate(text)
        assert result.success, f"{name}: {result.error}"
