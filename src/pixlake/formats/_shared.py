"""Helpers the readers share: image sizes, bounds checks, label kinds, the wire shape."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any, Final

from ._io import check_opaque, image_size_of, is_number
from ._problems import Problems, describe
from ._rle import mask_problem
from .base import (
    OBJECT_KINDS,
    QA,
    Box,
    LabelKind,
    LabelSpec,
    Mask,
    Obj,
    ObjectKind,
    Point,
    Ring,
    SizeLookup,
)

__all__ = [
    "ImageSizes",
    "LabelKinds",
    "complete_object",
    "first_kind",
    "geometry_problem",
    "label_specs",
    "parse_qa",
    "parse_wire_object",
    "ring_area",
]

_LABEL_RANK: Final[dict[str, int]] = {"classification": 0, "rectangle": 1, "polygon": 2, "mask": 2}


class ImageSizes:
    """Where readers get image sizes from: a lookup first, then the images folder."""

    __slots__ = ("_folder", "_lookup")

    def __init__(self, *, folder: Path | None, lookup: SizeLookup | None) -> None:
        self._folder = folder
        self._lookup = lookup

    @property
    def available(self) -> bool:
        return self._folder is not None or self._lookup is not None

    def get(self, file_name: str) -> tuple[tuple[int, int] | None, str | None]:
        """``((width, height), None)`` or ``(None, problem)``."""
        if self._lookup is not None:
            size = self._lookup(file_name)
            if size is not None:
                width, height = size
                if type(width) is not int or type(height) is not int or width <= 0 or height <= 0:
                    return None, f"expected a positive (width, height), got {describe(size)}"
                return (width, height), None
        if self._folder is None:
            return None, "expected the image size from the size lookup"
        try:
            return image_size_of(self._folder / file_name), None
        except FileNotFoundError:
            return None, f"expected the image {file_name} in the images folder"
        except (OSError, ValueError) as exc:
            return None, f"expected a readable image: {exc}"


# --------------------------------------------------------------------------------------
# Validation helpers shared by the readers


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


# --------------------------------------------------------------------------------------
# The wire shape


def _number(value: Any, field: str, problems: Problems, *, minimum: float | None = None) -> bool:
    if not is_number(value):
        problems.add(f"expected a number, got {describe(value)}", field=field)
        return False
    if minimum is not None and value < minimum:
        problems.add(f"expected a number >= {minimum:g}, got {describe(value)}", field=field)
        return False
    return True


def parse_qa(data: Any, *, field: str, problems: Problems) -> tuple[QA, ...]:
    """Parse a wire Q&A list ``[{question, answer}]`` (``None`` means none)."""
    if data is None:
        return ()
    if type(data) is not list:
        problems.add("expected a list of {question, answer} objects", field=field)
        return ()
    out: list[QA] = []
    for i, item in enumerate(data):
        here = f"{field}[{i}]"
        if (
            type(item) is not dict
            or not isinstance(item.get("question"), str)
            or not isinstance(item.get("answer"), str)
        ):
            problems.add("expected {question: string, answer: string}", field=here)
            continue
        out.append(QA(item["question"], item["answer"]))
    return tuple(out)


def _parse_wire_ring(data: Any, field: str, problems: Problems) -> Ring | None:
    if type(data) is not list:
        problems.add("expected a list of {x, y} points", field=field)
        return None
    points: list[Point] = []
    for i, point in enumerate(data):
        if type(point) is not dict:
            problems.add("expected a point {x, y}", field=f"{field}[{i}]")
            return None
        x: Any = point.get("x")
        y: Any = point.get("y")
        if not (is_number(x) and is_number(y)):
            problems.add(
                f"expected numbers x and y, got {describe(x)} and {describe(y)}",
                field=f"{field}[{i}]",
            )
            return None
        points.append((x, y))
    if len(points) < 3:
        problems.add(f"expected at least 3 points, got {len(points)}", field=field)
        return None
    return tuple(points)


def _parse_wire_box(data: Any, field: str, problems: Problems) -> Box | None:
    if type(data) is not dict:
        problems.add("expected {top, left, width, height}", field=field)
        return None
    before = len(problems)
    top: Any = data.get("top")
    left: Any = data.get("left")
    width: Any = data.get("width")
    height: Any = data.get("height")
    _number(top, f"{field}.top", problems)
    _number(left, f"{field}.left", problems)
    _number(width, f"{field}.width", problems, minimum=0)
    _number(height, f"{field}.height", problems, minimum=0)
    if len(problems) > before:
        return None
    return Box(left, top, width, height)


_WIRE_KEYS: Final = frozenset(
    {"type", "label", "rectangle", "polygon", "mask", "qa", "iscrowd", "area", "score", "extra"}
)


def parse_head(data: Any, *, field: str, problems: Problems) -> tuple[ObjectKind, Any] | None:
    """An object's ``type`` and ``label`` (in either of its forms), recording problems;
    ``None`` when it is no object or of no known type (nothing else can be checked then).  A
    bad label is recorded and returned as it is."""
    if type(data) is not dict:
        problems.add("expected an object {type, label, ...}", field=field)
        return None
    kind: Any = data.get("type")
    label: Any = data.get("label")
    if kind not in OBJECT_KINDS:
        problems.add(
            f"expected a type among {', '.join(OBJECT_KINDS)}, got {describe(kind)}",
            field=f"{field}.type",
        )
        return None
    if not isinstance(label, str) or not label:
        problems.add(
            f"expected a label name (a non-empty string), got {describe(label)}",
            field=f"{field}.label",
        )
    return kind, label


def parse_mask(raw: Any, *, field: str, problems: Problems, width: int, height: int) -> Mask | None:
    """A mask ``{size: [height, width], counts}``, of the image's size when that is known."""
    size = raw.get("size") if type(raw) is dict else None
    if type(raw) is not dict or type(size) is not list or len(size) != 2:
        problems.add("expected {size: [height, width], counts: string | [int, ...]}", field=field)
        return None
    problem = mask_problem(size[0], size[1], raw.get("counts"))
    if problem is not None:
        problems.add(problem, field=field)
        return None
    mask = Mask.from_coco(raw)
    if width > 0 and height > 0 and (mask.height, mask.width) != (height, width):
        problems.add(
            f"expected the image size [{height}, {width}], got {describe(size)}",
            field=f"{field}.size",
        )
    return mask


def parse_attributes(
    data: dict[str, Any], extra: Any, *, field: str, problems: Problems, max_depth: int
) -> tuple[tuple[QA, ...], Any, Any, Any, dict[str, Any]]:
    """An object's ``qa``, ``iscrowd``, ``area``, ``score`` and ``extra`` (given: a form may
    add to it), each checked: ``(qa, iscrowd, area, score, extra)``."""
    qa = parse_qa(data.get("qa"), field=f"{field}.qa", problems=problems)
    iscrowd = data.get("iscrowd", False)
    if type(iscrowd) is not bool:
        problems.add(f"expected true or false, got {describe(iscrowd)}", field=f"{field}.iscrowd")
    area = data.get("area")
    if area is not None:
        _number(area, f"{field}.area", problems, minimum=0)
    score = data.get("score")
    if score is not None:
        _number(score, f"{field}.score", problems)
    if type(extra) is not dict:
        problems.add("expected an object", field=f"{field}.extra")
        extra = {}
    check_opaque(extra, field=f"{field}.extra", problems=problems, max_depth=max_depth)
    return qa, iscrowd, area, score, extra


def parse_wire_object(
    data: Any,
    *,
    field: str,
    problems: Problems,
    width: int = 0,
    height: int = 0,
    tolerance: float = 1.0,
    max_depth: int = 32,
) -> Obj | None:
    """Parse one wire object, recording problems; ``None`` if it is not valid.

    When ``width`` and ``height`` are known (> 0), the geometry must lie inside the image.
    """
    before = len(problems)
    head = parse_head(data, field=field, problems=problems)
    if head is None:
        return None
    kind, label = head
    box: Box | None = None
    rings: list[Ring] = []
    mask: Mask | None = None
    raw_box = data.get("rectangle")
    if kind == "classification":
        if raw_box not in (None, []) or data.get("polygon") is not None or data.get("mask"):
            problems.add("expected no geometry on a classification object", field=field)
    elif kind == "rectangle" or raw_box not in (None, []):  # VOC polygons send ``rectangle: []``
        box = _parse_wire_box(raw_box, f"{field}.rectangle", problems)
    if kind == "polygon":
        polygon = data.get("polygon")
        if type(polygon) is not dict:
            problems.add("expected {geometry: [{x, y}, ...]}", field=f"{field}.polygon")
        else:
            ring = _parse_wire_ring(polygon.get("geometry"), f"{field}.polygon.geometry", problems)
            if ring is not None:
                rings.append(ring)
            parts = polygon.get("parts", [])
            if type(parts) is not list:
                problems.add("expected a list of rings", field=f"{field}.polygon.parts")
            else:
                for i, part in enumerate(parts):
                    ring = _parse_wire_ring(part, f"{field}.polygon.parts[{i}]", problems)
                    if ring is not None:
                        rings.append(ring)
    elif kind == "mask":
        mask = parse_mask(
            data.get("mask"), field=f"{field}.mask", problems=problems, width=width, height=height
        )
    extra = data.get("extra", {})
    if not data.keys() <= _WIRE_KEYS and type(extra) is dict:
        # keys of other tools are kept, losslessly and in their order, in extra
        extra = {**extra, **{key: value for key, value in data.items() if key not in _WIRE_KEYS}}
    return complete_object(
        data,
        extra,
        (kind, label, box, rings, mask),
        field=field,
        problems=problems,
        before=before,
        width=width,
        height=height,
        tolerance=tolerance,
        max_depth=max_depth,
    )


def complete_object(
    data: dict[str, Any],
    extra: Any,
    geometry: tuple[ObjectKind, Any, Box | None, list[Ring], Mask | None],
    *,
    field: str,
    problems: Problems,
    before: int,
    width: int,
    height: int,
    tolerance: float,
    max_depth: int,
) -> Obj | None:
    """The end of parsing an object, in either of its forms: its attributes checked (see
    ``parse_attributes``), then, unless ``problems`` has grown past ``before``, its geometry
    (``kind, label, box, rings, mask``) checked against the image; ``None`` when invalid."""
    kind, label, box, rings, mask = geometry
    qa, iscrowd, area, score, extra = parse_attributes(
        data, extra, field=field, problems=problems, max_depth=max_depth
    )
    if len(problems) > before:
        return None
    problem = geometry_problem(box, rings, width, height, tolerance)
    if problem is not None:
        problems.add(problem, field=field)
        return None
    return Obj(
        label=label,
        kind=kind,
        box=box,
        polygons=tuple(rings),
        mask=mask,
        iscrowd=iscrowd,
        area=area,
        score=score,
        qa=qa,
        extra=extra,
    )
