"""Ultralytics' own loaders read pixlake's YOLO exports (detect and segment) as pixlake holds
them, from any folder; pixlake writes segmentation rows as Ultralytics' COCO converter does
(crowd regions left out, rings joined into one outline, boxes as their corners); and pixlake
imports the labels that converter writes as Ultralytics reads them."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import yaml

from pixlake import Datalake
from tests.interop.cases import CLASSES, IMAGES, Cases, expected_view
from tests.interop.compare import assert_same_view, without_crowds
from tests.interop.conftest import Tool, pixlake_view


def test_ultralytics_reads_pixlake_exports_from_another_folder(
    lake: Datalake, cases: Cases, ultralytics: Tool, tmp_path: Path
) -> None:
    lake.upload(name="hard", imgdir=cases.split_coco, ann_path=cases.split_coco, ann_format="COCO")
    ds = lake.dataset.fetch("hard")
    held = without_crowds(pixlake_view(ds))  # as Ultralytics' converter, YOLO has no crowds
    assert_same_view(held, without_crowds(expected_view(splits=True)), tolerance=1e-9)
    detect = ds.export("YOLO", tmp_path / "detect")
    answer = ultralytics.run("ul", command="read", yaml=detect / "data.yaml", task="detect")
    # data.yaml has no 'path': its folders are found beside it, not in Ultralytics' cwd
    assert answer["paths"] == {
        "train": str(detect / "images/train"),
        "val": str(detect / "images/val"),
    }
    assert_same_view(answer["view"], held, tolerance=1e-3)
    segment = ds.export("YOLO", tmp_path / "segment", yolo_mode="segment")
    answer = ultralytics.run("ul", command="read", yaml=segment / "data.yaml", task="segment")
    assert_same_view(answer["view"], held, tolerance=1e-3)
    rings = {
        name: [o["rings"] for o in image["objects"] if o["class"] == "person"]
        for name, image in answer["view"]["images"].items()
    }
    # one outline through both rings of the two-ring polygon: every vertex of each
    two = [v for ring in IMAGES["猫 & dog's.png"][3][1].rings for v in ring]
    assert _vertices(rings["猫 & dog's.png"][0][0]) == _vertices(two)


def _vertices(flat: list[float]) -> set[tuple[float, float]]:
    return {(round(x, 2), round(y, 2)) for x, y in zip(flat[0::2], flat[1::2], strict=True)}


def _converter_input(cases: Cases, root: Path) -> Path:
    """The cases' split COCO files, less the one mask that is no crowd: Ultralytics'
    converter would fetch a package to trace its outline."""
    folder = root / "annotations"
    folder.mkdir(parents=True)
    for split in ("train", "val"):
        document: dict[str, Any] = json.loads(
            (cases.split_coco / f"annotations/instances_{split}.json").read_text()
        )
        document["annotations"] = [
            a
            for a in document["annotations"]
            if not isinstance(a["segmentation"], dict) or a["iscrowd"]
        ]
        (folder / f"instances_{split}.json").write_text(json.dumps(document))
    for split in ("train", "val"):
        shutil.copytree(cases.split_coco / "images" / split, root / "images" / split)
    return root


def _rows(folder: Path) -> dict[str, list[tuple[int, frozenset[tuple[float, float]]]]]:
    """Each label file's rows: class, and the set of its points (to 1e-4 of the side)."""
    out = {}
    for file in sorted(folder.rglob("*.txt")):
        rows = []
        for line in file.read_text().splitlines():
            values = [float(v) for v in line.split()]
            points = frozenset(
                (round(x, 4), round(y, 4)) for x, y in zip(values[1::2], values[2::2], strict=True)
            )
            rows.append((int(values[0]), points))
        out[file.relative_to(folder).as_posix()] = sorted(rows, key=repr)
    return out


def test_segment_rows_are_those_of_ultralytics_coco_converter(
    lake: Datalake, cases: Cases, ultralytics: Tool, tmp_path: Path
) -> None:
    source = _converter_input(cases, tmp_path / "source")
    labels = Path(
        ultralytics.run(
            "ul", command="convert", coco=source / "annotations", out=tmp_path / "converted"
        )
    )
    lake.upload(name="conv", imgdir=source, ann_path=source, ann_format="COCO")
    out = lake.dataset.fetch("conv").export("YOLO", tmp_path / "mine", yolo_mode="segment")
    theirs, mine = _rows(labels), _rows(out / "labels")
    # the converter writes no file for an image without objects; pixlake an empty one
    assert {k: v for k, v in mine.items() if v} == theirs


def test_pixlake_imports_what_ultralytics_converter_writes(
    lake: Datalake, cases: Cases, ultralytics: Tool, tmp_path: Path
) -> None:
    source = _converter_input(cases, tmp_path / "source")
    labels = Path(
        ultralytics.run(
            "ul", command="convert", coco=source / "annotations", out=tmp_path / "converted"
        )
    )
    dataset = labels.parent
    for split in ("train", "val"):
        shutil.copytree(source / "images" / split, dataset / "images" / split)
        for image in (dataset / "images" / split).iterdir():  # background images: empty files
            label = dataset / "labels" / split / f"{image.stem}.txt"
            if not label.exists():
                label.write_text("")
    (dataset / "data.yaml").write_text(
        yaml.safe_dump({"train": "images/train", "val": "images/val", "names": CLASSES})
    )
    theirs = ultralytics.run("ul", command="read", yaml=dataset / "data.yaml", task="segment")
    lake.upload(name="from-ul", imgdir=dataset, ann_path=dataset, ann_format="YOLO")
    mine = pixlake_view(lake.dataset.fetch("from-ul"))
    assert_same_view(mine, theirs["view"], tolerance=1e-3)
