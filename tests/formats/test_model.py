"""The neutral model: invariants, masks, annotated images."""

from __future__ import annotations

import pickle
from typing import Any

import numpy as np
import pytest
from pycocotools import mask as mask_utils

from pixlake.formats import AnnotatedImage, Box, LabelSpec, Mask, Obj

from .masks import compressed, random_mask, uncompressed_counts

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


@pytest.mark.parametrize("seed", range(4))
def test_mask_bitmap_is_what_pycocotools_decodes(seed: int) -> None:
    array = random_mask(seed, height=17 + seed, width=29 - seed)
    rle = compressed(array)
    decoded = mask_utils.decode({"size": rle["size"], "counts": rle["counts"].encode()})
    bitmap = Mask(rle["size"][0], rle["size"][1], rle["counts"]).bitmap()
    assert np.array_equal(np.frombuffer(bitmap, np.uint8).reshape(array.shape), decoded)


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
