"""YOLO (Ultralytics layout) text labels: reader and exporter.

A YOLO dataset is a folder with ``images/``, ``labels/<stem>.txt`` (one object per line,
coordinates normalized to [0, 1]) and the class names in ``data.yaml`` or ``classes.txt``.
YOLO files do not give image sizes: the reader gets them from a lookup or from the images
(Pillow reads the header only).  See the package documentation for the mapping rules.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Final, Literal

from pixlake._text import counted
from pixlake.errors import InvalidInputError

from ._io import display_name, read_bounded
from ._names import file_name_problem
from ._problems import Problems, describe
from ._shared import ImageSizes, first_kind, geometry_problem, label_specs, ring_area
from ._yaml import dump_data_yaml, parse_names
from .base import (
    DEFAULT_LIMITS,
    AnnotatedImage,
    Annotations,
    Box,
    Exporter,
    LabelSpec,
    Limits,
    Obj,
    Point,
    ReadProgress,
    Ring,
    SizeLookup,
    StrPath,
)
from .sinks import Sink

__all__ = ["IMAGE_SUFFIXES", "YoloExporter", "YoloMode", "read_yolo"]

YoloMode = Literal["detect", "segment"]

#: File suffixes taken as images in the images folder (compared in lower case).
IMAGE_SUFFIXES: Final = frozenset(
    {".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp", ".gif", ".mpo"}
)

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
    """Read and validate a YOLO dataset folder.

    ``path`` holds ``labels/`` (or the ``.txt`` files themselves) and ``data.yaml`` or
    ``classes.txt`` (``data.yaml`` wins when both exist; ``classes.txt`` may also sit in
    ``labels/``).  ``images`` is the images folder (default ``<path>/images``): every image
    in it is in the result, with no objects when it has no label file.  ``image_size`` gives
    sizes without opening the images.  ``rectangle=True`` turns polygons into rectangles.

    Lines are ``class cx cy w h`` (a box), ``class cx cy w h score`` (a scored box) or
    ``class x1 y1 x2 y2 x3 y3 ...`` (a polygon).  Raises ``InvalidInputError`` naming the
    file, line and column of every problem.
    """
    root = Path(path)
    if not root.is_dir():
        raise InvalidInputError(
            f"{root.name} is not a YOLO folder",
            details=[
                {
                    "file": root.name,
                    "line": None,
                    "field": None,
                    "message": "expected a folder with labels/ and data.yaml or classes.txt",
                }
            ],
        )
    problems = Problems(limit=limits.max_problems)
    labels_dir = root / "labels" if (root / "labels").is_dir() else root
    images_dir = Path(images) if images is not None else root / "images"
    names = _class_names(root, labels_dir, problems, limits)
    problems.raise_if_any(f"YOLO folder {root.name}")
    assert names is not None

    label_files = {
        file.stem: file
        for file in sorted(labels_dir.iterdir())
        if file.suffix == ".txt" and file.name != "classes.txt" and file.is_file()
    }
    image_files: dict[str, str] = {}
    if not images_dir.is_dir():
        problems.add(f"expected a folder of images at {images_dir.name}/", file=images_dir.name)
    else:
        for file in sorted(images_dir.iterdir()):
            if file.suffix.lower() not in IMAGE_SUFFIXES or not file.is_file():
                continue
            problem = file_name_problem(file.name)
            if problem is not None:
                problems.add(problem, file=display_name(file, root))
                continue
            if file.stem in image_files:
                problems.add(
                    f"expected one image per name, {file.name} and "
                    f"{image_files[file.stem]} share the stem {file.stem!r}",
                    file=display_name(file, root),
                )
            image_files[file.stem] = file.name
    for stem, file in label_files.items():
        if stem not in image_files and images_dir.is_dir():
            problems.add(
                f"expected an image named {stem}.<ext> in {images_dir.name}/",
                file=display_name(file, root),
            )

    sizes = ImageSizes(folder=images_dir, lookup=image_size)
    parser = _LabelParser(names=names, problems=problems, limits=limits, rectangle=rectangle)
    result: list[AnnotatedImage] = []
    for done, (stem, file_name) in enumerate(sorted(image_files.items(), key=lambda item: item[1])):
        if progress is not None:
            progress(done, len(image_files))
        size, problem = sizes.get(file_name)
        if size is None:
            problems.add(problem or "", file=f"{images_dir.name}/{file_name}")
            size = (0, 0)
        objects: tuple[Obj, ...] = ()
        label_file = label_files.get(stem)
        if label_file is not None:
            objects = parser.parse(label_file, display_name(label_file, root), *size)
        if size != (0, 0):
            result.append(
                AnnotatedImage(file_name=file_name, width=size[0], height=size[1], objects=objects)
            )
    if progress is not None:
        progress(len(image_files), len(image_files))
    problems.raise_if_any(f"YOLO folder {root.name}")
    every = [obj for image in result for obj in image.objects]
    return Annotations(
        labels=label_specs(names, every, default=first_kind(every, "rectangle")),
        images=result,
    )


def _class_names(
    root: Path, labels_dir: Path, problems: Problems, limits: Limits
) -> list[str] | None:
    """The class names from ``data.yaml`` (or ``data.yml``), else from ``classes.txt``."""
    for candidate in (root / "data.yaml", root / "data.yml"):
        if candidate.is_file():
            problems.file = candidate.name
            text = _text(candidate, candidate.name, problems, limits)
            names = parse_names(text, problems) if text is not None else None
            break
    else:
        for candidate in (root / "classes.txt", labels_dir / "classes.txt"):
            if candidate.is_file():
                display = display_name(candidate, root)
                problems.file = display
                text = _text(candidate, display, problems, limits)
                names = None if text is None else _classes_txt(text, problems)
                break
        else:
            problems.add("expected class names in data.yaml or classes.txt", file=root.name)
            return None
    if names is not None:
        seen: dict[str, int] = {}
        for index, name in enumerate(names):
            if name in seen:
                problems.add(f"expected unique class names, {name!r} is also class {seen[name]}")
                names = None
                break
            seen[name] = index
    problems.file = None
    return names


def _classes_txt(text: str, problems: Problems) -> list[str] | None:
    lines = [line.strip() for line in text.splitlines()]
    while lines and not lines[-1]:
        lines.pop()
    for number, line in enumerate(lines, start=1):
        if not line:
            problems.add("expected a class name on every line", line=number)
            return None
    if not lines:
        problems.add("expected at least one class name")
        return None
    return lines


def _text(file: Path, display: str, problems: Problems, limits: Limits) -> str | None:
    data = read_bounded(file, limit=limits.max_text_bytes, display=display, what="text file")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        problems.add(f"expected UTF-8 text, got a bad byte at offset {exc.start}", file=display)
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
        text = _text(file, display, problems, self.limits)
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
    """Writes ``labels/<stem>.txt`` per image, ``classes.txt`` and ``data.yaml``.

    Images go to ``images/<file_name>``.  Class indices follow the label order.  With
    ``mode="detect"`` (default) every object with geometry is a box row
    ``class cx cy w h`` (a polygon's or mask's box, else its extent).  With
    ``mode="segment"`` polygons are written as ``class x1 y1 ...`` rows, their largest ring
    when they have several (YOLO has one ring per object), and rectangles and masks as the
    4 corners of their box, since a segmentation dataset cannot mix box rows.  Coordinates
    are clipped to the image and written with 6 decimals.  Classification objects are not
    written.  Every image gets a label file, empty when it has no object.
    """

    format = "YOLO"

    def __init__(
        self,
        sink: Sink,
        labels: Sequence[LabelSpec],
        *,
        info: Mapping[str, Any] | None = None,
        mode: YoloMode = "detect",
    ) -> None:
        super().__init__(sink, labels, info=info)
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
            if any(char in label.name for char in "\r\n"):
                raise InvalidInputError(
                    f"label {label.name!r} cannot be written to classes.txt",
                    details=[
                        {
                            "file": None,
                            "line": None,
                            "field": f"labels[{index}].name",
                            "message": "expected a label name without line breaks",
                        }
                    ],
                )
        self.mode: YoloMode = mode

    def paths_of(self, file_name: str) -> tuple[str, ...]:
        return (self.image_path(file_name), self.label_path(file_name))

    def label_path(self, file_name: str) -> str:
        """Where the label file of image ``file_name`` goes."""
        return f"labels/{os.path.splitext(file_name)[0]}.txt"

    def _write(self, image: AnnotatedImage) -> None:
        width, height = image.width, image.height
        rows: list[str] = []
        for obj in image.objects:
            box = obj.extent()
            if box is None:
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
            index = self._label_index[obj.label]
            if self.mode == "segment":
                ring = (
                    max(obj.polygons, key=ring_area)
                    if obj.polygons
                    else _corners(box.clip(width, height))
                )
                rows.append(f"{index} " + " ".join(_point(p, width, height) for p in ring))
            else:
                box = box.clip(width, height)
                rows.append(
                    f"{index} {(box.x + box.w / 2) / width:.6f} {(box.y + box.h / 2) / height:.6f}"
                    f" {box.w / width:.6f} {box.h / height:.6f}"
                )
        data = "".join(row + "\n" for row in rows)
        self.sink.write_bytes(self.label_path(image.file_name), data.encode())

    def _finish(self) -> None:
        names = [label.name for label in self.labels]
        self.sink.write_bytes("classes.txt", "".join(name + "\n" for name in names).encode())
        self.sink.write_bytes("data.yaml", dump_data_yaml(names))


def _corners(box: Box) -> Ring:
    return ((box.x, box.y), (box.right, box.y), (box.right, box.bottom), (box.x, box.bottom))


def _point(point: Point, width: int, height: int) -> str:
    x = min(max(point[0], 0.0), width) / width
    y = min(max(point[1], 0.0), height) / height
    return f"{x:.6f} {y:.6f}"
