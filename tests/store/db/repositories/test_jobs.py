"""Jobs: queued for a runner, started, ended; a job of an organization that is gone is
"not found", and the unfinished jobs of a host are found by their runner."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from pixlake.clock import utcnow
from pixlake.entities.accounts import User
from pixlake.errors import ResourceNotFoundError
from pixlake.store.db.engine import Database
from pixlake.store.db.schema import ensure_schema


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = Database(f"sqlite:///{tmp_path / 'r.sqlite'}")
    ensure_schema(database)
    yield database
    database.dispose()


@pytest.fixture
def alice(db: Database) -> User:
    with db.transaction() as tx:
        org = tx.accounts.add_organization("acme")
        return tx.accounts.add_user("alice", default_organization_id=org.id)


def test_a_job_goes_from_queued_to_its_end(db: Database, alice: User) -> None:
    org = alice.default_organization_id
    with db.transaction() as tx:
        job = tx.jobs.add(org, created_by=alice.id, kind="k", params={"a": 1}, runner="here:1")
    assert (job.status, job.kind, job.done, job.result) == ("queued", "k", 0, None)
    with db.transaction() as tx:
        started = tx.jobs.start(job.id, at=utcnow())
        tx.jobs.progress(job.id, done=2, total=3, message="halfway")
    assert (started.kind, started.params, started.organization_id) == ("k", {"a": 1}, org)
    with db.read() as tx:
        now = tx.jobs.get(org, job.id)
        assert now is not None
        assert (now.status, now.done, now.total, now.message) == ("running", 2, 3, "halfway")
        assert tx.jobs.unfinished_on("here") == [(job.id, "here:1")]
        assert tx.jobs.unfinished_on("elsewhere") == []
        assert tx.jobs.unfinished_params() == [(org, {"a": 1})]
        assert tx.jobs.get(uuid.uuid4(), job.id) is None  # another organization's view
    with db.transaction() as tx:
        tx.jobs.finish([job.id], status="succeeded", at=utcnow(), result={"n": 3})
    with db.read() as tx:
        ended = tx.jobs.get(org, job.id)
        assert ended is not None and ended.finished_at is not None
        assert (ended.status, ended.result, ended.error) == ("succeeded", {"n": 3}, None)
        assert tx.jobs.unfinished_params() == []


def test_a_job_of_an_organization_that_is_gone_is_not_found(db: Database, alice: User) -> None:
    with pytest.raises(ResourceNotFoundError, match="organization or the user of this job"):
        with db.transaction() as tx:
            tx.jobs.add(uuid.uuid4(), created_by=alice.id, kind="k", params={}, runner="")
