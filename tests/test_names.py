"""The one file-name rule (``pixlake.names.file_name_problem``): a table of hard names, each
accepted or refused for a reason it names, and the same answer from the datalake, the
formats and the SDK."""

from __future__ import annotations

import json
import random
import unicodedata
from pathlib import Path
from typing import Any

import pytest

from pixlake.errors import InvalidInputError
from pixlake.formats import AnnotatedImage, export_formats, read_coco
from pixlake.names import (
    MAX_FILE_NAME,
    MAX_FILE_STEM,
    _file_name_problem,
    base_name_of,
    check_file_name,
    file_name_problem,
    folder_path_of,
)
from pixlake.sdk import Datalake
from tests.conftest import LiveServer, make_image

#: ``é`` as one code point (NFC) and as ``e`` with a combining accent (NFD).
NFC = unicodedata.normalize("NFC", "caf\u00e9.jpg")
NFD = unicodedata.normalize("NFD", NFC)

#: Each hard name, and ``None`` when it is a file name, else a piece of the reason it is not.
HARD_NAMES: list[tuple[str, str | None]] = [
    # plain names, and what looks odd but every system holds
    ("a.jpg", None),
    ("IMG 0001.JPG", None),
    ("a..b.jpg", None),
    ("été.png", None),
    ("写真.jpg", None),
    ("a;b,c=d+e[f]{g}#h%i&j@k!l'm~n.jpg", None),
    ("con1.jpg", None),  # not a device: CON alone, or COM with one digit
    ("lpt10.jpg", None),
    (NFC, None),
    (NFD, None),  # kept as given, and another name than NFC's
    ("x" * 251 + ".jpg", None),  # 255 bytes, stem 251
    ("é" * 125 + ".jpg", None),  # 125 characters, 254 bytes
    # empty and spaces
    ("", "non-empty"),
    (" ", "non-empty"),
    ("   ", "non-empty"),
    ("\u3000", "non-empty"),
    (" a.jpg", "spaces at either end"),
    ("a.jpg ", "spaces at either end"),
    # dots
    (".", "got '.'"),
    ("..", "got '..'"),
    ("a.", "end with a dot"),
    ("a.jpg.", "end with a dot"),
    (".hidden.jpg", "start with a dot"),
    # folders and absolute paths
    ("../a.jpg", "without '..'"),
    ("a/../b.jpg", "without '..'"),
    ("a/b.jpg", "without folders"),
    ("a\\b.jpg", "without folders"),
    ("/etc/passwd", "absolute"),
    ("\\\\server\\share.jpg", "absolute"),
    ("C:evil.jpg", "absolute"),
    ("C:\\images\\a.jpg", "absolute"),
    # what Windows refuses in a name
    ("a:b.jpg", "absolute"),  # drive A:, relative to its current folder
    ("12:30.jpg", "Windows refuses"),
    ("a.jpg:stream", "Windows refuses"),
    ("what?.jpg", "Windows refuses"),
    ("a*.jpg", "Windows refuses"),
    ('say "x".jpg', "Windows refuses"),
    ("a<b>.jpg", "Windows refuses"),
    ("a|b.jpg", "Windows refuses"),
    ("CON", "device name"),
    ("nul.jpg", "device name"),
    ("Com1.png", "device name"),
    ("lpt9.tar.gz", "device name"),
    ("COM\u00b9.jpg", "device name"),
    # control and bidirectional characters, broken text
    ("a\x00.jpg", "NUL"),
    ("a\n.jpg", "control characters"),
    ("a\t.jpg", "control characters"),
    ("a\x7f.jpg", "control characters"),
    ("a\x85.jpg", "control characters"),
    ("x\u202egnp.exe", "control characters"),
    ("caf\udce9.jpg", "lone surrogate"),  # JSON's "\udce9", or Latin-1 bytes on disk
    ("\ud800", "lone surrogate"),
    # lengths count bytes of UTF-8, not characters
    ("x" * 256, "at most 255 bytes"),
    ("é" * 196 + ".jpg", "at most 255 bytes"),  # 200 characters, 396 bytes
    ("é" * 126 + ".jpg", "at most 255 bytes"),  # 130 characters, 256 bytes
    ("x" * 252 + ".j", "stem"),  # 254 bytes: <stem>.xml would be 256
    ("x" * 255, "stem"),
]


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        pytest.param(name, reason, id=f"{ascii(name)[:30]}-{'ok' if reason is None else 'refused'}")
        for name, reason in HARD_NAMES
    ],
)
def test_hard_names(name: str, reason: str | None) -> None:
    problem = file_name_problem(name)
    if reason is None:
        assert problem is None, problem
        assert check_file_name(name) == name
        assert AnnotatedImage(file_name=name, width=1, height=1).file_name == name
    else:
        assert problem is not None and reason in problem, problem
        with pytest.raises(InvalidInputError, match="expected"):
            check_file_name(name)
        with pytest.raises(ValueError, match="expected"):
            AnnotatedImage(file_name=name, width=1, height=1)


def test_lengths_are_bytes_of_utf8() -> None:
    assert (MAX_FILE_NAME, MAX_FILE_STEM) == (255, 251)
    assert file_name_problem("é" * 125 + ".jpg") is None  # 129 characters, 254 bytes
    assert "got 256" in (file_name_problem("é" * 126 + ".jpg") or "")


def test_normalization_is_kept_as_given() -> None:
    assert NFC != NFD and len(NFD) == len(NFC) + 1
    assert file_name_problem(NFC) is None and file_name_problem(NFD) is None


def test_a_non_string_is_no_name() -> None:
    assert file_name_problem(None) == "expected a file name (a string), got NoneType"
    assert file_name_problem(b"a.jpg") == "expected a file name (a string), got bytes"


@pytest.mark.parametrize(
    ("path", "name", "folders"),
    [
        ("a.jpg", "a.jpg", None),
        ("train/a.jpg", "a.jpg", "train/a.jpg"),
        ("train\\2017\\a.jpg", "a.jpg", "train/2017/a.jpg"),
        ("./a.jpg", "a.jpg", None),
    ],
)
def test_paths_of_formats_give_their_base_name(path: str, name: str, folders: str | None) -> None:
    assert base_name_of(path) == (name, None)
    assert folder_path_of(path) == folders


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("../a.jpg", "'..'"),
        ("x/../../a.jpg", "'..'"),
        ("/a.jpg", "absolute"),
        ("C:a.jpg", "absolute"),
        ("a\x00/b.jpg", "NUL"),
        ("train/nul.jpg", "device name"),
        ("train/ a.jpg", "spaces"),
        (7, "a string"),
    ],
)
def test_paths_of_formats_follow_the_rule(path: object, reason: str) -> None:
    name, problem = base_name_of(path)
    assert name is None and problem is not None and reason in problem


def test_a_format_refuses_what_the_rule_refuses(tmp_path: Path) -> None:
    """The readers ask the same rule: a COCO file naming a picture the lake would refuse is
    refused, with the rule's reason at the field."""
    images = [
        {"id": i, "file_name": name, "width": 4, "height": 4}
        for i, name in enumerate(["ok.jpg", "12:30.jpg", "nul.png", "x.jpg "], start=1)
    ]
    path = tmp_path / "instances.json"
    path.write_text(json.dumps({"images": images, "categories": [], "annotations": []}))
    with pytest.raises(InvalidInputError) as error:
        read_coco(path)
    fields = {detail["field"]: detail["message"] for detail in error.value.details}
    assert set(fields) == {f"images[{i}].file_name" for i in (1, 2, 3)}
    assert "Windows refuses" in fields["images[1].file_name"]
    assert "device name" in fields["images[2].file_name"]
    assert "spaces at either end" in fields["images[3].file_name"]


def test_the_one_match_for_plain_names_agrees_with_the_checks() -> None:
    """``file_name_problem`` accepts a plain name in one match (the common case, asked of
    every picture of every read and export); the checks one by one give the same answer for
    the table and for random names of characters near every boundary."""
    rng = random.Random(20)
    alphabet = [chr(code) for code in range(128)] + ["é", "\u00b9", "\u202e", "\udc80"]
    tricky = "abcCONULPTMX.1 _-:"
    names = [name for name, _reason in HARD_NAMES]
    for _ in range(20_000):
        size = rng.choice([1, 2, 3, 4, 5, 8, 12, 250, 251, 252, 256])
        pool = alphabet if rng.random() < 0.3 else tricky
        names.append("".join(rng.choice(pool) for _ in range(size)))
    for name in names:
        assert (file_name_problem(name) is None) == (_file_name_problem(name) is None), name


#: Names the lake accepts that trip tools up elsewhere: spaces, accents in both forms,
#: other scripts, punctuation Windows allows, a name of 255 bytes.
PORTABLE = [
    "IMG 0001.JPG",
    "été.png",
    "写真.jpg",
    NFC,
    NFD,
    "a..b.jpg",
    "a;b,c=d+e[f]{g}#h%i&j@k!l'm~n.jpg",
    "con1.jpg",
    "x" * 251 + ".jpg",
]


def test_a_name_the_lake_accepts_exports_and_imports_again_in_every_format(
    server: LiveServer, alice: str, tmp_path: Path
) -> None:
    images = tmp_path / "images"
    images.mkdir()
    document: dict[str, Any] = {"images": [], "annotations": [], "categories": []}
    document["categories"].append({"id": 1, "name": "thing"})
    for index, name in enumerate(PORTABLE, start=1):
        kind = "PNG" if name.endswith(".png") else "JPEG"
        (images / name).write_bytes(make_image(index, fmt=kind))
        document["images"].append({"id": index, "file_name": name, "width": 64, "height": 48})
        document["annotations"].append(
            {"id": index, "image_id": index, "category_id": 1, "bbox": [4, 4, 20, 10]}
        )
    (tmp_path / "instances.json").write_text(json.dumps(document))
    lake = Datalake(api_token=alice, host=server.url, interactive=False)
    lake.upload(
        name="names", imgdir=images, ann_path=tmp_path / "instances.json", ann_format="COCO"
    )
    dataset = lake.dataset.fetch("names")
    assert sorted(p["external_url"] for p in dataset.list_pictures()) == sorted(PORTABLE)
    #: where each export keeps its images and its annotations, to import it again
    layout = {"COCO": (".", "."), "PASCAL-VOC": ("JPEGImages", "Annotations"), "YOLO": (".", ".")}
    exported = [d.name for d in export_formats()]
    assert set(exported) == set(layout)
    for fmt in exported:
        out = dataset.export(fmt, tmp_path / fmt)
        imgdir, annotations = layout[fmt]
        record = lake.upload(
            name=f"names-{fmt}",
            imgdir=out / imgdir,
            ann_path=out / annotations,
            ann_format=fmt,
        )
        assert (record["size"], record["nb_objects"]) == (len(PORTABLE), len(PORTABLE)), fmt
        again = lake.dataset.fetch(f"names-{fmt}")
        assert sorted(p["external_url"] for p in again.list_pictures()) == sorted(PORTABLE), fmt
