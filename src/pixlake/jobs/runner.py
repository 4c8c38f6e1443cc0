"""Job runners and the registry of job kinds."""

from __future__ import annotations

import logging
import os
import socket
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import select, update

from pixlake.entities.accounts import Caller
from pixlake.errors import PicselliaError
from pixlake.store.blobs import BlobStore
from pixlake.store.db.engine import Database
from pixlake.store.db.models import JobRow, utcnow

__all__ = [
    "JobContext",
    "JobHandler",
    "JobRunner",
    "ThreadJobRunner",
    "job_handler",
    "run_job",
    "runner_name",
]

log = logging.getLogger("pixlake.jobs")


@dataclass
class JobContext:
    """What a job function gets: the stores, who asked, and a progress reporter."""

    job_id: uuid.UUID
    db: Database
    store: BlobStore
    caller: Caller
    organization_id: uuid.UUID
    _last_report: float = 0.0

    def progress(self, done: int, total: int, message: str = "", *, force: bool = False) -> None:
        """Record progress; written at most a few times a second unless ``force``."""
        now = time.monotonic()
        if not force and now - self._last_report < 0.25:
            return
        self._last_report = now
        with self.db.transaction() as tx:
            session = tx.session
            session.execute(
                update(JobRow)
                .where(JobRow.id == self.job_id)
                .values(done=done, total=total, message=message)
            )


JobHandler = Callable[[JobContext, dict[str, Any]], dict[str, Any]]
_HANDLERS: dict[str, JobHandler] = {}


def job_handler(kind: str) -> Callable[[JobHandler], JobHandler]:
    """Register the function that runs jobs of ``kind``."""

    def register(fn: JobHandler) -> JobHandler:
        _HANDLERS[kind] = fn
        return fn

    return register


def run_job(db: Database, store: BlobStore, job_id: uuid.UUID, caller: Caller) -> None:
    """Run one job to completion, recording its outcome.  Never raises."""
    with db.transaction() as tx:
        session = tx.session
        row = session.scalars(select(JobRow).where(JobRow.id == job_id)).one()
        row.status = "running"
        row.started_at = utcnow()
        kind, params, org = row.kind, dict(row.params), row.organization_id
    ctx = JobContext(job_id=job_id, db=db, store=store, caller=caller, organization_id=org)
    values: dict[str, Any]
    try:
        handler = _HANDLERS[kind]
        result = handler(ctx, params)
        values = {"status": "succeeded", "result": result}
    except PicselliaError as exc:
        values = {
            "status": "failed",
            "error": {"code": exc.code, "detail": exc.message, "errors": exc.details},
        }
    except Exception:
        log.exception("job %s (%s) failed", job_id, kind)
        values = {
            "status": "failed",
            "error": {"code": "error", "detail": "the job failed; the server log has details"},
        }
    with db.transaction() as tx:
        session = tx.session
        session.execute(
            update(JobRow).where(JobRow.id == job_id).values(finished_at=utcnow(), **values)
        )


def runner_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _alive(runner: str) -> bool:
    try:
        pid = int(runner.rsplit(":", 1)[1])
        os.kill(pid, 0)
    except (ValueError, IndexError, ProcessLookupError):
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


class JobRunner(Protocol):
    name: str

    def submit(self, job_id: uuid.UUID, caller: Caller) -> None: ...

    def shutdown(self) -> None: ...


class ThreadJobRunner:
    """Runs jobs in a few threads of the API process (the embedded default)."""

    def __init__(self, db: Database, store: BlobStore, *, workers: int = 2) -> None:
        self.db = db
        self.store = store
        self.name = runner_name()
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="pixlake-job")
        self._fail_interrupted()

    def _fail_interrupted(self) -> None:
        """Fail the unfinished jobs of processes of this host that no longer exist."""
        host = self.name.rsplit(":", 1)[0]
        with self.db.transaction() as tx:
            session = tx.session
            rows = session.execute(
                select(JobRow.id, JobRow.runner).where(
                    JobRow.status.in_(("queued", "running")), JobRow.runner.startswith(host + ":")
                )
            ).all()
            dead = [job_id for job_id, runner in rows if not _alive(runner)]
            if dead:
                session.execute(
                    update(JobRow)
                    .where(JobRow.id.in_(dead))
                    .values(
                        status="failed",
                        finished_at=utcnow(),
                        error={
                            "code": "processing",
                            "detail": "the server stopped while this job ran; start it again",
                        },
                    )
                )

    def submit(self, job_id: uuid.UUID, caller: Caller) -> None:
        self._pool.submit(run_job, self.db, self.store, job_id, caller)

    def shutdown(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=False)
