"""The SDK contract's wire shape of annotation objects: written by :func:`to_wire`, read
and checked by :func:`parse_wire_object` (recording problems) or :func:`from_wire` (raising).

The shape is described in the package documentation (``pixlake.formats``, "The wire
shape").  The checks that the compact form shares (an object's head, its mask, its
attributes and its geometry against the image) are here too, for ``compact`` to build on.
"""

from __future__ import annotations

from typing import Any, Final

from pixlake.problems import Problems, describe

from ._io import check_opaque, is_number
from ._rle import mask_problem
from .model import OBJECT_KINDS, QA, Box, Mask, Obj, ObjectKind, Point, Ring, geometry_problem

__all__ = [
    "complete_object",
    "from_wire",
    "parse_attributes",
    "parse_head",
    "parse_mask",
    "parse_qa",
    "parse_wire_object",
    "qa_to_wire",
    "to_wire",
]


def qa_to_wire(qa: QA) -> dict[str, str]:
    """``{"question": ..., "answer": ...}``."""
    return {"question": qa.question, "answer": qa.answer}


def to_wire(obj: Obj) -> dict[str, Any]:
    """``obj`` in the SDK contract's wire shape (see the package documentation)."""
    out: dict[str, Any] = {"type": obj.kind, "label": obj.label}
    if obj.kind == "polygon":
        first, *others = obj.polygons
        polygon: dict[str, Any] = {"geometry": _ring_to_wire(first)}
        if others:
            polygon["parts"] = [_ring_to_wire(ring) for ring in others]
        out["polygon"] = polygon
    elif obj.kind == "mask":
        assert obj.mask is not None
        out["mask"] = {
            "size": [obj.mask.height, obj.mask.width],
            "counts": obj.mask.to_coco()["counts"],
        }
    if obj.box is not None:
        out["rectangle"] = {
            "top": obj.box.y,
            "left": obj.box.x,
            "width": obj.box.w,
            "height": obj.box.h,
        }
    out["qa"] = [qa_to_wire(qa) for qa in obj.qa]
    if obj.iscrowd:
        out["iscrowd"] = True
    if obj.area is not None:
        out["area"] = obj.area
    if obj.score is not None:
        out["score"] = obj.score
    if obj.extra:
        out["extra"] = dict(obj.extra)
    return out


def _ring_to_wire(ring: Ring) -> list[dict[str, float]]:
    return [{"x": x, "y": y} for x, y in ring]


def from_wire(data: Any, *, field: str = "object") -> Obj:
    """Parse one object of the wire shape; raise ``InvalidInputError`` naming each problem.

    ``field`` is the JSON path of ``data`` used in the error details.
    """
    problems = Problems()
    obj = parse_wire_object(data, field=field, problems=problems)
    problems.raise_if_any("annotation object")
    assert obj is not None
    return obj


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
