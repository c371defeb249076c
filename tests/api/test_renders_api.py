"""Renders against the engine: the heatmap PNG decodes to the colour map of the engine's
conditional heatmap for the same subgraph, the JSON carries its numbers and the MSE/SMAPE of
ingest.selection, the deconvolution equals DeconvNet's projection; the selection curve is
monotone and its choice is the smallest k meeting the threshold; bad selections and uploads
are 4xx with a reason and leave the store as it was."""

from __future__ import annotations

import io
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pytest
import torch
from fastapi import FastAPI
from fastapi.testclient import TestClient
from PIL import Image

from relex.api.runs import render_params
from relex.ingest.datasets import BaseDataset, open_dataset
from relex.ingest.errors import RelexError
from relex.ingest.lrp import LRP, DeconvNet, composite_by_name
from relex.ingest.models import LoadedModel, load_model
from relex.ingest.render import heatmap_rgb
from relex.ingest.selection import conditional_heatmap
from relex.queries import analysis
from relex.queries import ids as store_ids
from relex.queries.rows import RunRow
from tests.api.conftest import DATASET, ApiRun

SELECTED = {"conv2_1": [3, 7], "fc4": [16, 79, 5]}


@pytest.fixture(scope="module")
def model_id(api_run: ApiRun) -> str:
    return api_run.run.model


@pytest.fixture(scope="module")
def loaded(checkpoint: Path) -> LoadedModel:
    return load_model("smallcnn64", str(checkpoint))


class StoredImage(NamedTuple):
    """An image of the run's dataset: its stored id, the dataset and its item."""

    id: str
    dataset: BaseDataset
    item: int


@pytest.fixture(scope="module")
def image() -> StoredImage:
    """The third image of the dataset."""
    dataset = open_dataset(DATASET)
    return StoredImage(store_ids.image_id(dataset.name, dataset.sample(2).image_id), dataset, 2)


def neuron_ids(model_id: str, selection: dict[str, list[int]]) -> list[str]:
    return [f"{model_id}/{layer}/{i}" for layer, indices in selection.items() for i in indices]


def engine_inputs(loaded: LoadedModel, image: StoredImage) -> torch.Tensor:
    return image.dataset.tensor(image.item, loaded.preprocessing)[None]


def engine_lrp(loaded: LoadedModel) -> LRP:
    low, high = loaded.preprocessing.bounds()
    return LRP(loaded.module, composite_by_name("epsilon_plus_flat", low=low, high=high))


def test_heatmap_png_and_json_equal_the_engine(
    client: TestClient, loaded: LoadedModel, image: StoredImage, model_id: str
) -> None:
    inputs = engine_inputs(loaded, image)
    expected = conditional_heatmap(engine_lrp(loaded), inputs, 1, SELECTED)
    plane = expected.heatmap[0].double().sum(0).numpy()
    body = {
        "run": "r1",
        "image_id": image.id,
        "target": 1,
        "neurons": neuron_ids(model_id, SELECTED),
    }

    png = client.post("/api/renders/heatmap", json=body)
    assert png.status_code == 200, png.text
    assert png.headers["content-type"] == "image/png"
    decoded = np.asarray(Image.open(io.BytesIO(png.content)).convert("RGB"))
    assert np.array_equal(decoded, heatmap_rgb(plane))
    assert float(png.headers["X-Relex-MSE"]) == pytest.approx(expected.mse, rel=1e-9)
    assert float(png.headers["X-Relex-SMAPE"]) == pytest.approx(expected.smape, rel=1e-9)

    numbers = client.post("/api/renders/heatmap", params={"format": "json"}, json=body).json()
    assert numbers["target"] == 1 and numbers["neurons_kept"] == 5
    np.testing.assert_allclose(numbers["map"], plane, rtol=1e-6, atol=1e-12)
    np.testing.assert_allclose(
        numbers["full"], expected.full[0].double().sum(0).numpy(), rtol=1e-6, atol=1e-12
    )
    assert numbers["mse"] == pytest.approx(expected.mse, rel=1e-9)
    assert numbers["smape"] == pytest.approx(expected.smape, rel=1e-9)


def test_an_uploaded_image_renders_like_the_same_dataset_image(
    client: TestClient, image: StoredImage, model_id: str
) -> None:
    raw = client.get(f"/api/images/{image.id}.png", params={"run": "r1"})
    assert raw.status_code == 200 and raw.headers["content-type"] == "image/png"
    neurons = neuron_ids(model_id, SELECTED)
    stored = client.post(
        "/api/renders/heatmap",
        params={"format": "json"},
        json={"run": "r1", "image_id": image.id, "target": 1, "neurons": neurons},
    ).json()
    uploaded = client.post(
        "/api/renders/heatmap/upload",
        params={"format": "json"},
        data={"run": "r1", "neurons": ",".join(neurons), "target": "1"},
        files={"file": ("x.png", raw.content, "image/png")},
    )
    assert uploaded.status_code == 200, uploaded.text
    np.testing.assert_allclose(uploaded.json()["map"], stored["map"], rtol=1e-5, atol=1e-12)


def test_deconvolution_equals_deconvnet(
    client: TestClient, loaded: LoadedModel, image: StoredImage, model_id: str
) -> None:
    inputs = engine_inputs(loaded, image)
    projection = DeconvNet(loaded.module).attribute(inputs, None, layer="conv2_1", neurons=[3, 7])
    plane = projection.heatmap[0].double().sum(0).numpy()
    body = {
        "run": "r1",
        "image_id": image.id,
        "neurons": neuron_ids(model_id, {"conv2_1": [3, 7]}),
    }
    numbers = client.post("/api/renders/deconvolution", params={"format": "json"}, json=body)
    assert numbers.status_code == 200, numbers.text
    np.testing.assert_allclose(numbers.json()["map"], plane, rtol=1e-6, atol=1e-12)
    png = client.post("/api/renders/deconvolution", json=body)
    decoded = np.asarray(Image.open(io.BytesIO(png.content)).convert("RGB"))
    assert np.array_equal(decoded, heatmap_rgb(plane))


def test_selection_curve_is_monotone_and_chooses_the_smallest_k(
    client: TestClient, image: StoredImage
) -> None:
    ks = [1, 2, 4, 8, 16, 32, 64, 128]
    probe = client.post(
        "/api/selection",
        json={"run": "r1", "image_id": image.id, "ks": ks, "threshold": 0.0, "metric": "smape"},
    ).json()
    kept = [point["neurons_kept"] for point in probe["points"]]
    assert kept == sorted(kept) and len(set(kept)) == len(kept)
    errors = [point["smape"] for point in probe["points"]]
    threshold = (errors[2] + errors[3]) / 2 if errors[2] > errors[3] else errors[3]
    got = client.post(
        "/api/selection",
        json={
            "run": "r1",
            "image_id": image.id,
            "ks": ks,
            "threshold": threshold,
            "metric": "smape",
        },
    ).json()
    chosen = ks.index(got["chosen_k"])
    assert errors[chosen] <= threshold
    assert all(error > threshold for error in errors[:chosen])
    assert len(got["chosen_neurons"]) == got["points"][chosen]["neurons_kept"]


@pytest.mark.parametrize(
    ("neurons", "words"),
    [
        ([], "empty"),
        (["othermodel/conv2_1/3"], "belongs to model othermodel"),
        (["MODEL/conv9/3"], "has no layer"),
        (["MODEL/conv2_1/999"], "out of range"),
        (["not-a-neuron"], "not a neuron id"),
        ([f"MODEL/fc4/{i % 128}" for i in range(5000)], "at most"),
    ],
)
def test_bad_selections_are_422_and_the_store_is_unchanged(
    client: TestClient,
    api_run: ApiRun,
    image: StoredImage,
    model_id: str,
    neurons: list[str],
    words: str,
) -> None:
    before = api_run.store.counts()
    chosen = [neuron.replace("MODEL", model_id) for neuron in neurons]
    got = client.post(
        "/api/renders/heatmap", json={"run": "r1", "image_id": image.id, "neurons": chosen}
    )
    assert got.status_code == 422 and words in got.json()["detail"], got.text
    assert api_run.store.counts() == before


def test_unknown_run_and_image_are_404(client: TestClient, model_id: str) -> None:
    neurons = [f"{model_id}/fc4/1"]
    got = client.post(
        "/api/renders/heatmap", json={"run": "nope", "image_id": "x", "neurons": neurons}
    )
    assert got.status_code == 404 and "nope" in got.json()["detail"]
    got = client.post(
        "/api/renders/heatmap", json={"run": "r1", "image_id": "shapes-a/none", "neurons": neurons}
    )
    assert got.status_code == 404 and "shapes-a/none" in got.json()["detail"]


def test_bad_uploads_are_refused_with_a_reason(client: TestClient, model_id: str) -> None:
    form = {"run": "r1", "neurons": f"{model_id}/fc4/1"}
    text = client.post(
        "/api/renders/heatmap/upload", data=form, files={"file": ("a.txt", b"hello", "text/plain")}
    )
    assert text.status_code == 415 and "not an image" in text.json()["detail"]
    broken = client.post(
        "/api/renders/heatmap/upload", data=form, files={"file": ("a.png", b"junk", "image/png")}
    )
    assert broken.status_code == 422 and "not an image" in broken.json()["detail"]
    huge = client.post(
        "/api/renders/heatmap/upload",
        data=form,
        files={"file": ("a.png", b"\0" * (20 * 2**20 + 1), "image/png")},
    )
    assert huge.status_code == 413 and "20 MB" in huge.json()["detail"]


def test_references_carry_crops_of_the_top_images(client: TestClient, api_run: ApiRun) -> None:
    class_id = analysis.list_classes(api_run.store, run="r1")[0].id
    neuron = analysis.top_neurons(api_run.store, run="r1", class_id=class_id, layer="conv3_1", k=1)
    got = client.get(
        "/api/neurons/references", params={"run": "r1", "neuron": neuron[0].id, "k": 2}
    )
    assert got.status_code == 200, got.text
    answer = got.json()
    detail = analysis.neuron_detail(api_run.store, run="r1", neuron=neuron[0].id, k=2)
    assert [r["image"] for r in answer["by_relevance"]] == [i.image for i in detail.images[:2]]
    scores = [r["score"] for r in answer["by_activation"]]
    assert len(scores) == 2 and scores == sorted(scores, reverse=True)
    assert all(r["png"].startswith("data:image/png;base64,") for r in answer["by_relevance"])


def test_references_of_an_input_channel_rank_images_by_its_largest_pixel(
    client: TestClient, loaded: LoadedModel, model_id: str
) -> None:
    got = client.get(
        "/api/neurons/references", params={"run": "r1", "neuron": f"{model_id}/input/1", "k": 3}
    )
    assert got.status_code == 200, got.text
    dataset = open_dataset(DATASET)
    by_id = {store_ids.image_id(dataset.name, dataset.sample(i).image_id): i for i in range(60)}
    for reference in got.json()["by_activation"]:
        channel = dataset.tensor(by_id[reference["image"]], loaded.preprocessing)[1]
        assert reference["score"] == pytest.approx(float(channel.max()), rel=1e-6)


def test_renders_are_cached(
    client: TestClient, app: FastAPI, image: StoredImage, model_id: str
) -> None:
    renderer = app.state.relex.renderer
    body = {"run": "r1", "image_id": image.id, "neurons": neuron_ids(model_id, {"fc4": [2]})}
    client.post("/api/renders/heatmap", json=body)
    hits = renderer.renders.hits
    client.post("/api/renders/heatmap", json=body)
    assert renderer.renders.hits == hits + 1


@pytest.mark.parametrize(
    ("params", "reason"),
    [
        ('{"model": "vgg16", "method": "epsilon", "dataset": "d"}', "does not record its weights"),
        ("{}", "does not record its model, weights, method, dataset"),
        ("[]", "records no parameters"),
    ],
)
def test_a_run_without_its_model_parameters_cannot_render(params: str, reason: str) -> None:
    run = RunRow("old", "old run", "vgg16", "d", "epsilon", params=params)
    with pytest.raises(RelexError, match=reason):
        render_params(run)


def test_a_run_recorded_with_fewer_or_other_parameters_reads_with_defaults() -> None:
    text = '{"model": "m", "weights": "w", "method": "epsilon", "dataset": "d", "target": "x"}'
    params = render_params(RunRow("old", "old run", "m", "d", "epsilon", params=text))
    assert (params.model, params.weights, params.method, params.dataset) == (
        "m",
        "w",
        "epsilon",
        "d",
    )
    assert (params.classes, params.limit, params.top_k, params.group_by) == (None, None, 8, "label")


def test_selection_curve_runs_k_up_to_the_largest_layer_by_default(
    client: TestClient, image: StoredImage
) -> None:
    layers = sorted(client.get("/api/runs/r1/layers").json(), key=lambda row: row["depth"])
    largest = max(layer["size"] for layer in layers[1:-1])  # neither the input nor the output
    got = client.post(
        "/api/selection",
        json={"run": "r1", "image_id": image.id, "threshold": 0.0, "metric": "smape"},
    )
    assert got.status_code == 200, got.text
    points = got.json()["points"]
    ks = [point["k"] for point in points]
    assert ks[-1] == largest and ks[:-1] == [2**i for i in range(len(ks) - 1)]
    assert ks[-2] < largest <= 2 * ks[-2]
    # The last k keeps every neuron of every restricted layer: the full heatmap, no error.
    assert points[-1]["neurons_kept"] == sum(layer["size"] for layer in layers[1:-1])
    assert points[-1]["mse"] == pytest.approx(0, abs=1e-12)
