"""Reading a tar as it arrives, keeping nothing of the members already read.

``tarfile``'s stream mode keeps a ``TarInfo`` for every member it has read (``members``), so
unpacking an export of 100,000 pictures with it held hundreds of megabytes.  This reader
keeps only the bytes not handed over yet.  It reads what servers write for exports (and what
``tarfile`` writes in POSIX or GNU format for regular files): ustar or GNU headers, pax
extended headers for long or non-ASCII paths and large sizes; any other member (links,
folders, devices) is reported to the caller, which refuses it.  A member written by
``TarSink.write_reference`` carries the blob it stands for (``TarMember.reference``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from pixlake.errors import StorageError
from pixlake.formats.sinks import REFERENCE_SHA256, REFERENCE_SIZE

__all__ = ["TarMember", "iter_tar"]

BLOCK = 512
#: Data handed over at a time for a large member.
PIECE = 1024 * 1024
_REGULAR = frozenset({b"0", b"\x00"})
_CHECKSUM = slice(148, 156)


@dataclass(frozen=True, slots=True)
class TarMember:
    name: str
    size: int
    #: ``"0"`` for a regular file; anything else is some other kind of member.
    type: str
    #: For a reference to a blob (an empty member): its SHA-256 and size.
    reference: tuple[str, int] | None = None


class _Blocks:
    """The stream's bytes, read exactly as asked; truncation raises ``StorageError``."""

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
                raise StorageError("the archive ends in the middle of a member: it is truncated")
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
        raise StorageError(f"the archive has a damaged header (number {field!r})") from None


def _text(field: bytes) -> str:
    return field.split(b"\x00", 1)[0].decode("utf-8", "surrogateescape")


def _check(header: bytes) -> None:
    """The checksum counts its own field as eight spaces; old writers summed signed bytes."""
    stored = _number(header[_CHECKSUM])
    fields = header[:148] + header[156:]
    unsigned = sum(fields) + 8 * 0x20
    signed = unsigned - 256 * sum(1 for b in fields if b >= 0x80)
    if stored not in (unsigned, signed):
        raise StorageError("the archive has a damaged header (checksum mismatch)")


def _pax(records: bytes) -> dict[str, str]:
    """The ``key=value`` records of a pax extended header."""
    out: dict[str, str] = {}
    position = 0
    while position < len(records):
        space = records.find(b" ", position)
        if space < 0:
            break
        length = int(records[position:space])
        if length <= 0:
            raise StorageError("the archive has a damaged pax header")
        record = records[space + 1 : position + length - 1]  # drop the trailing newline
        key, _, value = record.partition(b"=")
        out[key.decode("utf-8", "surrogateescape")] = value.decode("utf-8", "surrogateescape")
        position += length
    return out


def _reference(records: dict[str, str]) -> tuple[str, int]:
    digest, size = records[REFERENCE_SHA256], records.get(REFERENCE_SIZE, "")
    if len(digest) != 64 or not size.isdigit():
        raise StorageError(f"the archive has a damaged reference ({digest!r}, {size!r})")
    return digest, int(size)


def _data(blocks: _Blocks, size: int) -> Iterator[bytes]:
    """A member's ``size`` bytes, in pieces of at most ``PIECE``."""
    while size:
        piece = blocks.read(min(PIECE, size), at_most=True)
        size -= len(piece)
        yield piece


def iter_tar(chunks: Iterator[bytes]) -> Iterator[tuple[TarMember, Iterator[bytes]]]:
    """Each member with an iterator of its data, in pieces of at most ``PIECE`` bytes.

    Consume (or drop) a member's data before asking for the next member.  The stream is read
    to its end once the end-of-archive block is seen.
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
