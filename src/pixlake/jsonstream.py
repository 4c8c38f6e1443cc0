"""Reading a large JSON document a value at a time, from a binary stream.

``json.load`` builds the whole document: for a COCO file of 100k images that is about a
gigabyte of Python objects before any of it is used.  :class:`JsonStream` walks the same text
with the standard decoder, one value at a time (``raw_decode``, in C), holding only the piece
of text it has not consumed yet, so a caller can go through a long array element by element.

It is for documents that are ordinary: anything it cannot read (bad encoding, invalid JSON, a
structure other than the caller expects) raises :class:`NotStreamable`, and the caller hands
the document to the whole-document way, which reports problems with their line and column.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Callable, Iterator
from typing import Any, Protocol

__all__ = ["READ_BYTES", "JsonStream", "NotStreamable", "Readable"]

#: Bytes read from the stream at a time (more when one value is longer).
READ_BYTES = 1024 * 1024

_BLANK = re.compile(r"[ \t\n\r]*")
#: What may follow a complete value.
_AFTER = frozenset(" \t\n\r,:]}")


class Readable(Protocol):
    """What the stream needs of its source: a binary file's ``read``."""

    def read(self, size: int = -1, /) -> bytes: ...


class NotStreamable(Exception):
    """This document cannot be read a value at a time: read it whole instead."""


class JsonStream:
    """The values of a JSON document, read from a binary stream a piece at a time.

    ``encoding`` ``None`` detects it from the first bytes, as ``json.load`` does;
    ``parse_constant`` is ``json.loads``'s (what ``NaN`` and ``Infinity`` become).
    """

    def __init__(
        self,
        stream: Readable,
        *,
        encoding: str | None = None,
        parse_constant: Callable[[str], Any] | None = None,
        read_bytes: int = READ_BYTES,
    ) -> None:
        self._stream = stream
        self._read_bytes = read_bytes
        head = stream.read(max(read_bytes, 4))  # json.detect_encoding looks at 4 bytes
        try:
            factory = codecs.getincrementaldecoder(encoding or json.detect_encoding(head))
        except LookupError:
            raise NotStreamable from None
        self._decoder = factory(errors="strict" if encoding else "surrogatepass")
        self._eof = not head
        self._text = self._decode(head)
        self._pos = 0
        self._json = json.JSONDecoder(parse_constant=parse_constant)

    def _more(self) -> bool:
        """Append more of the stream to the text (dropping what was read); False at its end."""
        if self._eof:
            return False
        data = self._stream.read(max(self._read_bytes, len(self._text) - self._pos))
        self._eof = not data
        self._text = self._text[self._pos :] + self._decode(data)
        self._pos = 0
        return True

    def _decode(self, data: bytes) -> str:
        try:
            return self._decoder.decode(data, final=self._eof)
        except UnicodeDecodeError:
            raise NotStreamable from None

    def peek(self) -> str:
        """The next character that is not blank ('' at the end), not consumed."""
        while True:
            match = _BLANK.match(self._text, self._pos)
            assert match is not None  # the pattern matches the empty string
            self._pos = match.end()
            if self._pos < len(self._text):
                return self._text[self._pos]
            if not self._more():
                return ""

    def expect(self, chars: str) -> str:
        """Consume the next non-blank character, which must be one of ``chars``."""
        char = self.peek()
        if not char or char not in chars:
            raise NotStreamable
        self._pos += 1
        return char

    def value(self) -> Any:
        """The next JSON value."""
        self.peek()
        while True:
            try:
                value, end = self._json.raw_decode(self._text, self._pos)
            except (ValueError, RecursionError):
                if self._more():
                    continue  # the value may go on past the text read so far
                raise NotStreamable from None
            if (end >= len(self._text) or self._text[end] not in _AFTER) and self._more():
                continue  # a number may go on past the text read so far ("2." of "2.5")
            self._pos = end
            return value

    def items(self) -> Iterator[Any]:
        """The elements of the array that comes next, one at a time."""
        self.expect("[")
        if self.peek() == "]":
            self._pos += 1
            return
        while True:
            yield self.value()
            if self.expect(",]") == "]":
                return

    def keys(self) -> Iterator[str]:
        """The keys of the object that comes next; after each, read its value (``value``,
        ``items``) before asking for the next key.  A key given twice is not streamable
        (``json.load`` would keep the last value)."""
        self.expect("{")
        if self.peek() == "}":
            self._pos += 1
            return
        seen: set[str] = set()
        while True:
            key = self.value()
            if type(key) is not str or key in seen:
                raise NotStreamable
            seen.add(key)
            self.expect(":")
            yield key
            if self.expect(",}") == "}":
                return

    def at_end(self) -> bool:
        return self.peek() == ""
