"""A job's page: its progress while it runs, then its outcome (an export's download link,
or the error that stopped it)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse, StreamingResponse

from pixlake.api.deps import DbDep, StoreDep
from pixlake.api.responses import blob_response
from pixlake.core import blobs, exports, jobs
from pixlake.entities.jobs import Job
from pixlake.errors import ResourceNotFoundError
from pixlake.web.auth import PageCallerDep, PageOrganizationDep
from pixlake.web.templating import PageRoute, render

__all__ = ["router"]

router = APIRouter(route_class=PageRoute, include_in_schema=False)


def _state(job: Job) -> dict[str, object]:
    return {
        "status": job.status,
        "done": job.done,
        "total": job.total,
        "message": job.message,
        "error": (job.error or {}).get("detail"),
        "download": job.kind == exports.KIND and job.status == "succeeded",
    }


@router.get("/o/{org}/jobs/{job_id}")
def job_page(
    request: Request, db: DbDep, caller: PageCallerDep, org: PageOrganizationDep, job_id: uuid.UUID
) -> Response:
    job = jobs.get_job(db, caller, org.id, job_id=job_id)
    return render(request, "job.html", job=job, state=_state(job))


@router.get("/o/{org}/jobs/{job_id}/state")
def job_state(
    db: DbDep, caller: PageCallerDep, org: PageOrganizationDep, job_id: uuid.UUID
) -> JSONResponse:
    job = jobs.get_job(db, caller, org.id, job_id=job_id)
    return JSONResponse(_state(job), headers={"Cache-Control": "no-store"})


@router.get("/o/{org}/jobs/{job_id}/download")
def job_download(
    db: DbDep, store: StoreDep, caller: PageCallerDep, org: PageOrganizationDep, job_id: uuid.UUID
) -> StreamingResponse:
    """An export job's zip (its bytes stay a day at least: then garbage collection may take
    them, and the export is started again from the version's page)."""
    job = jobs.get_job(db, caller, org.id, job_id=job_id)
    if job.kind != exports.KIND or job.status != "succeeded" or not job.result:
        raise ResourceNotFoundError("this job has no archive to download (yet)")
    entity, stream = blobs.open_blob(db, store, caller, org.id, digest=str(job.result["sha256"]))
    return blob_response(entity, stream, filename=str(job.result["filename"]))
