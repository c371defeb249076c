"""The API's costs: subgraph heatmap renders against a plain LRP pass, query endpoints against
their query functions, and a bounded load test on loopback.

    python -m bench.api                       # all three, smallcnn64 run, VGG16 render ratio
    python -m bench.api --seconds 30 --clients 8 --render-model vgg16

1. Render ratio: on one image, a plain LRP pass (forward + backward) against the renderer's
   subgraph heatmap for a new image (forward, full and conditional backward: "cold") and for
   another subgraph of an image already seen (the forward pass and full heatmap are reused:
   "warm"). Target: at most 1.5x.
2. Query overhead: the median of each GET endpoint (in-process ASGI client) minus the median of
   its query function on the same store. Target: under 10 ms.
3. Load: ``relex serve`` on 127.0.0.1 in a subprocess, CLIENTS threads for SECONDS mixing
   query and render requests; requests/s, p50/p95 latency and errors.
"""

from __future__ import annotations

import argparse
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import torch
from fastapi.testclient import TestClient

from relex.api.app import create_app
from relex.api.renders import Renderer
from relex.api.runs import ImageInput, RunModel, RunService
from relex.api.settings import Settings
from relex.ingest.attribution import lrp_for
from relex.ingest.datasets import SHAPE_CLASSES
from relex.ingest.lrp import DeconvNet
from relex.ingest.models import save_checkpoint, small_cnn
from relex.ingest.run_params import RunParameters
from relex.ingest.worker import IngestOptions, ingest
from relex.queries import RunRow, analysis
from relex.queries.embedded import EmbeddedStore
from tests.helpers import random_inputs, randomised

DATASET = "synthetic:shapes-a?n=120&seed=3"


def interleaved(runs: list[Callable[[], object]], repeats: int) -> list[tuple[float, float]]:
    """Median (wall, process CPU) seconds of each of ``runs``, called in turn ``repeats`` times
    after a warm-up of each, so that load from other processes hits all of them alike. CPU time
    counts every thread of this process and not the time spent waiting for a core."""
    for run in runs:
        run()
    walls: list[list[float]] = [[] for _ in runs]
    cpus: list[list[float]] = [[] for _ in runs]
    for _ in range(repeats):
        for position, run in enumerate(runs):
            wall, cpu = time.perf_counter(), time.process_time()
            run()
            walls[position].append(time.perf_counter() - wall)
            cpus[position].append(time.process_time() - cpu)
    return [
        (statistics.median(wall), statistics.median(cpu))
        for wall, cpu in zip(walls, cpus, strict=True)
    ]


def render_ratio(model: str, repeats: int) -> None:
    """Plain LRP pass against cold and warm subgraph renders on one image."""
    loaded = randomised(model)
    lrp = lrp_for(loaded.module, loaded.preprocessing, "epsilon_gamma_box")
    inputs = random_inputs(loaded, batch=1)
    layers = [layer for layer in lrp.network.layers if layer.kind == "conv"]
    chosen = {layers[len(layers) // 2].name: list(range(8)), layers[-1].name: list(range(4))}
    run = RunRow("bench", "bench", loaded.name, "random", "epsilon_gamma_box")
    params = RunParameters(loaded.name, "none", "epsilon_gamma_box", "random")
    context = RunModel(run, params, loaded, lrp, DeconvNet(loaded.module), None, {})  # type: ignore[arg-type]
    renderer = Renderer(RunService(None, device="cpu"))  # type: ignore[arg-type]
    counter = iter(range(10**9))

    def cold() -> object:
        image = ImageInput(inputs, f"cold-{next(counter)}")
        return renderer.heatmap(context, image, None, chosen)

    warm_image = ImageInput(inputs, "warm")

    def warm() -> object:
        step = next(counter)
        subset = {name: indices[: 1 + step % len(indices)] for name, indices in chosen.items()}
        renderer.renders.clear()
        return renderer.heatmap(context, warm_image, None, subset)

    plain, new, same = interleaved([lambda: lrp.attribute(inputs, None), cold, warm], repeats)
    print(f"render ratio ({model}, 1 image, {torch.get_num_threads()} threads, CPU), wall / CPU:")
    print(f"  plain LRP pass              {plain[0] * 1000:8.1f} / {plain[1] * 1000:8.1f} ms")
    for name, (wall, cpu) in (("new image", new), ("same image", same)):
        print(
            f"  subgraph render, {name:10s} {wall * 1000:8.1f} / {cpu * 1000:8.1f} ms  "
            f"ratio {wall / plain[0]:.2f}x / {cpu / plain[1]:.2f}x"
        )


def make_store(folder: Path) -> tuple[Path, Path]:
    """A checkpoint and a store holding a smallcnn64 run over three synthetic classes."""
    checkpoint = folder / "shapes.pt"
    torch.manual_seed(0)
    save_checkpoint(
        checkpoint,
        name="smallcnn64",
        module=small_cnn(3, 64, len(SHAPE_CLASSES)),
        class_names=tuple(SHAPE_CLASSES),
    )
    path = folder / "bench.kuzu"
    options = IngestOptions(
        run="bench",
        dataset=DATASET,
        model="smallcnn64",
        weights=str(checkpoint),
        method="epsilon_plus_flat",
        classes=(0, 1, 2),
        limit=10,
        device="cpu",
    )
    with EmbeddedStore(path) as store:
        ingest(options, store, progress=False)
    return checkpoint, path


def query_overhead(path: Path, folder: Path, repeats: int) -> None:
    """Median endpoint time minus median function time, per query endpoint."""
    with EmbeddedStore(path) as store:
        settings = Settings.from_mapping(
            {"RELEX_DATA_DIR": str(folder / "data"), "RELEX_TRUSTED_HOSTS": "testserver"}
        )
        client = TestClient(create_app(settings, store=store))
        class_id = analysis.list_classes(store, run="bench")[0].id
        neuron = analysis.top_neurons(store, run="bench", class_id=class_id, k=1)[-1].id
        cases: list[tuple[str, dict[str, object], Callable[[], object]]] = [
            ("/api/runs", {}, lambda: analysis.list_runs(store)),
            ("/api/runs/bench/layers", {}, lambda: analysis.list_layers(store, run="bench")),
            (
                "/api/top-neurons",
                {"run": "bench", "class_id": class_id},
                lambda: analysis.top_neurons(store, run="bench", class_id=class_id),
            ),
            (
                "/api/critical-paths",
                {"run": "bench", "class_id": class_id},
                lambda: analysis.critical_paths(store, run="bench", class_id=class_id),
            ),
            (
                "/api/subgraph",
                {"run": "bench", "class_id": class_id},
                lambda: analysis.subgraph(store, run="bench", class_id=class_id).elements(),
            ),
            (
                "/api/neurons/detail",
                {"run": "bench", "neuron": neuron},
                lambda: analysis.neuron_detail(store, run="bench", neuron=neuron),
            ),
        ]
        print(f"query endpoint overhead (median of {repeats} interleaved calls), wall / CPU:")
        for route, params, function in cases:
            direct, served = interleaved([function, _getter(client, route, params)], repeats)
            print(
                f"  {route:24s} function {direct[0] * 1000:6.2f} / {direct[1] * 1000:6.2f} ms  "
                f"endpoint {served[0] * 1000:6.2f} / {served[1] * 1000:6.2f} ms  overhead "
                f"{(served[0] - direct[0]) * 1000:6.2f} / {(served[1] - direct[1]) * 1000:6.2f} ms"
            )


def _getter(client: TestClient, route: str, params: dict[str, object]) -> Callable[[], object]:
    return lambda: client.get(route, params=params).raise_for_status()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def load_test(path: Path, folder: Path, seconds: float, clients: int) -> None:
    """``relex serve`` on loopback and ``clients`` threads mixing queries and renders."""
    with EmbeddedStore(path, read_only=True) as store:
        class_ids = [info.id for info in analysis.list_classes(store, run="bench")]
        model = store.get_run("bench").model
    port = free_port()
    env = {
        **os.environ,
        "RELEX_STORE_PATH": str(path),
        "RELEX_DATA_DIR": str(folder / "serve-data"),
        "RELEX_DEVICE": "cpu",
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "relex", "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_for(base, server)
        with httpx.Client(base_url=base) as probe:
            images = probe.get("/api/runs/bench/images", params={"limit": 30}).json()
        latencies: list[float] = []
        errors: list[str] = []
        lock = threading.Lock()
        stop = time.perf_counter() + seconds

        def client(seed: int) -> None:
            rng = random.Random(seed)
            with httpx.Client(base_url=base, timeout=60) as http:
                while time.perf_counter() < stop:
                    start = time.perf_counter()
                    response = _request(http, rng, class_ids, images, model)
                    took = time.perf_counter() - start
                    with lock:
                        latencies.append(took)
                        if response.status_code != 200:
                            errors.append(f"{response.status_code} {response.text[:100]}")

        started = time.perf_counter()
        threads = [threading.Thread(target=client, args=(seed,)) for seed in range(clients)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - started
    finally:
        server.terminate()
        server.wait(30)
    ordered = sorted(latencies)
    p95 = ordered[int(0.95 * (len(ordered) - 1))]
    print(f"load test: {clients} clients for {seconds:.0f} s on 127.0.0.1 (queries and renders)")
    print(
        f"  {len(latencies)} requests, {len(latencies) / elapsed:.1f} requests/s, "
        f"p50 {statistics.median(ordered) * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms, "
        f"{len(errors)} errors"
    )
    for error in errors[:5]:
        print("  error:", error)


def _request(
    http: httpx.Client,
    rng: random.Random,
    class_ids: list[str],
    images: list[dict[str, object]],
    model: str,
) -> httpx.Response:
    class_id = rng.choice(class_ids)
    kind = rng.randrange(6)
    if kind == 0:
        return http.get("/api/top-neurons", params={"run": "bench", "class_id": class_id})
    if kind == 1:
        return http.get("/api/subgraph", params={"run": "bench", "class_id": class_id})
    if kind == 2:
        return http.get("/api/critical-paths", params={"run": "bench", "class_id": class_id})
    if kind == 3:
        return http.get("/api/runs/bench/layers")
    neurons = [f"{model}/conv3_1/{rng.randrange(64)}" for _ in range(rng.randint(1, 8))]
    body = {"run": "bench", "image_id": rng.choice(images)["id"], "neurons": neurons}
    route = "/api/renders/heatmap" if kind == 4 else "/api/renders/deconvolution"
    return http.post(route, json=body)


def _wait_for(base: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.perf_counter() + 120
    while time.perf_counter() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"relex serve exited: {server.stderr.read().decode()[-2000:]}")  # type: ignore[union-attr]
        try:
            httpx.get(base + "/api/runs", timeout=2).raise_for_status()
            return
        except httpx.HTTPError:
            time.sleep(0.5)
    raise SystemExit("relex serve did not answer within 120 s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--render-model", default="vgg16")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--clients", type=int, default=8)
    args = parser.parse_args()
    render_ratio(args.render_model, args.repeats)
    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary)
        _, path = make_store(folder)
        query_overhead(path, folder, max(args.repeats, 30))
        load_test(path, folder, args.seconds, args.clients)


if __name__ == "__main__":
    main()
