"""The runner runs each job with the handler it was given for its kind (nothing registers
itself on import), and ``pixlake.jobs`` stays below the services: no ``core <-> jobs``
import cycle."""

from __future__ import annotations

import ast
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import pixlake.jobs
from pixlake.core import accounts, jobs
from pixlake.entities.accounts import Caller
from pixlake.jobs import JobContext, ThreadJobRunner
from pixlake.store.blobs import LocalBlobStore
from pixlake.store.db.engine import Database
from pixlake.store.db.schema import ensure_schema

JOBS = Path(pixlake.jobs.__file__).parent


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = Database(f"sqlite:///{tmp_path / 'j.sqlite'}")
    ensure_schema(database)
    yield database
    database.dispose()


@pytest.fixture
def alice(db: Database) -> Caller:
    token, _ = accounts.create_token(db, "alice", organization="acme")
    return accounts.authenticate(db, token)


def _double(ctx: JobContext, params: dict[str, Any]) -> dict[str, Any]:
    ctx.progress(1, 1, "doubled", force=True)
    return {"twice": params["n"] * 2}


def _run(db: Database, store: LocalBlobStore, caller: Caller, kind: str) -> uuid.UUID:
    runner = ThreadJobRunner(db, store, handlers={"double": _double})
    org = caller.default_organization.id
    job = jobs.create_job(db, caller, org, kind=kind, params={"n": 21}, runner=runner.name)
    runner.submit(job.id, caller)
    runner.shutdown()  # waits for the job
    return job.id


def test_a_job_runs_with_the_handler_of_its_kind(
    db: Database, tmp_path: Path, alice: Caller
) -> None:
    job_id = _run(db, LocalBlobStore(tmp_path / "blobs"), alice, "double")
    job = jobs.get_job(db, alice, alice.default_organization.id, job_id=job_id)
    assert (job.status, job.result, job.error) == ("succeeded", {"twice": 42}, None)
    assert (job.done, job.total, job.message) == (1, 1, "doubled")


def test_a_kind_the_runner_was_not_given_fails_the_job(
    db: Database, tmp_path: Path, alice: Caller
) -> None:
    # dataset_import has a handler in the server, not in this runner: importing its module
    # (as this test's imports do, through pixlake.core) registers nothing.
    job_id = _run(db, LocalBlobStore(tmp_path / "blobs"), alice, "dataset_import")
    job = jobs.get_job(db, alice, alice.default_organization.id, job_id=job_id)
    assert job.status == "failed" and job.result is None
    assert job.error == {"code": "error", "detail": "the job failed; the server log has details"}


def _imported(path: Path) -> list[str]:
    names: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.append(node.module)
    return names


@pytest.mark.parametrize("path", sorted(JOBS.rglob("*.py")), ids=lambda p: p.name)
def test_the_jobs_package_imports_no_service(path: Path) -> None:
    """The services import ``pixlake.jobs`` (a handler takes a ``JobContext``); an import
    back, even inside a function, would make a cycle."""
    above = ("pixlake.core", "pixlake.api", "pixlake.cli")
    bad = [n for n in _imported(path) if any(n == a or n.startswith(a + ".") for a in above)]
    assert bad == []


def test_importing_the_jobs_package_loads_no_service() -> None:
    """Nor through another package: ``pixlake.jobs`` loads no ``pixlake.core`` module."""
    code = (
        "import sys, pixlake.jobs; "
        "print(','.join(m for m in sys.modules if m.startswith(('pixlake.core', 'pixlake.api'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_background_jobs_never_hold_up_the_others(
    db: Database, tmp_path: Path, alice: Caller
) -> None:
    release = threading.Event()

    def slow(ctx: JobContext, params: dict[str, Any]) -> dict[str, Any]:
        release.wait(timeout=30)
        return {}

    runner = ThreadJobRunner(
        db,
        LocalBlobStore(tmp_path / "blobs"),
        handlers={"double": _double, "ahead": slow},
        workers=1,
        background=["ahead"],
    )
    org = alice.default_organization.id
    try:
        ahead = [
            jobs.create_job(db, alice, org, kind="ahead", params={}, runner=runner.name)
            for _ in range(2)
        ]
        for job in ahead:
            runner.submit(job.id, alice)
        for _ in range(500):
            if jobs.get_job(db, alice, org, job_id=ahead[0].id).status == "running":
                break
            time.sleep(0.01)
        wanted = jobs.create_job(db, alice, org, kind="double", params={"n": 2}, runner=runner.name)
        runner.submit(wanted.id, alice)
        for _ in range(500):  # the one worker is free: the background jobs have their lane
            if jobs.get_job(db, alice, org, job_id=wanted.id).status == "succeeded":
                break
            time.sleep(0.01)
        assert jobs.get_job(db, alice, org, job_id=wanted.id).result == {"twice": 4}
        states = [jobs.get_job(db, alice, org, job_id=j.id).status for j in ahead]
        assert states == ["running", "queued"]  # one at a time in their lane
    finally:
        release.set()
        runner.shutdown()
