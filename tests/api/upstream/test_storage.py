"""Rows 3 to 6 and the signed storage URLs, over plain HTTP as the client uses them: a form
POST answers 204, a part PUT 200 with an ``ETag``, a GET sends ``Content-Length``; each URL
works once, within its hour, for its method and key; keys only under a prefix the caller
owns."""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import update

from pixlake.clock import utcnow
from pixlake.core import accounts, experiments, projects
from pixlake.store.db.models import StorageTicketRow
from tests.conftest import LiveServer

MiB = 1024 * 1024


class Api:
    def __init__(self, server: LiveServer, token: str) -> None:
        self.server = server
        self.auth = {"Authorization": f"Token {token}"}

    def call(self, method: str, path: str, body: object) -> httpx.Response:
        # as the client sends them: JSON text, no Content-Type
        return httpx.request(
            method,
            f"{self.server.url}/sdk/v2/{path}",
            headers=self.auth,
            content=json.dumps(body),
        )

    def presign(self, method: str, key: str, *, models: bool = True) -> httpx.Response:
        return self.call(
            "POST",
            "generate_presigned_url",
            {"method": method, "object_name": key, "bucket_model": models},
        )

    def upload(self, key: str, data: bytes, *, models: bool = True) -> httpx.Response:
        answer = self.presign("post", key, models=models)
        assert answer.status_code == 200, answer.text
        form = answer.json()["url"]
        return httpx.post(form["url"], data=form["fields"], files={"file": ("f", data)})


def _experiment(server: LiveServer, token: str, name: str) -> uuid.UUID:
    caller = accounts.authenticate(server.db, token)
    org = caller.default_organization.id
    project = projects.create_project(server.db, caller, org, name=name)
    run = experiments.create_experiment(server.db, caller, org, project_id=project.id, name="e")
    return run.id


@pytest.fixture
def api(server: LiveServer, alice: str) -> Api:
    return Api(server, alice)


def test_a_form_upload_is_204_and_its_url_works_once(
    api: Api, server: LiveServer, alice: str, unique: str
) -> None:
    run = _experiment(server, alice, unique)
    answer = api.presign("post", f"{run}/notes.txt")
    form = answer.json()["url"]
    assert set(form) == {"url", "fields"} and form["fields"]["key"] == f"{run}/notes.txt"
    sent = httpx.post(form["url"], data=form["fields"], files={"file": ("f", b"hello")})
    assert sent.status_code == 204, sent.text
    again = httpx.post(form["url"], data=form["fields"], files={"file": ("f", b"other")})
    assert again.status_code == 403 and "used already" in again.json()["error"]
    url = api.presign("get", f"{run}/notes.txt").json()["url"]
    got = httpx.get(url)
    assert got.status_code == 200 and got.content == b"hello"
    assert got.headers["content-length"] == "5"
    assert httpx.get(url).status_code == 403  # once


def test_an_altered_or_expired_url_or_another_key_is_refused(
    api: Api, server: LiveServer, alice: str, unique: str
) -> None:
    run = _experiment(server, alice, unique)
    form = api.presign("post", f"{run}/a.bin").json()["url"]
    altered = form["url"][:-3] + ("xyz" if not form["url"].endswith("xyz") else "abc")
    answer = httpx.post(altered, data=form["fields"], files={"file": ("f", b"x")})
    assert answer.status_code == 403
    other_key = {"key": f"{run}/b.bin"}
    answer = httpx.post(form["url"], data=other_key, files={"file": ("f", b"x")})
    assert answer.status_code == 400 and "a.bin" in answer.json()["error"]
    with server.db.transaction() as tx:  # the hour is over
        tx.session.execute(
            update(StorageTicketRow).values(expires_at=utcnow() - timedelta(seconds=1))
        )
    answer = httpx.post(form["url"], data=form["fields"], files={"file": ("f", b"x")})
    assert answer.status_code == 403 and "expired" in answer.json()["error"]
    no_method = httpx.put(form["url"], content=b"x")  # a form URL takes no part
    assert no_method.status_code == 403


@pytest.mark.parametrize(
    "key", ["../etc/passwd", "{run}/../../x", "/abs/path", "{run}/a\\b", "", "{run}/./x"]
)
def test_keys_that_leave_their_prefix_are_refused(
    api: Api, server: LiveServer, alice: str, unique: str, key: str
) -> None:
    run = _experiment(server, alice, unique)
    answer = api.presign("post", key.format(run=run))
    assert answer.status_code == 400 and "object_name" in answer.json()["error"]


def test_another_organizations_prefix_is_as_unknown_as_a_missing_one(
    api: Api, server: LiveServer, bob: str, unique: str
) -> None:
    bobs = _experiment(server, bob, unique)
    Api(server, bob).upload(f"{bobs}/secret.bin", b"secret")
    for method in ("post", "get"):
        theirs = api.presign(method, f"{bobs}/secret.bin")
        nobody = api.presign(method, f"{uuid.uuid4()}/secret.bin")
        assert theirs.status_code == nobody.status_code == 404
        assert theirs.json()["error"].replace(str(bobs), "?") == nobody.json()["error"].replace(
            nobody.json()["error"].split("'")[1], "?"
        )
    multipart = api.call("GET", "init_multipart_upload", {"object_name": f"{bobs}/big.bin"})
    assert multipart.status_code == 404


@pytest.mark.parametrize("size", [12 * MiB + 321, 10 * MiB])
def test_a_multipart_upload_joins_its_parts_and_an_exact_multiple_sends_an_empty_one(
    api: Api, server: LiveServer, alice: str, unique: str, size: int
) -> None:
    run = _experiment(server, alice, unique)
    key = f"{run}/weights.pt"
    data = os.urandom(size)
    upload_id = api.call("GET", "init_multipart_upload", {"object_name": key}).json()["upload_id"]
    parts = []
    count = size // (5 * MiB) + 1  # the client's count: an exact multiple ends empty
    for number in range(1, count + 1):
        answer = api.call(
            "POST",
            "generate_post_part_url",
            {"object_name": key, "upload_id": upload_id, "part_no": number},
        )
        chunk = data[(number - 1) * 5 * MiB : number * 5 * MiB]
        put = httpx.put(answer.json()["url"], content=chunk)
        assert put.status_code == 200 and put.headers["etag"], put.text
        parts.append({"ETag": put.headers["etag"], "PartNumber": number})
    done = api.call(
        "POST",
        "complete_part_upload",
        {"object_name": key, "upload_id": upload_id, "parts": parts, "network_id": None},
    )
    assert done.status_code == 201, done.text
    got = httpx.get(api.presign("get", key).json()["url"])
    assert got.headers["content-length"] == str(size)
    assert hashlib.sha256(got.content).hexdigest() == hashlib.sha256(data).hexdigest()


def test_a_completion_naming_a_part_not_received_is_refused(
    api: Api, server: LiveServer, alice: str, unique: str
) -> None:
    run = _experiment(server, alice, unique)
    key = f"{run}/w.pt"
    upload_id = api.call("GET", "init_multipart_upload", {"object_name": key}).json()["upload_id"]
    url = api.call(
        "POST",
        "generate_post_part_url",
        {"object_name": key, "upload_id": upload_id, "part_no": 1},
    ).json()["url"]
    etag = httpx.put(url, content=b"part one").headers["etag"]
    for parts in (
        [{"ETag": etag, "PartNumber": 1}, {"ETag": '"0"', "PartNumber": 2}],
        [{"ETag": '"' + "0" * 64 + '"', "PartNumber": 1}],
        [{"ETag": etag, "PartNumber": 2}],
    ):
        answer = api.call(
            "POST",
            "complete_part_upload",
            {"object_name": key, "upload_id": upload_id, "parts": parts},
        )
        assert answer.status_code == 400 and "part" in answer.json()["error"], parts
    assert api.presign("get", key).status_code == 404  # nothing was made
