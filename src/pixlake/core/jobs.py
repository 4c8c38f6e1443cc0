"""Jobs as the API sees them: create one for a caller, read its state."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from pixlake.core.accounts import require_organization
from pixlake.core.blobs import require_held
from pixlake.entities.accounts import Caller
from pixlake.entities.jobs import Job
from pixlake.errors import ResourceNotFoundError
from pixlake.store.db.engine import Database

__all__ = ["create_job", "get_job"]


def create_job(
    db: Database,
    caller: Caller,
    organization_id: uuid.UUID,
    *,
    kind: str,
    params: dict[str, Any],
    runner: str,
    reads: Mapping[str, str] | None = None,
) -> Job:
    """Queue a job.  ``reads`` names the blobs it will read, by parameter: the organization
    must hold each (a queued job's parameters keep their bytes from garbage collection)."""
    require_organization(caller, organization_id, write=True)
    with db.transaction() as tx:
        for field, digest in (reads or {}).items():
            require_held(tx, organization_id, digest, field=field)
        return tx.jobs.add(
            organization_id, created_by=caller.user_id, kind=kind, params=params, runner=runner
        )


def get_job(db: Database, caller: Caller, organization_id: uuid.UUID, *, job_id: uuid.UUID) -> Job:
    require_organization(caller, organization_id, write=False)
    with db.read() as tx:
        job = tx.jobs.get(organization_id, job_id)
    if job is None:
        raise ResourceNotFoundError(f"no job {job_id} in this organization")
    return job
