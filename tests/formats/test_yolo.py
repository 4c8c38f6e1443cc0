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
        ("names: [cat, cat]\n", 1, "unique class names"),
    ],
)
def test_bad_data_yaml(tmp_path: Path, yaml: str, line: int | None, message: str) -> None:
    root = make_dataset(tmp_path / "y", {})
    (root / "data.yaml").write_text(yaml)
    find_problem(read_error(root), file="data.yaml", line=line, message=message)


def test_class_names_are_required(tmp_path: Path) -> None:
    root = make_dataset(tmp_path / "y", {"a": ""})
    (root / "classes.txt").unlink()
    find_problem(read_error(root), file="y", message="class names in data.yaml, classes.txt")
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
    find_problem(read_error(root), file="labels/b.txt", message="an image whose label file")
    Image.new("RGB", (4, 4)).save(root / "images/a.jpg")
    Image.new("RGB", (4, 4)).save(root / "images/b.jpg")
    find_problem(read_error(root), file="images/a.png", message="share labels/a.txt")


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
    shutil.move(root / "images", tmp_path / "apart")  # labels kept apart from their images
    assert len(read_yolo(root, images=tmp_path / "apart").images) == 1
    find_problem(read_error(root, images=tmp_path / "nowhere"), message="folder of images")
    shutil.move(tmp_path / "apart", root / "images")
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
            Obj(label="cat", kind="rectangle", box=Box(0, 0, 10, 10), iscrowd=True),
        ),
    )
    labels = [LabelSpec("cat", "polygon"), LabelSpec("dog", "rectangle")]
    annotations = Annotations(labels=labels, images=[image])
    segment = export(annotations, tmp_path / "segment", mode="segment")
    # the two rings joined at their closest corners, (15, 20) and (50, 40), as Ultralytics'
    # COCO converter joins them: around the large ring, back, around the small one
    assert (segment / "labels/a.txt").read_text() == (
        "0 0.150000 0.250000 0.500000 0.500000 0.900000 0.500000 0.900000 0.987500 "
        "0.500000 0.987500 0.500000 0.500000 0.150000 0.250000 0.100000 0.125000 "
        "0.200000 0.125000 0.150000 0.250000\n"
        "1 0.000000 0.000000 0.200000 0.000000 0.200000 0.500000 0.000000 0.500000\n"
    )
    detect = export(annotations, tmp_path / "detect")
    assert (detect / "labels/a.txt").read_text() == (
        "0 0.500000 0.556250 0.800000 0.862500\n1 0.100000 0.250000 0.200000 0.500000\n"
    )
    data = yaml.safe_load((detect / "data.yaml").read_text())
    assert data == {  # no "path": Ultralytics then takes the file's own folder
        "train": "images",
        "val": "images",
        "nc": 2,
        "names": {0: "cat", 1: "dog"},
    }


def test_the_report_counts_what_yolo_cannot_hold(tmp_path: Path) -> None:
    ring = ((1.0, 1.0), (5.0, 1.0), (3.0, 4.0))
    image = AnnotatedImage(
        file_name="a.jpg",
        width=10,
        height=10,
        objects=(
            Obj(label="a", kind="polygon", polygons=(ring, ring)),
            Obj(label="a", kind="rectangle", box=Box(0, 0, 2, 2), iscrowd=True),
            Obj(label="a", kind="rectangle", box=Box(0, 0, 2, 2)),
        ),
    )
    labels = [LabelSpec("a", "polygon")]
    with FolderSink(tmp_path / "d") as sink, YoloExporter(sink, labels) as detect:
        detect.write(image)
    assert detect.report() == [
        "1 crowd region left out, as Ultralytics' COCO converter does (YOLO has no crowd regions)"
    ]
    with FolderSink(tmp_path / "s") as sink, YoloExporter(sink, labels, mode="segment") as seg:
        seg.write(image)
    assert seg.report()[1:] == [
        "1 polygon of several rings joined into one outline, as Ultralytics' COCO converter "
        "joins them",
        "1 box or mask written as the 4 corners of its box (a segmentation dataset has "
        "polygon rows only)",
    ]


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


# --------------------------------------------------------------------------------------
# Layouts: Ultralytics' data.yaml, Roboflow's, Darknet's obj.data, split folders


def write_image(path: Path, size: tuple[int, int] = (100, 80)) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size).save(path)


def write_label(path: Path, text: str = "0 0.5 0.5 0.2 0.2\n") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def ultralytics_dataset(root: Path, yaml_text: str | None = None) -> Path:
    """images/{train,val}/, labels/{train,val}/ and a data.yaml without 'path'."""
    for split, stems in (("train", ["t1", "t2"]), ("val", ["v1"])):
        for stem in stems:
            write_image(root / "images" / split / f"{stem}.jpg")
            write_label(root / "labels" / split / f"{stem}.txt")
    (root / "data.yaml").write_text(
        yaml_text or "train: images/train\nval: images/val\nnames:\n  0: Traffic Light\n  1: car\n"
    )
    return root


def splits_of(result: Annotations) -> list[tuple[str, str | None, str | None, int]]:
    return [(i.file_name, i.split, i.path, len(i.objects)) for i in result.images]


def test_ultralytics_splits(tmp_path: Path) -> None:
    root = ultralytics_dataset(tmp_path / "ds")
    result = read_yolo(root)
    assert [label.name for label in result.labels] == ["Traffic Light", "car"]
    assert splits_of(result) == [
        ("t1.jpg", "train", "images/train/t1.jpg", 1),
        ("t2.jpg", "train", "images/train/t2.jpg", 1),
        ("v1.jpg", "val", "images/val/v1.jpg", 1),
    ]
    assert read_yolo(root / "data.yaml") == result  # the file itself works too
    # paths are from the images folder when it is given
    assert [i.path for i in read_yolo(root, images=root / "images").images] == [
        "train/t1.jpg",
        "train/t2.jpg",
        "val/v1.jpg",
    ]
    (tmp_path / "elsewhere").mkdir()
    find_problem(read_error(root, images=tmp_path / "elsewhere"), message="under the images")


def test_ultralytics_keys_take_lists_and_files_of_paths(tmp_path: Path) -> None:
    root = ultralytics_dataset(tmp_path / "ds")
    write_image(root / "images/extra/e1.jpg")
    write_label(root / "labels/extra/e1.txt")
    (root / "val.txt").write_text("./images/val/v1.jpg\n\nimages/extra/e1.jpg\n")
    (root / "data.yaml").write_text(
        "path: .\ntrain: [images/train]\nval: val.txt\ntest:\nnames: [a, b]\n"
    )
    assert splits_of(read_yolo(root)) == [
        ("t1.jpg", "train", "images/train/t1.jpg", 1),
        ("t2.jpg", "train", "images/train/t2.jpg", 1),
        ("v1.jpg", "val", "images/val/v1.jpg", 1),
        ("e1.jpg", "val", "images/extra/e1.jpg", 1),
    ]
    # a list's folders keep their own names, as pixlake's exports write splits that are not
    # train, val or test
    (root / "data.yaml").write_text(
        "train: images/train\nval: images/val\ntest: [images/extra]\nnames: [a, b]\n"
    )
    assert [i.split for i in read_yolo(root).images] == ["train", "train", "val", "extra"]


def test_one_folder_for_every_key_is_no_split(tmp_path: Path) -> None:
    root = make_dataset(tmp_path / "y", {"a": "0 0.5 0.5 0.1 0.1\n"})
    (root / "data.yaml").write_text("path: .\ntrain: images\nval: images\nnames: [cat]\n")
    assert splits_of(read_yolo(root)) == [("a.png", None, "images/a.png", 1)]
    root = ultralytics_dataset(
        tmp_path / "ds", "train: images/train\nval: images/train\nnames: [a, b]\n"
    )
    assert [i.split for i in read_yolo(root).images] == ["train", "train"]
    write_label(root / "labels/train/stray.txt")
    find_problem(read_error(root), file="labels/train/stray.txt", message="an image whose label")


def test_roboflow_layout(tmp_path: Path) -> None:
    root = tmp_path / "rf"
    for split in ("train", "valid", "test"):
        write_image(root / split / "images" / f"{split}-1.jpg")
        write_label(root / split / "labels" / f"{split}-1.txt")
    (root / "data.yaml").write_text(
        "train: ../train/images\nval: ../valid/images\ntest: ../test/images\nnc: 2\n"
        "names: ['a', 'b']\nroboflow:\n  workspace: w\n"
    )
    assert splits_of(read_yolo(root)) == [
        ("train-1.jpg", "train", "train/images/train-1.jpg", 1),
        ("valid-1.jpg", "val", "valid/images/valid-1.jpg", 1),
        ("test-1.jpg", "test", "test/images/test-1.jpg", 1),
    ]


def test_darknet_layout(tmp_path: Path) -> None:
    root = tmp_path / "dn"
    for split, stem in (("train", "a"), ("valid", "b")):
        write_image(root / f"obj_{split}_data" / f"{stem}.jpg")
        write_label(root / f"obj_{split}_data" / f"{stem}.txt", "1 0.5 0.5 0.2 0.2\n")
        (root / f"{split}.txt").write_text(f"data/obj_{split}_data/{stem}.jpg\n")
    (root / "obj.names").write_text("Traffic Light\ncar\n")
    (root / "obj.data").write_text(
        "classes = 2\ntrain = data/train.txt\nvalid = data/valid.txt\nnames = data/obj.names\n"
        "backup = backup/\n"
    )
    result = read_yolo(root)
    assert [label.name for label in result.labels] == ["Traffic Light", "car"]
    assert splits_of(result) == [
        ("a.jpg", "train", "obj_train_data/a.jpg", 1),
        ("b.jpg", "valid", "obj_valid_data/b.jpg", 1),
    ]
    assert result.images[0].objects[0].label == "car"
    (root / "obj.data").write_text("classes = 3\ntrain = data/train.txt\nnames = obj.names\n")
    find_problem(read_error(root), file="obj.data", line=1, field="classes", message="(2)")
    (root / "obj.data").write_text("classes = 2\ntrain = ../../etc/passwd\n")
    find_problem(read_error(root), file="obj.data", line=2, field="train", message="inside")


def test_split_folders_without_a_data_yaml(tmp_path: Path) -> None:
    root = ultralytics_dataset(tmp_path / "ds")
    (root / "data.yaml").unlink()
    (root / "classes.txt").write_text("a\nb\n")
    assert [(i.file_name, i.split) for i in read_yolo(root).images] == [
        ("t1.jpg", "train"),
        ("t2.jpg", "train"),
        ("v1.jpg", "val"),
    ]


def test_labels_never_found_are_an_error(tmp_path: Path) -> None:
    root = ultralytics_dataset(tmp_path / "ds")
    shutil.rmtree(root / "labels/val")
    detail = find_problem(read_error(root), file="ds", message="found none")
    assert "labels/val/ for the 1 image of split 'val'" in detail["message"]
    shutil.rmtree(root / "labels")
    error = read_error(root)
    assert len(error.value.details) == 2  # one per split
    # a background image among labelled ones is fine, as in Ultralytics
    root = ultralytics_dataset(tmp_path / "ds2")
    (root / "labels/train/t2.txt").unlink()
    assert [len(i.objects) for i in read_yolo(root).images] == [1, 0, 1]


def test_data_yaml_paths_stay_in_the_dataset(tmp_path: Path) -> None:
    root = ultralytics_dataset(tmp_path / "ds")
    outside = tmp_path / "outside"
    write_image(outside / "images/x.jpg")
    for text, field, message in [
        ("path: ..\ntrain: images/train\nval: images/val\nnames: [a, b]\n", "path", "inside"),
        ("path: /\ntrain: images/train\nval: images/val\nnames: [a, b]\n", "path", "inside"),
        ("train: ../outside/images\nval: images/val\nnames: [a, b]\n", "train", "inside"),
        ("train: images/nothing\nval: images/val\nnames: [a, b]\n", "train", "a folder"),
        ("train: 3\nval: images/val\nnames: [a, b]\n", "train", "a folder, a .txt"),
    ]:
        (root / "data.yaml").write_text(text)
        find_problem(read_error(root), file="data.yaml", field=field, message=message)
    (root / "list.txt").write_text(f"{outside}/images/x.jpg\n../outside/images/x.jpg\nnope.jpg\n")
    (root / "data.yaml").write_text("train: list.txt\nval: images/val\nnames: [a, b]\n")
    error = read_error(root)
    find_problem(error, file="list.txt", line=1, message="inside the dataset's folder")
    find_problem(error, file="list.txt", line=2, message="inside the dataset's folder")
    find_problem(error, file="list.txt", line=3, message="an image file")
    # an absolute path written on another machine gives way to the file's own folder
    (root / "data.yaml").write_text(
        "path: /nowhere/datasets/ds\ntrain: images/train\nval: images/val\nnames: [a, b]\n"
    )
    assert len(read_yolo(root).images) == 3


# --------------------------------------------------------------------------------------
# Export with splits


def test_ultralytics_keys() -> None:
    from pixlake.formats._yaml import ultralytics_keys

    assert ultralytics_keys(["train", "val"]) == {"train": "images/train", "val": "images/val"}
    assert ultralytics_keys(["test", "train", "val"]) == {
        "train": "images/train",
        "val": "images/val",
        "test": "images/test",
    }
    # no val: Ultralytics needs one, train stands in
    assert ultralytics_keys(["train"]) == {"train": "images/train", "val": "images/train"}
    # other names go under the key they start with, else test; as lists, which keep names
    assert ultralytics_keys(["default", "train2017", "valid"]) == {
        "train": ["images/train2017"],
        "val": ["images/valid"],
        "test": ["images/default"],
    }
    assert ultralytics_keys(["holdout"]) == {
        "train": ["images/holdout"],
        "val": ["images/holdout"],
        "test": ["images/holdout"],
    }


@pytest.mark.parametrize(
    "splits",
    [["train", "val"], ["train"], ["train", None], ["holdout", "val2017"], ["valid", "test"]],
    ids=str,
)
def test_splits_go_to_their_folders_and_come_back(tmp_path: Path, splits: list[str | None]) -> None:
    images = [
        AnnotatedImage(
            file_name=f"{index}.png",
            width=20,
            height=10,
            objects=(Obj(label="a", kind="rectangle", box=Box(1, 1, 5, 5)),),
            split=split,
        )
        for index, split in enumerate(splits)
    ]
    labels = [LabelSpec("a", "rectangle")]
    out = tmp_path / "out"
    with (
        FolderSink(out) as sink,
        YoloExporter(sink, labels, splits=set(splits)) as exporter,
    ):
        for image in images:
            write_image(out / exporter.image_path(image.file_name, image.split), (20, 10))
            exporter.write(image)
    data = yaml.safe_load((out / "data.yaml").read_text())
    assert "path" not in data and {"train", "val"} <= data.keys()
    back = read_yolo(out)
    assert sorted((i.file_name, i.split or "") for i in back.images) == sorted(
        (i.file_name, i.split or "") for i in images
    )
    assert all(len(i.objects) == 1 for i in back.images)


def test_data_yaml_gives_the_path_it_is_told(tmp_path: Path) -> None:
    labels = [LabelSpec("a", "rectangle")]
    with FolderSink(tmp_path / "out") as sink, YoloExporter(sink, labels, path="/data/ds"):
        pass
    assert yaml.safe_load((tmp_path / "out/data.yaml").read_text())["path"] == "/data/ds"


def test_the_classification_layout(tmp_path: Path) -> None:
    root = tmp_path / "cls"
    for split, cls, name in (
        ("train", "cat", "a.jpg"),
        ("train", "Big Dog", "b.png"),
        ("val", "cat", "c.jpg"),
    ):
        write_image(root / split / cls / name, (30, 20))
    result = read_yolo(root)
    assert result.labels == [
        LabelSpec("Big Dog", "classification"),
        LabelSpec("cat", "classification"),
    ]
    assert [
        (i.file_name, i.split, i.path, [(o.label, o.kind) for o in i.objects])
        for i in result.images
    ] == [
        ("b.png", "train", "train/Big Dog/b.png", [("Big Dog", "classification")]),
        ("a.jpg", "train", "train/cat/a.jpg", [("cat", "classification")]),
        ("c.jpg", "val", "val/cat/c.jpg", [("cat", "classification")]),
    ]
    flat = tmp_path / "flat"  # ImageNet's folders: a class a folder, no split
    write_image(flat / "cat" / "a.jpg")
    write_image(flat / "dog" / "b.jpg")
    assert [(i.file_name, i.split, i.objects[0].label) for i in read_yolo(flat).images] == [
        ("a.jpg", None, "cat"),
        ("b.jpg", None, "dog"),
    ]


def test_images_reached_through_a_link_are_under_the_images_folder(tmp_path: Path) -> None:
    """The generator's (and many users') YOLO folder links its images/ to the images."""
    pictures = tmp_path / "pictures"
    write_image(pictures / "a.jpg")
    root = tmp_path / "yolo"
    write_label(root / "labels/a.txt")
    (root / "classes.txt").write_text("a\n")
    (root / "images").symlink_to(pictures, target_is_directory=True)
    assert [(i.file_name, i.path) for i in read_yolo(root, images=pictures).images] == [
        ("a.jpg", None)
    ]
