"""The compact form: every object round-trips, agrees with the wire shape, and anything a
client could send wrong is refused with its field named."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from pycocotools import mask as mask_utils

from pixlake._json import dumps
from pixlake.formats import (
    QA,
    Box,
    Mask,
    Obj,
    from_compact,
    parse_compact,
    parse_wire_object,
    plain_object,
    to_compact,
    to_wire,
)
from pixlake.formats.coco import read_coco
from pixlake.problems import Problems

_PIXELS = np.asfortranarray(np.array([[0, 1, 1, 0, 0, 0]] * 4, dtype=np.uint8))
#: A compressed RLE of a 4x6 mask, as COCO writes it.
RLE = mask_utils.encode(_PIXELS)["counts"].decode()

OBJECTS = [
    Obj(label="car", kind="rectangle", box=Box(1, 2, 10.5, 4)),
    Obj(label="tree", kind="classification", qa=(QA("kind?", "oak"),)),
    Obj(
        label="zone",
        kind="polygon",
        polygons=(((1, 2), (3.5, 4), (5, 0)), ((9, 9), (10, 9), (10, 10))),
        box=Box(1, 0, 9, 10),
        area=12.5,
        score=0.75,
        extra={"difficult": 1, "note": {"by": "x"}},
    ),
    Obj(label="crowd", kind="mask", mask=Mask(4, 6, RLE), iscrowd=True, area=8),
    Obj(label="crowd", kind="mask", mask=Mask(2, 2, (1, 2, 1)), box=Box(0, 0, 2, 2)),
]


@pytest.mark.parametrize("obj", OBJECTS, ids=lambda o: o.kind)
def test_objects_round_trip(obj: Obj) -> None:
    compact = to_compact(obj)
    problems = Problems()
    assert parse_compact(compact, field="o", problems=problems) == obj
    assert not problems
    stored = to_compact(obj, typed=False)
    assert "type" not in stored and "label" not in stored
    assert from_compact(obj.kind, obj.label, stored) == obj
    wire = parse_wire_object(to_wire(obj), field="o", problems=problems)
    assert wire == obj and not problems


def test_empty_values_are_left_out() -> None:
    assert to_compact(Obj(label="car", kind="rectangle", box=Box(0, 0, 1, 1))) == {
        "type": "rectangle",
        "label": "car",
        "box": [0, 0, 1, 1],
    }


def test_a_coco_file_round_trips(generated_root: Path) -> None:
    annotations = read_coco(generated_root / "annotations" / "instances.json")
    count = 0
    for image in annotations.images:
        for obj in image.objects:
            compact = to_compact(obj)
            problems = Problems()
            parsed = parse_compact(
                compact, field="o", problems=problems, width=image.width, height=image.height
            )
            assert parsed == obj and from_compact(obj.kind, obj.label, compact) == obj
            count += 1
    assert count > 0


BAD: list[tuple[Any, str, str]] = [
    ([], "o", "expected an object"),
    ({"type": "circle", "label": "x"}, "o.type", "expected a type among"),
    ({"type": "rectangle", "label": "", "box": [0, 0, 1, 1]}, "o.label", "non-empty string"),
    ({"type": "rectangle", "label": "x", "box": [0, 0, 1, 1], "colour": 1}, "o", "colour"),
    ({"type": "rectangle", "label": "x"}, "o.box", "expected [x, y, width, height]"),
    ({"type": "rectangle", "label": "x", "box": [0, 0, 1]}, "o.box", "[x, y, width, height]"),
    ({"type": "rectangle", "label": "x", "box": [0, 0, -1, 1]}, "o.box", "width and height >= 0"),
    ({"type": "rectangle", "label": "x", "box": [0, float("nan"), 1, 1]}, "o.box", "expected"),
    ({"type": "rectangle", "label": "x", "box": [0, True, 1, 1]}, "o.box", "expected"),
    ({"type": "rectangle", "label": "x", "box": [15, 0, 10, 5]}, "o", "inside the 20x10 image"),
    (
        {"type": "rectangle", "label": "x", "box": [0, 0, 1, 1], "rings": [[0, 0, 1, 0, 1, 1]]},
        "o",
        "a box only",
    ),
    ({"type": "polygon", "label": "x"}, "o.rings", "expected a list of rings"),
    ({"type": "polygon", "label": "x", "rings": [[0, 0, 1, 1]]}, "o.rings[0]", "at least 3"),
    ({"type": "polygon", "label": "x", "rings": [[0, 0, 1, 1, 2]]}, "o.rings[0]", "x, y pairs"),
    ({"type": "polygon", "label": "x", "rings": [[0, 0, "1", 1, 2, 2]]}, "o.rings[0]", "numbers"),
    (
        {"type": "polygon", "label": "x", "rings": [[0, 0, 1, 0, 1, 30]]},
        "o",
        "polygon points inside",
    ),
    ({"type": "classification", "label": "x", "box": [0, 0, 1, 1]}, "o", "no geometry"),
    ({"type": "mask", "label": "x", "mask": {"size": [10]}}, "o.mask", "expected {size"),
    (
        {"type": "mask", "label": "x", "mask": {"size": [5, 5], "counts": [30]}},
        "o.mask",
        "expected",
    ),
    (
        {"type": "mask", "label": "x", "mask": {"size": [5, 5], "counts": [25]}},
        "o.mask.size",
        "[10, 20]",
    ),
    ({"type": "classification", "label": "x", "qa": [{"question": 1}]}, "o.qa[0]", "question"),
    ({"type": "classification", "label": "x", "iscrowd": 1}, "o.iscrowd", "true or false"),
    ({"type": "classification", "label": "x", "area": -2}, "o.area", "number >= 0"),
    ({"type": "classification", "label": "x", "score": "high"}, "o.score", "a number"),
    ({"type": "classification", "label": "x", "extra": []}, "o.extra", "expected an object"),
]


@pytest.mark.parametrize(("data", "field", "message"), BAD, ids=[b[2] for b in BAD])
def test_what_is_wrong_is_named(data: Any, field: str, message: str) -> None:
    problems = Problems()
    assert parse_compact(data, field="o", problems=problems, width=20, height=10) is None
    found = [(p["field"], p["message"]) for p in problems.details()]
    assert any(f == field and message in m for f, m in found), found


R = {"type": "rectangle", "label": "car", "box": [1, 2.5, 3, 4]}
P = {"type": "polygon", "label": "zone", "box": [0, 0, 9, 9], "rings": [[0, 0, 4, 0, 4, 4]]}
#: (data, plain): objects plain_object takes, and objects it leaves to parse_compact, valid
#: (other keys, no box, other kinds) or not.
PLAIN = [
    (R, True),
    ({**R, "area": 11.5, "iscrowd": True}, True),
    ({**R, "area": 0, "iscrowd": False}, True),
    ({**R, "box": [1e-3, 2, 0, 0]}, True),
    (P, True),
    ({**P, "rings": [[0, 0, 4, 0, 4, 4], [5, 5, 9, 5, 9, 9, 5, 9]], "area": 20}, True),
    ({**P, "iscrowd": True, "area": 8.25}, True),
    ({**R, "qa": [{"question": "q", "answer": "a"}]}, False),
    ({**R, "score": 0.5}, False),
    ({**R, "extra": {"difficult": 1}}, False),
    ({**R, "qa": []}, False),
    ({"type": "polygon", "label": "zone", "rings": [[0, 0, 4, 0, 4, 4]]}, False),
    ({"type": "classification", "label": "day"}, False),
    ({"type": "mask", "label": "zone", "mask": {"size": [2, 2], "counts": [1, 2, 1]}}, False),
    ({**R, "type": "square"}, False),
    ({**R, "label": ""}, False),
    ({**R, "label": 3}, False),
    ({**R, "box": [1, 2, 3]}, False),
    ({**R, "box": [1, 2, -3, 4]}, False),
    ({**R, "box": [1, 2, True, 4]}, False),
    ({**R, "box": [1, 2, float("inf"), 4]}, False),
    ({**R, "box": "1,2,3,4"}, False),
    ({**R, "rings": [[0, 0, 4, 0, 4, 4]]}, False),
    ({**R, "area": -1}, False),
    ({**R, "area": True}, False),
    ({**R, "area": float("nan")}, False),
    ({**R, "iscrowd": 1}, False),
    ({**R, "unknown": 1}, False),
    ({**P, "rings": []}, False),
    ({**P, "rings": [[0, 0, 4, 0]]}, False),
    ({**P, "rings": [[0, 0, 4, 0, 4]]}, False),
    ({**P, "rings": [[0, 0, 4, 0, 4, "4"]]}, False),
    ({**P, "rings": [[0, 0, 4, 0, 4, 4], 7]}, False),
    ({**P, "rings": [[0, 0, 4, 0, 4, float("nan")]]}, False),
    ({**P, "rings": [0, 0, 4, 0, 4, 4]}, False),
    ([R], False),
]


@pytest.mark.parametrize(("data", "plain"), PLAIN, ids=[f"case{i}" for i in range(len(PLAIN))])
def test_plain_objects_are_what_parse_compact_makes_of_them(data: Any, plain: bool) -> None:
    problems = Problems()
    obj = parse_compact(copy.deepcopy(data), field="o", problems=problems)
    taken = plain_object(copy.deepcopy(data))
    if not plain:
        assert taken is None
        return
    assert taken is not None and obj is not None and not problems
    kind, label, box, stored = taken
    extent = obj.extent()
    assert extent is not None
    assert (kind, label, box) == (obj.kind, obj.label, [extent.x, extent.y, extent.w, extent.h])
    assert dumps(stored) == dumps(to_compact(obj, typed=False))


def test_every_object_of_a_coco_file_is_plain(generated_root: Path) -> None:
    coco = read_coco(generated_root / "annotations/instances.json")
    objects = [obj for image in coco.images for obj in image.objects]
    for obj in objects:
        if obj.mask is not None:  # crowds in RLE: the one kind of COCO object that is not plain
            assert plain_object(to_compact(obj)) is None
            continue
        taken = plain_object(to_compact(obj))
        assert taken is not None, obj
        assert dumps(taken[3]) == dumps(to_compact(obj, typed=False))
    assert any(obj.polygons for obj in objects)
