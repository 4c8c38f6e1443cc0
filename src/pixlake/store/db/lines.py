"""A line's points summarized, so that a chart of a million points reads a few thousand rows.

A chart asks for a line cut into as many buckets as it has pixels, and wants each bucket's
first and last points, its lowest and highest, and the first of each non-finite value it
holds: then no spike is lost, whatever the size (``docs/decisions/0029``). Reading every point
to find them costs as much as the line is long. So the points are also summarized by
**block** of ``BLOCK`` consecutive indexes, in the ``line_blocks`` table, written with the
points: a wide bucket made of whole blocks is the merge of their summaries, and only the
partial blocks at the two ends of the range asked are read point by point.

Two ways to bucket, then, kept side by side:

- :func:`bucketed`, the reference: every point of the range, in index order;
- :func:`merged`, the fast path: summaries of the range's pieces (a partial block at each
  end, whole blocks between), when every bucket boundary falls on a block's first index.

For the same boundaries (:func:`boundaries`) they choose the same points; a test proves it.
This module is the table's definition: the repository and the migration that fills the
table for lines stored before it both use it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = ["BLOCK", "COLUMNS", "Summary", "boundaries", "bucketed", "merged", "summarize"]

#: Points per block: a block is summarized once it is written; a bucket wider than this
#: many points is read from the summaries of the blocks it holds.
BLOCK = 256

#: The column of ``line_blocks`` holding the first index of each non-finite value in a block.
_SPECIAL_COLUMNS = {"NaN": "nan_idx", "Infinity": "inf_idx", "-Infinity": "ninf_idx"}

#: The columns of a ``line_blocks`` row but its line's key, in the order of
#: :meth:`Summary.of_block`.
COLUMNS = (
    "block", "first_value", "first_special", "last_idx", "last_value", "last_special",
    "low_idx", "low", "high_idx", "high", *_SPECIAL_COLUMNS.values(),
)  # fmt: skip

#: A point's y: a number, or the string form of a non-finite one.
Y = float | str


@dataclass(slots=True)
class Summary:
    """The points of a run of consecutive indexes, reduced to the ones a chart keeps."""

    first: int
    first_y: Y
    last: int
    last_y: Y
    low_i: int | None = None
    low: float = math.inf
    high_i: int | None = None
    high: float = -math.inf
    #: The first index of each non-finite value, by its string form.
    specials: dict[str, int] = field(default_factory=dict)

    def extend(self, after: Summary) -> None:
        """Fold in the summary of the points that directly follow these."""
        self.last, self.last_y = after.last, after.last_y
        if after.low_i is not None and after.low < self.low:
            self.low, self.low_i = after.low, after.low_i
        if after.high_i is not None and after.high > self.high:
            self.high, self.high_i = after.high, after.high_i
        for kind, idx in after.specials.items():
            self.specials.setdefault(kind, idx)

    def choose(self, chosen: dict[int, Y]) -> None:
        """Add the points this summary keeps to ``chosen`` (by index)."""
        chosen[self.first] = self.first_y
        chosen[self.last] = self.last_y
        if self.low_i is not None and self.high_i is not None:
            chosen[self.low_i], chosen[self.high_i] = self.low, self.high
        for kind, idx in self.specials.items():
            chosen[idx] = kind

    @classmethod
    def of_block(cls, row: Sequence[Any]) -> Summary:
        """The summary a ``line_blocks`` row holds, its values in the order of ``COLUMNS``."""
        block, fv, fs, last, lv, ls, low_i, low, high_i, high, *firsts = row
        summary = cls(block * BLOCK, fs or fv, last, ls or lv)
        if low_i is not None:
            summary.low_i, summary.low, summary.high_i, summary.high = low_i, low, high_i, high
        for kind, idx in zip(_SPECIAL_COLUMNS, firsts, strict=True):
            if idx is not None:
                summary.specials[kind] = idx
        return summary

    def block_row(self) -> dict[str, Any]:
        """The ``line_blocks`` row of a block's summary, by column (but the line's key)."""
        first, last = self.first_y, self.last_y
        found = self.low_i is not None
        row: dict[str, Any] = {
            "block": self.first // BLOCK,
            "first_value": None if isinstance(first, str) else first,
            "first_special": first if isinstance(first, str) else None,
            "last_idx": self.last,
            "last_value": None if isinstance(last, str) else last,
            "last_special": last if isinstance(last, str) else None,
            "low_idx": self.low_i,
            "low": self.low if found else None,
            "high_idx": self.high_i,
            "high": self.high if found else None,
        }
        for kind, column in _SPECIAL_COLUMNS.items():
            row[column] = self.specials.get(kind)
        return row

    def copy(self) -> Summary:
        return Summary(
            self.first, self.first_y, self.last, self.last_y,
            self.low_i, self.low, self.high_i, self.high, dict(self.specials),
        )  # fmt: skip


def summarize(start: int, ys: Sequence[Y]) -> Summary:
    """The summary of points ``ys`` (not empty), of indexes ``start``, ``start + 1``, …"""
    end = start + len(ys) - 1
    summary = Summary(start, ys[0], end, ys[-1])
    if not any(isinstance(y, str) for y in ys):
        low, high = min(ys), max(ys)  # the first lowest and highest, in C
        summary.low, summary.low_i = float(low), start + ys.index(low)
        summary.high, summary.high_i = float(high), start + ys.index(high)
        return summary
    for offset, y in enumerate(ys):
        if isinstance(y, str):
            summary.specials.setdefault(y, start + offset)
            continue
        if y < summary.low:
            summary.low, summary.low_i = float(y), start + offset
        if y > summary.high:
            summary.high, summary.high_i = float(y), start + offset
    return summary


def boundaries(first: int, last: int, buckets: int, *, snap: int = 1) -> list[int]:
    """The first index of each bucket but the first, for ``buckets`` equal spans of indexes
    ``first`` to ``last``; with ``snap``, each moved to the nearest multiple of it inside the
    range (some buckets then hold a block more than others, and none is empty)."""
    span = last - first + 1
    low = -(-first // snap) * snap
    high = (last + 1) // snap * snap
    found: list[int] = []
    for k in range(1, buckets):
        edge = first + -(-k * span // buckets)
        if snap > 1:
            edge = min(max(round(edge / snap) * snap, low), high)
        if first < edge <= last and (not found or edge > found[-1]):
            found.append(edge)
    return found


def bucketed(rows: Iterable[tuple[int, Any, Any]], edges: Sequence[int]) -> dict[int, Y]:
    """The reference: from rows ``(idx, value, special)`` in index order, each bucket's first,
    last, lowest and highest points, and the first of each non-finite value it holds, by
    index; bucket ``k + 1`` starts at ``edges[k]``.

    One loop with no call per point: it reads up to ``BLOCK`` times the buckets' points."""
    chosen: dict[int, Y] = {}
    boundary: float = -1  # the first index of the next bucket
    ahead = iter([*edges, math.inf])
    low_i = high_i = last_i = -1
    low = high = 0.0
    last_y: Any = None
    specials: set[str] = set()
    for idx, value, special in rows:
        if idx >= boundary:
            if last_i >= 0:  # the bucket that ends here
                chosen[last_i] = last_y
                if low_i >= 0:
                    chosen[low_i], chosen[high_i] = low, high
            while idx >= boundary:
                boundary = next(ahead)
            chosen[idx] = special if special is not None else value
            low_i = high_i = -1
            low, high = math.inf, -math.inf
            specials = set()
        last_i, last_y = idx, special if special is not None else value
        if special is not None:
            if special not in specials:
                specials.add(special)
                chosen[idx] = special
            continue
        if value < low:
            low, low_i = value, idx
        if value > high:
            high, high_i = value, idx
    if last_i >= 0:
        chosen[last_i] = last_y
        if low_i >= 0:
            chosen[low_i], chosen[high_i] = low, high
    return chosen


def merged(pieces: Iterable[Summary], edges: Sequence[int]) -> dict[int, Y]:
    """The fast path: what :func:`bucketed` chooses, from the summaries of consecutive
    pieces of the range in index order, none of which straddles an edge."""
    chosen: dict[int, Y] = {}
    ahead = iter([*edges, math.inf])
    boundary: float = -1
    current: Summary | None = None
    for piece in pieces:
        if piece.first >= boundary:
            if current is not None:
                current.choose(chosen)
            while piece.first >= boundary:
                boundary = next(ahead)
            current = piece.copy()
        else:
            assert current is not None
            current.extend(piece)
    if current is not None:
        current.choose(chosen)
    return chosen
