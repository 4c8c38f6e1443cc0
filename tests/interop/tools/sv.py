"""supervision's view of COCO, PASCAL-VOC and YOLO datasets, and the datasets it writes."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import supervision as sv

from tests.interop.tools.common import View, add_image, new_view, obj, serve, xyxy_box


def view_of(dataset: Any) -> View:
    view = new_view(list(dataset.classes))
    for path, image, detections in dataset:
        height, width = image.shape[:2]
        objects = add_image(view, os.path.basename(path), width, height)
        crowd = detections.data.get("iscrowd")
        for index, (xyxy, class_id) in enumerate(
            zip(detections.xyxy, detections.class_id, strict=True)
        ):
            is_crowd = bool(crowd[index]) if crowd is not None and len(crowd) else False
            objects.append(obj(dataset.classes[int(class_id)], xyxy_box(*xyxy), None, is_crowd))
    return view


def load(request: dict[str, Any]) -> Any:
    kind = request["format"]
    if kind == "coco":
        return sv.DetectionDataset.from_coco(request["images"], request["annotations"])
    if kind == "voc":
        return sv.DetectionDataset.from_pascal_voc(request["images"], request["annotations"])
    return sv.DetectionDataset.from_yolo(
        request["images"], request["annotations"], request["data_yaml"]
    )


def read(request: dict[str, Any]) -> View:
    return view_of(load(request))


def write(request: dict[str, Any]) -> dict[str, Any]:
    """Write the spec's boxes (a view, with ``paths`` to its images) as COCO, PASCAL-VOC and
    YOLO, with supervision's own writers; then read each back, as supervision sees it."""
    spec, paths, out = request["spec"], request["paths"], Path(request["out"])
    classes = spec["classes"]
    annotations = {}
    for name, image in spec["images"].items():
        boxes = [o["box"] for o in image["objects"]]
        xyxy = np.array([[x, y, x + w, y + h] for x, y, w, h in boxes], dtype=float)
        annotations[paths[name]] = sv.Detections(
            xyxy=xyxy.reshape(-1, 4),
            class_id=np.array([classes.index(o["class"]) for o in image["objects"]], dtype=int),
        )
    dataset = sv.DetectionDataset(classes, list(paths.values()), annotations)
    written: dict[str, Any] = {}
    coco = {
        "format": "coco",
        "images": str(out / "coco/images"),
        "annotations": str(out / "coco/instances.json"),
    }
    dataset.as_coco(images_directory_path=coco["images"], annotations_path=coco["annotations"])
    voc = {
        "format": "voc",
        "images": str(out / "voc/images"),
        "annotations": str(out / "voc/annotations"),
    }
    dataset.as_pascal_voc(
        images_directory_path=voc["images"], annotations_directory_path=voc["annotations"]
    )
    yolo = {
        "format": "yolo",
        "images": str(out / "yolo/images"),
        "annotations": str(out / "yolo/labels"),
        "data_yaml": str(out / "yolo/data.yaml"),
    }
    dataset.as_yolo(
        images_directory_path=yolo["images"],
        annotations_directory_path=yolo["annotations"],
        data_yaml_path=yolo["data_yaml"],
    )
    for request_ in (coco, voc, yolo):
        written[request_["format"]] = {**request_, "view": read(request_)}
    return written


if __name__ == "__main__":
    serve({"read": read, "write": write})
