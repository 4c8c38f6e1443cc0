"""What every reader and exporter shares: image sizes, writing stored objects."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

from pixlake.errors import InvalidInputError
from pixlake.formats import (
    AnnotatedImage,
    FolderSink,
    from_compact,
    get_exporter,
    read_coco,
    read_image_size,
)

from .helpers import STORED, STORED_LABELS, find_problem, stored_objects


def test_read_image_size_reads_the_header(generated_root: Path, tmp_path: Path) -> None:
    from PIL import Image

    path = generated_root / "images" / "000000000001.jpg"
    with Image.open(path) as image:
        expected = image.size
    assert read_image_size(path) == expected
    junk = tmp_path / "junk.jpg"
    junk.write_bytes(b"not an image")
    with pytest.raises(InvalidInputError) as error:
        read_image_size(junk)
    find_problem(error, file="junk.jpg", message="expected a readable image")


@pytest.mark.parametrize("name", ["YOLO", "PASCAL-VOC"])
def test_write_compact_writes_what_write_writes(
    generated_root: Path, tmp_path: Path, name: str
) -> None:
    """The exporters without a way of their own rebuild the stored objects and write them."""
    coco = read_coco(generated_root / "annotations/instances.json")
    for way in ("compact", "rebuilt"):
        with FolderSink(tmp_path / way) as sink, get_exporter(name)(sink, coco.labels) as exporter:
            for image in coco.images:
                if way == "rebuilt":
                    exporter.write(image)
                    continue
                exporter.write_compact(
                    dataclasses.replace(image, objects=()), stored_objects(image)
                )
    written = {
        way: {
            path.relative_to(tmp_path / way): path.read_bytes()
            for path in (tmp_path / way).rglob("*")
            if path.is_file()
        }
        for way in ("compact", "rebuilt")
    }
    assert len(written["compact"]) >= len(coco.images)  # an annotation file per image
    assert written["compact"] == written["rebuilt"]


@pytest.mark.parametrize("mode", ["detect", "segment", None], ids=["yolo", "yolo-segment", "voc"])
@pytest.mark.parametrize("stored", STORED, ids=lambda o: f"{o[0]}-{'-'.join(o[2])}")
def test_write_compact_of_every_kind_of_stored_object(
    tmp_path: Path, stored: Any, mode: str | None
) -> None:
    """YOLO and PASCAL-VOC write stored objects as they stand; what they write is what
    rebuilding them and writing those gives."""
    image = AnnotatedImage(file_name="a.jpg", width=20, height=20, extra={"license": 3})
    written = {}
    for way in ("compact", "rebuilt"):
        options: dict[str, Any] = {} if mode is None else {"mode": mode}
        name = "PASCAL-VOC" if mode is None else "YOLO"
        root = tmp_path / way
        with FolderSink(root) as sink, get_exporter(name)(sink, STORED_LABELS, **options) as e:
            if way == "compact":
                e.write_compact(image, [stored, stored])
            else:
                objects = tuple(from_compact(*stored) for _ in range(2))
                e.write(dataclasses.replace(image, objects=objects))
        written[way] = {p.relative_to(root): p.read_bytes() for p in root.rglob("*") if p.is_file()}
    assert written["compact"] == written["rebuilt"]
