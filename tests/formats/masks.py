"""Masks for tests, made and encoded by numpy and pycocotools (the reference)."""

from __future__ import annotations

from typing import Any

import numpy as np
from pycocotools import mask as mask_utils


def random_mask(seed: int, height: int = 23, width: int = 31) -> np.ndarray[Any, Any]:
    rng = np.random.default_rng(seed)
    array = np.zeros((height, width), dtype=np.uint8)
    y0, x0 = int(rng.integers(0, height - 5)), int(rng.integers(0, width - 5))
    array[y0 : y0 + int(rng.integers(2, 6)), x0 : x0 + int(rng.integers(2, 9))] = 1
    array[rng.random((height, width)) < 0.03] = 1
    return array


def compressed(array: np.ndarray[Any, Any]) -> dict[str, Any]:
    rle = mask_utils.encode(np.asfortranarray(array))
    return {"size": list(rle["size"]), "counts": rle["counts"].decode("ascii")}


def uncompressed_counts(array: np.ndarray[Any, Any]) -> list[int]:
    flat = array.flatten(order="F")
    counts: list[int] = []
    current, run = 0, 0
    for value in flat:
        if value == current:
            run += 1
        else:
            counts.append(run)
            current, run = int(value), 1
    counts.append(run)
    return counts
