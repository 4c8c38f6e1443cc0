"""COCO: reading, validation errors, the streaming exporter, pycocotools compatibility."""

from __future__ import annotations

import contextlib
import dataclasses
import io
import json
import tracemalloc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from pycocotools import mask as mask_utils
from pycocotools.coco import COCO

from pixlake.errors import InvalidInputError, PayloadTooLargeError
from pixlake.formats import (
    AnnotatedImage,
    Annotations,
    Box,
    CocoExporter,
    FolderSink,
    LabelSpec,
    Limits,
    Obj,
    SpooledImages,
    ZipSink,
    from_compact,
    parse_coco,
    read_coco,
)

from .helpers import (
    FOREIGN_KEYS,
    STORED,
    STORED_LABELS,
    box_annotation,
    coco_doc,
    find_problem,
    stored_objects,
    write_json,
)


def load_coco(path: Path) -> COCO:
    with contextlib.redirect_stdout(io.StringIO()):  # COCO() prints its progress
        return COCO(str(path))


def export(annotations: Annotations, root: Path) -> dict[str, Any]:
    with (
        FolderSink(root) as sink,
        CocoExporter(sink, annotations.labels, info=annotations.info) as e,
    ):
        for image in annotations.images:
            e.write(image)
    result: dict[str, Any] = json.loads((root / "annotations/instances_default.json").read_text())
    return result


def rle_of(array: np.ndarray[Any, Any]) -> dict[str, Any]:
    rle = mask_utils.encode(np.asfortranarray(array.astype(np.uint8)))
    return {"size": [int(v) for v in rle["size"]], "counts": rle["counts"].decode("ascii")}


def read_error(tmp_path: Path, doc: Any, **options: Any) -> pytest.ExceptionInfo[InvalidInputError]:
    """The error reading ``doc`` gives, the same whether read whole or as a stream."""
    path = write_json(tmp_path / "instances.json", doc)
    with pytest.raises(InvalidInputError) as streamed:
        read_coco(path, spool=True, **options)
    with pytest.raises(InvalidInputError) as error:
        read_coco(path, **options)
    assert (streamed.value.message, streamed.value.details) == (
        error.value.message,
        error.value.details,
    )
    return error


# --------------------------------------------------------------------------------------
# Reading


def test_reads_the_generated_dataset(generated_root: Path, generated_stats: dict[str, Any]) -> None:
    source = json.loads((generated_root / "annotations/instances.json").read_text())
    result = read_coco(generated_root / "annotations/instances.json")
    assert [image.file_name for image in result.images] == [
        i["file_name"] for i in source["images"]
    ]
    assert sum(len(image.objects) for image in result.images) == generated_stats["annotations"]
    categories = sorted(source["categories"], key=lambda c: c["id"])
    assert [label.name for label in result.labels] == [c["name"] for c in categories]
    first = result.images[0]
    assert first.extra == {"id": 1, "license": 1, "date_captured": "2024-01-01 00:00:00"}
    assert (first.width, first.height) == (
        source["images"][0]["width"],
        source["images"][0]["height"],
    )
    annotation = source["annotations"][0]
    obj = first.objects[0]
    assert obj.kind == "polygon"
    assert obj.box == Box(*annotation["bbox"])
    assert obj.area == annotation["area"]
    flat = [value for point in obj.polygons[0] for value in point]
    assert flat == annotation["segmentation"][0]
    coco = result.info["coco"]
    assert coco["info"] == source["info"]
    assert coco["licenses"] == source["licenses"]
    assert coco["categories"] == categories


def test_keeps_every_ring_masks_and_iscrowd(tmp_path: Path) -> None:
    array = np.zeros((80, 100), dtype=np.uint8)
    array[10:30, 20:45] = 1
    compressed = rle_of(array)
    uncompressed = {"size": [80, 100], "counts": _runs([int(v) for v in array.flatten(order="F")])}
    rings = [[1, 1, 9, 1, 9, 9], [20.5, 20.5, 30, 20, 30, 30, 20, 30]]
    doc = coco_doc(
        annotations=[
            box_annotation(segmentation=rings, bbox=[1, 1, 29, 29], area=432.0),
            box_annotation(2, 3, id=2, segmentation=compressed, iscrowd=1, area=500),
            box_annotation(2, 3, id=3, segmentation=uncompressed, iscrowd=1, bbox=None, area=None),
        ]
    )
    result = read_coco(write_json(tmp_path / "in.json", doc))
    polygon = result.images[0].objects[0]
    assert polygon.kind == "polygon"
    assert [[v for p in ring for v in p] for ring in polygon.polygons] == rings
    crowd, listed = result.images[1].objects
    assert (crowd.kind, crowd.iscrowd, crowd.mask is not None) == ("mask", True, True)
    assert crowd.mask is not None and crowd.mask.counts == compressed["counts"]
    assert listed.mask is not None and listed.mask.counts == tuple(uncompressed["counts"])
    assert listed.box is None and listed.area is None
    assert [label.kind for label in result.labels] == ["polygon", "polygon"]


def _runs(flat: list[int]) -> list[int]:
    runs, current, count = [], 0, 0
    for value in flat:
        if value == current:
            count += 1
        else:
            runs.append(count)
            current, count = value, 1
    runs.append(count)
    return runs


def test_label_kinds_follow_the_objects(tmp_path: Path) -> None:
    polygon = [10, 10, 20, 10, 20, 20]
    doc = coco_doc(
        annotations=[
            box_annotation(category_id=3),  # the first annotation: a box
            box_annotation(category_id=1, id=2, segmentation=[polygon]),
            box_annotation(category_id=1, id=3),
        ],
        categories=[
            {"id": 1, "name": "cat"},
            {"id": 2, "name": "unused"},
            {"id": 3, "name": "dog"},
        ],
    )
    result = read_coco(write_json(tmp_path / "in.json", doc))
    assert result.labels == [
        LabelSpec("cat", "polygon"),
        LabelSpec("unused", "rectangle"),  # no object: the first annotation decides
        LabelSpec("dog", "rectangle"),
    ]
    empty = read_coco(write_json(tmp_path / "empty.json", coco_doc()))
    assert [label.kind for label in empty.labels] == ["classification", "classification"]


def test_classification_annotations(tmp_path: Path) -> None:
    doc = coco_doc(annotations=[{"id": 1, "image_id": 1, "category_id": 1}])
    result = read_coco(write_json(tmp_path / "in.json", doc))
    assert result.images[0].objects == (Obj(label="cat", kind="classification"),)
    assert result.labels[0] == LabelSpec("cat", "classification")
    written = export(result, tmp_path / "out")
    assert written["annotations"] == [{"id": 1, "image_id": 1, "category_id": 1, "iscrowd": 0}]
    again = read_coco(tmp_path / "out/annotations/instances_default.json")
    assert again.images[0].objects == result.images[0].objects


def test_rectangle_option_turns_polygons_and_masks_into_boxes(tmp_path: Path) -> None:
    array = np.zeros((80, 100), dtype=np.uint8)
    array[5:15, 50:60] = 1
    doc = coco_doc(
        annotations=[
            box_annotation(segmentation=[[10, 10, 30, 12, 20, 40]], bbox=[10, 10, 20, 30]),
            box_annotation(id=2, segmentation=[[1, 2, 5, 2, 3, 9]], bbox=None),
            box_annotation(2, 3, id=3, segmentation=rle_of(array), bbox=None),
        ]
    )
    result = read_coco(write_json(tmp_path / "in.json", doc), rectangle=True)
    boxes = [obj.box for image in result.images for obj in image.objects]
    assert boxes == [Box(10, 10, 20, 30), Box(1, 2, 4, 7), Box(50, 5, 10, 10)]
    assert {obj.kind for image in result.images for obj in image.objects} == {"rectangle"}
    assert [label.kind for label in result.labels] == ["rectangle", "rectangle"]


@pytest.mark.parametrize("spool", [False, True])
def test_file_names_with_folders_keep_their_base_name_and_path(tmp_path: Path, spool: bool) -> None:
    given = ["train2017/a.jpg", "val\\2024\\b.jpg", "./c.jpg", "d.jpg", "x//./e.jpg"]
    images = [
        {"id": i, "file_name": name, "width": 10, "height": 10} for i, name in enumerate(given)
    ]
    result = read_coco(write_json(tmp_path / "in.json", coco_doc(images=images)), spool=spool)
    assert [(i.file_name, i.path) for i in result.images] == [
        ("a.jpg", "train2017/a.jpg"),
        ("b.jpg", "val/2024/b.jpg"),
        ("c.jpg", None),
        ("d.jpg", None),
        ("e.jpg", "x/e.jpg"),
    ]


def test_one_base_name_in_two_folders_is_refused(tmp_path: Path) -> None:
    images = [
        {"id": 1, "file_name": "train/a.jpg", "width": 10, "height": 10},
        {"id": 2, "file_name": "val/a.jpg", "width": 10, "height": 10},
    ]
    error = read_error(tmp_path, coco_doc(images=images))
    find_problem(error, field="images[1].file_name", message="pictures are named without")


def test_unknown_keys_are_kept(tmp_path: Path) -> None:
    doc = coco_doc(annotations=[box_annotation(attributes={"occluded": True}, score=0.5)])
    doc["type"] = "instances"
    result = read_coco(write_json(tmp_path / "in.json", doc))
    obj = result.images[0].objects[0]
    assert (obj.extra, obj.score) == ({"attributes": {"occluded": True}}, 0.5)
    assert result.info["coco"]["type"] == "instances"
    written = export(result, tmp_path / "out")
    assert written["annotations"][0]["attributes"] == {"occluded": True}
    assert written["annotations"][0]["score"] == 0.5
    assert written["type"] == "instances"


# --------------------------------------------------------------------------------------
# Reading as a stream, the objects spooled to disk (read_coco(spool=True))


@pytest.mark.parametrize("spool", [False, True])
def test_unknown_keys_keep_their_order(tmp_path: Path, spool: bool) -> None:
    images = [{"id": 1, "file_name": "a.jpg", "width": 100, "height": 80, **FOREIGN_KEYS}]
    doc = coco_doc(images=images, annotations=[box_annotation(**FOREIGN_KEYS)])
    result = read_coco(write_json(tmp_path / "in.json", doc), spool=spool)
    image = next(iter(result.images))
    assert list(image.extra) == [*FOREIGN_KEYS, "id"]
    assert list(image.objects[0].extra) == list(FOREIGN_KEYS)


def _reordered(doc: dict[str, Any], keys: list[str]) -> dict[str, Any]:
    return {key: doc[key] for key in keys} | {k: v for k, v in doc.items() if k not in keys}


@pytest.mark.parametrize(
    "order",
    [
        ["info", "licenses", "images", "annotations", "categories"],  # COCO's own: two passes
        ["categories", "images", "annotations"],  # one pass
        ["annotations", "images", "categories"],
    ],
)
@pytest.mark.parametrize("rectangle", [False, True])
def test_a_stream_reads_what_the_whole_way_reads(
    generated_root: Path, tmp_path: Path, order: list[str], rectangle: bool
) -> None:
    doc = json.loads((generated_root / "annotations/instances.json").read_text())
    doc["annotations"].reverse()  # objects not listed image by image
    path = write_json(tmp_path / "instances.json", _reordered(doc, order))
    whole = read_coco(path, rectangle=rectangle)
    streamed = read_coco(path, rectangle=rectangle, spool=True)
    assert isinstance(streamed.images, SpooledImages)
    assert streamed.labels == whole.labels
    assert streamed.info == whole.info
    assert list(streamed.images) == whole.images
    assert streamed.images[-1] == whole.images[-1]
    assert streamed.images[1:3] == whole.images[1:3]
    assert streamed.images.nb_objects == sum(len(i.objects) for i in whole.images) > 0


def test_a_stream_keeps_masks_rings_and_unknown_keys(tmp_path: Path) -> None:
    array = np.zeros((80, 100), dtype=np.uint8)
    array[10:30, 20:45] = 1
    doc = coco_doc(
        annotations=[
            box_annotation(segmentation=[[1, 1, 9, 1, 9, 9], [20, 20, 30, 20, 30, 30]]),
            box_annotation(2, 3, id=2, segmentation=rle_of(array), iscrowd=1, score=0.25),
            box_annotation(2, 1, id=3, bbox=None, area=None, note={"é": [1, None]}),
        ]
    )
    doc["extra_key"] = {"kept": True}
    path = write_json(tmp_path / "in.json", doc)
    whole, streamed = read_coco(path), read_coco(path, spool=True)
    assert isinstance(streamed.images, SpooledImages)
    assert (streamed.labels, streamed.info) == (whole.labels, whole.info)
    assert list(streamed.images) == whole.images
    kinds = [o.kind for i in streamed.images for o in i.objects]
    assert kinds == ["polygon", "mask", "classification"]


def test_a_document_a_stream_cannot_follow_is_read_whole(tmp_path: Path) -> None:
    path = tmp_path / "instances.json"
    doc = json.dumps(coco_doc(annotations=[box_annotation()]))
    # a key given twice: json.load keeps the last value, and so does read_coco
    path.write_text(doc[:-1] + ', "annotations": []}')
    result = read_coco(path, spool=True)
    assert not isinstance(result.images, SpooledImages)
    assert [len(image.objects) for image in result.images] == [0, 0]


@pytest.mark.parametrize("way", ["whole", "streamed", "streamed twice"])
def test_progress_goes_through_the_file(tmp_path: Path, way: str) -> None:
    doc = coco_doc(annotations=[box_annotation(1 + i % 2, id=i) for i in range(12_000)])
    annotations = doc.pop("annotations")
    if way == "streamed twice":  # the annotations first: read again once the images are known
        doc = {"annotations": annotations, **doc}
    else:
        doc["annotations"] = annotations
    path = write_json(tmp_path / "in.json", doc)
    size = path.stat().st_size
    assert size > 1024 * 1024  # more than one piece of the stream
    told: list[tuple[int, int]] = []
    result = read_coco(path, spool=way != "whole", progress=lambda *at: told.append(at))
    assert sum(len(image.objects) for image in result.images) == 12_000
    total = 2 * size if way == "streamed twice" else size
    assert told[-1] == (total, total)
    assert [done for done, _ in told] == sorted(done for done, _ in told)
    assert all(done <= of for done, of in told)
    if way != "whole":
        assert len(told) > 2
    if way == "streamed twice":
        assert (size, total) in told


def test_progress_read_whole_ends_once_the_file_is_checked(tmp_path: Path) -> None:
    path = write_json(tmp_path / "in.json", coco_doc(annotations=[box_annotation(category_id=42)]))
    told: list[tuple[int, int]] = []
    with pytest.raises(InvalidInputError):
        read_coco(path, progress=lambda *at: told.append(at))
    assert told == []  # not done: a problem was found


def test_a_stream_holds_the_images_not_the_objects(tmp_path: Path) -> None:
    ring = [float(v) for i in range(24) for v in (i % 20, (i * 7) % 20)]

    def peak(count: int, spool: bool) -> int:
        images = [
            {"id": i, "file_name": f"{i}.jpg", "width": 20, "height": 20} for i in range(count)
        ]
        annotations = [
            {"id": j, "image_id": j % count, "category_id": 1, "segmentation": [ring]}
            for j in range(10 * count)
        ]
        doc = coco_doc(images=images, annotations=annotations)
        path = write_json(tmp_path / f"in-{count}.json", doc)
        del doc, annotations
        tracemalloc.start()
        try:
            result = read_coco(path, spool=spool)
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
            del result

    # Sizes large enough for the spool to write its buffer out at least once
    whole, streamed, more = peak(400, False), peak(400, True), peak(1600, True)
    assert streamed < whole / 3, (streamed, whole)
    # What grows with the input is the images' part: about 2 KB each, where their ten
    # objects alone would take 30 KB.
    assert more < streamed + 1200 * 4096, (streamed, more)


# --------------------------------------------------------------------------------------
# Malformed input: one error listing every problem, naming file, path and expectation


def test_malformed_json_names_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "instances.json"
    path.write_text('{\n  "images": [],\n  "annotations": [1,, 2]\n}\n')
    with pytest.raises(InvalidInputError) as error:
        read_coco(path)
    detail = find_problem(error, file="instances.json", line=3, message="expected valid JSON")
    assert detail["column"] == 21  # the second comma
    assert "line 3, column 21" in detail["message"]


def test_non_utf8_and_non_object_input(tmp_path: Path) -> None:
    path = tmp_path / "instances.json"
    path.write_bytes(b'{"images": ["\xff"]}')
    with pytest.raises(InvalidInputError) as error:
        read_coco(path)
    find_problem(error, file="instances.json", message="expected UTF-8")
    error = read_error(tmp_path, [1, 2])
    find_problem(error, file="instances.json", message="expected a JSON object")
    error = read_error(tmp_path, {"annotations": []})
    find_problem(error, field="images", message="expected a list")


@pytest.mark.parametrize(
    ("annotation", "field", "message"),
    [
        (box_annotation(image_id=9), "annotations[0].image_id", "id of an image in images"),
        (box_annotation(image_id=[1]), "annotations[0].image_id", "id of an image in images"),
        (box_annotation(category_id=2), "annotations[0].category_id", "category in categories"),
        (box_annotation(bbox=[10, 10, -1, 5]), "annotations[0].bbox", "width and height >= 0"),
        (box_annotation(bbox=[90, 10, 20, 5]), "annotations[0].bbox", "inside the 100x80 image"),
        (box_annotation(bbox=[-2, 10, 20, 5]), "annotations[0].bbox", "inside the 100x80 image"),
        (box_annotation(bbox=[10, 10, "20", 5]), "annotations[0].bbox", "4 numbers"),
        (box_annotation(bbox=[10, 10, True, 5]), "annotations[0].bbox", "4 numbers"),
        (box_annotation(bbox=[10, 10, 20]), "annotations[0].bbox", "4 numbers"),
        (
            box_annotation(segmentation=[[1, 1, 5, 5]]),
            "annotations[0].segmentation[0]",
            "at least 3 points",
        ),
        (
            box_annotation(segmentation=[[1, 1, 5, 5, 9]]),
            "annotations[0].segmentation[0]",
            "even number of coordinates",
        ),
        (
            box_annotation(segmentation=[[1, 1, 5, "x", 9, 9]]),
            "annotations[0].segmentation[0]",
            "list of numbers",
        ),
        (
            box_annotation(segmentation=[[1, 1, 5, 5, 9, 9], [1, 1, 500, 5, 9, 9]]),
            "annotations[0].segmentation[1]",
            "inside the 100x80 image",
        ),
        (box_annotation(segmentation="x"), "annotations[0].segmentation", "RLE object"),
        (
            box_annotation(segmentation={"size": [80, 100], "counts": [10, 5]}),
            "annotations[0].segmentation",
            "summing to height x width = 8000",
        ),
        (
            box_annotation(segmentation={"size": [8, 1000], "counts": [8000]}),
            "annotations[0].segmentation.size",
            "the image size [80, 100]",
        ),
        (box_annotation(iscrowd=2), "annotations[0].iscrowd", "0 or 1"),
        (box_annotation(area=-5), "annotations[0].area", "number >= 0"),
        (box_annotation(score="high"), "annotations[0].score", "a number"),
        ("not an object", "annotations[0]", "expected an object"),
    ],
)
def test_bad_annotations(tmp_path: Path, annotation: Any, field: str, message: str) -> None:
    error = read_error(tmp_path, coco_doc(annotations=[annotation]))
    find_problem(error, file="instances.json", field=field, message=message)
    assert len(error.value.details) == 1


@pytest.mark.parametrize(
    ("literal", "message"), [("NaN", "4 numbers"), ("-Infinity", "4 numbers"), ("1e999", "finite")]
)
def test_non_finite_numbers_are_refused(tmp_path: Path, literal: str, message: str) -> None:
    path = tmp_path / "instances.json"
    text = json.dumps(coco_doc(annotations=[box_annotation()]))
    path.write_text(text.replace("[10, 10, 20, 20]", f"[10, {literal}, 20, 20]"))
    with pytest.raises(InvalidInputError) as error:
        read_coco(path)
    find_problem(error, field="annotations[0].bbox", message=message)


@pytest.mark.parametrize(
    ("extra", "field"),
    [({"note": "\ud800"}, "annotations[0].note"), ({"\udfff": 1}, "annotations[0].'\\udfff'")],
)
def test_lone_surrogates_in_kept_fields_are_refused(
    tmp_path: Path, extra: dict[str, Any], field: str
) -> None:
    path = tmp_path / "instances.json"
    path.write_text(json.dumps(coco_doc(annotations=[box_annotation(**extra)])))
    with pytest.raises(InvalidInputError) as error:
        read_coco(path)
    find_problem(error, field=field, message="lone surrogate")


def test_a_box_within_the_tolerance_is_accepted(tmp_path: Path) -> None:
    doc = coco_doc(annotations=[box_annotation(bbox=[-0.5, 0, 100.9, 80.5])])
    result = read_coco(write_json(tmp_path / "in.json", doc))
    assert result.images[0].objects[0].box == Box(-0.5, 0, 100.9, 80.5)
    error = read_error(tmp_path, doc, limits=Limits(tolerance=0.1))
    find_problem(error, field="annotations[0].bbox", message="inside the 100x80 image")


@pytest.mark.parametrize(
    ("images", "field", "message"),
    [
        (
            [{"id": 1, "file_name": "a.jpg", "width": 9, "height": 9}] * 2,
            "images[1].id",
            "unique id, 1 is also images[0]",
        ),
        (
            [
                {"id": 1, "file_name": "a.jpg", "width": 9, "height": 9},
                {"id": 2, "file_name": "x/a.jpg", "width": 9, "height": 9},
            ],
            "images[1].file_name",
            "unique file name",
        ),
        (
            [{"id": 1, "file_name": "../a.jpg", "width": 9, "height": 9}],
            "images[0].file_name",
            "without '..'",
        ),
        (
            [{"id": 1, "file_name": "/data/a.jpg", "width": 9, "height": 9}],
            "images[0].file_name",
            "absolute path",
        ),
        (
            [{"id": 1, "file_name": "a\x00.jpg", "width": 9, "height": 9}],
            "images[0].file_name",
            "NUL bytes",
        ),
        ([{"id": 1, "width": 9, "height": 9}], "images[0].file_name", "a file name"),
        (
            [{"id": 1, "file_name": "a.jpg", "width": 0, "height": 9}],
            "images[0].width",
            "positive integer",
        ),
        (
            [{"id": 1, "file_name": "a.jpg", "width": 9, "height": "9"}],
            "images[0].height",
            "positive integer",
        ),
        (
            [{"id": 1.5, "file_name": "a.jpg", "width": 9, "height": 9}],
            "images[0].id",
            "integer or string id",
        ),
    ],
)
def test_bad_images(tmp_path: Path, images: Any, field: str, message: str) -> None:
    error = read_error(tmp_path, coco_doc(images=images))
    find_problem(error, file="instances.json", field=field, message=message)


@pytest.mark.parametrize(
    ("categories", "field", "message"),
    [
        ([{"id": 1, "name": "a"}, {"id": 1, "name": "b"}], "categories[1].id", "unique id"),
        ([{"id": 1, "name": "a"}, {"id": 2, "name": "a"}], "categories[1].name", "unique name"),
        ([{"id": "1", "name": "a"}], "categories[0].id", "integer id"),
        ([{"id": 1, "name": ""}], "categories[0].name", "non-empty label name"),
    ],
)
def test_bad_categories(tmp_path: Path, categories: Any, field: str, message: str) -> None:
    error = read_error(tmp_path, coco_doc(categories=categories))
    find_problem(error, file="instances.json", field=field, message=message)


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    doc = coco_doc(
        annotations=[
            box_annotation(image_id=7),
            box_annotation(id=2, category_id=5),
            box_annotation(id=3, bbox=[0, 0, -1, -1]),
        ],
        images=[
            {"id": 1, "file_name": "a.jpg", "width": 100, "height": 80},
            {"id": 1, "file_name": "b.jpg", "width": 100, "height": 80},
        ],
    )
    error = read_error(tmp_path, doc)
    fields = [detail["field"] for detail in error.value.details]
    assert fields == [
        "images[1].id",
        "annotations[0].image_id",
        "annotations[1].category_id",
        "annotations[2].bbox",
    ]
    assert "4 problems" in error.value.message


def test_problems_are_capped(tmp_path: Path) -> None:
    doc = coco_doc(annotations=[box_annotation(image_id=99, id=i) for i in range(10)])
    error = read_error(tmp_path, doc, limits=Limits(max_problems=3))
    details = error.value.details
    assert len(details) == 4
    assert details[-1]["message"] == "... and 7 more problems"
    assert "10 problems" in error.value.message


def test_files_over_the_size_limit_are_refused(tmp_path: Path) -> None:
    path = write_json(tmp_path / "instances.json", coco_doc())
    with pytest.raises(PayloadTooLargeError) as error:
        read_coco(path, limits=Limits(max_json_bytes=50))
    find_problem(error, file="instances.json", message="at most 50 bytes")


def test_deep_nesting_is_refused(tmp_path: Path) -> None:
    nested: Any = "leaf"
    for _ in range(40):
        nested = {"child": nested}
    doc = coco_doc(annotations=[box_annotation(attributes=nested)])
    error = read_error(tmp_path, doc)
    detail = find_problem(error, message="nested at most 32 levels deep")
    assert detail["field"].startswith("annotations[0].attributes.child.child")
    path = tmp_path / "bomb.json"
    path.write_text('{"images": ' + "[" * 200_000 + "]" * 200_000 + "}")
    with pytest.raises(InvalidInputError) as error:
        read_coco(path)
    find_problem(error, file="bomb.json", message="nested less deeply")


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError) as error:
        read_coco(tmp_path / "nope.json")
    find_problem(error, file="nope.json", message="expected a readable JSON file")
    (tmp_path / "a-folder").mkdir()
    with pytest.raises(InvalidInputError) as error:
        read_coco(tmp_path / "a-folder")
    find_problem(error, file="a-folder", message="expected annotations/instances_<split>.json")


def test_parse_coco_takes_parsed_data() -> None:
    result = parse_coco(coco_doc(annotations=[box_annotation()]))
    assert result.images[0].objects[0].box == Box(10, 10, 20, 20)
    with pytest.raises(InvalidInputError) as error:
        parse_coco(coco_doc(annotations=[box_annotation(bbox=[1, float("nan"), 2, 3])]), file="x")
    find_problem(error, file="x", field="annotations[0].bbox", message="finite numbers")


# --------------------------------------------------------------------------------------
# Export


def test_round_trip_reproduces_the_file(generated_root: Path, tmp_path: Path) -> None:
    source_path = generated_root / "annotations/instances.json"
    source = json.loads(source_path.read_text())
    written = export(read_coco(source_path), tmp_path / "out")
    assert list(written) == ["info", "licenses", "images", "annotations", "categories"]
    assert written["info"] == source["info"]
    assert written["licenses"] == source["licenses"]
    assert written["images"] == source["images"]
    assert written["categories"] == sorted(source["categories"], key=lambda c: c["id"])
    assert len(written["annotations"]) == len(source["annotations"])
    for mine, theirs in zip(written["annotations"], source["annotations"], strict=True):
        assert mine == theirs


def test_round_trip_of_masks_and_rings(tmp_path: Path) -> None:
    array = np.zeros((80, 100), dtype=np.uint8)
    array[10:30, 20:45] = 1
    array[50:60, 70:90] = 1
    flat = [int(v) for v in array.flatten(order="F")]
    doc = coco_doc(
        annotations=[
            box_annotation(segmentation=[[1, 1, 9, 1, 9, 9], [20, 20, 30, 20, 30, 30]], area=1.0),
            box_annotation(2, 3, id=2, segmentation=rle_of(array), iscrowd=1, bbox=None, area=None),
            box_annotation(2, 3, id=3, segmentation={"size": [80, 100], "counts": _runs(flat)}),
        ]
    )
    source = write_json(tmp_path / "in.json", doc)
    first = read_coco(source)
    written = export(first, tmp_path / "out")
    rings, compressed, uncompressed = written["annotations"]
    assert rings["segmentation"] == doc["annotations"][0]["segmentation"]
    assert compressed["segmentation"] == rle_of(array)
    assert compressed["iscrowd"] == 1
    assert uncompressed["segmentation"] == {"size": [80, 100], "counts": _runs(flat)}
    encoded = mask_utils.encode(np.asfortranarray(array))
    assert compressed["area"] == int(mask_utils.area(encoded))
    assert compressed["bbox"] == [float(v) for v in mask_utils.toBbox(encoded)]
    # a second round trip changes nothing: bbox and area are now in the file
    second = read_coco(tmp_path / "out/annotations/instances_default.json")
    assert export(second, tmp_path / "again") == written
    assert [obj.mask for obj in second.images[1].objects] == [
        obj.mask for obj in first.images[1].objects
    ]


def test_export_loads_in_pycocotools(generated_root: Path, tmp_path: Path) -> None:
    array = np.zeros((80, 100), dtype=np.uint8)
    array[10:30, 20:45] = 1
    doc = coco_doc(
        annotations=[
            box_annotation(segmentation=[[10, 10, 40, 10, 40, 30, 10, 30]], bbox=None, area=None),
            box_annotation(2, 3, id=2, segmentation=rle_of(array), iscrowd=1, bbox=None),
            box_annotation(2, 1, id=3, bbox=[5.5, 6.5, 10.25, 3]),
        ]
    )
    result = read_coco(write_json(tmp_path / "in.json", doc))
    export(result, tmp_path / "out")
    coco = load_coco(tmp_path / "out/annotations/instances_default.json")
    assert [c["name"] for c in coco.loadCats(coco.getCatIds())] == ["cat", "dog"]
    polygon, mask, box = coco.loadAnns(coco.getAnnIds())
    assert polygon["bbox"] == [10, 10, 30, 20]
    assert polygon["area"] == 600
    # (pycocotools' decode warns under numpy 2, so masks are compared encoded)
    assert int(mask_utils.area(coco.annToRLE(polygon))) == 600
    expected = mask_utils.encode(np.asfortranarray(array))
    assert coco.annToRLE(mask)["counts"] == expected["counts"].decode("ascii")
    assert int(mask_utils.area(coco.annToRLE(mask))) == int(array.sum())
    assert box["bbox"] == [5.5, 6.5, 10.25, 3]
    generated = read_coco(generated_root / "annotations/instances.json")
    export(generated, tmp_path / "gen")
    coco = load_coco(tmp_path / "gen/annotations/instances_default.json")
    expected = [obj.box for image in generated.images for obj in image.objects]
    loaded = [Box(*ann["bbox"]) for ann in coco.loadAnns(sorted(coco.getAnnIds()))]
    assert loaded == expected
    assert len(coco.getImgIds()) == len(generated.images)


def test_an_empty_export_is_a_valid_file(tmp_path: Path) -> None:
    labels = [LabelSpec("a", "rectangle")]
    written = export(Annotations(labels=labels, images=[]), tmp_path / "out")
    assert written == {
        "info": {"description": "exported by pixlake"},
        "licenses": [],
        "images": [],
        "annotations": [],
        "categories": [{"id": 1, "name": "a", "supercategory": ""}],
    }
    assert load_coco(tmp_path / "out/annotations/instances_default.json").getCatIds() == [1]


def test_category_ids_are_stable(tmp_path: Path) -> None:
    labels = [LabelSpec("b", "rectangle"), LabelSpec("a", "rectangle")]
    image = AnnotatedImage(
        file_name="x.jpg",
        width=10,
        height=10,
        objects=(Obj(label="a", kind="rectangle", box=Box(1, 1, 2, 2)),),
    )
    plain = export(Annotations(labels=labels, images=[image]), tmp_path / "plain")
    assert plain["categories"] == [
        {"id": 1, "name": "b", "supercategory": ""},
        {"id": 2, "name": "a", "supercategory": ""},
    ]
    assert plain["annotations"][0]["category_id"] == 2
    info = {"coco": {"categories": [{"id": 17, "name": "a", "supercategory": "letters"}]}}
    mixed = export(Annotations(labels=labels, images=[image], info=info), tmp_path / "mixed")
    assert mixed["categories"] == [
        {"id": 18, "name": "b", "supercategory": ""},
        {"id": 17, "name": "a", "supercategory": "letters"},
    ]
    assert mixed["annotations"][0]["category_id"] == 17


def test_exporter_checks_labels_and_state(tmp_path: Path) -> None:
    sink = FolderSink(tmp_path / "out")
    with pytest.raises(InvalidInputError) as error:
        CocoExporter(sink, [LabelSpec("a", "rectangle"), LabelSpec("a", "polygon")])
    find_problem(error, field="labels[1].name", message="unique label names")
    exporter = CocoExporter(sink, [LabelSpec("a", "rectangle")])
    image = AnnotatedImage(
        file_name="x.jpg",
        width=10,
        height=10,
        objects=(Obj(label="zebra", kind="rectangle", box=Box(1, 1, 2, 2)),),
    )
    with pytest.raises(InvalidInputError) as error:
        exporter.write(image)
    find_problem(error, file="x.jpg", field="objects[0].label", message="export's labels")
    exporter.close()
    with pytest.raises(ValueError, match="closed"):
        exporter.write(image)


def test_write_compact_checks_labels_and_state(tmp_path: Path) -> None:
    exporter = CocoExporter(FolderSink(tmp_path / "out"), [LabelSpec("a", "rectangle")])
    image = AnnotatedImage(file_name="x.jpg", width=10, height=10)
    with pytest.raises(InvalidInputError) as error:
        exporter.write_compact(image, [("rectangle", "a", {"box": [1, 1, 2, 2]}), *ZEBRA])
    find_problem(error, file="x.jpg", field="objects[1].label", message="export's labels")
    exporter.close()
    with pytest.raises(ValueError, match="closed"):
        exporter.write_compact(image, [])


ZEBRA = [("rectangle", "zebra", {"box": [1, 1, 2, 2]})]


def coco_text(root: Path, images: list[tuple[AnnotatedImage, list[Any]]], compact: bool) -> bytes:
    with FolderSink(root) as sink, CocoExporter(sink, STORED_LABELS) as exporter:
        for image, objects in images:
            if compact:
                exporter.write_compact(image, objects)
            else:
                exporter.write(
                    dataclasses.replace(image, objects=tuple(from_compact(*o) for o in objects))
                )
    return (root / "annotations/instances_default.json").read_bytes()


@pytest.mark.parametrize("stored", STORED, ids=lambda o: f"{o[0]}-{'-'.join(o[2])}")
def test_write_compact_writes_what_write_writes(tmp_path: Path, stored: Any) -> None:
    image = AnnotatedImage(file_name="a.jpg", width=20, height=20, extra={"license": 3})
    images = [(image, [stored, stored]), (dataclasses.replace(image, file_name="b.jpg"), [])]
    text = coco_text(tmp_path / "compact", images, compact=True)
    assert text == coco_text(tmp_path / "rebuilt", images, compact=False)
    assert len(json.loads(text)["annotations"]) == 2


def test_write_compact_of_a_generated_dataset(generated_root: Path, tmp_path: Path) -> None:
    coco = read_coco(generated_root / "annotations/instances.json")
    with FolderSink(tmp_path / "compact") as sink, CocoExporter(sink, coco.labels) as exporter:
        for image in coco.images:
            exporter.write_compact(dataclasses.replace(image, objects=()), stored_objects(image))
    export(Annotations(labels=coco.labels, images=coco.images), tmp_path / "rebuilt")
    path = "annotations/instances_default.json"
    assert (tmp_path / "compact" / path).read_bytes() == (tmp_path / "rebuilt" / path).read_bytes()


def test_a_failed_export_writes_no_annotation_file(tmp_path: Path) -> None:
    labels = [LabelSpec("a", "rectangle")]
    with pytest.raises(RuntimeError), FolderSink(tmp_path / "out") as sink:
        with CocoExporter(sink, labels) as exporter:
            exporter.write(AnnotatedImage(file_name="x.jpg", width=10, height=10))
            raise RuntimeError("database went away")
    assert not (tmp_path / "out/annotations/instances_default.json").exists()


def test_export_into_a_zip_with_images(generated_root: Path, tmp_path: Path) -> None:
    result = read_coco(generated_root / "annotations/instances.json")
    path = tmp_path / "export.zip"
    with ZipSink(path) as sink:
        with CocoExporter(sink, result.labels, info=result.info) as exporter:
            for image in result.images:
                source = generated_root / "images" / image.file_name
                sink.write_bytes(exporter.image_path(image.file_name), source.read_bytes())
                exporter.write(image)
    import zipfile

    with zipfile.ZipFile(path) as archive:
        names = set(archive.namelist())
        archive.extractall(tmp_path / "unzipped")
    assert names == {"annotations/instances_default.json"} | {
        f"images/{image.file_name}" for image in result.images
    }
    again = read_coco(tmp_path / "unzipped/annotations/instances_default.json")
    assert again.images == result.images


def test_export_memory_does_not_grow_with_the_dataset(tmp_path: Path) -> None:
    labels = [LabelSpec("a", "polygon")]
    ring = tuple((float(i), float(i % 7)) for i in range(12))

    def images(count: int) -> Iterator[AnnotatedImage]:
        for index in range(count):
            objects = tuple(
                Obj(label="a", kind="polygon", polygons=(ring,), box=Box(0, 0, 11, 6))
                for _ in range(10)
            )
            yield AnnotatedImage(file_name=f"{index}.jpg", width=20, height=20, objects=objects)

    def peak(count: int) -> int:
        sink = FolderSink(tmp_path / f"out{count}")
        tracemalloc.start()
        try:
            with CocoExporter(sink, labels) as exporter:
                for image in images(count):
                    exporter.write(image)
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    # 1k then 15k annotations; holding 15k annotations would take about 9 MB
    small, large = peak(100), peak(1500)
    assert large < small + 256 * 1024, (small, large)
    assert large < 1024 * 1024
    written = json.loads((tmp_path / "out1500/annotations/instances_default.json").read_text())
    assert len(written["annotations"]) == 15_000
    assert written["annotations"][-1]["id"] == 15_000


# --------------------------------------------------------------------------------------
# Splits: instances_<split>.json files, COCO folders


def split_folder(root: Path) -> Path:
    """A COCO folder as Datumaro and CVAT write it: a file and an images folder per split."""
    train = coco_doc(annotations=[box_annotation()])
    val = coco_doc(
        images=[{"id": 1, "file_name": "v.jpg", "width": 100, "height": 80}],
        annotations=[box_annotation(1, 3, segmentation=[[10, 10, 30, 10, 20, 30]])],
        categories=[{"id": 3, "name": "dog"}, {"id": 5, "name": "Traffic Light"}],
    )
    write_json(root / "annotations/instances_train.json", train)
    write_json(root / "annotations/instances_val.json", val)
    for name, split in (("a.jpg", "train"), ("b.jpg", "train"), ("v.jpg", "val")):
        (root / "images" / split).mkdir(parents=True, exist_ok=True)
        (root / "images" / split / name).write_bytes(b"")
    return root


def test_a_file_named_for_a_split_gives_its_images_that_split(tmp_path: Path) -> None:
    doc = coco_doc()
    assert {i.split for i in read_coco(write_json(tmp_path / "x.json", doc)).images} == {None}
    path = write_json(tmp_path / "instances_val2017.json", doc)
    assert {i.split for i in read_coco(path).images} == {"val2017"}
    assert {i.split for i in read_coco(path, spool=True).images} == {"val2017"}
    path = write_json(tmp_path / "instances_default.json", doc)
    assert {i.split for i in read_coco(path).images} == {None}
    path = write_json(tmp_path / "instances_a b.json", doc)  # no split can be named so
    assert {i.split for i in read_coco(path).images} == {None}


@pytest.mark.parametrize("spool", [False, True], ids=["whole", "spooled"])
def test_a_folder_is_read_file_by_file(tmp_path: Path, spool: bool) -> None:
    root = split_folder(tmp_path / "coco")
    result = read_coco(root, spool=spool)
    assert [(i.file_name, i.split, i.path) for i in result.images] == [
        ("a.jpg", "train", "images/train/a.jpg"),
        ("b.jpg", "train", "images/train/b.jpg"),
        ("v.jpg", "val", "images/val/v.jpg"),
    ]
    assert result.labels == [
        LabelSpec("cat", "rectangle"),
        LabelSpec("dog", "polygon"),
        LabelSpec("Traffic Light", "polygon"),  # the kind of the file's first object
    ]
    assert [len(i.objects) for i in result.images] == [1, 0, 1]
    names = [c["name"] for c in result.info["coco"]["categories"]]
    assert names == ["cat", "dog", "Traffic Light"]
    # the annotations folder, or paths from the images folder, work too
    assert len(read_coco(root / "annotations", spool=spool).images) == 3
    paths = [i.path for i in read_coco(root, images=root / "images", spool=spool).images]
    assert paths == ["train/a.jpg", "train/b.jpg", "val/v.jpg"]


@pytest.mark.parametrize("spool", [False, True], ids=["whole", "spooled"])
def test_an_image_in_two_files_of_a_folder_is_refused(tmp_path: Path, spool: bool) -> None:
    root = split_folder(tmp_path / "coco")
    write_json(root / "annotations/instances_test.json", coco_doc())
    with pytest.raises(InvalidInputError) as error:
        read_coco(root, spool=spool)
    find_problem(error, file="instances_train.json", message="'a.jpg' is also in instances_test")


def test_each_split_is_exported_to_its_own_file(tmp_path: Path) -> None:
    root = split_folder(tmp_path / "coco")
    first = read_coco(root)
    splits = {i.split for i in first.images} | {None}
    unsplit = AnnotatedImage(file_name="u.jpg", width=10, height=10)
    with (
        FolderSink(tmp_path / "out") as sink,
        CocoExporter(sink, first.labels, info=first.info, splits=splits) as exporter,
    ):
        for image in [*first.images, unsplit]:
            exporter.write(image)
        paths = [exporter.image_path(i.file_name, i.split) for i in [*first.images, unsplit]]
    assert paths == [
        "images/train/a.jpg",
        "images/train/b.jpg",
        "images/val/v.jpg",
        "images/default/u.jpg",  # beside splits, the images without one are 'default'
    ]
    files = sorted(p.name for p in (tmp_path / "out/annotations").iterdir())
    assert files == ["instances_default.json", "instances_train.json", "instances_val.json"]
    val = json.loads((tmp_path / "out/annotations/instances_val.json").read_text())
    assert [i["file_name"] for i in val["images"]] == ["v.jpg"]
    assert [(a["id"], a["image_id"]) for a in val["annotations"]] == [(1, 1)]  # each file's own
    assert [c["name"] for c in val["categories"]] == ["cat", "dog", "Traffic Light"]
    for name in ("a.jpg", "b.jpg", "v.jpg", "u.jpg"):
        folder = {"v.jpg": "val", "u.jpg": "default"}.get(name, "train")
        (tmp_path / "out/images" / folder).mkdir(parents=True, exist_ok=True)
        (tmp_path / "out/images" / folder / name).write_bytes(b"")
    back = read_coco(tmp_path / "out")
    assert [(i.file_name, i.split) for i in back.images] == [
        ("u.jpg", None),
        ("a.jpg", "train"),
        ("b.jpg", "train"),
        ("v.jpg", "val"),
    ]
    # without splits: one instances_default.json and images/ as before
    flat = Annotations(labels=first.labels, images=[unsplit])
    export(flat, tmp_path / "flat")
    assert sorted(p.name for p in (tmp_path / "flat/annotations").iterdir()) == [
        "instances_default.json"
    ]
