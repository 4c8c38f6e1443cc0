"""PICSELLIA JSON: upstream files, pixlake's additions, round trips through the wire shape."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from pixlake.errors import InvalidInputError
from pixlake.formats import (
    QA,
    AnnotatedImage,
    Annotations,
    Box,
    FolderSink,
    LabelSpec,
    Mask,
    Obj,
    PicselliaExporter,
    image_to_record,
    read_coco,
    read_picsellia,
)

from .helpers import FOREIGN_KEYS, find_problem, write_json

UPSTREAM = {
    "annotations": [
        {
            "external_picture_url": "000000000001.jpg",
            "nb_labels": 2,
            "time_spent": 12.5,
            "annotations": [
                {
                    "type": "rectangle",
                    "label": "car",
                    "rectangle": {"top": 10, "left": 20, "width": 50, "height": 30},
                    "qa": [],
                },
                {
                    "type": "polygon",
                    "label": "car",
                    "polygon": {"geometry": [{"x": 1, "y": 1}, {"x": 9, "y": 1}, {"x": 5, "y": 7}]},
                    "rectangle": [],
                    "qa": [],
                },
                {"type": "classification", "label": "night", "qa": []},
            ],
        },
        {
            "external_picture_url": "000000000002.jpg",
            "nb_labels": 0,
            "time_spent": 0,
            "annotations": [],
        },
    ]
}


def export(annotations: Annotations, root: Path) -> Path:
    with FolderSink(root) as sink:
        with PicselliaExporter(sink, annotations.labels, info=annotations.info) as exporter:
            for image in annotations.images:
                exporter.write(image)
    return root / "annotations.json"


def read_error(tmp_path: Path, doc: Any, **options: Any) -> pytest.ExceptionInfo[InvalidInputError]:
    path = write_json(tmp_path / "annotations.json", doc)
    with pytest.raises(InvalidInputError) as error:
        read_picsellia(path, **options)
    return error


def test_reads_an_upstream_file(tmp_path: Path) -> None:
    result = read_picsellia(write_json(tmp_path / "ann.json", UPSTREAM))
    first, second = result.images
    assert (first.file_name, first.width, first.height) == ("000000000001.jpg", 0, 0)
    assert first.extra == {"nb_instances": 2, "duration": 12.5}
    rectangle, polygon, night = first.objects
    assert rectangle.box == Box(20, 10, 50, 30)
    assert (polygon.kind, polygon.box) == ("polygon", None)
    assert night.kind == "classification"
    assert result.labels == [LabelSpec("car", "polygon"), LabelSpec("night", "classification")]
    assert second.objects == ()


def test_progress_ends_with_the_whole_file(tmp_path: Path) -> None:
    path = write_json(tmp_path / "ann.json", UPSTREAM)
    told: list[tuple[int, int]] = []
    read_picsellia(path, progress=lambda *at: told.append(at))
    size = path.stat().st_size
    assert told == [(size, size)]


def test_unknown_keys_keep_their_order(tmp_path: Path) -> None:
    doc = json.loads(json.dumps(UPSTREAM))
    doc["annotations"][0].update(FOREIGN_KEYS)
    doc["annotations"][0]["annotations"][0].update(FOREIGN_KEYS)
    first = read_picsellia(write_json(tmp_path / "ann.json", doc)).images[0]
    assert list(first.extra) == ["nb_instances", "duration", *FOREIGN_KEYS]
    assert list(first.objects[0].extra) == list(FOREIGN_KEYS)


def test_the_images_folder_fills_sizes_and_bounds_objects(
    generated_root: Path, tmp_path: Path
) -> None:
    path = write_json(tmp_path / "ann.json", UPSTREAM)
    result = read_picsellia(path, images=generated_root / "images")
    coco = read_coco(generated_root / "annotations/instances.json")
    expected = {image.file_name: (image.width, image.height) for image in coco.images}
    assert [(i.width, i.height) for i in result.images] == [
        expected["000000000001.jpg"],
        expected["000000000002.jpg"],
    ]
    far = json.loads(json.dumps(UPSTREAM))
    far["annotations"][0]["annotations"][0]["rectangle"]["left"] = 5000
    error = read_error(tmp_path, far, images=generated_root / "images")
    find_problem(error, field="annotations[0].annotations[0]", message="expected a box inside")
    sizes = read_picsellia(path, image_size=lambda name: (640, 480))
    assert {(i.width, i.height) for i in sizes.images} == {(640, 480)}


def test_round_trip_through_the_wire_shape(generated_root: Path, tmp_path: Path) -> None:
    coco = read_coco(generated_root / "annotations/instances.json")
    mask = Mask(
        coco.images[0].height,
        coco.images[0].width,
        (5, 3, coco.images[0].height * coco.images[0].width - 8),
    )
    extra_objects = (
        Obj(label="person", kind="mask", mask=mask, iscrowd=True, box=Box(0, 5, 1, 3)),
        Obj(
            label="person",
            kind="polygon",
            polygons=(((1.0, 1.0), (4.0, 1.0), (2.0, 3.0)), ((5.0, 5.0), (8.0, 5.0), (6.0, 9.0))),
            qa=(QA("visible?", "partly"),),
        ),
    )
    first = coco.images[0]
    images = [
        AnnotatedImage(
            file_name=first.file_name,
            width=first.width,
            height=first.height,
            objects=first.objects + extra_objects,
            qa=(QA("weather?", "sunny"),),
            status="accepted",
            extra={"nb_instances": 9, "duration": 3.5, "internal_picture_id": "abc"},
        ),
        *coco.images[1:],
    ]
    annotations = Annotations(labels=coco.labels, images=images)
    path = export(annotations, tmp_path / "out")
    again = read_picsellia(path)
    assert again.labels == coco.labels  # the labels list keeps unused labels and their kinds
    assert again.images[0] == images[0]
    for mine, theirs in zip(again.images[1:], images[1:], strict=True):
        assert mine.objects == theirs.objects
        assert mine.extra == {"nb_instances": len(theirs.objects), "duration": 0, **theirs.extra}
    record = json.loads(path.read_text())["annotations"][0]
    assert record["nb_labels"] == 9 and record["time_spent"] == 3.5
    assert record["status"] == "accepted"
    assert record["image_qa"] == [{"question": "weather?", "answer": "sunny"}]


def test_image_to_record_is_the_upstream_shape() -> None:
    image = AnnotatedImage(
        file_name="a.jpg",
        width=10,
        height=10,
        objects=(Obj(label="car", kind="rectangle", box=Box(1, 2, 3, 4)),),
    )
    assert image_to_record(image) == {
        "external_picture_url": "a.jpg",
        "nb_labels": 1,
        "time_spent": 0,
        "annotations": [
            {
                "type": "rectangle",
                "label": "car",
                "rectangle": {"top": 2, "left": 1, "width": 3, "height": 4},
                "qa": [],
            }
        ],
        "width": 10,
        "height": 10,
    }


def test_rectangle_option(tmp_path: Path) -> None:
    doc = {
        **UPSTREAM,
        "labels": [{"name": "car", "type": "polygon"}, {"name": "night", "type": "classification"}],
    }
    result = read_picsellia(write_json(tmp_path / "a.json", doc), rectangle=True)
    assert [obj.kind for obj in result.images[0].objects] == [
        "rectangle",
        "rectangle",
        "classification",
    ]
    assert result.images[0].objects[1].box == Box(1, 1, 8, 6)
    assert result.labels == [LabelSpec("car", "rectangle"), LabelSpec("night", "classification")]


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        (lambda d: d.update(annotations={}), "annotations", "{annotations: [...]}"),
        (
            lambda d: d["annotations"][0].update(external_picture_url="../x.jpg"),
            "annotations[0].external_picture_url",
            "without '..'",
        ),
        (
            lambda d: d["annotations"][1].update(external_picture_url="000000000001.jpg"),
            "annotations[1].external_picture_url",
            "unique picture",
        ),
        (
            lambda d: d["annotations"][0]["annotations"][1]["polygon"]["geometry"].pop(),
            "annotations[0].annotations[1].polygon.geometry",
            "at least 3 points",
        ),
        (
            lambda d: d["annotations"][0]["annotations"][0].update(type="circle"),
            "annotations[0].annotations[0].type",
            "type among",
        ),
        (
            lambda d: d["annotations"][0]["annotations"][0]["rectangle"].pop("width"),
            "annotations[0].annotations[0].rectangle.width",
            "a number",
        ),
        (lambda d: d["annotations"][0].update(nb_labels="2"), "annotations[0].nb_labels", ">= 0"),
        (lambda d: d["annotations"][0].update(width=-1), "annotations[0].width", "integer >= 0"),
        (lambda d: d["annotations"][0].update(status=3), "annotations[0].status", "a string"),
        (
            lambda d: d.update(labels=[{"name": "car", "type": "rectangle"}]),
            "annotations[0].annotations[2].label",
            "declared in labels",
        ),
        (
            lambda d: d.update(labels=[{"name": "car", "type": "box"}]),
            "labels[0].type",
            "type among",
        ),
    ],
)
def test_bad_files(tmp_path: Path, change: Any, field: str, message: str) -> None:
    doc = json.loads(json.dumps(UPSTREAM))
    change(doc)
    error = read_error(tmp_path, doc)
    find_problem(error, file="annotations.json", field=field, message=message)
