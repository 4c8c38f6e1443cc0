"""supervision reads pixlake's COCO, PASCAL-VOC and YOLO exports as pixlake holds them, and
pixlake imports what supervision writes as supervision reads it back: the same images,
classes, counts and boxes."""

from __future__ import annotations

from pathlib import Path

from pixlake import Datalake
from tests.interop.cases import Cases, expected_view
from tests.interop.compare import assert_same_view, without_crowds
from tests.interop.conftest import Tool, pixlake_view


def test_supervision_reads_pixlake_exports(
    lake: Datalake, cases: Cases, supervision: Tool, tmp_path: Path
) -> None:
    lake.upload(name="hard", imgdir=cases.images, ann_path=cases.instances, ann_format="COCO")
    ds = lake.dataset.fetch("hard")
    held = pixlake_view(ds)
    assert_same_view(held, expected_view(), tolerance=1e-9)

    coco = ds.export("COCO", tmp_path / "coco")
    seen = supervision.run(
        "sv",
        command="read",
        format="coco",
        images=coco / "images",
        annotations=coco / "annotations/instances_default.json",
    )
    assert seen["classes"] == list(held["classes"])  # by category id: the label order
    assert_same_view(seen, held, tolerance=1e-3, splits=False)

    voc = ds.export("PASCAL-VOC", tmp_path / "voc")
    seen = supervision.run(
        "sv",
        command="read",
        format="voc",
        images=voc / "JPEGImages",
        annotations=voc / "Annotations",
    )
    # supervision takes the classes its files name; the one without objects is not among them
    assert_same_view(seen, held, tolerance=1e-6, splits=False, ignore_classes=["empty class"])

    yolo = ds.export("YOLO", tmp_path / "yolo")
    seen = supervision.run(
        "sv",
        command="read",
        format="yolo",
        images=yolo / "images",
        annotations=yolo / "labels",
        data_yaml=yolo / "data.yaml",
    )
    # 6 decimals of a side of 80 pixels; the crowd region is left out, as Ultralytics does
    assert_same_view(seen, without_crowds(held), tolerance=1e-3, splits=False)


def test_pixlake_imports_what_supervision_writes(
    lake: Datalake, cases: Cases, supervision: Tool, tmp_path: Path
) -> None:
    spec = without_crowds(expected_view())
    paths = {name: cases.image(name) for name in spec["images"]}
    written = supervision.run("sv", command="write", spec=spec, paths=paths, out=tmp_path / "sv")
    for fmt, ann_format in (("coco", "COCO"), ("voc", "PASCAL-VOC"), ("yolo", "YOLO")):
        entry = written[fmt]
        ann_path = Path(entry["annotations"]) if fmt != "yolo" else Path(entry["data_yaml"]).parent
        lake.upload(
            name=f"from-sv-{fmt}",
            imgdir=entry["images"],
            ann_path=ann_path,
            ann_format=ann_format,
        )
        mine = pixlake_view(lake.dataset.fetch(f"from-sv-{fmt}"))
        theirs = entry["view"]
        assert sum(len(i["objects"]) for i in theirs["images"].values()) == 9
        # PASCAL-VOC: supervision writes whole pixels (round(x + 1), round(x + w)), and
        # reads them back as pixlake does, by the devkit's convention
        assert_same_view(mine, theirs, tolerance=1e-4, splits=False)
        # against what was given: supervision's YOLO has 5 decimals, its VOC whole pixels
        tolerance = {"coco": 1e-4, "yolo": 1e-3, "voc": 1.0}[fmt]
        assert_same_view(mine, spec, tolerance=tolerance, splits=False, classes=fmt != "voc")
