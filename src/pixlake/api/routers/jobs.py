"""Background jobs (dataset imports) and their progress.

POST /organizations/{org}/imports     start importing an uploaded import document (202)
GET  /organizations/{org}/jobs/{id}   a job's state, progress and outcome; with ``wait``,
                                      answered once the job ends or that many seconds pass
"""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request, status
from starlette.concurrency import run_in_threadpool

from pixlake.api.deps import CallerDep, DbDep, OrganizationDep
from pixlake.core import imports, jobs
from pixlake.entities.jobs import UNFINISHED, Job
from pixlake.errors import InvalidInputError
from pixlake.jobs import JobRunner
from pixlake.schemas.datasets import ImportCreate, JobPublic

router = APIRouter(prefix="/organizations/{org_id}", tags=["jobs"])


def job_public(job: Job) -> JobPublic:
    return JobPublic(
        id=job.id,
        kind=job.kind,
        status=job.status,
        done=job.done,
        total=job.total,
        message=job.message,
        result=job.result,
        error=job.error,
        created_at=job.created_at,
        started_at=job.started_at,
        finished_at=job.finished_at,
    )


@router.post(
    "/imports",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Import a dataset from an uploaded import document, as a job",
)
def create_import(
    body: ImportCreate, request: Request, org: OrganizationDep, caller: CallerDep, db: DbDep
) -> JobPublic:
    if (body.name is None) == (body.version_id is None):
        raise InvalidInputError(
            "give either name (a new dataset) or version_id (annotate a version)",
            details=[{"field": "name", "message": "expected exactly one of name and version_id"}],
        )
    runner: JobRunner = request.app.state.jobs
    params = body.model_dump(mode="json")
    job = jobs.create_job(
        db,
        caller,
        org.id,
        kind=imports.KIND,
        params=params,
        runner=runner.name,
        reads={"document": body.document},
    )
    runner.submit(job.id, caller)
    return job_public(job)


#: The longest a request may wait for a job to end, and how often the job is read meanwhile.
MAX_WAIT_SECONDS = 10.0
WAIT_STEP_SECONDS = 0.02


@router.get(
    "/jobs/{job_id}",
    summary="A job's state and progress",
    description="With `wait`, the answer comes as soon as the job has ended, or after `wait` "
    "seconds with its progress: a client follows a job with one request at a time and "
    "learns of its end within a few milliseconds.",
)
async def get_job(
    job_id: uuid.UUID,
    org: OrganizationDep,
    caller: CallerDep,
    db: DbDep,
    wait: Annotated[
        float, Query(ge=0, le=MAX_WAIT_SECONDS, description="seconds to wait for the end")
    ] = 0.0,
) -> JobPublic:
    deadline = time.monotonic() + wait
    job = await run_in_threadpool(jobs.get_job, db, caller, org.id, job_id=job_id)
    while job.status in UNFINISHED and time.monotonic() < deadline:
        await asyncio.sleep(WAIT_STEP_SECONDS)
        job = await run_in_threadpool(jobs.get_job, db, caller, org.id, job_id=job_id)
    return job_public(job)
