"""JsonStream reads a document value by value exactly as ``json.load`` reads it whole, and
refuses (NotStreamable) what it cannot read that way."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest

from pixlake.jsonstream import JsonStream, NotStreamable

TEXTS = [
    '{"a": [1, 2.5, -3e-7, 12345678901234567890], "b": "x\\u00e9\\ud83d\\ude00", "c": null}',
    '  {"n": 123456789}  ',
    '{"s": "' + "long " * 40 + '", "t": [true, false, {"u": {}}]}',
    '{"nan": NaN, "inf": -Infinity}',
    "{}",
]


def _walk(reader: JsonStream) -> dict[str, Any]:
    """The document read key by key, arrays element by element."""
    seen: dict[str, Any] = {}
    for key in reader.keys():
        seen[key] = list(reader.items()) if reader.peek() == "[" else reader.value()
    assert reader.at_end()
    return seen


@pytest.mark.parametrize("text", TEXTS)
@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "utf-32-be"])
@pytest.mark.parametrize("read_bytes", [1, 5, 1 << 20])
def test_values_are_those_json_load_gives(text: str, encoding: str, read_bytes: int) -> None:
    raw = text.encode(encoding)
    reader = JsonStream(io.BytesIO(raw), read_bytes=read_bytes)
    assert json.dumps(_walk(reader)) == json.dumps(json.loads(raw))


def test_items_of_an_empty_and_a_long_array() -> None:
    raw = json.dumps({"empty": [], "long": list(range(5000))}).encode()
    reader = JsonStream(io.BytesIO(raw), read_bytes=64)
    assert _walk(reader) == {"empty": [], "long": list(range(5000))}


def test_the_declared_encoding_is_strict() -> None:
    reader = JsonStream(io.BytesIO(b'\xef\xbb\xbf{"a": 1}'), encoding="utf-8-sig")
    assert _walk(reader) == {"a": 1}
    with pytest.raises(NotStreamable):
        JsonStream(io.BytesIO(b'{"a": "\xff"}'), encoding="utf-8-sig")


def test_parse_constant_is_used_for_nan() -> None:
    reader = JsonStream(io.BytesIO(b'{"x": NaN}'), parse_constant=lambda text: f"<{text}>")
    assert _walk(reader) == {"x": "<NaN>"}


@pytest.mark.parametrize(
    "text",
    [
        '{"a": 1, "a": 2}',  # a key twice: json.load keeps the last, a stream cannot
        '{"a": [1, 2}',
        '{"a": 1',
        "[1, 2]",  # not an object
        '{"a": tru}',
        "",
    ],
)
def test_what_cannot_be_streamed_says_so(text: str) -> None:
    with pytest.raises(NotStreamable):
        _walk(JsonStream(io.BytesIO(text.encode()), read_bytes=3))
