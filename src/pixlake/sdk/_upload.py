"""Uploading files to the datalake: hash while reading, send only what the server lacks.

The calling thread reads the files a chunk at a time (64 files, then twice as many each time,
up to ``BATCH_FILES``), computing each file's SHA-256, and hands each chunk to one of a few
threads, which:

1. register the chunk's pictures (name, digest) with their tags, asking the server to report
   the pictures whose bytes the organization has not sent (or that are gone from storage)
   rather than refuse them;
2. if some were reported, check those files are complete images and send their bytes: small
   files together as tar bodies of at most ``TAR_BYTES`` (or, on the server's machine,
   written into its store for it to verify: ``pixlake.sdk._samehost``), large ones streamed
   one by one;
3. register those pictures again.

A chunk already in the datalake (a re-upload) is therefore one request; a new one is its
bytes between two registrations, as many requests as when the SDK asked ``blobs/missing``
first.  Every step is idempotent, so re-running an interrupted upload sends no byte twice and
creates no row twice.  Files that cannot be stored are collected with their reason; the
caller raises once, at the end, listing them all.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pixlake.errors import InvalidQueryError, PicselliaError
from pixlake.imaging import IMAGE_SUFFIXES, NotAnImageError, probe
from pixlake.sdk._http import Connection
from pixlake.sdk._local import cannot_read
from pixlake.sdk._progress import Bar
from pixlake.sdk._samehost import LocalStore
from pixlake.tarstream import archive_pieces

__all__ = [
    "IMAGE_SUFFIXES",
    "Failure",
    "UploadReport",
    "collect_paths",
    "is_image_name",
    "upload_files",
]

#: Files up to this size are read into memory once and sent in batches; larger ones stream.
SMALL_FILE = 8 * 1024 * 1024
#: Files per registration.  Fewer means more requests (each costs the server about a
#: millisecond besides its pictures); more means a longer wait for the first and last ones.
BATCH_FILES = 512
#: Files in the first chunk (later ones double, up to BATCH_FILES).
FIRST_BATCH_FILES = 64
#: Most bytes of a chunk kept in memory from hashing to sending (the rest is read again).
BATCH_BYTES = 16 * 1024 * 1024
#: Most bytes in one tar body.  The server holds a body whole while it stores the members:
#: bodies twice this size cost it more CPU for the same files (fresh memory for each).
TAR_BYTES = 8 * 1024 * 1024
#: Most tar bodies in flight.  The server stores a body's members one after the other; more
#: bodies at once only make its threads contend (for the interpreter lock, and in the file
#: system): with four, a new upload of 10,000 images took 10% longer and 15% more of its CPU.
TARS_IN_FLIGHT = 2
STREAM_CHUNK = 1024 * 1024
#: A batch's tar body is handed to the HTTP client in pieces of about this size.
SEND_PIECE = 256 * 1024


@dataclass(frozen=True, slots=True)
class Failure:
    file: str
    reason: str


@dataclass(slots=True)
class UploadReport:
    """What an upload did.  ``created`` and ``existing`` hold the pictures' records unless
    the upload was asked for ids only (``records=False``); ``ids`` are always there."""

    created: list[dict[str, Any]] = field(default_factory=list)
    existing: list[dict[str, Any]] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    bytes_sent: int = 0
    ids: list[str] = field(default_factory=list)
    #: The file name of each of ``ids``.
    names: list[str] = field(default_factory=list)
    nb_created: int = 0

    @property
    def pictures(self) -> list[dict[str, Any]]:
        return [*self.created, *self.existing]


@dataclass(slots=True)
class _LocalFile:
    path: str
    digest: str
    size: int
    #: The bytes, when kept from hashing to be sent (None: read again if they are asked for).
    data: bytes | None

    @property
    def name(self) -> str:
        return os.path.basename(self.path)


def collect_paths(
    filepath: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
) -> tuple[list[str], list[Failure]]:
    """The files to upload: a file, a folder's image files (not recursive, in name order), or
    a list of either.  A missing path alone raises; in a list it is reported as a failure."""
    failures: list[Failure] = []
    if isinstance(filepath, str | os.PathLike):
        path = Path(filepath)
        if not path.exists():
            raise InvalidQueryError(
                f"{path}: no such file or folder; expected an image or a folder"
            )
        return _named_in_utf8(_expand(path), failures), failures
    if not isinstance(filepath, Sequence):
        raise TypeError(
            f"filepath must be a path or a list of paths, not {type(filepath).__name__}"
        )
    if not filepath:
        raise InvalidQueryError("nothing to upload: filepath is an empty list")
    paths: list[str] = []
    for item in filepath:
        if not isinstance(item, str | os.PathLike):
            raise TypeError(f"filepath items must be paths, not {type(item).__name__}")
        path = Path(item)
        if not path.exists():
            failures.append(Failure(str(path), "no such file"))
        else:
            paths.extend(_expand(path))
    return _named_in_utf8(paths, failures), failures


def _named_in_utf8(paths: list[str], failures: list[Failure]) -> list[str]:
    """The paths whose file name can travel (as UTF-8); the others are added to
    ``failures``.  A name written on disk in another encoding reads back with undecodable
    bytes, which no picture name can hold."""
    kept: list[str] = []
    for path in paths:
        try:
            os.path.basename(path).encode("utf-8")
        except UnicodeEncodeError:
            shown = path.encode("utf-8", "backslashreplace").decode("utf-8")
            failures.append(
                Failure(shown, "the file name is not valid UTF-8 (another encoding?); rename it")
            )
            continue
        kept.append(path)
    return kept


def _expand(path: Path) -> list[str]:
    """A folder's image files, or the file itself.  Paths are kept as strings: a folder may
    hold many thousands of files, and building a ``Path`` for each costs more than listing
    the folder."""
    if path.is_dir():
        # The listing tells which entries are files: no ``stat`` per file.
        try:
            with os.scandir(path) as entries:
                names = sorted(e.name for e in entries if is_image_name(e.name) and e.is_file())
        except OSError as exc:
            raise cannot_read(path, exc) from exc
        folder = os.path.join(path, "")
        return [folder + name for name in names]
    return [str(path)]


def is_image_name(name: str) -> bool:
    """Whether the name's suffix (as ``Path.suffix`` reads it) is an image's."""
    dot = name.rfind(".")
    return 0 < dot < len(name) - 1 and name[dot:].lower() in IMAGE_SUFFIXES


#: ``os.open`` flags for reading a file's bytes as they are, on every platform.
_READ_FLAGS = os.O_RDONLY | getattr(os, "O_BINARY", 0)


def _read(path: str, keep: int) -> _LocalFile | Failure:
    """Read and hash a file.  Its bytes are kept for sending when they fit in ``keep`` bytes
    and the file is small; otherwise they are read again if the server asks for them.

    Plain system calls, not a file object (which asks for the size and position again): on a
    re-upload, reading and hashing is nearly all the SDK does, and every system call gives up
    the interpreter lock, to be waited for again while the sending threads hold it.
    """
    try:
        fd = os.open(path, _READ_FLAGS)
        try:
            size = os.fstat(fd).st_size
            if size <= SMALL_FILE:
                data = _read_to_end(fd, size)
                digest = hashlib.sha256(data).hexdigest()
                return _LocalFile(path, digest, len(data), data if len(data) <= keep else None)
            h = hashlib.sha256()
            while chunk := os.read(fd, STREAM_CHUNK):
                h.update(chunk)
        finally:
            os.close(fd)
        return _LocalFile(path, h.hexdigest(), size, None)
    except OSError as exc:
        return Failure(path, f"cannot read the file ({exc.strerror or exc})")


def _read_to_end(fd: int, size: int) -> bytes:
    """The bytes of an open file expected to hold ``size`` (it may have changed since)."""
    parts: list[bytes] = []
    while chunk := os.read(fd, STREAM_CHUNK if parts else size + 1):
        parts.append(chunk)
    return parts[0] if len(parts) == 1 else b"".join(parts)


def _bytes_to_send(f: _LocalFile) -> bytes | str:
    """A small file's bytes, checked to be a complete image, or why they cannot be sent."""
    try:
        data = f.data if f.data is not None else Path(f.path).read_bytes()
        probe(data)
    except NotAnImageError as exc:
        return str(exc)
    except OSError as exc:
        return f"cannot read the file ({exc.strerror or exc})"
    return data


def _image_problem(path: str) -> str | None:
    """Why a large file about to be sent is not a complete image (``None`` when it is)."""
    try:
        probe(Path(path).read_bytes())
    except NotAnImageError as exc:
        return str(exc)
    except OSError as exc:
        return f"cannot read the file ({exc.strerror or exc})"
    return None


def _tar(files: Sequence[_LocalFile]) -> list[bytes]:
    """An uncompressed tar of the files, each named by its digest, in pieces of about
    ``SEND_PIECE`` bytes to send one after the other (``pixlake.tarstream``: the bytes
    ``tarfile`` writes, built directly)."""
    members: list[tuple[str, bytes]] = []
    for f in files:
        assert f.data is not None
        members.append((f.digest, f.data))
    return archive_pieces(members, piece=SEND_PIECE)


class _Uploader:
    def __init__(
        self,
        conn: Connection,
        org_path: str,
        tags: Sequence[str],
        source: str,
        bar: Bar,
        *,
        records: bool = True,
    ) -> None:
        self.conn = conn
        self.records = records
        self.org_path = org_path
        self.tags = list(tags)
        self.source = source
        self.bar = bar
        #: Whether to keep a chunk's bytes from hashing to sending: whether the last chunk
        #: registered needed bytes sent.  On a re-upload nothing is kept (the few files
        #: that turn out to be needed are read again): holding each chunk's bytes until its
        #: answer costs fresh memory for every file, more than the rest of the SDK's work.
        self.keep_bytes = True
        self.sending = threading.Semaphore(TARS_IN_FLIGHT)

    def read(self, paths: Sequence[str]) -> tuple[list[_LocalFile], UploadReport]:
        """Read and hash a chunk of files: those read, and a report of those that could not be."""
        report = UploadReport()
        files: list[_LocalFile] = []
        keep = BATCH_BYTES if self.keep_bytes else 0
        for path in paths:
            read = _read(path, keep)
            if isinstance(read, Failure):
                report.failures.append(read)
                self.bar.advance()
            else:
                files.append(read)
                keep -= len(read.data or b"")
        return files, report

    def store(self, files: list[_LocalFile], report: UploadReport) -> UploadReport:
        """Register a chunk's files; send the bytes the server reports missing, and register
        those files again."""
        if files:
            missing = self._register(files, report, report_missing=True)
            self.keep_bytes = bool(missing)
            if missing:
                self._register(self._send(missing, report), report, report_missing=False)
        return report

    def _register(
        self, files: list[_LocalFile], report: UploadReport, *, report_missing: bool
    ) -> list[_LocalFile]:
        """Register the files as pictures; returns those whose bytes the server asks for
        (only with ``report_missing``; without it they are refused)."""
        if not files:
            return []
        body = {
            "pictures": [{"external_url": f.name, "sha256": f.digest} for f in files],
            "tags": self.tags,
            "source": self.source,
            "report_missing": report_missing,
        }
        answer = self.conn.post(f"{self.org_path}/pictures", json=body, idempotent=True)
        for kind in ("created", "existing"):
            report.ids.extend(r["picture_id"] for r in answer[kind])
            report.names.extend(r["external_url"] for r in answer[kind])
        report.nb_created += len(answer["created"])
        if self.records:
            report.created.extend(answer["created"])
            report.existing.extend(answer["existing"])
        if answer["rejected"]:
            by_name = {f.name: f for f in files}
            for r in answer["rejected"]:
                local = by_name.get(r["external_url"])
                report.failures.append(
                    Failure(local.path if local else r["external_url"], r["reason"])
                )
        missing: list[_LocalFile] = []
        if answer["missing"]:
            wanted = {(m["external_url"], m["sha256"]) for m in answer["missing"]}
            missing = [f for f in files if (f.name, f.digest) in wanted]
        self.bar.advance(len(files) - len(missing))
        return missing

    def _send(self, files: list[_LocalFile], report: UploadReport) -> list[_LocalFile]:
        """Send the files' bytes (each digest once); returns the files the server stored.

        Only bytes about to travel are checked to be images here: bytes the organization
        already holds were checked when they arrived, and registration refuses non-images.
        """
        unique = list({f.digest: f for f in files}.values())
        failed: dict[str, str] = {}
        batch: list[_LocalFile] = []
        size = 0
        for f in unique:
            if f.size > SMALL_FILE:
                continue
            data = _bytes_to_send(f)
            if isinstance(data, str):
                failed[f.digest] = data
                continue
            if batch and size + len(data) > TAR_BYTES:
                failed.update(self._send_batch(batch, report))
                batch, size = [], 0
            batch.append(_LocalFile(f.path, f.digest, len(data), data))
            size += len(data)
        if batch:
            failed.update(self._send_batch(batch, report))
        for f in unique:
            if f.size > SMALL_FILE:
                problem = _image_problem(f.path)
                if problem is None:
                    self._send_large(f, report)
                else:
                    failed[f.digest] = problem
        for f in files:
            if f.digest in failed:
                report.failures.append(Failure(f.path, failed[f.digest]))
                self.bar.advance()
        return [f for f in files if f.digest not in failed]

    def _send_batch(self, files: list[_LocalFile], report: UploadReport) -> dict[str, str]:
        """Send small files: into the server's store when it is on this machine and takes
        them (``pixlake.sdk._samehost``), the others as one tar; returns why the server
        refused some, by digest."""
        local = self.conn.local_store()
        if local is not None and local.uploads:
            files = self._place(local, files, report)
        return self._send_tar(files, report) if files else {}

    def _place(
        self, local: LocalStore, files: list[_LocalFile], report: UploadReport
    ) -> list[_LocalFile]:
        """Write the files' bytes into the server's store and have it adopt them; returns the
        files still to send: those that could not be written or that the server refused
        (sent over HTTP, whose answer then says why, if they are refused again)."""
        placed: list[tuple[_LocalFile, str]] = []
        rest: list[_LocalFile] = []
        for f in files:
            name = local.place(f.digest, f.data) if f.data is not None else None
            if name is None:
                rest.append(f)
            else:
                placed.append((f, name))
        if not placed:
            return rest
        body = {"files": [{"name": name, "sha256": f.digest} for f, name in placed]}
        try:
            with self.sending:
                answer = self.conn.post(f"{self.org_path}/blobs/adopt", json=body)
        except PicselliaError:  # turned off meanwhile, an older server, a dropped connection
            for f, name in placed:
                local.discard(f.digest, name)
            return rest + [f for f, _ in placed]
        refused = {r["digest"] for r in answer["rejected"]}
        report.bytes_sent += sum(f.size for f, _ in placed if f.digest not in refused)
        return rest + [f for f, _ in placed if f.digest in refused]

    def _send_tar(self, files: list[_LocalFile], report: UploadReport) -> dict[str, str]:
        """Send small files as one tar; returns why the server refused some, by digest."""
        pieces = _tar(files)
        with self.sending:
            answer = self.conn.post(
                f"{self.org_path}/blobs",
                content=lambda: pieces,
                headers={
                    "Content-Type": "application/x-tar",
                    "Content-Length": str(sum(map(len, pieces))),
                },
                idempotent=True,
            )
        report.bytes_sent += sum(f.size for f in files)
        return {r["digest"]: f"upload refused: {r['reason']}" for r in answer["rejected"]}

    def _send_large(self, f: _LocalFile, report: UploadReport) -> None:
        self.conn.request(
            "PUT",
            f"{self.org_path}/blobs/{f.digest}",
            content=_file_chunks(f.path),
            headers={"Content-Type": "application/octet-stream"},
            timeout=600,
        )
        report.bytes_sent += f.size


def _file_chunks(path: str) -> Any:
    def chunks() -> Iterator[bytes]:
        with open(path, "rb") as f:
            while data := f.read(STREAM_CHUNK):
                yield data

    return chunks


def _chunk_bounds(count: int) -> Iterator[tuple[int, int]]:
    """Chunks of ``FIRST_BATCH_FILES`` files, doubling up to ``BATCH_FILES``: the server gets
    work as soon as a few files are hashed, and the last answer, which nothing overlaps,
    comes sooner for small uploads; large ones still go in large chunks."""
    start, size = 0, min(FIRST_BATCH_FILES, BATCH_FILES)
    while start < count:
        end = min(count, start + size)
        yield start, end
        start, size = end, min(BATCH_FILES, 2 * size)


def upload_files(
    conn: Connection,
    org_path: str,
    paths: Sequence[str | os.PathLike[str]],
    *,
    tags: Sequence[str],
    source: str,
    workers: int = 4,
    progress: bool = True,
    description: str = "Uploading",
    records: bool = True,
) -> UploadReport:
    """Upload ``paths`` as pictures; see the module docstring for the protocol.

    ``records=False`` keeps the pictures' ids only (an import of 100k images needs no 100k
    records in memory).

    This thread reads and hashes the chunks, in order, while ``workers`` threads register
    and send them: hashing never waits for the server, and the server gets a first chunk as
    soon as one is hashed.  At most one chunk more than ``workers`` is read ahead of the
    server.
    """
    total = UploadReport()
    workers = max(1, workers)
    files = [os.fspath(p) for p in paths]
    with Bar(description, total=len(paths), enabled=progress) as bar:
        uploader = _Uploader(conn, org_path, tags, source, bar, records=records)
        ahead = threading.Semaphore(workers + 1)
        futures: list[Future[UploadReport]] = []
        with ThreadPoolExecutor(max_workers=workers) as pool:
            for start, end in _chunk_bounds(len(files)):
                ahead.acquire()
                if any(f.done() and f.exception() for f in futures):
                    break  # the error is raised below; reading more would be wasted
                future = pool.submit(uploader.store, *uploader.read(files[start:end]))
                future.add_done_callback(lambda _: ahead.release())
                futures.append(future)
            for future in futures:
                report = future.result()
                total.created.extend(report.created)
                total.existing.extend(report.existing)
                total.ids.extend(report.ids)
                total.names.extend(report.names)
                total.nb_created += report.nb_created
                total.failures.extend(report.failures)
                total.bytes_sent += report.bytes_sent
    return total
