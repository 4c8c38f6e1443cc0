"""Sinks: folders, zips and tars that refuse paths escaping them and write each path once;
zips and tars also into a stream that cannot seek (a response being sent)."""

from __future__ import annotations

import io
import os
import tarfile
import zipfile
from pathlib import Path

import pytest

from pixlake.errors import InvalidInputError
from pixlake.formats import FolderSink, Sink, ZipSink
from pixlake.formats.sinks import SPOOL_BYTES, TarSink

from .helpers import find_problem

ESCAPING = ["../x", "a/../../x", "/etc/passwd", "a//b", "./a", "a/./b", "", "a\\..\\x", "C:x"]


class Unseekable:
    """A write-only stream with no ``seek``, like a response being sent."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []
        self.position = 0

    def write(self, data: bytes) -> int:
        self.parts.append(bytes(data))
        self.position += len(data)
        return len(data)

    def tell(self) -> int:
        return self.position

    def flush(self) -> None:
        pass

    def getvalue(self) -> bytes:
        return b"".join(self.parts)


@pytest.fixture(params=["folder", "zip", "tar"])
def sink(request: pytest.FixtureRequest, tmp_path: Path) -> Sink:
    root = tmp_path / "out"
    result: Sink
    if request.param == "folder":
        result = FolderSink(root)
    elif request.param == "zip":
        result = ZipSink(tmp_path / "o.zip")
    else:
        result = TarSink(io.BytesIO())
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
        FolderSink(root).write_bytes("link.txt", b"data")
    sink.write_bytes("link.txt", b"data")  # overwriting replaces the link, inside the folder
    assert not (root / "link.txt").is_symlink() and (root / "link.txt").read_bytes() == b"data"
    assert list(outside.iterdir()) == []  # not even a folder was created there


def test_overwriting_never_writes_into_a_second_name_of_the_file(tmp_path: Path) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_bytes(b"keep me")
    root = tmp_path / "out"
    root.mkdir()
    os.link(outside, root / "classes.txt")  # a hard link: one file, two names

    FolderSink(root, overwrite=True).write_bytes("classes.txt", b"car\n")

    assert outside.read_bytes() == b"keep me"
    assert (root / "classes.txt").read_bytes() == b"car\n"


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


def test_sinks_refuse_a_source_shorter_than_announced(sink: Sink) -> None:
    with pytest.raises(OSError, match="images/a.jpg"):
        sink.write_file("images/a.jpg", io.BytesIO(b"12345"), 10)
    with pytest.raises(OSError, match="images/b.jpg"):
        sink.write_file("images/b.jpg", io.BytesIO(b"1" * 10), 3 * 1024 * 1024)


def test_zip_sink_writes_into_a_stream_that_cannot_seek() -> None:
    out = Unseekable()
    with ZipSink(out) as sink:  # type: ignore[arg-type]
        sink.write_file("images/a.jpg", io.BytesIO(b"\xff\xd8" * 1000), 2000)
        with sink.open("annotations/instances.json") as stream:
            stream.write(b'{"images": []}')
            stream.write(b" " * 100)
    with zipfile.ZipFile(io.BytesIO(out.getvalue())) as archive:
        assert archive.testzip() is None
        assert archive.namelist() == ["images/a.jpg", "annotations/instances.json"]
        assert archive.read("images/a.jpg") == b"\xff\xd8" * 1000
        assert archive.read("annotations/instances.json") == b'{"images": []}' + b" " * 100
        assert archive.getinfo("images/a.jpg").compress_type == zipfile.ZIP_STORED


def test_tar_sink_writes_a_tar_that_tarfile_reads() -> None:
    out = Unseekable()
    long_name = "images/" + "n" * 150 + ".jpg"  # past ustar's 100 bytes: a pax header
    files = {
        "images/a.jpg": b"\xff\xd8" * 300,
        long_name: b"long",
        "images/été 2024.jpg": b"unicode",
        "labels/empty.txt": b"",
        "classes.txt": b"car\nbus\n",
    }
    with TarSink(out) as sink:  # type: ignore[arg-type]
        for name, data in files.items():
            if name == "classes.txt":
                with sink.open(name) as stream:  # written in pieces, sized at close
                    stream.write(data[:4])
                    stream.write(data[4:])
            else:
                sink.write_file(name, io.BytesIO(data), len(data))
        with pytest.raises(InvalidInputError):
            sink.write_bytes("images/a.jpg", b"again")
    body = out.getvalue()
    assert len(body) % tarfile.RECORDSIZE == 0
    with tarfile.open(fileobj=io.BytesIO(body), mode="r:") as archive:
        members = archive.getmembers()
        assert [m.name for m in members] == list(files)
        assert all(m.isreg() and m.mode == 0o644 for m in members)
        for member in members:
            extracted = archive.extractfile(member)
            assert extracted is not None and extracted.read() == files[member.name]


def test_tar_sink_spools_a_large_member_to_disk() -> None:
    out = io.BytesIO()
    data = bytes(range(256)) * (SPOOL_BYTES // 256 + 1)  # just past what stays in memory
    with TarSink(out) as sink:
        with sink.open("annotations/instances.json") as stream:
            stream.write(data)
    with tarfile.open(fileobj=io.BytesIO(out.getvalue()), mode="r:") as archive:
        extracted = archive.extractfile("annotations/instances.json")
        assert extracted is not None and extracted.read() == data


def test_folder_sink_says_when_a_file_is_in_the_way(tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "images").write_text("not a folder")
    with pytest.raises(InvalidInputError) as error:
        FolderSink(tmp_path / "out").write_bytes("images/a.jpg", b"data")
    find_problem(error, file="images/a.jpg", message="expected images to be a folder")
