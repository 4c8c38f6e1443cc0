"""The SDK contract's wire shape: written losslessly, read with every problem named."""

from __future__ import annotations

import json
from typing import Any

import pytest

from pixlake.errors import InvalidInputError
from pixlake.formats import QA, Box, Mask, Obj, from_wire, to_wire

from .helpers import find_problem
from .masks import compressed, random_mask, uncompressed_counts

# --------------------------------------------------------------------------------------
# The wire shape


def sample_objects() -> list[Obj]:
    ring = ((1.0, 2.0), (10.5, 2.0), (10.5, 9.25), (1.0, 9.0))
    second = ((20.0, 20.0), (25.0, 20.0), (22.0, 30.0))
    array = random_mask(3)
    rle = compressed(array)
    return [
        Obj(label="cat", kind="classification", qa=(QA("color?", "black"),)),
        Obj(label="car", kind="rectangle", box=Box(20, 10, 50, 30), score=0.75),
        Obj(label="car", kind="polygon", polygons=(ring,)),
        Obj(
            label="car",
            kind="polygon",
            polygons=(ring, second),
            box=Box(1, 2, 24, 28),
            area=123.5,
            extra={"attributes": {"occluded": True}},
        ),
        Obj(label="crowd", kind="mask", mask=Mask(23, 31, rle["counts"]), iscrowd=True),
        Obj(
            label="crowd",
            kind="mask",
            mask=Mask(23, 31, tuple(uncompressed_counts(array))),
            box=Box(0, 0, 31, 23),
        ),
    ]


@pytest.mark.parametrize("obj", sample_objects(), ids=lambda obj: obj.kind)
def test_wire_round_trip_is_lossless(obj: Obj) -> None:
    wire = json.loads(json.dumps(to_wire(obj)))  # through JSON, as over HTTP
    assert from_wire(wire) == obj


def test_wire_shapes_follow_the_contract() -> None:
    rectangle, polygon = sample_objects()[1], sample_objects()[3]
    assert to_wire(rectangle) == {
        "type": "rectangle",
        "label": "car",
        "rectangle": {"top": 10, "left": 20, "width": 50, "height": 30},
        "qa": [],
        "score": 0.75,
    }
    wire = to_wire(polygon)
    assert wire["polygon"]["geometry"][0] == {"x": 1.0, "y": 2.0}
    assert len(wire["polygon"]["geometry"]) == 4
    assert wire["polygon"]["parts"] == [
        [{"x": 20, "y": 20}, {"x": 25, "y": 20}, {"x": 22, "y": 30}]
    ]
    mask = to_wire(sample_objects()[4])
    assert mask["mask"]["size"] == [23, 31]
    assert isinstance(mask["mask"]["counts"], str)
    assert mask["iscrowd"] is True
    assert to_wire(sample_objects()[0]) == {
        "type": "classification",
        "label": "cat",
        "qa": [{"question": "color?", "answer": "black"}],
    }


def test_from_wire_reads_the_contract_examples() -> None:
    obj = from_wire(
        {
            "type": "rectangle",
            "label": "car",
            "rectangle": {"top": 10, "left": 20, "width": 50, "height": 30},
        }
    )
    assert obj.box == Box(20, 10, 50, 30)
    geometry = [{"x": 1, "y": 1}, {"x": 5, "y": 1}, {"x": 3, "y": 4}]
    voc_style = {"type": "polygon", "label": "car", "polygon": {"geometry": geometry}}
    obj = from_wire({**voc_style, "rectangle": []})
    assert obj.polygons == (((1, 1), (5, 1), (3, 4)),)
    assert obj.box is None
    tool = from_wire({**voc_style, "id": 7, "color": "#ff0000"})
    assert tool.extra == {"id": 7, "color": "#ff0000"}


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ([], "data[0]", "expected an object"),
        ({"label": "car"}, "data[0].type", "expected a type among"),
        ({"type": "rectangle", "label": ""}, "data[0].label", "non-empty string"),
        ({"type": "rectangle", "label": "a"}, "data[0].rectangle", "{top, left, width, height}"),
        (
            {"type": "rectangle", "label": "a", "rectangle": {"top": 1, "left": 1, "height": 2}},
            "data[0].rectangle.width",
            "expected a number",
        ),
        (
            {
                "type": "rectangle",
                "label": "a",
                "rectangle": {"top": 1, "left": 1, "width": -2, "height": 2},
            },
            "data[0].rectangle.width",
            ">= 0",
        ),
        (
            {"type": "polygon", "label": "a", "polygon": {"geometry": [{"x": 1, "y": 1}] * 2}},
            "data[0].polygon.geometry",
            "at least 3 points",
        ),
        (
            {"type": "polygon", "label": "a", "polygon": {"geometry": [{"x": "1", "y": 1}] * 3}},
            "data[0].polygon.geometry[0]",
            "expected numbers x and y",
        ),
        (
            {"type": "mask", "label": "a", "mask": {"size": [2, 2], "counts": [1, 2]}},
            "data[0].mask",
            "summing to height x width = 4",
        ),
        (
            {"type": "classification", "label": "a", "qa": [{"question": "q"}]},
            "data[0].qa[0]",
            "{question: string, answer: string}",
        ),
        (
            {"type": "classification", "label": "a", "rectangle": {}},
            "data[0]",
            "no geometry on a classification",
        ),
        (
            {"type": "classification", "label": "a", "iscrowd": 1},
            "data[0].iscrowd",
            "true or false",
        ),
    ],
)
def test_from_wire_names_each_problem(data: Any, field: str, message: str) -> None:
    with pytest.raises(InvalidInputError) as error:
        from_wire(data, field="data[0]")
    find_problem(error, field=field, message=message)
