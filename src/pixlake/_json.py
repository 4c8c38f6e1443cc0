"""JSON read and written by orjson where it gives exactly what the standard library would,
and by the standard library everywhere else.

orjson parses a large COCO file about four times faster than ``json``, but it does not read
everything the same way: integers past 64 bits become floats, and ``NaN``, ``Infinity``,
lone surrogates or numbers too large for a double are errors rather than values.  ``loads``
hands such input to ``json`` (which then gives its own value or its own error, with the line
and column), so the result never depends on which parser ran.  The same goes for ``dumps``,
whose values must be finite: orjson would write ``NaN`` as ``null``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import orjson

__all__ = ["dumps", "loads"]

#: A run of digits long enough to be an integer orjson would turn into a float (or a
#: fraction's digits, which ``json`` reads just as well).
_LONG_DIGITS = re.compile(rb"[0-9]{19,}")
_LONG_DIGITS_TEXT = re.compile(r"[0-9]{19,}")
_COMPACT = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def loads(data: bytes | str, *, parse_constant: Callable[[str], Any] | None = None) -> Any:
    """What ``json.loads(data, parse_constant=...)`` returns, or the error it raises.

    ``data`` is UTF-8 bytes or text (a byte-order mark is the caller's to strip)."""
    if isinstance(data, bytes):
        long_digits = _LONG_DIGITS.search(data) is not None
    else:
        long_digits = _LONG_DIGITS_TEXT.search(data) is not None
    if not long_digits:
        try:
            return orjson.loads(data)
        except orjson.JSONDecodeError:
            pass  # json decides: its value (NaN, a lone surrogate...) or its error
    return json.loads(data, parse_constant=parse_constant)


def dumps(value: Any) -> str:
    """Compact JSON text (no spaces, non-ASCII kept) of a value whose numbers are finite:
    the caller checks them, since orjson writes ``NaN`` as ``null``."""
    try:
        return orjson.dumps(value).decode()
    except TypeError:  # integers past 64 bits, keys that are not strings...
        return _COMPACT.encode(value)
