"""``pixlake._json``: the fast parser's results and errors are exactly the standard library's."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest

from pixlake import _json


class Marker:
    def __init__(self, name: str) -> None:
        self.name = name


@pytest.mark.parametrize(
    "text",
    [
        '{"images": [{"id": 1, "file_name": "a.jpg"}], "bbox": [0.1, 2.5e-7, 1e16, -0.0]}',
        '{"id": 123456789012345678901234567890}',  # past 64 bits: an int, not a float
        '{"id": 18446744073709551616, "x": 0.12345678901234567890123}',
        '{"big": 1.5e400}',  # infinity, as json reads it
        '"\\ud800"',  # a lone surrogate
        '{"a": 1, "a": 2}',
        '"caf\\u00e9 \\u2603"',
    ],
)
def test_loads_gives_what_json_gives(text: str) -> None:
    expected = json.loads(text)
    for data in (text, text.encode()):
        got = _json.loads(data)
        assert got == expected
        assert _types(got) == _types(expected)


def _types(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _types(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_types(v) for v in value]
    return type(value)


def test_loads_reads_text_holding_a_lone_surrogate() -> None:
    assert _json.loads('["\ud800"]') == ["\ud800"]  # the character itself, not an escape


def test_loads_hands_nan_to_parse_constant() -> None:
    got = _json.loads('{"x": NaN, "y": [Infinity]}', parse_constant=Marker)
    assert isinstance(got["x"], Marker) and got["x"].name == "NaN"
    assert got["y"][0].name == "Infinity"
    assert math.isnan(_json.loads("NaN"))


@pytest.mark.parametrize("text", ['{"a": 1,\n  "b": }', "[1, 2", "", '{"a" 1}'])
def test_loads_raises_jsons_error_with_line_and_column(text: str) -> None:
    with pytest.raises(json.JSONDecodeError) as expected:
        json.loads(text)
    with pytest.raises(json.JSONDecodeError) as got:
        _json.loads(text)
    assert (got.value.msg, got.value.lineno, got.value.colno) == (
        expected.value.msg,
        expected.value.lineno,
        expected.value.colno,
    )


@pytest.mark.parametrize(
    "value",
    [
        {"b": [1.5, -0.0, 1e-7, 10**18], "t": "café", "n": None, "ok": True},
        {"huge": 2**70},  # past 64 bits
        {1: "int key"},  # made a string, as json does
        [(1, 2), (3, 4)],
        {"note": "\ud800 lone surrogate"},  # escaped, so that the text is valid UTF-8
    ],
)
def test_dumps_is_compact_json_that_reads_back(value: Any) -> None:
    text = _json.dumps(value)
    assert ", " not in text and ": " not in text
    text.encode("utf-8")  # storable as text
    assert json.loads(text) == json.loads(json.dumps(value))


@pytest.mark.parametrize(
    "value",
    [
        {"b": [1.5, -0.0, 1e-7, 1e16, 10**18], "t": "café 東京", "ok": True},
        {"n": None, "name": "null.jpg"},  # a null: written by json, the same way
        {"huge": 2**70},  # past 64 bits
        {1: "int key"},  # made a string, as json does
        [(1, 2), (3, 4)],
    ],
)
def test_dump_bytes_writes_the_values_json_writes(value: Any) -> None:
    data = _json.dump_bytes(value)
    expected = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    assert b", " not in data and b": " not in data
    assert json.loads(data) == json.loads(expected)
    assert "é" not in expected or "é".encode() in data  # UTF-8, not escapes


@pytest.mark.parametrize(
    ("value", "error"),
    [
        ({"x": math.nan}, ValueError),
        ([1.0, -math.inf], ValueError),
        ({"note": "\ud800"}, UnicodeEncodeError),
        ({"when": object()}, TypeError),
    ],
)
def test_dump_bytes_refuses_what_json_refuses(value: Any, error: type[Exception]) -> None:
    with pytest.raises(error):
        _json.dump_bytes(value)
