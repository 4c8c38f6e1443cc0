"""The neutral annotation model every format reads into and writes from: values only.

Coordinates are absolute pixels with the origin at the top-left corner of the image.  All
values are frozen dataclasses with slots; containers are tuples, except the ``extra`` and
``info`` mappings, which hold lossless leftovers and must be treated as read-only.  Beside
the values: the bounds readers hold their input to (:class:`Limits`), and the rules that
follow from the values alone (the label-kind rule, whether a geometry lies inside its image,
the area of a ring).

This is the bottom of ``pixlake.formats``: it imports the standard library and pixlake's
own stdlib-only modules (``names``, ``problems``), nothing above it.  How values travel
(the wire shape, the compact form) is in ``wire`` and ``compact``; how they are read and
written, in ``protocols`` and the format modules.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Literal, get_args

from pixlake.names import base_name_of, file_name_problem, folder_path_of, split_of, split_problem

from ._rle import decode_rle_string, mask_problem

__all__ = [
    "DEFAULT_LIMITS",
    "LABEL_KINDS",
    "OBJECT_KINDS",
    "QA",
    "AnnotatedImage",
    "Annotations",
    "Box",
    "LabelKind",
    "LabelKinds",
    "LabelSpec",
    "Limits",
    "Mask",
    "Obj",
    "ObjectKind",
    "Point",
    "Ring",
    "first_kind",
    "geometry_problem",
    "label_specs",
    "ring_area",
]

ObjectKind = Literal["classification", "rectangle", "polygon", "mask"]
"""What an object's geometry is.  ``mask`` objects belong to ``polygon`` labels."""

LabelKind = Literal["classification", "rectangle", "polygon"]
"""A label's type, as the SDK contract's ``create_labels(name, ann_type)`` takes it."""

Point = tuple[float, float]
Ring = tuple[Point, ...]

OBJECT_KINDS: Final[tuple[ObjectKind, ...]] = get_args(ObjectKind)
LABEL_KINDS: Final[tuple[LabelKind, ...]] = get_args(LabelKind)

_KIB: Final = 1024
_MIB: Final = 1024 * _KIB
_GIB: Final = 1024 * _MIB
_LABEL_RANK: Final[dict[str, int]] = {"classification": 0, "rectangle": 1, "polygon": 2, "mask": 2}


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

    def bitmap(self) -> bytes:
        """The mask as ``height`` rows of ``width`` bytes, 1 for foreground, 0 else."""
        columns = bytearray(self.height * self.width)  # the runs' own, column-major, order
        position = 0
        for index, length in enumerate(self.runs()):
            if index % 2 and length:
                columns[position : position + length] = b"\x01" * length
            position += length
        return b"".join(columns[row :: self.height] for row in range(self.height))

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
# Rules over values


def geometry_problem(
    box: Box | None, rings: Iterable[Ring], width: int, height: int, tolerance: float
) -> str | None:
    """Whether a box or polygon lies outside its image (by more than ``tolerance`` pixels)."""
    if width <= 0 or height <= 0:
        return None
    low_x, low_y = -tolerance, -tolerance
    high_x, high_y = width + tolerance, height + tolerance
    if box is not None and (
        box.x < low_x or box.y < low_y or box.right > high_x or box.bottom > high_y
    ):
        return f"expected a box inside the {width}x{height} image"
    for ring in rings:
        xs = [x for x, _y in ring]
        ys = [y for _x, y in ring]
        if min(xs) < low_x or max(xs) > high_x or min(ys) < low_y or max(ys) > high_y:
            return f"expected polygon points inside the {width}x{height} image"
    return None


class LabelKinds:
    """The richest kind seen so far for each label, object by object (for inputs read as a
    stream, whose objects are not all in memory at the end)."""

    __slots__ = ("_rank",)

    def __init__(self) -> None:
        self._rank: dict[str, int] = {}

    def add(self, obj: Obj) -> None:
        value = _LABEL_RANK[obj.kind]
        if self._rank.get(obj.label, -1) < value:
            self._rank[obj.label] = value

    def specs(self, names: Iterable[str], *, default: LabelKind) -> list[LabelSpec]:
        """Labels for ``names`` (in that order): see :func:`label_specs`."""
        kinds: tuple[LabelKind, ...] = ("classification", "rectangle", "polygon")
        rank = self._rank
        return [LabelSpec(name, kinds[rank[name]] if name in rank else default) for name in names]


def label_specs(
    names: Iterable[str], objects: Iterable[Obj], *, default: LabelKind
) -> list[LabelSpec]:
    """Labels for ``names`` (in that order), each of the richest kind among its objects.

    The rule: ``polygon`` if any of its objects is a polygon or a mask, else ``rectangle`` if
    any is a rectangle, else ``classification``; a label with no object takes ``default``.
    """
    kinds = LabelKinds()
    for obj in objects:
        kinds.add(obj)
    return kinds.specs(names, default=default)


def ring_area(ring: Ring) -> float:
    """The area enclosed by a ring (shoelace formula)."""
    total = 0.0
    x0, y0 = ring[-1]
    for x1, y1 in ring:
        total += x0 * y1 - x1 * y0
        x0, y0 = x1, y1
    return abs(total) / 2


def first_kind(objects: Iterable[Obj], fallback: LabelKind) -> LabelKind:
    """The label kind of the first object, the SDK contract's rule for a whole file."""
    for obj in objects:
        return obj.label_kind
    return fallback
