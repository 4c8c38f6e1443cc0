"""What the pages draw of an annotation: its objects as shapes in the picture's pixels, one
colour per label."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from pixlake.entities.datasets import AnnotationRecord, Label

__all__ = ["PALETTE", "LabelColour", "Shape", "label_colours", "shapes_of"]

#: Twenty colours that stay apart from each other on photographs (Tableau 20's, reordered
#: so that the first ten are the darker, more distinct ones).
PALETTE: Final = (
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
    "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
    "#aec7e8", "#ffbb78", "#98df8a", "#ff9896", "#c5b0d5",
    "#c49c94", "#f7b6d2", "#c7c7c7", "#dbdb8d", "#9edae5",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class LabelColour:
    index: int
    name: str
    type: str
    colour: str


@dataclass(frozen=True, slots=True)
class Shape:
    """One object to draw: a box, polygon rings (SVG ``points``), a mask (drawn from its own
    image, by its index among the annotation's objects), or a classification (a badge)."""

    kind: str
    label: LabelColour
    index: int
    box: tuple[float, float, float, float] | None = None
    rings: tuple[str, ...] = ()
    qa: tuple[tuple[str, str], ...] = ()


def label_colours(labels: Sequence[Label]) -> dict[str, LabelColour]:
    """A colour per label, by the labels' order in the version (stable between pages)."""
    ordered = sorted(labels, key=lambda label: label.position)
    return {
        label.name: LabelColour(i, label.name, label.type, PALETTE[i % len(PALETTE)])
        for i, label in enumerate(ordered)
    }


def _points(ring: Sequence[Mapping[str, float]]) -> str:
    return " ".join(f"{p['x']:g},{p['y']:g}" for p in ring)


def _unknown(name: str, index: int) -> LabelColour:
    return LabelColour(index, name, "?", PALETTE[index % len(PALETTE)])


def shapes_of(
    annotation: AnnotationRecord | None, colours: Mapping[str, LabelColour]
) -> list[Shape]:
    """The annotation's objects as shapes (none without an annotation)."""
    if annotation is None:
        return []
    shapes = []
    for index, obj in enumerate(annotation.objects):
        label = colours.get(obj["label"]) or _unknown(obj["label"], len(colours))
        qa = tuple((q["question"], q["answer"]) for q in obj.get("qa", ()))
        rect: Any = obj.get("rectangle")
        box = None
        if rect is not None:
            box = (rect["left"], rect["top"], rect["width"], rect["height"])
        rings: tuple[str, ...] = ()
        if obj["type"] == "polygon":
            polygon = obj["polygon"]
            rings = (_points(polygon["geometry"]), *(_points(p) for p in polygon.get("parts", ())))
        shapes.append(Shape(obj["type"], label, index, box, rings, qa))
    return shapes
