"""Same-host transfers: on the server's machine the SDK copies blobs from the store's files and
writes uploads into it for the server to verify, gets exactly what HTTP would give, falls
back to HTTP blob by blob, and never reads a blob the server would not send."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from pixlake import Datalake, Dataset, Picture
from pixlake.sdk._http import Connection
from pixlake.sdk._samehost import LocalStore, copy_fd, discover
from pixlake.store.blobs import LocalBlobStore
from tests.conftest import LiveServer, write_images
from tests.factories import coco_dataset


class Recorder(httpx.HTTPTransport):
    """The real transport, noting each request's method, path and query (an observer)."""

    def __init__(self) -> None:
        super().__init__()
        self.sent: list[tuple[str, str, str]] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.sent.append((request.method, request.url.path, request.url.query.decode()))
        return super().handle_request(request)

    def blob_gets(self) -> list[str]:
        return [p.rsplit("/", 1)[-1] for m, p, _ in self.sent if m == "GET" and "/blobs/" in p]

    def paths(self, method: str, suffix: str) -> list[str]:
        return [p for m, p, _ in self.sent if m == method and p.endswith(suffix)]


class AdoptionRecorder(httpx.HTTPTransport):
    """The real transport, noting the digests offered for adoption; with ``drop``, the
    connection drops on every adoption request instead (a failure a healthy server cannot
    be made to produce on demand)."""

    def __init__(self, *, drop: bool = False) -> None:
        super().__init__()
        self.drop = drop
        self.adopted: list[str] = []
        self.tars = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/blobs/adopt"):
            if self.drop:
                raise httpx.ReadError("connection reset by peer", request=request)
            self.adopted += [f["sha256"] for f in json.loads(request.read())["files"]]
        elif request.method == "POST" and request.url.path.endswith("/blobs"):
            self.tars += 1
        return super().handle_request(request)


def store_of(server: LiveServer) -> LocalBlobStore:
    return LocalBlobStore.from_url(server.settings.storage_url)


def files_of(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()
    }


@pytest.fixture
def dataset(
    server: LiveServer, alice: str, tmp_path: Path
) -> Iterator[tuple[Datalake, Dataset, Recorder]]:
    """A version of 6 imported pictures, and the observer of its SDK's requests."""
    root = tmp_path / "coco"
    coco_dataset(root, 6, seed=7)
    recorder = Recorder()
    lake = Datalake(api_token=alice, host=server.url, interactive=False, transport=recorder)
    lake.upload(
        name="cars",
        imgdir=root / "images",
        ann_path=root / "instances.json",
        ann_format="COCO",
        tags=["t"],
    )
    yield lake, lake.dataset.fetch("cars", "first"), recorder


# --------------------------------------------------------------------------- discovery


def test_the_sdk_finds_the_store_of_a_server_on_its_machine(server: LiveServer, alice: str) -> None:
    with Connection(alice, server.url) as conn:
        local = conn.local_store()
        assert local is not None
        assert Path(local.root) == store_of(server).root.resolve()
        assert conn.local_store() is local  # asked once


def test_turned_off_in_the_sdk_no_question_is_asked(
    server: LiveServer, alice: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PIXLAKE_SAME_HOST", "off")
    recorder = Recorder()
    with Connection(alice, server.url, transport=recorder) as conn:
        assert discover(conn) is None
    assert recorder.sent == []


def test_a_store_that_does_not_hold_the_servers_token_is_not_used(
    server: LiveServer, alice: str
) -> None:
    """Another folder at the same path (another machine behind a forwarded port) fails the
    identity check."""
    identity = store_of(server).root / "identity"
    saved = identity.read_bytes()
    identity.chmod(0o644)
    try:
        identity.write_text("someone else's store\n")
        with Connection(alice, server.url) as conn:
            assert discover(conn) is None
    finally:
        identity.write_bytes(saved)
        identity.chmod(0o400)
    with Connection(alice, server.url) as conn:
        assert discover(conn) is not None


def test_the_store_is_shown_to_loopback_callers_with_a_token_only(
    server: LiveServer, alice: str, http: httpx.Client
) -> None:
    auth = {"Authorization": f"Token {alice}"}
    answer = http.get("/local-store", headers=auth)
    assert answer.status_code == 200
    assert answer.json()["root"] == str(store_of(server).root.resolve())
    assert http.get("/local-store").status_code == 401
    # behind a proxy on this machine, the caller is the address the proxy forwards
    remote = http.get("/local-store", headers={**auth, "X-Forwarded-For": "203.0.113.7"})
    assert remote.status_code == 404
    assert "same machine" in remote.json()["detail"]


# --------------------------------------------------------------------------- exports


@pytest.mark.parametrize("fmt", ["COCO", "YOLO", "PASCAL-VOC"])
def test_an_export_copied_from_the_store_is_the_export_sent_over_http(
    dataset: tuple[Datalake, Dataset, Recorder],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    fmt: str,
) -> None:
    lake, ds, recorder = dataset
    recorder.sent.clear()
    local = ds.export(fmt, tmp_path / "local")
    exports = [q for m, p, q in recorder.sent if p.endswith("/export")]
    assert len(exports) == 1 and "images=reference" in exports[0]
    assert recorder.blob_gets() == []  # every image came from the store's files

    monkeypatch.setenv("PIXLAKE_SAME_HOST", "0")
    over_http = Dataset(api_token=lake._ctx.connection.token, host=lake._ctx.connection.host)
    sent = over_http.fetch("cars", "first").export(fmt, tmp_path / "http")
    assert files_of(local) == files_of(sent)
    assert len([n for n in files_of(local) if n.endswith(".jpg")]) == 6


def test_an_image_whose_file_cannot_be_used_comes_over_http(
    server: LiveServer, dataset: tuple[Datalake, Dataset, Recorder], tmp_path: Path
) -> None:
    """A blob's file the SDK must not copy (here a link, which it never follows) is fetched
    over HTTP, alone; the export is the same."""
    _lake, ds, recorder = dataset
    store = store_of(server)
    picture = ds.list_pictures()[0]
    blob = store.path(picture["sha256"])
    elsewhere = tmp_path / "moved"
    shutil.copyfile(blob, elsewhere)
    blob.chmod(0o644)
    blob.unlink()
    blob.symlink_to(elsewhere)  # the server still reads it (through the link)
    try:
        recorder.sent.clear()
        out = ds.export("COCO", tmp_path / "out")
        assert recorder.blob_gets() == [picture["sha256"]]
        data = (out / "images" / picture["external_url"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == picture["sha256"]
    finally:
        blob.unlink()
        shutil.copyfile(elsewhere, blob)
        blob.chmod(0o400)


# --------------------------------------------------------------------------- downloads


def test_a_download_copies_and_verifies_what_the_server_lists(
    dataset: tuple[Datalake, Dataset, Recorder], tmp_path: Path
) -> None:
    _lake, ds, recorder = dataset
    recorder.sent.clear()
    ds.download("cars/first", tmp_path / "dl")
    assert not [p for m, p, _ in recorder.sent if p.endswith(("/blobs/read", "/file"))]
    for picture in ds.list_pictures():
        data = (tmp_path / "dl" / picture["external_url"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == picture["sha256"]


def test_a_picture_download_asks_the_server_before_copying(
    server: LiveServer, alice: str, bob: str, tmp_path: Path
) -> None:
    """The server decides who may read, as over HTTP: knowing a digest grants nothing."""
    from pixlake.errors import ResourceNotFoundError
    from pixlake.sdk import _transfer

    write_images(tmp_path / "imgs", 1)
    lake = Datalake(api_token=alice, host=server.url, interactive=False)
    lake.picture.upload([str(p) for p in sorted((tmp_path / "imgs").iterdir())])
    picture = lake.picture.list()[0]
    with Connection(alice, server.url) as conn:
        org_path = f"/organizations/{conn.get('/me')['default_organization']['id']}"
        url = f"{org_path}/pictures/{picture['picture_id']}/file"
        got = _transfer.download(
            conn,
            url,
            tmp_path / "mine.jpg",
            expected_digest=picture["sha256"],
            expected_size=picture["size"],
            progress=False,
        )
        assert hashlib.sha256(got.read_bytes()).hexdigest() == picture["sha256"]
    with Connection(bob, server.url) as intruder:
        assert intruder.local_store() is not None  # he is on the machine too
        with pytest.raises(ResourceNotFoundError):
            _transfer.download(
                intruder,
                url,
                tmp_path / "theirs.jpg",
                expected_digest=picture["sha256"],
                expected_size=picture["size"],
                progress=False,
            )
    assert not (tmp_path / "theirs.jpg").exists()


# --------------------------------------------------------------------------- uploads


def leftovers(server: LiveServer) -> list[Path]:
    return list((store_of(server).root / "sha256").glob("*/.in-*"))


def test_an_upload_writes_the_new_bytes_into_the_store_once(
    server: LiveServer, alice: str, tmp_path: Path
) -> None:
    paths = write_images(tmp_path, 10, start=9100)
    digests = [hashlib.sha256(p.read_bytes()).hexdigest() for p in paths]
    first = AdoptionRecorder()
    Picture(api_token=alice, host=server.url, interactive=False, transport=first).upload(paths[:4])
    assert sorted(first.adopted) == sorted(digests[:4]) and first.tars == 0
    second = AdoptionRecorder()
    again = Picture(api_token=alice, host=server.url, interactive=False, transport=second)
    records = again.upload(paths, tags=["all"])
    assert sorted(second.adopted) == sorted(digests[4:])  # none of the first four again
    third = AdoptionRecorder()
    Picture(api_token=alice, host=server.url, interactive=False, transport=third).upload(paths)
    assert third.adopted == [] and third.tars == 0
    store = store_of(server)
    for path, digest in zip(paths, digests, strict=True):
        assert store.path(digest).read_bytes() == path.read_bytes()
        assert store.path(digest).stat().st_mode & 0o777 == 0o400
    assert sorted(r["sha256"] for r in records) == sorted(digests)
    assert leftovers(server) == []


def test_when_adoption_fails_the_bytes_go_over_http_and_nothing_is_left(
    server: LiveServer, alice: str, tmp_path: Path
) -> None:
    paths = write_images(tmp_path, 3, start=9200)
    dropping = AdoptionRecorder(drop=True)
    pic = Picture(api_token=alice, host=server.url, interactive=False, transport=dropping)
    records = pic.upload(paths)
    assert len(records) == 3 and dropping.tars == 1
    assert leftovers(server) == []
    for path in paths:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        assert store_of(server).path(digest).read_bytes() == path.read_bytes()


def test_adoption_is_for_callers_on_the_machine_and_reports_each_refusal(
    server: LiveServer, alice: str, http: httpx.Client
) -> None:
    auth = {"Authorization": f"Token {alice}"}
    org = http.get("/me", headers=auth).json()["default_organization"]["id"]
    data = b"\xff\xd8 not really an image"
    digest = hashlib.sha256(data).hexdigest()
    shard = store_of(server).root / "sha256" / digest[:2]
    (shard / ".in-00ff").write_bytes(b"other bytes")
    body = {"files": [{"name": "00ff", "sha256": digest}, {"name": "abcd", "sha256": digest}]}
    answer = http.post(f"/organizations/{org}/blobs/adopt", json=body, headers=auth)
    assert answer.status_code == 200, answer.text
    reasons = [r["reason"] for r in answer.json()["rejected"]]
    assert answer.json()["stored"] == []
    assert "hash to" in reasons[0] and "no such file" in reasons[1]
    assert not (shard / ".in-00ff").exists()  # read, refused, removed
    assert not store_of(server).path(digest).exists()

    remote = http.post(
        f"/organizations/{org}/blobs/adopt",
        json=body,
        headers={**auth, "X-Forwarded-For": "203.0.113.7"},
    )
    assert remote.status_code == 404
    bad_name = {"files": [{"name": "../../x", "sha256": digest}]}
    assert (
        http.post(f"/organizations/{org}/blobs/adopt", json=bad_name, headers=auth).status_code
        == 422
    )


# --------------------------------------------------------------------------- the files


def test_the_store_opens_only_regular_files_of_the_expected_size(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path / "blobs")
    digest = store.put_bytes(b"x" * 100).digest
    local = LocalStore(str(store.root))
    fd = local.open(digest, 100)
    assert fd is not None
    os.close(fd)
    assert local.open(digest, 99) is None  # not the blob the caller was told about
    assert local.open("0" * 64, None) is None  # no such file
    assert local.open("../../etc/passwd".ljust(64, "a"), None) is None  # not a digest
    other = store.put_bytes(b"y").digest
    store.path(other).chmod(0o644)
    store.path(other).unlink()
    store.path(other).symlink_to(store.path(digest))
    assert local.open(other, None) is None  # a link is never followed


def test_a_copy_that_fails_verification_writes_nothing(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path / "blobs")
    digest = store.put_bytes(b"original").digest
    store.path(digest).chmod(0o644)
    store.path(digest).write_bytes(b"damaged!")  # same size, other bytes
    dest = tmp_path / "out.bin"
    assert not LocalStore(str(store.root)).copy_verified(digest, 8, dest)
    assert not dest.exists() and not (tmp_path / "out.bin.part").exists()


@pytest.mark.parametrize("where", ["same file system", "another file system"])
def test_copy_fd_copies_between_file_systems(tmp_path: Path, where: str) -> None:
    target_dir = tmp_path
    if where == "another file system":
        if not Path("/dev/shm").is_dir() or os.stat("/dev/shm").st_dev == tmp_path.stat().st_dev:
            pytest.skip("no second file system here")
        target_dir = Path("/dev/shm")
    data = os.urandom(3 * 1024 * 1024 + 5)
    (tmp_path / "src").write_bytes(data)
    target = target_dir / f"pixlake-copy-test-{os.getpid()}"
    try:
        with (tmp_path / "src").open("rb") as src, target.open("wb") as out:
            out.write(b"head:")
            out.flush()
            copy_fd(src.fileno(), out.fileno(), len(data))
        assert target.read_bytes() == b"head:" + data
        with (tmp_path / "src").open("rb") as src, target.open("wb") as out:  # noqa: SIM117
            with pytest.raises(OSError, match="early"):
                copy_fd(src.fileno(), out.fileno(), len(data) + 10)
    finally:
        target.unlink(missing_ok=True)
