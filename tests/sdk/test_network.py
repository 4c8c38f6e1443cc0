"""The SDK's ``Network`` against a real server: every method of the contract, the hub, bad
input (the right error, naming the field or file, and nothing changed), and large files
that resume after an interruption, both ways."""

from __future__ import annotations

import hashlib
import io
import os
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image

from pixlake import Client, Network
from pixlake.errors import (
    AlreadyExistsError,
    ForbiddenError,
    InvalidInputError,
    InvalidQueryError,
    ResourceNotFoundError,
    UnsupportedFeatureError,
)
from pixlake.sdk._transfer import PART_SIZE
from tests.conftest import LiveServer, make_image

MiB = 1024 * 1024


class Recorder(httpx.HTTPTransport):
    """The real transport, noting each request's method, path and Range (an observer)."""

    def __init__(self) -> None:
        super().__init__()
        self.sent: list[tuple[str, str, str | None]] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.sent.append((request.method, request.url.path, request.headers.get("range")))
        return super().handle_request(request)

    def blob_puts(self) -> list[str]:
        return [p.rsplit("/", 1)[-1] for m, p, _ in self.sent if m == "PUT" and "/blobs/" in p]

    def composes(self) -> int:
        return sum(1 for m, p, _ in self.sent if m == "POST" and p.endswith("/blobs/compose"))


class Interrupted(Exception):
    """Stands for Ctrl-C or a crash in the middle of an upload."""


class InterruptPart(Recorder):
    """Fails the upload of one part, as if the process died while sending it."""

    def __init__(self, digest: str) -> None:
        super().__init__()
        self.digest = digest

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "PUT" and request.url.path.endswith(self.digest):
            raise Interrupted("stopped while sending a part")
        return super().handle_request(request)


class _Broken(httpx.SyncByteStream):
    def __init__(self, inner: httpx.SyncByteStream, after: int) -> None:
        self.inner = inner
        self.after = after

    def __iter__(self) -> Iterator[bytes]:
        sent = 0
        for chunk in self.inner:
            if sent + len(chunk) >= self.after:
                yield chunk[: self.after - sent]
                raise httpx.ReadError("connection reset by peer")
            sent += len(chunk)
            yield chunk

    def close(self) -> None:
        self.inner.close()


class DropDownloadOnce(Recorder):
    """Cuts the first file download after ``after`` bytes: a dropped connection, which a
    healthy server cannot be made to produce on demand."""

    def __init__(self, after: int) -> None:
        super().__init__()
        self.after = after
        self.dropped = False

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = super().handle_request(request)
        if "/files/" in request.url.path and not self.dropped:
            self.dropped = True
            assert isinstance(response.stream, httpx.SyncByteStream)
            return httpx.Response(
                response.status_code,
                headers=response.headers,
                stream=_Broken(response.stream, self.after),
                request=request,
            )
        return response


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
def net(server: LiveServer, alice: str) -> Network:
    return Network(api_token=alice, host=server.url, interactive=False)


@pytest.fixture
def made(net: Network, unique: str) -> Network:
    return net.create(f"yolo-{unique}", "detection")


def fresh(server: LiveServer, token: str, **kwargs: Any) -> Network:
    """Another SDK object, to read what the server holds now."""
    return Network(api_token=token, host=server.url, interactive=False, **kwargs)


def image_file(path: Path, size: tuple[int, int] = (640, 480), fmt: str = "PNG") -> Path:
    buffer = io.BytesIO()
    Image.new("RGB", size, (30, 90, 200)).save(buffer, fmt)
    path.write_bytes(buffer.getvalue())
    return path


# --------------------------------------------------------------------------- constructor


def test_constructor_greets_and_sets_the_contract_attributes(
    server: LiveServer, alice: str, unique: str, capsys: pytest.CaptureFixture[str]
) -> None:
    net = Network(api_token=alice, host=server.url)
    assert capsys.readouterr().out == f"Hi alice-{unique}, welcome back.\n"
    assert net.organization == f"acme-{unique}"
    assert net.network_id is None and net.network_name == ""
    assert net.infos == {} and net.network_list == [] and net.files == {}
    assert "get" in str(net) and "create" in str(net)
    with pytest.raises(TypeError, match="network_id"):
        Network(api_token=alice, host=server.url, network_id=42)  # type: ignore[arg-type]


def test_client_holds_a_network_sharing_its_connection(
    server: LiveServer, alice: str, unique: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with Client(api_token=alice, host=server.url, interactive=False) as client:
        assert Client.Network is Network
        assert isinstance(client.network, Network)
        assert capsys.readouterr().out.count("welcome back") == 1
        client.network.create(f"via-client-{unique}", "classification")
        assert client.network.organization == f"acme-{unique}"


# --------------------------------------------------------------------------- create, get, list


def test_create_prints_and_selects(
    server: LiveServer, alice: str, unique: str, capsys: pytest.CaptureFixture[str]
) -> None:
    net = Network(api_token=alice, host=server.url)
    assert net.create(f"yolo-{unique}", "detection") is net
    out = capsys.readouterr().out
    assert f"Network yolo-{unique} created." in out and '"network_name"' in out
    assert net.network_name == f"yolo-{unique}" and net.network_id == net.infos["model_id"]
    assert net.infos["type"] == "detection" and net.infos["private"] is True
    assert str(net).startswith("{")


def test_create_refuses_an_empty_type_and_a_duplicate(net: Network, unique: str) -> None:
    with pytest.raises(InvalidQueryError, match="type") as caught:
        net.create(f"n-{unique}", "")
    assert caught.value.details[0]["field"] == "type"
    net.create(f"n-{unique}", "detection")
    first = net.network_id
    with pytest.raises(AlreadyExistsError, match=f"n-{unique}"):
        net.create(f"n-{unique}", "segmentation")
    assert isinstance(AlreadyExistsError(), InvalidQueryError)
    assert net.network_id == first
    assert [r["network_name"] for r in net.list()] == [f"n-{unique}"]
    assert net.list()[0]["type"] == "detection"
    with pytest.raises(TypeError, match="name"):
        net.create(7, "detection")  # type: ignore[arg-type]


def test_get_by_name_or_id_and_the_preset_id(
    server: LiveServer, alice: str, made: Network, capsys: pytest.CaptureFixture[str]
) -> None:
    model_id = made.network_id
    assert model_id is not None
    net = Network(api_token=alice, host=server.url, network_id=model_id)
    capsys.readouterr()
    assert net.get() is net and net.network_name == made.network_name
    assert f"Successfully fetched network {made.network_name}" in capsys.readouterr().out
    other = net.create(f"{made.network_name}-b", "detection").network_id
    # an explicit identifier wins over the id left by create
    assert net.get(made.network_name).network_id == model_id
    assert net.get(str(other)).network_name == f"{made.network_name}-b"
    with pytest.raises(ResourceNotFoundError, match="no-such"):
        net.get("no-such")
    with pytest.raises(InvalidQueryError, match="id or name"):
        fresh(server, alice).get()


def test_list_prints_up_to_five(
    server: LiveServer, alice: str, unique: str, capsys: pytest.CaptureFixture[str]
) -> None:
    net = Network(api_token=alice, host=server.url)
    for i in range(7):
        net.create(f"m{i}-{unique}", "detection")
    net.get(f"m0-{unique}").update(framework="pytorch", tag=["cars"])
    capsys.readouterr()
    records = net.list()
    assert len(records) == 7 and net.network_list == records
    out = capsys.readouterr().out
    assert "m0-" in out and "m4-" in out and "m5-" not in out and "and 2 more" in out
    assert "pytorch" in out and "cars" in out


# --------------------------------------------------------------------------- update, labels


def test_update_changes_fields_and_prints(
    server: LiveServer, alice: str, unique: str, capsys: pytest.CaptureFixture[str]
) -> None:
    net = Network(api_token=alice, host=server.url).create(f"u-{unique}", "detection")
    capsys.readouterr()
    readme = "# YOLO cars\n\n| a | b |\n|---|---|\n"
    assert (
        net.update(
            description="YOLOv5 on street cars",
            framework="pytorch",
            tag=["cars", "yolo"],
            base_parameters={"lr": 0.01, "epochs": 30},
            readme_text=readme,
            type="detection-v2",
        )
        is net
    )
    assert f"Network u-{unique} updated." in capsys.readouterr().out
    assert net.infos["description"] == "YOLOv5 on street cars"
    assert net.infos["tag"] == ["cars", "yolo"] and net.infos["readme_text"] == readme
    assert net.infos["base_parameters"] == {"lr": 0.01, "epochs": 30}
    again = fresh(server, alice).get(f"u-{unique}")
    assert again.infos["framework"] == "pytorch" and again.infos["type"] == "detection-v2"


@pytest.mark.parametrize(
    ("fields", "error", "words"),
    [
        ({"files": {"x": "y"}}, InvalidQueryError, "'files' is read-only"),
        ({"model_id": "x"}, InvalidQueryError, "'model_id' is read-only"),
        ({"thumb_object_name": "x"}, InvalidQueryError, "update_thumb"),
        ({"colour": "red"}, InvalidQueryError, "'colour' is not a field"),
        ({}, InvalidQueryError, "at least one field"),
        ({"private": "yes"}, TypeError, "private"),
        ({"tag": "cars"}, TypeError, "tag"),
        ({"description": 3}, TypeError, "description"),
        ({"base_parameters": [1]}, TypeError, "base_parameters"),
    ],
)
def test_update_refuses_bad_fields_by_name(
    server: LiveServer,
    alice: str,
    made: Network,
    fields: dict[str, Any],
    error: type[Exception],
    words: str,
) -> None:
    with pytest.raises(error, match=words):
        made.update(description="changed", **fields) if fields != {} else made.update()
    assert fresh(server, alice).get(made.network_name).infos["description"] == ""


def test_update_needs_a_selected_network(net: Network) -> None:
    with pytest.raises(InvalidQueryError, match="get"):
        net.update(description="x")
    with pytest.raises(InvalidQueryError, match="get"):
        net.store("config", __file__)


def test_labels(server: LiveServer, alice: str, made: Network) -> None:
    assert made.labels({"1": "car", "2": "bus"}) is None  # type: ignore[func-returns-value]
    assert made.infos["labels"] == {"1": "car", "2": "bus"}
    made.labels({2: "truck", 1: "car"})  # type: ignore[dict-item]
    assert list(made.infos["labels"].items()) == [("1", "car"), ("2", "truck")]


@pytest.mark.parametrize(
    ("labels", "field"),
    [
        ({"0": "background", "1": "car"}, "labels['0']"),
        ({"1": "car", "3": "bus"}, "labels"),
        ({"1": "car", "2": 5}, "labels['2']"),
        ({"1": "car", "2": None}, "labels['2']"),
    ],
)
def test_bad_label_maps_change_nothing(
    server: LiveServer, alice: str, made: Network, labels: dict[str, Any], field: str
) -> None:
    made.labels({"1": "car"})
    with pytest.raises(InvalidQueryError) as caught:
        made.labels(labels)
    assert any(d["field"] == field for d in caught.value.details)
    assert field.split("[")[0] in str(caught.value)
    assert fresh(server, alice).get(made.network_name).infos["labels"] == {"1": "car"}
    with pytest.raises(TypeError, match="labels"):
        made.labels([("1", "car")])  # type: ignore[arg-type]


# --------------------------------------------------------------------------- store, download


def test_store_reserved_names_and_download(
    made: Network,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    weights = tmp_path / "weights.bin"
    weights.write_bytes(os.urandom(300_000))
    config = tmp_path / "config.yaml"
    config.write_text("epochs: 30\n")
    made._ctx.interactive = True
    capsys.readouterr()
    assert made.store("model-latest", weights) is None  # type: ignore[func-returns-value]
    assert f"File model-latest stored successfully for network {made.network_name}" in (
        capsys.readouterr().out
    )
    made._ctx.interactive = False
    made.store("config", str(config))
    made.store("checkpoint-data-latest", weights)
    made.store("checkpoint-index-latest", config)
    nid = made.network_id
    # each file keeps its own name, as upstream keys it
    assert made.files == {
        "model-latest": f"{nid}/0/weights.bin",
        "config": f"{nid}/config.yaml",
        "checkpoint-data-latest": f"{nid}/weights.bin",
        "checkpoint-index-latest": f"{nid}/config.yaml",
    }
    assert made.infos["file_details"]["config"]["file_name"] == "config.yaml"
    (tmp_path / "down").mkdir()
    monkeypatch.chdir(tmp_path / "down")
    out = made.download("model-latest")
    assert out == tmp_path / "down" / "weights.bin" and out.read_bytes() == weights.read_bytes()
    target = tmp_path / "cfg"
    target.mkdir()
    assert made.download("config", target) == target / "config.yaml"
    assert (target / "config.yaml").read_bytes() == b"epochs: 30\n"
    assert not list(target.glob("*.part"))
    with pytest.raises(ResourceNotFoundError, match="no file named 'nope'"):
        made.download("nope")


def test_a_file_stored_twice_is_sent_once(
    server: LiveServer, alice: str, made: Network, tmp_path: Path
) -> None:
    path = tmp_path / "w.bin"
    path.write_bytes(os.urandom(100_000))
    made.store("model-latest", path)
    recorder = Recorder()
    again = Network(api_token=alice, host=server.url, interactive=False, transport=recorder)
    again.get(made.network_name)
    again.store("backup", path)
    again.store("model-latest", path)
    assert recorder.blob_puts() == []
    details = again.infos["file_details"]
    assert (
        details["backup"]["sha256"] == details["model-latest"]["sha256"] == sha(path.read_bytes())
    )


def test_store_zips_a_folder_or_a_file_to_a_temporary_file(
    made: Network, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    zips = tmp_path / "tmp"
    zips.mkdir()
    monkeypatch.setenv("TMPDIR", str(zips))
    monkeypatch.setattr("tempfile.tempdir", None)
    folder = tmp_path / "saved_model"
    (folder / "variables").mkdir(parents=True)
    (folder / "saved_model.pb").write_bytes(b"graph" * 1000)
    (folder / "variables" / "variables.data").write_bytes(os.urandom(50_000))
    before = sorted(p.name for p in tmp_path.iterdir())
    made.store("model-latest", folder, zip=True)
    made.store("config", folder / "saved_model.pb", zip=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # nothing next to the input
    assert list(zips.iterdir()) == []  # and the temporary zips are gone
    nid = made.network_id  # named as upstream names them: the folder's, or the file's stem
    assert made.files == {
        "model-latest": f"{nid}/0/saved_model.zip",
        "config": f"{nid}/saved_model.zip",
    }
    monkeypatch.chdir(tmp_path)
    with zipfile.ZipFile(made.download("model-latest")) as archive:
        assert sorted(archive.namelist()) == ["saved_model.pb", "variables/variables.data"]
        assert (
            archive.read("variables/variables.data")
            == (folder / "variables" / "variables.data").read_bytes()
        )
    with zipfile.ZipFile(made.download("config")) as archive:
        assert archive.namelist() == ["saved_model.pb"]


def test_a_download_where_nothing_can_be_written_names_the_place(
    made: Network, tmp_path: Path
) -> None:
    (tmp_path / "w.bin").write_bytes(b"weights")
    made.store("config", tmp_path / "w.bin")
    with pytest.raises(InvalidQueryError) as error:
        made.download("config", tmp_path / "w.bin" / "x.bin")  # under a file
    said = f"{tmp_path / 'w.bin' / 'x.bin'}: cannot be written (Not a directory)"
    assert error.value.message == said


@pytest.mark.parametrize(
    ("name", "path", "zipped", "error", "words"),
    [
        ("config", None, False, InvalidQueryError, "needs a path"),
        ("config", "missing.bin", False, InvalidQueryError, "missing.bin: no such file"),
        ("config", ".", False, InvalidQueryError, "is a folder: pass zip=True"),
        ("config", "/proc/self/mem", False, InvalidInputError, "mem: cannot be read"),
        ("../config", "w.bin", False, InvalidInputError, "name '../config'"),
        ("a/b", "w.bin", False, InvalidInputError, "name 'a/b'"),
        ("a\\b", "w.bin", False, InvalidInputError, "without folders"),
        ("..", "w.bin", False, InvalidInputError, "name '..'"),
        ("", "w.bin", False, InvalidInputError, "empty"),
        ("config", "w.bin", "yes", TypeError, "zip"),
        ("config", 3, False, TypeError, "path"),
    ],
)
def test_bad_stores_change_nothing(
    server: LiveServer,
    alice: str,
    made: Network,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    name: str,
    path: Any,
    zipped: Any,
    error: type[Exception],
    words: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "w.bin").write_bytes(b"weights")
    recorder = Recorder()
    net = Network(api_token=alice, host=server.url, interactive=False, transport=recorder)
    net.get(made.network_name)
    recorder.sent.clear()
    with pytest.raises(error, match=words):
        net.store(name, path, zip=zipped)
    assert recorder.sent == []
    assert fresh(server, alice).get(made.network_name).files == {}


# --------------------------------------------------------------------------- large files


def test_an_interrupted_upload_resumes_sending_only_the_missing_parts(
    server: LiveServer, alice: str, made: Network, tmp_path: Path
) -> None:
    data = os.urandom(2 * PART_SIZE + 123_457)
    path = tmp_path / "big.bin"
    path.write_bytes(data)
    parts = [data[i : i + PART_SIZE] for i in range(0, len(data), PART_SIZE)]
    assert len(parts) == 3
    stopper = InterruptPart(sha(parts[1]))
    broken = Network(api_token=alice, host=server.url, interactive=False, transport=stopper)
    broken.get(made.network_name)
    with pytest.raises(Interrupted):
        broken.store("model-latest", path)
    assert stopper.composes() == 0
    assert fresh(server, alice).get(made.network_name).files == {}

    recorder = Recorder()
    resumed = Network(api_token=alice, host=server.url, interactive=False, transport=recorder)
    resumed.get(made.network_name)
    resumed.store("model-latest", path)
    assert recorder.blob_puts() == [sha(parts[1])]  # the two others were already there
    assert recorder.composes() == 1
    details = resumed.infos["file_details"]["model-latest"]
    assert details["sha256"] == sha(data) and details["size"] == len(data)
    assert resumed.download("model-latest", tmp_path / "back.bin").read_bytes() == data


@pytest.mark.usefixtures("over_http")
def test_an_interrupted_download_resumes_with_a_range(
    server: LiveServer, alice: str, made: Network, tmp_path: Path
) -> None:
    data = os.urandom(3 * MiB + 99)
    path = tmp_path / "w.bin"
    path.write_bytes(data)
    made.store("model-latest", path)
    dropper = DropDownloadOnce(after=2 * MiB + 500)
    net = Network(api_token=alice, host=server.url, interactive=False, transport=dropper)
    net.get(made.network_name)
    out = net.download("model-latest", tmp_path / "dl.bin")
    assert out.read_bytes() == data
    ranges = [r for m, p, r in dropper.sent if "/files/" in p]
    assert len(ranges) == 2 and ranges[0] is None
    assert ranges[1] is not None and ranges[1].startswith("bytes=")
    assert int(ranges[1][6:].rstrip("-")) > 0
    assert not (tmp_path / "dl.bin.part").exists()


@pytest.mark.usefixtures("over_http")
def test_a_download_resumes_from_a_part_file_and_skips_a_finished_one(
    server: LiveServer, alice: str, made: Network, tmp_path: Path
) -> None:
    data = os.urandom(2 * MiB + 5)
    (tmp_path / "w.bin").write_bytes(data)
    made.store("model-latest", tmp_path / "w.bin")
    dest = tmp_path / "dl.bin"
    (tmp_path / "dl.bin.part").write_bytes(data[:1000])
    recorder = Recorder()
    net = Network(api_token=alice, host=server.url, interactive=False, transport=recorder)
    net.get(made.network_name)
    assert net.download("model-latest", dest).read_bytes() == data
    assert [r for _, p, r in recorder.sent if "/files/" in p] == ["bytes=1000-"]
    recorder.sent.clear()
    net.download("model-latest", dest)  # already there, with the right bytes
    assert [p for _, p, _ in recorder.sent if "/files/" in p] == []
    # a stale .part (other bytes) is detected by the digest and the download starts over
    dest.unlink()
    (tmp_path / "dl.bin.part").write_bytes(b"x" * 1000)
    assert net.download("model-latest", dest).read_bytes() == data
    assert [r for _, p, r in recorder.sent if "/files/" in p] == ["bytes=1000-", None]


# --------------------------------------------------------------------------- thumbnail


def test_update_thumb(server: LiveServer, alice: str, made: Network, tmp_path: Path) -> None:
    assert made.update_thumb(image_file(tmp_path / "thumb.png", (1200, 600))) is None  # type: ignore[func-returns-value]
    nid = made.network_id
    assert made.infos["thumb_object_name"] == f"{nid}/thumb.jpg"
    response = httpx.get(made.infos["thumbnail_url"], headers={"Authorization": f"Token {alice}"})
    with Image.open(io.BytesIO(response.content)) as image:
        assert image.size == (256, 128)


@pytest.mark.parametrize("kind", ["text", "truncated", "too-large", "missing", "none", "folder"])
def test_bad_thumbnails_change_nothing(
    server: LiveServer, alice: str, made: Network, tmp_path: Path, kind: str
) -> None:
    made.update_thumb(image_file(tmp_path / "ok.png"))
    before = made.infos["thumb_object_name"]
    path: Path | None = tmp_path / "bad.png"
    assert path is not None
    error: type[Exception]
    if kind == "text":
        path.write_text("this is not an image")
        error, words = InvalidInputError, "bad.png: not a complete image"
    elif kind == "truncated":
        path.write_bytes(make_image(3, (400, 300))[:-500])
        error, words = InvalidInputError, "bad.png: not a complete image"
    elif kind == "too-large":
        noise = Image.frombytes("RGB", (1400, 1300), os.urandom(1400 * 1300 * 3))
        noise.save(path, "PNG")
        assert path.stat().st_size >= 5 * MiB
        error, words = InvalidInputError, "bad.png: the image is .* under 5 MiB"
    elif kind == "missing":
        error, words = InvalidQueryError, "bad.png: no such file"
    elif kind == "folder":
        path.mkdir()
        error, words = InvalidQueryError, "bad.png is not a file"
    else:
        path = None
        error, words = InvalidQueryError, "needs a path"
    with pytest.raises(error, match=words):
        made.update_thumb(path)
    assert fresh(server, alice).get(made.network_name).infos["thumb_object_name"] == before


# --------------------------------------------------------------------------- delete, deploy


def test_delete(
    server: LiveServer, alice: str, made: Network, capsys: pytest.CaptureFixture[str]
) -> None:
    name = made.network_name
    made._ctx.interactive = True
    capsys.readouterr()
    made.delete()
    assert f"Network {name} deleted." in capsys.readouterr().out
    assert made.infos == {} and made.network_id is None and made.files == {}
    with pytest.raises(ResourceNotFoundError):
        fresh(server, alice).get(name)
    with pytest.raises(InvalidQueryError, match="get"):
        made.delete()


def test_deploy_is_not_provided(made: Network) -> None:
    with pytest.raises(UnsupportedFeatureError, match="does not host inference"):
        made.deploy()
    with pytest.raises(NotImplementedError):
        made.deploy()


# --------------------------------------------------------------------------- hub


def test_hub_and_reading_through_the_owners_organization(
    server: LiveServer, alice: str, bob: str, made: Network, tmp_path: Path, unique: str
) -> None:
    (tmp_path / "w.bin").write_bytes(b"public weights")
    made.store("model-latest", tmp_path / "w.bin")
    made.update(framework="pytorch", tag=["cars"], description="shared")
    acme = f"acme-{unique}"
    with pytest.raises(ResourceNotFoundError, match=acme):
        fresh(server, bob, organization=acme)  # nothing public there yet
    made.update(private=False)

    reader = fresh(server, bob)
    found = reader.hub(search=made.network_name.upper())
    assert [r["network_name"] for r in found] == [made.network_name]
    assert reader.hub(search=made.network_name, framework="PyTorch", tag="cars", type="detection")
    assert reader.hub(search=made.network_name, tag="bikes") == []
    with pytest.raises(TypeError, match="tag"):
        reader.hub(tag=["cars"])  # type: ignore[arg-type]

    assert [r["network_name"] for r in reader.list(organization=acme)] == [made.network_name]
    assert reader.list() == []  # bob's own organization has none
    theirs = fresh(server, bob, organization=acme)
    assert theirs.organization == acme
    assert [r["network_name"] for r in theirs.list()] == [made.network_name]
    theirs.get(made.network_name)
    assert theirs.infos["description"] == "shared"
    assert theirs.download("model-latest", tmp_path / "got.bin").read_bytes() == b"public weights"
    with pytest.raises(ForbiddenError, match="read-only"):
        theirs.update(description="hacked")
    with pytest.raises(ForbiddenError, match="read-only"):
        theirs.store("config", tmp_path / "w.bin")
    with pytest.raises(ForbiddenError, match="read-only"):
        theirs.update_thumb(image_file(tmp_path / "t.png"))
    with pytest.raises(ForbiddenError, match="read-only"):
        theirs.delete()
    after = fresh(server, alice).get(made.network_name)
    assert after.infos["description"] == "shared" and list(after.files) == ["model-latest"]
    assert after.infos["thumb_object_name"] is None

    made.update(private=True)  # hidden at once
    with pytest.raises(ResourceNotFoundError):
        theirs.get(made.network_name)
    assert reader.hub(search=made.network_name) == []
    with pytest.raises(ResourceNotFoundError):
        theirs.download("model-latest", tmp_path / "again.bin")


def test_hub_and_list_iterate_every_page(
    server: LiveServer, alice: str, bob: str, unique: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    net = fresh(server, alice)
    for i in range(5):
        net.create(f"paged-{unique}-{i}", "detection").update(private=False)
    monkeypatch.setattr("pixlake.sdk.network.PAGE", 2)
    expected = [f"paged-{unique}-{i}" for i in range(5)]
    assert [r["network_name"] for r in fresh(server, bob).hub(search=f"paged-{unique}")] == (
        expected
    )
    assert [r["network_name"] for r in net.list()] == expected


@pytest.mark.parametrize("plant", ["a link", "a hard link"])
@pytest.mark.usefixtures("transfer")
def test_a_download_never_writes_through_a_planted_part_file(
    made: Network, tmp_path: Path, plant: str
) -> None:
    data = os.urandom(2 * MiB + 7)
    (tmp_path / "w.bin").write_bytes(data)
    made.store("model-latest", tmp_path / "w.bin")
    victim = tmp_path / "victim"
    victim.write_bytes(data[:1000])  # a prefix: resuming from it would append to it
    folder = tmp_path / "dl"
    folder.mkdir()
    if plant == "a link":
        (folder / "dl.bin.part").symlink_to(victim)
    else:
        os.link(victim, folder / "dl.bin.part")

    assert made.download("model-latest", folder / "dl.bin").read_bytes() == data

    assert victim.read_bytes() == data[:1000]
    assert not (folder / "dl.bin").is_symlink()
    assert not os.path.lexists(folder / "dl.bin.part")


def test_zipping_a_folder_never_follows_a_link_out_of_it(
    server: LiveServer, alice: str, made: Network, tmp_path: Path
) -> None:
    outside = tmp_path / "secrets"
    outside.mkdir()
    (outside / "id_rsa").write_bytes(b"private key")
    folder = tmp_path / "run"
    folder.mkdir()
    (folder / "epoch10.pt").write_bytes(b"weights" * 100)
    (folder / "latest.pt").symlink_to("epoch10.pt")  # inside: stored as the file's bytes
    made.store("model-latest", folder, zip=True)
    with zipfile.ZipFile(made.download("model-latest", tmp_path / "back.zip")) as archive:
        assert archive.read("latest.pt") == archive.read("epoch10.pt") == b"weights" * 100

    for name, target, words in [
        ("key", outside / "id_rsa", "link to a file outside the folder"),
        ("all", outside, "link to a folder"),
    ]:
        (folder / name).symlink_to(target)
        recorder = Recorder()
        net = fresh(server, alice, transport=recorder).get(made.network_name)
        recorder.sent.clear()
        with pytest.raises(InvalidInputError, match=words) as refused:
            net.store("config", folder, zip=True)
        assert refused.value.details == [
            {"file": name, "message": refused.value.details[0]["message"]}
        ]
        assert recorder.sent == []  # refused before a byte was sent
        (folder / name).unlink()
    assert set(fresh(server, alice).get(made.network_name).files) == {"model-latest"}
