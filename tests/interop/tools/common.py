"""What the tool scripts and the tests share: the *view* of a dataset, and how a script talks.

Standard library only: this module is imported by the scripts in this folder, which run in
each tool's own virtual environment (``scripts/tool-envs``), and by the tests, in pixlake's.

A view is what one reader makes of a dataset, in plain JSON::

    {"classes": ["Traffic Light", ...],              # the class names, in the reader's order
     "images": {"a.jpg": {"width": 64, "height": 48, "split": "train" | None,
                          "objects": [{"class": "Traffic Light",
                                       "box": [x, y, w, h] | None,   # None: a class
                                       "rings": [[x1, y1, ...], ...] | None,
                                       "crowd": False}]}}}

Boxes are COCO's: ``x, y`` the top-left corner, ``w, h`` the size, in continuous pixel
coordinates, whatever the format's own convention.  A script reads one JSON request on
standard input and writes one JSON answer on standard output; what a tool prints goes to
standard error.
"""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Callable, Iterator
from typing import Any

View = dict[str, Any]


def new_view(classes: list[str]) -> View:
    return {"classes": list(classes), "images": {}}


def add_image(
    view: View, name: str, width: int, height: int, split: str | None = None
) -> list[dict[str, Any]]:
    """Add an image (once) and return its list of objects."""
    image = view["images"].setdefault(
        name, {"width": int(width), "height": int(height), "split": split, "objects": []}
    )
    objects: list[dict[str, Any]] = image["objects"]
    return objects


def obj(
    label: str,
    box: Any,
    rings: list[list[float]] | None = None,
    crowd: bool = False,
) -> dict[str, Any]:
    """An object of a view; ``box`` is ``None`` for a classification."""
    return {
        "class": label,
        "box": None if box is None else [float(v) for v in box],
        "rings": None if rings is None else [[float(v) for v in ring] for ring in rings],
        "crowd": bool(crowd),
    }


def xyxy_box(x0: float, y0: float, x1: float, y1: float) -> list[float]:
    return [float(x0), float(y0), float(x1) - float(x0), float(y1) - float(y0)]


@contextlib.contextmanager
def quiet() -> Iterator[None]:
    """What a tool prints goes to standard error, so that standard output holds the answer."""
    with contextlib.redirect_stdout(sys.stderr):
        yield


def serve(commands: dict[str, Callable[[dict[str, Any]], Any]]) -> None:
    """Read the request ``{"command": ..., ...}`` and answer it."""
    request = json.load(sys.stdin)
    with quiet():
        answer = commands[request["command"]](request)
    json.dump(answer, sys.stdout)
