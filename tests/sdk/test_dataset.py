"""Datasets through the SDK against a real server: one-call imports, versions, labels,
annotations and their review status, downloads, and lossless exports."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
import shutil
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from pycocotools.coco import COCO

from pixlake import Client, Datalake, Dataset, Picture
from pixlake.errors import (
    AlreadyExistsError,
    InvalidInputError,
    InvalidQueryError,
    ResourceNotFoundError,
    TyperError,
)
from pixlake.formats import coco as coco_format
from pixlake.sdk.dataset import DownloadReport
from tests.conftest import LiveServer, make_image, write_images
from tests.factories import coco_dataset, ultralytics_dataset


@pytest.fixture
def lake(server: LiveServer, alice: str) -> Iterator[Datalake]:
    yield Datalake(api_token=alice, host=server.url, interactive=False)


@pytest.fixture
def coco(tmp_path: Path) -> tuple[Path, dict[str, Any]]:
    root = tmp_path / "coco"
    return root, coco_dataset(root, 12)


def imported(lake: Datalake, coco: tuple[Path, dict[str, Any]], name: str = "cars") -> Dataset:
    root, _doc = coco
    lake.upload(
        name=name,
        imgdir=root / "images",
        ann_path=root / "instances.json",
        ann_format="COCO",
        tags=["batch1"],
    )
    return lake.dataset


def by_image(document: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    names = {i["id"]: i["file_name"] for i in document["images"]}
    out: dict[str, list[dict[str, Any]]] = {n: [] for n in names.values()}
    for a in document["annotations"]:
        out[names[a["image_id"]]].append(a)
    return out


# --------------------------------------------------------------------------- the user story


@pytest.mark.usefixtures("transfer")
def test_import_then_versions_annotations_download_and_exports(
    lake: Datalake, coco: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    root, document = coco
    record = lake.upload(
        name="cars",
        imgdir=root / "images",
        ann_path=root / "instances.json",
        ann_format="COCO",
        tags=["batch1"],
    )
    assert record["dataset_name"] == "cars" and record["version"] == "first"
    assert record["size"] == 12
    assert record["nb_annotations"] == 12
    assert record["nb_objects"] == len(document["annotations"])
    assert [label["name"] for label in record["labels"]] == ["person", "car", "bus"]
    assert {label["type"] for label in record["labels"]} == {"rectangle", "polygon"}
    assert sum(record["repartition"].values()) == len(document["annotations"])
    assert {p["tag"][0] for p in lake.picture.fetch(1, ["batch1"])} == {"batch1"}

    ds = Dataset(_context=lake._ctx).fetch("cars", "first")
    assert ds.dataset_id == record["dataset_id"]
    extra = write_images(tmp_path / "more", 3, start=900)
    new = lake.picture.upload(extra, tags=["batch2"])
    ds.new_version(name="cars", version="v2", pictures=new)
    assert ds.fetched_dataset["size"] == 15
    assert ds.fetched_dataset["nb_objects"] == record["nb_objects"]  # copied rows
    ds.create_labels("tree", "classification")
    ds.create_labels("zone", "polygon")
    ds.add_annotation(
        "img_0900.jpg",
        data=[
            {
                "type": "rectangle",
                "label": "car",
                "rectangle": {"top": 1, "left": 2, "width": 10, "height": 5},
                "qa": [{"question": "occluded?", "answer": "no"}],
            },
            {
                "type": "polygon",
                "label": "zone",
                "polygon": {"geometry": [{"x": 1, "y": 1}, {"x": 20, "y": 1}, {"x": 10, "y": 15}]},
            },
            {"type": "classification", "label": "tree"},
        ],
        image_qa=[{"question": "weather", "answer": "sunny"}],
        status="review",
    )
    one = ds.get_annotations(picture_name="img_0900.jpg")
    assert one["status"] == "review"
    assert one["image_qa"] == [{"question": "weather", "answer": "sunny"}]
    assert [o["type"] for o in one["annotations"]] == ["rectangle", "polygon", "classification"]
    assert one["annotations"][0]["qa"] == [{"question": "occluded?", "answer": "no"}]
    ds.set_annotation_status(["img_0900.jpg"], "accepted")
    assert [a["external_picture_url"] for a in ds.get_annotations(status="accepted")] == [
        "img_0900.jpg"
    ]
    assert len(ds.get_annotations()) == 13
    assert len(ds.list_pictures()) == 15

    # the first version did not change
    first = Dataset(_context=lake._ctx).fetch("cars", "first")
    assert first.fetched_dataset["size"] == 12
    assert len(first.get_annotations()) == 12

    ds.download("cars/v2", tmp_path / "dl")
    files = sorted((tmp_path / "dl").iterdir())
    assert len(files) == 15
    assert (tmp_path / "dl" / "img_0900.jpg").read_bytes() == extra[0].read_bytes()

    coco_out = ds.export("COCO", tmp_path / "out" / "coco")
    loaded = COCO(str(coco_out / "annotations" / "instances_default.json"))
    assert len(loaded.getImgIds()) == 15
    assert len(loaded.getAnnIds()) == len(document["annotations"]) + 3
    yolo_out = ds.export("yolo", tmp_path / "out" / "yolo")
    assert (yolo_out / "labels" / "img_0900.txt").read_text().startswith("1 ")  # car is class 1
    voc_out = ds.export("PASCAL-VOC", tmp_path / "out" / "voc", zip=True)
    with zipfile.ZipFile(voc_out) as archive:
        names = archive.namelist()
    assert "Annotations/img_0900.xml" in names and "JPEGImages/img_0900.jpg" in names


# --------------------------------------------------------------------------- round trips


@pytest.mark.parametrize("read", ["whole", "as a stream"])
def test_coco_round_trip_is_lossless(
    lake: Datalake,
    coco: tuple[Path, dict[str, Any]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    read: str,
) -> None:
    if read == "as a stream":  # how files over coco.WHOLE_BYTES are read
        monkeypatch.setattr(coco_format, "WHOLE_BYTES", 0)
    _root, source = coco
    ds = imported(lake, coco)
    out = ds.export("COCO", tmp_path / "export")
    exported = json.loads((out / "annotations" / "instances_default.json").read_text())
    assert exported["categories"] == source["categories"]
    assert exported["info"] == source["info"] and exported["licenses"] == source["licenses"]
    assert sorted(i["file_name"] for i in exported["images"]) == sorted(
        i["file_name"] for i in source["images"]
    )
    want, got = by_image(source), by_image(exported)
    for name, objects in want.items():
        assert len(got[name]) == len(objects), name
        for a, b in zip(objects, got[name], strict=True):
            assert a["category_id"] == b["category_id"]
            assert a["iscrowd"] == b["iscrowd"]
            assert b["bbox"] == pytest.approx(a["bbox"], abs=1e-6)
            assert b["area"] == pytest.approx(a["area"])
            if isinstance(a["segmentation"], dict):
                assert b["segmentation"] == a["segmentation"]  # RLE kept as given
            else:
                assert len(b["segmentation"]) == len(a["segmentation"])  # every ring
                for ring_a, ring_b in zip(a["segmentation"], b["segmentation"], strict=True):
                    assert ring_b == pytest.approx(ring_a, abs=1e-6)
    loaded = COCO(str(out / "annotations" / "instances_default.json"))
    for ann in loaded.loadAnns(loaded.getAnnIds()):
        if ann["iscrowd"]:
            assert loaded.annToMask(ann).sum() == 600  # the mask decodes to its pixels
    # exports of the same version are identical (stable ids and order)
    again = ds.export("COCO", tmp_path / "export2")
    first = (out / "annotations" / "instances_default.json").read_bytes()
    assert (again / "annotations" / "instances_default.json").read_bytes() == first


@pytest.mark.usefixtures("transfer")
def test_voc_and_yolo_round_trips(
    lake: Datalake, coco: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    ds = imported(lake, coco)
    voc = ds.export("PASCAL-VOC", tmp_path / "voc")
    yolo = ds.export("YOLO", tmp_path / "yolo")
    from pixlake.formats import read_voc, read_yolo

    voc_in = read_voc(voc / "Annotations")
    back = lake.upload(
        name="from-voc",
        imgdir=voc / "JPEGImages",
        ann_path=voc / "Annotations",
        ann_format="PASCAL-VOC",
    )
    assert back["nb_objects"] == sum(len(i.objects) for i in voc_in.images)
    voc_again = (
        Dataset(_context=lake._ctx).fetch("from-voc").export("PASCAL-VOC", tmp_path / "voc2")
    )
    for xml in sorted((voc / "Annotations").iterdir()):
        assert (voc_again / "Annotations" / xml.name).read_text() == xml.read_text()

    yolo_in = read_yolo(yolo)
    lake.upload(name="from-yolo", imgdir=yolo / "images", ann_path=yolo, ann_format="YOLO")
    yolo_again = Dataset(_context=lake._ctx).fetch("from-yolo").export("YOLO", tmp_path / "yolo2")
    assert (yolo_again / "classes.txt").read_text() == (yolo / "classes.txt").read_text()
    for txt in sorted((yolo / "labels").iterdir()):
        rows_a = [r.split() for r in txt.read_text().splitlines()]
        rows_b = [r.split() for r in (yolo_again / "labels" / txt.name).read_text().splitlines()]
        assert [r[0] for r in rows_a] == [r[0] for r in rows_b]
        for a, b in zip(rows_a, rows_b, strict=True):
            assert [float(v) for v in b[1:]] == pytest.approx([float(v) for v in a[1:]], abs=1e-6)
    assert sum(len(i.objects) for i in yolo_in.images) > 0


def test_coco_to_yolo_to_pixlake_to_coco_keeps_boxes(
    lake: Datalake, coco: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    _root, source = coco
    ds = imported(lake, coco)
    yolo = ds.export("YOLO", tmp_path / "yolo")
    lake.upload(name="via-yolo", imgdir=yolo / "images", ann_path=yolo, ann_format="YOLO")
    out = Dataset(_context=lake._ctx).fetch("via-yolo").export("COCO", tmp_path / "coco")
    exported = json.loads((out / "annotations" / "instances_default.json").read_text())
    names = {c["id"]: c["name"] for c in source["categories"]}
    names_out = {c["id"]: c["name"] for c in exported["categories"]}
    want, got = by_image(source), by_image(exported)
    for name, objects in want.items():
        # crowd regions are left out of YOLO, as Ultralytics' COCO converter leaves them out
        detections = [a for a in objects if not a.get("iscrowd")]
        expected = sorted(
            (names[a["category_id"]], *[round(v, 1) for v in a["bbox"]]) for a in detections
        )
        actual = sorted(
            (names_out[b["category_id"]], *[round(v, 1) for v in b["bbox"]]) for b in got[name]
        )
        assert len(actual) == len(detections)
        for box in expected:
            assert any(
                box[0] == a[0]
                and all(abs(x - y) <= 0.15 for x, y in zip(box[1:], a[1:], strict=True))
                for a in actual
            ), (name, box)


# --------------------------------------------------------------------------- methods


def test_create_list_fetch_delete(
    lake: Datalake, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pics = lake.picture.upload(write_images(tmp_path, 4), tags=["street"])
    ds = Dataset(_context=lake._ctx)
    assert str(ds).startswith("No dataset fetched")
    created = ds.create(
        name="street", description="street cars", pictures=lake.picture.fetch(1, ["street"])
    )
    assert created is ds and ds.fetched_dataset["size"] == 4
    assert (
        ds.fetched_dataset["description"] == "street cars" and ds.fetched_dataset["private"] is True
    )
    assert json.loads(str(ds))["dataset_name"] == "street"
    with pytest.raises(AlreadyExistsError, match="already exists"):
        ds.create(name="street", pictures=pics)
    with pytest.raises(InvalidQueryError, match="pictures"):
        ds.create(name="empty", pictures=[])
    ds.new_version(name="street", version="v2", pictures=[])
    assert ds.fetch("street").fetched_dataset["version"] == "v2"  # latest
    assert [(r["dataset_name"], r["version"]) for r in ds.list()] == [
        ("street", "first"),
        ("street", "v2"),
    ]
    with pytest.raises(AlreadyExistsError):
        ds.new_version(name="street", version="v2")
    with pytest.raises(InvalidInputError, match="latest"):
        ds.new_version(name="street", version="latest")
    ds.delete("street", "v2")
    assert ds.dataset_id is None
    with pytest.raises(ResourceNotFoundError):
        ds.fetch("street", "v2")
    ds.fetch("street", "first")
    ds.add_data("street", "first", lake.picture.upload(write_images(tmp_path / "b", 1, start=50)))
    assert ds.fetched_dataset["size"] == 5
    ds.delete("street", "first")
    assert ds.list() == []
    assert len(lake.picture.list()) == 5  # the pictures stay in the datalake
    with pytest.raises(ResourceNotFoundError, match="no dataset named"):
        ds.fetch("street")
    with pytest.raises(InvalidQueryError):
        ds.fetch()


def test_annotations_are_validated_before_anything_is_written(
    lake: Datalake, coco: tuple[Path, dict[str, Any]]
) -> None:
    ds = imported(lake, coco)
    picture = ds.list_pictures()[0]["external_url"]
    before = ds.get_annotations(picture_name=picture)
    with pytest.raises(TyperError, match=r"data\[0\].rectangle needs"):
        ds.add_annotation(
            picture, data=[{"type": "rectangle", "label": "car", "rectangle": {"top": 1}}]
        )
    with pytest.raises(TyperError, match="at least 3"):
        ds.add_annotation(
            picture,
            data=[{"type": "polygon", "label": "bus", "polygon": {"geometry": [{"x": 1, "y": 1}]}}],
        )
    with pytest.raises(TyperError, match="type must be one of"):
        ds.add_annotation(picture, data=[{"type": "circle", "label": "car"}])
    with pytest.raises(InvalidInputError, match="unknown label 'plane'") as refused:
        ds.add_annotation(
            picture,
            data=[
                {
                    "type": "rectangle",
                    "label": "plane",
                    "rectangle": {"top": 1, "left": 1, "width": 2, "height": 2},
                }
            ],
        )
    assert refused.value.message == "1 problem in the annotations; nothing was written"
    ds.create_labels("night", "classification")
    with pytest.raises(InvalidInputError, match="classification label"):
        ds.add_annotation(
            picture,
            data=[
                {
                    "type": "rectangle",
                    "label": "night",
                    "rectangle": {"top": 1, "left": 1, "width": 2, "height": 2},
                }
            ],
        )
    with pytest.raises(InvalidInputError, match="rectangle label"):
        ds.add_annotation(picture, data=[{"type": "classification", "label": "car"}])
    with pytest.raises(InvalidInputError, match="outside its 128x96 picture"):
        ds.add_annotation(
            picture,
            data=[
                {
                    "type": "rectangle",
                    "label": "car",
                    "rectangle": {"top": 1, "left": 100, "width": 50, "height": 2},
                }
            ],
        )
    with pytest.raises(InvalidInputError, match="not in this dataset version"):
        ds.add_annotation("nope.jpg", data=[])
    assert ds.get_annotations(picture_name=picture) == before


def test_append_and_delete_annotations(lake: Datalake, coco: tuple[Path, dict[str, Any]]) -> None:
    ds = imported(lake, coco)
    picture = ds.list_pictures()[0]
    n = len(ds.get_annotations(picture_name=picture["external_url"])["annotations"])
    box = {
        "type": "rectangle",
        "label": "car",
        "rectangle": {"top": 1, "left": 1, "width": 2, "height": 2},
    }
    ds.add_annotation(picture["external_url"], data=[box], replace=False)
    assert len(ds.get_annotations(picture_name=picture["external_url"])["annotations"]) == n + 1
    ds.add_annotation(picture["external_url"], data=[box])
    assert len(ds.get_annotations(picture_name=picture["external_url"])["annotations"]) == 1
    assert len(ds.get_annotations(limit=5, offset=0)) == 5
    assert len(ds.get_annotations(limit=5, offset=10)) == 2
    with pytest.raises(InvalidQueryError, match="all_annotations=True"):
        ds.delete_annotations()
    assert ds.delete_annotations(picture_id=picture["picture_id"])["count"] == 1
    with pytest.raises(ResourceNotFoundError):
        ds.get_annotations(picture_name=picture["external_url"])
    assert ds.delete_annotations(all_annotations=True)["count"] == 11
    assert ds.get_annotations() == []
    assert ds.fetch("cars").fetched_dataset["nb_objects"] == 0


def test_legacy_bulk_annotations(lake: Datalake, coco: tuple[Path, dict[str, Any]]) -> None:
    ds = imported(lake, coco)
    names = [p["external_url"] for p in ds.list_pictures()[:2]]
    ds.add_annotation_legacy(
        {
            "external_picture_url": n,
            "annotations": [
                {
                    "type": "rectangle",
                    "label": "car",
                    "rectangle": {"top": 0, "left": 0, "width": 3, "height": 3},
                }
            ],
            "nb_labels": 1,
            "time_spent": 2.5,
        }
        for n in names
    )
    record = ds.get_annotations(picture_name=names[0])
    assert record["nb_instances"] == 1 and record["duration"] == 2.5
    assert len(record["annotations"]) == 1


def test_picsellia_import_and_annotations_only_mode(
    lake: Datalake, coco: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    root, _doc = coco
    ds = imported(lake, coco)
    pictures = [p["external_url"] for p in ds.list_pictures()[:3]]
    document = {
        "annotations": [
            {
                "external_picture_url": name,
                "nb_labels": 1,
                "time_spent": 4.0,
                "annotations": [{"type": "classification", "label": "night", "qa": []}],
            }
            for name in pictures
        ]
    }
    path = tmp_path / "picsellia.json"
    path.write_text(json.dumps(document))
    lake.upload(name="cars", version="first", ann_path=path, ann_format="PICSELLIA")
    record = ds.fetch("cars", "first").get_annotations(picture_name=pictures[0])
    # an import replaces each named picture's objects
    assert [o["label"] for o in record["annotations"]] == ["night"]
    assert record["duration"] == 4.0
    with pytest.raises(ResourceNotFoundError):
        lake.upload(name="no-such-dataset", ann_path=path, ann_format="PICSELLIA")


def test_default_tag_is_todays_date(lake: Datalake, coco: tuple[Path, dict[str, Any]]) -> None:
    root, _doc = coco
    lake.upload(
        name="dated", imgdir=root / "images", ann_path=root / "instances.json", ann_format="COCO"
    )
    today = dt.date.today().isoformat()
    assert len(lake.picture.fetch(1, [today])) == 12


@pytest.mark.usefixtures("over_http")
def test_import_again_after_interruption_sends_no_bytes_twice(
    server: LiveServer, alice: str, coco: tuple[Path, dict[str, Any]]
) -> None:
    from tests.sdk.test_datalake import CountingTransport

    root, _doc = coco
    images = sorted((root / "images").iterdir())
    Picture(api_token=alice, host=server.url, interactive=False).upload(images[:8])  # "interrupted"
    counting = CountingTransport()
    lake = Datalake(api_token=alice, host=server.url, interactive=False, transport=counting)
    lake.upload(
        name="resumed", imgdir=root / "images", ann_path=root / "instances.json", ann_format="COCO"
    )
    rest = sum(p.stat().st_size for p in images[8:])
    sent_before = sum(p.stat().st_size for p in images[:8])
    picture_bytes = sum(n for m, p, n in counting.sent if p.endswith("/blobs"))
    # the four new images travel, in tar framing (a header and padding each, one record);
    # resending any of the first eight would add about 8 KB each
    framing = 10240 + 4 * 1024
    assert framing < sent_before
    assert rest <= picture_bytes < rest + framing


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda d: d["annotations"][0].update(image_id=999), "image"),
        (lambda d: d["annotations"][0].update(category_id=42), "categor"),
        (lambda d: d["annotations"][0].update(bbox=[1, 1, -5, 3]), "bbox"),
        (lambda d: d["annotations"][0].update(bbox=[100, 1, 90, 3]), "image"),
        (lambda d: d["annotations"][-1].update(segmentation=[[1, 1, 2, 2]]), "segmentation"),
        (lambda d: d["images"][1].update(id=d["images"][0]["id"]), "unique"),
        (lambda d: d["images"][0].update(file_name="../escape.jpg"), "file_name"),
        (lambda d: d["images"][0].update(file_name="/etc/passwd"), "file_name"),
        (lambda d: d["images"][0].update(file_name="a\x00b.jpg"), "file_name"),
    ],
)
def test_bad_coco_changes_nothing(
    lake: Datalake, coco: tuple[Path, dict[str, Any]], mutate: Any, expected: str
) -> None:
    root, document = coco
    broken = json.loads(json.dumps(document))
    mutate(broken)
    path = root / "broken.json"
    path.write_text(json.dumps(broken))
    with pytest.raises(InvalidInputError) as info:
        lake.upload(name="bad", imgdir=root / "images", ann_path=path, ann_format="COCO")
    text = str(info.value)
    assert "broken.json" in text
    assert expected in text.lower()
    assert lake.picture.list() == []  # nothing uploaded
    assert lake.dataset.list() == []


def test_malformed_json_names_line_and_column(
    lake: Datalake, coco: tuple[Path, dict[str, Any]]
) -> None:
    root, _doc = coco
    path = root / "bad.json"
    path.write_text('{"images": [\n  {"id": 1,, "file_name": "x.jpg"}\n]}')
    with pytest.raises(InvalidInputError) as info:
        lake.upload(name="bad", imgdir=root / "images", ann_path=path, ann_format="COCO")
    detail = info.value.details[0]
    assert detail["file"].endswith("bad.json") and detail["line"] == 2
    assert "column" in detail["message"]
    assert lake.picture.list() == []


def test_images_missing_from_imgdir_are_listed_together(
    lake: Datalake, coco: tuple[Path, dict[str, Any]]
) -> None:
    root, document = coco
    for image in document["images"][:3]:
        (root / "images" / image["file_name"]).unlink()
    with pytest.raises(InvalidInputError, match="3 images named") as info:
        lake.upload(
            name="x", imgdir=root / "images", ann_path=root / "instances.json", ann_format="COCO"
        )
    assert {d["message"].split()[0] for d in info.value.details} == {
        i["file_name"] for i in document["images"][:3]
    }
    assert lake.picture.list() == []


def test_images_in_the_subfolders_the_annotations_name_are_imported(
    lake: Datalake, coco: tuple[Path, dict[str, Any]]
) -> None:
    """A COCO file naming its images ``train/a.jpg`` (as CVAT writes them) imports from the
    folder holding ``train/``; pictures keep their base names; an image in neither place is
    listed with the path the file gave."""
    root, document = coco
    images = root / "images"
    # folders, and how the file writes the path (a Windows separator too)
    layouts = [(("train",), "/"), (("val", "2024"), "\\")]
    moved = []
    for i, image in enumerate(document["images"][:4]):
        folders, separator = layouts[i % 2]
        name = image["file_name"]
        Path(images, *folders).mkdir(parents=True, exist_ok=True)
        (images / name).rename(Path(images, *folders, name))
        image["file_name"] = separator.join([*folders, name])
        moved.append(name)
    (root / "nested.json").write_text(json.dumps(document))
    record = lake.upload(
        name="nested", imgdir=images, ann_path=root / "nested.json", ann_format="COCO"
    )
    assert record["size"] == 12 and record["nb_annotations"] == 12
    names = {p["external_url"] for p in lake.picture.list()}
    assert set(moved) <= names and len(names) == 12

    document["images"][0]["file_name"] = "test/absent.jpg"
    (root / "absent.json").write_text(json.dumps(document))
    with pytest.raises(
        InvalidInputError, match="^Invalid query : .*images lacks 1 image named in .*absent.json"
    ) as info:
        lake.upload(name="x", imgdir=images, ann_path=root / "absent.json", ann_format="COCO")
    assert [(d["file"], d["message"]) for d in info.value.details] == [
        ("absent.json", "test/absent.jpg is not in the images folder")
    ]
    assert len(lake.picture.list()) == 12


@pytest.mark.parametrize(
    "xml",
    [
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        '<!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>'
        "<annotation><filename>&lol2;</filename></annotation>",
        '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
        "<annotation><filename>&xxe;</filename></annotation>",
    ],
)
def test_hostile_xml_is_refused(lake: Datalake, tmp_path: Path, xml: str) -> None:
    folder = tmp_path / "voc"
    folder.mkdir()
    (folder / "a.xml").write_text(xml)
    write_images(tmp_path / "imgs", 1)
    with pytest.raises(InvalidInputError) as info:
        lake.upload(name="xml", imgdir=tmp_path / "imgs", ann_path=folder, ann_format="PASCAL-VOC")
    assert "a.xml" in str(info.value)
    assert lake.picture.list() == []


def test_a_file_name_in_another_encoding_in_imgdir_stops_the_import_before_any_write(
    lake: Datalake, coco: tuple[Path, dict[str, Any]]
) -> None:
    root, _document = coco
    (root / "images" / os.fsdecode(b"caf\xe9.jpg")).write_bytes(make_image(3))
    with pytest.raises(InvalidInputError, match="1 file in .* cannot be uploaded") as info:
        imported(lake, coco)
    (detail,) = info.value.details
    assert "not valid UTF-8" in detail["message"]
    assert lake.picture.list() == []


def test_bad_yolo_rows_name_file_and_line(lake: Datalake, tmp_path: Path) -> None:
    root = tmp_path / "yolo"
    write_images(root / "images", 2)
    (root / "labels").mkdir()
    (root / "classes.txt").write_text("car\nbus\n")
    (root / "labels" / "img_0000.txt").write_text("0 0.5 0.5 0.2 0.2\n7 0.5 0.5 0.1 0.1\n")
    (root / "labels" / "img_0001.txt").write_text("1 1.5 0.5 0.2 0.2\n")
    with pytest.raises(InvalidInputError) as info:
        lake.upload(name="y", imgdir=root / "images", ann_path=root, ann_format="YOLO")
    where = {(Path(d["file"]).name, d["line"]) for d in info.value.details if d.get("file")}
    assert ("img_0000.txt", 2) in where and ("img_0001.txt", 1) in where
    assert lake.picture.list() == []


def test_argument_errors(lake: Datalake, coco: tuple[Path, dict[str, Any]], tmp_path: Path) -> None:
    root, _doc = coco
    with pytest.raises(InvalidInputError, match="unknown annotation format"):
        lake.upload(
            name="x", imgdir=root / "images", ann_path=root / "instances.json", ann_format="CSV"
        )
    with pytest.raises(InvalidQueryError, match="ann_format"):
        lake.upload(name="x", imgdir=root / "images", ann_path=root / "instances.json")
    with pytest.raises(InvalidQueryError, match="does not exist"):
        lake.upload(
            name="x", imgdir=root / "images", ann_path=tmp_path / "none.json", ann_format="COCO"
        )
    with pytest.raises(ResourceNotFoundError, match="not a folder"):
        lake.upload(
            name="x",
            imgdir=tmp_path / "nowhere",
            ann_path=root / "instances.json",
            ann_format="COCO",
        )
    with pytest.raises(InvalidQueryError, match="name"):
        lake.upload(imgdir=root / "images")
    with pytest.raises(InvalidInputError, match="no COCO file in") as error:
        lake.upload(name="x", imgdir=root / "images", ann_path=root, ann_format="COCO")
    assert "annotations/instances_<split>.json" in error.value.details[0]["message"]
    with pytest.raises(InvalidQueryError, match="is a folder, and PICSELLIA annotations are one"):
        lake.upload(name="x", imgdir=root / "images", ann_path=root, ann_format="PICSELLIA")
    assert lake.picture.list() == []


def test_a_taken_name_or_a_missing_version_is_said_before_anything_is_read_or_sent(
    lake: Datalake, coco: tuple[Path, dict[str, Any]]
) -> None:
    root, _doc = coco
    imported(lake, coco)
    before = lake.picture.list()
    (root / "images" / "late.jpg").write_bytes(make_image(999))  # would be uploaded
    broken = root / "broken.json"
    broken.write_text("{")  # would be refused, were it read
    with pytest.raises(
        AlreadyExistsError, match="'cars' already exists.*leave imgdir out to annotate"
    ):
        lake.upload(name="cars", imgdir=root / "images", ann_path=broken, ann_format="COCO")
    with pytest.raises(ResourceNotFoundError, match="no version 'v9'"):
        lake.upload(name="cars", version="v9", ann_path=broken, ann_format="COCO")
    for version in (None, "v9"):  # no such dataset: how to create it is said
        with pytest.raises(ResourceNotFoundError, match="no dataset named 'bikes' to add these"):
            lake.upload(name="bikes", version=version, ann_path=broken, ann_format="COCO")
    assert lake.picture.list() == before


def test_other_organizations_cannot_see_datasets(
    server: LiveServer, lake: Datalake, coco: tuple[Path, dict[str, Any]], bob: str
) -> None:
    ds = imported(lake, coco)
    intruder = Dataset(api_token=bob, host=server.url, interactive=False)
    assert intruder.list() == []
    with pytest.raises(ResourceNotFoundError):
        intruder.fetch("cars")
    intruder.dataset_id = ds.dataset_id
    for call in (
        intruder.list_pictures,
        intruder.get_annotations,
        lambda: intruder.create_labels("x", "rectangle"),
    ):
        with pytest.raises(ResourceNotFoundError):
            call()
    with pytest.raises(ResourceNotFoundError):
        intruder.delete("cars", "first")
    assert lake.dataset.fetch("cars").fetched_dataset["size"] == 12


def test_client_exposes_datasets(server: LiveServer, alice: str) -> None:
    with Client(api_token=alice, host=server.url, interactive=False) as client:
        assert isinstance(client.datalake.dataset, Dataset)
        assert Client.Datalake.Dataset is Dataset  # type: ignore[attr-defined]


@pytest.mark.usefixtures("transfer")
def test_download_skips_files_already_there(
    lake: Datalake,
    coco: tuple[Path, dict[str, Any]],
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ds = imported(lake, coco)
    target = tmp_path / "dl"
    ds.download("cars/first", target)
    one = sorted(target.iterdir())[0]
    stamp = one.stat().st_mtime_ns
    corrupt = sorted(target.iterdir())[1]
    corrupt.write_bytes(b"damaged")
    with caplog.at_level(logging.INFO, logger="pixlake"):
        report = ds.download("cars/latest", target)
    assert report == DownloadReport("cars/first", target, fetched=1, kept=11)
    assert "Images downloaded: 1 fetched, 11 already there" in caplog.messages
    assert one.stat().st_mtime_ns == stamp  # right digest: not fetched again
    assert (
        hashlib.sha256(corrupt.read_bytes()).hexdigest() != hashlib.sha256(b"damaged").hexdigest()
    )
    with pytest.raises(InvalidQueryError, match="name/version"):
        ds.download("cars", target)
    monkeypatch.chdir(tmp_path)
    by_default = ds.download("cars/latest")  # a folder of the version "latest" names
    assert by_default.folder == Path("cars", "first") and by_default.fetched == 12
    assert len(list((tmp_path / "cars" / "first").iterdir())) == 12


def test_deleting_a_picture_removes_it_from_every_version(
    lake: Datalake, coco: tuple[Path, dict[str, Any]]
) -> None:
    ds = imported(lake, coco)
    ds.new_version(name="cars", version="v2")
    victim = ds.list_pictures()[0]
    lake.picture.delete([victim])
    for version in ("first", "v2"):
        record = ds.fetch("cars", version).fetched_dataset
        assert record["size"] == 11 and record["nb_annotations"] == 11
        assert victim["picture_id"] not in {p["picture_id"] for p in ds.list_pictures()}


@pytest.mark.usefixtures("transfer")
def test_large_images_download_one_by_one(
    lake: Datalake,
    coco: tuple[Path, dict[str, Any]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import pixlake.sdk.dataset as dataset_module

    ds = imported(lake, coco)
    monkeypatch.setattr(dataset_module, "BATCH_BYTES", 32)  # every image counts as large
    ds.download("cars/first", tmp_path / "big")
    root, _doc = coco
    for path in sorted((root / "images").iterdir()):
        assert (tmp_path / "big" / path.name).read_bytes() == path.read_bytes()


# --------------------------------------------------------------------------- splits


@pytest.mark.usefixtures("transfer")
def test_a_yolo_dataset_with_splits_keeps_them_both_ways(lake: Datalake, tmp_path: Path) -> None:
    root = ultralytics_dataset(tmp_path / "ds")
    record = lake.upload(name="split", imgdir=root, ann_path=root, ann_format="YOLO", tags=["y"])
    assert (record["size"], record["nb_objects"], record["splits"]) == (
        6,
        6,
        {"train": 4, "val": 2},
    )
    assert sorted(p["external_url"] for p in lake.picture.fetch(1, ["val"])) == ["u4.jpg", "u5.jpg"]
    ds = lake.dataset.fetch("split")
    assert ds.get_annotations(picture_name="u5.jpg")["split"] == "val"
    out = ds.export("YOLO", tmp_path / "out")
    assert sorted(p.name for p in (out / "images/val").iterdir()) == ["u4.jpg", "u5.jpg"]
    assert (out / "labels/train/u1.txt").read_text() == (root / "labels/train/u1.txt").read_text()
    # into a dataset of its own, through the export: the same splits
    again = lake.upload(name="again", imgdir=out, ann_path=out, ann_format="YOLO")
    assert again["splits"] == {"train": 4, "val": 2}
    coco = ds.export("COCO", tmp_path / "coco")
    files = sorted(p.name for p in (coco / "annotations").iterdir())
    assert files == ["instances_train.json", "instances_val.json"]
    voc = ds.export("PASCAL-VOC", tmp_path / "voc")
    assert (voc / "ImageSets/Main/val.txt").read_text() == "u4\nu5\n"
    # a COCO folder of split files imports in one call, splits kept
    third = lake.upload(name="third", imgdir=coco, ann_path=coco, ann_format="COCO")
    assert (third["size"], third["splits"]) == (6, {"train": 4, "val": 2})


def test_split_tags_can_be_left_out(lake: Datalake, tmp_path: Path) -> None:
    root = ultralytics_dataset(tmp_path / "ds")
    record = lake.upload(
        name="untagged", imgdir=root, ann_path=root, ann_format="YOLO", tags=["z"], split_tags=False
    )
    assert record["splits"] == {"train": 4, "val": 2}
    assert lake.picture.fetch(1, ["val"]) == []


def test_a_yolo_folder_without_its_labels_is_refused_before_any_upload(
    lake: Datalake, tmp_path: Path
) -> None:
    root = ultralytics_dataset(tmp_path / "ds")
    shutil.rmtree(root / "labels" / "val")
    with pytest.raises(InvalidInputError) as error:
        lake.upload(name="nolabels", imgdir=root, ann_path=root, ann_format="YOLO")
    assert "labels/val/ for the 2 images of split 'val'" in error.value.details[0]["message"]
    assert lake.picture.list() == []


def test_export_notes_and_an_absolute_data_yaml(
    lake: Datalake, coco: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    ds = imported(lake, coco)
    crowds = sum(1 for a in coco[1]["annotations"] if a.get("iscrowd"))
    out = ds.export("YOLO", tmp_path / "yolo", yolo_absolute=True)
    assert ds.export_notes == [
        f"{crowds} crowd regions left out, as Ultralytics' COCO converter does (YOLO has no "
        "crowd regions)"
    ]
    assert (out / "pixlake-export-notes.txt").read_text() == ds.export_notes[0] + "\n"
    assert yaml.safe_load((out / "data.yaml").read_text())["path"] == str(out.resolve())
    zipped = ds.export("YOLO", tmp_path / "yolo.zip", zip=True)
    assert zipped.is_file() and ds.export_notes[0].startswith(f"{crowds} crowd")
    with pytest.raises(InvalidQueryError, match="export into a folder"):
        ds.export("YOLO", tmp_path / "y.zip", zip=True, yolo_absolute=True)
    assert ds.export("COCO", tmp_path / "coco").is_dir() and ds.export_notes == []


def test_a_picture_is_put_in_a_split(lake: Datalake, coco: tuple[Path, dict[str, Any]]) -> None:
    ds = imported(lake, coco)
    name = coco[1]["images"][0]["file_name"]
    ds.add_annotation(name, data=[], split="holdout")
    assert ds.get_annotations(picture_name=name)["split"] == "holdout"
    assert ds.fetch("cars").fetched_dataset["splits"] == {"holdout": 1}
    with pytest.raises(InvalidInputError) as error:
        ds.add_annotation(name, data=[], split="no/slash")
    assert error.value.details[0]["field"] == "annotations[0].split"
    ds.add_annotation(name, data=[], split="default")  # the tools' name for none
    assert ds.get_annotations(picture_name=name)["split"] is None


@pytest.mark.usefixtures("transfer")
def test_links_planted_in_the_download_folder_are_never_written_through(
    lake: Datalake, coco: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    ds = imported(lake, coco)
    names = sorted(p["external_url"] for p in ds.list_pictures())
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "victim").write_bytes(b"keep me")
    target = tmp_path / "dl"
    target.mkdir()
    for i, name in enumerate(names):
        if i % 2:  # a link to a file that does not exist yet: writing through it makes one
            (target / f"{name}.part").symlink_to(outside / f"made-{name}")
        else:
            (target / f"{name}.part").symlink_to(outside / "victim")
    (target / names[0]).unlink(missing_ok=True)
    (target / names[0]).symlink_to(outside / "victim")  # and the final name itself

    report = ds.download("cars/first", target)

    assert report.fetched == len(names)
    assert sorted(p.name for p in outside.iterdir()) == ["victim"]
    assert (outside / "victim").read_bytes() == b"keep me"
    for name in names:
        assert (target / name).is_file() and not (target / name).is_symlink()
        assert not os.path.lexists(target / f"{name}.part")
