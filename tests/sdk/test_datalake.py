"""The SDK's datalake against a real server: the contract's methods and their errors."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from pixlake import Client, Datalake, Picture
from pixlake.errors import (
    AuthenticationError,
    InvalidInputError,
    InvalidQueryError,
    NetworkError,
    ResourceNotFoundError,
    UnauthorizedError,
)
from tests.conftest import LiveServer, make_image, write_images


class CountingTransport(httpx.HTTPTransport):
    """The real transport, recording what was sent (an observer, not a fake)."""

    def __init__(self) -> None:
        super().__init__()
        self.sent: list[tuple[str, str, int]] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.sent.append((request.method, request.url.path, len(request.content)))
        return super().handle_request(request)

    def blob_bytes(self) -> int:
        return sum(
            n for m, p, n in self.sent if p.endswith("/blobs") or (m == "PUT" and "/blobs/" in p)
        )


class FlakyTransport(httpx.HTTPTransport):
    """Drops the connection on the first attempt of each matching request: a failure a real,
    healthy server cannot be made to produce on demand."""

    def __init__(self, suffix: str) -> None:
        super().__init__()
        self.suffix = suffix
        self.dropped = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith(self.suffix) and self.dropped == 0:
            self.dropped += 1
            raise httpx.ReadError("connection reset by peer", request=request)
        return super().handle_request(request)


@pytest.fixture
def pic(server: LiveServer, alice: str) -> Iterator[Picture]:
    yield Picture(api_token=alice, host=server.url, interactive=False)


# --------------------------------------------------------------------------- construction


def test_reference_style_script(
    server: LiveServer, alice: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A script written against the upstream SDK, only the import line changed."""
    from pixlake.client import Client as UpstreamClient

    write_images(tmp_path / "imgs", 10)
    pic = UpstreamClient.Datalake.Picture(api_token=alice, host=server.url)  # type: ignore[attr-defined]
    pic.upload(
        [str(p) for p in sorted((tmp_path / "imgs").iterdir())], tags=["train"], source="camera-3"
    )
    assets = pic.list()
    assert len(assets) == 10
    sel = pic.fetch(0.3, ["train"])
    assert len(sel) == 3 and pic.fetched_pictures == sel
    pic.status()
    pic.add_tags(tags=["reviewed"])
    pic.remove_tags(tags=["train"])
    pic.delete()
    assert len(pic.list()) == 7
    out = capsys.readouterr().out
    assert "Number of Assets selected : 3" in out
    assert "1 tags added to 3 assets" in out
    assert "3 assets deleted from Lake" in out


def test_client_greets_and_shares_one_connection(
    server: LiveServer, alice: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with Client(api_token=alice, host=server.url) as client:
        assert capsys.readouterr().out == f"Hi {client.username}, welcome back.\n"
        assert str(client) == f"Client Initialized for {client.organization_name} organization"
        assert client.auth == {"Authorization": f"Token {alice}"}
        assert client.datalake.picture.organization_id == client.organization_id
        assert client.datalake.picture._ctx is client._ctx
    Datalake(api_token=alice, host=server.url)
    assert capsys.readouterr().out == ""  # Datalake and Picture ping silently


def test_token_from_environment(
    server: LiveServer, alice: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PIXLAKE_TOKEN", raising=False)
    monkeypatch.setenv("PICSELLIA_TOKEN", alice)
    monkeypatch.setenv("PIXLAKE_HOST", server.url)
    assert Picture().organization_id
    monkeypatch.setenv("PIXLAKE_TOKEN", "pxl_wrong")  # PIXLAKE_TOKEN wins
    with pytest.raises(UnauthorizedError, match="unknown or revoked"):
        Picture()


def test_no_token_says_what_to_do(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PIXLAKE_TOKEN", raising=False)
    monkeypatch.delenv("PICSELLIA_TOKEN", raising=False)
    with pytest.raises(AuthenticationError, match="PIXLAKE_TOKEN"):
        Picture()


def test_upstream_style_host_is_accepted(server: LiveServer, alice: str) -> None:
    assert Picture(api_token=alice, host=server.url + "/sdk/v2/").host == server.url


def test_unknown_organization(server: LiveServer, alice: str, bob: str) -> None:
    bob_org = Picture(api_token=bob, host=server.url).organization_name
    for name in ("no-such-org", bob_org):
        with pytest.raises(ResourceNotFoundError, match=name):
            Picture(api_token=alice, organization=name, host=server.url)
    with pytest.raises(InvalidQueryError, match="looks like a URL"):
        Datalake(alice, server.url)


def test_unreachable_server() -> None:
    from pixlake.api.embedded import free_port

    with pytest.raises(NetworkError, match="cannot reach"):
        Picture(api_token="pxl_x", host=f"http://127.0.0.1:{free_port()}")


# --------------------------------------------------------------------------- upload


@pytest.mark.usefixtures("transfer")
def test_upload_one_list_and_folder(pic: Picture, tmp_path: Path) -> None:
    paths = write_images(tmp_path / "f", 6)
    one = pic.upload(str(paths[0]), tags=["one"])
    assert [r["external_url"] for r in one] == ["img_0000.jpg"]
    record = one[0]
    assert record["tag"] == ["one"] and record["source"] == "sdk"
    assert (record["width"], record["height"]) == (64, 48)
    assert len(record["sha256"]) == 64 and record["size"] == paths[0].stat().st_size
    listed = pic.upload([paths[1], str(paths[2])], tags=["two"], source="camera-3")
    assert {r["source"] for r in listed} == {"camera-3"}
    (tmp_path / "f" / "notes.txt").write_text("not an image, skipped in a folder")
    folder = pic.upload(tmp_path / "f", tags=["all"])
    assert sorted(r["external_url"] for r in folder) == sorted(p.name for p in paths)
    assert len(pic.list()) == 6
    assert sorted(next(r for r in pic.list() if r["external_url"] == "img_0000.jpg")["tag"]) == [
        "all",
        "one",
    ]


def test_same_name_same_bytes_is_a_no_op_that_merges_tags(pic: Picture, tmp_path: Path) -> None:
    path = write_images(tmp_path, 1)[0]
    first = pic.upload(path, tags=["a"])
    again = pic.upload(path, tags=["b"])
    assert again[0]["picture_id"] == first[0]["picture_id"]
    assert again[0]["tag"] == ["a", "b"]
    assert len(pic.list()) == 1


def test_same_name_other_bytes_names_the_file(pic: Picture, tmp_path: Path) -> None:
    (tmp_path / "x").mkdir()
    (tmp_path / "y").mkdir()
    (tmp_path / "x" / "same.jpg").write_bytes(make_image(1))
    (tmp_path / "y" / "same.jpg").write_bytes(make_image(2))
    pic.upload(tmp_path / "x" / "same.jpg")
    with pytest.raises(InvalidInputError, match="same.jpg") as info:
        pic.upload(tmp_path / "y" / "same.jpg")
    assert "already in the datalake" in str(info.value)
    assert pic.list()[0]["sha256"] != ""
    assert len(pic.list()) == 1


@pytest.mark.usefixtures("transfer")
def test_bad_files_are_listed_and_good_ones_kept(pic: Picture, tmp_path: Path) -> None:
    good = write_images(tmp_path, 3)
    text = tmp_path / "notes.jpg"
    text.write_text("hello")
    truncated = tmp_path / "cut.jpg"
    truncated.write_bytes(make_image(99)[:500])
    missing = tmp_path / "gone.jpg"
    with pytest.raises(InvalidInputError) as info:
        pic.upload([*good, text, truncated, missing], tags=["batch"])
    error = info.value
    by_file = {Path(d["file"]).name: d["message"] for d in error.details}
    assert set(by_file) == {"notes.jpg", "cut.jpg", "gone.jpg"}
    assert "unrecognised format" in by_file["notes.jpg"]
    assert "truncated" in by_file["cut.jpg"]
    assert "no such file" in by_file["gone.jpg"]
    assert "3 of 6 files were not uploaded (3 were)" in str(error)
    assert sorted(r["external_url"] for r in pic.list()) == sorted(p.name for p in good)


def test_a_file_name_in_another_encoding_is_listed_and_the_rest_kept(
    pic: Picture, tmp_path: Path
) -> None:
    good = write_images(tmp_path, 2)
    latin1 = os.fsdecode(b"caf\xe9.jpg")  # not UTF-8: reads back with an undecodable byte
    (tmp_path / latin1).write_bytes(make_image(7))
    with pytest.raises(InvalidInputError) as info:
        pic.upload(tmp_path, tags=["batch"])
    (detail,) = info.value.details
    assert detail["file"].endswith("caf\\udce9.jpg")
    assert "not valid UTF-8" in detail["message"] and "rename" in detail["message"]
    assert sorted(r["external_url"] for r in pic.list()) == sorted(p.name for p in good)


def test_a_bad_tag_is_named_and_nothing_is_uploaded(pic: Picture, tmp_path: Path) -> None:
    (path,) = write_images(tmp_path, 1)
    with pytest.raises(InvalidInputError, match="^Invalid query : 1 tag is not valid") as info:
        pic.upload(str(path), tags=["train", " "])
    assert [d["field"] for d in info.value.details] == ["tags[1]"]
    assert pic.list() == []


def test_missing_path_and_empty_list(pic: Picture, tmp_path: Path) -> None:
    with pytest.raises(InvalidQueryError, match="nowhere.jpg: no such file"):
        pic.upload(tmp_path / "nowhere.jpg")
    with pytest.raises(InvalidQueryError, match="empty list"):
        pic.upload([])
    with pytest.raises(TypeError, match="tags must be a list"):
        pic.upload(tmp_path, tags="train")
    assert pic.list() == []


@pytest.mark.usefixtures("over_http")
def test_upload_is_resumable_and_sends_no_byte_twice(
    server: LiveServer, alice: str, tmp_path: Path
) -> None:
    paths = write_images(tmp_path, 10)
    first = CountingTransport()
    Picture(api_token=alice, host=server.url, interactive=False, transport=first).upload(paths[:4])
    second = CountingTransport()
    again = Picture(api_token=alice, host=server.url, interactive=False, transport=second)
    again.upload(paths, tags=["all"])
    rest = sum(p.stat().st_size for p in paths[4:])
    # only the six new files travel (plus tar headers), none of the first four
    assert rest <= second.blob_bytes() < rest + 6 * 1024 + 1024
    third = CountingTransport()
    Picture(api_token=alice, host=server.url, interactive=False, transport=third).upload(paths)
    assert third.blob_bytes() == 0
    assert len(again.list()) == 10


def test_a_re_upload_is_one_request_per_chunk(
    server: LiveServer, alice: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pixlake.sdk._upload as upload_module

    monkeypatch.setattr(upload_module, "BATCH_FILES", 4)
    monkeypatch.setattr(upload_module, "FIRST_BATCH_FILES", 2)
    paths = write_images(tmp_path, 10, start=8200)  # chunks of 2, 4 and 4 files
    first = Picture(api_token=alice, host=server.url, interactive=False).upload(paths)
    counting = CountingTransport()
    again = Picture(api_token=alice, host=server.url, interactive=False, transport=counting)
    before = len(counting.sent)
    records = again.upload(paths, tags=["again"])
    assert [(m, p.rsplit("/", 1)[-1]) for m, p, _ in counting.sent[before:]] == [
        ("POST", "pictures")
    ] * 3
    assert sorted(r["picture_id"] for r in records) == sorted(r["picture_id"] for r in first)
    assert all(r["tag"] == ["again"] for r in records)


@pytest.mark.usefixtures("over_http")
def test_bytes_gone_from_storage_are_sent_again(
    server: LiveServer, alice: str, tmp_path: Path
) -> None:
    path = write_images(tmp_path, 1, start=8300)[0]
    first = Picture(api_token=alice, host=server.url, interactive=False).upload(path)
    digest = first[0]["sha256"]
    root = Path(server.settings.storage_url.removeprefix("file://"))
    stored = root / "sha256" / digest[:2] / digest[2:]
    stored.unlink()
    counting = CountingTransport()
    again = Picture(api_token=alice, host=server.url, interactive=False, transport=counting)
    assert again.upload(path)[0]["picture_id"] == first[0]["picture_id"]
    assert counting.blob_bytes() >= path.stat().st_size
    assert stored.read_bytes() == path.read_bytes()


@pytest.mark.usefixtures("over_http")
def test_bytes_not_kept_in_memory_are_read_again_to_send(
    server: LiveServer, alice: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pixlake.sdk._upload as upload_module

    monkeypatch.setattr(upload_module, "BATCH_BYTES", 1)  # no bytes kept from hashing
    monkeypatch.setattr(upload_module, "TAR_BYTES", 1)  # one file per tar
    paths = write_images(tmp_path, 3, start=8400)
    counting = CountingTransport()
    pic = Picture(api_token=alice, host=server.url, interactive=False, transport=counting)
    records = pic.upload(paths)
    assert sorted(r["external_url"] for r in records) == [p.name for p in paths]
    tars = [n for m, p, n in counting.sent if m == "POST" and p.endswith("/blobs")]
    assert len(tars) == 3
    assert counting.blob_bytes() >= sum(p.stat().st_size for p in paths)


@pytest.mark.usefixtures("transfer")
def test_bytes_are_stored_once_across_names_and_organizations(
    server: LiveServer, alice: str, bob: str, tmp_path: Path
) -> None:
    data = make_image(4242, (100, 80))
    for name in ("a.jpg", "b.jpg"):
        (tmp_path / name).write_bytes(data)
    Picture(api_token=alice, host=server.url, interactive=False).upload(tmp_path)
    Picture(api_token=bob, host=server.url, interactive=False).upload(tmp_path / "a.jpg")
    import hashlib

    digest = hashlib.sha256(data).hexdigest()
    blob_root = Path(server.settings.storage_url.removeprefix("file://")) / "sha256"
    assert [p.name for p in blob_root.rglob(digest[2:])] == [digest[2:]]


@pytest.mark.usefixtures("over_http")
def test_dropped_connections_are_retried(server: LiveServer, alice: str, tmp_path: Path) -> None:
    paths = write_images(tmp_path, 3)
    flaky = FlakyTransport("/blobs")
    pic = Picture(api_token=alice, host=server.url, interactive=False, transport=flaky)
    assert len(pic.upload(paths)) == 3
    assert flaky.dropped == 1


@pytest.mark.usefixtures("transfer")
def test_large_files_stream(pic: Picture, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import pixlake.sdk._upload as upload_module

    monkeypatch.setattr(upload_module, "SMALL_FILE", 1000)  # every file takes the streamed path
    paths = write_images(tmp_path, 2)
    assert len(pic.upload(paths, tags=["big"])) == 2
    assert {r["external_url"] for r in pic.fetch(1, ["big"])} == {p.name for p in paths}


# --------------------------------------------------------------------------- selections


@pytest.fixture
def stocked(pic: Picture, tmp_path: Path) -> Picture:
    paths = write_images(tmp_path / "s", 10)
    pic.upload(paths[:8], tags=["train"])
    pic.upload(paths[8:], tags=["val"])
    return pic


def test_fetch_fractions(stocked: Picture, capsys: pytest.CaptureFixture[str]) -> None:
    assert len(stocked.fetch(0.5, ["train"])) == 4
    assert len(stocked.fetch(1, ["train", "val"])) == 10
    assert len(stocked.fetch(6, ["train"])) == 8  # upstream passes integers: >= 1 means all
    assert len(stocked.fetch(0.01, ["val"])) == 1
    assert stocked.fetch(0.5, []) == []
    assert stocked.fetch(1, ["nothing"]) == []
    assert "No assets found for tags nothing" not in capsys.readouterr().out  # not interactive
    with pytest.raises(InvalidQueryError, match="quantity"):
        stocked.fetch(0, ["train"])
    with pytest.raises(InvalidQueryError, match="needs tags"):
        stocked.fetch(0.5)
    with pytest.raises(TypeError):
        stocked.fetch("all", ["train"])  # type: ignore[arg-type,unused-ignore]
    assert stocked.fetch(0.5, ["train"], seed=3) == stocked.fetch(0.5, ["train"], seed=3)


def test_tags_and_delete_take_records_or_ids(stocked: Picture) -> None:
    val = stocked.fetch(1, ["val"])
    stocked.add_tags([val[0]["picture_id"]], ["gold"])
    stocked.add_tags(val, ["gold"])  # idempotent
    assert {r["external_url"] for r in stocked.fetch(1, ["gold"])} == {
        r["external_url"] for r in val
    }
    stocked.remove_tags(tags=["gold"])  # the last fetched selection
    assert stocked.fetch(1, ["gold"]) == []
    stocked.delete(val)
    assert len(stocked.list()) == 8
    assert stocked.fetch(1, ["val"]) == []


def test_empty_selection_sends_nothing(
    stocked: Picture, capsys: pytest.CaptureFixture[str]
) -> None:
    stocked.fetched_pictures = []
    stocked.delete()
    stocked.add_tags(tags=["x"])
    stocked.remove_tags(tags=["x"])
    assert len(stocked.list()) == 10
    assert str(Picture(_context=stocked._ctx)) == "No assets selected"
    with pytest.raises(TypeError, match="picture record"):
        stocked.delete([42])  # type: ignore[list-item]


def test_status_prints_and_returns(stocked: Picture, capsys: pytest.CaptureFixture[str]) -> None:
    stocked.fetch(0.5, ["train"])
    assert stocked.status() == 4
    assert capsys.readouterr().out == "Number of Assets selected : 4\n"


def test_delete_another_organizations_pictures_does_nothing(
    server: LiveServer, stocked: Picture, bob: str
) -> None:
    ids = [r["picture_id"] for r in stocked.list()]
    intruder = Picture(api_token=bob, host=server.url, interactive=False)
    intruder.delete(ids)
    intruder.add_tags(ids, ["mine"])
    assert len(stocked.list()) == 10
    assert stocked.fetch(1, ["mine"]) == []


def test_interactive_prints(
    server: LiveServer, alice: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pic = Picture(api_token=alice, host=server.url)
    pic.upload(write_images(tmp_path, 2), tags=["p"])
    assert pic.fetch(1, ["absent"]) == []
    out = capsys.readouterr().out
    assert "2 Assets uploaded (2 new, 0 already there)" in out
    assert "No assets found for tags absent" in out
    shutil.rmtree(tmp_path)


def test_bytes_already_held_are_still_refused_when_not_an_image(
    server: LiveServer, pic: Picture, tmp_path: Path
) -> None:
    import hashlib

    text = b"a config file, not a picture"
    digest = hashlib.sha256(text).hexdigest()
    with httpx.Client(base_url=server.url + "/api/v1", headers=pic.auth) as http:
        http.put(f"{pic._ctx.org_path}/blobs/{digest}", content=text).raise_for_status()
    path = tmp_path / "config.jpg"
    path.write_bytes(text)
    with pytest.raises(InvalidInputError, match="config.jpg") as info:
        pic.upload(path)
    assert "not a decodable image" in info.value.details[0]["message"]
    assert pic.list() == []
