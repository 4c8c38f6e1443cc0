"""Large files over HTTP, both ways, resumable, in bounded memory.

Up (``upload_file``): the file is hashed whole and in parts (8 MiB, or larger so that there
are at most 4096 parts) in one read.  Each part goes up as soon as it is hashed, while the
next ones are, unless ``blobs/missing`` says the organization holds it already (a few at a
time, streamed: ``PUT blobs/{digest}``, each verified by the server).  Then
``blobs/compose`` concatenates them into the final blob, verified by its digest before it
becomes visible (at once when the organization holds it already).  An interrupted upload
therefore resumes by running it again: only the parts still missing travel.  A file no
larger than one part is a single streamed ``PUT``, after a ``blobs/missing`` for it.

Down (``download``): bytes are streamed into ``<dest>.part`` in 1 MiB chunks, opened as
``pixlake.files`` says (never through a link); when that file exists, the download resumes
from its size with an HTTP ``Range`` request.  The SHA-256 is checked before
``<dest>.part`` is renamed to ``dest``; a destination that already holds the right bytes is
not downloaded again.  On the server's machine, the blob is copied from the store's file
instead, once the server has answered for its first byte (``pixlake.sdk._samehost``).

``zipped`` zips a file or a folder to a temporary file (never next to the input), members
stored uncompressed.
"""

from __future__ import annotations

import hashlib
import os
import queue
import tempfile
import threading
import zipfile
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import httpx

from pixlake.errors import InvalidInputError, NetworkError, StorageError
from pixlake.files import is_plain_file, open_partial, partial_of, publish
from pixlake.names import check_file_name
from pixlake.sdk._http import Connection
from pixlake.sdk._local import cannot_read, cannot_write
from pixlake.sdk._progress import Bar
from pixlake.tarstream import TarFormatError, iter_tar

__all__ = [
    "CHUNK",
    "PART_SIZE",
    "download",
    "file_digest",
    "part_size_for",
    "stored_name",
    "upload_file",
    "zipped",
]

MiB = 1024 * 1024
#: Size of the parts a large file is sent in (larger for files over 32 GiB: see MAX_PARTS).
PART_SIZE = 8 * MiB
#: Most parts per file (the server's compose limit is higher).
MAX_PARTS = 4096
#: Read, write and network chunk: the most memory one transfer holds at a time.
CHUNK = MiB
#: Parts sent at once.
WORKERS = 4


@dataclass(frozen=True, slots=True)
class _Part:
    offset: int
    size: int
    digest: str


def part_size_for(size: int, minimum: int = PART_SIZE) -> int:
    """The part size for a file of ``size`` bytes: ``minimum``, or more (whole MiB) so that
    the file has at most ``MAX_PARTS`` parts."""
    per_part = -(-size // MAX_PARTS)
    per_part = -(-per_part // MiB) * MiB
    return max(minimum, per_part)


def file_digest(path: Path) -> str:
    """SHA-256 of a file, read in chunks."""
    h = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(CHUNK):
            h.update(chunk)
    return h.hexdigest()


def _hashed_parts(path: Path, part_size: int, whole: Any) -> Iterator[_Part]:
    """The file's parts, each yielded as soon as it is hashed; ``whole`` is updated with every
    byte on the way, so it holds the file's digest once the last part is out.  The two hashes
    of each chunk run in two threads at once (hashlib releases the GIL)."""
    offset = 0
    with path.open("rb") as f, ThreadPoolExecutor(max_workers=1) as helper:
        while True:
            part = hashlib.sha256()
            size = 0
            while size < part_size:
                chunk = f.read(min(CHUNK, part_size - size))
                if not chunk:
                    break
                pending = helper.submit(part.update, chunk)
                whole.update(chunk)
                pending.result()
                size += len(chunk)
            if size == 0:
                return
            yield _Part(offset, size, part.hexdigest())
            offset += size


def _region(path: Path, offset: int, size: int, bar: Bar) -> Callable[[], Iterator[bytes]]:
    """A body that streams ``size`` bytes of ``path`` from ``offset`` (again on each call,
    so a retried request sends it whole)."""

    def chunks() -> Iterator[bytes]:
        with path.open("rb") as f:
            f.seek(offset)
            remaining = size
            while remaining > 0:
                data = f.read(min(CHUNK, remaining))
                if not data:
                    return
                remaining -= len(data)
                bar.advance(len(data))
                yield data

    return chunks


def _put(
    conn: Connection, org_path: str, path: Path, digest: str, offset: int, size: int, bar: Bar
) -> None:
    try:
        conn.request(
            "PUT",
            f"{org_path}/blobs/{digest}",
            content=_region(path, offset, size, bar),
            headers={"Content-Type": "application/octet-stream", "Content-Length": str(size)},
            timeout=600,
        )
    except InvalidInputError as exc:
        if "hash to" not in exc.message:
            raise
        raise InvalidInputError(
            f"{path}: the file changed while it was being sent; store it again",
            details=[{"file": str(path), "message": "the file changed during the upload"}],
        ) from None


def upload_file(
    conn: Connection,
    org_path: str,
    path: Path,
    *,
    progress: bool,
    part_size: int = PART_SIZE,
    workers: int = WORKERS,
) -> tuple[str, int]:
    """Make sure the organization holds the bytes of ``path``; returns ``(sha256, size)``.

    See the module docstring for the protocol.  Memory stays bounded by ``workers`` chunks.
    A file that cannot be read raises ``InvalidInputError`` naming it.
    """
    try:
        return _upload_file(conn, org_path, path, progress, part_size, workers)
    except OSError as exc:  # every file operation here reads ``path``
        raise cannot_read(path, exc) from exc


def _upload_file(
    conn: Connection, org_path: str, path: Path, progress: bool, part_size: int, workers: int
) -> tuple[str, int]:
    size = path.stat().st_size
    part_size = part_size_for(size, part_size)
    if size <= part_size:
        digest = file_digest(path)
        missing = conn.post(
            f"{org_path}/blobs/missing", json={"digests": [digest]}, idempotent=True
        )["missing"]
        if missing:
            with Bar(f"Uploading {path.name}", total=size, enabled=progress, unit="bytes") as bar:
                _put(conn, org_path, path, digest, 0, size, bar)
        return digest, size

    whole = hashlib.sha256()
    parts: list[_Part] = []
    with (
        Bar(f"Uploading {path.name}", total=size, enabled=progress, unit="bytes") as bar,
        ThreadPoolExecutor(max_workers=max(1, workers)) as pool,
    ):
        failed = threading.Event()

        def send(part: _Part) -> None:
            try:
                missing = conn.post(
                    f"{org_path}/blobs/missing", json={"digests": [part.digest]}, idempotent=True
                )["missing"]
                if missing:
                    _put(conn, org_path, path, part.digest, part.offset, part.size, bar)
                else:
                    bar.advance(part.size)
            except BaseException:
                failed.set()
                raise

        # Each part goes up as soon as it is hashed, while the next ones are: hashing overlaps
        # sending.  A part the organization holds (a file sent before, or an interrupted
        # upload) is not sent again.
        scheduled: set[str] = set()
        futures: list[Future[None]] = []
        for part in _hashed_parts(path, part_size, whole):
            parts.append(part)
            if part.digest in scheduled:
                bar.advance(part.size)
                continue
            scheduled.add(part.digest)
            futures.append(pool.submit(send, part))
            if failed.is_set():
                break  # a part failed: stop hashing, and raise its error below
        for future in futures:
            future.result()
    digest = whole.hexdigest()
    conn.post(
        f"{org_path}/blobs/compose",
        json={"parts": [p.digest for p in parts], "sha256": digest, "size": size},
        idempotent=True,
        timeout=3600,
    )
    return digest, size


# --------------------------------------------------------------------------- download


class _Sink:
    """Writes and hashes chunks in a thread of its own, so that receiving the next chunk
    overlaps with storing this one.  At most ``depth`` chunks wait: memory stays bounded."""

    def __init__(self, out: BinaryIO, hasher: Any, bar: Bar, depth: int = 8) -> None:
        self._out = out
        self._hasher = hasher
        self._bar = bar
        self._queue: queue.Queue[bytes | None] = queue.Queue(maxsize=depth)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="pixlake-download", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while (chunk := self._queue.get()) is not None:
            if self._error is not None:
                continue  # drain after a failure
            try:
                self._out.write(chunk)
                self._hasher.update(chunk)
                self._bar.advance(len(chunk))
            except BaseException as exc:  # reported by put() or close()
                self._error = exc

    def put(self, chunk: bytes) -> None:
        if self._error is not None:
            raise self._error
        self._queue.put(chunk)

    def close(self) -> None:
        """Wait until every chunk is written; re-raise a write failure."""
        self._queue.put(None)
        self._thread.join()
        if self._error is not None:
            raise self._error


def _copied_locally(conn: Connection, url_path: str, dest: Path, digest: str, size: int) -> bool:
    """Copy the blob from the server's store when this process sees it (see
    ``pixlake.sdk._samehost``).  The server is asked for the first byte first, so that it
    decides, as for any download, whether the caller may read it: a digest known from
    before grants nothing."""
    local = conn.local_store()
    if local is None:
        return False
    conn.request("GET", url_path, headers={"Range": "bytes=0-0"})  # raises if refused
    return local.copy_verified(digest, size, dest)


def _hashed_prefix(out: BinaryIO, size: int) -> Any:
    """The SHA-256 state of the first ``size`` bytes of the open file ``out``."""
    hasher = hashlib.sha256()
    offset = 0
    while offset < size and (chunk := os.pread(out.fileno(), min(CHUNK, size - offset), offset)):
        hasher.update(chunk)
        offset += len(chunk)
    return hasher


def download(
    conn: Connection,
    url_path: str,
    dest: Path,
    *,
    expected_digest: str | None,
    expected_size: int | None = None,
    progress: bool,
) -> Path:
    """Download ``url_path`` (relative to the API root) to ``dest``; see the module docstring.

    A dropped connection is retried as the connection's ``retry`` policy says, resuming from
    the bytes already received; bytes that do not hash to ``expected_digest`` are discarded
    and raise ``StorageError``.  A destination that cannot be written raises
    ``InvalidQueryError`` naming it.
    """
    try:
        return _download(conn, url_path, dest, expected_digest, expected_size, progress)
    except OSError as exc:  # every file operation here is on ``dest`` or its .part
        raise cannot_write(dest, exc) from exc


def _download(
    conn: Connection,
    url_path: str,
    dest: Path,
    expected_digest: str | None,
    expected_size: int | None,
    progress: bool,
) -> Path:
    if expected_digest and is_plain_file(dest) and file_digest(dest) == expected_digest:
        return dest
    if (
        expected_digest
        and expected_size
        and _copied_locally(conn, url_path, dest, expected_digest, expected_size)
    ):
        return dest
    partial = partial_of(dest)
    restarted = False
    for attempt in range(conn.retry.retries + 1):  # the first, then the policy's retries
        out, offset = open_partial(dest, resume=True)
        with out:
            if expected_size is not None and offset > expected_size:
                out.truncate(0)
                offset = 0
            hasher = _hashed_prefix(out, offset)
            try:
                with conn.stream(
                    "GET",
                    url_path,
                    headers={"Range": f"bytes={offset}-"} if offset else {},
                    accept=frozenset({416}),  # the .part is not a prefix of these bytes
                ) as r:
                    if r.status_code == 416:  # the .part is not a prefix of these bytes
                        out.truncate(0)
                        continue
                    if r.status_code != 206 and offset:  # the server sent everything
                        out.truncate(0)
                        offset, hasher = 0, hashlib.sha256()
                    length = int(r.headers.get("content-length", 0)) or None
                    total = offset + length if length is not None else expected_size
                    with Bar(
                        f"Downloading {dest.name}", total=total, enabled=progress, unit="bytes"
                    ) as bar:
                        bar.advance(offset)
                        sink = _Sink(out, hasher, bar)
                        try:
                            for chunk in r.iter_bytes(CHUNK):
                                sink.put(chunk)
                        finally:
                            sink.close()
            except httpx.TransportError as exc:
                if conn.retry.allows(attempt + 1):
                    conn.retry.wait(attempt + 1)
                    continue
                raise NetworkError(
                    f"download of {dest.name} from {conn.host} failed "
                    f"({type(exc).__name__}: {exc}); run it again to resume from {partial}"
                ) from exc
        digest = hasher.hexdigest()
        if expected_digest and digest != expected_digest:
            partial.unlink(missing_ok=True)
            if offset and not restarted:  # a stale .part: start over once
                restarted = True
                continue
            raise StorageError(
                f"{dest.name}: the downloaded bytes hash to {digest}, not to the expected "
                f"{expected_digest}; nothing was saved",
                details=[{"file": str(dest), "message": "SHA-256 mismatch"}],
            )
        return publish(dest)
    raise NetworkError(f"download of {dest.name} did not complete; run it again to resume")


# --------------------------------------------------------------------------- many small blobs


def read_blobs(conn: Connection, org_path: str, digests: Sequence[str]) -> list[bytes]:
    """The bytes of many (small) blobs in one request, in order, each verified."""
    body = conn.request(
        "POST", f"{org_path}/blobs/read", json={"digests": list(digests)}, idempotent=True
    ).content
    out: list[bytes] = []
    expected = iter(digests)
    try:
        for member, pieces in iter_tar(iter([body])):
            digest = next(expected, None)
            data = b"".join(pieces)
            if digest is None:
                raise StorageError(f"more blobs arrived than the {len(digests)} asked for")
            if member.name != digest or hashlib.sha256(data).hexdigest() != digest:
                raise StorageError(f"blob {digest} arrived damaged; run it again")
            out.append(data)
    except TarFormatError as exc:
        raise StorageError(f"the blobs arrived damaged ({exc}); run it again") from None
    if len(out) != len(digests):
        raise StorageError(f"{len(out)} blobs arrived of the {len(digests)} asked for")
    return out


# --------------------------------------------------------------------------- zip


#: Files zipped are opened without following a link (``_members`` resolved those it keeps).
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)


def _link_refused(link: Path, root: Path, message: str) -> InvalidInputError:
    name = link.relative_to(root).as_posix()
    return InvalidInputError(
        f"{link}: {message}; nothing was stored",
        details=[{"file": name, "message": message}],
    )


def _unreadable_folder(exc: OSError) -> None:
    """A folder ``os.walk`` cannot list: an error, rather than a zip without its files."""
    raise cannot_read(exc.filename or "", exc) from exc


def _members(path: Path) -> Iterator[tuple[Path, str]]:
    """The files to zip (the file to open, its name in the archive), in a stable order.

    A folder's links are followed only to files inside the folder (stored as those files'
    bytes); a link out of the folder, or to a folder, is refused by name, so that zipping
    a folder never sends what lies outside it."""
    if path.is_file():
        yield path.resolve(), path.name  # a link named by the caller is the caller's choice
        return
    root = path.resolve()
    for top, dirs, files in os.walk(path, onerror=_unreadable_folder):
        dirs.sort()
        here = Path(top)
        for name in dirs:
            if (here / name).is_symlink():
                raise _link_refused(
                    here / name,
                    path,
                    "a link to a folder: replace it with the folder, or remove it",
                )
        for name in sorted(files):
            full = here / name
            arcname = full.relative_to(path).as_posix()
            if full.is_symlink():
                target = full.resolve()
                if not target.is_relative_to(root):
                    raise _link_refused(
                        full,
                        path,
                        "a link to a file outside the folder: copy the file in, or remove the link",
                    )
                if target.is_file():
                    yield target, arcname
            elif full.is_file():
                yield full, arcname


def stored_name(path: Path, *, zip: bool) -> str:
    """The name of the file ``store`` sends from ``path``, which its object key ends with and
    downloads write, as the upstream client names it: the file's own name, or with
    ``zip=True`` the zip's (``saved_model.zip`` for a folder ``saved_model``, ``best.zip``
    for a file ``best.pt``); checked before any byte is sent."""
    name = path.name or path.resolve().name
    if zip:
        name = (name if path.is_dir() else Path(name).stem) + ".zip"
    return check_file_name(name, field="file_name")


@contextmanager
def zipped(path: Path) -> Iterator[Path]:
    """A temporary zip of a file or a folder (its contents at the archive's root), removed
    on exit.  Members are stored, not deflated: model weights hardly compress, and deflate
    (tens of MB/s) is slower than the network to a self-hosted server.  Entries keep their
    modification times, so zipping the same files twice gives the same bytes (and the upload
    sends nothing the second time)."""
    fd, name = tempfile.mkstemp(prefix=f"{path.name or 'archive'}-", suffix=".zip")
    os.close(fd)
    archive = Path(name)
    try:
        with zipfile.ZipFile(archive, "w", allowZip64=True) as zf:
            for member, arcname in _members(path):
                try:
                    info = zipfile.ZipInfo.from_file(member, arcname)
                    src_fd = os.open(member, os.O_RDONLY | _NOFOLLOW)  # checked above: no link
                except OSError as exc:
                    raise cannot_read(member, exc) from exc
                info.compress_type = zipfile.ZIP_STORED
                with os.fdopen(src_fd, "rb") as src, zf.open(info, "w") as dst:
                    while chunk := src.read(CHUNK):
                        dst.write(chunk)
        yield archive
    finally:
        archive.unlink(missing_ok=True)
