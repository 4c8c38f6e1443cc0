"""The neutral annotation model every format reads into and writes from.

Coordinates are absolute pixels with the origin at the top-left corner of the image.  All
values are frozen dataclasses with slots; containers are tuples, except the ``extra`` and
``info`` mappings, which hold lossless leftovers and must be treated as read-only.

The module also holds what every format shares: the wire shape of the SDK contract
(:meth:`Obj.to_wire`, :meth:`Obj.from_wire`), file-name validation (:func:`safe_file_name`),
input limits (:class:`Limits`), the :class:`Reader` protocol and the :class:`Exporter` base.
"""

from __future__ import annotations

import abc
import dataclasses
import math
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, ClassVar, Final, Literal, Protocol, Self, get_args

from pixlake.errors import InvalidInputError
from pixlake.names import DEFAULT_SPLIT, split_of, split_problem

from ._io import image_size_of
from ._names import base_name_of, file_name_problem, folder_path_of
from ._problems import Problems, describe
from ._rle import decode_rle_string, mask_problem
from .sinks import Sink

__all__ = [
    "DEFAULT_LIMITS",
    "QA",
    "AnnotatedImage",
    "Annotations",
    "Box",
    "CompactObject",
    "Exporter",
    "LabelKind",
    "LabelSpec",
    "Limits",
    "Mask",
    "Obj",
    "ObjectKind",
    "Point",
    "ReadProgress",
    "Reader",
    "Ring",
    "SizeLookup",
    "StrPath",
    "read_image_size",
    "safe_file_name",
]

ObjectKind = Literal["classification", "rectangle", "polygon", "mask"]
"""What an object's geometry is.  ``mask`` objects belong to ``polygon`` labels."""

CompactObject = tuple[str, str, Mapping[str, Any]]
"""An object as pixlake stores it: ``(kind, label, data)``, ``data`` in the compact form
less ``type`` and ``label`` (``pixlake.formats._compact``)."""

LabelKind = Literal["classification", "rectangle", "polygon"]
"""A label's type, as the SDK contract's ``create_labels(name, ann_type)`` takes it."""

Point = tuple[float, float]
Ring = tuple[Point, ...]
StrPath = str | os.PathLike[str]

SizeLookup = Callable[[str], tuple[int, int] | None]
"""Gives ``(width, height)`` for an image file name, or ``None`` when it does not know it."""

ReadProgress = Callable[[int, int], None]
"""Told how far a reader has got, as ``(done, total)``: bytes of the file for COCO and
PICSELLIA, XML files for PASCAL-VOC, images for YOLO.  ``total`` may grow (a COCO file read
twice); the last call has ``done == total``."""

OBJECT_KINDS: Final[tuple[ObjectKind, ...]] = get_args(ObjectKind)
LABEL_KINDS: Final[tuple[LabelKind, ...]] = get_args(LabelKind)

_KIB: Final = 1024
_MIB: Final = 1024 * _KIB
_GIB: Final = 1024 * _MIB


# --------------------------------------------------------------------------------------
# Limits


@dataclass(frozen=True, slots=True)
class Limits:
    """Bounds that readers enforce on their input."""

    #: Largest JSON file (COCO, PICSELLIA), in bytes.
    max_json_bytes: int = 2 * _GIB
    #: Largest XML file (one PASCAL-VOC annotation), in bytes.
    max_xml_bytes: int = 10 * _MIB
    #: Largest text file (YOLO labels, ``classes.txt``, ``data.yaml``), in bytes.
    max_text_bytes: int = 10 * _MIB
    #: Deepest nesting of the JSON values kept as they are (``extra``, ``info``).
    max_depth: int = 32
    #: Most problems listed in one error; the rest are counted ("... and N more problems").
    max_problems: int = 50
    #: How far, in pixels, a box or a point may lie outside its image (rounding slack).
    tolerance: float = 1.0


DEFAULT_LIMITS: Final = Limits()


# --------------------------------------------------------------------------------------
# Value objects


@dataclass(frozen=True, slots=True)
class QA:
    """One question and its answer, on an image or on an object."""

    question: str
    answer: str

    def to_wire(self) -> dict[str, str]:
        """``{"question": ..., "answer": ...}``."""
        return {"question": self.question, "answer": self.answer}


@dataclass(frozen=True, slots=True)
class Box:
    """An axis-aligned box: top-left corner ``(x, y)``, width ``w`` and height ``h``, in pixels."""

    x: float
    y: float
    w: float
    h: float

    def __post_init__(self) -> None:
        if not (
            math.isfinite(self.x)
            and math.isfinite(self.y)
            and math.isfinite(self.w)
            and math.isfinite(self.h)
        ):
            raise ValueError(f"box coordinates must be finite numbers: {self!r}")
        if self.w < 0 or self.h < 0:
            raise ValueError(f"box width and height must not be negative: {self!r}")

    @property
    def right(self) -> float:
        """``x + w``."""
        return self.x + self.w

    @property
    def bottom(self) -> float:
        """``y + h``."""
        return self.y + self.h

    @property
    def area(self) -> float:
        """``w * h``."""
        return self.w * self.h

    @classmethod
    def from_corners(cls, x0: float, y0: float, x1: float, y1: float) -> Box:
        """The box from its top-left ``(x0, y0)`` to its bottom-right ``(x1, y1)`` corner."""
        return cls(x0, y0, x1 - x0, y1 - y0)

    @classmethod
    def enclosing(cls, rings: Iterable[Ring]) -> Box:
        """The smallest box holding every point of ``rings``."""
        xs: list[float] = []
        ys: list[float] = []
        for ring in rings:
            xs.extend(p[0] for p in ring)
            ys.extend(p[1] for p in ring)
        if not xs:
            raise ValueError("no points to enclose")
        return cls.from_corners(min(xs), min(ys), max(xs), max(ys))

    def clip(self, width: float, height: float) -> Box:
        """This box cut to the image ``[0, width] x [0, height]``."""
        x0 = min(max(self.x, 0.0), width)
        y0 = min(max(self.y, 0.0), height)
        x1 = min(max(self.right, 0.0), width)
        y1 = min(max(self.bottom, 0.0), height)
        return Box.from_corners(x0, y0, x1, y1)


@dataclass(frozen=True, slots=True)
class Mask:
    """A binary mask as a COCO run-length encoding (RLE), kept losslessly.

    ``counts`` is either COCO's compressed string or the uncompressed run lengths (a tuple of
    ints).  Runs go down the columns (column-major order) and start with background.  The
    constructor validates the encoding: the runs must cover exactly ``height * width`` pixels.
    """

    height: int
    width: int
    counts: str | tuple[int, ...]

    def __post_init__(self) -> None:
        problem = mask_problem(self.height, self.width, self.counts)
        if problem is not None:
            raise ValueError(problem)

    def runs(self) -> list[int]:
        """The run lengths, decoding the compressed string if need be."""
        if isinstance(self.counts, str):
            runs = decode_rle_string(self.counts)
            assert runs is not None  # validated by the constructor
            return runs
        return list(self.counts)

    def area(self) -> int:
        """The number of foreground pixels."""
        return sum(self.runs()[1::2])

    def bbox(self) -> Box:
        """The box around the foreground pixels, as ``pycocotools.mask.toBbox`` gives it.

        An empty mask gives ``Box(0, 0, 0, 0)``.
        """
        height = self.height
        x_min, y_min, x_max, y_max = self.width, height, -1, -1
        position = 0
        for index, length in enumerate(self.runs()):
            if index % 2 and length > 0:
                first_x, first_y = divmod(position, height)
                last_x, last_y = divmod(position + length - 1, height)
                x_min = min(x_min, first_x)
                x_max = max(x_max, last_x)
                if last_x > first_x:  # the run wraps to the next column: every row is hit
                    y_min, y_max = 0, height - 1
                else:
                    y_min = min(y_min, first_y)
                    y_max = max(y_max, last_y)
            position += length
        if x_max < 0:
            return Box(0.0, 0.0, 0.0, 0.0)
        return Box(float(x_min), float(y_min), float(x_max - x_min + 1), float(y_max - y_min + 1))

    @classmethod
    def from_coco(cls, rle: Mapping[str, Any]) -> Mask:
        """A mask from COCO's RLE object, the reverse of :meth:`to_coco` (the counts are
        checked as for any mask)."""
        height, width = rle["size"]
        counts = rle["counts"]
        return cls(height, width, counts if isinstance(counts, str) else tuple(counts))

    def to_coco(self) -> dict[str, Any]:
        """COCO's RLE object: ``{"size": [height, width], "counts": str | list[int]}``."""
        counts = self.counts if isinstance(self.counts, str) else list(self.counts)
        return {"size": [self.height, self.width], "counts": counts}


@dataclass(frozen=True, slots=True, kw_only=True)
class Obj:
    """One annotated object of an image.

    ``kind`` says which geometry the object has:

    - ``classification``: none (``box``, ``polygons`` and ``mask`` are empty);
    - ``rectangle``: ``box``;
    - ``polygon``: ``polygons``, one or more rings of at least 3 points each (COCO objects may
      have several disjoint parts), and optionally ``box`` (COCO stores both);
    - ``mask``: ``mask``, and optionally ``box``.

    ``iscrowd``, ``area`` and ``score`` are COCO's; ``extra`` holds a format's other fields
    losslessly (PASCAL-VOC ``difficult``, ``truncated``, ``pose``; unknown COCO keys).
    """

    label: str
    kind: ObjectKind
    box: Box | None = None
    polygons: tuple[Ring, ...] = ()
    mask: Mask | None = None
    iscrowd: bool = False
    area: float | None = None
    score: float | None = None
    qa: tuple[QA, ...] = ()
    extra: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        kind = self.kind
        if kind == "rectangle":
            ok = self.box is not None and not self.polygons and self.mask is None
        elif kind == "polygon":
            ok = bool(self.polygons) and self.mask is None
            if ok and any(len(ring) < 3 for ring in self.polygons):
                raise ValueError("every polygon ring needs at least 3 points")
        elif kind == "mask":
            ok = self.mask is not None and not self.polygons
        elif kind == "classification":
            ok = self.box is None and not self.polygons and self.mask is None
        else:
            raise ValueError(f"unknown object kind {kind!r}, expected one of {OBJECT_KINDS}")
        if not ok:
            raise ValueError(f"a {kind} object has the wrong geometry: {self!r}")
        if not isinstance(self.label, str) or not self.label:
            raise ValueError("an object needs a label (a non-empty string)")

    @property
    def label_kind(self) -> LabelKind:
        """The kind of label this object belongs to (a ``mask`` object is a ``polygon``)."""
        return "polygon" if self.kind == "mask" else self.kind

    def extent(self) -> Box | None:
        """The object's box: ``box`` if set, else the extent of its polygons or mask."""
        if self.box is not None:
            return self.box
        if self.polygons:
            return Box.enclosing(self.polygons)
        if self.mask is not None:
            return self.mask.bbox()
        return None

    def to_wire(self) -> dict[str, Any]:
        """This object in the SDK contract's wire shape (see the package documentation)."""
        out: dict[str, Any] = {"type": self.kind, "label": self.label}
        if self.kind == "polygon":
            first, *others = self.polygons
            polygon: dict[str, Any] = {"geometry": _ring_to_wire(first)}
            if others:
                polygon["parts"] = [_ring_to_wire(ring) for ring in others]
            out["polygon"] = polygon
        elif self.kind == "mask":
            assert self.mask is not None
            out["mask"] = {
                "size": [self.mask.height, self.mask.width],
                "counts": self.mask.to_coco()["counts"],
            }
        if self.box is not None:
            out["rectangle"] = {
                "top": self.box.y,
                "left": self.box.x,
                "width": self.box.w,
                "height": self.box.h,
            }
        out["qa"] = [qa.to_wire() for qa in self.qa]
        if self.iscrowd:
            out["iscrowd"] = True
        if self.area is not None:
            out["area"] = self.area
        if self.score is not None:
            out["score"] = self.score
        if self.extra:
            out["extra"] = dict(self.extra)
        return out

    @classmethod
    def from_wire(cls, data: Any, *, field: str = "object") -> Obj:
        """Parse one object of the wire shape; raise ``InvalidInputError`` naming each problem.

        ``field`` is the JSON path of ``data`` used in the error details.
        """
        from ._shared import parse_wire_object

        problems = Problems()
        obj = parse_wire_object(data, field=field, problems=problems)
        problems.raise_if_any("annotation object")
        assert obj is not None
        return obj


def _ring_to_wire(ring: Ring) -> list[dict[str, float]]:
    return [{"x": x, "y": y} for x, y in ring]


@dataclass(frozen=True, slots=True, kw_only=True)
class AnnotatedImage:
    """One image and its annotation.

    ``file_name`` is the base name of the picture (its external URL in the datalake).
    ``width`` and ``height`` are in pixels; ``0`` means unknown (PICSELLIA files do not give
    them).  ``extra`` holds a format's image-level leftovers (PICSELLIA ``nb_instances`` and
    ``duration``; COCO ``id``, ``license``, ``date_captured``...).  ``path`` is where the
    annotation file puts the image relative to its images folder when that has folders (a
    COCO ``file_name`` of ``train2017/a.jpg``), with ``/`` between them; ``None`` otherwise.
    ``split`` is the part of the dataset the image belongs to (``train``, ``val``...), as the
    format's layout gives it (YOLO's ``images/<split>/``, COCO's ``instances_<split>.json``,
    PASCAL-VOC's ``ImageSets/Main/<split>.txt``); ``None`` when it has none, which those
    layouts call ``default``.
    """

    file_name: str
    width: int
    height: int
    objects: tuple[Obj, ...] = ()
    qa: tuple[QA, ...] = ()
    status: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)
    path: str | None = None
    split: str | None = None

    def __post_init__(self) -> None:
        problem = file_name_problem(self.file_name)
        if problem is not None:
            raise ValueError(f"{problem}: {self.file_name!r}")
        if self.split is not None:
            problem = split_problem(self.split)
            if problem is not None or split_of(self.split) is None:
                raise ValueError(problem or f"split {self.split!r} means none: use None")
        if self.path is not None and (
            base_name_of(self.path) != (self.file_name, None)
            or folder_path_of(self.path) != self.path
        ):
            raise ValueError(f"expected a relative path with folders ending in {self.file_name!r}")
        if self.width < 0 or self.height < 0:
            raise ValueError("image width and height must not be negative (0 means unknown)")


@dataclass(frozen=True, slots=True)
class LabelSpec:
    """A label of a dataset: its name and its kind."""

    name: str
    kind: LabelKind

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise ValueError("a label needs a non-empty name")
        if self.kind not in LABEL_KINDS:
            raise ValueError(f"unknown label kind {self.kind!r}, expected one of {LABEL_KINDS}")


@dataclass(frozen=True, slots=True, kw_only=True)
class Annotations:
    """Everything read from one input: labels, images and format-level metadata.

    ``labels`` keep the input's order (COCO: by category id).  ``info`` holds metadata an
    export may reproduce, under the format's name (``info["coco"]``: COCO ``info``,
    ``licenses``, original ``categories`` with ids and ``supercategory``).
    """

    labels: list[LabelSpec]
    images: Sequence[AnnotatedImage]
    info: Mapping[str, Any] = field(default_factory=dict)


# --------------------------------------------------------------------------------------
# File names


def safe_file_name(name: str, *, where: str) -> str:
    """Return ``name`` if it is a safe base file name, else raise ``InvalidInputError``.

    Refused: empty names, NUL bytes, absolute paths, path separators, ``.`` and ``..``, and
    names longer than 255 bytes.  ``where`` (a JSON path, a file and line...) is reported as
    the ``field`` of the error detail.
    """
    problem = file_name_problem(name)
    if problem is not None:
        raise InvalidInputError(
            f"unsafe file name {describe(name)}",
            details=[{"file": None, "line": None, "field": where, "message": problem}],
        )
    return name


# --------------------------------------------------------------------------------------
# Image sizes


def read_image_size(path: StrPath) -> tuple[int, int]:
    """``(width, height)`` of an image file, read from its header only (Pillow).

    Raises ``InvalidInputError`` when the file cannot be read as an image.
    """
    path = Path(path)
    try:
        return image_size_of(path)
    except (OSError, ValueError) as exc:
        raise InvalidInputError(
            f"cannot read the size of {path.name}",
            details=[
                {
                    "file": path.name,
                    "line": None,
                    "field": None,
                    "message": f"expected a readable image: {exc}",
                }
            ],
        ) from exc


# --------------------------------------------------------------------------------------
# Readers and exporters


class Reader(Protocol):
    """Reads one input (a file or a folder) into :class:`Annotations`, validating all of it.

    Options a format has no use for are ignored:

    - ``rectangle``: turn polygons and masks into rectangles (their box, else their extent);
    - ``images``: the folder of the images, for formats that need sizes (YOLO, and PICSELLIA
      when it should fill unknown sizes); YOLO defaults to ``<path>/images``;
    - ``image_size``: a lookup giving ``(width, height)`` for a file name, tried before
      opening the image;
    - ``limits``: size, depth and problem-count bounds;
    - ``progress``: called as the reading goes on (see :data:`ReadProgress`).

    Raises ``InvalidInputError`` listing every problem, or ``PayloadTooLargeError`` when a
    file exceeds its size limit.  Nothing is returned on error.
    """

    def __call__(
        self,
        path: StrPath,
        /,
        *,
        rectangle: bool = False,
        images: StrPath | None = None,
        image_size: SizeLookup | None = None,
        limits: Limits = DEFAULT_LIMITS,
        progress: ReadProgress | None = None,
    ) -> Annotations: ...


class Exporter(abc.ABC):
    """Writes annotations into a :class:`~pixlake.formats.sinks.Sink`, one image at a time.

    ``splits``, when given, are the splits the images will have (``None`` for none): formats
    that keep splits apart put the images without one in a ``default`` split when others
    have one.  Use it as a context manager: ``write()`` each image, and on a clean exit ``close()``
    finishes the annotation files; on an exception nothing more is written.  Memory stays
    flat whatever the number of images.  An exporter writes annotation files only: for each
    image the caller streams its bytes to ``sink.open(exporter.image_path(file_name))``.
    The caller owns the sink (and closes it after the exporter); it must not hold a sink
    entry open while calling the exporter, since a zip can only write one entry at a time.
    """

    #: The format's name in the registry ("COCO", "PASCAL-VOC", "YOLO", "PICSELLIA").
    format: ClassVar[str]
    #: The folder of the export that images go to.
    images_folder: ClassVar[str] = "images"

    def __init__(
        self,
        sink: Sink,
        labels: Sequence[LabelSpec],
        *,
        info: Mapping[str, Any] | None = None,
        splits: Iterable[str | None] | None = None,
    ) -> None:
        self.sink = sink
        self.labels: tuple[LabelSpec, ...] = tuple(labels)
        self.info: Mapping[str, Any] = info or {}
        #: Whether some image of the export has a split, when the caller said which splits
        #: the images have (``splits``; ``None`` when it did not).
        self.has_splits: bool | None = (
            None if splits is None else any(split is not None for split in splits)
        )
        self._label_index: dict[str, int] = {}
        for index, label in enumerate(self.labels):
            if label.name in self._label_index:
                raise InvalidInputError(
                    f"duplicate label {label.name!r}",
                    details=[
                        {
                            "file": None,
                            "line": None,
                            "field": f"labels[{index}].name",
                            "message": "expected unique label names",
                        }
                    ],
                )
            self._label_index[label.name] = index
        self._state: Literal["open", "closed", "aborted"] = "open"

    def folder_of(self, split: str | None) -> str | None:
        """The split folder or file an image of ``split`` goes to in formats that keep
        splits apart: its split, or ``default`` (the name the field's tools give it) for an
        image without one in an export whose other images have one."""
        if split is None and self.has_splits:
            return DEFAULT_SPLIT
        return split

    def report(self) -> list[str]:
        """What the export left out or changed to fit the format, a sentence per rule that
        applied (empty when it wrote everything as it is)."""
        return []

    def image_path(self, file_name: str, split: str | None = None) -> str:
        """Where, inside the sink, the caller must write the bytes of image ``file_name`` of
        ``split`` (formats that keep splits in folders put each in its own)."""
        return f"{self.images_folder}/{file_name}"

    def paths_of(self, file_name: str, split: str | None = None) -> tuple[str, ...]:
        """Every path the export of image ``file_name`` of ``split`` writes (its bytes, and
        its own annotation file in formats that have one per image): two images that share
        one cannot be in the same export."""
        return (self.image_path(file_name, split),)

    def write(self, image: AnnotatedImage) -> None:
        """Add one image and its objects to the export."""
        self._check_writable(image.file_name, [obj.label for obj in image.objects])
        self._write(image)

    def write_compact(self, image: AnnotatedImage, objects: Sequence[CompactObject]) -> None:
        """Add ``image`` with ``objects`` in the compact form pixlake stores them in
        (``pixlake.formats._compact``, already checked), instead of ``image.objects``.

        The result is what :meth:`write` gives for the same objects rebuilt as :class:`Obj`,
        which is what this does.  A format that can write the compact form as it stands
        overrides it: an export reads its objects in that form, and rebuilding each one costs
        as much as writing it."""
        from ._compact import from_compact  # that module builds on this one

        rebuilt = tuple([from_compact(kind, label, data) for kind, label, data in objects])
        self.write(dataclasses.replace(image, objects=rebuilt))

    def _check_writable(self, file_name: str, labels: Sequence[str]) -> None:
        """Refuse a write once closed, or one with a label the export does not have."""
        if self._state != "open":
            raise ValueError(f"write() on a {self._state} exporter")
        for index, label in enumerate(labels):
            if label not in self._label_index:
                raise InvalidInputError(
                    f"unknown label {label!r} in {file_name}",
                    details=[
                        {
                            "file": file_name,
                            "line": None,
                            "field": f"objects[{index}].label",
                            "message": "expected one of the export's labels",
                        }
                    ],
                )

    @abc.abstractmethod
    def _write(self, image: AnnotatedImage) -> None:
        """Write one image whose labels are known."""

    def close(self) -> None:
        """Finish the annotation files (idempotent).  Does not close the sink."""
        if self._state == "open":
            try:
                self._finish()
            finally:
                self._state = "closed"
                self._release()

    def abort(self) -> None:
        """Drop what is pending without finishing the files (idempotent)."""
        if self._state == "open":
            self._state = "aborted"
            self._release()

    def _finish(self) -> None:  # noqa: B027 - optional hook
        """Write what only the end can write (category lists, spooled JSON)."""

    def _release(self) -> None:  # noqa: B027 - optional hook
        """Free temporary resources."""

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()
