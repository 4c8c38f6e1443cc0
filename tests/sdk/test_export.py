"""The SDK's side of exports: the tar stream it unpacks is trusted for nothing, and an export
that fails on the server raises its problem, leaving no partial zip behind."""

from __future__ import annotations

import io
import json
import tarfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from pixlake import Datalake, Dataset
from pixlake.errors import InvalidInputError, InvalidQueryError, StorageError
from pixlake.schemas.datasets import EXPORT_ERROR_MEMBER
from pixlake.sdk._export import unpack_tar
from pixlake.sdk._progress import Bar
from tests.conftest import LiveServer, write_images
from tests.factories import coco_dataset


def _tar(*members: tarfile.TarInfo | tuple[str, bytes]) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as archive:
        for member in members:
            if isinstance(member, tarfile.TarInfo):
                archive.addfile(member)
            else:
                info = tarfile.TarInfo(member[0])
                info.size = len(member[1])
                archive.addfile(info, io.BytesIO(member[1]))
    return out.getvalue()


def _pieces(body: bytes, size: int) -> Iterator[bytes]:
    """The body as a response delivers it: in pieces that cut headers and data anywhere."""
    return (body[i : i + size] for i in range(0, len(body), size))


def _unpack(body: bytes, folder: Path, piece: int = 7) -> int:
    with Bar("test", total=None, enabled=False) as bar:
        return unpack_tar(_pieces(body, piece), folder, images_folder="images", bar=bar)


def test_unpack_writes_every_member(tmp_path: Path) -> None:
    long_name = "images/" + "x" * 180 + ".jpg"
    files = {
        "images/a.jpg": b"\xff\xd8" * 2000,
        long_name: b"long",
        "images/été.jpg": b"",
        "labels/a.txt": b"0 0.5 0.5 0.1 0.1\n",
    }
    body = _tar(*files.items())
    for piece in (1, 511, 65536):
        out = tmp_path / f"out-{piece}"
        assert _unpack(body, out, piece) == len(files)
        for name, data in files.items():
            assert (out / name).read_bytes() == data
    out = tmp_path / "out-1"
    (out / "labels" / "a.txt").write_text("stale")
    _unpack(body, out)  # an export again into the same folder replaces its files
    assert (out / "labels" / "a.txt").read_bytes() == files["labels/a.txt"]


@pytest.mark.parametrize("name", ["../evil.txt", "images/../../evil.txt", "/tmp/evil.txt"])
def test_unpack_refuses_members_outside_the_folder(tmp_path: Path, name: str) -> None:
    body = _tar(("images/ok.jpg", b"ok"), (name, b"evil"))
    with pytest.raises(InvalidInputError, match="refused path"):
        _unpack(body, tmp_path / "out")
    assert (tmp_path / "out" / "images" / "ok.jpg").read_bytes() == b"ok"
    assert not (tmp_path / "evil.txt").exists() and not Path("/tmp/evil.txt").exists()


def test_unpack_refuses_links_and_other_members(tmp_path: Path) -> None:
    link = tarfile.TarInfo("images/link.jpg")
    link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
    with pytest.raises(StorageError, match="not a regular file"):
        _unpack(_tar(("images/a.jpg", b"a"), link), tmp_path / "out")
    assert not (tmp_path / "out" / "images" / "link.jpg").exists()
    folder = tarfile.TarInfo("labels")
    folder.type = tarfile.DIRTYPE
    with pytest.raises(StorageError, match="'labels/?'"):
        _unpack(_tar(folder), tmp_path / "out2")


def test_unpack_raises_the_problem_that_ends_an_archive(tmp_path: Path) -> None:
    problem = {
        "code": "invalid_input",
        "status": 422,
        "detail": "cannot write note of b.jpg as XML",
        "errors": [{"file": "b.jpg", "field": "note", "message": "expected text"}],
    }
    body = _tar(("JPEGImages/a.jpg", b"a"), (EXPORT_ERROR_MEMBER, json.dumps(problem).encode()))
    with pytest.raises(InvalidInputError, match="cannot write note of b.jpg") as error:
        _unpack(body, tmp_path / "out")
    assert "the 1 files before it are in" in str(error.value)
    assert error.value.details == problem["errors"]
    assert not (tmp_path / "out" / EXPORT_ERROR_MEMBER).exists()


def _two_pictures(server: LiveServer, token: str, tmp_path: Path, name: str) -> Dataset:
    """Dataset ``name`` whose first version holds img_0000.jpg and img_0001.jpg, written
    into ``tmp_path / "imgs"``."""
    lake = Datalake(api_token=token, host=server.url, interactive=False)
    pictures = lake.picture.upload(write_images(tmp_path / "imgs", 2), tags=["x"])
    return Dataset(_context=lake._ctx).create(name, pictures=pictures)


def test_an_export_that_fails_on_the_server_raises_its_problem(
    server: LiveServer, alice: str, tmp_path: Path
) -> None:
    ds = _two_pictures(server, alice, tmp_path, "bells")
    ds.create_labels("car", "rectangle")
    ds.add_annotation(
        "img_0001.jpg",
        data=[
            {
                "type": "rectangle",
                "label": "car",
                "rectangle": {"top": 1, "left": 1, "width": 5, "height": 5},
                "extra": {"note": "bell\x07"},  # PASCAL-VOC's XML cannot hold it
            }
        ],
    )
    with pytest.raises(InvalidInputError, match="img_0001.jpg") as error:
        ds.export("PASCAL-VOC", tmp_path / "voc")
    assert "files before it are in" in str(error.value)
    assert (tmp_path / "voc" / "Annotations" / "img_0000.xml").is_file()
    with pytest.raises(InvalidInputError, match="no zip was saved"):
        ds.export("PASCAL-VOC", tmp_path / "voc.zip", zip=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["imgs", "voc"]
    assert ds.export("COCO", tmp_path / "coco.zip", zip=True).is_file()  # COCO keeps it


def test_yolo_exports_boxes_or_polygons(server: LiveServer, alice: str, tmp_path: Path) -> None:
    lake = Datalake(api_token=alice, host=server.url, interactive=False)
    root = tmp_path / "coco"
    document = coco_dataset(root, 4, masks=False)
    lake.upload(
        name="shapes",
        imgdir=root / "images",
        ann_path=root / "instances.json",
        ann_format="COCO",
        tags=["x"],
    )
    ds = Dataset(_context=lake._ctx).fetch("shapes", "first")

    def rows(folder: Path) -> list[list[str]]:
        return [
            r.split() for p in (folder / "labels").iterdir() for r in p.read_text().splitlines()
        ]

    boxes = rows(ds.export("YOLO", tmp_path / "detect"))
    assert len(boxes) == len(document["annotations"]) and {len(r) for r in boxes} == {5}
    polygons = rows(ds.export("YOLO", tmp_path / "segment", yolo_mode="segment"))
    assert len(polygons) == len(document["annotations"])
    assert all(len(r) % 2 == 1 and len(r) >= 7 for r in polygons)  # class, then >= 3 points
    # the polygons' own points: a box's corners have two distinct x values, these three
    assert any(len(set(r[1::2])) > 2 for r in polygons)
    with pytest.raises(InvalidQueryError, match="YOLO exports, not to COCO"):
        ds.export("COCO", tmp_path / "coco-out", yolo_mode="segment")
    with pytest.raises(InvalidInputError, match="yolo_mode"):
        ds.export("YOLO", tmp_path / "bad", yolo_mode="outline")
    assert not (tmp_path / "coco-out").exists() and not (tmp_path / "bad").exists()


def test_an_export_or_download_onto_the_wrong_kind_of_path_is_refused_first(
    server: LiveServer, alice: str, tmp_path: Path
) -> None:
    ds = _two_pictures(server, alice, tmp_path, "paths")
    a_file = tmp_path / "a-file"
    a_file.write_text("kept")
    with pytest.raises(InvalidQueryError, match="a-file is a file, not a folder: export into"):
        ds.export("COCO", a_file)
    with pytest.raises(InvalidQueryError, match="a-file is a file, not a folder: download into"):
        ds.download("paths/first", a_file)
    assert a_file.read_text() == "kept"
    with pytest.raises(InvalidQueryError, match="imgs is a folder: give the path of the zip"):
        ds.export("COCO", tmp_path / "imgs", zip=True)
    assert sorted(p.name for p in (tmp_path / "imgs").iterdir()) == [
        "img_0000.jpg",
        "img_0001.jpg",
    ]


def test_an_export_can_keep_the_pictures_of_one_review_status(
    server: LiveServer, alice: str, tmp_path: Path
) -> None:
    ds = _two_pictures(server, alice, tmp_path, "reviewed")
    ds.create_labels("car", "rectangle")
    rectangle = {"top": 1, "left": 1, "width": 5, "height": 5}
    box = {"type": "rectangle", "label": "car", "rectangle": rectangle}
    ds.add_annotation("img_0000.jpg", data=[box], status="accepted")
    ds.add_annotation("img_0001.jpg", data=[box], status="rejected")
    out = ds.export("YOLO", tmp_path / "accepted", status="accepted")
    assert sorted(p.name for p in (out / "images").iterdir()) == ["img_0000.jpg"]
    assert sorted(p.name for p in (out / "labels").iterdir()) == ["img_0000.txt"]
    everything = ds.export("YOLO", tmp_path / "all")
    assert len(list((everything / "images").iterdir())) == 2
    with pytest.raises(InvalidQueryError, match="status 'done' is not one of pending"):
        ds.export("YOLO", tmp_path / "done", status="done")
    assert not (tmp_path / "done").exists()
