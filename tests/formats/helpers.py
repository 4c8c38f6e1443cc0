"""Assertions and builders shared by the format tests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from pixlake.errors import PicselliaError
from pixlake.formats import AnnotatedImage, CompactObject, LabelSpec, to_compact


def stored_objects(image: AnnotatedImage) -> list[CompactObject]:
    """The image's objects as pixlake stores them: ``(kind, label, data)``."""
    stored = [to_compact(obj) for obj in image.objects]
    return [(data.pop("type"), data.pop("label"), data) for data in stored]


def write_json(path: Path, data: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


#: Keys of other tools, in an order no sorting or hashing gives (readers must keep it).
FOREIGN_KEYS = {"zeta": 1, "alpha": 2, "mid": 3, "beta": 4, "omega": 5, "delta": 6}


def find_problem(
    error: pytest.ExceptionInfo[PicselliaError] | PicselliaError,
    *,
    message: str,
    **where: Any,
) -> dict[str, Any]:
    """The detail whose ``message`` contains ``message`` and whose keys equal ``where``.

    Fails listing every detail when there is none, so a wrong path or file is easy to see.
    """
    exc = error.value if isinstance(error, pytest.ExceptionInfo) else error
    for detail in exc.details:
        assert set(detail) >= {"file", "line", "field", "message"}, detail
        if message in detail["message"] and all(detail.get(k) == v for k, v in where.items()):
            return detail
    pytest.fail(f"no detail with {where} and message {message!r} in:\n{exc.details}")


def coco_doc(
    *,
    annotations: list[dict[str, Any]] | None = None,
    images: list[dict[str, Any]] | None = None,
    categories: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """A small valid COCO document (two 100x80 images, categories 1 'cat' and 3 'dog')."""
    return {
        "info": {"description": "test"},
        "licenses": [{"id": 1, "name": "CC0", "url": ""}],
        "images": images
        if images is not None
        else [
            {"id": 1, "file_name": "a.jpg", "width": 100, "height": 80},
            {"id": 2, "file_name": "b.jpg", "width": 100, "height": 80},
        ],
        "annotations": annotations if annotations is not None else [],
        "categories": categories
        if categories is not None
        else [
            {"id": 1, "name": "cat", "supercategory": "animal"},
            {"id": 3, "name": "dog", "supercategory": "animal"},
        ],
    }


def box_annotation(image_id: Any = 1, category_id: Any = 1, **more: Any) -> dict[str, Any]:
    annotation: dict[str, Any] = {
        "id": 1,
        "image_id": image_id,
        "category_id": category_id,
        "bbox": [10, 10, 20, 20],
        "area": 400,
        "segmentation": [],
        "iscrowd": 0,
    }
    annotation.update(more)
    return annotation


#: Stored objects of every shape COCO writes: those it takes as stored (a box with or without
#: its area, rings with their box and area, crowds), and those it rebuilds (rings without a
#: box or an area, masks, scores, Q&A, kept keys, classifications).
STORED: list[tuple[str, str, dict[str, Any]]] = [
    ("rectangle", "box", {"box": [1, 2, 10.5, 4]}),
    ("rectangle", "box", {"box": [1.25, 2, 3, 4], "area": 11.5, "iscrowd": True}),
    ("polygon", "zone", {"box": [1, 0, 9, 10], "rings": [[1, 2, 3.5, 4, 5, 0]], "area": 3}),
    ("polygon", "zone", {"box": [0, 0, 9, 9], "rings": [[0, 0, 4, 0, 4, 4], [5, 5, 9, 5, 9, 9]]}),
    ("polygon", "zone", {"rings": [[1, 2, 3.5, 4, 5, 0]], "area": 2.5}),
    ("polygon", "zone", {"rings": [[1, 2, 3.5, 4, 5, 0]], "iscrowd": True}),
    ("polygon", "zone", {"box": [1, 0, 9, 10], "rings": [[1, 2, 3.5, 4, 5, 0]], "score": 0.5}),
    ("mask", "zone", {"mask": {"size": [2, 2], "counts": [1, 2, 1]}, "iscrowd": True}),
    ("mask", "zone", {"mask": {"size": [2, 2], "counts": [1, 2, 1]}, "box": [0, 0, 2, 2]}),
    ("rectangle", "box", {"box": [1, 2, 3, 4], "qa": [{"question": "q?", "answer": "a"}]}),
    ("rectangle", "box", {"box": [1, 2, 3, 4], "extra": {"difficult": 1, "id": 99}}),
    ("classification", "kind", {}),
    ("classification", "kind", {"qa": [{"question": "q?", "answer": "a"}]}),
]
STORED_LABELS = [
    LabelSpec("box", "rectangle"),
    LabelSpec("zone", "polygon"),
    LabelSpec("kind", "classification"),
]
