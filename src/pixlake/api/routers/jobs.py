"""Background jobs (dataset imports) and their progress.

POST /organizations/{org}/imports     start importing an uploaded import document (202)
GET  /organizations/{org}/jobs/{id}   a job's state, progress and outcome
"""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request, status

from pixlake.api.deps import CallerDep, DbDep, OrganizationDep
from pixlake.core import imports, jobs
from pixlake.core.jobs import Job
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
    job = jobs.create_job(db, caller, org.id, imports.KIND, params, runner=runner.name)
    runner.submit(job.id, caller)
    return job_public(job)


@router.get("/jobs/{job_id}", summary="A job's state and progress")
def get_job(job_id: uuid.UUID, org: OrganizationDep, caller: CallerDep, db: DbDep) -> JobPublic:
    return job_public(jobs.get_job(db, caller, org.id, job_id))
