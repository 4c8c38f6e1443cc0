"""Conversions between formats keep the geometry."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from pixlake.formats import (
    Annotations,
    FolderSink,
    get_exporter,
    read_coco,
    read_voc,
    read_yolo,
)


def write(annotations: Annotations, root: Path, name: str, **options: Any) -> Path:
    with FolderSink(root) as sink:
        exporter = get_exporter(name)(sink, annotations.labels, info=annotations.info, **options)
        with exporter:
            for image in annotations.images:
                exporter.write(image)
    return root


def boxes(annotations: Annotations) -> list[tuple[str, str, float, float, float, float]]:
    out = []
    for image in annotations.images:
        for obj in image.objects:
            box = obj.extent()
            assert box is not None
            out.append((image.file_name, obj.label, box.x, box.y, box.w, box.h))
    return out


def assert_same_boxes(mine: Annotations, theirs: Annotations, tolerance: float) -> None:
    left, right = boxes(mine), boxes(theirs)
    assert len(left) == len(right)
    for a, b in zip(left, right, strict=True):
        assert a[:2] == b[:2]
        assert a[2:] == pytest.approx(b[2:], abs=tolerance)


def test_coco_to_yolo_to_coco(generated_root: Path, tmp_path: Path) -> None:
    coco = read_coco(generated_root / "annotations/instances.json")
    yolo_root = write(coco, tmp_path / "yolo", "YOLO")
    through_yolo = read_yolo(yolo_root, images=generated_root / "images")
    assert [label.name for label in through_yolo.labels] == [label.name for label in coco.labels]
    back_root = write(through_yolo, tmp_path / "coco", "COCO")
    back = read_coco(back_root / "annotations/instances_default.json")
    # 6 decimals of a 640-pixel side: within 1e-3 pixel
    assert_same_boxes(back, coco, tolerance=1e-3)
    assert [(i.file_name, i.width, i.height) for i in back.images] == [
        (i.file_name, i.width, i.height) for i in coco.images
    ]


def test_coco_polygons_to_yolo_segments(generated_root: Path, tmp_path: Path) -> None:
    coco = read_coco(generated_root / "annotations/instances.json")
    root = write(coco, tmp_path / "yolo", "YOLO", mode="segment")
    back = read_yolo(root, images=generated_root / "images")
    for mine, theirs in zip(back.images, coco.images, strict=True):
        for obj, other in zip(mine.objects, theirs.objects, strict=True):
            assert len(obj.polygons[0]) == len(other.polygons[0])
            flat = [v for point in obj.polygons[0] for v in point]
            expected = [v for point in other.polygons[0] for v in point]
            assert flat == pytest.approx(expected, abs=1e-3)


def test_coco_to_voc(generated_root: Path, tmp_path: Path) -> None:
    coco = read_coco(generated_root / "annotations/instances.json")
    root = write(coco, tmp_path / "voc", "PASCAL-VOC")
    voc = read_voc(root)
    assert_same_boxes(voc, coco, tolerance=1e-9)
    assert {label.kind for label in voc.labels} == {"polygon"}
