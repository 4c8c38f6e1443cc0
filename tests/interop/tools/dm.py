"""Datumaro's view of COCO, PASCAL-VOC and YOLO datasets (by folder), and what it writes."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import datumaro as dm
from datumaro.components.annotation import AnnotationType, Bbox, Label

from tests.interop.tools.common import View, add_image, new_view, obj, serve

#: Datumaro's name for the items of no subset.
DEFAULT = "default"


def view_of(dataset: Any) -> View:
    labels = dataset.categories()[AnnotationType.label]
    view = new_view([label.name for label in labels])
    for item in dataset:
        height, width = item.media.size
        split = None if item.subset == DEFAULT else item.subset
        objects = add_image(view, os.path.basename(item.media.path), width, height, split)
        for ann in item.annotations:
            if isinstance(ann, Bbox):  # every object has one (COCO's polygons have both)
                crowd = bool(ann.attributes.get("is_crowd", False))
                objects.append(obj(labels[ann.label].name, ann.get_bbox(), None, crowd))
            elif isinstance(ann, Label):
                objects.append(obj(labels[ann.label].name, None))
    return view


def read(request: dict[str, Any]) -> View:
    dataset = dm.Dataset.import_from(
        request["path"], request["format"], **request.get("options", {})
    )
    return view_of(dataset)


#: What this test writes with each exporter, and how it reads it back.
EXPORTS = {
    "coco": ("coco_instances", {}, "coco_instances", {}),
    "voc": (
        "voc_detection",
        {"coordinate_mode": "voc-one-based"},
        "voc",
        {"coordinate_mode": "voc-one-based"},
    ),
    "yolo": ("yolo", {}, "yolo", {}),
    "yolo_ultralytics": ("yolo_ultralytics", {}, "yolo", {}),
}


def write(request: dict[str, Any]) -> dict[str, Any]:
    """Write the spec's boxes (a view, with ``paths`` to its images) with Datumaro's
    exporters, each split a subset; then read each back, as Datumaro sees it."""
    spec, paths, out = request["spec"], request["paths"], Path(request["out"])
    classes = spec["classes"]
    items = []
    for name, image in spec["images"].items():
        size = (image["height"], image["width"])
        items.append(
            dm.DatasetItem(
                id=os.path.splitext(name)[0],
                subset=image["split"] or DEFAULT,
                media=dm.Image.from_file(paths[name], size=size),
                annotations=[
                    Bbox(*o["box"], label=classes.index(o["class"])) for o in image["objects"]
                ],
            )
        )
    dataset = dm.Dataset.from_iterable(items, categories=classes)
    written = {}
    for key, (exporter, options, importer, read_options) in EXPORTS.items():
        target = out / key
        dataset.export(str(target), exporter, save_media=True, **options)
        written[key] = {
            "path": str(target),
            "view": read({"path": str(target), "format": importer, "options": read_options}),
        }
    return written


def write_classes(request: dict[str, Any]) -> dict[str, Any]:
    """Write one class per image of the spec (a view whose objects have no box), as
    ImageNet's folders with a folder per subset; then read it back, as Datumaro sees it."""
    spec, paths, out = request["spec"], request["paths"], Path(request["out"])
    classes = spec["classes"]
    items = [
        dm.DatasetItem(
            id=os.path.splitext(name)[0],
            subset=image["split"] or DEFAULT,
            media=dm.Image.from_file(paths[name], size=(image["height"], image["width"])),
            annotations=[Label(classes.index(o["class"])) for o in image["objects"]],
        )
        for name, image in spec["images"].items()
    ]
    dataset = dm.Dataset.from_iterable(items, categories=classes)
    dataset.export(str(out), "imagenet_with_subset_dirs", save_media=True)
    # Datumaro cannot read that back whole when the subsets' classes differ (it refuses to
    # merge them): each subset's folder is read on its own, as ImageNet's folders
    view = new_view([])
    for folder in sorted(out.iterdir()):
        part = read({"path": str(folder), "format": "imagenet"})
        view["classes"] = sorted(set(view["classes"]) | set(part["classes"]))
        for name, image in part["images"].items():
            view["images"][name] = {**image, "split": folder.name}
    return {"path": str(out), "view": view}


if __name__ == "__main__":
    serve({"read": read, "write": write, "write_classes": write_classes})
