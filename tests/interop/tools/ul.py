"""Ultralytics' view of a YOLO dataset, through its own loaders (``check_det_dataset`` and
``YOLODataset``; no model, no weights), and the labels its COCO converter writes."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from ultralytics.data import YOLODataset
from ultralytics.data.converter import convert_coco
from ultralytics.data.utils import check_det_dataset

from tests.interop.tools.common import add_image, new_view, obj, serve

SPLITS = ("train", "val", "test")


def read(request: dict[str, Any]) -> dict[str, Any]:
    """``check_det_dataset`` on ``yaml`` (run from another folder than the dataset's), then
    each split's labels as ``YOLODataset`` loads them for ``task`` (detect or segment)."""
    data = check_det_dataset(request["yaml"], autodownload=False)
    names = data["names"]
    view = new_view([names[i] for i in range(len(names))])
    seen: set[str] = set()
    for split in SPLITS:
        if not data.get(split):
            continue
        dataset = YOLODataset(
            img_path=data[split],
            data=data,
            task=request["task"],
            imgsz=64,
            augment=False,
            rect=False,
            cache=False,
            batch_size=1,
            stride=32,
            pad=0.0,
        )
        for label in dataset.labels:
            name = os.path.basename(label["im_file"])
            if name in seen:  # listed under another key already (train and val alike)
                continue
            seen.add(name)
            height, width = label["shape"]
            objects = add_image(view, name, width, height, split)
            segments = label["segments"]
            for index, (cls, box) in enumerate(zip(label["cls"], label["bboxes"], strict=True)):
                cx, cy, w, h = (float(v) for v in box)
                pixels = [(cx - w / 2) * width, (cy - h / 2) * height, w * width, h * height]
                ring = None
                if len(segments):
                    ring = [[c for x, y in segments[index] for c in (x * width, y * height)]]
                objects.append(obj(names[int(cls[0])], pixels, ring))
    return {
        "view": view,
        "paths": {split: str(data[split]) for split in SPLITS if data.get(split)},
    }


def convert(request: dict[str, Any]) -> str:
    """Ultralytics' COCO converter on the COCO files of ``coco`` (segments, classes as the
    files' category ids less one); the folder it wrote its labels in."""
    out = Path(request["out"])
    convert_coco(request["coco"], str(out), use_segments=True, cls91to80=False)
    return str(out / "labels")


if __name__ == "__main__":
    serve({"read": read, "convert": convert})
