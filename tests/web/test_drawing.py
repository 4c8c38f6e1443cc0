"""What the pages draw of objects: each kind of the wire shape as its shape, one colour per
label, stable in the labels' order."""

from __future__ import annotations

from pixlake.entities.datasets import Label
from pixlake.web.drawing import PALETTE, colours_of_names, label_colours, shapes_of_objects


def test_colours_follow_the_labels_order_and_wrap_around_the_palette() -> None:
    labels = [Label(f"l{i}", "rectangle", position=i) for i in reversed(range(25))]
    colours = label_colours(labels)
    assert [c.index for c in colours.values()] == list(range(25))
    assert colours["l0"].colour == PALETTE[0] and colours["l21"].colour == PALETTE[1]
    assert list(colours_of_names(["b", "a", "b"])) == ["a", "b"]


def test_every_kind_of_object_becomes_its_shape() -> None:
    colours = label_colours([Label("car", "rectangle", 0), Label("bus", "polygon", 1)])
    shapes = shapes_of_objects(
        [
            {
                "type": "rectangle",
                "label": "car",
                "rectangle": {"top": 2, "left": 1, "width": 3, "height": 4},
            },
            {
                "type": "polygon",
                "label": "bus",
                "polygon": {
                    "geometry": [{"x": 0, "y": 0}, {"x": 4, "y": 0}, {"x": 4, "y": 3}],
                    "parts": [[{"x": 1, "y": 1}, {"x": 2, "y": 1}, {"x": 2, "y": 2}]],
                },
                "rectangle": {"top": 0, "left": 0, "width": 4, "height": 3},
            },
            {"type": "mask", "label": "car", "mask": {"size": [2, 2], "counts": [4]}},
            {"type": "classification", "label": "bus", "qa": [{"question": "q", "answer": "a"}]},
            {"label": "truck", "box": [1, 2, 3, 4], "score": 0.5},
        ],
        colours,
    )
    assert [s.kind for s in shapes] == [
        "rectangle",
        "polygon",
        "mask",
        "classification",
        "rectangle",
    ]
    assert shapes[0].box == (1, 2, 3, 4) and shapes[0].label.colour == PALETTE[0]
    assert shapes[1].rings == ("0,0 4,0 4,3", "1,1 2,1 2,2") and shapes[1].label.name == "bus"
    assert shapes[2].index == 2 and shapes[3].qa == (("q", "a"),)
    assert shapes[4].box == (1.0, 2.0, 3.0, 4.0) and shapes[4].label.name == "truck"
