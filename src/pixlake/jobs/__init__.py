"""Background jobs: long imports and exports run off the request, with progress.

A job is a row (``jobs`` table) plus a function registered under its ``kind``.  The API creates
the row and hands its id to a runner; the runner calls the function, which reports progress
through ``JobContext.progress`` and returns a JSON-able result.  A failure is stored as a
problem document, so the client raises the same error it would have got from a request.

The embedded runner is a small thread pool inside the API process.  Jobs that were running
when a process stopped are marked failed on the next start: they are safe to run again,
because every job pixlake defines is idempotent.
"""

from pixlake.jobs.runner import JobContext, JobRunner, ThreadJobRunner, job_handler

__all__ = ["JobContext", "JobRunner", "ThreadJobRunner", "job_handler"]
