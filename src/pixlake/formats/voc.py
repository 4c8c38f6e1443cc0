"""PASCAL-VOC XML, one file per image: reader and exporter.

XML is parsed with ``defusedxml`` and any DTD, entity or external reference is refused, so
billion-laughs and external-entity files are rejected before anything is expanded.  VOC
corners are 1-based: reading shifts them by -1, writing by +1 (SDK contract).  See the package
documentation for the mapping rules.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final
from xml.etree import ElementTree as ET

from defusedxml import DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden
from defusedxml import ElementTree as SafeET

from pixlake.errors import InvalidInputError

from ._io import display_name, read_bounded
from ._names import base_name_of, folder_path_of
from ._problems import Problems, describe
from ._shared import first_kind, geometry_problem, label_specs
from .base import (
    DEFAULT_LIMITS,
    AnnotatedImage,
    Annotations,
    Box,
    Exporter,
    Limits,
    Obj,
    ReadProgress,
    Ring,
    SizeLookup,
    StrPath,
)

__all__ = ["ANNOTATIONS_DIR", "IMAGES_DIR", "VocExporter", "read_voc"]

#: Folder of the XML files in a VOC export.
ANNOTATIONS_DIR: Final = "Annotations"
#: Folder of the images in a VOC export.
IMAGES_DIR: Final = "JPEGImages"

_INT_FIELDS: Final = frozenset({"difficult", "truncated", "occluded", "depth", "segmented"})
_IMAGE_TAGS: Final = frozenset({"filename", "size", "object"})
_OBJECT_TAGS: Final = frozenset({"name", "bndbox", "polygon", "score"})
_CORNERS: Final = ("xmin", "ymin", "xmax", "ymax")
_POLYGON_TAG: Final = re.compile(r"([xy])([1-9][0-9]*)")
_INTEGER: Final = re.compile(r"[+-]?[0-9]+")
_XML_NAME: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*")
_XML_FORBIDDEN: Final = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def read_voc(
    path: StrPath,
    /,
    *,
    rectangle: bool = False,
    images: StrPath | None = None,
    image_size: SizeLookup | None = None,
    limits: Limits = DEFAULT_LIMITS,
    progress: ReadProgress | None = None,
) -> Annotations:
    """Read and validate PASCAL-VOC XML files.

    ``path`` is a folder of ``.xml`` files (or a VOC root holding ``Annotations/``), or one
    XML file.  Files are read in name order; labels come in order of first appearance.
    ``rectangle=True`` turns polygons into rectangles.  ``images`` and ``image_size`` are
    not used: each file gives its ``<size>``.  Raises ``InvalidInputError`` listing every
    problem, or ``PayloadTooLargeError`` for a file past ``limits.max_xml_bytes``.
    """
    root = Path(path)
    if root.is_file():
        folder, files = root.parent, [root]
    elif root.is_dir():
        folder = root
        files = _xml_files(folder)
        if not files and (root / ANNOTATIONS_DIR).is_dir():
            folder = root / ANNOTATIONS_DIR
            files = _xml_files(folder)
    else:
        folder, files = root, []
    if not files:
        raise InvalidInputError(
            f"no PASCAL-VOC file in {root.name}",
            details=[
                {
                    "file": root.name,
                    "line": None,
                    "field": None,
                    "message": "expected a folder of .xml files or an .xml file",
                }
            ],
        )
    problems = Problems(limit=limits.max_problems)
    parser = _VocParser(problems=problems, rectangle=rectangle, limits=limits)
    images_out: list[AnnotatedImage] = []
    seen: dict[str, str] = {}
    for done, file in enumerate(files):
        if progress is not None:
            progress(done, len(files))
        display = display_name(file, folder)
        data = read_bounded(file, limit=limits.max_xml_bytes, display=display, what="XML file")
        problems.file = display
        image = parser.parse(data)
        if image is None:
            continue
        if image.file_name in seen:
            problems.add(
                f"expected a unique file name, {image.file_name!r} is also in "
                f"{seen[image.file_name]}",
                field="filename",
            )
            continue
        seen[image.file_name] = display
        images_out.append(image)
    problems.file = None
    if progress is not None:
        progress(len(files), len(files))
    problems.raise_if_any(
        f"PASCAL-VOC file {root.name}" if root.is_file() else f"PASCAL-VOC folder {folder.name}"
    )
    objects = [obj for image in images_out for obj in image.objects]
    names = dict.fromkeys(obj.label for obj in objects)
    return Annotations(
        labels=label_specs(names, objects, default=first_kind(objects, "rectangle")),
        images=images_out,
    )


def _xml_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.suffix.lower() == ".xml" and p.is_file())


def _number(text: str | None) -> float | None:
    if text is None:
        return None
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


class _VocParser:
    def __init__(self, *, problems: Problems, rectangle: bool, limits: Limits) -> None:
        self.problems = problems
        self.rectangle = rectangle
        self.limits = limits

    def parse(self, data: bytes) -> AnnotatedImage | None:
        problems = self.problems
        try:
            root = SafeET.fromstring(
                data, forbid_dtd=True, forbid_entities=True, forbid_external=True
            )
        except DTDForbidden:
            problems.add("expected XML without a DTD (<!DOCTYPE ...>), refused for safety")
            return None
        except EntitiesForbidden:
            problems.add("expected XML without entity declarations, refused for safety")
            return None
        except ExternalReferenceForbidden:
            problems.add("expected XML without external references, refused for safety")
            return None
        except ET.ParseError as exc:
            line, offset = exc.position  # expat counts columns from 0
            reason = str(exc).rsplit(": line ", 1)[0]
            problems.add(
                f"expected well-formed XML: {reason} at line {line}, column {offset + 1}",
                line=line,
                column=offset + 1,
            )
            return None
        if root.tag != "annotation":
            problems.add(f"expected an <annotation> root element, got <{root.tag}>")
            return None
        before = len(problems)
        given = _text(root, "filename")
        name, problem = base_name_of(given)
        if problem is not None:
            problems.add(problem, field="filename")
        width, height, depth = self._size(root.find("size"))
        extra: dict[str, Any] = {}
        if depth is not None:
            extra["depth"] = depth
        for child in root:
            if child.tag not in _IMAGE_TAGS:
                _add_value(extra, child.tag, self._value(child, child.tag, 1))
        objects = [
            self._object(element, f"object[{index}]", width, height)
            for index, element in enumerate(root.findall("object"))
        ]
        if len(problems) > before or name is None:
            return None
        return AnnotatedImage(
            file_name=name,
            width=width,
            height=height,
            objects=tuple(obj for obj in objects if obj is not None),
            extra=extra,
            path=folder_path_of(given) if isinstance(given, str) else None,
        )

    def _size(self, size: ET.Element | None) -> tuple[int, int, Any]:
        if size is None:
            self.problems.add("expected <size> with <width> and <height>", field="size")
            return 0, 0, None
        values = []
        for tag in ("width", "height"):
            text = _text(size, tag)
            value = _number(text)
            if value is None or not value.is_integer() or value <= 0:
                self.problems.add(
                    f"expected a positive integer, got {describe(text)}", field=f"size.{tag}"
                )
                value = 0
            values.append(int(value))
        depth = _text(size, "depth")
        return values[0], values[1], _scalar("depth", depth) if depth else None

    def _object(self, element: ET.Element, here: str, width: int, height: int) -> Obj | None:
        problems = self.problems
        before = len(problems)
        name = (_text(element, "name") or "").strip().lower()
        if not name:
            problems.add("expected a non-empty <name>", field=f"{here}.name")
        box = None
        bndbox = element.find("bndbox")
        if bndbox is not None:
            box = self._box(bndbox, f"{here}.bndbox")
        rings: list[Ring] = []
        for index, polygon in enumerate(element.findall("polygon")):
            ring = self._ring(polygon, f"{here}.polygon[{index}]")
            if ring is not None:
                rings.append(ring)
        score = None
        score_text = _text(element, "score")
        if score_text is not None:
            score = _number(score_text)
            if score is None:
                problems.add(
                    f"expected a number, got {describe(score_text)}", field=f"{here}.score"
                )
        if bndbox is None and not element.findall("polygon"):
            problems.add("expected a <bndbox> or a <polygon>", field=here)
        extra: dict[str, Any] = {}
        for child in element:
            if child.tag not in _OBJECT_TAGS:
                _add_value(extra, child.tag, self._value(child, f"{here}.{child.tag}", 1))
        if len(problems) > before:
            return None
        problem = geometry_problem(box, rings, width, height, self.limits.tolerance)
        if problem is not None:
            problems.add(problem, field=here)
            return None
        if rings and self.rectangle:
            box, rings = box or Box.enclosing(rings), []
        return Obj(
            label=name,
            kind="polygon" if rings else "rectangle",
            box=box,
            polygons=tuple(rings),
            score=score,
            extra=extra,
        )

    def _box(self, bndbox: ET.Element, here: str) -> Box | None:
        corners = []
        for tag in _CORNERS:
            text = _text(bndbox, tag)
            value = _number(text)
            if value is None:
                self.problems.add(f"expected a number, got {describe(text)}", field=f"{here}.{tag}")
            corners.append(value)
        if None in corners:
            return None
        xmin, ymin, xmax, ymax = (value - 1 for value in corners if value is not None)
        if xmax < xmin or ymax < ymin:
            self.problems.add(
                "expected xmax >= xmin and ymax >= ymin (a box of width and height >= 0)",
                field=here,
            )
            return None
        return Box.from_corners(xmin, ymin, xmax, ymax)

    def _ring(self, polygon: ET.Element, here: str) -> Ring | None:
        coordinates: dict[tuple[str, int], float] = {}
        for child in polygon:
            match = _POLYGON_TAG.fullmatch(child.tag)
            value = _number(child.text)
            if match is None:
                self.problems.add(
                    f"expected <x1>, <y1>, <x2>, ... children, got <{child.tag}>", field=here
                )
                return None
            if value is None:
                self.problems.add(
                    f"expected a number, got {describe(child.text)}", field=f"{here}.{child.tag}"
                )
                return None
            coordinates[match.group(1), int(match.group(2))] = value - 1
        count = len(coordinates) // 2
        points = [
            (coordinates.get(("x", i)), coordinates.get(("y", i))) for i in range(1, count + 1)
        ]
        if len(coordinates) % 2 or any(x is None or y is None for x, y in points):
            self.problems.add("expected pairs <xN>, <yN> numbered from 1 without gaps", field=here)
            return None
        if count < 3:
            self.problems.add(f"expected at least 3 points, got {count}", field=here)
            return None
        return tuple((x, y) for x, y in points if x is not None and y is not None)

    def _value(self, element: ET.Element, here: str, depth: int) -> Any:
        """An element as JSON-like data: text for a leaf, a dict for children."""
        children = list(element)
        if not children:
            return _scalar(element.tag, (element.text or "").strip())
        if depth >= self.limits.max_depth:
            self.problems.add(
                f"expected elements nested at most {self.limits.max_depth} levels deep",
                field=here,
            )
            return None
        out: dict[str, Any] = {}
        for child in children:
            _add_value(out, child.tag, self._value(child, f"{here}.{child.tag}", depth + 1))
        return out


def _text(element: ET.Element, tag: str) -> str | None:
    child = element.find(tag)
    if child is None:
        return None
    return (child.text or "").strip()


def _scalar(tag: str, text: str) -> Any:
    if tag in _INT_FIELDS and _INTEGER.fullmatch(text):
        return int(text)
    return text


def _add_value(out: dict[str, Any], tag: str, value: Any) -> None:
    """Set ``out[tag]``; a repeated tag becomes a list of its values."""
    if tag not in out:
        out[tag] = value
    elif type(out[tag]) is list:  # leaves are strings or ints, never lists
        out[tag].append(value)
    else:
        out[tag] = [out[tag], value]


# --------------------------------------------------------------------------------------
# Export


def _fmt(value: float) -> str:
    """A coordinate as VOC text: integers without a decimal point, else the shortest float."""
    value = float(value)
    return str(int(value)) if value.is_integer() else repr(value)


class VocExporter(Exporter):
    """Writes ``Annotations/<stem>.xml`` per image; images go to ``JPEGImages/<file_name>``.

    Boxes are written as 1-based corners; every polygon ring as a ``<polygon>`` element with
    ``<x1>, <y1>, ...``; masks as their box; classification objects are not written (VOC
    has no place for them).  ``pose``, ``truncated`` and ``difficult`` default to
    ``Unspecified``, 0 and 0, since common VOC readers require them.
    """

    format = "PASCAL-VOC"
    images_folder = IMAGES_DIR

    def paths_of(self, file_name: str) -> tuple[str, ...]:
        return (self.image_path(file_name), self.annotation_path(file_name))

    def annotation_path(self, file_name: str) -> str:
        """Where the XML file of image ``file_name`` goes."""
        return f"{ANNOTATIONS_DIR}/{os.path.splitext(file_name)[0]}.xml"

    def _write(self, image: AnnotatedImage) -> None:
        name = image.file_name
        out = [_DECLARATION, "<annotation>"]
        extra = dict(image.extra)
        _leaf(out, 1, "folder", extra.pop("folder", IMAGES_DIR), name)
        _leaf(out, 1, "filename", name, name)
        segmented = extra.pop("segmented", None)
        depth = extra.pop("depth", 3)
        for key, value in extra.items():
            _append(out, 1, key, value, name)
        out.append("  <size>")
        _leaf(out, 2, "width", image.width, name)
        _leaf(out, 2, "height", image.height, name)
        _leaf(out, 2, "depth", depth, name)
        out.append("  </size>")
        if segmented is None:
            segmented = int(any(obj.polygons or obj.mask for obj in image.objects))
        _leaf(out, 1, "segmented", segmented, name)
        for obj in image.objects:
            box = obj.extent()
            if box is not None:
                _object(out, obj, box, name)
        out.append("</annotation>\n")
        self.sink.write_bytes(self.annotation_path(name), "\n".join(out).encode())


# The XML is written as text, exactly as ``ElementTree`` writes it once indented by
# ``ET.indent(root, space="  ")`` (a test compares both): ten times faster, which for
# polygons of hundreds of points is most of an export's time.
_DECLARATION: Final = "<?xml version='1.0' encoding='utf-8'?>"
_PADS: Final = tuple("  " * depth for depth in range(16))


def _pad(depth: int) -> str:
    return _PADS[depth] if depth < len(_PADS) else "  " * depth


def _object(out: list[str], obj: Obj, box: Box, file_name: str) -> None:
    out.append("  <object>")
    _leaf(out, 2, "name", obj.label, file_name)
    extra = dict(obj.extra)
    for key, default in (("pose", "Unspecified"), ("truncated", 0), ("difficult", 0)):
        _leaf(out, 2, key, extra.pop(key, default), file_name)
    for key, value in extra.items():
        _append(out, 2, key, value, file_name)
    if obj.score is not None:
        _leaf(out, 2, "score", _fmt(obj.score), file_name)
    out.append("    <bndbox>")
    for tag, value in zip(_CORNERS, (box.x, box.y, box.right, box.bottom), strict=True):
        out.append(f"      <{tag}>{_fmt(value + 1)}</{tag}>")
    out.append("    </bndbox>")
    for ring in obj.polygons:
        if not ring:
            out.append("    <polygon />")
            continue
        out.append("    <polygon>")
        for index, (x, y) in enumerate(ring, start=1):
            out.append(f"      <x{index}>{_fmt(x + 1)}</x{index}>")
            out.append(f"      <y{index}>{_fmt(y + 1)}</y{index}>")
        out.append("    </polygon>")
    out.append("  </object>")


def _escape(text: str) -> str:
    """Text content escaped as ``ElementTree`` escapes it."""
    if "&" in text:
        text = text.replace("&", "&amp;")
    if "<" in text:
        text = text.replace("<", "&lt;")
    if ">" in text:
        text = text.replace(">", "&gt;")
    return text


def _leaf(out: list[str], depth: int, tag: str, value: Any, file_name: str) -> None:
    text = "" if value is None else str(value)
    if _XML_FORBIDDEN.search(text):
        raise InvalidInputError(
            f"cannot write {tag} of {file_name} as XML",
            details=[
                {
                    "file": file_name,
                    "line": None,
                    "field": tag,
                    "message": "expected text without control characters",
                }
            ],
        )
    pad = _pad(depth)
    out.append(f"{pad}<{tag}>{_escape(text)}</{tag}>" if text else f"{pad}<{tag} />")


def _append(out: list[str], depth: int, key: str, value: Any, file_name: str) -> None:
    """Write an ``extra`` value: mappings as children, repeated values as repeated tags.

    Keys that are not XML names (``"2d"``, ``"a b"``) cannot be written and are skipped.
    """
    if not _XML_NAME.fullmatch(key) or key.lower().startswith("xml"):
        return
    if isinstance(value, Mapping):
        children: list[str] = []
        for child_key, child in value.items():
            _append(children, depth + 1, str(child_key), child, file_name)
        pad = _pad(depth)
        if children:
            out.append(f"{pad}<{key}>")
            out.extend(children)
            out.append(f"{pad}</{key}>")
        else:
            out.append(f"{pad}<{key} />")
    elif isinstance(value, list | tuple):
        for item in value:
            _append(out, depth, key, item, file_name)
    else:
        _leaf(out, depth, key, value, file_name)
