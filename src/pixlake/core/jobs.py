"""Jobs as the API sees them: create one for a caller, read its state."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from pixlake.core.accounts import require_organization
from pixlake.core.blobs import require_held
from pixlake.entities.accounts import Caller
from pixlake.errors import ResourceNotFoundError
from pixlake.store.db.engine import Database
from pixlake.store.db.models import JobRow

__all__ = ["UNFINISHED", "Job", "create_job", "get_job"]

#: The states of a job that has not ended.
UNFINISHED = ("queued", "running")


@dataclass(frozen=True, slots=True)
class Job:
    id: uuid.UUID
    kind: str
    status: str
    done: int
    total: int
    message: str
    result: dict[str, Any] | None
    error: dict[str, Any] | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


def _entity(row: JobRow) -> Job:
    return Job(
        id=row.id,
        kind=row.kind,
        status=row.status,
        done=row.done,
        total=row.total,
        message=row.message,
        result=row.result,
        error=row.error,
        created_at=row.created_at,
        started_at=row.started_at,
        finished_at=row.finished_at,
    )


def create_job(
    db: Database,
    caller: Caller,
    organization_id: uuid.UUID,
    kind: str,
    params: dict[str, Any],
    *,
    runner: str,
    reads: Mapping[str, str] | None = None,
) -> Job:
    """Queue a job.  ``reads`` names the blobs it will read, by parameter: the organization
    must hold each (a queued job's parameters keep their bytes from garbage collection)."""
    require_organization(caller, organization_id, write=True)
    with db.transaction() as tx:
        session = tx.session
        for field, digest in (reads or {}).items():
            require_held(tx, organization_id, digest, field)
        row = JobRow(
            id=uuid.uuid4(),
            organization_id=organization_id,
            created_by=caller.user_id,
            kind=kind,
            params=params,
            runner=runner,
        )
        session.add(row)
        session.flush()
        return _entity(row)


def get_job(db: Database, caller: Caller, organization_id: uuid.UUID, job_id: uuid.UUID) -> Job:
    require_organization(caller, organization_id, write=False)
    with db.read() as tx:
        session = tx.session
        row = session.scalars(
            select(JobRow).where(JobRow.id == job_id, JobRow.organization_id == organization_id)
        ).one_or_none()
        if row is None:
            raise ResourceNotFoundError(f"no job {job_id} in this organization")
        return _entity(row)
