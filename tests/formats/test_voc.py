"""PASCAL-VOC: reading, hostile and malformed XML, the exporter."""

from __future__ import annotations

import re
import shutil
from decimal import Decimal
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import pytest
from PIL import Image

from pixlake.errors import InvalidInputError, PayloadTooLargeError
from pixlake.formats import (
    AnnotatedImage,
    Annotations,
    Box,
    FolderSink,
    LabelSpec,
    Limits,
    Mask,
    Obj,
    VocExporter,
    read_voc,
)

from .helpers import find_problem


def voc_xml(objects: str = "", *, filename: str = "a.jpg", size: str | None = None) -> str:
    if size is None:
        size = "<size><width>100</width><height>80</height><depth>3</depth></size>"
    return f"<annotation><filename>{filename}</filename>{size}{objects}</annotation>"


def box_object(name: str = "Car", corners: tuple[Any, ...] = (11, 21, 31, 41)) -> str:
    xmin, ymin, xmax, ymax = corners
    return (
        f"<object><name>{name}</name><difficult>1</difficult><bndbox><xmin>{xmin}</xmin>"
        f"<ymin>{ymin}</ymin><xmax>{xmax}</xmax><ymax>{ymax}</ymax></bndbox></object>"
    )


def write_files(folder: Path, files: dict[str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def read_error(folder: Path, files: dict[str, str]) -> pytest.ExceptionInfo[InvalidInputError]:
    with pytest.raises(InvalidInputError) as error:
        read_voc(write_files(folder, files))
    return error


def export(annotations: Annotations, root: Path) -> Path:
    with FolderSink(root) as sink, VocExporter(sink, annotations.labels) as exporter:
        for image in annotations.images:
            exporter.write(image)
    return root / "Annotations"


# --------------------------------------------------------------------------------------
# Reading


def test_reads_the_generated_dataset(generated_root: Path) -> None:
    result = read_voc(generated_root / "voc")  # finds voc/Annotations/
    files = sorted((generated_root / "voc/Annotations").glob("*.xml"))
    assert [image.file_name for image in result.images] == [f.stem + ".jpg" for f in files]
    tree = ET.parse(files[0]).getroot()
    first = tree.find("object")
    assert first is not None
    corners = [
        float(first.findtext(f"bndbox/{tag}") or "") for tag in ("xmin", "ymin", "xmax", "ymax")
    ]
    obj = result.images[0].objects[0]
    assert obj.label == (first.findtext("name") or "").strip()
    xmin, ymin, xmax, ymax = corners  # the devkit's: 1-based first pixel, far edge
    assert obj.box == Box.from_corners(xmin - 1, ymin - 1, xmax, ymax)
    assert obj.extra == {"pose": "Unspecified", "truncated": 0, "difficult": 0}
    assert result.images[0].extra["source"] == {"database": "pixlake-synthetic"}
    assert result.images[0].extra["depth"] == 3
    assert {label.kind for label in result.labels} == {"rectangle"}


def test_progress_counts_the_files(generated_root: Path) -> None:
    told: list[tuple[int, int]] = []
    read_voc(generated_root / "voc", progress=lambda *at: told.append(at))
    count = len(list((generated_root / "voc/Annotations").glob("*.xml")))
    assert told == [(done, count) for done in range(count + 1)]


def test_names_keep_their_case_and_boxes_follow_the_devkit(tmp_path: Path) -> None:
    folder = write_files(tmp_path, {"a.xml": voc_xml(box_object("  Big Car ", (1, 1, 100, 80)))})
    obj = read_voc(folder).images[0].objects[0]
    assert obj.label == "Big Car"
    assert obj.box == Box(0, 0, 100, 80)  # xmin, ymin: the first pixel, 1-based; xmax: the edge
    assert read_voc(folder / "a.xml").images[0].objects[0] == obj  # one file works too


def test_fractional_corners_are_read_without_float_noise(tmp_path: Path) -> None:
    folder = write_files(
        tmp_path, {"a.xml": voc_xml(box_object(corners=(79.14, 1.3, 98.44, 10.7)))}
    )
    assert read_voc(folder).images[0].objects[0].box == Box(78.14, 0.3, 20.3, 10.4)


def test_a_missing_size_is_read_from_the_image(tmp_path: Path) -> None:
    root = tmp_path / "voc"
    write_files(root / "Annotations", {"a.xml": voc_xml(box_object(), size="")})
    write_files(
        root / "Annotations",
        {
            "b.xml": voc_xml(
                filename="b.png", size="<size><width>0</width><height>0</height></size>"
            )
        },
    )
    (root / "JPEGImages").mkdir()
    Image.new("RGB", (100, 80)).save(root / "JPEGImages" / "a.jpg")
    Image.new("RGB", (30, 20)).save(root / "JPEGImages" / "b.png")
    a, b = read_voc(root).images
    assert (a.width, a.height, b.width, b.height) == (100, 80, 30, 20)
    elsewhere = tmp_path / "elsewhere"
    shutil.move(root / "JPEGImages", elsewhere)
    assert read_voc(root / "Annotations", images=elsewhere).images[1].width == 30
    error = read_error(root / "Annotations", {})
    find_problem(error, file="a.xml", field="size", message="or the image to read its size from")


def test_splits_come_from_the_image_sets(tmp_path: Path) -> None:
    root = tmp_path / "voc"
    files = {f"{stem}.xml": voc_xml(filename=f"{stem}.jpg") for stem in "abcd"}
    write_files(root / "Annotations", files)
    write_files(
        root / "ImageSets/Main",
        {
            "train.txt": "a\nb\n",
            "val.txt": "c\n",
            "trainval.txt": "a\nb\nc\n",
            "cat_train.txt": "a  1\nb -1\n",  # a per-class list, not a split
        },
    )
    result = read_voc(root)
    assert [(i.file_name, i.split) for i in result.images] == [
        ("a.jpg", "train"),
        ("b.jpg", "train"),
        ("c.jpg", "val"),
        ("d.jpg", None),
    ]
    write_files(root / "ImageSets/Main", {"default.txt": "d\n", "test.txt": "e\n"})
    error = read_error(root, {})
    find_problem(error, file="ImageSets/Main/test.txt", line=1, message="Annotations/e.xml")
    (root / "ImageSets/Main/test.txt").unlink()
    assert read_voc(root).images[3].split is None  # "default" is no split


def test_reads_polygons(tmp_path: Path) -> None:
    polygon = (
        "<polygon><x1>11</x1><y1>11</y1><x2>21</x2><y2>11</y2><x3>16.5</x3><y3>31</y3></polygon>"
    )
    second = "<polygon><x1>51</x1><y1>51</y1><x2>61</x2><y2>51</y2><x3>56</x3><y3>61</y3></polygon>"
    objects = f"<object><name>cat</name>{polygon}{second}</object>" + box_object("dog")
    result = read_voc(write_files(tmp_path, {"a.xml": voc_xml(objects)}))
    cat, dog = result.images[0].objects
    assert cat.kind == "polygon"
    assert cat.polygons == (((10, 10), (20, 10), (15.5, 30)), ((50, 50), (60, 50), (55, 60)))
    assert cat.box is None
    assert result.labels == [LabelSpec("cat", "polygon"), LabelSpec("dog", "rectangle")]
    boxes = read_voc(tmp_path, rectangle=True).images[0].objects[0]
    assert (boxes.kind, boxes.box) == ("rectangle", Box(10, 10, 50, 50))


# --------------------------------------------------------------------------------------
# Hostile XML


BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<annotation><filename>&lol9;</filename></annotation>
"""


def test_billion_laughs_is_refused(tmp_path: Path) -> None:
    error = read_error(tmp_path, {"bomb.xml": BILLION_LAUGHS})
    find_problem(error, file="bomb.xml", message="without a DTD")
    assert error.value.message == f"PASCAL-VOC folder {tmp_path.name} is not valid: 1 problem"


def test_external_entities_are_refused(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    xxe = (
        f'<?xml version="1.0"?>\n<!DOCTYPE annotation [<!ENTITY xxe SYSTEM "{secret.as_uri()}">]>\n'
        + voc_xml(box_object("&xxe;"))
    )
    error = read_error(tmp_path / "in", {"xxe.xml": xxe})
    find_problem(error, file="xxe.xml", message="refused for safety")
    assert "TOP-SECRET" not in str(error.value)


def test_files_over_the_size_limit_are_refused(tmp_path: Path) -> None:
    folder = write_files(tmp_path, {"a.xml": voc_xml(box_object() * 50)})
    with pytest.raises(PayloadTooLargeError) as error:
        read_voc(folder, limits=Limits(max_xml_bytes=1000))
    find_problem(error, file="a.xml", message="at most 1000 bytes")


# --------------------------------------------------------------------------------------
# Malformed XML


def test_malformed_xml_names_line_and_column(tmp_path: Path) -> None:
    error = read_error(tmp_path, {"a.xml": "<annotation>\n  <filename>a.jpg</filenme>\n"})
    detail = find_problem(error, file="a.xml", line=2, message="mismatched tag at line 2")
    assert detail["column"] == 20  # 1-based: the "f" of "</filenme>"


@pytest.mark.parametrize(
    ("xml", "field", "message"),
    [
        (voc_xml(size=""), "size", "expected <size>"),
        (
            voc_xml(size="<size><width>1e2</width><height>x</height></size>"),
            "size.height",
            "positive",
        ),
        (
            voc_xml(size="<size><width>-1</width><height>5</height></size>"),
            "size.width",
            "positive",
        ),
        (voc_xml(size="<size><width>0</width><height>5</height></size>"), "size", "read its size"),
        (voc_xml(filename="../../etc/passwd"), "filename", "without '..'"),
        (voc_xml(filename="/etc/passwd"), "filename", "absolute"),
        ("<annotation><size/></annotation>", "filename", "a file name"),
        (voc_xml(box_object("")), "object[0].name", "non-empty <name>"),
        (voc_xml(box_object(corners=(1, "two", 3, 4))), "object[0].bndbox.ymin", "a number"),
        (voc_xml(box_object(corners=(1, 2, 3, "nan"))), "object[0].bndbox.ymax", "a number"),
        (voc_xml(box_object(corners=(30, 2, 10, 4))), "object[0].bndbox", "xmax >= xmin"),
        (voc_xml(box_object(corners=(1, 2, 300, 4))), "object[0]", "inside the 100x80 image"),
        (voc_xml("<object><name>a</name></object>"), "object[0]", "<bndbox> or a <polygon>"),
        (
            voc_xml("<object><name>a</name><polygon><x1>1</x1><y1>1</y1></polygon></object>"),
            "object[0].polygon[0]",
            "at least 3 points",
        ),
        (
            voc_xml(
                "<object><name>a</name><polygon><x1>1</x1><y1>1</y1><x2>2</x2><y2>2</y2>"
                "<x4>3</x4><y4>3</y4></polygon></object>"
            ),
            "object[0].polygon[0]",
            "without gaps",
        ),
        (
            voc_xml("<object><name>a</name><polygon><pt>1</pt></polygon></object>"),
            "object[0].polygon[0]",
            "<x1>, <y1>",
        ),
        (
            voc_xml("<object><name>a</name><polygon><x1>one</x1></polygon></object>"),
            "object[0].polygon[0].x1",
            "a number",
        ),
    ],
)
def test_bad_files(tmp_path: Path, xml: str, field: str, message: str) -> None:
    error = read_error(tmp_path, {"a.xml": xml})
    find_problem(error, file="a.xml", field=field, message=message)


def test_a_filename_with_folders_keeps_its_path(tmp_path: Path) -> None:
    files = {"a.xml": voc_xml(filename="VOC2012/a.jpg"), "b.xml": voc_xml(filename="b.jpg")}
    result = read_voc(write_files(tmp_path, files))
    assert [(i.file_name, i.path) for i in result.images] == [
        ("a.jpg", "VOC2012/a.jpg"),
        ("b.jpg", None),
    ]


def test_wrong_root_and_duplicates_and_empty_folders(tmp_path: Path) -> None:
    error = read_error(tmp_path / "one", {"a.xml": "<html/>"})
    find_problem(error, file="a.xml", message="<annotation> root element")
    error = read_error(tmp_path / "two", {"a.xml": voc_xml(), "b.xml": voc_xml()})
    find_problem(error, file="b.xml", field="filename", message="also in a.xml")
    (tmp_path / "empty").mkdir()
    with pytest.raises(InvalidInputError) as no_files:
        read_voc(tmp_path / "empty")
    find_problem(no_files, file="empty", message="expected a folder of .xml files")


def test_every_file_is_checked(tmp_path: Path) -> None:
    files = {f"{i}.xml": voc_xml(size="", filename=f"{i}.jpg") for i in range(3)}
    error = read_error(tmp_path, files)
    assert [d["file"] for d in error.value.details] == ["0.xml", "1.xml", "2.xml"]


# --------------------------------------------------------------------------------------
# Export


def test_round_trip(generated_root: Path, tmp_path: Path) -> None:
    first = read_voc(generated_root / "voc")
    written = export(first, tmp_path / "out")
    assert read_voc(written) == first
    for source in sorted((generated_root / "voc/Annotations").glob("*.xml")):
        mine = ET.parse(written / source.name).getroot()
        theirs = ET.parse(source).getroot()
        assert mine.findtext("filename") == theirs.findtext("filename")
        assert [o.findtext("name") for o in mine.iter("object")] == [
            o.findtext("name") for o in theirs.iter("object")
        ]
        assert [c.text for c in mine.iter() if c.tag in ("xmin", "ymin", "xmax", "ymax")] == [
            c.text for c in theirs.iter() if c.tag in ("xmin", "ymin", "xmax", "ymax")
        ]


def test_polygons_round_trip(tmp_path: Path) -> None:
    ring = ((10.0, 10.0), (20.5, 10.0), (15.0, 30.25))
    image = AnnotatedImage(
        file_name="a.png",
        width=100,
        height=80,
        objects=(
            Obj(label="cat", kind="polygon", polygons=(ring, ring), box=Box(10, 10, 10.5, 20.25)),
            Obj(label="dog", kind="rectangle", box=Box(0.5, 1, 2, 3), score=0.25),
        ),
    )
    labels = [LabelSpec("cat", "polygon"), LabelSpec("dog", "rectangle")]
    written = export(Annotations(labels=labels, images=[image]), tmp_path / "out")
    root = ET.parse(written / "a.xml").getroot()
    assert root.findtext("segmented") == "0"  # no segmentation mask is written
    assert root.findtext("object/polygon/x2") == "21.5"
    assert root.findtext("object/bndbox/xmin") == "11"
    assert root.findtext("object/bndbox/xmax") == "20.5"
    again = read_voc(written)
    cat, dog = again.images[0].objects
    assert cat.polygons == image.objects[0].polygons
    assert cat.box == image.objects[0].box
    assert (dog.box, dog.score) == (Box(0.5, 1, 2, 3), 0.25)
    assert again.labels == labels


def test_exporter_skips_what_voc_cannot_hold(tmp_path: Path) -> None:
    mask = Mask(4, 4, (5, 2, 9))  # pixels (1,1), (1,2)
    image = AnnotatedImage(
        file_name="a.jpg",
        width=4,
        height=4,
        objects=(
            Obj(label="tag", kind="classification"),
            Obj(label="blob", kind="mask", mask=mask),
        ),
        extra={"2d": "not a tag name", "owner": {"name": "me"}},
    )
    labels = [LabelSpec("tag", "classification"), LabelSpec("blob", "polygon")]
    written = export(Annotations(labels=labels, images=[image]), tmp_path / "out")
    root = ET.parse(written / "a.xml").getroot()
    assert [o.findtext("name") for o in root.iter("object")] == ["blob"]
    assert [root.findtext(f"object/bndbox/{t}") for t in ("xmin", "ymin", "xmax", "ymax")] == [
        "2",
        "2",
        "2",
        "3",
    ]
    assert root.findtext("owner/name") == "me"
    assert root.find("2d") is None


def test_exporter_refuses_colliding_stems_and_control_characters(tmp_path: Path) -> None:
    labels = [LabelSpec("a", "rectangle")]
    with FolderSink(tmp_path / "out") as sink, VocExporter(sink, labels) as exporter:
        exporter.write(AnnotatedImage(file_name="x.jpg", width=1, height=1))
        with pytest.raises(InvalidInputError) as error:
            exporter.write(AnnotatedImage(file_name="x.png", width=1, height=1))
        find_problem(error, file="Annotations/x.xml", message="written once")
        bad = AnnotatedImage(file_name="y.jpg", width=1, height=1, extra={"note": "bell\x07"})
        with pytest.raises(InvalidInputError) as error:
            exporter.write(bad)
        find_problem(error, file="y.jpg", field="note", message="control characters")


# The exporter writes XML as text; this is the ``ElementTree`` writer it replaced, kept as
# the reference its bytes must equal.


def _et_leaf(parent: ET.Element, tag: str, value: Any) -> None:
    ET.SubElement(parent, tag).text = "" if value is None else str(value)


def _et_append(parent: ET.Element, key: str, value: Any) -> None:
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.-]*", key) or key.lower().startswith("xml"):
        return
    if isinstance(value, dict):
        element = ET.SubElement(parent, key)
        for child_key, child in value.items():
            _et_append(element, str(child_key), child)
    elif isinstance(value, list | tuple):
        for item in value:
            _et_append(parent, key, item)
    else:
        _et_leaf(parent, key, value)


def _et_fmt(value: float) -> str:
    value = float(value)
    return str(int(value)) if value.is_integer() else repr(value)


def elementtree_xml(image: AnnotatedImage) -> bytes:
    root = ET.Element("annotation")
    extra = dict(image.extra)
    _et_leaf(root, "folder", extra.pop("folder", "JPEGImages"))
    _et_leaf(root, "filename", image.file_name)
    extra.pop("segmented", None)
    depth = extra.pop("depth", 3)
    for key, value in extra.items():
        _et_append(root, key, value)
    size = ET.SubElement(root, "size")
    for tag, value in (("width", image.width), ("height", image.height), ("depth", depth)):
        _et_leaf(size, tag, value)
    _et_leaf(root, "segmented", 0)
    for obj in image.objects:
        box = obj.extent()
        if box is None:
            continue
        element = ET.SubElement(root, "object")
        _et_leaf(element, "name", obj.label)
        object_extra = dict(obj.extra)
        for key, default in (("pose", "Unspecified"), ("truncated", 0), ("difficult", 0)):
            _et_leaf(element, key, object_extra.pop(key, default))
        for key, value in object_extra.items():
            _et_append(element, key, value)
        if obj.score is not None:
            _et_leaf(element, "score", _et_fmt(obj.score))
        bndbox = ET.SubElement(element, "bndbox")
        x, y, w, h = (Decimal(repr(v)) for v in (box.x, box.y, box.w, box.h))
        corners = (
            max(x, Decimal(0)) + 1,
            max(y, Decimal(0)) + 1,
            min(x + w, Decimal(image.width)),
            min(y + h, Decimal(image.height)),
        )
        for tag, value in zip(("xmin", "ymin", "xmax", "ymax"), corners, strict=True):
            _et_leaf(bndbox, tag, _et_fmt(float(value)))
        for ring in obj.polygons:
            polygon = ET.SubElement(element, "polygon")
            for index, (px, py) in enumerate(ring, start=1):
                _et_leaf(polygon, f"x{index}", _et_fmt(float(Decimal(repr(px)) + 1)))
                _et_leaf(polygon, f"y{index}", _et_fmt(float(Decimal(repr(py)) + 1)))
    ET.indent(root, space="  ")
    data: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return data + b"\n"


EXPORTED_IMAGES = [
    AnnotatedImage(file_name="plain.jpg", width=640, height=480),
    AnnotatedImage(
        file_name="r&d 'é' ☃.jpg",
        width=100,
        height=80,
        objects=(
            Obj(label="car & <co>", kind="rectangle", box=Box(0.5, 1, 10.25, 20), score=0.875),
            Obj(
                label="road",
                kind="polygon",
                polygons=(((1, 2), (30.5, 2), (30.5, 40.125)), ((5, 5), (6, 5), (6, 7))),
                extra={"pose": "Left", "difficult": 1, "occluded": None, "note": "  "},
            ),
            Obj(label="blob", kind="mask", mask=Mask(4, 4, (5, 2, 9))),
            Obj(label="tag", kind="classification"),
        ),
        extra={
            "folder": "VOC2012",
            "segmented": 0,
            "depth": 1,
            "source": {"database": "The VOC2007 Database", "image": "flickr", "empty": {}},
            "owner": {"flickrid": "x", "name": ""},
            "tags": ["a", "b", {"deep": {"deeper": [1, 2.5, None]}}],
            "2d": "not an XML name",
            "xmlns": "skipped",
            "nothing": None,
        },
    ),
]


@pytest.mark.parametrize("image", EXPORTED_IMAGES, ids=["empty", "everything"])
def test_exporter_writes_the_bytes_elementtree_writes(
    image: AnnotatedImage, tmp_path: Path
) -> None:
    labels = [LabelSpec(o.label, "rectangle") for o in image.objects]
    written = export(Annotations(labels=labels, images=[image]), tmp_path)
    data = (written / f"{Path(image.file_name).stem}.xml").read_bytes()
    assert data == elementtree_xml(image)
    ET.fromstring(data)  # and it parses


# --------------------------------------------------------------------------------------
# The devkit's convention, splits and the label map on export


def test_boxes_are_written_by_the_devkit_convention(tmp_path: Path) -> None:
    image = AnnotatedImage(
        file_name="a.jpg",
        width=64,
        height=48,
        objects=(
            Obj(label="cat", kind="rectangle", box=Box(4.5, 6.25, 20, 15.5)),
            Obj(label="cat", kind="rectangle", box=Box(40, 30, 24, 18)),  # on the border
            Obj(label="cat", kind="rectangle", box=Box(78.14 - 40, 1.3, 20.3, 10.4)),
            Obj(label="cat", kind="rectangle", box=Box(-0.5, 47.5, 10, 1)),  # outside, in slack
            Obj(label="cat", kind="rectangle", box=Box(63.8, 10, 0.1, 0.2)),  # under a pixel
        ),
    )
    labels = [LabelSpec("cat", "rectangle")]
    with FolderSink(tmp_path / "out") as sink, VocExporter(sink, labels) as exporter:
        exporter.write(image)
    root = ET.parse(tmp_path / "out/Annotations/a.xml").getroot()
    corners = [
        [box.findtext(tag) for tag in ("xmin", "ymin", "xmax", "ymax")]
        for box in root.iter("bndbox")
    ]
    assert corners == [
        ["5.5", "7.25", "24.5", "21.75"],
        ["41", "31", "64", "48"],  # never past the image
        ["39.14", "2.3", "58.44", "11.7"],  # no float noise
        ["1", "48", "9.5", "48"],  # cut to the image, then widened to its last pixel row
        ["64", "11", "64", "11"],  # the last pixel column, one pixel high
    ]
    assert exporter.report() == [
        "2 boxes less than a pixel wide or high widened to one pixel (PASCAL-VOC's corners "
        "are whole pixels: xmax >= xmin)"
    ]
    back = read_voc(tmp_path / "out", images=tmp_path)
    assert [o.box for o in back.images[0].objects][:3] == [
        Box(4.5, 6.25, 20, 15.5),
        Box(40, 30, 24, 18),
        Box(38.14, 1.3, 20.3, 10.4),
    ]


def test_image_sets_and_the_label_map_are_written(tmp_path: Path) -> None:
    images = [
        AnnotatedImage(file_name=f"{stem}.jpg", width=10, height=10, split=split)
        for stem, split in (("a", "train"), ("b", "val"), ("c", "train"), ("d", None))
    ]
    labels = [LabelSpec("Traffic Light", "rectangle"), LabelSpec("dog", "rectangle")]
    with FolderSink(tmp_path / "out") as sink, VocExporter(sink, labels) as exporter:
        for image in images:
            exporter.write(image)
    sets = tmp_path / "out/ImageSets/Main"
    assert sorted(p.name for p in sets.iterdir()) == ["default.txt", "train.txt", "val.txt"]
    assert (sets / "train.txt").read_text() == "a\nc\n"
    assert (sets / "default.txt").read_text() == "d\n"
    assert (tmp_path / "out/labelmap.txt").read_text() == (
        "# label:color_rgb:parts:actions\n"
        "background:0,0,0::\n"
        "Traffic Light:128,0,0::\n"
        "dog:0,128,0::\n"
    )
    again = read_voc(tmp_path / "out")
    assert [(i.file_name, i.split) for i in again.images] == [
        (i.file_name, i.split) for i in images
    ]
    # an empty export still lists its (empty) default split
    with FolderSink(tmp_path / "empty") as sink, VocExporter(sink, labels):
        pass
    assert (tmp_path / "empty/ImageSets/Main/default.txt").read_text() == ""


def test_label_names_the_label_map_cannot_hold_are_refused(tmp_path: Path) -> None:
    for name in ("a:b", "a\nb", "tab\there"):
        with pytest.raises(InvalidInputError) as error:
            VocExporter(FolderSink(tmp_path / "out"), [LabelSpec(name, "rectangle")])
        find_problem(error, field="labels[0].name", message="without ':', line breaks")


def test_what_datumaro_writes_is_read_whole(tmp_path: Path) -> None:
    """Datumaro writes no XML for an image without objects (only its line in the split
    list), stems with spaces, and labelmap.txt with every class, background first."""
    root = tmp_path / "voc"
    write_files(
        root / "Annotations",
        {"a b.xml": voc_xml(box_object("dog"), filename="a b.jpg")},
    )
    write_files(root / "ImageSets/Main", {"train.txt": "a b\nempty\n", "dog_train.txt": "a b  1\n"})
    write_files(
        root, {"labelmap.txt": "# label:color_rgb:parts:actions\nbackground:::\ncat:::\ndog:::\n"}
    )
    (root / "JPEGImages").mkdir()
    Image.new("RGB", (100, 80)).save(root / "JPEGImages/a b.jpg")
    Image.new("RGB", (30, 20)).save(root / "JPEGImages/empty.png")
    result = read_voc(root)
    assert [(i.file_name, i.split, len(i.objects), i.width) for i in result.images] == [
        ("a b.jpg", "train", 1, 100),
        ("empty.png", "train", 0, 30),
    ]
    # the label map's order and its class without objects; its background is no label
    assert [label.name for label in result.labels] == ["cat", "dog"]
    # given the VOC root as the images folder, paths lead into JPEGImages/
    assert [i.path for i in read_voc(root, images=root).images] == [
        "JPEGImages/a b.jpg",
        "JPEGImages/empty.png",
    ]


def test_the_fast_one_based_text_is_the_decimal_sum() -> None:
    """The exporter's fast ways to a corner's text, against their reference, the decimal
    sum."""
    import random

    from pixlake.formats.voc import _fmt, _plus_one, _sum_text, decimal_sum

    rng = random.Random(5)
    values = [0.0, 1.0, -0.5, -1.0, 0.1 + 0.2, 78.14, 1e-7, 2.5e-300, 1e16, 123456789.125]
    for _ in range(20_000):
        values += [
            round(rng.uniform(-1, 5000), rng.randint(0, 6)),
            rng.uniform(-1, 1e5),
            rng.uniform(0, 1) * 10 ** rng.randint(-9, 4),
            round(rng.uniform(0, 640), 2) + round(rng.uniform(0, 640), 2),  # sums with noise
            rng.randint(0, 10_000) / rng.choice([3, 7, 10, 64, 100, 1000]),
        ]
    assert [v for v in values if _plus_one(v) != _fmt(decimal_sum(v, 1))] == []
    pairs = list(zip(values, reversed(values), strict=True))
    assert [(a, b) for a, b in pairs if _sum_text(a, b) != _fmt(decimal_sum(a, b))] == []
