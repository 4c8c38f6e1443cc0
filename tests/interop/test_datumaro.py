"""Datumaro finds pixlake's exports by folder (COCO, PASCAL-VOC, YOLO) with their splits as
subsets, and pixlake imports what Datumaro writes (COCO, PASCAL-VOC, Darknet YOLO and
Ultralytics YOLO) as Datumaro reads it back."""

from __future__ import annotations

from pathlib import Path

from pixlake import Datalake
from tests.interop.cases import Cases, expected_view
from tests.interop.compare import assert_same_view, without_crowds
from tests.interop.conftest import Tool, pixlake_view


def test_datumaro_finds_pixlake_exports_by_folder(
    lake: Datalake, cases: Cases, datumaro: Tool, tmp_path: Path
) -> None:
    lake.upload(name="hard", imgdir=cases.split_coco, ann_path=cases.split_coco, ann_format="COCO")
    ds = lake.dataset.fetch("hard")
    held = pixlake_view(ds)
    assert_same_view(held, expected_view(splits=True), tolerance=1e-9)
    for fmt, importer, options, expected in (
        ("COCO", "coco_instances", {}, held),
        # the devkit's convention: Datumaro's voc-one-based mode; VOC has no crowd flag
        ("PASCAL-VOC", "voc", {"coordinate_mode": "voc-one-based"}, held),
        ("YOLO", "yolo", {}, without_crowds(held)),
    ):
        out = ds.export(fmt, tmp_path / fmt)
        seen = datumaro.run("dm", command="read", path=out, format=importer, options=options)
        # Datumaro keeps coordinates to two decimals (a corner at 30.875 is 30.88), and its
        # VOC adds the class 'background', at index 0
        assert_same_view(seen, expected, tolerance=0.01, ignore_classes=["background"])


def test_pixlake_imports_what_datumaro_writes(
    lake: Datalake, cases: Cases, datumaro: Tool, tmp_path: Path
) -> None:
    spec = without_crowds(expected_view(splits=True))
    paths = {name: cases.image(name) for name in spec["images"]}
    written = datumaro.run("dm", command="write", spec=spec, paths=paths, out=tmp_path / "dm")
    for key, ann_format in (
        ("coco", "COCO"),
        ("voc", "PASCAL-VOC"),
        ("yolo", "YOLO"),
        ("yolo_ultralytics", "YOLO"),
    ):
        root = Path(written[key]["path"])
        name = f"from-dm-{key.replace('_', '-')}"
        lake.upload(name=name, imgdir=root, ann_path=root, ann_format=ann_format)
        mine = pixlake_view(lake.dataset.fetch(name))
        theirs = written[key]["view"]
        assert sum(len(i["objects"]) for i in theirs["images"].values()) == 9
        assert_same_view(mine, theirs, tolerance=1e-4, ignore_classes=["background"])


def test_pixlake_imports_the_class_folders_datumaro_writes(
    lake: Datalake, cases: Cases, datumaro: Tool, tmp_path: Path
) -> None:
    """Ultralytics' classification layout, ImageNet's folders: <split>/<class>/<image>."""
    spec = expected_view(splits=True)
    for image in spec["images"].values():
        first = image["objects"][:1]
        image["objects"] = [{**o, "box": None, "rings": None} for o in first]
    spec["images"] = {k: v for k, v in spec["images"].items() if v["objects"]}
    paths = {name: cases.image(name) for name in spec["images"]}
    written = datumaro.run(
        "dm", command="write_classes", spec=spec, paths=paths, out=tmp_path / "imagenet"
    )
    root = Path(written["path"])
    lake.upload(name="classes", imgdir=root, ann_path=root, ann_format="YOLO")
    ds = lake.dataset.fetch("classes")
    assert {label["type"] for label in ds.fetched_dataset["labels"]} == {"classification"}
    # Datumaro keeps every class; pixlake those the folders have
    assert_same_view(pixlake_view(ds), written["view"], classes=False)
    assert_same_view(pixlake_view(ds), spec, classes=False)
