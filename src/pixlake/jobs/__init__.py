"""Background jobs: long imports and exports run off the request, with progress.

A job is a row (``jobs`` table) plus the function that runs its ``kind``, which the runner is
given where it is built (``pixlake.api.app.create_app``: nothing registers itself on import).
The API creates the row and hands its id to a runner; the runner calls the function, which
reports progress through ``JobContext.progress`` and returns a JSON-able result.  A failure is
stored as a problem document, so the client raises the same error it would have got from a
request.

The embedded runner is a small thread pool inside the API process.  Jobs that were running
when a process stopped are marked failed on the next start: they are safe to run again,
because every job pixlake defines is idempotent.
"""

from pixlake.jobs.runner import JobContext, JobHandler, JobRunner, ThreadJobRunner

__all__ = ["JobContext", "JobHandler", "JobRunner", "ThreadJobRunner"]
