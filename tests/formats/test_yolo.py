"""YOLO: class names (data.yaml, classes.txt), label rows, errors by file and line, export."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from PIL import Image

from pixlake.errors import InvalidInputError, PayloadTooLargeError
from pixlake.formats import (
    AnnotatedImage,
    Annotations,
    Box,
    FolderSink,
    LabelSpec,
    Limits,
    Obj,
    YoloExporter,
    read_coco,
    read_yolo,
)

from .helpers import find_problem


def make_dataset(
    root: Path,
    labels: dict[str, str],
    *,
    names: str = "cat\ndog\n",
    sizes: dict[str, tuple[int, int]] | None = None,
) -> Path:
    """A YOLO folder: classes.txt, labels/<stem>.txt and one small PNG per image."""
    (root / "labels").mkdir(parents=True)
    (root / "images").mkdir()
    (root / "classes.txt").write_text(names)
    for stem, text in labels.items():
        (root / "labels" / f"{stem}.txt").write_text(text)
    for name, size in (sizes or {f"{stem}.png": (100, 80) for stem in labels}).items():
        Image.new("RGB", size).save(root / "images" / name)
    return root


def read_error(root: Path, **options: object) -> pytest.ExceptionInfo[InvalidInputError]:
    with pytest.raises(InvalidInputError) as error:
        read_yolo(root, **options)  # type: ignore[arg-type]
    return error


def export(annotations: Annotations, root: Path, **options: object) -> Path:
    with FolderSink(root) as sink:
        exporter = YoloExporter(sink, annotations.labels, **options)  # type: ignore[arg-type]
        with exporter:
            for image in annotations.images:
                exporter.write(image)
    return root


# --------------------------------------------------------------------------------------
# Reading


def test_reads_the_generated_dataset(generated_root: Path) -> None:
    coco = read_coco(generated_root / "annotations/instances.json")
    result = read_yolo(generated_root / "yolo")
    assert [label.name for label in result.labels] == [label.name for label in coco.labels]
    assert [image.file_name for image in result.images] == [i.file_name for i in coco.images]
    for mine, theirs in zip(result.images, coco.images, strict=True):
        assert (mine.width, mine.height) == (theirs.width, theirs.height)
        assert [o.label for o in mine.objects] == [o.label for o in theirs.objects]
        for obj, other in zip(mine.objects, theirs.objects, strict=True):
            assert obj.box is not None and other.box is not None
            # the generator rounds to 6 decimals of the image size
            assert obj.box.x == pytest.approx(other.box.x, abs=1e-3)
            assert obj.box.y == pytest.approx(other.box.y, abs=1e-3)
            assert obj.box.w == pytest.approx(other.box.w, abs=1e-3)
            assert obj.box.h == pytest.approx(other.box.h, abs=1e-3)


def test_progress_counts_the_images(generated_root: Path) -> None:
    told: list[tuple[int, int]] = []
    read_yolo(generated_root / "yolo", progress=lambda *at: told.append(at))
    count = len(list((generated_root / "images").glob("*.jpg")))
    assert told == [(done, count) for done in range(count + 1)]


def test_reads_rows_of_every_kind(tmp_path: Path) -> None:
    rows = "0 0.5 0.5 0.2 0.25\n\n1 0.1 0.1 0.3 0.1 0.2 0.4\n1 0.5 0.5 0.1 0.1 0.87\n"
    root = make_dataset(tmp_path / "y", {"a": rows})
    box, polygon, scored = read_yolo(root).images[0].objects
    assert box == Obj(label="cat", kind="rectangle", box=Box(40, 30, 20, 20))
    assert polygon.kind == "polygon"
    flat = [value for point in polygon.polygons[0] for value in point]
    assert flat == pytest.approx([10, 8, 30, 8, 20, 32])
    assert (scored.box, scored.score) == (Box(45, 36, 10, 8), 0.87)
    assert read_yolo(root).labels == [LabelSpec("cat", "rectangle"), LabelSpec("dog", "polygon")]
    as_boxes = read_yolo(root, rectangle=True).images[0].objects[1]
    assert as_boxes.kind == "rectangle"
    assert as_boxes.box is not None
    assert (as_boxes.box.x, as_boxes.box.w) == pytest.approx((10, 20))


def test_images_without_labels_have_no_objects(tmp_path: Path) -> None:
    root = make_dataset(
        tmp_path / "y", {"a": "0 0.5 0.5 0.1 0.1\n"}, sizes={"a.png": (10, 10), "b.jpg": (20, 30)}
    )
    (root / "images/notes.txt").write_text("not an image")
    result = read_yolo(root)
    assert [(i.file_name, i.width, i.height, len(i.objects)) for i in result.images] == [
        ("a.png", 10, 10, 1),
        ("b.jpg", 20, 30, 0),
    ]


def test_a_size_lookup_comes_before_the_files(tmp_path: Path) -> None:
    root = make_dataset(tmp_path / "y", {"a": "0 0.5 0.5 0.5 0.5\n"})
    (root / "images/a.png").write_bytes(b"not decodable")
    with pytest.raises(InvalidInputError) as error:
        read_yolo(root)
    find_problem(error, file="images/a.png", message="expected a readable image")
    result = read_yolo(root, image_size={"a.png": (200, 100)}.get)
    assert result.images[0].objects[0].box == Box(50, 25, 100, 50)


def test_images_may_live_elsewhere(tmp_path: Path) -> None:
    root = make_dataset(tmp_path / "y", {"a": "1 0.5 0.5 0.5 0.5\n"})
    shutil.move(root / "images", tmp_path / "pictures")
    assert read_yolo(root, images=tmp_path / "pictures").images[0].objects[0].label == "dog"


# --------------------------------------------------------------------------------------
# Class names


@pytest.mark.parametrize(
    "yaml",
    [
        "names:\n  - cat\n  - dog\n",
        "names:\n- cat\n- dog\nnc: 2\n",
        "path: .\nnames:\n  0: cat\n  1: dog\ntrain: images\n",
        "names:\n  1: dog  # the second\n  0: 'cat'\n",
        "names: [cat, dog]\n",
        "names: ['cat', \"dog\"]  # flow\nnc: 2\n",
        "names: {0: cat,\n  1: dog}\n",
        '# comment\nnames:\n  - "cat"\n\n  - dog\nval: images\n',
    ],
)
def test_data_yaml_forms(tmp_path: Path, yaml: str) -> None:
    root = make_dataset(tmp_path / "y", {"a": "1 0.5 0.5 0.1 0.1\n"}, names="wrong\n")
    (root / "data.yaml").write_text(yaml)
    result = read_yolo(root)
    assert [label.name for label in result.labels] == ["cat", "dog"]
    assert result.images[0].objects[0].label == "dog"


def test_data_yaml_quoting(tmp_path: Path) -> None:
    root = make_dataset(tmp_path / "y", {}, names="")
    (root / "data.yaml").write_text(
        "names:\n  0: \"traffic light\"\n  1: 'it''s # not a comment'\n  2: \"caf\\u00e9\"\n"
        "  3: don't\n"
    )
    names = [label.name for label in read_yolo(root).labels]
    assert names == ["traffic light", "it's # not a comment", "café", "don't"]


@pytest.mark.parametrize(
    ("yaml", "line", "message"),
    [
        ("names: [cat, dog]\nnc: 3\n", 2, "nc to be the number of names (2)"),
        ("names:\n  0: cat\n  2: dog\n", 1, "class indices 0 to 1"),
        ("names:\n  - cat\n  dog: x\n", 3, "expected valid YAML"),
        ("names: cat\n", 1, "expected names as [a, b, ...]"),
        ("names: [cat, 'dog]\n", 2, "expected valid YAML"),
        ("names:\n  - [nested, list]\n", 1, "expected a class name"),
        ("nc: two\nnames: [a]\n", 1, "expected a class count"),
        ("names: [cat, cat]\n", None, "unique class names"),
    ],
)
def test_bad_data_yaml(tmp_path: Path, yaml: str, line: int | None, message: str) -> None:
    root = make_dataset(tmp_path / "y", {})
    (root / "data.yaml").write_text(yaml)
    find_problem(read_error(root), file="data.yaml", line=line, message=message)


def test_class_names_are_required(tmp_path: Path) -> None:
    root = make_dataset(tmp_path / "y", {"a": ""})
    (root / "classes.txt").unlink()
    find_problem(read_error(root), file="y", message="data.yaml or classes.txt")
    (root / "data.yaml").write_text("train: images\n")
    find_problem(read_error(root), file="data.yaml", message="'names:' key")
    (root / "data.yaml").unlink()
    (root / "labels/classes.txt").write_text("cat\n\ndog\n")  # LabelImg keeps it in labels/
    find_problem(read_error(root), file="labels/classes.txt", line=2, message="every line")
    (root / "labels/classes.txt").write_text("cat\r\ndog\r\n")
    assert [label.name for label in read_yolo(root).labels] == ["cat", "dog"]


# --------------------------------------------------------------------------------------
# Bad rows: file, line and column


@pytest.mark.parametrize(
    ("rows", "line", "field", "message"),
    [
        ("0 0.5 0.5 0.1 0.1\n2 0.5 0.5 0.1 0.1\n", 2, "class", "class index from 0 to 1"),
        ("-1 0.5 0.5 0.1 0.1\n", 1, "class", "class index (an integer)"),
        ("1.0 0.5 0.5 0.1 0.1\n", 1, "class", "class index (an integer)"),
        ("0 1.5 0.5 0.1 0.1\n", 1, "cx", "normalized coordinate in [0, 1]"),
        ("0 0.5 0.5 0.1 -0.1\n", 1, "h", "normalized coordinate in [0, 1]"),
        ("0 0.5 abc 0.1 0.1\n", 1, "cy", "normalized coordinate"),
        ("0 0.5 0.5 0.1 0.1 high\n", 1, "score", "a number"),
        ("0 0.1 0.2 0.3 0.4 0.5 0.6 0.7 nan\n", 1, "y4", "normalized coordinate"),
        ("0 0.05 0.5 0.2 0.1\n", 1, "box", "inside the 100x80 image"),
        ("\n\n0 0.5 0.5 0.1\n", 3, None, "got 4 fields"),
        ("0 0.1 0.2 0.3 0.4 0.5 0.6 0.7\n", 1, None, "got 8 fields"),
        ("0\n", 1, None, "got 1 field"),
    ],
)
def test_bad_rows(tmp_path: Path, rows: str, line: int, field: str | None, message: str) -> None:
    root = make_dataset(tmp_path / "y", {"a": rows})
    error = read_error(root)
    detail = find_problem(error, file="labels/a.txt", line=line, field=field, message=message)
    if message.startswith("got"):  # a count of fields, in the right number
        assert detail["message"].endswith(message)
    assert error.value.message == "YOLO folder y is not valid: 1 problem"


def test_label_files_need_their_image(tmp_path: Path) -> None:
    root = make_dataset(
        tmp_path / "y", {"a": "0 0.5 0.5 0.1 0.1\n", "b": ""}, sizes={"a.png": (9, 9)}
    )
    find_problem(read_error(root), file="labels/b.txt", message="an image named b.<ext>")
    Image.new("RGB", (4, 4)).save(root / "images/a.jpg")
    Image.new("RGB", (4, 4)).save(root / "images/b.jpg")
    find_problem(read_error(root), message="share the stem 'a'")


def test_every_file_is_checked_and_limits_apply(tmp_path: Path) -> None:
    root = make_dataset(tmp_path / "y", {"a": "5 0 0 0 0\n", "b": "0 2 0 0 0\n"})
    error = read_error(root)
    assert [(d["file"], d["line"]) for d in error.value.details] == [
        ("labels/a.txt", 1),
        ("labels/b.txt", 1),
    ]
    (root / "labels/a.txt").write_text("0 0.5 0.5 0.1 0.1\n" * 100)
    with pytest.raises(PayloadTooLargeError) as too_large:
        read_yolo(root, limits=Limits(max_text_bytes=500))
    find_problem(too_large, file="labels/a.txt", message="at most 500 bytes")


def test_not_a_folder(tmp_path: Path) -> None:
    find_problem(read_error(tmp_path / "missing"), file="missing", message="expected a folder")


def test_the_images_folder_is_required_and_its_names_checked(tmp_path: Path) -> None:
    root = make_dataset(tmp_path / "y", {"a": "0 0.5 0.5 0.1 0.1\n"})
    find_problem(read_error(root, images=tmp_path / "nowhere"), message="folder of images")
    Image.new("RGB", (4, 4)).save(root / "images" / "b\\c.png")
    find_problem(read_error(root), file="images/b\\c.png", message="without folders")


# --------------------------------------------------------------------------------------
# Export


def test_round_trip_keeps_indices_and_coordinates(generated_root: Path, tmp_path: Path) -> None:
    source = generated_root / "yolo"
    first = read_yolo(source)
    out = export(first, tmp_path / "out")
    for label_file in sorted((source / "labels").glob("*.txt")):
        theirs = [line.split() for line in label_file.read_text().splitlines()]
        mine = [
            line.split() for line in (out / "labels" / label_file.name).read_text().splitlines()
        ]
        assert [row[0] for row in mine] == [row[0] for row in theirs]
        for row, other in zip(mine, theirs, strict=True):
            assert [float(v) for v in row[1:]] == pytest.approx(
                [float(v) for v in other[1:]], abs=1e-6
            )
    assert (out / "classes.txt").read_text() == (source / "classes.txt").read_text()
    (out / "images").symlink_to(source / "images", target_is_directory=True)
    assert read_yolo(out).labels == first.labels  # through data.yaml this time


def test_segment_mode(tmp_path: Path) -> None:
    small = ((10.0, 10.0), (20.0, 10.0), (15.0, 20.0))
    large = ((50.0, 40.0), (90.0, 40.0), (90.0, 79.0), (50.0, 79.0))
    image = AnnotatedImage(
        file_name="a.jpg",
        width=100,
        height=80,
        objects=(
            Obj(label="cat", kind="polygon", polygons=(small, large)),
            Obj(label="dog", kind="rectangle", box=Box(-5, 0, 25, 40)),
            Obj(label="dog", kind="classification"),
        ),
    )
    labels = [LabelSpec("cat", "polygon"), LabelSpec("dog", "rectangle")]
    annotations = Annotations(labels=labels, images=[image])
    segment = export(annotations, tmp_path / "segment", mode="segment")
    assert (segment / "labels/a.txt").read_text() == (
        "0 0.500000 0.500000 0.900000 0.500000 0.900000 0.987500 0.500000 0.987500\n"
        "1 0.000000 0.000000 0.200000 0.000000 0.200000 0.500000 0.000000 0.500000\n"
    )
    detect = export(annotations, tmp_path / "detect")
    assert (detect / "labels/a.txt").read_text() == (
        "0 0.500000 0.556250 0.800000 0.862500\n1 0.100000 0.250000 0.200000 0.500000\n"
    )
    data = yaml.safe_load((detect / "data.yaml").read_text())
    assert data == {
        "path": ".",
        "train": "images",
        "val": "images",
        "nc": 2,
        "names": {0: "cat", 1: "dog"},
    }


def test_exporter_refusals(tmp_path: Path) -> None:
    sink = FolderSink(tmp_path / "out")
    with pytest.raises(InvalidInputError) as error:
        YoloExporter(sink, [LabelSpec("a", "rectangle")], mode="pose")  # type: ignore[arg-type]
    find_problem(error, field="mode", message="'detect' or 'segment'")
    with pytest.raises(InvalidInputError) as error:
        YoloExporter(sink, [LabelSpec("a\nb", "rectangle")])
    find_problem(error, field="labels[0].name", message="without line breaks")
    exporter = YoloExporter(sink, [LabelSpec("a", "rectangle")])
    unknown_size = AnnotatedImage(
        file_name="u.jpg",
        width=0,
        height=0,
        objects=(Obj(label="a", kind="rectangle", box=Box(1, 1, 1, 1)),),
    )
    with pytest.raises(InvalidInputError) as error:
        exporter.write(unknown_size)
    find_problem(error, file="u.jpg", message="expected the image size")
