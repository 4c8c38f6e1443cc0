"""Counts in messages, in the right number: ``1 tag is``, ``2 tags are``."""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["count_is", "counted", "splits_text"]


def counted(count: int, noun: str, plural: str | None = None) -> str:
    """``count`` and ``noun``, plural unless ``count`` is 1 (``plural``, else ``noun + "s"``)."""
    return f"{count} {noun if count == 1 else plural or noun + 's'}"


def count_is(count: int, noun: str, plural: str | None = None) -> str:
    """:func:`counted`, then the verb that agrees: ``1 tag is``, ``2 tags are``."""
    return f"{counted(count, noun, plural)} {'is' if count == 1 else 'are'}"


def splits_text(splits: Mapping[str, int]) -> str:
    """`` (train 30, val 15)``: pictures per split, for a summary line; ``""`` without."""
    if not splits:
        return ""
    return " (" + ", ".join(f"{split} {count}" for split, count in splits.items()) + ")"
