"""Background ingest jobs: the ``relex ingest`` worker run in a thread of the server process.

The embedded store has one owner process, so the server runs ingest itself. Each job's state is
a JSON file under ``<data_dir>/jobs`` written atomically (a temporary file renamed over the old
one), so it survives a restart: a job found "running" or "queued" when the server starts was cut
off and is reported as "interrupted"; starting it again resumes the run class by class (the
worker skips the classes the Run already counts as done). The worker reports each Run row it
writes to the job's progress callback and checks the job's cancel event before each batch and
each write: a cancelled job stops there, and a later start resumes the run.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import tempfile
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from relex.ingest.errors import RelexError
from relex.ingest.worker import IngestCancelledError, IngestOptions, ingest
from relex.queries import GraphStore, NotFoundError, RunRow, utc_now
from relex.queries.errors import UserError

log = logging.getLogger(__name__)

JobStatus = Literal["queued", "running", "done", "failed", "cancelled", "interrupted"]
FINISHED: tuple[JobStatus, ...] = ("done", "failed", "cancelled", "interrupted")


class JobCancelledError(IngestCancelledError):
    """Raised inside a job's progress callback when the job was cancelled."""


class JobConflictError(RelexError):
    """A job for the same run is already under way."""


class JobLimitError(RelexError):
    """As many jobs as the server allows are already running (429)."""


@dataclass(frozen=True)
class Job:
    """One ingest job and how far it got: classes and images its run has finished."""

    id: str
    options: dict[str, Any]
    status: JobStatus = "queued"
    created_at: str = field(default_factory=utc_now)
    updated_at: str = field(default_factory=utc_now)
    classes_done: int = 0
    images_done: int = 0
    error: str | None = None


Progress = Callable[[RunRow | None], None]
"""Called as the job goes on, with the Run row when the worker has written it; raises
JobCancelledError once the job is cancelled."""
Runner = Callable[[IngestOptions, GraphStore, Progress, threading.Event], object]
"""Runs a job: its options, the store, its progress callback and its cancel event."""
Check = Callable[[IngestOptions], None]
"""Raises (RelexError) for options the server refuses to run."""


def run_ingest(
    options: IngestOptions, store: GraphStore, progress: Progress, cancel: threading.Event
) -> object:
    """The ``relex ingest`` worker on ``store``, reporting through ``progress`` and stopping
    once ``cancel`` is set."""
    return ingest(options, store, progress=False, on_progress=progress, cancel=cancel)


class JobManager:
    """Jobs of one store, persisted under ``folder``; one thread per running job, at most
    ``max_running`` at once; ``check`` vets each job's options before it starts."""

    def __init__(
        self,
        store: GraphStore,
        folder: Path,
        *,
        runner: Runner = run_ingest,
        max_running: int | None = None,
        check: Check | None = None,
    ) -> None:
        self.store = store
        self.folder = folder
        self.folder.mkdir(parents=True, exist_ok=True)
        self._runner = runner
        self.max_running = max_running
        self._check = check
        self._lock = threading.Lock()
        self._cancel: dict[str, threading.Event] = {}
        self._threads: dict[str, threading.Thread] = {}
        for job in self._load_all():
            if job.status in ("queued", "running"):
                self._save(dataclasses.replace(job, status="interrupted", updated_at=utc_now()))

    def _path(self, job_id: str) -> Path:
        return self.folder / f"{job_id}.json"

    def _save(self, job: Job) -> Job:
        """Write ``job`` atomically: readers see the old file or the new one, never half."""
        handle, temporary = tempfile.mkstemp(dir=self.folder, prefix=".job-", suffix=".tmp")
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump(dataclasses.asdict(job), out)
            out.flush()
            os.fsync(out.fileno())
        Path(temporary).replace(self._path(job.id))
        return job

    def _load_all(self) -> list[Job]:
        return [self._read(path) for path in sorted(self.folder.glob("*.json"))]

    def _read(self, path: Path) -> Job:
        return Job(**json.loads(path.read_text(encoding="utf-8")))

    def get(self, job_id: str) -> Job:
        """Job ``job_id``; NotFoundError if there is none."""
        path = self._path(job_id)
        if not _is_job_id(job_id) or not path.exists():
            raise NotFoundError(f"job {job_id!r} does not exist")
        return self._read(path)

    def list(self) -> list[Job]:
        """Every job, oldest first."""
        return sorted(self._load_all(), key=lambda job: job.created_at)

    def start(self, options: IngestOptions, *, job_id: str | None = None) -> Job:
        """Start ``options`` in a thread; JobConflictError if its run already has a live job,
        JobLimitError if ``max_running`` jobs are live, the check's error if it refuses them.

        Passing the id of a finished job starts that job again (a resume of its run)."""
        if self._check is not None:
            self._check(options)
        with self._lock:
            live = [
                other
                for other in self._load_all()
                if other.status in ("queued", "running") and other.id in self._threads
            ]
            for other in live:
                if other.options["run"] == options.run:
                    raise JobConflictError(
                        f"run {options.run} already has job {other.id} {other.status}"
                    )
            if self.max_running is not None and len(live) >= self.max_running:
                raise JobLimitError(
                    f"{len(live)} jobs are running, as many as this server runs at once "
                    f"(RELEX_MAX_JOBS={self.max_running}): wait for one to finish or cancel one"
                )
            job = Job(id=job_id or uuid.uuid4().hex, options=dataclasses.asdict(options))
            self._save(job)
            cancel = threading.Event()
            self._cancel[job.id] = cancel
            thread = threading.Thread(
                target=self._work, args=(job, options, cancel), name=f"job-{job.id}", daemon=True
            )
            self._threads[job.id] = thread
            thread.start()
            return job

    def restart(self, job_id: str) -> Job:
        """Start a finished (interrupted, failed or cancelled) job again under its id."""
        job = self.get(job_id)
        if job.status not in FINISHED or job.status == "done":
            raise JobConflictError(f"job {job_id} is {job.status}; only a stopped job restarts")
        return self.start(IngestOptions(**_options(job.options)), job_id=job_id)

    def cancel(self, job_id: str) -> Job:
        """Ask job ``job_id`` to stop after its current batch; a finished job stays as it is."""
        job = self.get(job_id)
        event = self._cancel.get(job_id)
        if event is not None and job.status in ("queued", "running"):
            event.set()
        return self.get(job_id)

    def wait(self, job_id: str, timeout: float | None = None) -> Job:
        """Block until job ``job_id``'s thread ends (or ``timeout``); its state."""
        thread = self._threads.get(job_id)
        if thread is not None:
            thread.join(timeout)
        return self.get(job_id)

    def _work(self, job: Job, options: IngestOptions, cancel: threading.Event) -> None:
        job = self._save(dataclasses.replace(job, status="running", updated_at=utc_now()))

        def progress(run: RunRow | None) -> None:
            nonlocal job
            if cancel.is_set():
                raise JobCancelledError(f"job {job.id} was cancelled")
            if run is not None:
                job = self._save(
                    dataclasses.replace(
                        job, classes_done=run.classes, images_done=run.images, updated_at=utc_now()
                    )
                )

        try:
            self._runner(options, self.store, progress, cancel)
        except IngestCancelledError:
            self._save(dataclasses.replace(job, status="cancelled", updated_at=utc_now()))
        except (UserError, OSError, ValueError) as exc:
            log.warning("job %s failed: %s", job.id, exc)
            self._save(
                dataclasses.replace(job, status="failed", error=str(exc), updated_at=utc_now())
            )
        except Exception as exc:  # a bug: keep the server up and say what happened
            log.exception("job %s crashed", job.id)
            self._save(
                dataclasses.replace(
                    job, status="failed", error=f"{type(exc).__name__}: {exc}", updated_at=utc_now()
                )
            )
        else:
            self._save(dataclasses.replace(job, status="done", updated_at=utc_now()))
        finally:
            self._threads.pop(job.id, None)
            self._cancel.pop(job.id, None)


def _options(saved: dict[str, Any]) -> dict[str, Any]:
    classes = saved.get("classes")
    return {**saved, "classes": tuple(classes) if classes is not None else None}


def _is_job_id(job_id: str) -> bool:
    return len(job_id) == 32 and all(c in "0123456789abcdef" for c in job_id)
