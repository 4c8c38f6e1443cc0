"""Comparing two views of one dataset (``tools/common.py``): same images, classes, counts and
boxes, to a tolerance in pixels."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from tests.interop.tools.common import View


def _close(a: list[float] | None, b: list[float] | None, tolerance: float) -> bool:
    if a is None or b is None:  # classifications: no box
        return a is b
    return len(a) == len(b) and all(abs(x - y) <= tolerance for x, y in zip(a, b, strict=True))


def assert_same_view(
    mine: View,
    theirs: View,
    *,
    tolerance: float = 0.5,
    classes: bool = True,
    splits: bool = True,
    ignore_classes: Iterable[str] = (),
) -> None:
    """Fail, saying where, unless both views hold the same images (names and sizes, and
    splits when ``splits``), the same class names (when ``classes``; the order is each
    reader's own), and per image the same objects: class and box within ``tolerance``
    pixels, matched one to one."""
    ignored = set(ignore_classes)
    if classes:
        left = [c for c in mine["classes"] if c not in ignored]
        right = [c for c in theirs["classes"] if c not in ignored]
        assert sorted(left) == sorted(right), f"classes differ: {left} != {right}"
    assert sorted(mine["images"]) == sorted(theirs["images"]), (
        f"images differ: {sorted(mine['images'])} != {sorted(theirs['images'])}"
    )
    for name, image in mine["images"].items():
        other = theirs["images"][name]
        assert (image["width"], image["height"]) == (other["width"], other["height"]), name
        if splits:
            assert image["split"] == other["split"], (name, image["split"], other["split"])
        _same_objects(name, image["objects"], other["objects"], tolerance)


def _same_objects(
    name: str, mine: list[dict[str, Any]], theirs: list[dict[str, Any]], tolerance: float
) -> None:
    assert len(mine) == len(theirs), (
        f"{name}: {len(mine)} objects != {len(theirs)}: {_short(mine)} != {_short(theirs)}"
    )
    left = list(theirs)
    for item in mine:
        match = next(
            (
                other
                for other in left
                if other["class"] == item["class"] and _close(item["box"], other["box"], tolerance)
            ),
            None,
        )
        assert match is not None, f"{name}: no {_short([item])} among {_short(left)}"
        left.remove(match)


def _short(objects: list[dict[str, Any]]) -> list[tuple[str, list[float] | None]]:
    return [(o["class"], o["box"] and [round(v, 6) for v in o["box"]]) for o in objects]


def without_crowds(view: View) -> View:
    """The view less its crowd regions (which some formats do not hold)."""
    images = {
        name: {**image, "objects": [o for o in image["objects"] if not o["crowd"]]}
        for name, image in view["images"].items()
    }
    return {**view, "images": images}


def without_splits(view: View) -> View:
    images = {name: {**image, "split": None} for name, image in view["images"].items()}
    return {**view, "images": images}
