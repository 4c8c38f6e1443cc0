"""pycocotools' view of COCO files, and its checks: masks pixel for pixel, COCOeval."""

from __future__ import annotations

import contextlib
import io
import json
import os
import tempfile
from typing import Any

import numpy as np
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

from tests.interop.tools.common import View, add_image, new_view, obj, serve


def load(path: str) -> COCO:
    with contextlib.redirect_stdout(io.StringIO()):
        return COCO(path)


def view_of(coco: COCO) -> View:
    categories = {c["id"]: c["name"] for c in coco.loadCats(coco.getCatIds())}
    view = new_view(list(categories.values()))
    for image in coco.loadImgs(coco.getImgIds()):
        objects = add_image(view, image["file_name"], image["width"], image["height"])
        for ann in coco.loadAnns(coco.getAnnIds(imgIds=[image["id"]], iscrowd=None)):
            segmentation = ann.get("segmentation")
            rings = segmentation if isinstance(segmentation, list) and segmentation else None
            objects.append(obj(categories[ann["category_id"]], ann["bbox"], rings, ann["iscrowd"]))
    return view


def _matched(source: COCO, export: COCO) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """Each annotation of the source with the export's of the same image, class and box."""
    names = {c["id"]: c["name"] for c in source.loadCats(source.getCatIds())}
    their_names = {c["id"]: c["name"] for c in export.loadCats(export.getCatIds())}
    by_file = {i["file_name"]: i["id"] for i in export.loadImgs(export.getImgIds())}
    pairs = []
    for image in source.loadImgs(source.getImgIds()):
        theirs = export.loadAnns(export.getAnnIds(imgIds=[by_file[image["file_name"]]]))
        for ann in source.loadAnns(source.getAnnIds(imgIds=[image["id"]])):
            match = next(
                t
                for t in theirs
                if their_names[t["category_id"]] == names[ann["category_id"]]
                and np.allclose(t["bbox"], ann["bbox"], atol=1e-6)
            )
            theirs.remove(match)
            pairs.append((ann, match))
    return pairs


def _results(source: COCO, export: COCO, kind: str) -> list[dict[str, Any]]:
    """The export's annotations as detections on the source's ids, each scored 1."""
    ids = {c["name"]: c["id"] for c in source.loadCats(source.getCatIds())}
    names = {c["id"]: c["name"] for c in export.loadCats(export.getCatIds())}
    images = {i["file_name"]: i["id"] for i in source.loadImgs(source.getImgIds())}
    out = []
    for image in export.loadImgs(export.getImgIds()):
        for ann in export.loadAnns(export.getAnnIds(imgIds=[image["id"]])):
            if ann.get("iscrowd"):
                continue  # a crowd region is not a detection
            result = {
                "image_id": images[image["file_name"]],
                "category_id": ids[names[ann["category_id"]]],
                "score": 1.0,
            }
            if kind == "bbox":
                result["bbox"] = ann["bbox"]
            elif ann.get("segmentation"):
                rle = export.annToRLE(ann)  # results hold RLE, whatever the annotation holds
                counts = rle["counts"]
                result["segmentation"] = {
                    "size": rle["size"],
                    "counts": counts.decode() if isinstance(counts, bytes) else counts,
                }
            else:
                continue
            out.append(result)
    return out


def _ap(source_path: str, source: COCO, export: COCO, kind: str) -> float:
    gt = source
    if kind == "segm":  # pycocotools cannot rasterize an empty segmentation: boxes only
        document = json.load(open(source_path, encoding="utf-8"))
        document["annotations"] = [a for a in document["annotations"] if a.get("segmentation")]
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
            json.dump(document, f)
        gt = load(f.name)
        os.unlink(f.name)
    results = _results(source, export, kind)
    with contextlib.redirect_stdout(io.StringIO()):
        dt = gt.loadRes(results)
        evaluation = COCOeval(gt, dt, kind)
        evaluation.evaluate()
        evaluation.accumulate()
        evaluation.summarize()
    return float(evaluation.stats[0])


def compare(request: dict[str, Any]) -> dict[str, Any]:
    source, export = load(request["source"]), load(request["export"])
    pairs = _matched(source, export)
    compared = equal = 0
    for ann, match in pairs:
        if ann.get("segmentation"):
            compared += 1
            equal += bool(np.array_equal(source.annToMask(ann), export.annToMask(match)))
    return {
        "annotations": [len(source.getAnnIds()), len(export.getAnnIds())],
        "masks": [compared, equal],
        "bbox_ap": _ap(request["source"], source, export, "bbox"),
        "segm_ap": _ap(request["source"], source, export, "segm"),
        "view": view_of(export),
    }


def read(request: dict[str, Any]) -> View:
    return view_of(load(request["path"]))


if __name__ == "__main__":
    serve({"compare": compare, "read": read})
