"""Ingest jobs: a job runs the worker in the server and its run lands in the store; state is
on disk, so a restart reports a cut-off job as interrupted and it can be started again; cancel
stops at the next write; every job endpoint needs the server's token (RELEX_API_TOKEN, or one
the app makes); datasets and weights must lie under the data roots, whose errors say the same
for a path that is missing and one that is outside; running jobs and synthetic sizes are capped."""

from __future__ import annotations

import json
import os
import re
import threading
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from relex.api.app import create_app
from relex.api.jobs import JobManager, Progress
from relex.api.settings import Settings
from relex.ingest.worker import IngestOptions
from relex.queries import GraphStore
from relex.queries.embedded import EmbeddedStore
from tests.api.conftest import DATASET, settings_for


@pytest.fixture
def store(tmp_path: Path) -> GraphStore:
    with EmbeddedStore(tmp_path / "jobs.kuzu") as handle:
        yield handle  # type: ignore[misc]


def job_settings(data_dir: Path, checkpoint: Path, **values: str) -> Settings:
    """Settings whose data roots hold the data folder and the checkpoint's folder."""
    roots = os.pathsep.join([str(data_dir), str(checkpoint.parent)])
    return settings_for(data_dir, RELEX_DATA_ROOTS=roots, **values)


def bearer(app: FastAPI) -> dict[str, str]:
    """The header that carries ``app``'s token."""
    return {"Authorization": f"Bearer {app.state.relex.token}"}


def job_body(checkpoint: Path, run: str = "j1") -> dict[str, object]:
    return {
        "run": run,
        "dataset": DATASET,
        "model": "smallcnn64",
        "weights": str(checkpoint),
        "method": "epsilon_plus_flat",
        "top_k": 2,
        "batch_size": 8,
        "classes": [1],
        "limit": 3,
    }


def test_a_job_runs_the_worker_and_its_run_is_queryable(
    tmp_path: Path, store: GraphStore, checkpoint: Path
) -> None:
    app = create_app(job_settings(tmp_path / "data", checkpoint), store=store)
    client = TestClient(app, headers=bearer(app))
    started = client.post("/api/jobs", json=job_body(checkpoint))
    assert started.status_code == 202, started.text
    job_id = started.json()["id"]
    finished = app.state.relex.jobs.wait(job_id, timeout=120)
    assert finished.status == "done", finished.error
    polled = client.get(f"/api/jobs/{job_id}").json()
    assert polled["status"] == "done" and polled["classes_done"] == 1 and polled["images_done"] == 3
    assert [run["id"] for run in client.get("/api/runs").json()] == ["j1"]
    saved = json.loads((tmp_path / "data" / "jobs" / f"{job_id}.json").read_text())
    assert saved["status"] == "done"


def test_the_token_guards_every_job_endpoint(
    tmp_path: Path, store: GraphStore, checkpoint: Path
) -> None:
    settings = job_settings(tmp_path / "data", checkpoint, RELEX_API_TOKEN="s3cret")
    app = create_app(settings, store=store)
    client = TestClient(app)
    missing = client.post("/api/jobs", json=job_body(checkpoint))
    assert missing.status_code == 401 and "token" in missing.json()["detail"]
    assert missing.headers["www-authenticate"] == "Bearer"
    wrong = client.post(
        "/api/jobs", json=job_body(checkpoint), headers={"Authorization": "Bearer nope"}
    )
    assert wrong.status_code == 403 and "not this server's" in wrong.json()["detail"]
    for method, path in (
        ("DELETE", "/api/jobs/" + "0" * 32),
        ("POST", "/api/jobs/" + "0" * 32 + "/restart"),
        ("GET", "/api/jobs"),
        ("GET", "/api/jobs/" + "0" * 32),
    ):
        assert client.request(method, path).status_code == 401, (method, path)
        assert client.request(method, path, params={"token": "nope"}).status_code == 403
    assert client.get("/api/runs").json() == []
    assert client.get("/api/jobs", params={"token": "s3cret"}).json() == []
    good = client.post(
        "/api/jobs", json=job_body(checkpoint), headers={"Authorization": "Bearer s3cret"}
    )
    assert good.status_code == 202
    app.state.relex.jobs.wait(good.json()["id"], timeout=120)


def test_without_a_configured_token_the_app_makes_one(tmp_path: Path, store: GraphStore) -> None:
    first = create_app(settings_for(tmp_path / "a"), store=store)
    second = create_app(settings_for(tmp_path / "b"), store=store)
    token = first.state.relex.token
    assert len(token) >= 32 and token != second.state.relex.token
    client = TestClient(first)
    assert client.post("/api/jobs", json={"run": "x", "dataset": DATASET}).status_code == 401
    assert client.get("/api/jobs").status_code == 401
    assert client.get("/api/jobs", headers=bearer(second)).status_code == 403
    assert client.get("/api/jobs", headers=bearer(first)).json() == []


def test_a_cut_off_job_is_interrupted_after_a_restart_and_starts_again(
    tmp_path: Path, store: GraphStore
) -> None:
    release, entered = threading.Event(), threading.Event()

    def stuck(
        options: IngestOptions, graph: GraphStore, progress: Progress, cancel: threading.Event
    ) -> None:
        progress(None)
        entered.set()
        release.wait(30)

    folder = tmp_path / "jobs"
    first = JobManager(store, folder, runner=stuck)
    job = first.start(IngestOptions(run="r9", dataset=DATASET))
    assert entered.wait(10) and first.get(job.id).status == "running"

    calls: list[str] = []
    second = JobManager(
        store, folder, runner=lambda options, graph, progress, cancel: calls.append(options.run)
    )
    assert second.get(job.id).status == "interrupted"
    again = second.restart(job.id)
    assert again.id == job.id
    assert second.wait(job.id, timeout=30).status == "done" and calls == ["r9"]
    release.set()


def test_cancel_stops_the_job_at_its_next_write(tmp_path: Path, store: GraphStore) -> None:
    started = threading.Event()
    writes: list[int] = []

    def slow(
        options: IngestOptions, graph: GraphStore, progress: Progress, cancel: threading.Event
    ) -> None:
        for step in range(200):
            progress(None)
            writes.append(step)
            started.set()
            threading.Event().wait(0.02)

    jobs = JobManager(store, tmp_path / "jobs", runner=slow)
    job = jobs.start(IngestOptions(run="r8", dataset=DATASET))
    assert started.wait(10)
    jobs.cancel(job.id)
    assert jobs.wait(job.id, timeout=10).status == "cancelled"
    assert len(writes) < 200


def test_bad_job_requests_are_4xx(tmp_path: Path, store: GraphStore, checkpoint: Path) -> None:
    app = create_app(job_settings(tmp_path / "data", checkpoint), store=store)
    client = TestClient(app, headers=bearer(app))
    assert client.post("/api/jobs", json={"run": "a/b", "dataset": DATASET}).status_code == 422
    assert client.get("/api/jobs/not-a-job").status_code == 404
    unknown = client.post("/api/jobs", json={**job_body(checkpoint), "dataset": "nosuch:x"})
    assert unknown.status_code == 422 and "KIND:LOCATION" in unknown.json()["detail"]
    bad = client.post("/api/jobs", json={**job_body(checkpoint), "weights": str(checkpoint) + "x"})
    assert bad.status_code == 422 and client.get("/api/jobs").json() == []


def refusal(client: TestClient, checkpoint: Path, **body: object) -> tuple[int, str]:
    """Status and reason of a job request whose body differs from ``job_body`` by ``body``."""
    answer = client.post("/api/jobs", json={**job_body(checkpoint), **body})
    return answer.status_code, re.sub(r"'[^']*'", "<path>", answer.json()["detail"])


def test_paths_outside_the_roots_read_like_missing_ones(
    tmp_path: Path, store: GraphStore, checkpoint: Path
) -> None:
    data = tmp_path / "data"
    (data / "inside").mkdir(parents=True)
    outside = tmp_path / "outside"
    (outside / "classes").mkdir(parents=True)
    secret = outside / "secret.pt"
    secret.write_bytes(checkpoint.read_bytes())
    (data / "link").symlink_to(outside / "classes")
    app = create_app(job_settings(data, checkpoint), store=store)
    client = TestClient(app, headers=bearer(app))

    folders = [
        refusal(client, checkpoint, dataset=f"imagefolder:{folder}")
        for folder in (outside / "classes", tmp_path / "missing", data / "link", data / "nothing")
    ]
    assert folders[0][0] == 422 and "not a folder under the data roots" in folders[0][1]
    assert all(answer == folders[0] for answer in folders), folders
    files = [
        refusal(client, checkpoint, weights=str(path))
        for path in (secret, tmp_path / "missing.pt", data / "inside")
    ]
    assert files[0][0] == 422 and "not a file under the data roots" in files[0][1]
    assert all(answer == files[0] for answer in files), files
    masks = refusal(client, checkpoint, dataset=f"imagefolder:{data / 'inside'}?masks={outside}")
    assert masks[0] == 422 and "masks folder" in masks[1]
    assert client.get("/api/jobs").json() == []


def test_synthetic_datasets_are_capped(tmp_path: Path, store: GraphStore, checkpoint: Path) -> None:
    app = create_app(job_settings(tmp_path / "data", checkpoint), store=store)
    client = TestClient(app, headers=bearer(app))
    many = client.post(
        "/api/jobs", json={**job_body(checkpoint), "dataset": "synthetic:shapes-a?n=10000000"}
    )
    assert many.status_code == 422 and "n=10000000" in many.json()["detail"]
    wide = client.post(
        "/api/jobs", json={**job_body(checkpoint), "dataset": "synthetic:shapes-a?size=100000"}
    )
    assert wide.status_code == 422 and "size=100000" in wide.json()["detail"]


def test_running_jobs_are_capped(tmp_path: Path, store: GraphStore, checkpoint: Path) -> None:
    release = threading.Event()

    def stuck(
        options: IngestOptions, graph: GraphStore, progress: Progress, cancel: threading.Event
    ) -> None:
        release.wait(30)

    settings = job_settings(tmp_path / "data", checkpoint, RELEX_MAX_JOBS="2")
    app = create_app(settings, store=store)
    state = app.state.relex
    state.jobs = JobManager(store, tmp_path / "jobs", runner=stuck, max_running=settings.max_jobs)
    client = TestClient(app, headers=bearer(app))
    started = [client.post("/api/jobs", json=job_body(checkpoint, f"c{i}")) for i in range(3)]
    assert [answer.status_code for answer in started] == [202, 202, 429]
    assert "RELEX_MAX_JOBS=2" in started[2].json()["detail"]
    release.set()
    for answer in started[:2]:
        assert state.jobs.wait(answer.json()["id"], timeout=30).status == "done"
    assert client.post("/api/jobs", json=job_body(checkpoint, "c3")).status_code == 202
