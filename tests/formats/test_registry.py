"""The format registry: descriptors by name and alias, and formats that packages add
through the ``pixlake.formats`` entry-point group."""

from __future__ import annotations

import importlib
import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from pixlake.errors import InvalidInputError, InvalidQueryError
from pixlake.formats import (
    CocoExporter,
    FormatDescriptor,
    PicselliaExporter,
    VocExporter,
    YoloExporter,
    export_formats,
    format_name,
    formats,
    get_exporter,
    get_format,
    get_reader,
    read_coco,
    read_formats,
    read_picsellia,
    read_voc,
    read_yolo,
)
from pixlake.formats.registry import refresh
from pixlake.sdk import Datalake
from tests.conftest import LiveServer, write_images

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


# --------------------------------------------------------------------------------------
# Descriptors


def test_each_format_is_described_once() -> None:
    assert [d.name for d in formats()] == ["COCO", "PASCAL-VOC", "PICSELLIA", "YOLO"]
    assert [d.name for d in export_formats()] == ["COCO", "PASCAL-VOC", "YOLO"]
    assert [d.name for d in read_formats()] == ["COCO", "PASCAL-VOC", "PICSELLIA", "YOLO"]
    voc = get_format(" VOC ")
    assert (voc.name, voc.keys, voc.progress_unit) == ("PASCAL-VOC", ("pascal-voc", "voc"), "files")
    assert get_format("picsellia").input == "file"
    assert get_format("yolo").export_options == {"yolo_mode": "mode", "yolo_path": "path"}
    assert get_format("coco").read_options is not None


def test_a_descriptor_is_checked() -> None:
    with pytest.raises(ValueError, match="says it writes 'COCO'"):
        FormatDescriptor(name="OTHER", exporter=CocoExporter)
    with pytest.raises(ValueError, match="needs an exporter"):
        FormatDescriptor(name="OTHER", reader=read_coco)
    with pytest.raises(ValueError, match="unknown input kind"):
        FormatDescriptor(name="OTHER", exports=False, input="socket")  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------
# Formats of other packages

#: A package's format: a JSON file ``{"labels": [...], "images": [{"file", "width",
#: "height", "labels"}]}`` of classifications.  ``BROKEN`` is no descriptor, ``TAKEN`` is
#: named as a built-in format is.
PLUGIN = """
import json
from pathlib import Path

from pixlake.formats import (
    DEFAULT_LIMITS, AnnotatedImage, Annotations, Exporter, FormatDescriptor, LabelSpec, Obj,
)


def read_tiny(path, /, *, rectangle=False, images=None, image_size=None,
              limits=DEFAULT_LIMITS, progress=None):
    data = json.loads(Path(path).read_text())
    if progress is not None:
        progress(1, 1)
    return Annotations(
        labels=[LabelSpec(name, "classification") for name in data["labels"]],
        images=[
            AnnotatedImage(
                file_name=image["file"],
                width=image["width"],
                height=image["height"],
                objects=tuple(Obj(label=label, kind="classification") for label in image["labels"]),
            )
            for image in data["images"]
        ],
    )


class TinyExporter(Exporter):
    format = "TINY"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.images = []

    def _write(self, image):
        self.images.append({
            "file": image.file_name, "width": image.width, "height": image.height,
            "labels": [obj.label for obj in image.objects],
        })

    def _finish(self):
        labels = [label.name for label in self.labels]
        text = json.dumps({"labels": labels, "images": self.images})
        self.sink.write_bytes("tiny.json", text.encode())


FORMAT = FormatDescriptor(
    name="TINY", aliases=("tiny-json",), reader=read_tiny, exporter=TinyExporter,
    input="file", input_text="one tiny JSON file", progress_unit="images",
)
BROKEN = object()
TAKEN = FormatDescriptor(name="COCO-LIKE", aliases=("coco",), reader=read_tiny, exports=False)
"""


def _install(root: Path, monkeypatch: pytest.MonkeyPatch, entries: str) -> None:
    """A distribution on ``sys.path`` whose entry points are ``entries``, as ``pip install``
    of a package declaring them would leave it; the registry reads them afresh."""
    (root / "pixlake_tiny_format.py").write_text(PLUGIN)
    info = root / "pixlake_tiny_format-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: pixlake-tiny-format\nVersion: 1.0\n"
    )
    (info / "entry_points.txt").write_text(f"[pixlake.formats]\n{entries}\n")
    monkeypatch.syspath_prepend(str(root))
    importlib.invalidate_caches()
    refresh()


@pytest.fixture
def packages(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    yield monkeypatch
    sys.modules.pop("pixlake_tiny_format", None)
    refresh()  # read again, once sys.path is restored, at the next lookup


def test_a_package_adds_a_format(
    packages: pytest.MonkeyPatch, tmp_path: Path, server: LiveServer, alice: str
) -> None:
    _install(tmp_path, packages, "tiny = pixlake_tiny_format:FORMAT")
    tiny = get_format("tiny-json")
    assert tiny.name == "TINY" and tiny in formats() and tiny in export_formats()
    assert format_name("Tiny") == "TINY"
    # through the SDK and the server, as a built-in format goes
    images = tmp_path / "images"
    write_images(images, 2)
    document = {
        "labels": ["cat", "dog"],
        "images": [
            {"file": "img_0000.jpg", "width": 64, "height": 48, "labels": ["cat"]},
            {"file": "img_0001.jpg", "width": 64, "height": 48, "labels": ["dog", "cat"]},
        ],
    }
    (tmp_path / "in.json").write_text(json.dumps(document))
    lake = Datalake(api_token=alice, host=server.url, interactive=False)
    record = lake.upload(
        name="tiny", imgdir=images, ann_path=tmp_path / "in.json", ann_format="tiny"
    )
    assert (record["size"], record["nb_objects"]) == (2, 3)
    out = lake.dataset.fetch("tiny").export("TINY", tmp_path / "out")
    assert json.loads((out / "tiny.json").read_text()) == document
    assert sorted(p.name for p in (out / "images").iterdir()) == ["img_0000.jpg", "img_0001.jpg"]
    with pytest.raises(InvalidQueryError, match="is a folder, and TINY annotations are one tiny"):
        lake.upload(name="tiny2", imgdir=images, ann_path=images, ann_format="TINY")


def test_an_entry_point_that_is_no_format_is_named(
    packages: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _install(tmp_path, packages, "broken = pixlake_tiny_format:BROKEN")
    assert get_format("coco").name == "COCO"  # built-in names need no entry point
    with pytest.raises(InvalidInputError) as error:
        get_format("broken")
    message = str(error.value)
    assert "entry point 'broken' (pixlake_tiny_format:BROKEN)" in message
    assert "not a pixlake.formats.FormatDescriptor" in message


def test_an_entry_point_that_does_not_load_is_named(
    packages: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _install(tmp_path, packages, "gone = pixlake_tiny_format:GONE")
    with pytest.raises(InvalidInputError, match="'gone' .* cannot be loaded: AttributeError"):
        formats()


def test_a_format_named_as_another_is_refused(packages: pytest.MonkeyPatch, tmp_path: Path) -> None:
    _install(tmp_path, packages, "taken = pixlake_tiny_format:TAKEN")
    with pytest.raises(InvalidInputError, match="is named 'coco', which COCO is already"):
        formats()
