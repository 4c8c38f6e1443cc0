"""YOLO text labels: reader and exporter.

A YOLO dataset keeps one label file per image (one object per line, coordinates normalized
to [0, 1]) and its class names in ``data.yaml``, ``classes.txt`` or ``obj.names``; where the
files are depends on the tool that wrote it (``pixlake.formats._yolo_layout``: Ultralytics'
``data.yaml`` with its splits, Darknet's ``obj.data``, or ``images/`` beside ``labels/``).
YOLO files do not give image sizes: the reader gets them from a lookup or from the images
(Pillow reads the header only).  See the package documentation for the mapping rules.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Final, Literal

from pixlake._text import counted
from pixlake.errors import InvalidInputError
from pixlake.names import file_name_problem
from pixlake.problems import Problems, describe

from ._io import image_size_of
from ._yaml import dump_data_yaml
from ._yolo_layout import IMAGE_SUFFIXES, YoloImage, YoloLayout, discover, read_text
from .compact import CompactObject, from_compact
from .model import (
    DEFAULT_LIMITS,
    AnnotatedImage,
    Annotations,
    Box,
    LabelSpec,
    Limits,
    Obj,
    Point,
    Ring,
    first_kind,
    geometry_problem,
    label_specs,
)
from .protocols import Exporter, FormatDescriptor, ReadProgress, SizeLookup, StrPath
from .sinks import Sink

__all__ = ["FORMAT", "IMAGE_SUFFIXES", "YoloExporter", "YoloMode", "read_yolo"]

YoloMode = Literal["detect", "segment"]

#: Slack on normalized values, for writers that round 1.0 to 1.0000001.
_EPSILON: Final = 1e-6
_BOX_FIELDS: Final = ("cx", "cy", "w", "h", "score")


def read_yolo(
    path: StrPath,
    /,
    *,
    rectangle: bool = False,
    images: StrPath | None = None,
    image_size: SizeLookup | None = None,
    limits: Limits = DEFAULT_LIMITS,
    progress: ReadProgress | None = None,
) -> Annotations:
    """Read and validate a YOLO dataset: a folder, its ``data.yaml`` or its ``obj.data``.

    Every image the layout lists is in the result, with the split its layout gives it
    (Ultralytics' ``train``/``val``/``test`` keys, Darknet's lists, ``images/<split>/``
    folders), and no objects when its label file is absent (a background image); in the
    classification layout (``<split>/<class>/<image>``), one classification object, the
    class its folder names.  A label
    file that matches no image, and a split none of whose images has a label file, are
    errors that name them.  ``images`` is where the images are when they are not in the
    dataset's folder (labels kept apart); otherwise, when given, it must hold them, and each
    image's ``path`` is given relative to it.  ``image_size`` gives sizes without opening
    the images.  ``rectangle=True`` turns polygons into rectangles.

    Lines are ``class cx cy w h`` (a box), ``class cx cy w h score`` (a scored box) or
    ``class x1 y1 x2 y2 x3 y3 ...`` (a polygon).  Raises ``InvalidInputError`` naming the
    file, line and column of every problem.
    """
    root = Path(path)
    if not root.exists():
        raise _not_a_folder(root)
    problems = Problems(limit=limits.max_problems)
    images_dir = Path(images) if images is not None else None
    layout = discover(root, images_dir, problems, limits)
    what = f"YOLO folder {layout.root.name if layout else root.name}"
    problems.raise_if_any(what)
    assert layout is not None
    base = _relative_base(layout, images_dir)
    entries = _checked_images(layout, base, problems)
    found = _label_files(layout, problems)
    problems.raise_if_any(what)
    parser = _LabelParser(names=layout.names, problems=problems, limits=limits, rectangle=rectangle)
    result: list[AnnotatedImage] = []
    total = len(entries)
    for done, (entry, file_name, relative) in enumerate(entries):
        if progress is not None:
            progress(done, total)
        size = _size(entry, file_name, image_size, layout, problems)
        if size is None:
            continue
        objects: tuple[Obj, ...] = ()
        if entry.cls is not None:
            objects = (Obj(label=entry.cls, kind="classification"),)
        elif entry.label in found:
            objects = parser.parse(Path(entry.label), layout.display(entry.label), *size)
        result.append(
            AnnotatedImage(
                file_name=file_name,
                width=size[0],
                height=size[1],
                objects=objects,
                path=relative,
                split=entry.split,
            )
        )
    if progress is not None:
        progress(total, total)
    problems.raise_if_any(what)
    return _annotations(layout, result)


def _not_a_folder(root: Path) -> InvalidInputError:
    return InvalidInputError(
        f"{root.name} is not a YOLO folder",
        details=[
            {
                "file": root.name,
                "line": None,
                "field": None,
                "message": "expected a folder with data.yaml, obj.data, or images/ and "
                "labels/ with classes.txt",
            }
        ],
    )


def _annotations(layout: YoloLayout, images: list[AnnotatedImage]) -> Annotations:
    """The read images with the layout's labels, each of the kind its objects have."""
    every = [obj for image in images for obj in image.objects]
    default = "classification" if layout.kind == "classify" else first_kind(every, "rectangle")
    return Annotations(
        labels=label_specs(layout.names, every, default=default),
        images=images,
    )


def _relative_base(layout: YoloLayout, images: Path | None) -> str:
    """The folder images' paths are given from: ``images`` when given, else the dataset's."""
    return os.path.normpath(images if images is not None else layout.root)


def _checked_images(
    layout: YoloLayout, base: str, problems: Problems
) -> list[tuple[YoloImage, str, str | None]]:
    """Each image with its picture name and its path from ``base`` (``None`` when it is
    directly in it), its name checked and unique."""
    out: list[tuple[YoloImage, str, str | None]] = []
    names: dict[str, str] = {}  # picture name: the image's path
    stems: dict[str, str] = {}  # label file: the image's path
    folders = _Folders(base)
    for entry in layout.images:
        file_name = os.path.basename(entry.path)
        problem = file_name_problem(file_name)
        if problem is not None:
            problems.add(problem, file=layout.display(entry.path))
            continue
        if file_name in names:
            problems.add(
                f"expected one image per name, {layout.display(entry.path)} and "
                f"{layout.display(names[file_name])} are both {file_name!r} (pictures are "
                "named by their file's name)",
                file=layout.display(entry.path),
            )
            continue
        names[file_name] = entry.path
        first = stems.setdefault(entry.label, entry.path) if entry.label else entry.path
        if first != entry.path:
            problems.add(
                f"expected one image per label file, {layout.display(entry.path)} and "
                f"{layout.display(first)} share {layout.display(entry.label)}",
                file=layout.display(entry.path),
            )
            continue
        relative = folders.relative(entry.path)
        if relative is None:
            problems.add(
                f"expected the images under the images folder {os.path.basename(base)}/, "
                "or give the dataset's folder as the images folder",
                file=layout.display(entry.path),
            )
            continue
        out.append((entry, file_name, relative if "/" in relative else None))
    return out


class _Folders:
    """Paths from one folder, ``base``: as written, or, when a path is not under ``base``
    as written, as the links on the way resolve (a dataset's ``images`` folder may be a
    link to the images folder given), each folder resolved once."""

    def __init__(self, base: str) -> None:
        self._top = os.path.join(base, "")
        self._real_top = os.path.join(os.path.realpath(base), "")
        self._real: dict[str, str] = {}

    def relative(self, path: str) -> str | None:
        """``path`` from the folder, with ``/``; ``None`` when it is not under it."""
        top = self._top
        if not path.startswith(top):
            folder, name = os.path.split(path)
            real = self._real.get(folder)
            if real is None:
                real = self._real[folder] = os.path.join(os.path.realpath(folder), "")
            path, top = real + name, self._real_top
            if not path.startswith(top):
                return None
        return path[len(top) :].replace(os.sep, "/")


def _label_files(layout: YoloLayout, problems: Problems) -> set[str]:
    """The label files that exist; a ``.txt`` file in a label folder that is no image's
    label file, and a split none of whose images has one, are problems."""
    expected = {entry.label for entry in layout.images}
    found: set[str] = set()
    for folder in sorted(layout.label_folders):
        try:
            with os.scandir(folder) as listing:
                names = [e.name for e in listing if e.name.endswith(".txt") and e.is_file()]
        except (FileNotFoundError, NotADirectoryError):
            continue
        for name in sorted(names):
            file = os.path.join(folder, name)
            if file in expected:
                found.add(file)
            elif file not in layout.config and name != "classes.txt":
                problems.add(
                    "expected an image whose label file this is, found none (an image's label "
                    "file has its name, with .txt)",
                    file=layout.display(file),
                )
    counts: dict[str | None, list[int]] = {}
    if layout.kind == "classify":
        return found  # the folders are the labels
    for entry in layout.images:
        count = counts.setdefault(entry.split, [0, 0])
        count[0] += 1
        count[1] += entry.label in found
    for split, (images, labelled) in counts.items():
        if images and not labelled:
            where = layout.expected.get(split, "labels/")
            of = f"split {split!r}" if split is not None else "the dataset"
            problems.add(
                f"expected label files in {where} for the {counted(images, 'image')} of {of}, "
                "found none; give an empty .txt file to an image without objects"
                + (", or remove the split from data.yaml" if layout.kind != "flat" else ""),
                file=layout.root.name,
            )
    return found


def _size(
    entry: YoloImage,
    file_name: str,
    lookup: SizeLookup | None,
    layout: YoloLayout,
    problems: Problems,
) -> tuple[int, int] | None:
    if lookup is not None:
        size = lookup(file_name)
        if size is not None:
            width, height = size
            if type(width) is int and type(height) is int and width > 0 and height > 0:
                return width, height
            problems.add(
                f"expected a positive (width, height), got {describe(size)}",
                file=layout.display(entry.path),
            )
            return None
    try:
        return image_size_of(Path(entry.path))
    except (OSError, ValueError) as exc:
        problems.add(f"expected a readable image: {exc}", file=layout.display(entry.path))
        return None


class _LabelParser:
    def __init__(
        self, *, names: list[str], problems: Problems, limits: Limits, rectangle: bool
    ) -> None:
        self.names = names
        self.problems = problems
        self.limits = limits
        self.rectangle = rectangle

    def parse(self, file: Path, display: str, width: int, height: int) -> tuple[Obj, ...]:
        problems = self.problems
        text = read_text(file, display, problems, self.limits)
        if text is None:
            return ()
        objects: list[Obj] = []
        for number, line in enumerate(text.splitlines(), start=1):
            fields = line.split()
            if fields:
                obj = self._line(fields, display, number, width, height)
                if obj is not None:
                    objects.append(obj)
        return tuple(objects)

    def _line(self, fields: list[str], file: str, line: int, width: int, height: int) -> Obj | None:
        problems = self.problems
        count = len(fields)
        if count not in (5, 6) and (count < 7 or count % 2 == 0):
            problems.add(
                "expected 5 fields (class cx cy w h), 6 (with a score) or a class followed by "
                f"at least 3 x y pairs, got {counted(count, 'field')}",
                file=file,
                line=line,
            )
            return None
        is_box = count <= 6
        columns = (
            _BOX_FIELDS[: count - 1]
            if is_box
            else [f"{axis}{i}" for i in range(1, count // 2 + 1) for axis in ("x", "y")]
        )
        ok = True
        index_text = fields[0]
        if not (index_text.isascii() and index_text.isdigit()):
            problems.add(
                f"expected a class index (an integer), got {describe(index_text)}",
                file=file,
                line=line,
                field="class",
            )
            ok = False
        elif int(index_text) >= len(self.names):
            problems.add(
                f"expected a class index from 0 to {len(self.names) - 1}, got {index_text}",
                file=file,
                line=line,
                field="class",
            )
            ok = False
        values: list[float] = []
        for column, text in zip(columns, fields[1:], strict=True):
            try:
                value = float(text)
            except ValueError:
                value = math.nan
            if column != "score" and not -_EPSILON <= value <= 1 + _EPSILON:
                problems.add(
                    f"expected a normalized coordinate in [0, 1], got {describe(text)}",
                    file=file,
                    line=line,
                    field=column,
                )
                ok = False
            elif not math.isfinite(value):
                problems.add(
                    f"expected a number, got {describe(text)}", file=file, line=line, field=column
                )
                ok = False
            values.append(value)
        if not ok or width <= 0 or height <= 0:
            return None
        label = self.names[int(index_text)]
        if is_box:
            cx, cy, w, h = values[:4]
            box = Box((cx - w / 2) * width, (cy - h / 2) * height, w * width, h * height)
            problem = geometry_problem(box, (), width, height, self.limits.tolerance)
            if problem is not None:
                problems.add(problem, file=file, line=line, field="box")
                return None
            score = values[4] if count == 6 else None
            return Obj(label=label, kind="rectangle", box=box, score=score)
        ring: Ring = tuple(
            (x * width, y * height) for x, y in zip(values[0::2], values[1::2], strict=True)
        )
        if self.rectangle:
            return Obj(label=label, kind="rectangle", box=Box.enclosing((ring,)))
        return Obj(label=label, kind="polygon", polygons=(ring,))


# --------------------------------------------------------------------------------------
# Export


class YoloExporter(Exporter):
    """Writes ``labels/<stem>.txt`` per image, ``data.yaml`` and ``classes.txt``, in the
    layout Ultralytics reads.

    Images go to ``images/<file_name>``, or ``images/<split>/<file_name>`` (and their labels
    to ``labels/<split>/``) when they have splits; ``data.yaml`` names each split's folder
    under Ultralytics' ``train``, ``val`` and ``test`` keys (see :func:`ultralytics_keys`) and
    has no ``path`` unless ``path`` is given, so that Ultralytics finds the folders beside
    it wherever it runs.  Class indices follow the label order.  Every image gets a label
    file, empty when it has no object.

    As Ultralytics' own COCO converter does, crowd regions (``iscrowd``) are left out, and in
    ``mode="segment"`` a polygon of several rings is joined into one outline (bridged at the
    closest points of consecutive rings); rectangles and masks are written as the 4 corners
    of their box, since a segmentation dataset cannot mix box rows.  With ``mode="detect"``
    (default) every object with geometry is a box row ``class cx cy w h`` (a polygon's or
    mask's box, else its extent).  Coordinates are clipped to the image and written with 6
    decimals.  Classification objects and scores are not written.  :meth:`report` says how
    many objects each of those rules left out or changed.
    """

    format = "YOLO"

    def __init__(
        self,
        sink: Sink,
        labels: Sequence[LabelSpec],
        *,
        info: Mapping[str, Any] | None = None,
        splits: Iterable[str | None] | None = None,
        mode: YoloMode = "detect",
        path: str | None = None,
    ) -> None:
        super().__init__(sink, labels, info=info, splits=splits)
        if mode not in ("detect", "segment"):
            raise InvalidInputError(
                f"unknown YOLO mode {mode!r}",
                details=[
                    {
                        "file": None,
                        "line": None,
                        "field": "mode",
                        "message": "expected 'detect' or 'segment'",
                    }
                ],
            )
        for index, label in enumerate(self.labels):
            if any(char in label.name for char in "\r\n") or label.name != label.name.strip():
                raise InvalidInputError(
                    f"label {label.name!r} cannot be written to classes.txt",
                    details=[
                        {
                            "file": None,
                            "line": None,
                            "field": f"labels[{index}].name",
                            "message": "expected a label name without line breaks or spaces "
                            "around it",
                        }
                    ],
                )
        self.mode: YoloMode = mode
        self.path = path
        self._folders: dict[str | None, None] = {}
        self._counts: dict[str, int] = {}

    def image_path(self, file_name: str, split: str | None = None) -> str:
        folder = self.folder_of(split)
        return f"images/{folder}/{file_name}" if folder else f"images/{file_name}"

    def paths_of(self, file_name: str, split: str | None = None) -> tuple[str, ...]:
        return (self.image_path(file_name, split), self.label_path(file_name, split))

    def label_path(self, file_name: str, split: str | None = None) -> str:
        """Where the label file of image ``file_name`` of ``split`` goes."""
        stem = os.path.splitext(file_name)[0]
        folder = self.folder_of(split)
        return f"labels/{folder}/{stem}.txt" if folder else f"labels/{stem}.txt"

    def report(self) -> list[str]:
        """What the export left out or changed, a sentence per rule that applied."""
        counts = self._counts
        notes = []
        if counts.get("crowd"):
            notes.append(
                f"{counted(counts['crowd'], 'crowd region')} left out, as Ultralytics' COCO "
                "converter does (YOLO has no crowd regions)"
            )
        if counts.get("joined"):
            notes.append(
                f"{counted(counts['joined'], 'polygon')} of several rings joined into one "
                "outline, as Ultralytics' COCO converter joins them"
            )
        if counts.get("as_box"):
            notes.append(
                f"{counted(counts['as_box'], 'box or mask', 'boxes or masks')} written as the "
                "4 corners of its box (a segmentation dataset has polygon rows only)"
            )
        return notes

    def _count(self, rule: str) -> None:
        self._counts[rule] = self._counts.get(rule, 0) + 1

    def _write(self, image: AnnotatedImage) -> None:
        shapes = (
            (obj.label, obj.extent(), obj.polygons, obj.iscrowd)
            for obj in image.objects
            if obj.kind != "classification"
        )
        self._write_rows(image, shapes)

    def write_compact(self, image: AnnotatedImage, objects: Sequence[CompactObject]) -> None:
        """See :meth:`Exporter.write_compact`: objects are written from their stored form
        (a box ``[x, y, w, h]``, rings as flat lists); a mask without its box is rebuilt,
        for its extent."""
        self._check_writable(image.file_name, [label for _kind, label, _data in objects])
        self._write_rows(image, _stored_shapes(objects))

    def _write_rows(self, image: AnnotatedImage, shapes: Iterable[_Shape]) -> None:
        width, height = image.width, image.height
        rows: list[str] = []
        for label, box, polygons, iscrowd in shapes:
            if box is None:
                continue
            if iscrowd:
                self._count("crowd")
                continue
            if width <= 0 or height <= 0:
                raise InvalidInputError(
                    f"the size of {image.file_name} is unknown",
                    details=[
                        {
                            "file": image.file_name,
                            "line": None,
                            "field": "width",
                            "message": "expected the image size, to normalize coordinates",
                        }
                    ],
                )
            index = self._label_index[label]
            if self.mode == "segment":
                if polygons:
                    ring = join_rings(polygons)
                    if len(polygons) > 1:
                        self._count("joined")
                else:
                    ring = _corners(box.clip(width, height))
                    self._count("as_box")
                rows.append(f"{index} " + " ".join(_point(p, width, height) for p in ring))
            else:
                box = box.clip(width, height)
                rows.append(
                    f"{index} {(box.x + box.w / 2) / width:.6f} {(box.y + box.h / 2) / height:.6f}"
                    f" {box.w / width:.6f} {box.h / height:.6f}"
                )
        data = "".join(row + "\n" for row in rows)
        self.sink.write_bytes(self.label_path(image.file_name, image.split), data.encode())
        self._folders[self.folder_of(image.split)] = None

    def _finish(self) -> None:
        names = [label.name for label in self.labels]
        folders = sorted(folder for folder in self._folders if folder is not None)
        if None in self._folders and folders:  # splits unknown beforehand, and mixed
            raise InvalidInputError(
                "some pictures have a split and others none: give the exporter the splits",
                details=[
                    {
                        "file": None,
                        "line": None,
                        "field": "splits",
                        "message": "expected the splits of the images, to place those "
                        "without one in 'default'",
                    }
                ],
            )
        self.sink.write_bytes("classes.txt", "".join(name + "\n" for name in names).encode())
        self.sink.write_bytes("data.yaml", dump_data_yaml(names, folders, path=self.path))


#: What YOLO writes of an object: its label, its box (``None``: nothing to write), its
#: rings, and whether it is a crowd region.
_Shape = tuple[str, Box | None, Sequence[Ring], bool]


def _stored_shapes(objects: Iterable[CompactObject]) -> Iterator[_Shape]:
    """The shapes of stored objects (``pixlake.formats.compact``), as rebuilding them
    would give them."""
    for kind, label, data in objects:
        if kind == "classification":
            continue
        box = data.get("box")
        flat = data.get("rings")
        rings: tuple[Ring, ...] = ()
        if flat:
            rings = tuple([tuple(zip(ring[0::2], ring[1::2], strict=True)) for ring in flat])
        if box is not None:
            extent: Box | None = Box(box[0], box[1], box[2], box[3])
        elif rings:
            extent = Box.enclosing(rings)
        else:  # a mask without its box: its extent
            extent = from_compact(kind, label, data).extent()
        yield label, extent, rings, bool(data.get("iscrowd", False))


def join_rings(rings: Sequence[Ring]) -> Ring:
    """One outline through every ring: each ring is bridged to the next at their closest
    vertices, walked around, and left by the same bridge, so that the outline covers each
    ring (a thin double edge along each bridge), as YOLO's one-ring rows need."""
    if len(rings) == 1:
        return rings[0]
    # bridges[i]: the closest vertices of rings i and i + 1, as (index in i, index in i + 1)
    bridges = [_closest(rings[i], rings[i + 1]) for i in range(len(rings) - 1)]
    before: list[Point] = []
    after: list[list[Point]] = []
    for i, ring in enumerate(rings):
        count = len(ring)
        entry = bridges[i - 1][1] if i else bridges[0][0]
        loop = [ring[(entry + k) % count] for k in range(count + 1)]  # back to the entry
        if i == len(rings) - 1:
            before.extend(loop)
            break
        out = (bridges[i][0] - entry) % count
        before.extend(loop[: out + 1])
        after.append(loop[out:])
    for part in reversed(after):
        before.extend(part)
    return tuple(before)


def _closest(a: Ring, b: Ring) -> tuple[int, int]:
    best = (math.inf, 0, 0)
    for i, (ax, ay) in enumerate(a):
        for j, (bx, by) in enumerate(b):
            distance = (ax - bx) ** 2 + (ay - by) ** 2
            if distance < best[0]:
                best = (distance, i, j)
    return best[1], best[2]


def _corners(box: Box) -> Ring:
    return ((box.x, box.y), (box.right, box.y), (box.right, box.bottom), (box.x, box.bottom))


def _point(point: Point, width: int, height: int) -> str:
    x = min(max(point[0], 0.0), width) / width
    y = min(max(point[1], 0.0), height) / height
    return f"{x:.6f} {y:.6f}"


#: YOLO in the registry.
FORMAT: Final = FormatDescriptor(
    name="YOLO",
    aliases=("yolo",),
    reader=read_yolo,
    exporter=YoloExporter,
    input="file or folder",
    input_text="a dataset folder (data.yaml, obj.data, or images/ beside labels/), or its "
    "data.yaml or obj.data",
    progress_unit="images",
    export_options={"yolo_mode": "mode", "yolo_path": "path"},
)
