"""The neutral model: invariants, masks, the wire shape, file names, image sizes."""

from __future__ import annotations

import dataclasses
import json
import pickle
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from pycocotools import mask as mask_utils

from pixlake.errors import InvalidInputError
from pixlake.formats import (
    QA,
    AnnotatedImage,
    Box,
    FolderSink,
    LabelSpec,
    Mask,
    Obj,
    get_exporter,
    read_coco,
    read_image_size,
    safe_file_name,
)
from pixlake.formats._compact import from_compact

from .helpers import STORED, STORED_LABELS, find_problem, stored_objects


def random_mask(seed: int, height: int = 23, width: int = 31) -> np.ndarray[Any, Any]:
    rng = np.random.default_rng(seed)
    array = np.zeros((height, width), dtype=np.uint8)
    y0, x0 = int(rng.integers(0, height - 5)), int(rng.integers(0, width - 5))
    array[y0 : y0 + int(rng.integers(2, 6)), x0 : x0 + int(rng.integers(2, 9))] = 1
    array[rng.random((height, width)) < 0.03] = 1
    return array


def compressed(array: np.ndarray[Any, Any]) -> dict[str, Any]:
    rle = mask_utils.encode(np.asfortranarray(array))
    return {"size": list(rle["size"]), "counts": rle["counts"].decode("ascii")}


def uncompressed_counts(array: np.ndarray[Any, Any]) -> list[int]:
    flat = array.flatten(order="F")
    counts: list[int] = []
    current, run = 0, 0
    for value in flat:
        if value == current:
            run += 1
        else:
            counts.append(run)
            current, run = int(value), 1
    counts.append(run)
    return counts


# --------------------------------------------------------------------------------------
# Box and Obj invariants


def test_box_refuses_negative_and_non_finite_values() -> None:
    with pytest.raises(ValueError, match="negative"):
        Box(0, 0, -1, 5)
    with pytest.raises(ValueError, match="finite"):
        Box(float("nan"), 0, 1, 1)
    with pytest.raises(ValueError, match="finite"):
        Box(0, 0, float("inf"), 1)


def test_box_helpers() -> None:
    box = Box.from_corners(10, 20, 40, 60)
    assert box == Box(10, 20, 30, 40)
    assert (box.right, box.bottom, box.area) == (40, 60, 1200)
    assert Box.enclosing([((5, 6), (9, 1), (7, 8)), ((0, 3), (2, 2), (1, 1))]) == Box(0, 1, 9, 7)
    assert Box(-5, 10, 20, 100).clip(12, 50) == Box(0, 10, 12, 40)


@pytest.mark.parametrize(
    ("kind", "geometry", "message"),
    [
        ("rectangle", {}, "wrong geometry"),
        ("rectangle", {"box": Box(0, 0, 1, 1), "polygons": (((0, 0), (1, 0), (1, 1)),)}, "wrong"),
        ("polygon", {}, "wrong geometry"),
        ("polygon", {"polygons": (((0, 0), (1, 1)),)}, "at least 3 points"),
        ("mask", {}, "wrong geometry"),
        ("classification", {"box": Box(0, 0, 1, 1)}, "wrong geometry"),
        ("circle", {}, "unknown object kind"),
    ],
)
def test_obj_refuses_inconsistent_geometry(kind: Any, geometry: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Obj(label="a", kind=kind, **geometry)


def test_obj_needs_a_label_and_label_kinds() -> None:
    with pytest.raises(ValueError, match="label"):
        Obj(label="", kind="classification")
    mask = Mask(2, 2, (1, 2, 1))
    assert Obj(label="a", kind="mask", mask=mask).label_kind == "polygon"
    assert Obj(label="a", kind="rectangle", box=Box(0, 0, 1, 1)).label_kind == "rectangle"
    with pytest.raises(ValueError, match="label kind"):
        LabelSpec("a", "mask")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="name"):
        LabelSpec("", "polygon")


def test_obj_extent_falls_back_to_polygons_then_mask() -> None:
    ring = ((1.0, 2.0), (5.0, 2.0), (3.0, 9.0))
    assert Obj(label="a", kind="polygon", polygons=(ring,)).extent() == Box(1, 2, 4, 7)
    box = Box(0, 0, 10, 10)
    assert Obj(label="a", kind="polygon", polygons=(ring,), box=box).extent() == box
    mask = Mask(3, 3, (4, 2, 3))  # pixels 4 and 5 (column-major): (x=1, y=1), (x=1, y=2)
    assert Obj(label="a", kind="mask", mask=mask).extent() == Box(1, 1, 1, 2)
    assert Obj(label="a", kind="classification").extent() is None


def test_values_are_frozen_and_picklable() -> None:
    obj = Obj(label="a", kind="rectangle", box=Box(1, 2, 3, 4), extra={"difficult": 1})
    image = AnnotatedImage(file_name="a.jpg", width=5, height=6, objects=(obj,))
    with pytest.raises(AttributeError):
        image.width = 3  # type: ignore[misc]
    assert pickle.loads(pickle.dumps(image)) == image


@pytest.mark.parametrize("name", ["", "../a.jpg", "a/b.jpg", "x\x00.jpg", ".."])
def test_annotated_image_refuses_unsafe_names(name: str) -> None:
    with pytest.raises(ValueError, match="expected"):
        AnnotatedImage(file_name=name, width=1, height=1)


def test_an_annotated_image_path_ends_in_its_name() -> None:
    assert (
        AnnotatedImage(file_name="a.jpg", width=1, height=1, path="x/y/a.jpg").path == "x/y/a.jpg"
    )
    for path in ["a.jpg", "x/b.jpg", "../a.jpg", "/x/a.jpg", "x\\a.jpg", "x//a.jpg"]:
        with pytest.raises(ValueError, match="relative path with folders ending in 'a.jpg'"):
            AnnotatedImage(file_name="a.jpg", width=1, height=1, path=path)


# --------------------------------------------------------------------------------------
# Masks


@pytest.mark.parametrize("seed", range(6))
def test_mask_area_and_bbox_match_pycocotools(seed: int) -> None:
    array = random_mask(seed)
    rle = compressed(array)
    expected_area = int(mask_utils.area(mask_utils.encode(np.asfortranarray(array))))
    expected_box = [
        float(v) for v in mask_utils.toBbox(mask_utils.encode(np.asfortranarray(array)))
    ]
    for mask in (
        Mask(rle["size"][0], rle["size"][1], rle["counts"]),
        Mask(array.shape[0], array.shape[1], tuple(uncompressed_counts(array))),
    ):
        assert mask.area() == expected_area == int(array.sum())
        box = mask.bbox()
        assert [box.x, box.y, box.w, box.h] == expected_box


def test_mask_decodes_the_compressed_string_like_pycocotools() -> None:
    array = random_mask(42, height=40, width=50)
    rle = compressed(array)
    mask = Mask(40, 50, rle["counts"])
    assert mask.runs() == uncompressed_counts(array)
    assert mask.to_coco() == rle


def test_empty_mask_has_an_empty_box() -> None:
    assert Mask(4, 5, (20,)).bbox() == Box(0, 0, 0, 0)
    assert Mask(4, 5, (20,)).area() == 0


@pytest.mark.parametrize(
    ("counts", "message"),
    [
        ((1, 2), "summing to height x width = 6"),
        ((7, -1), "not negative"),
        ("6!", "compressed COCO RLE"),
        ("5", "summing"),  # one run of 5 pixels, not 6
        ("k", "compressed COCO RLE"),  # a continuation character with nothing after it
        ((1.5, 4.5), "list of integers"),
        (None, "string or a list"),
    ],
)
def test_mask_refuses_invalid_encodings(counts: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Mask(2, 3, counts)


# --------------------------------------------------------------------------------------
# The wire shape


def sample_objects() -> list[Obj]:
    ring = ((1.0, 2.0), (10.5, 2.0), (10.5, 9.25), (1.0, 9.0))
    second = ((20.0, 20.0), (25.0, 20.0), (22.0, 30.0))
    array = random_mask(3)
    rle = compressed(array)
    return [
        Obj(label="cat", kind="classification", qa=(QA("color?", "black"),)),
        Obj(label="car", kind="rectangle", box=Box(20, 10, 50, 30), score=0.75),
        Obj(label="car", kind="polygon", polygons=(ring,)),
        Obj(
            label="car",
            kind="polygon",
            polygons=(ring, second),
            box=Box(1, 2, 24, 28),
            area=123.5,
            extra={"attributes": {"occluded": True}},
        ),
        Obj(label="crowd", kind="mask", mask=Mask(23, 31, rle["counts"]), iscrowd=True),
        Obj(
            label="crowd",
            kind="mask",
            mask=Mask(23, 31, tuple(uncompressed_counts(array))),
            box=Box(0, 0, 31, 23),
        ),
    ]


@pytest.mark.parametrize("obj", sample_objects(), ids=lambda obj: obj.kind)
def test_wire_round_trip_is_lossless(obj: Obj) -> None:
    wire = json.loads(json.dumps(obj.to_wire()))  # through JSON, as over HTTP
    assert Obj.from_wire(wire) == obj


def test_wire_shapes_follow_the_contract() -> None:
    rectangle, polygon = sample_objects()[1], sample_objects()[3]
    assert rectangle.to_wire() == {
        "type": "rectangle",
        "label": "car",
        "rectangle": {"top": 10, "left": 20, "width": 50, "height": 30},
        "qa": [],
        "score": 0.75,
    }
    wire = polygon.to_wire()
    assert wire["polygon"]["geometry"][0] == {"x": 1.0, "y": 2.0}
    assert len(wire["polygon"]["geometry"]) == 4
    assert wire["polygon"]["parts"] == [
        [{"x": 20, "y": 20}, {"x": 25, "y": 20}, {"x": 22, "y": 30}]
    ]
    mask = sample_objects()[4].to_wire()
    assert mask["mask"]["size"] == [23, 31]
    assert isinstance(mask["mask"]["counts"], str)
    assert mask["iscrowd"] is True
    assert sample_objects()[0].to_wire() == {
        "type": "classification",
        "label": "cat",
        "qa": [{"question": "color?", "answer": "black"}],
    }


def test_from_wire_reads_the_contract_examples() -> None:
    obj = Obj.from_wire(
        {
            "type": "rectangle",
            "label": "car",
            "rectangle": {"top": 10, "left": 20, "width": 50, "height": 30},
        }
    )
    assert obj.box == Box(20, 10, 50, 30)
    geometry = [{"x": 1, "y": 1}, {"x": 5, "y": 1}, {"x": 3, "y": 4}]
    voc_style = {"type": "polygon", "label": "car", "polygon": {"geometry": geometry}}
    obj = Obj.from_wire({**voc_style, "rectangle": []})
    assert obj.polygons == (((1, 1), (5, 1), (3, 4)),)
    assert obj.box is None
    tool = Obj.from_wire({**voc_style, "id": 7, "color": "#ff0000"})
    assert tool.extra == {"id": 7, "color": "#ff0000"}


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ([], "data[0]", "expected an object"),
        ({"label": "car"}, "data[0].type", "expected a type among"),
        ({"type": "rectangle", "label": ""}, "data[0].label", "non-empty string"),
        ({"type": "rectangle", "label": "a"}, "data[0].rectangle", "{top, left, width, height}"),
        (
            {"type": "rectangle", "label": "a", "rectangle": {"top": 1, "left": 1, "height": 2}},
            "data[0].rectangle.width",
            "expected a number",
        ),
        (
            {
                "type": "rectangle",
                "label": "a",
                "rectangle": {"top": 1, "left": 1, "width": -2, "height": 2},
            },
            "data[0].rectangle.width",
            ">= 0",
        ),
        (
            {"type": "polygon", "label": "a", "polygon": {"geometry": [{"x": 1, "y": 1}] * 2}},
            "data[0].polygon.geometry",
            "at least 3 points",
        ),
        (
            {"type": "polygon", "label": "a", "polygon": {"geometry": [{"x": "1", "y": 1}] * 3}},
            "data[0].polygon.geometry[0]",
            "expected numbers x and y",
        ),
        (
            {"type": "mask", "label": "a", "mask": {"size": [2, 2], "counts": [1, 2]}},
            "data[0].mask",
            "summing to height x width = 4",
        ),
        (
            {"type": "classification", "label": "a", "qa": [{"question": "q"}]},
            "data[0].qa[0]",
            "{question: string, answer: string}",
        ),
        (
            {"type": "classification", "label": "a", "rectangle": {}},
            "data[0]",
            "no geometry on a classification",
        ),
        (
            {"type": "classification", "label": "a", "iscrowd": 1},
            "data[0].iscrowd",
            "true or false",
        ),
    ],
)
def test_from_wire_names_each_problem(data: Any, field: str, message: str) -> None:
    with pytest.raises(InvalidInputError) as error:
        Obj.from_wire(data, field="data[0]")
    find_problem(error, field=field, message=message)


# --------------------------------------------------------------------------------------
# File names and image sizes


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "non-empty"),
        ("..", "expected a file name"),
        ("../etc/passwd", "without '..'"),
        ("/etc/passwd", "absolute"),
        ("\\\\server\\share.jpg", "absolute"),
        ("C:\\images\\a.jpg", "absolute"),
        ("images/a.jpg", "without folders"),
        ("images\\a.jpg", "without folders"),
        ("a\x00.jpg", "NUL"),
        ("a" * 256, "255 bytes"),
        ("caf\udce9.jpg", "lone surrogate"),  # JSON's "\udce9", or Latin-1 bytes on disk
    ],
)
def test_safe_file_name_refuses(name: str, message: str) -> None:
    with pytest.raises(InvalidInputError) as error:
        safe_file_name(name, where="images[3].file_name")
    find_problem(error, field="images[3].file_name", message=message)


def test_safe_file_name_accepts_plain_names() -> None:
    for name in ("a.jpg", "IMG 0001.JPG", "été.png", ".hidden.jpg", "a..b.jpg"):
        assert safe_file_name(name, where="x") == name


def test_read_image_size_reads_the_header(generated_root: Path, tmp_path: Path) -> None:
    from PIL import Image

    path = generated_root / "images" / "000000000001.jpg"
    with Image.open(path) as image:
        expected = image.size
    assert read_image_size(path) == expected
    junk = tmp_path / "junk.jpg"
    junk.write_bytes(b"not an image")
    with pytest.raises(InvalidInputError) as error:
        read_image_size(junk)
    find_problem(error, file="junk.jpg", message="expected a readable image")


@pytest.mark.parametrize("name", ["YOLO", "PASCAL-VOC"])
def test_write_compact_writes_what_write_writes(
    generated_root: Path, tmp_path: Path, name: str
) -> None:
    """The exporters without a way of their own rebuild the stored objects and write them."""
    coco = read_coco(generated_root / "annotations/instances.json")
    for way in ("compact", "rebuilt"):
        with FolderSink(tmp_path / way) as sink, get_exporter(name)(sink, coco.labels) as exporter:
            for image in coco.images:
                if way == "rebuilt":
                    exporter.write(image)
                    continue
                exporter.write_compact(
                    dataclasses.replace(image, objects=()), stored_objects(image)
                )
    written = {
        way: {
            path.relative_to(tmp_path / way): path.read_bytes()
            for path in (tmp_path / way).rglob("*")
            if path.is_file()
        }
        for way in ("compact", "rebuilt")
    }
    assert len(written["compact"]) >= len(coco.images)  # an annotation file per image
    assert written["compact"] == written["rebuilt"]


@pytest.mark.parametrize("mode", ["detect", "segment", None], ids=["yolo", "yolo-segment", "voc"])
@pytest.mark.parametrize("stored", STORED, ids=lambda o: f"{o[0]}-{'-'.join(o[2])}")
def test_write_compact_of_every_kind_of_stored_object(
    tmp_path: Path, stored: Any, mode: str | None
) -> None:
    """YOLO and PASCAL-VOC write stored objects as they stand; what they write is what
    rebuilding them and writing those gives."""
    image = AnnotatedImage(file_name="a.jpg", width=20, height=20, extra={"license": 3})
    written = {}
    for way in ("compact", "rebuilt"):
        options: dict[str, Any] = {} if mode is None else {"mode": mode}
        name = "PASCAL-VOC" if mode is None else "YOLO"
        root = tmp_path / way
        with FolderSink(root) as sink, get_exporter(name)(sink, STORED_LABELS, **options) as e:
            if way == "compact":
                e.write_compact(image, [stored, stored])
            else:
                objects = tuple(from_compact(*stored) for _ in range(2))
                e.write(dataclasses.replace(image, objects=objects))
        written[way] = {p.relative_to(root): p.read_bytes() for p in root.rglob("*") if p.is_file()}
    assert written["compact"] == written["rebuilt"]
