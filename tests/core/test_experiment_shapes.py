"""The data-asset shape checks (one place, shared by the SDK and the server)."""

from __future__ import annotations

import math
from typing import Any

import pytest

from pixlake.errors import InvalidInputError
from pixlake.schemas.experiments import check_data, check_line, encode_non_finite


@pytest.mark.parametrize(
    ("kind", "data", "stored"),
    [
        ("value", {"value": 3}, {"value": 3}),
        ("value", {"value": "best"}, {"value": "best"}),
        ("line", [1, 2.5], [1, 2.5]),
        ("line", {"x": ["a", "b"], "y": [1, 2]}, {"x": ["a", "b"], "y": [1, 2]}),
        ("bar", {"x": ["a"], "y": [0.5]}, {"x": ["a"], "y": [0.5]}),
        ("table", {"lr": 0.1, "opt": "sgd", "on": True}, {"lr": 0.1, "opt": "sgd", "on": True}),
        ("heatmap", {"categories": ["a"], "values": [[1]]}, {"categories": ["a"], "values": [[1]]}),
        ("image", {"object_name": "e/x.jpg"}, {"object_name": "e/x.jpg"}),
        ("labelmap", {"1": "car"}, {"1": "car"}),
        (
            "evaluation",
            [{"external_picture_url": "a", "gt": [], "pred": []}],
            [{"external_picture_url": "a", "gt": [], "pred": []}],
        ),
        ("table", {"a": math.nan, "b": -math.inf}, {"a": "NaN", "b": "-Infinity"}),
    ],
)
def test_good_shapes(kind: str, data: Any, stored: Any) -> None:
    assert check_data(kind, data) == stored


@pytest.mark.parametrize(
    ("kind", "data", "field"),
    [
        ("pie", [1], "type"),
        ("value", 3, "data"),
        ("line", [1, None], "data[1]"),
        ("line", [True], "data[0]"),
        ("line", {"x": [1], "y": [1, 2]}, "data.x"),
        ("bar", {"x": ["a", "b"], "y": [1]}, "data.y"),
        ("bar", {"x": [1], "y": [1]}, "data.x"),
        ("table", {"k": {"nested": 1}}, "data.k"),
        ("heatmap", {"categories": ["a", "b"], "values": [[1, 2]]}, "data.values"),
        ("heatmap", {"categories": ["a", "b"], "values": [[1, 2], [3]]}, "data.values[1]"),
        ("image", {"path": "x.jpg"}, "data"),
        ("labelmap", {"one": "car"}, "data.one"),
        (
            "evaluation",
            [{"external_picture_url": "a", "gt": [], "pred": [{}]}],
            "data[0].pred[0].score",
        ),
        ("line", ["nan"], "data[0]"),
    ],
)
def test_bad_shapes_name_the_field(kind: str, data: Any, field: str) -> None:
    with pytest.raises(InvalidInputError) as info:
        check_data(kind, data)
    assert info.value.details[0]["field"] == field
    assert field in str(info.value)


def test_non_finite_numbers_become_strings() -> None:
    assert encode_non_finite([1.0, math.nan, {"a": math.inf}, (-math.inf,)]) == [
        1.0,
        "NaN",
        {"a": "Infinity"},
        ["-Infinity"],
    ]
    assert check_line([math.nan, "Infinity"]) == (None, ["NaN", "Infinity"])
