"""A line summarized by block: merging the blocks' summaries chooses the very points that
reading every point chooses, for the same bucket edges."""

from __future__ import annotations

import math
import random
from typing import Any

import pytest

from pixlake.store.db import lines


def _line(rng: random.Random, n: int) -> list[float | str]:
    """Points with ties (a few distinct levels), spikes and every non-finite value."""
    ys: list[float | str] = [float(rng.choice((0, 1, 2, 2, 3))) for _ in range(n)]
    for _ in range(max(1, n // 200)):
        ys[rng.randrange(n)] = rng.choice((-40.0, 40.0, "NaN", "Infinity", "-Infinity"))
    return ys


def _rows(ys: list[float | str], first: int, last: int) -> list[tuple[int, Any, Any]]:
    return [
        (i, None, y) if isinstance(y, str) else (i, y, None)
        for i, y in enumerate(ys[first : last + 1], start=first)
    ]


def _pieces(ys: list[float | str], first: int, last: int) -> list[lines.Summary]:
    """The pieces the repository reads: a partial block at each end, whole blocks between,
    each whole block as its stored row gives it back."""
    inner = -(-first // lines.BLOCK) * lines.BLOCK
    outer = (last + 1) // lines.BLOCK * lines.BLOCK
    pieces = [lines.summarize(first, ys[first:inner])] if first < inner else []
    for start in range(inner, outer, lines.BLOCK):
        row = lines.summarize(start, ys[start : start + lines.BLOCK]).block_row()
        pieces.append(lines.Summary.of_block([row[c] for c in lines.COLUMNS]))
    if outer <= last:
        pieces.append(lines.summarize(outer, ys[outer : last + 1]))
    return pieces


@pytest.mark.parametrize("seed", range(40))
def test_merged_blocks_choose_what_every_point_chooses(seed: int) -> None:
    rng = random.Random(seed)
    ys = _line(rng, rng.randrange(8 * lines.BLOCK, 40 * lines.BLOCK))
    first = rng.randrange(0, 2 * lines.BLOCK)
    last = rng.randrange(len(ys) - 2 * lines.BLOCK, len(ys))
    buckets = rng.randrange(1, (last - first + 1) // lines.BLOCK + 1)
    edges = lines.boundaries(first, last, buckets, snap=lines.BLOCK)
    assert all(e % lines.BLOCK == 0 and first < e <= last for e in edges)
    reference = lines.bucketed(_rows(ys, first, last), edges)
    assert lines.merged(_pieces(ys, first, last), edges) == reference
    assert set(reference) <= set(range(first, last + 1))


def test_each_bucket_keeps_its_ends_extremes_and_first_non_finite_values() -> None:
    ys: list[float | str] = [1.0, 5.0, "NaN", 0.0, "NaN", 5.0, 0.0, 2.0]
    chosen = lines.bucketed(_rows(ys, 0, 7), [4])
    # bucket [0, 4): first 0, last 3 (also the lowest), highest 1, NaN first at 2
    # bucket [4, 8): first 4 (NaN), last 7, highest 5, lowest 6
    assert chosen == {0: 1.0, 1: 5.0, 2: "NaN", 3: 0.0, 4: "NaN", 5: 5.0, 6: 0.0, 7: 2.0}
    assert lines.bucketed(_rows(ys, 0, 7), []) == {0: 1.0, 1: 5.0, 2: "NaN", 3: 0.0, 7: 2.0}


def test_a_summary_with_or_without_non_finite_values_keeps_the_first_extremes() -> None:
    plain = lines.summarize(10, [3.0, 1.0, 7.0, 1.0, 7.0])
    assert (plain.low_i, plain.low, plain.high_i, plain.high) == (11, 1.0, 12, 7.0)
    mixed = lines.summarize(10, [3.0, "Infinity", 1.0, 7.0, 1.0, "Infinity", "NaN", 7.0])
    assert (mixed.low_i, mixed.high_i) == (12, 13)
    assert mixed.specials == {"Infinity": 11, "NaN": 16}
    only = lines.summarize(0, ["NaN", "NaN"])
    assert only.low_i is None and only.specials == {"NaN": 0}
    stored = lines.Summary.of_block([only.block_row()[c] for c in lines.COLUMNS])
    assert stored == only and stored.low == math.inf


def test_edges_cut_equal_spans_or_fall_on_blocks() -> None:
    assert lines.boundaries(0, 99, 4) == [25, 50, 75]
    assert lines.boundaries(10, 12, 5) == [11, 12]  # never an empty bucket
    snapped = lines.boundaries(100, 10_000, 10, snap=lines.BLOCK)
    assert snapped == sorted(set(snapped)) and all(e % lines.BLOCK == 0 for e in snapped)
    assert len(snapped) == 9
