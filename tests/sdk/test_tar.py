"""The SDK's tar reader: what tarfile writes reads back whatever the pieces it arrives in,
and a truncated or damaged archive is an error, never a shorter archive."""

from __future__ import annotations

import io
import tarfile
from collections.abc import Iterator

import pytest

from pixlake.errors import StorageError
from pixlake.formats.sinks import TarSink
from pixlake.sdk._tar import PIECE, iter_tar

FILES = {
    "images/a.jpg": b"\xff\xd8" * 3000,
    "images/" + "n" * 180 + ".jpg": b"long name",
    "images/été.jpg": b"unicode",
    "labels/empty.txt": b"",
    "big.bin": bytes(range(256)) * (PIECE // 256 + 7),  # more than one piece
}


def _written(fmt: int) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=fmt, encoding="utf-8") as archive:
        for name, data in FILES.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return out.getvalue()


def _pieces(body: bytes, size: int) -> Iterator[bytes]:
    return (body[i : i + size] for i in range(0, len(body), size))


def _read(body: bytes, size: int) -> dict[str, bytes]:
    out: dict[str, bytes] = {}
    for member, pieces in iter_tar(_pieces(body, size)):
        assert member.type == "0"
        out[member.name] = b"".join(pieces)
        assert len(out[member.name]) == member.size
    return out


@pytest.mark.parametrize("fmt", [tarfile.PAX_FORMAT, tarfile.GNU_FORMAT, tarfile.USTAR_FORMAT])
@pytest.mark.parametrize("piece", [1, 513, 65536])
def test_archives_tarfile_writes_read_back(fmt: int, piece: int) -> None:
    if fmt == tarfile.USTAR_FORMAT:  # ustar holds no name over 255 bytes, nor non-ASCII ones
        files = {n: d for n, d in FILES.items() if len(n) < 100 and n.isascii()}
        out = io.BytesIO()
        with tarfile.open(fileobj=out, mode="w", format=fmt) as archive:
            for name, data in files.items():
                info = tarfile.TarInfo(name)
                info.size = len(data)
                archive.addfile(info, io.BytesIO(data))
        assert _read(out.getvalue(), piece) == files
    else:
        assert _read(_written(fmt), piece) == FILES


def test_what_an_export_writes_reads_back() -> None:
    out = io.BytesIO()
    with TarSink(out) as sink:
        for name, data in FILES.items():
            sink.write_bytes(name, data)
    assert _read(out.getvalue(), 4096) == FILES


def test_unread_data_is_skipped() -> None:
    names = [member.name for member, _pieces in iter_tar(_pieces(_written(tarfile.PAX_FORMAT), 7))]
    assert names == list(FILES)


def test_other_members_are_reported_as_such() -> None:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w") as archive:
        link = tarfile.TarInfo("images/link.jpg")
        link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
        archive.addfile(link)
    [(member, _pieces)] = list(iter_tar(iter([out.getvalue()])))
    assert (member.name, member.type) == ("images/link.jpg", "2")


def test_a_truncated_archive_is_an_error() -> None:
    body = _written(tarfile.PAX_FORMAT)
    cut = body.index(b"\xff\xd8") + 1000  # inside the first member's data
    with pytest.raises(StorageError, match="truncated"):
        _read(body[:cut], 4096)
    with pytest.raises(StorageError, match="truncated"):  # between members, before the end
        first = 512 + 6000 + (-6000 % 512)
        _read(body[:first], 4096)


def test_a_damaged_header_is_an_error() -> None:
    body = bytearray(_written(tarfile.PAX_FORMAT))
    body[10] ^= 0x01  # a byte of the first header's name
    with pytest.raises(StorageError, match="checksum"):
        _read(bytes(body), 4096)


def test_references_read_back_with_their_blob() -> None:
    digest = "ab" * 32
    out = io.BytesIO()
    with TarSink(out) as sink:
        sink.write_reference("images/a.jpg", digest, 1234)
        sink.write_reference("images/" + "é" * 80 + ".jpg", digest, 0)  # a pax path as well
        sink.write_bytes("labels/a.txt", b"0 0.5 0.5 0.1 0.1\n")
    members = [(m, b"".join(p)) for m, p in iter_tar(_pieces(out.getvalue(), 100))]
    assert [(m.name, m.size, m.reference, data) for m, data in members] == [
        ("images/a.jpg", 0, (digest, 1234), b""),
        ("images/" + "é" * 80 + ".jpg", 0, (digest, 0), b""),
        ("labels/a.txt", 18, None, b"0 0.5 0.5 0.1 0.1\n"),
    ]
    with tarfile.open(fileobj=io.BytesIO(out.getvalue())) as archive:  # a standard tar
        first = archive.getmembers()[0]
        assert first.pax_headers["PIXLAKE.sha256"] == digest
        assert first.pax_headers["PIXLAKE.size"] == "1234"


def test_a_damaged_reference_is_an_error() -> None:
    info = tarfile.TarInfo("images/a.jpg")
    info.pax_headers = {"PIXLAKE.sha256": "not a digest", "PIXLAKE.size": "12"}
    body = info.tobuf(format=tarfile.PAX_FORMAT) + bytes(1024)
    with pytest.raises(StorageError, match="damaged reference"):
        list(iter_tar(iter([body])))
