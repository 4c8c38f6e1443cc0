"""pycocotools reads pixlake's COCO exports as the source they came from: the same
annotations, masks equal pixel for pixel, and COCOeval of the export against the source
with an AP of 1 for boxes and for masks."""

from __future__ import annotations

from pathlib import Path

import pytest

from pixlake import Datalake
from tests.interop.cases import Cases, expected_view
from tests.interop.compare import assert_same_view
from tests.interop.conftest import Tool, pixlake_view


def test_an_export_is_its_source_to_pycocotools(
    lake: Datalake, cases: Cases, pycocotools: Tool, tmp_path: Path
) -> None:
    lake.upload(name="hard", imgdir=cases.images, ann_path=cases.instances, ann_format="COCO")
    ds = lake.dataset.fetch("hard")
    assert_same_view(pixlake_view(ds), expected_view(), tolerance=1e-9)
    out = ds.export("COCO", tmp_path / "out")
    answer = pycocotools.run(
        "cocotools",
        command="compare",
        source=cases.instances,
        export=out / "annotations/instances_default.json",
    )
    total = len(expected_view()["images"])
    assert answer["annotations"][0] == answer["annotations"][1] == 10, answer
    compared, equal = answer["masks"]
    assert compared == equal == 4  # 2 polygons (one of two rings), a mask with a hole, a crowd
    assert answer["bbox_ap"] == pytest.approx(1.0) and answer["segm_ap"] == pytest.approx(1.0)
    assert_same_view(answer["view"], expected_view(), tolerance=1e-9, splits=False)
    assert len(answer["view"]["images"]) == total


def test_a_split_folder_exports_a_file_per_split(
    lake: Datalake, cases: Cases, pycocotools: Tool, tmp_path: Path
) -> None:
    lake.upload(name="split", imgdir=cases.split_coco, ann_path=cases.split_coco, ann_format="COCO")
    ds = lake.dataset.fetch("split")
    assert_same_view(pixlake_view(ds), expected_view(splits=True), tolerance=1e-9)
    out = ds.export("COCO", tmp_path / "out")
    for split in ("train", "val"):
        answer = pycocotools.run(
            "cocotools",
            command="compare",
            source=cases.split_coco / f"annotations/instances_{split}.json",
            export=out / f"annotations/instances_{split}.json",
        )
        assert answer["annotations"][0] == answer["annotations"][1] > 0
        assert answer["masks"][0] == answer["masks"][1]
        assert answer["bbox_ap"] == pytest.approx(1.0)
        assert answer["segm_ap"] == pytest.approx(1.0)
        assert sorted(p.name for p in (out / "images" / split).iterdir()) == sorted(
            answer["view"]["images"]
        )
