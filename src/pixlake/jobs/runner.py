"""Job runners, and the handlers they run each kind of job with.

A runner is given its handlers (``kind -> function``) where it is built (``create_app``):
nothing registers itself on import, and this package imports nothing of the services.
"""

from __future__ import annotations

import logging
import os
import socket
import time
import uuid
from collections.abc import Callable, Collection, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Protocol

from pixlake.clock import utcnow
from pixlake.entities.accounts import Caller
from pixlake.errors import PicselliaError
from pixlake.store.blobs import BlobStore
from pixlake.store.db.engine import Database

__all__ = [
    "JobContext",
    "JobHandler",
    "JobRunner",
    "ThreadJobRunner",
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
    #: The runner running the job, for the jobs it asks for next (``None`` when run alone).
    runner: JobRunner | None = None
    _last_report: float = 0.0

    def progress(self, done: int, total: int, message: str = "", *, force: bool = False) -> None:
        """Record progress; written at most a few times a second unless ``force``."""
        now = time.monotonic()
        if not force and now - self._last_report < 0.25:
            return
        self._last_report = now
        with self.db.transaction() as tx:
            tx.jobs.progress(self.job_id, done=done, total=total, message=message)


#: A job's function: it gets the context and the job's parameters, and returns its result.
JobHandler = Callable[[JobContext, dict[str, Any]], dict[str, Any]]


def run_job(
    db: Database,
    store: BlobStore,
    *,
    handlers: Mapping[str, JobHandler],
    job_id: uuid.UUID,
    caller: Caller,
    runner: JobRunner | None = None,
) -> None:
    """Run one job to completion with the handler of its kind, recording its outcome.
    Never raises."""
    with db.transaction() as tx:
        job = tx.jobs.start(job_id, at=utcnow())
    ctx = JobContext(
        job_id=job_id,
        db=db,
        store=store,
        caller=caller,
        organization_id=job.organization_id,
        runner=runner,
    )
    status = "succeeded"
    result: dict[str, Any] | None = None
    error: dict[str, Any] | None = None
    try:
        handler = handlers[job.kind]
        result = handler(ctx, job.params)
    except PicselliaError as exc:
        status = "failed"
        error = {"code": exc.code, "detail": exc.message, "errors": exc.details}
    except Exception:
        log.exception("job %s (%s) failed", job_id, job.kind)
        status = "failed"
        error = {"code": "error", "detail": "the job failed; the server log has details"}
    with db.transaction() as tx:
        tx.jobs.finish([job_id], status=status, at=utcnow(), result=result, error=error)


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
    """Runs jobs in a few threads of the API process (the embedded default).

    Jobs of the ``background`` kinds (work made ahead, such as thumbnails) run in a lane of
    their own, one at a time, so that they never hold up the jobs a user waits for."""

    def __init__(
        self,
        db: Database,
        store: BlobStore,
        *,
        handlers: Mapping[str, JobHandler],
        workers: int = 2,
        background: Collection[str] = (),
    ) -> None:
        self.db = db
        self.store = store
        self.handlers = dict(handlers)
        self.background = frozenset(background)
        self.name = runner_name()
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="pixlake-job")
        self._lane = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pixlake-background")
        self._fail_interrupted()

    def _fail_interrupted(self) -> None:
        """Fail the unfinished jobs of processes of this host that no longer exist."""
        host = self.name.rsplit(":", 1)[0]
        with self.db.transaction() as tx:
            dead = [job_id for job_id, runner in tx.jobs.unfinished_on(host) if not _alive(runner)]
            if dead:
                tx.jobs.finish(
                    dead,
                    status="failed",
                    at=utcnow(),
                    error={
                        "code": "processing",
                        "detail": "the server stopped while this job ran; start it again",
                    },
                )

    def submit(self, job_id: uuid.UUID, caller: Caller) -> None:
        pool = self._pool
        if self.background:
            with self.db.read() as tx:
                if tx.jobs.kind_of(job_id) in self.background:
                    pool = self._lane
        pool.submit(
            run_job,
            self.db,
            self.store,
            handlers=self.handlers,
            job_id=job_id,
            caller=caller,
            runner=self,
        )

    def shutdown(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=False)
        self._lane.shutdown(wait=True, cancel_futures=False)
