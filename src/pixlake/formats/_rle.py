"""COCO run-length encodings (RLE): decoding the compressed string, validating counts."""

from __future__ import annotations

from typing import Any

from pixlake.problems import describe

__all__ = ["decode_rle_string", "mask_problem"]


def decode_rle_string(text: str) -> list[int] | None:
    """Decode COCO's compressed RLE string (as ``pycocotools`` writes it); ``None`` if invalid.

    Each count is a little-endian run of 6-bit characters offset by 48 (``'0'``): 5 value
    bits, bit 0x20 set when more characters follow, bit 0x10 of the last one for the sign.
    From the third count on, a count is stored as its difference with the count two before.
    """
    counts: list[int] = []
    value = shift = 0
    for char in text:
        code = ord(char) - 48
        if not 0 <= code < 64:
            return None
        value |= (code & 0x1F) << shift
        shift += 5
        if code & 0x20:
            continue
        if code & 0x10:
            value -= 1 << shift
        if len(counts) > 2:
            value += counts[-2]
        counts.append(value)
        value = shift = 0
    if shift:  # the last count was cut short
        return None
    return counts


def mask_problem(height: object, width: object, counts: object) -> str | None:
    """What is wrong with an RLE, as a message saying what was expected; ``None`` if valid."""
    if type(height) is not int or type(width) is not int or height <= 0 or width <= 0:
        return f"expected a positive mask size [height, width], got {describe([height, width])}"
    runs: list[Any] | None
    if isinstance(counts, str):
        runs = decode_rle_string(counts)
        if runs is None:
            return "expected a compressed COCO RLE string (characters '0' to 'o')"
    elif isinstance(counts, list | tuple):
        runs = list(counts)
        if not all(type(n) is int for n in runs):
            return "expected RLE counts as a list of integers"
    else:
        return f"expected RLE counts as a string or a list of integers, got {describe(counts)}"
    if any(n < 0 for n in runs):
        return "expected RLE counts that are not negative"
    total = sum(runs)
    if total != height * width:
        return (
            f"expected RLE counts summing to height x width = {height * width} pixels, got {total}"
        )
    return None
