"""Blobs over HTTP: missing, streamed and batched uploads verified by digest, scoped reads,
and size limits answered with 413."""

from __future__ import annotations

import hashlib
import io
import os
import tarfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from pixlake.api.embedded import EmbeddedServer
from pixlake.core import accounts
from pixlake.core.config import Settings
from pixlake.store.blobs import LocalBlobStore
from pixlake.store.db.engine import Database
from tests.api.routers.test_accounts import auth
from tests.conftest import make_image


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def org_of(http: httpx.Client, token: str) -> str:
    return str(http.get("/me", headers=auth(token)).json()["default_organization"]["id"])


def tar_of(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def test_put_then_missing_then_get(http: httpx.Client, alice: str) -> None:
    org, data = org_of(http, alice), make_image(10)
    digest = sha(data)
    base = f"/organizations/{org}/blobs"
    assert http.post(f"{base}/missing", json={"digests": [digest]}, headers=auth(alice)).json() == {
        "missing": [digest]
    }
    put = http.put(f"{base}/{digest}", content=data, headers=auth(alice))
    assert put.status_code == 201
    assert put.json()["media_type"] == "image/jpeg" and put.json()["width"] == 64
    assert http.post(f"{base}/missing", json={"digests": [digest]}, headers=auth(alice)).json() == {
        "missing": []
    }
    got = http.get(f"{base}/{digest}", headers=auth(alice))
    assert got.content == data
    assert got.headers["content-length"] == str(len(data))
    assert got.headers["etag"] == f'"{digest}"'


def test_wrong_digest_is_refused_and_nothing_becomes_visible(
    http: httpx.Client, alice: str
) -> None:
    org = org_of(http, alice)
    claimed = sha(b"what I claim")
    response = http.put(
        f"/organizations/{org}/blobs/{claimed}", content=b"what I send", headers=auth(alice)
    )
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_input"
    assert "hash to" in response.json()["detail"]
    missing = http.post(
        f"/organizations/{org}/blobs/missing",
        json={"digests": [claimed, sha(b"what I send")]},
        headers=auth(alice),
    ).json()["missing"]
    assert missing == [claimed, sha(b"what I send")]


def test_malformed_digests_are_named(http: httpx.Client, alice: str) -> None:
    org = org_of(http, alice)
    response = http.post(
        f"/organizations/{org}/blobs/missing",
        json={"digests": ["a" * 64, "nothex"]},
        headers=auth(alice),
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "digests[1]"


def test_batch_keeps_good_members_and_names_bad_ones(http: httpx.Client, alice: str) -> None:
    org = org_of(http, alice)
    good, bad = make_image(11), make_image(12)
    body = tar_of({sha(good): good, sha(b"something else"): bad, "../escape": good})
    answer = http.post(
        f"/organizations/{org}/blobs",
        content=body,
        headers={**auth(alice), "Content-Type": "application/x-tar"},
    ).json()
    assert [b["digest"] for b in answer["stored"]] == [sha(good)]
    reasons = {r["digest"]: r["reason"] for r in answer["rejected"]}
    assert "hash to" in reasons[sha(b"something else")]
    assert "not a SHA-256" in reasons["../escape"]


def test_batch_that_is_not_a_tar_is_422(http: httpx.Client, alice: str) -> None:
    org = org_of(http, alice)
    response = http.post(
        f"/organizations/{org}/blobs", content=b"garbage" * 100, headers=auth(alice)
    )
    assert response.status_code == 422
    assert "tar" in response.json()["detail"]


def test_another_organization_cannot_read_or_probe_blobs(
    http: httpx.Client, alice: str, bob: str
) -> None:
    alice_org, bob_org = org_of(http, alice), org_of(http, bob)
    data = make_image(13)
    digest = sha(data)
    http.put(f"/organizations/{alice_org}/blobs/{digest}", content=data, headers=auth(alice))
    # bob cannot use alice's organization at all
    assert (
        http.get(f"/organizations/{alice_org}/blobs/{digest}", headers=auth(bob)).status_code == 404
    )
    # and in his own, knowing the digest is not enough: he must send the bytes himself
    assert (
        http.get(f"/organizations/{bob_org}/blobs/{digest}", headers=auth(bob)).status_code == 404
    )
    missing = http.post(
        f"/organizations/{bob_org}/blobs/missing", json={"digests": [digest]}, headers=auth(bob)
    ).json()
    assert missing == {"missing": [digest]}


@pytest.fixture(scope="module")
def small_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    home: Path = tmp_path_factory.mktemp("small-limits")
    settings = Settings(
        home=home, max_blob_bytes=1000, max_batch_bytes=20_000, max_json_bytes=5_000
    )
    with EmbeddedServer(settings) as server:
        db = Database(settings.database_url)
        token, _ = accounts.create_token(db, "limited")
        db.dispose()
        yield server.url, token


def test_limits_answer_413(small_server: tuple[str, str]) -> None:
    url, token = small_server
    with httpx.Client(base_url=url + "/api/v1", headers=auth(token)) as client:
        org = client.get("/me").json()["default_organization"]["id"]
        big = b"x" * 5000
        response = client.put(f"/organizations/{org}/blobs/{sha(big)}", content=big)
        assert response.status_code == 413
        assert response.json()["code"] == "payload_too_large"

        def chunked() -> Iterator[bytes]:  # no Content-Length: counted as it arrives
            for _ in range(10):
                yield b"y" * 500

        response = client.put(f"/organizations/{org}/blobs/{'0' * 64}", content=chunked())
        assert response.status_code == 413
        response = client.post(
            f"/organizations/{org}/blobs/missing", json={"digests": ["0" * 64] * 200}
        )
        assert response.status_code == 413
        assert (
            client.post(f"/organizations/{org}/blobs/missing", json={"digests": []}).status_code
            == 200
        )


def test_read_many_blobs_as_one_tar(http: httpx.Client, alice: str, bob: str) -> None:
    org = org_of(http, alice)
    blobs = [make_image(40 + i) for i in range(3)]
    for data in blobs:
        http.put(f"/organizations/{org}/blobs/{sha(data)}", content=data, headers=auth(alice))
    digests = [sha(b) for b in reversed(blobs)]
    response = http.post(
        f"/organizations/{org}/blobs/read", json={"digests": digests}, headers=auth(alice)
    )
    assert response.headers["content-type"] == "application/x-tar"
    assert int(response.headers["content-length"]) == len(response.content)
    with tarfile.open(fileobj=io.BytesIO(response.content), mode="r:") as archive:
        members = archive.getmembers()
        assert [m.name for m in members] == digests  # in the order asked
        for member in members:
            extracted = archive.extractfile(member)
            assert extracted is not None and sha(extracted.read()) == member.name
    bob_org = org_of(http, bob)
    refused = http.post(
        f"/organizations/{bob_org}/blobs/read", json={"digests": digests[:1]}, headers=auth(bob)
    )
    assert refused.status_code == 404 and refused.json()["errors"][0]["field"] == "digests"


def test_the_server_sweeps_unadopted_files_when_it_starts(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path)
    store = LocalBlobStore.from_url(settings.storage_url)
    digest = hashlib.sha256(b"never adopted").hexdigest()
    left = store.path(digest).parent / ".in-0c"
    left.write_bytes(b"never adopted")
    long_ago = time.time() - 7200
    os.utime(left, (long_ago, long_ago))
    with EmbeddedServer(settings):
        deadline = time.monotonic() + 10
        while left.exists() and time.monotonic() < deadline:
            time.sleep(0.02)
    assert not left.exists()
