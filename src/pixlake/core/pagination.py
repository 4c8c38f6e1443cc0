"""Opaque keyset cursors: ``next_cursor`` values that encode the last key of a page."""

from __future__ import annotations

import base64

from pixlake.errors import InvalidInputError

__all__ = ["decode_cursor", "encode_cursor"]


def encode_cursor(pk: int) -> str:
    return base64.urlsafe_b64encode(f"pk:{pk}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int:
    """The key a cursor encodes (0 for no cursor); ``InvalidInputError`` for a foreign one."""
    if not cursor:
        return 0
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        kind, value = text.split(":", 1)
        if kind != "pk":
            raise ValueError(kind)
        return int(value)
    except (ValueError, UnicodeDecodeError):
        raise InvalidInputError(
            "the cursor is not one this server gave",
            details=[{"field": "cursor", "message": "pass back the next_cursor of a page"}],
        ) from None
