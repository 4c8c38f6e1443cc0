"""What the pages draw of an annotation: its objects as shapes in the picture's pixels, one
colour per label."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from pixlake.entities.datasets import AnnotationRecord, Label

__all__ = [
    "PALETTE",
    "LabelColour",
    "Shape",
    "colours_of_names",
    "label_colours",
    "shapes_of",
    "shapes_of_objects",
]

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


def colours_of_names(names: Sequence[str]) -> dict[str, LabelColour]:
    """A colour per name, for labels that are only names (an evaluation's), in name order."""
    return {
        name: LabelColour(i, name, "?", PALETTE[i % len(PALETTE)])
        for i, name in enumerate(sorted(set(names)))
    }


def _points(ring: Sequence[Mapping[str, float]]) -> str:
    return " ".join(f"{p['x']:g},{p['y']:g}" for p in ring)


def _unknown(name: str, index: int) -> LabelColour:
    return LabelColour(index, name, "?", PALETTE[index % len(PALETTE)])


def shapes_of(
    annotation: AnnotationRecord | None, colours: Mapping[str, LabelColour]
) -> list[Shape]:
    """The annotation's objects as shapes (none without an annotation)."""
    return [] if annotation is None else shapes_of_objects(annotation.objects, colours)


def shapes_of_objects(
    objects: Sequence[Mapping[str, Any]], colours: Mapping[str, LabelColour]
) -> list[Shape]:
    """Objects of the wire shape (``type``, ``label``, ``rectangle``, ``polygon``...) as
    shapes; an object with only a ``box`` (``[x, y, w, h]``, as evaluations may give it) is a
    rectangle, and one with no geometry a classification."""
    shapes = []
    for index, obj in enumerate(objects):
        name = str(obj.get("label", ""))
        label = colours.get(name) or _unknown(name, len(colours))
        qa = tuple((str(q["question"]), str(q["answer"])) for q in obj.get("qa", ()))
        rect: Any = obj.get("rectangle")
        box = None
        if isinstance(rect, Mapping):
            box = (rect["left"], rect["top"], rect["width"], rect["height"])
        elif isinstance(obj.get("box"), list) and len(obj["box"]) == 4:
            x, y, w, h = (float(v) for v in obj["box"])
            box = (x, y, w, h)
        kind = str(obj.get("type") or ("rectangle" if box else "classification"))
        rings: tuple[str, ...] = ()
        polygon = obj.get("polygon")
        if kind == "polygon" and isinstance(polygon, Mapping):
            rings = (_points(polygon["geometry"]), *(_points(p) for p in polygon.get("parts", ())))
        shapes.append(Shape(kind, label, index, box, rings, qa))
    return shapes
