"""Uploading files to the datalake: hash while reading, send only what the server lacks.

For each chunk of files (at most ``BATCH_FILES`` files or ``BATCH_BYTES`` bytes), in a few
threads at once:

1. read each file once, computing its SHA-256, and check it is a complete image;
2. ask the server which digests the organization has not sent yet;
3. send those: small files together as one tar body, large ones streamed one by one;
4. register the pictures (name, digest) with their tags, in one call.

Every step is idempotent, so re-running an interrupted upload sends no byte twice and
creates no row twice.  Files that cannot be stored are collected with their reason; the
caller raises once, at the end, listing them all.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pixlake.errors import InvalidQueryError
from pixlake.imaging import NotAnImageError, probe
from pixlake.sdk._http import Connection
from pixlake.sdk._progress import Bar

__all__ = ["IMAGE_SUFFIXES", "Failure", "UploadReport", "collect_paths", "upload_files"]

IMAGE_SUFFIXES = frozenset(
    {".jpg", ".jpeg", ".png", ".bmp", ".gif", ".tif", ".tiff", ".webp", ".jfif"}
)
#: Files up to this size are read into memory once and sent in batches; larger ones stream.
SMALL_FILE = 8 * 1024 * 1024
BATCH_FILES = 256
BATCH_BYTES = 16 * 1024 * 1024
STREAM_CHUNK = 1024 * 1024
#: A batch's tar body is handed to the HTTP client in pieces of about this size.
SEND_PIECE = 256 * 1024


@dataclass(frozen=True, slots=True)
class Failure:
    file: str
    reason: str


@dataclass(slots=True)
class UploadReport:
    created: list[dict[str, Any]] = field(default_factory=list)
    existing: list[dict[str, Any]] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    bytes_sent: int = 0

    @property
    def pictures(self) -> list[dict[str, Any]]:
        return [*self.created, *self.existing]


@dataclass(slots=True)
class _LocalFile:
    path: Path
    digest: str
    size: int
    data: bytes | None  # None for large files, streamed from disk

    @property
    def name(self) -> str:
        return self.path.name


def collect_paths(
    filepath: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
) -> tuple[list[Path], list[Failure]]:
    """The files to upload: a file, a folder's image files (not recursive, in name order), or
    a list of either.  A missing path alone raises; in a list it is reported as a failure."""
    if isinstance(filepath, str | os.PathLike):
        path = Path(filepath)
        if not path.exists():
            raise InvalidQueryError(
                f"{path}: no such file or folder; expected an image or a folder"
            )
        return _expand(path), []
    if not isinstance(filepath, Sequence):
        raise TypeError(
            f"filepath must be a path or a list of paths, not {type(filepath).__name__}"
        )
    if not filepath:
        raise InvalidQueryError("nothing to upload: filepath is an empty list")
    paths: list[Path] = []
    failures: list[Failure] = []
    for item in filepath:
        if not isinstance(item, str | os.PathLike):
            raise TypeError(f"filepath items must be paths, not {type(item).__name__}")
        path = Path(item)
        if not path.exists():
            failures.append(Failure(str(path), "no such file"))
        else:
            paths.extend(_expand(path))
    return paths, failures


def _expand(path: Path) -> list[Path]:
    if path.is_dir():
        return sorted(
            (p for p in path.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES),
            key=lambda p: p.name,
        )
    return [path]


def _read(path: Path) -> _LocalFile | Failure:
    """Read and hash a file (small files are kept in memory for sending)."""
    try:
        with path.open("rb", buffering=0) as f:
            size = os.fstat(f.fileno()).st_size
            if size <= SMALL_FILE:
                data = f.readall()
                return _LocalFile(path, hashlib.sha256(data).hexdigest(), len(data), data)
            h = hashlib.sha256()
            while chunk := f.read(STREAM_CHUNK):
                h.update(chunk)
        return _LocalFile(path, h.hexdigest(), size, None)
    except OSError as exc:
        return Failure(str(path), f"cannot read the file ({exc.strerror or exc})")


def _image_problem(f: _LocalFile) -> str | None:
    """Why a file about to be sent is not a complete image (``None`` when it is)."""
    try:
        probe(f.data if f.data is not None else f.path.read_bytes())
    except NotAnImageError as exc:
        return str(exc)
    except OSError as exc:
        return f"cannot read the file ({exc.strerror or exc})"
    return None


def _chunks(paths: Sequence[Path]) -> Iterator[list[Path]]:
    chunk: list[Path] = []
    size = 0
    for path in paths:
        try:
            file_size = path.stat().st_size
        except OSError:
            file_size = 0
        if chunk and (len(chunk) >= BATCH_FILES or size + file_size > BATCH_BYTES):
            yield chunk
            chunk, size = [], 0
        chunk.append(path)
        size += file_size
    if chunk:
        yield chunk


#: tar's block and record sizes: members are padded to blocks, the archive to records.
_TAR_BLOCK = 512
_TAR_RECORD = 20 * _TAR_BLOCK
#: A GNU tar header after its checksum: regular file, no link, GNU magic, no owner names.
_TAR_HEADER_TAIL = (b"0" + bytes(100) + b"ustar  \x00" + bytes(64)).ljust(_TAR_BLOCK - 156, b"\x00")
#: Mode 0444, uid and gid 0, as tarfile writes them.
_TAR_MODE_OWNER = b"0000444\x000000000\x000000000\x00"
#: The checksum counts its own field as eight spaces.
_TAR_TAIL_SUM = sum(_TAR_HEADER_TAIL) + 8 * ord(" ")


def _tar_header(name: str, size: int) -> bytes:
    """The header ``tarfile`` writes (GNU format) for a read-only regular file with mtime 0."""
    head = b"".join(
        (
            name.encode("utf-8").ljust(100, b"\x00"),
            _TAR_MODE_OWNER,
            b"%011o\x00" % size,
            b"00000000000\x00",
        )
    )
    return b"".join((head, b"%06o\x00 " % (sum(head) + _TAR_TAIL_SUM), _TAR_HEADER_TAIL))


def _tar(files: Sequence[_LocalFile]) -> list[bytes]:
    """An uncompressed tar of the files, each named by its digest, in pieces of about
    ``SEND_PIECE`` bytes to send one after the other.

    The bytes are those ``tarfile`` writes, built directly (tarfile spends more time on the
    headers than on the data).  Pieces, not one buffer: the HTTP client copies what is left
    of a buffer after each partial socket write, which for a whole batch adds up to many
    copies of it.
    """
    pieces: list[bytes] = []
    parts: list[bytes] = []
    pending = length = 0
    for f in files:
        assert f.data is not None
        pad = -len(f.data) % _TAR_BLOCK
        parts += (_tar_header(f.digest, len(f.data)), f.data, bytes(pad))
        pending += _TAR_BLOCK + len(f.data) + pad
        if pending >= SEND_PIECE:
            pieces.append(b"".join(parts))
            length += pending
            parts, pending = [], 0
    length += pending + 2 * _TAR_BLOCK  # the end-of-archive blocks
    parts.append(bytes(2 * _TAR_BLOCK + -length % _TAR_RECORD))
    pieces.append(b"".join(parts))
    return pieces


class _Uploader:
    def __init__(
        self, conn: Connection, org_path: str, tags: Sequence[str], source: str, bar: Bar
    ) -> None:
        self.conn = conn
        self.org_path = org_path
        self.tags = list(tags)
        self.source = source
        self.bar = bar

    def chunk(self, paths: list[Path]) -> UploadReport:
        report = UploadReport()
        files: list[_LocalFile] = []
        for path in paths:
            read = _read(path)
            if isinstance(read, Failure):
                report.failures.append(read)
                self.bar.advance()
            else:
                files.append(read)
        if not files:
            return report
        missing = set(
            self.conn.post(
                f"{self.org_path}/blobs/missing",
                json={"digests": [f.digest for f in files]},
                idempotent=True,
            )["missing"]
        )
        # Only bytes about to travel are checked here: bytes the organization already holds
        # were checked when they arrived, and registration refuses them if not an image.
        to_send: dict[str, _LocalFile] = {}
        refused: dict[str, str] = {}
        for f in files:
            if f.digest in missing and f.digest not in to_send and f.digest not in refused:
                problem = _image_problem(f)
                if problem is None:
                    to_send[f.digest] = f
                else:
                    refused[f.digest] = problem
        for f in files:
            if f.digest in refused:
                report.failures.append(Failure(str(f.path), refused[f.digest]))
                self.bar.advance()
        files = [f for f in files if f.digest not in refused]
        small = [f for f in to_send.values() if f.data is not None]
        failed: dict[str, str] = {}
        if small:
            pieces = _tar(small)
            answer = self.conn.post(
                f"{self.org_path}/blobs",
                content=lambda: pieces,
                headers={
                    "Content-Type": "application/x-tar",
                    "Content-Length": str(sum(map(len, pieces))),
                },
                idempotent=True,
            )
            failed.update({r["digest"]: r["reason"] for r in answer["rejected"]})
            report.bytes_sent += sum(f.size for f in small)
        for f in to_send.values():
            if f.data is None:
                self.conn.request(
                    "PUT",
                    f"{self.org_path}/blobs/{f.digest}",
                    content=_file_chunks(f.path),
                    headers={"Content-Type": "application/octet-stream"},
                    timeout=600,
                )
                report.bytes_sent += f.size
        ok = [f for f in files if f.digest not in failed]
        for f in files:
            if f.digest in failed:
                report.failures.append(Failure(str(f.path), f"upload refused: {failed[f.digest]}"))
                self.bar.advance()
        if ok:
            by_name = {f.name: f for f in ok}
            answer = self.conn.post(
                f"{self.org_path}/pictures",
                json={
                    "pictures": [{"external_url": f.name, "sha256": f.digest} for f in ok],
                    "tags": self.tags,
                    "source": self.source,
                },
                idempotent=True,
            )
            report.created.extend(answer["created"])
            report.existing.extend(answer["existing"])
            for r in answer["rejected"]:
                local = by_name.get(r["external_url"])
                report.failures.append(
                    Failure(str(local.path) if local else r["external_url"], r["reason"])
                )
            self.bar.advance(len(ok))
        return report


def _file_chunks(path: Path) -> Any:
    def chunks() -> Iterator[bytes]:
        with path.open("rb") as f:
            while data := f.read(STREAM_CHUNK):
                yield data

    return chunks


def upload_files(
    conn: Connection,
    org_path: str,
    paths: Sequence[Path],
    *,
    tags: Sequence[str],
    source: str,
    workers: int = 4,
    progress: bool = True,
    description: str = "Uploading",
) -> UploadReport:
    """Upload ``paths`` as pictures; see the module docstring for the protocol."""
    total = UploadReport()
    with Bar(description, total=len(paths), enabled=progress) as bar:
        uploader = _Uploader(conn, org_path, tags, source, bar)
        with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
            for report in pool.map(uploader.chunk, _chunks(paths)):
                total.created.extend(report.created)
                total.existing.extend(report.existing)
                total.failures.extend(report.failures)
                total.bytes_sent += report.bytes_sent
    return total
