"""Ingest runs as background jobs: start, poll, cancel, restart, each with the server's token
(:mod:`api.auth`); datasets and weights must lie under the data roots (:mod:`api.roots`)."""

from __future__ import annotations

import dataclasses

from fastapi import APIRouter, status

from relex.api.auth import Authorized
from relex.api.jobs import Job
from relex.api.schemas import JobOut, JobRequest
from relex.api.state import State
from relex.ingest.worker import IngestOptions

router = APIRouter(prefix="/api/jobs", tags=["jobs"], dependencies=[Authorized])


def _out(job: Job) -> JobOut:
    return JobOut(**dataclasses.asdict(job))


@router.post("", response_model=JobOut, status_code=status.HTTP_202_ACCEPTED)
def start_job(state: State, body: JobRequest) -> JobOut:
    """Start an ingest run (the same worker as ``relex ingest``) in the server process."""
    options = IngestOptions(
        **body.model_dump(exclude={"classes"}),
        classes=tuple(body.classes) if body.classes is not None else None,
        device=state.settings.device,
    )
    return _out(state.jobs.start(options))


@router.get("", response_model=list[JobOut])
def list_jobs(state: State) -> list[JobOut]:
    """Every job, oldest first."""
    return [_out(job) for job in state.jobs.list()]


@router.get("/{job_id}", response_model=JobOut)
def get_job(state: State, job_id: str) -> JobOut:
    """A job's status and progress."""
    return _out(state.jobs.get(job_id))


@router.delete("/{job_id}", response_model=JobOut)
def cancel_job(state: State, job_id: str) -> JobOut:
    """Ask a job to stop at its next write (its run can be resumed later)."""
    return _out(state.jobs.cancel(job_id))


@router.post(
    "/{job_id}/restart",
    response_model=JobOut,
    status_code=status.HTTP_202_ACCEPTED,
)
def restart_job(state: State, job_id: str) -> JobOut:
    """Start an interrupted, failed or cancelled job again: its run resumes class by class."""
    return _out(state.jobs.restart(job_id))
