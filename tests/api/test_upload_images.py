"""Uploaded images are decoded as everywhere else: a decompression bomb is a 413 with its
size and the limit, refused before decoding; 16-bit uploads render as their 8-bit values."""

from __future__ import annotations

import io

import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image

from tests.api.conftest import ApiRun
from tests.image_files import claimed_png


@pytest.fixture(scope="module")
def form(api_run: ApiRun) -> dict[str, str]:
    neurons = [f"{api_run.run.model}/conv1_1/{i}" for i in range(16)]
    return {"run": "r1", "neurons": ",".join(neurons), "target": "1"}


def upload(client: TestClient, form: dict[str, str], data: bytes):  # type: ignore[no-untyped-def]
    return client.post(
        "/api/renders/heatmap/upload",
        params={"format": "json"},
        data=form,
        files={"file": ("x.png", data, "image/png")},
    )


@pytest.mark.parametrize(
    ("width", "claimed"), [(50_000, "2,500,000,000 pixels"), (13_000, "13000x13000")]
)
def test_a_decompression_bomb_is_413_with_its_size(
    width: int, claimed: str, client: TestClient, form: dict[str, str]
) -> None:
    got = upload(client, form, claimed_png(width, width))
    assert got.status_code == 413
    detail = got.json()["detail"]
    assert detail.startswith("the upload is too large") and claimed in detail
    assert "limit of 40,000,000 pixels" in detail


def test_an_unreadable_upload_names_no_object_address(
    client: TestClient, form: dict[str, str]
) -> None:
    got = upload(client, form, b"\x89PNG but nothing else")
    assert got.status_code == 422
    assert "not an image" in got.json()["detail"] and " at 0x" not in got.json()["detail"]


def png(pixels: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    return buffer.getvalue()


def test_a_sixteen_bit_upload_renders_as_its_eight_bit_values(
    client: TestClient, form: dict[str, str]
) -> None:
    wide = np.random.default_rng(4).integers(0, 65536, (64, 64)).astype(np.uint16)
    sixteen = upload(client, form, png(wide))
    eight = upload(client, form, png(np.rint(wide / 257).astype(np.uint8)))
    assert sixteen.status_code == 200 and eight.status_code == 200, sixteen.text
    assert np.abs(np.array(eight.json()["map"])).sum() > 0
    np.testing.assert_array_equal(sixteen.json()["map"], eight.json()["map"])
