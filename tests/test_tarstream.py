"""The tar module against ``tarfile``, its reference.

The hand-made paths (decision 0010) must agree with ``tarfile`` byte for byte: the headers
and batches written are those ``tarfile`` writes, and the body reader either agrees with
``tarfile`` on every member or leaves the body to it.  The streaming reader reads back what
``tarfile`` writes whatever the pieces it arrives in, and a truncated or damaged archive is
an error, never a shorter archive.
"""

from __future__ import annotations

import hashlib
import io
import random
import tarfile
from collections.abc import Iterator

import pytest

from pixlake.formats.sinks import TarSink
from pixlake.tarstream import (
    END_OF_ARCHIVE,
    LIMIT,
    PIECE,
    RECORD,
    REFERENCE_SHA256,
    REFERENCE_SIZE,
    TarFormatError,
    TooManyMembers,
    archive_pieces,
    gnu_header,
    iter_tar,
    pax_header,
    pax_records,
    plain_members,
    read_body,
    ustar_header,
)

# --------------------------------------------------------------------------- writing


@pytest.mark.parametrize(
    ("name", "size", "mtime"),
    [
        ("images/a.jpg", 0, 0),
        ("x" * 100, 12345, 1_733_097_600),  # the longest name a ustar header holds
        ("labels/b c.txt", LIMIT - 1, 1_733_097_600),
        ("a/b", 7, LIMIT - 1),
        ("y" * 101, 3, 2),  # longer: a pax header, from tarfile
        ("images/été.jpg", 5, 1),  # not ASCII: likewise
        ("big.bin", LIMIT, 0),  # over ustar's size field
    ],
)
def test_pax_headers_are_those_tarfile_writes(name: str, size: int, mtime: int) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mode, info.mtime = size, 0o644, mtime
    expected = info.tobuf(format=tarfile.PAX_FORMAT, encoding="utf-8", errors="strict")
    assert pax_header(name, size, mode=0o644, mtime=mtime) == expected


@pytest.mark.parametrize(
    ("name", "size"),
    [("ab" * 32, 0), ("ab" * 32, 511), ("x" * 100, 1), ("y" * 101, 2), ("é", 3), ("a", LIMIT)],
)
def test_gnu_headers_are_those_tarfile_writes(name: str, size: int) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mode = size, 0o444
    expected = info.tobuf(format=tarfile.GNU_FORMAT, encoding="utf-8", errors="strict")
    assert gnu_header(name, size) == expected


@pytest.mark.parametrize(
    "records",
    [
        {REFERENCE_SHA256: "ab" * 32, REFERENCE_SIZE: "1234"},
        {"k": "v" * 94},  # a record of 99 bytes: its length has two digits...
        {"k": "v" * 95},  # ...and of 101: three, which makes it longer still
        {"k": "é" * 300},
    ],
)
def test_pax_records_are_those_tarfile_writes(records: dict[str, str]) -> None:
    info = tarfile.TarInfo("images/a.jpg")
    info.size, info.mode, info.mtime = 0, 0o644, 1_733_097_600
    info.pax_headers = records
    expected = info.tobuf(format=tarfile.PAX_FORMAT, encoding="utf-8", errors="strict")
    header = ustar_header(b"images/a.jpg", 0, mode=0o644, mtime=1_733_097_600)
    assert pax_records(records) + header == expected
    assert pax_header("images/a.jpg", 0, mode=0o644, mtime=1_733_097_600, records=records) == (
        expected
    )


def _tarfile_batch(members: list[tuple[str, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.GNU_FORMAT) as archive:
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = 0o444
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def _blob(data: bytes) -> tuple[str, bytes]:
    return hashlib.sha256(data).hexdigest(), data


def test_a_batch_is_what_tarfile_writes() -> None:
    rng = random.Random(0)
    for _ in range(100):
        sizes = [rng.choice([0, 1, 511, 512, 513, 10240, rng.randint(0, 300_000)])]
        sizes += [rng.randint(0, 70_000) for _ in range(rng.randint(0, 30))]
        members = [_blob(rng.randbytes(size)) for size in sizes]
        piece = rng.choice([1, 4096, 256 * 1024])
        pieces = archive_pieces(members, piece=piece)
        assert b"".join(pieces) == _tarfile_batch(members)
        assert all(len(p) >= piece for p in pieces[:-1])  # full pieces but the last


def test_an_empty_batch_is_an_empty_archive() -> None:
    assert archive_pieces([], piece=1) == [bytes(RECORD)] == [_tarfile_batch([])]
    assert END_OF_ARCHIVE == bytes(1024)


# --------------------------------------------------------------------------- a whole body


def _reference(body: bytes) -> list[tuple[str, bytes | None]] | str:
    """What ``tarfile`` reads: (name, data or None when not a regular file), or an error."""
    try:
        archive = tarfile.open(fileobj=io.BytesIO(body), mode="r:")
    except tarfile.TarError as exc:
        return f"open: {exc}"
    members: list[tuple[str, bytes | None]] = []
    try:
        with archive:
            for member in archive:
                extracted = archive.extractfile(member) if member.isreg() else None
                members.append((member.name, extracted.read() if extracted else None))
    except Exception as exc:  # what the server's reader would let through
        return f"read: {exc!r}"
    return members


def _random_archive(rng: random.Random) -> bytes:
    buffer = io.BytesIO()
    fmt = rng.choice([tarfile.GNU_FORMAT, tarfile.USTAR_FORMAT, tarfile.PAX_FORMAT])
    with tarfile.open(fileobj=buffer, mode="w", format=fmt) as archive:
        for _ in range(rng.randint(0, 5)):
            data = rng.randbytes(rng.choice([0, 1, 512, 513, rng.randint(0, 4000)]))
            name = rng.choice(
                [hashlib.sha256(data).hexdigest()] * 5 + ["a", "dir/x", "x" * 150, "é.jpg"]
            )
            info = tarfile.TarInfo(name)
            info.mode = rng.choice([0o444, 0o644])
            info.mtime = rng.choice([0, 1_700_000_000, 2**33 + 5])
            kind = rng.random()
            try:
                if kind < 0.1:
                    info.type = tarfile.DIRTYPE
                    archive.addfile(info)
                elif kind < 0.15:
                    info.type = tarfile.SYMTYPE
                    info.linkname = "target"
                    archive.addfile(info)
                else:
                    info.size = len(data)
                    archive.addfile(info, io.BytesIO(data))
            except ValueError:  # a field tarfile cannot write in this format
                pass
    body = bytearray(buffer.getvalue())
    damage = rng.random()
    if damage < 0.2 and body:
        del body[rng.randint(0, len(body)) :]
    elif damage < 0.4 and body:
        for _ in range(rng.randint(1, 3)):
            body[rng.randrange(len(body))] = rng.randrange(256)
    elif damage < 0.5:
        body = bytearray(body.rstrip(b"\x00") + bytes(rng.choice([0, 1, 100, 512])))
    elif damage < 0.55:
        body = bytearray(rng.randbytes(rng.randint(0, 2000)))
    return bytes(body)


@pytest.mark.parametrize("seed", range(4))
def test_the_plain_reader_agrees_with_tarfile_or_defers(seed: int) -> None:
    rng = random.Random(seed)
    taken = 0
    for _ in range(1500):
        body = _random_archive(rng)
        plain = plain_members(body)
        if plain is None:
            continue  # left to tarfile
        taken += 1
        assert _reference(body) == [(name, body[start:end]) for name, start, end in plain]
    assert taken > 50  # the fast path is exercised


@pytest.mark.parametrize("seed", range(2))
def test_a_body_reads_as_tarfile_reads_it(seed: int) -> None:
    rng = random.Random(100 + seed)
    for _ in range(1000):
        body = _random_archive(rng)
        expected = _reference(body)
        try:
            got: list[tuple[str, bytes | None]] | str = [
                (m.name, m.data) for m in read_body(body, max_members=100)
            ]
        except TarFormatError as exc:
            got = str(exc)
        if isinstance(expected, str):
            assert isinstance(got, str) and got.startswith("not ")
        elif isinstance(got, str):
            raise AssertionError(f"{got} for a body tarfile reads")
        else:  # a member tarfile cannot read whole is reported with no data
            assert [n for n, _ in got] == [n for n, _ in expected]
            assert all(g in (e, None) for (_, g), (_, e) in zip(got, expected, strict=True))


def test_a_body_tells_regular_files_from_others() -> None:
    link = tarfile.TarInfo("link")
    link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.GNU_FORMAT) as archive:
        archive.addfile(link)
        archive.addfile(tarfile.TarInfo("empty"), io.BytesIO(b""))
    body = buffer.getvalue()
    assert plain_members(body) is None  # a link: left to tarfile
    assert [(m.name, m.regular, m.data) for m in read_body(body, max_members=2)] == [
        ("link", False, None),
        ("empty", True, b""),
    ]


@pytest.mark.parametrize("plain", [True, False])
def test_a_body_with_too_many_members_is_refused_before_any_is_read(plain: bool) -> None:
    members = [_blob(bytes([i])) for i in range(5)]
    body = b"".join(archive_pieces(members, piece=1))
    if not plain:  # a long name: left to tarfile
        body = _tarfile_batch([("z" * 150, b"z"), *members])
    assert (plain_members(body) is not None) is plain
    assert len(list(read_body(body, max_members=len(members) + 1))) == len(members) + (not plain)
    with pytest.raises(TooManyMembers):
        read_body(body, max_members=4)


def test_a_body_that_is_no_tar_is_refused() -> None:
    with pytest.raises(TarFormatError, match="not an uncompressed tar archive"):
        read_body(b"", max_members=10)
    with pytest.raises(TarFormatError, match="not an uncompressed tar archive"):
        read_body(b"x" * 2000, max_members=10)


def test_the_plain_reader_takes_a_batch() -> None:
    members = [_blob(bytes([i]) * (1000 * i)) for i in range(1, 20)]
    body = b"".join(archive_pieces(members, piece=4096))
    plain = plain_members(body)
    assert plain is not None
    assert [(name, body[start:end]) for name, start, end in plain] == members


# --------------------------------------------------------------------------- a stream

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


def test_a_batch_reads_back() -> None:
    members = [_blob(bytes([i]) * (700 * i)) for i in range(12)]
    body = b"".join(archive_pieces(members, piece=4096))
    assert list(_read(body, 1000).items()) == members


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
    with pytest.raises(TarFormatError, match="truncated"):
        _read(body[:cut], 4096)
    with pytest.raises(TarFormatError, match="truncated"):  # between members, before the end
        first = 512 + 6000 + (-6000 % 512)
        _read(body[:first], 4096)


def test_a_damaged_header_is_an_error() -> None:
    body = bytearray(_written(tarfile.PAX_FORMAT))
    body[10] ^= 0x01  # a byte of the first header's name
    with pytest.raises(TarFormatError, match="checksum"):
        _read(bytes(body), 4096)


@pytest.mark.parametrize("records", [{"size": "12x"}, {"path": "a"}])
def test_a_damaged_pax_header_is_an_error(records: dict[str, str]) -> None:
    info = tarfile.TarInfo("images/a.jpg")
    info.pax_headers = records
    body = bytearray(info.tobuf(format=tarfile.PAX_FORMAT) + bytes(1024))
    if "path" in records:  # its record's length (data: no checksum covers it)
        body[512:513] = b"x"
    with pytest.raises(TarFormatError, match="damaged pax"):
        list(iter_tar(iter([bytes(body)])))


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
        assert first.pax_headers[REFERENCE_SHA256] == digest
        assert first.pax_headers[REFERENCE_SIZE] == "1234"


def test_a_damaged_reference_is_an_error() -> None:
    info = tarfile.TarInfo("images/a.jpg")
    info.pax_headers = {REFERENCE_SHA256: "not a digest", REFERENCE_SIZE: "12"}
    body = info.tobuf(format=tarfile.PAX_FORMAT) + bytes(1024)
    with pytest.raises(TarFormatError, match="damaged reference"):
        list(iter_tar(iter([body])))


def _tarfile_view(body: bytes) -> list[tuple[str, int, str, tuple[str, int] | None, bytes]]:
    """The reference: what ``tarfile``'s stream reader makes of the archive."""
    out = []
    with tarfile.open(fileobj=io.BytesIO(body), mode="r|") as archive:
        for info in archive:
            sha, size = info.pax_headers.get(REFERENCE_SHA256), info.pax_headers.get(REFERENCE_SIZE)
            reference = (sha, int(size)) if sha is not None and size is not None else None
            handle = archive.extractfile(info) if info.isreg() else None
            data = handle.read() if handle is not None else b""
            out.append((info.name, info.size, info.type.decode(), reference, data))
    return out


def _reference_archives() -> Iterator[bytes]:
    yield _written(tarfile.PAX_FORMAT)
    yield _written(tarfile.GNU_FORMAT)
    out = io.BytesIO()
    with TarSink(out) as sink:
        sink.write_reference("images/ref.jpg", "cd" * 32, 99)
        for name, data in FILES.items():
            sink.write_bytes(name, data)
    yield out.getvalue()
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as archive:
        archive.addfile(tarfile.TarInfo("a-folder"), None)
        link = tarfile.TarInfo("a-link")
        link.type, link.linkname = tarfile.SYMTYPE, "elsewhere"
        archive.addfile(link)
        info = tarfile.TarInfo("x.txt")
        info.size = 3
        archive.addfile(info, io.BytesIO(b"abc"))
    yield out.getvalue()


@pytest.mark.parametrize("body", list(_reference_archives()), ids=["pax", "gnu", "export", "other"])
def test_reads_what_tarfile_reads(body: bytes) -> None:
    """The fast path holds to the reference it replaced (decision 0025): member for member,
    the same names, sizes, kinds, references and bytes as tarfile's stream reader."""
    ours = [
        (m.name, m.size, "0" if m.type in ("0", "\x00") else m.type, m.reference, b"".join(p))
        for m, p in iter_tar(_pieces(body, 777))
    ]
    theirs = [
        (n, s, "0" if t in ("0", "\x00") else t, r, d) for n, s, t, r, d in _tarfile_view(body)
    ]
    assert ours == theirs
