"""Counts in messages, in the right number: ``1 tag is``, ``2 tags are``."""

from __future__ import annotations

__all__ = ["are", "counted"]


def counted(count: int, noun: str, plural: str | None = None) -> str:
    """``count`` and ``noun``, plural unless ``count`` is 1 (``plural``, else ``noun + "s"``)."""
    return f"{count} {noun if count == 1 else plural or noun + 's'}"


def are(count: int) -> str:
    """The verb agreeing with ``count`` things: ``is`` for 1, else ``are``."""
    return "is" if count == 1 else "are"
