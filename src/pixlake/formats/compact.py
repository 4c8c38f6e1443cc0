"""The compact form of an object: how pixlake itself carries and keeps annotations.

The SDK contract's wire shape writes every polygon point as ``{"x": ..., "y": ...}`` and
every box as ``{"top", "left", "width", "height"}``; that is what users send and read.  An
import document and the database hold objects in this form instead, about half the size and
several times quicker to encode, decode and check::

    {"type": "polygon", "label": "car",
     "box": [x, y, w, h],                 # optional for polygons and masks
     "rings": [[x1, y1, x2, y2, ...], ...],
     "mask": {"size": [height, width], "counts": "..." | [int, ...]},
     "qa": [{"question": ..., "answer": ...}], "iscrowd": true, "area": 1.5, "score": 0.9,
     "extra": {...}}

Keys without a value (no box, no Q&A, not crowd...) are left out.  Stored rows drop ``type``
and ``label``, which have columns of their own.  :func:`parse_compact` checks everything a
client sends, as strictly as ``wire.parse_wire_object`` (an unknown key is refused: this form is
pixlake's own); :func:`from_compact` rebuilds what pixlake stored after that check.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, Final

from pixlake.problems import Problems, describe

from ._io import is_number, is_numbers
from .model import QA, Box, Mask, Obj, Ring
from .wire import complete_object, parse_head, parse_mask, qa_to_wire

__all__ = [
    "COMPACT_KEYS",
    "PLAIN_KEYS",
    "CompactObject",
    "from_compact",
    "parse_compact",
    "plain_object",
    "to_compact",
]

CompactObject = tuple[str, str, Mapping[str, Any]]
"""An object as pixlake stores it: ``(kind, label, data)``, ``data`` in the compact form
less ``type`` and ``label``."""

COMPACT_KEYS: Final = frozenset(
    {"type", "label", "box", "rings", "mask", "qa", "iscrowd", "area", "score", "extra"}
)


def to_compact(obj: Obj, *, typed: bool = True) -> dict[str, Any]:
    """``obj`` in the compact form; without ``type`` and ``label`` unless ``typed``."""
    out: dict[str, Any] = {"type": obj.kind, "label": obj.label} if typed else {}
    box = obj.box
    if box is not None:
        out["box"] = [box.x, box.y, box.w, box.h]
    if obj.polygons:
        out["rings"] = [[c for point in ring for c in point] for ring in obj.polygons]
    if obj.mask is not None:
        out["mask"] = obj.mask.to_coco()
    if obj.qa:
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


#: The keys of a plain object as stored, less ``type`` and ``label`` (see
#: :func:`plain_object`): the ones that COCO writes as they stand.
PLAIN_KEYS: Final = frozenset({"box", "rings", "area", "iscrowd"})
_PLAIN_DOCUMENT_KEYS: Final = PLAIN_KEYS | {"type", "label"}


def _ring(flat: list[Any]) -> Ring:
    return tuple(zip(flat[0::2], flat[1::2], strict=True))


def from_compact(kind: Any, label: str, data: Mapping[str, Any]) -> Obj:
    """An object pixlake stored in the compact form (less ``type`` and ``label``) after
    :func:`parse_compact` or ``wire.parse_wire_object`` accepted it: rebuilt without checking
    every value again."""
    box = data.get("box")
    rings = data.get("rings")
    raw_mask = data.get("mask")
    qa = data.get("qa")
    return Obj(
        label=label,
        kind=kind,
        box=Box(*box) if box else None,
        polygons=tuple([_ring(ring) for ring in rings]) if rings else (),
        mask=Mask.from_coco(raw_mask) if raw_mask else None,
        iscrowd=data.get("iscrowd", False),
        area=data.get("area"),
        score=data.get("score"),
        qa=tuple([QA(q["question"], q["answer"]) for q in qa]) if qa else (),
        extra=data.get("extra") or {},
    )


def _finite(values: list[Any]) -> bool:
    return is_numbers(values) and all(map(math.isfinite, values))


def _parse_box(data: Any, field: str, problems: Problems) -> Box | None:
    if type(data) is not list or len(data) != 4 or not _finite(data):
        problems.add(f"expected [x, y, width, height], got {describe(data)}", field=field)
        return None
    if data[2] < 0 or data[3] < 0:
        problems.add(f"expected a width and height >= 0, got {describe(data)}", field=field)
        return None
    return Box(*data)


def _parse_rings(data: Any, field: str, problems: Problems) -> list[Ring]:
    if type(data) is not list or not data:
        problems.add("expected a list of rings [x1, y1, x2, y2, ...]", field=field)
        return []
    rings: list[Ring] = []
    for i, flat in enumerate(data):
        if type(flat) is not list or not _finite(flat):
            problems.add("expected a list of numbers [x1, y1, x2, y2, ...]", field=f"{field}[{i}]")
        elif len(flat) % 2 or len(flat) < 6:
            problems.add(
                f"expected at least 3 points as x, y pairs, got {len(flat)} numbers",
                field=f"{field}[{i}]",
            )
        else:
            rings.append(_ring(flat))
    return rings


def plain_object(data: Any) -> tuple[str, str, list[Any], dict[str, Any]] | None:
    """``(kind, label, box, stored)`` of a valid *plain* object, else ``None``.

    A plain object is a rectangle, or a polygon with its box, with at most an area and a
    crowd flag besides: what a COCO import holds.  ``stored`` is what ``to_compact(obj,
    typed=False)`` gives of the object ``parse_compact`` makes of ``data`` when the image's
    size is not known.  Anything else, invalid or not, is ``None``: the caller then takes
    :func:`parse_compact`, which names the problems.  Checking and storing a plain object
    this way takes about a quarter of the time: its rings are not rebuilt as points, and no
    ``Obj`` is built."""
    if type(data) is not dict or not data.keys() <= _PLAIN_DOCUMENT_KEYS:
        return None
    kind, label, box, rings = (
        data.get("type"),
        data.get("label"),
        data.get("box"),
        data.get("rings"),
    )
    if type(label) is not str or not label:
        return None
    if type(box) is not list or len(box) != 4 or not _finite(box) or box[2] < 0 or box[3] < 0:
        return None
    if kind == "polygon":
        if type(rings) is not list or not rings:
            return None
        for flat in rings:
            if type(flat) is not list or len(flat) < 6 or len(flat) % 2 or not _finite(flat):
                return None
    elif kind != "rectangle" or rings is not None:
        return None
    stored: dict[str, Any] = {"box": box}
    if rings is not None:
        stored["rings"] = rings
    iscrowd = data.get("iscrowd", False)
    if type(iscrowd) is not bool:
        return None
    if iscrowd:
        stored["iscrowd"] = True
    area = data.get("area")
    if area is not None:
        if not is_number(area) or area < 0:
            return None
        stored["area"] = area
    return kind, label, box, stored


def parse_compact(
    data: Any,
    *,
    field: str,
    problems: Problems,
    width: int = 0,
    height: int = 0,
    tolerance: float = 1.0,
    max_depth: int = 32,
) -> Obj | None:
    """Check one object in the compact form, recording its problems; ``None`` when invalid.

    When ``width`` and ``height`` are known (> 0), the geometry must lie inside the image.
    """
    before = len(problems)
    head = parse_head(data, field=field, problems=problems)
    if head is None:
        return None
    kind, label = head
    unknown = data.keys() - COMPACT_KEYS
    if unknown:
        problems.add(f"unexpected keys {sorted(unknown)}", field=field)
    raw_box, raw_rings, raw_mask = data.get("box"), data.get("rings"), data.get("mask")
    box: Box | None = None
    rings: list[Ring] = []
    mask: Mask | None = None
    if kind == "classification":
        if raw_box is not None or raw_rings is not None or raw_mask is not None:
            problems.add("expected no geometry on a classification object", field=field)
    elif kind == "rectangle" or raw_box is not None:
        box = _parse_box(raw_box, f"{field}.box", problems)
    if kind == "rectangle" and (raw_rings is not None or raw_mask is not None):
        problems.add("expected a box only on a rectangle object", field=field)
    if kind == "polygon":
        rings = _parse_rings(raw_rings, f"{field}.rings", problems)
        if raw_mask is not None:
            problems.add("expected rings, not a mask, on a polygon object", field=field)
    elif kind == "mask":
        if raw_rings is not None:
            problems.add("expected a mask, not rings, on a mask object", field=field)
        mask = parse_mask(
            raw_mask, field=f"{field}.mask", problems=problems, width=width, height=height
        )
    return complete_object(
        data,
        data.get("extra", {}),
        (kind, label, box, rings, mask),
        field=field,
        problems=problems,
        before=before,
        width=width,
        height=height,
        tolerance=tolerance,
        max_depth=max_depth,
    )
