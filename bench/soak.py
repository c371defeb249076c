"""Soak test: ``relex serve`` on 127.0.0.1 under steady load, and whether its memory stays flat.

    python -m bench.soak                      # 8 clients, 20 s warm-up, then 60 s measured
    python -m bench.soak --clients 8 --seconds 60 --warmup 20 --max-requests 200000
    python -m bench.soak --kinds heatmap      # one kind of request only (top, paths, heatmap)

The server runs in a subprocess (``python -m relex.cli serve``) over a small real run
(smallcnn64 on three synthetic classes, as ``bench.api`` builds it). CLIENTS threads send, for
WARMUP and then SECONDS seconds, a mix of top-neuron queries, critical-path queries and subgraph
heatmap renders of random neuron selections; each phase stops early after MAX_REQUESTS. Printed:
requests/s, p50/p95/p99 latency and errors of the measured phase, and the server's resident
memory (VmRSS) after the warm-up and at the end. Targets: no errors, RSS growth under 50 MB.
Loopback only: nothing leaves the machine.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from bench.api import _wait_for, free_port, make_store
from relex.queries import analysis
from relex.queries.embedded import EmbeddedStore

RUN = "bench"
KINDS = ("top", "paths", "heatmap")
WEIGHTS = {"top": 0.4, "paths": 0.3, "heatmap": 0.3}


@dataclass
class Tally:
    """Latencies and errors of one phase, shared by the client threads."""

    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def rss_mb(pid: int) -> float:
    """Resident memory of process ``pid`` in MB (Linux ``/proc``)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


def request(
    http: httpx.Client,
    rng: random.Random,
    kinds: tuple[str, ...],
    classes: list[str],
    images: list[str],
    model: str,
) -> httpx.Response:
    """One request of the mix, drawn among ``kinds`` (top neurons 40%, critical paths 30%,
    subgraph heatmaps 30%, renormalised over the kinds chosen)."""
    class_id = rng.choice(classes)
    kind = rng.choices(kinds, weights=[WEIGHTS[kind] for kind in kinds])[0]
    if kind == "top":
        return http.get("/api/top-neurons", params={"run": RUN, "class_id": class_id})
    if kind == "paths":
        return http.get("/api/critical-paths", params={"run": RUN, "class_id": class_id})
    neurons = [f"{model}/conv3_1/{rng.randrange(64)}" for _ in range(rng.randint(1, 4))]
    body = {"run": RUN, "image_id": rng.choice(images), "neurons": neurons}
    return http.post("/api/renders/heatmap", json=body, params={"format": "json"})


def phase(
    base: str,
    clients: int,
    seconds: float,
    max_requests: int,
    mix: tuple[tuple[str, ...], list[str], list[str], str],
    seed: int,
) -> tuple[Tally, float]:
    """``clients`` threads for ``seconds`` (or ``max_requests`` in all); the tally and the
    seconds it took."""
    tally = Tally()
    stop = time.perf_counter() + seconds

    def client(number: int) -> None:
        rng = random.Random(seed * 1000 + number)
        with httpx.Client(base_url=base, timeout=60) as http:
            while time.perf_counter() < stop:
                with tally.lock:
                    if len(tally.latencies) >= max_requests:
                        return
                start = time.perf_counter()
                try:
                    response = request(http, rng, *mix)
                    problem = None if response.status_code == 200 else response.text[:120]
                    status = response.status_code
                except httpx.HTTPError as error:
                    problem, status = str(error), 0
                took = time.perf_counter() - start
                with tally.lock:
                    tally.latencies.append(took)
                    if problem is not None:
                        tally.errors.append(f"{status} {problem}")

    started = time.perf_counter()
    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return tally, time.perf_counter() - started


def percentile(ordered: list[float], fraction: float) -> float:
    return ordered[min(len(ordered) - 1, int(fraction * (len(ordered) - 1)))]


def soak(
    folder: Path,
    clients: int,
    seconds: float,
    warmup: float,
    max_requests: int,
    kinds: tuple[str, ...] = KINDS,
) -> None:
    """Build the run, start the server, warm it up, measure, report."""
    _, path = make_store(folder)
    with EmbeddedStore(path, read_only=True) as store:
        classes = [info.id for info in analysis.list_classes(store, run=RUN)]
        model = store.get_run(RUN).model
    port = free_port()
    env = {
        **os.environ,
        "RELEX_STORE_PATH": str(path),
        "RELEX_DATA_DIR": str(folder / "serve-data"),
        "RELEX_DEVICE": "cpu",
    }
    command = [sys.executable, "-m", "relex.cli", "serve", "--host", "127.0.0.1"]
    server = subprocess.Popen(
        [*command, "--port", str(port)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_for(base, server)
        with httpx.Client(base_url=base) as probe:
            listed = probe.get(f"/api/runs/{RUN}/images", params={"limit": 30}).json()
        mix = (kinds, [*classes], [image["id"] for image in listed], model)
        start_rss = rss_mb(server.pid)
        warm, _ = phase(base, clients, warmup, max_requests, mix, seed=1)
        warm_rss = rss_mb(server.pid)
        tally, elapsed = phase(base, clients, seconds, max_requests, mix, seed=2)
        end_rss = rss_mb(server.pid)
    finally:
        server.terminate()
        server.wait(30)
    ordered = sorted(tally.latencies)
    p50, p95, p99 = (percentile(ordered, q) * 1000 for q in (0.5, 0.95, 0.99))
    print(
        f"soak ({', '.join(kinds)}): {clients} clients, {warmup:.0f} s warm-up "
        f"({len(warm.latencies)} requests, {len(warm.errors)} errors), then {elapsed:.0f} s "
        "measured on 127.0.0.1"
    )
    print(
        f"  {len(ordered)} requests, {len(ordered) / elapsed:.1f} requests/s, "
        f"p50 {p50:.1f} ms, p95 {p95:.1f} ms, p99 {p99:.1f} ms, {len(tally.errors)} errors"
    )
    print(
        f"  server RSS: {start_rss:.0f} MB at start, {warm_rss:.0f} MB after warm-up, "
        f"{end_rss:.0f} MB at the end: growth {end_rss - warm_rss:+.1f} MB (target < 50 MB)"
    )
    for error in tally.errors[:5]:
        print("  error:", error)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--warmup", type=float, default=20.0)
    parser.add_argument("--max-requests", type=int, default=200_000)
    parser.add_argument(
        "--kinds", default=",".join(KINDS), help=f"Comma-separated, among {', '.join(KINDS)}."
    )
    args = parser.parse_args()
    kinds = tuple(kind.strip() for kind in args.kinds.split(",") if kind.strip())
    if not kinds or not set(kinds) <= set(KINDS):
        parser.error(f"--kinds takes some of {', '.join(KINDS)}")
    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary)
        soak(folder, args.clients, args.seconds, args.warmup, args.max_requests, kinds)


if __name__ == "__main__":
    main()
