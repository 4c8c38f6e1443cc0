"""The format registry: descriptors by name and alias, and formats that packages add
through the ``pixlake.formats`` entry-point group."""

from __future__ import annotations

import pytest

from pixlake.errors import InvalidInputError
from pixlake.formats import (
    CocoExporter,
    PicselliaExporter,
    VocExporter,
    YoloExporter,
    format_name,
    get_exporter,
    get_reader,
    read_coco,
    read_picsellia,
    read_voc,
    read_yolo,
)

from .helpers import find_problem


@pytest.mark.parametrize(
    ("name", "reader", "exporter"),
    [
        ("COCO", read_coco, CocoExporter),
        ("coco", read_coco, CocoExporter),
        ("PASCAL-VOC", read_voc, VocExporter),
        ("pascal-voc", read_voc, VocExporter),
        ("voc", read_voc, VocExporter),
        ("PICSELLIA", read_picsellia, PicselliaExporter),
        ("Picsellia", read_picsellia, PicselliaExporter),
        ("YOLO", read_yolo, YoloExporter),
        (" yolo ", read_yolo, YoloExporter),
    ],
)
def test_names(name: str, reader: object, exporter: type) -> None:
    assert get_reader(name) is reader
    assert get_exporter(name) is exporter
    assert get_exporter(name).format == format_name(name)


def test_unknown_names_list_the_known_ones() -> None:
    with pytest.raises(InvalidInputError) as error:
        get_reader("CSV")
    find_problem(error, field="ann_format", message="COCO, PASCAL-VOC, PICSELLIA, YOLO")
    with pytest.raises(InvalidInputError):
        get_exporter("pascal")
    with pytest.raises(TypeError):
        format_name(None)  # type: ignore[arg-type]
