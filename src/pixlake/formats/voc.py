"""PASCAL-VOC XML, one file per image: reader and exporter.

XML is parsed with ``defusedxml`` and any DTD, entity or external reference is refused, so
billion-laughs and external-entity files are rejected before anything is expanded.  Boxes
follow the VOC devkit's convention, as supervision and Datumaro do: ``xmin`` and ``ymin`` are
the 1-based first pixel, ``xmax`` and ``ymax`` the far edge, so a box ``(x, y, w, h)`` is
``xmin = x + 1``, ``ymin = y + 1``, ``xmax = x + w``, ``ymax = y + h``.  Splits are the
``ImageSets/Main/<split>.txt`` lists.  See the package documentation for the mapping rules.
"""

from __future__ import annotations

import dataclasses
import math
import os
import re
import shutil
import tempfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import IO, Any, Final, NamedTuple
from xml.etree import ElementTree as ET

from defusedxml import DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden
from defusedxml import ElementTree as SafeET

from pixlake._text import counted
from pixlake.errors import InvalidInputError
from pixlake.imaging import IMAGE_SUFFIXES
from pixlake.names import (
    DEFAULT_SPLIT,
    base_name_of,
    file_name_problem,
    folder_path_of,
    label_problem,
    split_of,
    split_problem,
)
from pixlake.problems import Problems, describe

from ._io import ImageSizes, display_name, read_bounded
from .compact import CompactObject, from_compact
from .model import (
    DEFAULT_LIMITS,
    AnnotatedImage,
    Annotations,
    Box,
    LabelSpec,
    Limits,
    Obj,
    Ring,
    first_kind,
    geometry_problem,
    label_specs,
)
from .protocols import Exporter, FormatDescriptor, ReadProgress, SizeLookup, StrPath
from .sinks import Sink

__all__ = [
    "FORMAT",
    "ANNOTATIONS_DIR",
    "IMAGES_DIR",
    "LABELMAP_PATH",
    "SPLITS_DIR",
    "VocExporter",
    "read_voc",
]

#: Folder of the XML files in a VOC export.
ANNOTATIONS_DIR: Final = "Annotations"
#: Folder of the images in a VOC export.
IMAGES_DIR: Final = "JPEGImages"
#: Folder of the split lists (``<split>.txt``, one image stem a line).
SPLITS_DIR: Final = "ImageSets/Main"
#: The label map Datumaro and CVAT read class names from (``name:r,g,b::`` lines).
LABELMAP_PATH: Final = "labelmap.txt"
#: Split lists that only group others (VOC's ``trainval`` is ``train`` plus ``val``): an image
#: they list takes its split from another list when one lists it too.
_UNION_SPLITS: Final = frozenset({"trainval"})

_INT_FIELDS: Final = frozenset({"difficult", "truncated", "occluded", "depth", "segmented"})
_IMAGE_TAGS: Final = frozenset({"filename", "size", "object"})
_OBJECT_TAGS: Final = frozenset({"name", "bndbox", "polygon", "score"})
_CORNERS: Final = ("xmin", "ymin", "xmax", "ymax")
#: A line of a per-class list (``ImageSets/Main/<class>_<split>.txt``): a stem and -1, 0 or 1.
_CLASS_ROW: Final = re.compile(r".*\S\s+(?:-1|0|1)")
_POLYGON_TAG: Final = re.compile(r"([xy])([1-9][0-9]*)")
_INTEGER: Final = re.compile(r"[+-]?[0-9]+")
_XML_NAME: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*")
_XML_FORBIDDEN: Final = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
#: What a class name in ``labelmap.txt`` cannot hold: its field separator, line breaks, and
#: what XML cannot hold.
_LABELMAP_FORBIDDEN: Final = re.compile("[:\x00-\x1f\ufffe\uffff]")


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

    ``path`` is a folder of ``.xml`` files, a VOC root holding ``Annotations/`` (and maybe
    ``ImageSets/Main/<split>.txt``, which give the images' splits, and ``labelmap.txt``,
    which gives the classes and their order), or one XML file.  Files are read in name
    order; labels come in the label map's order, then in order of first appearance, their
    names as written (stripped); the label map's ``background`` is not a label unless an
    object has it.  ``rectangle=True`` turns polygons into rectangles.  A file without ``<size>``
    (or with a zero size) takes it from ``image_size``, else from the image in ``images``
    (default: the root's ``JPEGImages/``).  Raises ``InvalidInputError`` listing every
    problem, or ``PayloadTooLargeError`` for a file past ``limits.max_xml_bytes``.
    """
    root = Path(path)
    folder, files, voc_root = _locate(root)
    problems = Problems(limit=limits.max_problems)
    given = Path(images) if images is not None else None
    images_dir = _images_folder(given, voc_root)
    sizes = ImageSizes(folder=images_dir, lookup=image_size)
    parser = _VocParser(problems=problems, rectangle=rectangle, limits=limits, sizes=sizes)
    what = f"PASCAL-VOC file {root.name}" if root.is_file() else f"PASCAL-VOC folder {folder.name}"
    splits = _read_splits(voc_root, problems, limits) if voc_root is not None else {}
    declared = _read_labelmap(voc_root, problems, limits) if voc_root is not None else []
    problems.raise_if_any(what)
    images_out: list[AnnotatedImage] = []
    seen: dict[str, str] = {}
    from_root = given is not None and images_dir != given  # images in JPEGImages/ of it
    for done, file in enumerate(files):
        if progress is not None:
            progress(done, len(files))
        display = display_name(file, folder)
        data = read_bounded(file, limit=limits.max_xml_bytes, display=display, what="XML file")
        problems.file = display
        image = parser.parse(data, split=splits.pop(file.stem, (None, None))[0])
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
        if from_root and image.path is None:
            # from a VOC root given as the images folder: its JPEGImages/ holds them
            image = dataclasses.replace(image, path=f"{IMAGES_DIR}/{image.file_name}")
        images_out.append(image)
    problems.file = None
    images_out.extend(_listed_only(splits, images_dir, given, sizes, seen, problems))
    if progress is not None:
        progress(len(files), len(files))
    problems.raise_if_any(what)
    return _annotations(declared, images_out)


def _locate(root: Path) -> tuple[Path, list[Path], Path | None]:
    """The folder of the XML files ``root`` names, the files, and the VOC root (the folder
    holding ``Annotations/``) when there is one; raises when there is no XML file."""
    voc_root: Path | None = None
    if root.is_file():
        folder, files = root.parent, [root]
    elif root.is_dir():
        folder = root
        files = _xml_files(folder)
        if not files and (root / ANNOTATIONS_DIR).is_dir():
            folder, voc_root = root / ANNOTATIONS_DIR, root
            files = _xml_files(folder)
        elif root.name == ANNOTATIONS_DIR:
            voc_root = root.parent
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
    return folder, files, voc_root


def _images_folder(given: Path | None, voc_root: Path | None) -> Path | None:
    """Where the images are: ``given``, its ``JPEGImages/`` when it is a VOC root, else the
    VOC root's ``JPEGImages/``."""
    if given is not None and (given / IMAGES_DIR).is_dir():
        return given / IMAGES_DIR  # the images folder given is a VOC root
    if given is None and voc_root is not None:
        return voc_root / IMAGES_DIR
    return given


def _listed_only(
    splits: Mapping[str, tuple[str | None, tuple[str, int]]],
    images_dir: Path | None,
    given: Path | None,
    sizes: ImageSizes,
    seen: dict[str, str],
    problems: Problems,
) -> Iterator[AnnotatedImage]:
    """The images the split lists name that have no XML file (``splits``, what is left of
    them once the XML files are read)."""
    for stem, (split, (list_file, line)) in splits.items():
        # an image listed without its XML has no object (Datumaro writes no XML for it)
        image = _without_xml(stem, split, images_dir, given, sizes)
        if image is None:
            problems.add(
                f"expected {ANNOTATIONS_DIR}/{stem}.xml, or an image {stem}.<ext> in "
                f"{IMAGES_DIR}/, which this split list names; remove the line or add the file",
                file=list_file,
                line=line,
            )
        elif image.file_name in seen:
            problems.add(
                f"expected a unique file name, {image.file_name!r} is also in "
                f"{seen[image.file_name]}",
                file=list_file,
                line=line,
            )
        else:
            seen[image.file_name] = list_file
            yield image


def _annotations(declared: Sequence[str], images: list[AnnotatedImage]) -> Annotations:
    """The read images with their labels: the label map's (``declared``) first, then the
    objects' in order of first appearance, without an unused ``background``."""
    objects = [obj for image in images for obj in image.objects]
    names = dict.fromkeys(declared)
    names.update(dict.fromkeys(obj.label for obj in objects))
    if "background" in names and not any(obj.label == "background" for obj in objects):
        del names["background"]  # the label map's class 0, which no object is
    return Annotations(
        labels=label_specs(names, objects, default=first_kind(objects, "rectangle")),
        images=images,
    )


def _without_xml(
    stem: str, split: str | None, images_dir: Path | None, given: Path | None, sizes: ImageSizes
) -> AnnotatedImage | None:
    """The image a split list names that has no XML: the one image file of that stem in the
    images folder, without objects; ``None`` when there is none, or several."""
    if images_dir is None or not images_dir.is_dir():
        return None
    found = [
        candidate
        for suffix in sorted(IMAGE_SUFFIXES)
        for candidate in (images_dir / f"{stem}{suffix}", images_dir / f"{stem}{suffix.upper()}")
        if candidate.is_file()
    ]
    if len(found) != 1 or file_name_problem(found[0].name) is not None:
        return None
    size, _problem = sizes.get(found[0].name)
    if size is None:
        return None
    path = f"{IMAGES_DIR}/{found[0].name}" if given is not None and images_dir != given else None
    return AnnotatedImage(
        file_name=found[0].name, width=size[0], height=size[1], path=path, split=split
    )


def _read_labelmap(voc_root: Path, problems: Problems, limits: Limits) -> list[str]:
    """The class names of ``labelmap.txt`` (Datumaro's and CVAT's ``name:r,g,b:parts:actions``
    lines, ``#`` for comments), in its order; none without the file."""
    file = voc_root / LABELMAP_PATH
    if not file.is_file():
        return []
    data = read_bounded(file, limit=limits.max_text_bytes, display=LABELMAP_PATH, what="text file")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        problems.add(
            f"expected UTF-8 text, got a bad byte at offset {exc.start}", file=LABELMAP_PATH
        )
        return []
    names: list[str] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        name = line.split(":", 1)[0].strip()
        if not name:
            problems.add("expected 'name:r,g,b:parts:actions'", file=LABELMAP_PATH, line=number)
        elif name in names:
            problems.add(
                f"expected unique class names, {name!r} is twice", file=LABELMAP_PATH, line=number
            )
        else:
            names.append(name)
    return names


def _read_splits(
    voc_root: Path, problems: Problems, limits: Limits
) -> dict[str, tuple[str | None, tuple[str, int]]]:
    """The split of each image stem that ``ImageSets/Main/<split>.txt`` lists, with the list
    and line that gave it.  Lists of two columns (VOC's per-class ``<class>_<split>.txt``) are
    not split lists; ``default`` means no split; an image in ``trainval`` and in ``train``
    (or ``val``) is in the latter."""
    folder = voc_root / SPLITS_DIR
    if not folder.is_dir():
        return {}
    found: dict[str, tuple[str | None, tuple[str, int]]] = {}
    lists = sorted(
        (p for p in folder.iterdir() if p.suffix == ".txt" and p.is_file()),
        key=lambda p: (p.stem in _UNION_SPLITS, p.name),
    )
    for file in lists:
        display = f"{SPLITS_DIR}/{file.name}"
        data = read_bounded(file, limit=limits.max_text_bytes, display=display, what="text file")
        try:
            lines = data.decode("utf-8-sig").splitlines()
        except UnicodeDecodeError as exc:
            problems.add(f"expected UTF-8 text, got a bad byte at offset {exc.start}", file=display)
            continue
        rows = [(number, line.strip()) for number, line in enumerate(lines, start=1)]
        rows = [(number, stem) for number, stem in rows if stem]
        if "_" in file.stem and rows and all(_CLASS_ROW.fullmatch(stem) for _n, stem in rows):
            continue  # a per-class list, <class>_<split>.txt: "<stem>  1" or "<stem> -1"
        problem = split_problem(file.stem)
        if problem is not None:
            problems.add(problem, file=display, field="split")
            continue
        split = split_of(file.stem)
        for number, stem in rows:  # a stem may hold spaces
            if stem not in found:
                found[stem] = (split, (display, number))
    return found


def _xml_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.suffix.lower() == ".xml" and p.is_file())


def decimal_sum(a: float, b: float) -> float:
    """``a + b`` as decimal arithmetic gives it: the sum of the two shortest decimal texts.

    Float addition adds noise (``78.14 + 1`` is ``79.14000000000001``), which a VOC file
    would carry from then on; rounding to the decimals the terms have removes it exactly.
    """
    total = a + b
    if float(a).is_integer() and float(b).is_integer():  # whole pixels, as the devkit has them
        return total
    text_a, text_b = repr(float(a)), repr(float(b))
    dot_a, dot_b = text_a.find("."), text_b.find(".")
    if dot_a < 0 or dot_b < 0 or "e" in text_a or "e" in text_b:  # 1e-07, inf, nan
        return float(Decimal(text_a) + Decimal(text_b))
    return round(total, max(len(text_a) - dot_a, len(text_b) - dot_b) - 1)


def _number(text: str | None) -> float | None:
    if text is None:
        return None
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


class _VocParser:
    def __init__(
        self, *, problems: Problems, rectangle: bool, limits: Limits, sizes: ImageSizes
    ) -> None:
        self.problems = problems
        self.rectangle = rectangle
        self.limits = limits
        self.sizes = sizes

    def parse(self, data: bytes, *, split: str | None = None) -> AnnotatedImage | None:
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
        width, height, depth = self._size(root.find("size"), name)
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
            split=split,
        )

    def _size(self, size: ET.Element | None, name: str | None) -> tuple[int, int, Any]:
        """The image's ``(width, height, depth)``; from the image itself when ``<size>`` is
        missing or says 0 (as some tools write it), ``(0, 0, ...)`` after a problem."""
        values = []
        depth = None
        if size is not None:
            for tag in ("width", "height"):
                text = _text(size, tag)
                value = _number(text) if text else 0.0
                if value is None or not value.is_integer() or value < 0:
                    self.problems.add(
                        f"expected a positive integer, got {describe(text)}", field=f"size.{tag}"
                    )
                    value = -1
                values.append(int(value))
            depth_text = _text(size, "depth")
            depth = _scalar("depth", depth_text) if depth_text else None
        if -1 in values:
            return 0, 0, depth
        if len(values) == 2 and 0 not in values:
            return values[0], values[1], depth
        if name is None:
            return 0, 0, depth  # the file name's problem is reported
        found, problem = self.sizes.get(name)
        if found is None:
            self.problems.add(
                "expected <size> with <width> and <height>, or the image to read its size "
                f"from ({problem})",
                field="size",
            )
            return 0, 0, depth
        return found[0], found[1], depth

    def _object(self, element: ET.Element, here: str, width: int, height: int) -> Obj | None:
        problems = self.problems
        before = len(problems)
        name = (_text(element, "name") or "").strip()
        if not name:
            problems.add("expected a non-empty <name>", field=f"{here}.name")
        elif (problem := label_problem(name)) is not None:
            problems.add(problem, field=f"{here}.name")
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
        """The box of ``<bndbox>``, by the devkit's convention: ``(xmin - 1, ymin - 1)`` to
        ``(xmax, ymax)``, computed without adding float noise (``79.14`` gives ``78.14``)."""
        corners = []
        for tag in _CORNERS:
            text = _text(bndbox, tag)
            value = _number(text)
            if value is None:
                self.problems.add(f"expected a number, got {describe(text)}", field=f"{here}.{tag}")
            corners.append(value)
        if None in corners:
            return None
        xmin, ymin, xmax, ymax = (value for value in corners if value is not None)
        if xmax < xmin or ymax < ymin:
            self.problems.add(
                "expected xmax >= xmin and ymax >= ymin (the first and the last pixel of the box)",
                field=here,
            )
            return None
        if xmin.is_integer() and ymin.is_integer() and xmax.is_integer() and ymax.is_integer():
            return Box(xmin - 1, ymin - 1, xmax - xmin + 1, ymax - ymin + 1)  # whole pixels
        x, y = decimal_sum(xmin, -1), decimal_sum(ymin, -1)
        return Box(x, y, decimal_sum(xmax, -x), decimal_sum(ymax, -y))

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
            coordinates[match.group(1), int(match.group(2))] = decimal_sum(value, -1)
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


def _plus_one(value: float) -> str:
    """``_fmt(decimal_sum(value, 1))``: a 0-based coordinate as VOC's 1-based text.

    A polygon has hundreds of points, and this is most of a VOC export's time, so the common
    case costs what ``repr(value + 1)`` costs: when that text is short (at most 14 digits), it
    is the decimal sum itself (two decimals of at most 15 digits are farther apart than the
    float addition can err); a longer one, float noise or not, goes the general way.  A test
    compares both ways on every kind of value.
    """
    total = float(value) + 1
    if total.is_integer():
        return str(int(total))
    text = repr(total)
    if len(text) <= 15:
        return text
    return _fmt(decimal_sum(value, 1))


def _sum_text(a: float, b: float) -> str:
    """``_fmt(decimal_sum(a, b))``, the short way :func:`_plus_one` takes: the text of the
    float sum when it is short, which is then the decimal sum (a test compares both)."""
    a, b = float(a), float(b)  # stored values may be ints
    total = a + b
    if total.is_integer() and a.is_integer():
        return str(int(total))
    text = repr(total)
    if len(text) <= 15 and not total.is_integer() and _plain(a) and _plain(b):
        return text
    return _fmt(decimal_sum(a, b))


def _plain(value: float) -> bool:
    """Whether ``repr(value)`` is plain decimals (not ``1e-05``: from 1e-4 up, or 0)."""
    return value == 0 or 1e-4 <= abs(value) < 1e16


class VocExporter(Exporter):
    """Writes ``Annotations/<stem>.xml`` per image; images go to ``JPEGImages/<file_name>``.

    Boxes follow the devkit's convention (``xmin = x + 1``, ``xmax = x + w``), cut to the
    image, integers when they are whole; a box less than a pixel wide or high is widened to
    one, which VOC's integer pixels need (``xmax >= xmin``).  Every polygon ring is a
    ``<polygon>`` element with ``<x1>, <y1>, ...`` (1-based points); masks are written as
    their box; classification objects are not written (VOC has no place for them).
    ``pose``, ``truncated`` and ``difficult`` default to ``Unspecified``, 0 and 0, since
    common VOC readers require them; ``<segmented>`` is 0, since no segmentation masks are
    written.  ``close()`` writes the split lists ``ImageSets/Main/<split>.txt`` (``default``
    for the images without a split) and ``labelmap.txt``, the class list Datumaro and CVAT
    read (``name:r,g,b::``, VOC's colour map, ``background`` first).
    """

    format = "PASCAL-VOC"
    images_folder = IMAGES_DIR

    def __init__(
        self,
        sink: Sink,
        labels: Sequence[LabelSpec],
        *,
        info: Mapping[str, Any] | None = None,
        splits: Iterable[str | None] | None = None,
    ) -> None:
        super().__init__(sink, labels, info=info, splits=splits)
        for index, label in enumerate(self.labels):
            if _LABELMAP_FORBIDDEN.search(label.name):
                raise InvalidInputError(
                    f"label {label.name!r} cannot be written to {LABELMAP_PATH}",
                    details=[
                        {
                            "file": None,
                            "line": None,
                            "field": f"labels[{index}].name",
                            "message": "expected a label name without ':', line breaks or "
                            "control characters",
                        }
                    ],
                )
        self._splits: dict[str, IO[bytes]] = {}
        #: Boxes widened to a pixel, to be told in the export's report.
        self.widened = 0

    def paths_of(self, file_name: str, split: str | None = None) -> tuple[str, ...]:
        return (self.image_path(file_name, split), self.annotation_path(file_name))

    def report(self) -> list[str]:
        if not self.widened:
            return []
        return [
            f"{counted(self.widened, 'box', 'boxes')} less than a pixel wide or high widened to "
            "one pixel (PASCAL-VOC's corners are whole pixels: xmax >= xmin)"
        ]

    def annotation_path(self, file_name: str) -> str:
        """Where the XML file of image ``file_name`` goes."""
        return f"{ANNOTATIONS_DIR}/{os.path.splitext(file_name)[0]}.xml"

    def _write(self, image: AnnotatedImage) -> None:
        self._write_xml(image, _shapes(image.objects))

    def write_compact(self, image: AnnotatedImage, objects: Sequence[CompactObject]) -> None:
        """See :meth:`Exporter.write_compact`: boxes and polygons are written from their
        stored form; a mask without its box is rebuilt, for its extent."""
        self._check_writable(image.file_name, [label for _kind, label, _data in objects])
        self._write_xml(image, _stored_shapes(objects))

    def _write_xml(self, image: AnnotatedImage, shapes: Iterable[_Shape]) -> None:
        name = image.file_name
        out = [_DECLARATION, "<annotation>"]
        extra = dict(image.extra)
        _leaf(out, 1, "folder", extra.pop("folder", IMAGES_DIR), name)
        _leaf(out, 1, "filename", name, name)
        extra.pop("segmented", None)
        depth = extra.pop("depth", 3)
        for key, value in extra.items():
            _append(out, 1, key, value, name)
        out.append("  <size>")
        _leaf(out, 2, "width", image.width, name)
        _leaf(out, 2, "height", image.height, name)
        _leaf(out, 2, "depth", depth, name)
        out.append("  </size>")
        _leaf(out, 1, "segmented", 0, name)
        for shape in shapes:
            self.widened += _object(out, shape, name, image.width, image.height)
        out.append("</annotation>\n")
        self.sink.write_bytes(self.annotation_path(name), "\n".join(out).encode())
        split = image.split or DEFAULT_SPLIT  # ImageSets lists every image
        listed = self._splits.get(split)
        if listed is None:
            listed = self._splits[split] = tempfile.TemporaryFile()
        listed.write(os.path.splitext(name)[0].encode() + b"\n")

    def _finish(self) -> None:
        if not self._splits:
            self._splits[DEFAULT_SPLIT] = tempfile.TemporaryFile()
        for split, listed in sorted(self._splits.items()):
            listed.seek(0)
            with self.sink.open(f"{SPLITS_DIR}/{split}.txt") as out:
                shutil.copyfileobj(listed, out)
        names = [label.name for label in self.labels]
        if "background" not in names:
            names.insert(0, "background")
        lines = ["# label:color_rgb:parts:actions"]
        lines += [f"{name}:{','.join(map(str, _voc_color(i)))}::" for i, name in enumerate(names)]
        self.sink.write_bytes(LABELMAP_PATH, "".join(line + "\n" for line in lines).encode())

    def _release(self) -> None:
        for listed in self._splits.values():
            listed.close()


def _voc_color(index: int) -> tuple[int, int, int]:
    """The colour of class ``index`` in VOC's colour map (the devkit's ``labelcolormap``)."""
    red = green = blue = 0
    for bit in range(8):
        red |= ((index >> 0) & 1) << (7 - bit)
        green |= ((index >> 1) & 1) << (7 - bit)
        blue |= ((index >> 2) & 1) << (7 - bit)
        index >>= 3
    return red, green, blue


def voc_corners(
    box: tuple[float, float, float, float], width: int, height: int
) -> tuple[tuple[str, str, str, str], bool]:
    """``<xmin>``, ``<ymin>``, ``<xmax>``, ``<ymax>`` of the box ``(x, y, w, h)`` by the
    devkit's convention, as text: the box cut to the ``width`` x ``height`` image and at
    least one pixel wide and high; and whether it had to be widened to be."""
    x, y, w, h = box
    if 0.0 <= x and 0.0 <= y and w >= 1 and h >= 1 and x + w <= width and y + h <= height:
        return (_plus_one(x), _plus_one(y), _sum_text(x, w), _sum_text(y, h)), False
    x0 = x if 0.0 <= x <= width else min(max(x, 0.0), float(width))
    y0 = y if 0.0 <= y <= height else min(max(y, 0.0), float(height))
    x1 = min(max(decimal_sum(x, w), 0.0), float(width))
    y1 = min(max(decimal_sum(y, h), 0.0), float(height))
    widened = False
    if x1 - x0 < 1:
        widened = True
        x0 = min(x0, width - 1.0)
        x1 = decimal_sum(x0, 1)
    if y1 - y0 < 1:
        widened = True
        y0 = min(y0, height - 1.0)
        y1 = decimal_sum(y0, 1)
    return (_plus_one(x0), _plus_one(y0), _fmt(x1), _fmt(y1)), widened


# The XML is written as text, exactly as ``ElementTree`` writes it once indented by
# ``ET.indent(root, space="  ")`` (a test compares both): ten times faster, which for
# polygons of hundreds of points is most of an export's time.
_DECLARATION: Final = "<?xml version='1.0' encoding='utf-8'?>"
_PADS: Final = tuple("  " * depth for depth in range(16))


def _pad(depth: int) -> str:
    return _PADS[depth] if depth < len(_PADS) else "  " * depth


class _Shape(NamedTuple):
    """What VOC writes of an object: its label, box ``(x, y, w, h)``, rings (each a
    sequence of points, or a flat list ``[x1, y1, x2, ...]``), score and other fields."""

    label: str
    box: tuple[float, float, float, float]
    rings: Sequence[Sequence[Any]]
    flat: bool
    score: float | None
    extra: Mapping[str, Any]


def _shapes(objects: Iterable[Obj]) -> Iterator[_Shape]:
    """The objects with a geometry (classifications have none)."""
    for obj in objects:
        box = obj.extent()
        if box is not None:
            yield _Shape(
                obj.label, (box.x, box.y, box.w, box.h), obj.polygons, False, obj.score, obj.extra
            )


def _stored_shapes(objects: Iterable[CompactObject]) -> Iterator[_Shape]:
    """:func:`_shapes` of stored objects, from their stored form (``pixlake.formats.compact``:
    a box ``[x, y, w, h]``, rings as flat lists): what rebuilding them would give."""
    for kind, label, data in objects:
        box = data.get("box")
        rings = data.get("rings") or ()
        if box is None and rings:
            xs = [v for ring in rings for v in ring[0::2]]
            ys = [v for ring in rings for v in ring[1::2]]
            box = (min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys))
        if box is None:
            if kind != "mask":
                continue  # a classification
            yield from _shapes([from_compact(kind, label, data)])  # its extent: the mask's
            continue
        extra = data.get("extra") or {}
        yield _Shape(label, (box[0], box[1], box[2], box[3]), rings, True, data.get("score"), extra)


def _object(out: list[str], shape: _Shape, file_name: str, width: int, height: int) -> int:
    """Write one object; 1 when its box had to be widened to a pixel, else 0."""
    out.append("  <object>")
    _leaf(out, 2, "name", shape.label, file_name)
    extra = dict(shape.extra)
    for key, default in (("pose", "Unspecified"), ("truncated", 0), ("difficult", 0)):
        _leaf(out, 2, key, extra.pop(key, default), file_name)
    for key, value in extra.items():
        _append(out, 2, key, value, file_name)
    if shape.score is not None:
        _leaf(out, 2, "score", _fmt(shape.score), file_name)
    (xmin, ymin, xmax, ymax), widened = voc_corners(shape.box, width, height)
    out.append(
        f"    <bndbox>\n      <xmin>{xmin}</xmin>\n      <ymin>{ymin}</ymin>\n"
        f"      <xmax>{xmax}</xmax>\n      <ymax>{ymax}</ymax>\n    </bndbox>"
    )
    for ring in shape.rings:
        if not ring:
            out.append("    <polygon />")
            continue
        pairs = zip(ring[0::2], ring[1::2], strict=True) if shape.flat else ring
        points = "\n".join(
            [
                f"      <x{i}>{_plus_one(x)}</x{i}>\n      <y{i}>{_plus_one(y)}</y{i}>"
                for i, (x, y) in enumerate(pairs, start=1)
            ]
        )
        out.append(f"    <polygon>\n{points}\n    </polygon>")
    out.append("  </object>")
    return int(widened)


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
    kind = type(value)
    if kind is int:  # difficult, truncated, sizes: nothing to check or escape
        out.append(f"{_pad(depth)}<{tag}>{value}</{tag}>")
        return
    text = value if kind is str else "" if value is None else str(value)
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


#: PASCAL-VOC in the registry.
FORMAT: Final = FormatDescriptor(
    name="PASCAL-VOC",
    aliases=("pascal-voc", "voc"),
    reader=read_voc,
    exporter=VocExporter,
    input="file or folder",
    input_text="a folder of XML files (or a VOC root with Annotations/), or one XML file",
    progress_unit="files",
)
