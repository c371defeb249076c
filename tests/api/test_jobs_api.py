"""Ingest jobs: a job runs the worker in the server and its run lands in the store; state is
on disk, so a restart reports a cut-off job as interrupted and it can be started again; cancel
stops at the next write; with RELEX_API_TOKEN set, starting and cancelling need the token."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.jobs import JobManager, Progress
from ingest.worker import IngestOptions
from queries import GraphStore
from queries.embedded import EmbeddedStore
from tests.api.conftest import DATASET, settings_for


@pytest.fixture
def store(tmp_path: Path) -> GraphStore:
    with EmbeddedStore(tmp_path / "jobs.kuzu") as handle:
        yield handle  # type: ignore[misc]


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
    app = create_app(settings_for(tmp_path / "data"), store=store)
    client = TestClient(app)
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


def test_the_token_guards_starting_and_cancelling(
    tmp_path: Path, store: GraphStore, checkpoint: Path
) -> None:
    app = create_app(settings_for(tmp_path / "data", RELEX_API_TOKEN="s3cret"), store=store)
    client = TestClient(app)
    missing = client.post("/api/jobs", json=job_body(checkpoint))
    assert missing.status_code == 401 and "bearer token" in missing.json()["detail"]
    wrong = client.post(
        "/api/jobs", json=job_body(checkpoint), headers={"Authorization": "Bearer nope"}
    )
    assert wrong.status_code == 403 and "not this server's" in wrong.json()["detail"]
    assert client.delete("/api/jobs/" + "0" * 32).status_code == 401
    assert client.get("/api/jobs").status_code == 200
    assert client.get("/api/runs").json() == []
    good = client.post(
        "/api/jobs", json=job_body(checkpoint), headers={"Authorization": "Bearer s3cret"}
    )
    assert good.status_code == 202
    app.state.relex.jobs.wait(good.json()["id"], timeout=120)


def test_a_cut_off_job_is_interrupted_after_a_restart_and_starts_again(
    tmp_path: Path, store: GraphStore
) -> None:
    release, entered = threading.Event(), threading.Event()

    def stuck(options: IngestOptions, graph: GraphStore, progress: Progress) -> None:
        progress(None)
        entered.set()
        release.wait(30)

    folder = tmp_path / "jobs"
    first = JobManager(store, folder, runner=stuck)
    job = first.start(IngestOptions(run="r9", dataset=DATASET))
    assert entered.wait(10) and first.get(job.id).status == "running"

    calls: list[str] = []
    second = JobManager(
        store, folder, runner=lambda options, graph, progress: calls.append(options.run)
    )
    assert second.get(job.id).status == "interrupted"
    again = second.restart(job.id)
    assert again.id == job.id
    assert second.wait(job.id, timeout=30).status == "done" and calls == ["r9"]
    release.set()


def test_cancel_stops_the_job_at_its_next_write(tmp_path: Path, store: GraphStore) -> None:
    started = threading.Event()
    writes: list[int] = []

    def slow(options: IngestOptions, graph: GraphStore, progress: Progress) -> None:
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
    client = TestClient(create_app(settings_for(tmp_path / "data"), store=store))
    assert client.post("/api/jobs", json={"run": "a/b", "dataset": DATASET}).status_code == 422
    assert client.get("/api/jobs/not-a-job").status_code == 404
    failed = client.post("/api/jobs", json={**job_body(checkpoint), "dataset": "nosuch:x"})
    job = client.app.state.relex.jobs.wait(failed.json()["id"], timeout=60)  # type: ignore[attr-defined]
    assert job.status == "failed" and "nosuch" in (job.error or "")
