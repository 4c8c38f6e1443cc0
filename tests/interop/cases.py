"""The hard cases every tool is checked on, written as the files a user would give pixlake.

Class names with spaces, capitals, accents, CJK, an emoji and ``# % & '``; a class with no
objects; image names with the same characters; an image with no objects; boxes with
fractional corners and boxes on the image's border; a polygon, a polygon of two rings, a
mask with a hole (compressed RLE, as pycocotools encodes it) and a crowd region (run
lengths, as COCO keeps crowds).  Two splits, ``train`` and ``val``.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image
from pycocotools import mask as mask_utils

from tests.interop.tools.common import View, add_image, new_view, obj

CLASSES = [
    "Traffic Light",
    "café crème",
    "猫",
    "🚗 car",
    "a#b%c&d'e",
    "person",
    "crowd",
    "empty class",  # no object has it
]


@dataclass(frozen=True)
class Spec:
    """One object of the cases: a box, polygon rings, or a mask (a boolean array)."""

    label: str
    box: tuple[float, float, float, float] | None = None
    rings: tuple[tuple[float, ...], ...] = ()
    mask: np.ndarray[Any, Any] | None = field(default=None, compare=False)
    crowd: bool = False


def _donut(height: int, width: int) -> np.ndarray[Any, Any]:
    """A square with a square hole: a mask no single polygon holds."""
    array = np.zeros((height, width), dtype=bool)
    array[10:30, 20:44] = True
    array[16:24, 28:36] = False
    return array


def _blob(height: int, width: int) -> np.ndarray[Any, Any]:
    array = np.zeros((height, width), dtype=bool)
    array[5:25, 30:55] = True
    array[30:50, 5:20] = True
    return array


#: file name: (width, height, split, objects)
IMAGES: dict[str, tuple[int, int, str, list[Spec]]] = {
    "plain.jpg": (
        64,
        48,
        "train",
        [
            Spec("Traffic Light", box=(4.5, 6.25, 20.0, 15.5)),  # fractional corners
            Spec("a#b%c&d'e", box=(40.0, 30.0, 24.0, 18.0)),  # on the right and bottom border
        ],
    ),
    "café #1.jpg": (
        50,
        40,
        "train",
        [
            Spec("café crème", box=(1.0, 1.0, 9.0, 9.0)),
            Spec("person", rings=((10, 5, 30, 8, 25, 30, 8, 20),)),
        ],
    ),
    "猫 & dog's.png": (
        80,
        60,
        "train",
        [
            Spec("猫", box=(0.0, 0.0, 80.0, 60.0)),  # the whole image
            Spec("person", rings=((5, 5, 20, 5, 20, 20, 5, 20), (40, 30, 60, 30, 50, 50))),
        ],
    ),
    "100% 🚗.jpg": (
        70,
        50,
        "val",
        [
            Spec("🚗 car", box=(10.25, 20.75, 30.5, 10.125)),
            Spec("person", mask=_donut(50, 70)),
        ],
    ),
    "crowd.jpg": (
        60,
        60,
        "val",
        [
            Spec("crowd", mask=_blob(60, 60), crowd=True),
            Spec("Traffic Light", box=(2.0, 52.5, 10.0, 7.5)),  # on the bottom border
        ],
    ),
    "empty.jpg": (40, 30, "val", []),  # no objects
}


def _ring_area(flat: tuple[float, ...]) -> float:
    xs, ys = flat[0::2], flat[1::2]
    count = len(xs)
    return (
        abs(sum(xs[i] * ys[(i + 1) % count] - xs[(i + 1) % count] * ys[i] for i in range(count)))
        / 2
    )


def _extent(spec: Spec) -> tuple[float, float, float, float]:
    if spec.box is not None:
        return spec.box
    if spec.rings:
        xs = [v for ring in spec.rings for v in ring[0::2]]
        ys = [v for ring in spec.rings for v in ring[1::2]]
        return (min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys))
    assert spec.mask is not None
    rows, cols = np.nonzero(spec.mask)
    x0, y0 = int(cols.min()), int(rows.min())
    return (float(x0), float(y0), float(cols.max() + 1 - x0), float(rows.max() + 1 - y0))


def _segmentation(spec: Spec) -> tuple[Any, float]:
    """COCO's segmentation and area for an object."""
    if spec.rings:
        return [list(map(float, ring)) for ring in spec.rings], sum(map(_ring_area, spec.rings))
    if spec.mask is not None:
        fortran = np.asfortranarray(spec.mask.astype(np.uint8))
        rle = mask_utils.encode(fortran)
        area = float(mask_utils.area(rle))
        if spec.crowd:  # COCO keeps crowds as run lengths
            flat = spec.mask.flatten(order="F")
            runs, current, length = [], False, 0
            for value in flat:
                if bool(value) == current:
                    length += 1
                else:
                    runs.append(length)
                    current, length = bool(value), 1
            runs.append(length)
            return {"size": [int(v) for v in rle["size"]], "counts": runs}, area
        return {"size": [int(v) for v in rle["size"]], "counts": rle["counts"].decode()}, area
    assert spec.box is not None
    return [], spec.box[2] * spec.box[3]


def coco_document(names: list[str] | None = None) -> dict[str, Any]:
    """The cases (or the images ``names`` of them) as one COCO document."""
    chosen = [name for name in IMAGES if names is None or name in names]
    images: list[dict[str, Any]] = []
    annotations: list[dict[str, Any]] = []
    for image_id, name in enumerate(chosen, start=1):
        width, height, _split, specs = IMAGES[name]
        images.append({"id": image_id, "file_name": name, "width": width, "height": height})
        for spec in specs:
            segmentation, area = _segmentation(spec)
            annotations.append(
                {
                    "id": len(annotations) + 1,
                    "image_id": image_id,
                    "category_id": CLASSES.index(spec.label) + 1,
                    "bbox": list(_extent(spec)),
                    "area": area,
                    "segmentation": segmentation,
                    "iscrowd": int(spec.crowd),
                }
            )
    categories = [{"id": i, "name": c, "supercategory": ""} for i, c in enumerate(CLASSES, 1)]
    return {
        "info": {"description": "pixlake's hard cases"},
        "licenses": [],
        "images": images,
        "annotations": annotations,
        "categories": categories,
    }


def write_images(folder: Path, names: list[str] | None = None) -> None:
    rng = np.random.default_rng(7)
    folder.mkdir(parents=True, exist_ok=True)
    for name, (width, height, _split, _specs) in IMAGES.items():
        if names is None or name in names:
            pixels = rng.integers(0, 255, size=(height, width, 3), dtype=np.uint8)
            Image.fromarray(pixels).save(folder / name)


@dataclass(frozen=True)
class Cases:
    """The cases on disk: ``coco`` (``images/`` and ``instances.json``, no split) and
    ``split_coco`` (a COCO folder: ``annotations/instances_{train,val}.json`` and
    ``images/{train,val}/``), and the view any reader should make of them."""

    coco: Path
    split_coco: Path

    @property
    def images(self) -> Path:
        return self.coco / "images"

    @property
    def instances(self) -> Path:
        return self.coco / "instances.json"

    def image(self, name: str) -> Path:
        return self.images / name


def write_cases(root: Path) -> Cases:
    coco = root / "coco"
    write_images(coco / "images")
    (coco / "instances.json").write_text(json.dumps(coco_document()), encoding="utf-8")
    split = root / "split-coco"
    for part in ("train", "val"):
        names = [name for name, image in IMAGES.items() if image[2] == part]
        (split / "images" / part).mkdir(parents=True)
        for name in names:
            shutil.copy(coco / "images" / name, split / "images" / part / name)
        path = split / "annotations" / f"instances_{part}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(coco_document(names)), encoding="utf-8")
    return Cases(coco=coco, split_coco=split)


def expected_view(*, splits: bool = False, crowd: bool = True, empty_class: bool = True) -> View:
    """The view of the cases: every object, as its box (and rings when it has some)."""
    classes = [c for c in CLASSES if empty_class or c != "empty class"]
    view = new_view(classes)
    for name, (width, height, split, specs) in IMAGES.items():
        objects = add_image(view, name, width, height, split if splits else None)
        for spec in specs:
            if spec.crowd and not crowd:
                continue
            rings = [list(ring) for ring in spec.rings] or None
            objects.append(obj(spec.label, _extent(spec), rings, spec.crowd))
    return view
