"""Deterministic annotated datasets for tests: images on disk plus a COCO file describing
boxes, polygons (some with several rings) and crowd masks (compressed and uncompressed RLE),
and a YOLO dataset in Ultralytics' layout, with two splits."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import numpy as np
from pycocotools import mask as mask_utils

from tests.conftest import make_image

CATEGORIES = [
    {"id": 1, "name": "person", "supercategory": "human"},
    {"id": 3, "name": "car", "supercategory": "vehicle"},
    {"id": 7, "name": "bus", "supercategory": "vehicle"},
]
WIDTH, HEIGHT = 128, 96


def _polygon(rng: random.Random, x: float, y: float, w: float, h: float) -> list[float]:
    return [x, y, x + w, y + rng.uniform(0, h / 2), x + w * 0.6, y + h, x, y + h * 0.8]


def coco_dataset(root: Path, count: int, *, seed: int = 0, masks: bool = True) -> dict[str, Any]:
    """Write ``count`` images into ``root/images`` and ``root/instances.json``; return the
    COCO document."""
    rng = random.Random(seed)
    images_dir = root / "images"
    images_dir.mkdir(parents=True, exist_ok=True)
    images, annotations = [], []
    for i in range(count):
        file_name = f"im_{seed}_{i:04d}.jpg"
        (images_dir / file_name).write_bytes(make_image(seed * 10_000 + i, (WIDTH, HEIGHT)))
        image_id = 100 + i
        images.append(
            {"id": image_id, "file_name": file_name, "width": WIDTH, "height": HEIGHT, "license": 1}
        )
        for _ in range(rng.randint(1, 3)):
            x, y = rng.uniform(0, 60), rng.uniform(0, 40)
            w, h = rng.uniform(5, 60), rng.uniform(5, 50)
            annotations.append(
                {
                    "image_id": image_id,
                    "category_id": rng.choice([1, 3]),
                    "bbox": [round(x, 2), round(y, 2), round(w, 2), round(h, 2)],
                    "area": round(w * h, 2),
                    "iscrowd": 0,
                    "segmentation": [],
                }
            )
        x, y = rng.uniform(0, 50), rng.uniform(0, 30)
        rings = [_polygon(rng, x, y, 30, 30)]
        if i % 3 == 0:
            rings.append(_polygon(rng, x + 35, y + 10, 20, 20))
        annotations.append(
            {
                "image_id": image_id,
                "category_id": 7,
                "bbox": [x, y, 60.0 if len(rings) > 1 else 30.0, 40.0 if len(rings) > 1 else 30.0],
                "area": 700.0,
                "iscrowd": 0,
                "segmentation": rings,
            }
        )
        if masks and i % 4 == 1:
            binary = np.zeros((HEIGHT, WIDTH), dtype=np.uint8, order="F")
            binary[10:30, 20:50] = 1
            rle = mask_utils.encode(binary)
            counts: Any = rle["counts"].decode()
            if i % 8 == 5:  # uncompressed counts
                flat = binary.flatten(order="F")
                runs, current, length = [], 0, 0
                for value in flat:
                    if value == current:
                        length += 1
                    else:
                        runs.append(length)
                        current, length = int(value), 1
                runs.append(length)
                counts = runs
            annotations.append(
                {
                    "image_id": image_id,
                    "category_id": 1,
                    "bbox": [20.0, 10.0, 30.0, 20.0],
                    "area": 600.0,
                    "iscrowd": 1,
                    "segmentation": {"size": [HEIGHT, WIDTH], "counts": counts},
                }
            )
    for n, annotation in enumerate(annotations, start=1):
        annotation["id"] = n
    document = {
        "info": {"description": "pixlake test set", "version": "1.0"},
        "licenses": [{"id": 1, "name": "CC-BY"}],
        "images": images,
        "annotations": annotations,
        "categories": CATEGORIES,
    }
    (root / "instances.json").write_text(json.dumps(document))
    return document


def ultralytics_dataset(root: Path) -> Path:
    """An Ultralytics dataset: images/{train,val}/, labels/{train,val}/, data.yaml."""
    for split, indices in (("train", range(4)), ("val", range(4, 6))):
        (root / "images" / split).mkdir(parents=True)
        (root / "labels" / split).mkdir(parents=True)
        for index in indices:
            (root / "images" / split / f"u{index}.jpg").write_bytes(make_image(500 + index))
            rows = "0 0.500000 0.500000 0.250000 0.250000\n1 0.200000 0.300000 0.100000 0.200000\n"
            rows = rows if index % 2 else ""
            (root / "labels" / split / f"u{index}.txt").write_text(rows)
    (root / "data.yaml").write_text(
        "train: images/train\nval: images/val\nnames: [car, Bus Stop]\n"
    )
    return root
