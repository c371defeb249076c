"""What no single request may do: name an untrusted host (DNS rebinding), fetch images from
outside the data roots, kill the server with an image whose header claims too many pixels, or
push an oversized body to disk (the cap holds while the body streams in, on a real uvicorn
server); and what ``relex serve`` says at start: the page URL with its token, and a warning
when it binds an address other than loopback."""

from __future__ import annotations

import io
import logging
import os
import select
import socket
import struct
import subprocess
import sys
import threading
import time
import zlib
from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np
import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient
from PIL import Image

from relex.api.app import create_app
from relex.api.server import announce
from relex.api.settings import Settings
from relex.queries import DatasetRow, ModelRow, RunRow
from relex.queries.embedded import EmbeddedStore
from relex.queries.rows import params_json
from tests.api.conftest import ApiRun, settings_for


def png_header(width: int, height: int) -> bytes:
    """A PNG that claims ``width`` x ``height`` RGB pixels and holds one empty IDAT chunk."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b""))
        + chunk(b"IEND", b"")
    )


def upload(client: TestClient, model_id: str, data: bytes) -> httpx.Response:
    form = {"run": "r1", "neurons": f"{model_id}/conv1/0"}
    files = {"file": ("a.png", data, "image/png")}
    return client.post("/api/renders/heatmap/upload", data=form, files=files)


@pytest.fixture(scope="module")
def model_id(api_run: ApiRun) -> str:
    return api_run.run.model


@pytest.mark.parametrize("side", [50_000, 13_000])
def test_an_image_claiming_too_many_pixels_is_413(
    client: TestClient, model_id: str, side: int
) -> None:
    answer = upload(client, model_id, png_header(side, side))
    assert answer.status_code == 413, answer.text
    assert "pixels" in answer.json()["detail"]


def test_an_unreadable_upload_names_no_python_object(client: TestClient, model_id: str) -> None:
    answer = upload(client, model_id, b"\x89PNG junk that is no image")
    assert answer.status_code == 422 and "not an image" in answer.json()["detail"]
    assert " at 0x" not in answer.text and "object" not in answer.text


def test_only_trusted_hosts_are_answered(api_run: ApiRun, tmp_path: Path) -> None:
    app = create_app(settings_for(tmp_path, RELEX_API_HOST="10.1.2.3"), store=api_run.store)
    client = TestClient(app)
    for host in ("127.0.0.1:8000", "localhost", "[::1]:8000", "10.1.2.3:8000", "testserver"):
        assert client.get("/api/runs", headers={"Host": host}).status_code == 200, host
    refused = client.get("/api/runs", headers={"Host": "attacker.example:8000"})
    assert refused.status_code == 400
    assert "RELEX_TRUSTED_HOSTS" in refused.json()["detail"]
    assert client.get("/", headers={"Host": "attacker.example"}).status_code == 400
    wider = create_app(
        settings_for(tmp_path, RELEX_TRUSTED_HOSTS="testserver,*.example.org"), store=api_run.store
    )
    answer = TestClient(wider).get("/api/runs", headers={"Host": "relex.example.org"})
    assert answer.status_code == 200


def write_folder_run(store: EmbeddedStore, folder: Path) -> None:
    """Run "outside" over an image folder of two classes (a run row, enough to serve images)."""
    rng = np.random.default_rng(0)
    for name in ("a", "b"):
        (folder / name).mkdir(parents=True)
        for k in range(2):
            pixels = rng.integers(0, 255, (64, 64, 3), dtype=np.uint8)
            Image.fromarray(pixels).save(folder / name / f"{k}.png")
    spec = f"imagefolder:{folder}"
    params = {"model": "smallcnn64", "weights": "none", "method": "epsilon", "dataset": spec}
    dataset = DatasetRow(folder.name, "imagefolder", str(folder))
    run = RunRow("outside", "outside", "smallcnn64", dataset.id, "epsilon", params_json(params))
    store.create_schema()
    store.write_nodes([ModelRow("smallcnn64", "smallcnn64", 0, 0), dataset, run])


def test_images_outside_the_data_roots_are_not_served(tmp_path: Path) -> None:
    folder = tmp_path / "elsewhere" / "pictures"
    with EmbeddedStore(tmp_path / "g.kuzu") as store:
        write_folder_run(store, folder)
        closed = TestClient(create_app(settings_for(tmp_path / "data"), store=store))
        listed = closed.get("/api/runs/outside/images")
        assert listed.status_code == 403 and "RELEX_DATA_ROOTS" in listed.json()["detail"]
        image = closed.get("/api/images/pictures/a/0.png.png", params={"run": "outside"})
        assert image.status_code == 403

        roots = os.pathsep.join([str(tmp_path / "data"), str(folder.parent)])
        settings = settings_for(tmp_path / "data", RELEX_DATA_ROOTS=roots)
        opened = TestClient(create_app(settings, store=store))
        images = opened.get("/api/runs/outside/images")
        assert images.status_code == 200, images.text
        first = images.json()[0]["id"]
        served = opened.get(f"/api/images/{first}.png", params={"run": "outside"})
        assert served.status_code == 200 and served.headers["content-type"] == "image/png"
        assert Image.open(io.BytesIO(served.content)).size == (64, 64)


@pytest.fixture(scope="module")
def live(api_run: ApiRun, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int]]:
    """The app on a real uvicorn server on a free loopback port, in a thread."""
    data = tmp_path_factory.mktemp("live")
    app = create_app(settings_for(data), store=api_run.store)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started
    yield "127.0.0.1", port
    server.should_exit = True
    thread.join(10)


def _answer_of(connection: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection (or 10 s pass)."""
    connection.settimeout(10)
    received = b""
    try:
        while part := connection.recv(65536):
            received += part
    except (TimeoutError, ConnectionResetError):
        pass
    return received


def test_a_chunked_upload_is_cut_off_at_the_limit(live: tuple[str, int]) -> None:
    """200 MB sent in 1 MB chunks: the server answers 413 once 20 MB have arrived, long before
    the rest is sent (and it never spools the rest to a temporary file)."""
    host, port = live
    chunk = b"x" * 2**20
    sent = 0
    with socket.create_connection((host, port)) as connection:
        connection.sendall(
            f"POST /api/renders/heatmap/upload HTTP/1.1\r\nHost: {host}:{port}\r\n"
            "Content-Type: multipart/form-data; boundary=b\r\n"
            "Transfer-Encoding: chunked\r\n\r\n".encode()
        )
        preamble = b'--b\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\n'
        preamble += b"Content-Type: image/png\r\n\r\n"
        connection.sendall(f"{len(preamble):x}\r\n".encode() + preamble + b"\r\n")
        try:
            while sent < 200 * 2**20:
                readable, _, _ = select.select([connection], [], [], 0)
                if readable:
                    break
                connection.sendall(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
                sent += len(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass
        answer = _answer_of(connection)
    assert answer.startswith(b"HTTP/1.1 413") and b"20 MB limit" in answer, answer[:300]
    assert sent < 40 * 2**20, f"{sent / 2**20:.0f} MB were sent before the server answered"


def test_a_declared_oversized_body_is_refused_before_it_is_read(live: tuple[str, int]) -> None:
    host, port = live
    with socket.create_connection((host, port)) as connection:
        connection.sendall(
            f"POST /api/renders/heatmap/upload HTTP/1.1\r\nHost: {host}:{port}\r\n"
            "Content-Type: multipart/form-data; boundary=b\r\n"
            f"Content-Length: {200 * 2**20}\r\n\r\n".encode()
        )
        answer = _answer_of(connection)
    assert answer.startswith(b"HTTP/1.1 413") and b"20 MB" in answer, answer[:300]


def test_binding_beyond_loopback_is_warned_about(
    api_run: ApiRun, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    for host, warned in (("127.0.0.1", False), ("::1", False), ("0.0.0.0", True)):
        settings = settings_for(tmp_path, RELEX_API_HOST=host)
        app: FastAPI = create_app(settings, store=api_run.store)
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="relex.api.server"):
            announce(app, settings)
        assert ("reachable from other machines" in caplog.text) is warned, host


def test_relex_serve_prints_the_page_url_with_a_fresh_token(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    env = {**os.environ, "RELEX_DATA_DIR": str(tmp_path / "data"), "RELEX_DEVICE": "cpu"}
    env.pop("RELEX_API_TOKEN", None)
    command = [sys.executable, "-m", "relex.cli", "serve", "--port", str(port)]
    command += ["--store", str(tmp_path / "g.kuzu")]
    server = subprocess.Popen(command, env=env, stderr=subprocess.PIPE, text=True)
    try:
        assert server.stderr is not None
        line = server.stderr.readline()
        prefix = f"relex serve: open http://127.0.0.1:{port}/?token="
        assert line.startswith(prefix), line
        token = line.removeprefix(prefix).split()[0]
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(base + "/api/runs", timeout=2).raise_for_status()
                break
            except httpx.HTTPError:
                assert time.monotonic() < deadline and server.poll() is None
                time.sleep(0.2)
        assert httpx.get(base + "/api/jobs").status_code == 401
        assert httpx.get(base + "/api/jobs", params={"token": token}).json() == []
        headers = {"Authorization": f"Bearer {token}"}
        assert httpx.get(base + "/api/jobs", headers=headers).status_code == 200
        rebound = httpx.get(base + "/api/runs", headers={"Host": "rebound.example"})
        assert rebound.status_code == 400
    finally:
        server.terminate()
        server.wait(30)


def test_settings_reject_a_job_cap_below_one() -> None:
    with pytest.raises(Exception, match="RELEX_MAX_JOBS"):
        Settings.from_mapping({"RELEX_MAX_JOBS": "0"})
