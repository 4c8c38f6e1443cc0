"""Jobs over HTTP: a request may wait for a job's end, and is answered once it comes."""

from __future__ import annotations

import threading
import uuid

import httpx
from sqlalchemy import update

from pixlake.store.db.models import JobRow
from tests.api.routers.test_accounts import auth
from tests.api.routers.test_blobs import org_of
from tests.conftest import LiveServer


def _queued_job(server: LiveServer, org: str) -> uuid.UUID:
    """A job no runner will take: it stays queued until the test ends it."""
    with server.db.transaction() as tx:
        session = tx.session
        row = JobRow(organization_id=uuid.UUID(org), kind="test", params={}, status="queued")
        session.add(row)
        session.flush()
        return row.id


def _end(server: LiveServer, job_id: uuid.UUID) -> None:
    with server.db.transaction() as tx:
        session = tx.session
        session.execute(
            update(JobRow)
            .where(JobRow.id == job_id)
            .values(status="succeeded", result={"ended": "by the test"})
        )


def test_waiting_answers_once_the_job_ends(
    server: LiveServer, http: httpx.Client, alice: str
) -> None:
    org = org_of(http, alice)
    job_id = _queued_job(server, org)
    path = f"/organizations/{org}/jobs/{job_id}"
    assert http.get(path, headers=auth(alice)).json()["status"] == "queued"
    ender = threading.Timer(0.3, _end, (server, job_id))
    ender.start()
    try:
        answer = http.get(path, params={"wait": 10}, headers=auth(alice))
    finally:
        ender.join()
    # Asked while the job was queued, answered with its end rather than its state then.
    assert answer.status_code == 200
    assert answer.json()["status"] == "succeeded"
    assert answer.json()["result"] == {"ended": "by the test"}


def test_waiting_for_a_job_that_goes_on_answers_its_progress(
    server: LiveServer, http: httpx.Client, alice: str
) -> None:
    org = org_of(http, alice)
    job_id = _queued_job(server, org)
    answer = http.get(
        f"/organizations/{org}/jobs/{job_id}", params={"wait": 0.1}, headers=auth(alice)
    )
    assert answer.status_code == 200 and answer.json()["status"] == "queued"


def test_wait_is_bounded_and_scoped(
    server: LiveServer, http: httpx.Client, alice: str, bob: str
) -> None:
    org = org_of(http, alice)
    path = f"/organizations/{org}/jobs/{_queued_job(server, org)}"
    for wait in (-1, 11, "soon"):
        answer = http.get(path, params={"wait": wait}, headers=auth(alice))
        assert answer.status_code == 422, wait
        assert answer.json()["errors"][0]["field"].endswith("wait")
    assert http.get(path, params={"wait": 5}, headers=auth(bob)).status_code == 404
