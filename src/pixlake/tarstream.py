"""Tar, written and read: pixlake's one tar module (decisions 0010 and 0023).

Tar travels three ways, and this module holds both ends of each:

- **Blob batches.** The SDK uploads small blobs as one uncompressed tar, members named by
  digest (GNU headers, mode 0444, mtime 0: ``archive_pieces``); the server reads such a body
  whole (``read_body``).  ``POST blobs/read`` answers the same kind of tar, which the SDK
  reads back (``iter_tar``).
- **Exports.** The server streams a POSIX (pax) tar of the export's files (``pax_header``,
  ``pax_records``, ``reference_records``); the SDK unpacks it as it arrives (``iter_tar``).
- **References.** An export member may stand for a blob rather than hold its bytes: an empty
  member whose pax header carries ``REFERENCE_SHA256`` and ``REFERENCE_SIZE``.

Fast paths, held to ``tarfile`` (the reference) byte for byte by the tests: headers of
regular files with short ASCII names are built directly (``ustar_header``, a tenth of
``tarfile``'s time); anything else is written by ``tarfile``.  A body of plain members is
parsed directly (``plain_members``); anything else is left to ``tarfile``, unchanged.  The
streaming reader (``iter_tar``) keeps nothing of the members already read, where
``tarfile``'s stream mode keeps a ``TarInfo`` for each.

Standard library only: the SDK imports this module without loading server code.  Malformed
archives raise ``TarFormatError``; callers turn it into the error their side speaks.
"""

from __future__ import annotations

import io
import tarfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Final

__all__ = [
    "BLOCK",
    "END_OF_ARCHIVE",
    "LIMIT",
    "PIECE",
    "RECORD",
    "REFERENCE_SHA256",
    "REFERENCE_SIZE",
    "BodyMember",
    "TarFormatError",
    "TarMember",
    "TooManyMembers",
    "archive_pieces",
    "end_of_archive",
    "gnu_header",
    "iter_tar",
    "padding",
    "pax_header",
    "pax_records",
    "plain_members",
    "read_body",
    "reference_records",
    "ustar_header",
]

#: A header is one block, and a member's data is padded to whole blocks.
BLOCK: Final = 512
#: An archive is padded to whole records (as ``tarfile`` and GNU tar write it).
RECORD: Final = 20 * BLOCK
#: Two zero blocks end an archive.
END_OF_ARCHIVE: Final = bytes(2 * BLOCK)
#: Sizes and times a header holds (11 octal digits); names hold at most 100 bytes.
LIMIT: Final = 8**11
#: Data handed over at a time by ``iter_tar`` for a large member.
PIECE: Final = 1024 * 1024

#: The pax records of a reference member: the blob's digest, and its size in bytes.
REFERENCE_SHA256: Final = "PIXLAKE.sha256"
REFERENCE_SIZE: Final = "PIXLAKE.size"


class TarFormatError(ValueError):
    """An archive that is not a tar, or not a whole one (the message says what is wrong)."""


class TooManyMembers(TarFormatError):
    """A body with more members than the reader was allowed to take."""


# --------------------------------------------------------------------------- writing

_OWNERS: Final = b"0000000\x00" * 2  # uid and gid 0


def _tail(kind: bytes, magic: bytes) -> bytes:
    """The header after the checksum: the type, no link name, the magic and version, nothing
    more (no owner names, devices or prefix)."""
    return (kind + bytes(100) + magic).ljust(512 - 156, b"\x00")


_POSIX_TAIL: Final = _tail(b"0", b"ustar\x0000")
_GNU_TAIL: Final = _tail(b"0", b"ustar  \x00")
_PAX_TAIL: Final = _tail(b"x", b"ustar\x0000")


def _header(name: bytes, size: int, mode: int, mtime: int, tail: bytes) -> bytes:
    head = b"".join(
        (name.ljust(100, b"\x00"), b"%07o\x00" % mode, _OWNERS, b"%011o\x00" % size)
        + (b"%011o\x00" % mtime,)
    )
    checksum = sum(head) + 8 * ord(" ") + sum(tail)  # the checksum field counts as spaces
    return b"".join((head, b"%06o\x00 " % checksum, tail))


def ustar_header(name: bytes, size: int, *, mode: int, mtime: int, gnu: bool = False) -> bytes:
    """The header of a regular file ``name`` (at most 100 bytes) of ``size`` bytes, owned by
    uid and gid 0 with no owner names; ``size`` and ``mtime`` below ``LIMIT``.  POSIX magic,
    or GNU's with ``gnu``.  The fast path of ``pax_header`` and ``gnu_header``."""
    return _header(name, size, mode, mtime, _GNU_TAIL if gnu else _POSIX_TAIL)


def _fits(name: bytes, size: int, mtime: int) -> bool:
    return len(name) <= 100 and name.isascii() and size < LIMIT and mtime < LIMIT


def _record(key: str, value: str) -> bytes:
    """One pax record, ``"<length> <key>=<value>\\n"``, its length counting itself."""
    body = f" {key}={value}\n".encode()
    length = len(body) + 1
    while len(str(length)) + len(body) != length:
        length += 1
    return str(length).encode() + body


def pax_records(records: dict[str, str]) -> bytes:
    """A pax extended header (type ``x``) carrying ``records`` for the member after it, and
    its data padded to whole blocks, as ``tarfile`` writes one (named ``././@PaxHeader``,
    mode and time 0)."""
    data = b"".join(_record(k, v) for k, v in records.items())
    header = _header(b"././@PaxHeader", len(data), 0, 0, _PAX_TAIL)
    return header + data + bytes(-len(data) % BLOCK)


def reference_records(digest: str, size: int) -> dict[str, str]:
    """The pax records of a member that stands for the blob ``digest`` of ``size`` bytes."""
    return {REFERENCE_SHA256: digest, REFERENCE_SIZE: str(size)}


def pax_header(
    relpath: str, size: int, *, mode: int, mtime: int, records: dict[str, str] | None = None
) -> bytes:
    """The header ``tarfile`` writes in PAX format for a regular file owned by 0, after a pax
    header holding ``records`` when there are some: built directly when the name is ASCII
    and fits ustar's 100 bytes, else by ``tarfile`` (a pax header carries the name)."""
    name = relpath.encode("utf-8")
    if not _fits(name, size, mtime):
        info = tarfile.TarInfo(relpath)
        info.size, info.mode, info.mtime = size, mode, mtime
        if records:
            info.pax_headers = records
        return info.tobuf(format=tarfile.PAX_FORMAT, encoding="utf-8", errors="strict")
    header = ustar_header(name, size, mode=mode, mtime=mtime)
    return pax_records(records) + header if records else header


def gnu_header(name: str, size: int, *, mode: int = 0o444, mtime: int = 0) -> bytes:
    """The header ``tarfile`` writes in GNU format for a regular file owned by 0: built
    directly when the name is ASCII and fits 100 bytes (a digest does), else by ``tarfile``
    (a long name, a size past 8 GiB)."""
    encoded = name.encode("utf-8")
    if not _fits(encoded, size, mtime):
        info = tarfile.TarInfo(name)
        info.size, info.mode, info.mtime = size, mode, mtime
        return info.tobuf(format=tarfile.GNU_FORMAT, encoding="utf-8", errors="strict")
    return ustar_header(encoded, size, mode=mode, mtime=mtime, gnu=True)


def padding(size: int) -> bytes:
    """The zero bytes after a member's ``size`` bytes of data, up to a whole block."""
    return bytes(-size % BLOCK)


def end_of_archive(length: int) -> bytes:
    """What ends an archive of ``length`` bytes so far: the two zero blocks, then zeros up to
    a whole record."""
    end = 2 * BLOCK
    return bytes(end + -(length + end) % RECORD)


def archive_pieces(members: Sequence[tuple[str, bytes]], *, piece: int) -> list[bytes]:
    """A whole tar of ``(name, data)`` members (GNU headers, mode 0444, mtime 0: the bytes
    ``tarfile`` writes), in pieces of about ``piece`` bytes to send one after the other.

    Pieces, not one buffer: an HTTP client copies what is left of a buffer after each
    partial socket write, which for a whole batch adds up to many copies of it.
    """
    pieces: list[bytes] = []
    parts: list[bytes] = []
    pending = length = 0
    for name, data in members:
        pad = -len(data) % BLOCK
        parts += (gnu_header(name, len(data)), data, bytes(pad))
        pending += BLOCK + len(data) + pad
        if pending >= piece:
            pieces.append(b"".join(parts))
            length += pending
            parts, pending = [], 0
    parts.append(end_of_archive(length + pending))
    pieces.append(b"".join(parts))
    return pieces


# --------------------------------------------------------------------------- a whole body

#: The numeric header fields (mode, uid, gid, size, mtime, devmajor, devminor), as slices.
_NUMBERS: Final = (
    (100, 108),
    (108, 116),
    (116, 124),
    (124, 136),
    (136, 148),
    (329, 337),
    (337, 345),
)
_PLAIN_TYPES: Final = (b"0", b"\x00")


def _plain_number(field: bytes) -> int | None:
    """An octal header field, or ``None`` unless it is plain octal digits (the rare forms
    tarfile also reads, base-256 and the like, are left to tarfile)."""
    if field[:1] in (b"\x80", b"\xff"):
        return None
    end = field.find(0)
    digits = (field if end == -1 else field[:end]).strip()
    if not digits:
        return 0
    if digits.strip(b"01234567"):
        return None
    return int(digits, 8)


def plain_members(body: bytes) -> list[tuple[str, int, int]] | None:
    """The members of a plain tar as ``(name, data start, data end)``: read as ``tarfile``
    reads them, at a fraction of its cost, for the archives clients send (regular files,
    short names, octal fields, unsigned checksums).  ``None`` for anything else (other member
    types, long names, pax headers, truncation...), which is then left to ``tarfile``."""
    members: list[tuple[str, int, int]] = []
    offset = 0
    total = len(body)
    while offset < total:
        header = body[offset : offset + BLOCK]
        if len(header) < BLOCK:
            return None
        if header.count(0) == BLOCK:
            break  # the end-of-archive block
        checksum = _plain_number(header[148:156])
        if checksum is None or checksum != 256 + sum(header) - sum(header[148:156]):
            return None
        kind = header[156:157]
        if kind not in _PLAIN_TYPES or header[345:346] != b"\x00":  # no ustar prefix
            return None
        numbers = [_plain_number(header[a:b]) for a, b in _NUMBERS]
        size = numbers[3]
        if size is None or None in numbers:
            return None
        end = header.find(0, 0, 100)
        name = header[: 100 if end == -1 else end].decode(tarfile.ENCODING, "surrogateescape")
        if kind == b"\x00" and name.endswith("/"):
            return None  # a V7 directory
        start = offset + BLOCK
        offset = start + -(-size // BLOCK) * BLOCK
        if offset > total:
            return None
        members.append((name, start, start + size))
    return members or None


@dataclass(frozen=True, slots=True)
class BodyMember:
    """A member of a tar read whole (``read_body``)."""

    name: str
    #: Whether it is a regular file (anything else has no data).
    regular: bool
    #: Its bytes; ``None`` unless it is a regular file whose bytes are all there.
    data: bytes | None


def read_body(body: bytes, *, max_members: int) -> Iterator[BodyMember]:
    """The members of the uncompressed tar ``body``, in order, each member's bytes copied
    out only when it is reached (one member's copy at a time).

    Every member is counted before this returns: more than ``max_members`` raise
    ``TooManyMembers``, a body that is no tar or no whole one ``TarFormatError``.  Plain
    bodies (``plain_members``) are read directly; any other is read by ``tarfile``.
    """
    plain = plain_members(body)
    if plain is not None:
        if len(plain) > max_members:
            raise TooManyMembers(f"more than {max_members} members")
        return (BodyMember(name, True, body[start:end]) for name, start, end in plain)
    try:
        archive = tarfile.open(fileobj=io.BytesIO(body), mode="r:")
    except tarfile.TarError as exc:
        raise TarFormatError(f"not an uncompressed tar archive ({exc})") from None
    members: list[tarfile.TarInfo] = []
    try:
        for member in archive:
            members.append(member)
            if len(members) > max_members:
                raise TooManyMembers(f"more than {max_members} members")
    except tarfile.TarError as exc:
        raise TarFormatError(f"not a whole tar archive ({exc})") from None
    return _extracted(archive, members)


def _extracted(archive: tarfile.TarFile, members: list[tarfile.TarInfo]) -> Iterator[BodyMember]:
    with archive:
        for member in members:
            if not member.isreg():
                yield BodyMember(member.name, False, None)
                continue
            extracted = archive.extractfile(member)
            assert extracted is not None  # regular files always extract
            try:
                data: bytes | None = extracted.read()
            except tarfile.TarError:
                data = None  # truncated
            yield BodyMember(member.name, True, data)


# --------------------------------------------------------------------------- a stream

_REGULAR: Final = frozenset({b"0", b"\x00"})
_CHECKSUM: Final = slice(148, 156)


@dataclass(frozen=True, slots=True)
class TarMember:
    """A member read by ``iter_tar``."""

    name: str
    size: int
    #: ``"0"`` for a regular file; anything else is some other kind of member.
    type: str
    #: For a reference to a blob (an empty member): its SHA-256 and size.
    reference: tuple[str, int] | None = None


class _Blocks:
    """The stream's bytes, read exactly as asked; truncation raises ``TarFormatError``."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._buffer = b""
        self._position = 0

    def read(self, count: int, *, at_most: bool = False) -> bytes:
        """``count`` bytes (or, with ``at_most``, what is buffered up to ``count``, reading
        more only when nothing is)."""
        while len(self._buffer) - self._position < (1 if at_most else count):
            chunk = next(self._chunks, None)
            if chunk is None:
                raise TarFormatError("the archive ends in the middle of a member: it is truncated")
            rest = self._buffer[self._position :]
            self._buffer, self._position = (rest + chunk if rest else chunk), 0
        end = min(self._position + count, len(self._buffer))
        data = self._buffer[self._position : end]
        self._position = end
        return data

    def drain(self) -> None:
        self._buffer, self._position = b"", 0
        for _chunk in self._chunks:
            pass


def _number(field: bytes) -> int:
    if field[:1] in (b"\x80", b"\xff"):  # base-256 (GNU), for sizes past 8 GiB
        value = int.from_bytes(field[1:], "big")
        return -value if field[:1] == b"\xff" else value
    digits = field.split(b"\x00", 1)[0].strip()
    try:
        return int(digits, 8) if digits else 0
    except ValueError:
        raise TarFormatError(f"the archive has a damaged header (number {field!r})") from None


def _text(field: bytes) -> str:
    return field.split(b"\x00", 1)[0].decode("utf-8", "surrogateescape")


def _check(header: bytes) -> None:
    """The checksum counts its own field as eight spaces; old writers summed signed bytes."""
    stored = _number(header[_CHECKSUM])
    fields = header[:148] + header[156:]
    unsigned = sum(fields) + 8 * 0x20
    signed = unsigned - 256 * sum(1 for b in fields if b >= 0x80)
    if stored not in (unsigned, signed):
        raise TarFormatError("the archive has a damaged header (checksum mismatch)")


def _pax(records: bytes) -> dict[str, str]:
    """The ``key=value`` records of a pax extended header."""
    out: dict[str, str] = {}
    position = 0
    while position < len(records):
        space = records.find(b" ", position)
        if space < 0:
            break
        try:
            length = int(records[position:space])
        except ValueError:
            length = 0
        if length <= 0:
            raise TarFormatError("the archive has a damaged pax header")
        record = records[space + 1 : position + length - 1]  # drop the trailing newline
        key, _, value = record.partition(b"=")
        out[key.decode("utf-8", "surrogateescape")] = value.decode("utf-8", "surrogateescape")
        position += length
    return out


def _reference(records: dict[str, str]) -> tuple[str, int]:
    digest, size = records[REFERENCE_SHA256], records.get(REFERENCE_SIZE, "")
    if len(digest) != 64 or not size.isdigit():
        raise TarFormatError(f"the archive has a damaged reference ({digest!r}, {size!r})")
    return digest, int(size)


def _data(blocks: _Blocks, size: int) -> Iterator[bytes]:
    """A member's ``size`` bytes, in pieces of at most ``PIECE``."""
    while size:
        piece = blocks.read(min(PIECE, size), at_most=True)
        size -= len(piece)
        yield piece


def iter_tar(chunks: Iterator[bytes]) -> Iterator[tuple[TarMember, Iterator[bytes]]]:
    """Each member of the tar arriving as ``chunks``, with an iterator of its data, in
    pieces of at most ``PIECE`` bytes; nothing of the members already read is kept.

    It reads what ``tarfile`` writes in POSIX or GNU format for regular files: ustar or GNU
    headers, pax extended headers (long or non-ASCII paths, large sizes, references) and GNU
    long names; any other member (links, folders, devices) is reported by its ``type``, for
    the caller to refuse.  Consume (or drop) a member's data before asking for the next
    member.  The stream is read to its end once the end-of-archive block is seen.
    """
    blocks = _Blocks(chunks)
    pending: dict[str, str] = {}
    while True:
        header = blocks.read(BLOCK)
        if not header.strip(b"\x00"):  # the end-of-archive block
            blocks.drain()
            return
        _check(header)
        kind = header[156:157]
        size = _number(header[124:136])
        name = _text(header[0:100])
        if header[257:262] == b"ustar" and header[263:265] == b"00" and header[345:346] != b"\x00":
            name = f"{_text(header[345:500])}/{name}"  # POSIX ustar's prefix field
        padded = size + -size % BLOCK
        if kind in (b"x", b"g", b"L"):  # pax (one member, global) or GNU long name
            data = blocks.read(padded)[:size]
            if kind == b"x":
                pending.update(_pax(data))
            elif kind == b"L":
                pending["path"] = data.split(b"\x00", 1)[0].decode("utf-8", "surrogateescape")
            continue
        if "path" in pending:
            name = pending["path"]
        if "size" in pending:
            if not pending["size"].isdigit():
                raise TarFormatError(f"the archive has a damaged pax size ({pending['size']!r})")
            size = int(pending["size"])
            padded = size + -size % BLOCK
        reference = _reference(pending) if REFERENCE_SHA256 in pending else None
        pending = {}
        kind_name = "0" if kind in _REGULAR else kind.decode("latin-1")
        member = TarMember(name, size, kind_name, reference)
        pieces = _data(blocks, size)
        yield member, pieces
        for _piece in pieces:  # what the caller did not read
            pass
        if padded > size:
            blocks.read(padded - size)
