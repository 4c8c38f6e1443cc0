"""Jobs: their rows, from queued to ended."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import select, update

from pixlake.entities.jobs import UNFINISHED, Job
from pixlake.store.db.models import JobRow
from pixlake.store.db.repositories._base import Repository

__all__ = ["JobRepository", "StartedJob"]


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


class StartedJob:
    """What a runner needs of a job it starts: its kind, its parameters, its organization."""

    __slots__ = ("kind", "organization_id", "params")

    def __init__(self, kind: str, params: dict[str, Any], organization_id: uuid.UUID) -> None:
        self.kind = kind
        self.params = params
        self.organization_id = organization_id


class JobRepository(Repository):
    __slots__ = ()

    def add(
        self,
        organization_id: uuid.UUID,
        *,
        created_by: uuid.UUID,
        kind: str,
        params: dict[str, Any],
        runner: str,
    ) -> Job:
        """Queue a job for ``runner`` (the process that will run it, ``host:pid``)."""
        row = JobRow(
            id=uuid.uuid4(),
            organization_id=organization_id,
            created_by=created_by,
            kind=kind,
            params=params,
            runner=runner,
        )
        with self._guard(missing="the organization or the user of this job no longer exists"):
            self.session.add(row)
        return _entity(row)

    def get(self, organization_id: uuid.UUID, job_id: uuid.UUID) -> Job | None:
        row = self.session.scalars(
            select(JobRow).where(JobRow.id == job_id, JobRow.organization_id == organization_id)
        ).one_or_none()
        return None if row is None else _entity(row)

    def kind_of(self, job_id: uuid.UUID) -> str | None:
        return self.session.scalar(select(JobRow.kind).where(JobRow.id == job_id))

    def start(self, job_id: uuid.UUID, *, at: datetime) -> StartedJob:
        """Mark the job running since ``at``."""
        row = self.session.scalars(select(JobRow).where(JobRow.id == job_id)).one()
        row.status = "running"
        row.started_at = at
        return StartedJob(row.kind, dict(row.params), row.organization_id)

    def progress(self, job_id: uuid.UUID, *, done: int, total: int, message: str) -> None:
        self.session.execute(
            update(JobRow)
            .where(JobRow.id == job_id)
            .values(done=done, total=total, message=message)
        )

    def finish(
        self,
        job_ids: list[uuid.UUID],
        *,
        status: str,
        at: datetime,
        result: dict[str, Any] | None = None,
        error: dict[str, Any] | None = None,
    ) -> None:
        """End these jobs with ``status`` at ``at``, with a result or an error."""
        values: dict[str, Any] = {"status": status, "finished_at": at}
        if result is not None:
            values["result"] = result
        if error is not None:
            values["error"] = error
        self.session.execute(update(JobRow).where(JobRow.id.in_(job_ids)).values(**values))

    def unfinished_on(self, host: str) -> list[tuple[uuid.UUID, str]]:
        """The unfinished jobs (id, runner) of the runners of ``host``."""
        rows = self.session.execute(
            select(JobRow.id, JobRow.runner).where(
                JobRow.status.in_(UNFINISHED), JobRow.runner.startswith(host + ":")
            )
        )
        return [(job_id, runner) for job_id, runner in rows]

    def queued_of_kind(self, organization_id: uuid.UUID, kind: str) -> uuid.UUID | None:
        """A job of this kind of the organization that has not started yet, if any."""
        return self.session.scalar(
            select(JobRow.id)
            .where(
                JobRow.organization_id == organization_id,
                JobRow.kind == kind,
                JobRow.status == "queued",
            )
            .limit(1)
        )

    def unfinished_params(self) -> list[tuple[uuid.UUID, dict[str, Any]]]:
        """The parameters of every unfinished job, with its organization."""
        rows = self.session.execute(
            select(JobRow.organization_id, JobRow.params).where(JobRow.status.in_(UNFINISHED))
        )
        return [(org, params) for org, params in rows]
