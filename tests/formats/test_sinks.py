"""Sinks: folders and zips that refuse paths escaping them and write each path once."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from pixlake.errors import InvalidInputError
from pixlake.formats import FolderSink, Sink, ZipSink

from .helpers import find_problem

ESCAPING = ["../x", "a/../../x", "/etc/passwd", "a//b", "./a", "a/./b", "", "a\\..\\x", "C:x"]


@pytest.fixture(params=["folder", "zip"])
def sink(request: pytest.FixtureRequest, tmp_path: Path) -> Sink:
    root = tmp_path / "out"
    result: Sink = FolderSink(root) if request.param == "folder" else ZipSink(tmp_path / "o.zip")
    request.addfinalizer(result.close)
    return result


@pytest.mark.parametrize("relpath", ESCAPING)
def test_sinks_refuse_paths_that_escape(sink: Sink, relpath: str, tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError) as error:
        sink.open(relpath)
    find_problem(error, field="relpath", file=relpath, message="expected")
    with pytest.raises(InvalidInputError):
        sink.write_bytes(relpath, b"data")
    assert not (tmp_path / "x").exists()


def test_sinks_write_each_path_once(sink: Sink) -> None:
    sink.write_bytes("labels/a.txt", b"1")
    with pytest.raises(InvalidInputError) as error:
        sink.write_bytes("labels/a.txt", b"2")
    find_problem(error, file="labels/a.txt", message="written once")


def test_folder_sink_writes_nested_files(tmp_path: Path) -> None:
    with FolderSink(tmp_path / "out") as sink:
        with sink.open("annotations/instances.json") as stream:
            stream.write(b"{}")
        sink.write_bytes("images/a.jpg", b"\xff\xd8")
    assert (tmp_path / "out/annotations/instances.json").read_bytes() == b"{}"
    assert (tmp_path / "out/images/a.jpg").read_bytes() == b"\xff\xd8"


def test_folder_sink_keeps_existing_files_unless_told(tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    (tmp_path / "out/classes.txt").write_text("old")
    with pytest.raises(InvalidInputError):
        FolderSink(tmp_path / "out").write_bytes("classes.txt", b"new")
    assert (tmp_path / "out/classes.txt").read_text() == "old"
    FolderSink(tmp_path / "out", overwrite=True).write_bytes("classes.txt", b"new")
    assert (tmp_path / "out/classes.txt").read_text() == "new"


def test_folder_sink_does_not_follow_links_out(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    root = tmp_path / "out"
    root.mkdir()
    (root / "images").symlink_to(outside, target_is_directory=True)
    (root / "link.txt").symlink_to(outside / "target.txt")
    sink = FolderSink(root, overwrite=True)
    with pytest.raises(InvalidInputError) as error:
        sink.write_bytes("images/a.jpg", b"data")
    find_problem(error, file="images/a.jpg", message="without symbolic links")
    with pytest.raises(InvalidInputError):
        sink.write_bytes("images/sub/a.jpg", b"data")
    with pytest.raises(InvalidInputError):
        sink.write_bytes("link.txt", b"data")
    assert list(outside.iterdir()) == []  # not even a folder was created there


def test_zip_sink_writes_a_valid_zip(tmp_path: Path) -> None:
    path = tmp_path / "export.zip"
    with ZipSink(path) as sink:
        sink.write_bytes("images/a.jpg", b"\xff\xd8" * 100)
        with sink.open("annotations/instances.json") as stream:
            stream.write(b'{"images": []}' * 100)
    with zipfile.ZipFile(path) as archive:
        assert archive.testzip() is None
        assert archive.read("annotations/instances.json") == b'{"images": []}' * 100
        assert archive.getinfo("images/a.jpg").compress_type == zipfile.ZIP_STORED
        info = archive.getinfo("annotations/instances.json")
        assert info.compress_type == zipfile.ZIP_DEFLATED


def test_zip_sink_removes_a_partial_zip(tmp_path: Path) -> None:
    path = tmp_path / "export.zip"
    with pytest.raises(RuntimeError), ZipSink(path) as sink:
        sink.write_bytes("a.txt", b"a")
        raise RuntimeError("export failed")
    assert not path.exists()


def test_zip_sink_refuses_an_existing_file_unless_told(tmp_path: Path) -> None:
    path = tmp_path / "export.zip"
    path.write_bytes(b"precious")
    with pytest.raises(FileExistsError):
        ZipSink(path)
    assert path.read_bytes() == b"precious"
    with ZipSink(path, overwrite=True) as sink:
        sink.write_bytes("a.txt", b"a")
    assert zipfile.is_zipfile(path)
