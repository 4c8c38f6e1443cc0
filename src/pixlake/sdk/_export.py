"""Exporting a dataset version to COCO, PASCAL-VOC or YOLO files.

The server writes the export (``GET .../dataset-versions/{id}/export``, see
``pixlake.core.exports``) as one archive, streamed while it is written.  Here it is either
unpacked as it arrives into the target folder, every member's path checked so that nothing
lands outside it (a tar), or saved as it arrives (a zip: into ``<path>.part``, renamed once
complete).  Memory stays bounded whatever the size of the version, and no byte is held
longer than it takes to write it.

When the SDK sees the server's store (``pixlake.sdk._samehost``), a tar export asks for
references instead of the images' bytes, and the images are copied from the store's files by
a few threads while the archive is read; any image that cannot be copied that way comes over
HTTP (``GET blobs/{digest}``).

An export that fails after its first byte ends with a problem member (``EXPORT_ERROR_MEMBER``)
that is raised here as its typed error; a response cut short raises ``NetworkError``.
"""

from __future__ import annotations

import json
import os
import threading
import zipfile
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx

from pixlake.errors import (
    InvalidQueryError,
    NetworkError,
    StorageError,
    error_class_for,
)
from pixlake.files import open_partial, partial_of, publish
from pixlake.formats.registry import export_formats, get_exporter, get_format
from pixlake.formats.sinks import FolderSink
from pixlake.schemas.datasets import EXPORT_ERROR_MEMBER, EXPORT_NOTES_MEMBER
from pixlake.sdk._base import Context
from pixlake.sdk._http import Connection
from pixlake.sdk._local import cannot_write, make_folder
from pixlake.sdk._progress import Bar
from pixlake.sdk._samehost import LocalStore
from pixlake.tarstream import TarFormatError, TarMember, iter_tar

__all__ = ["BlobCopies", "ExportResult", "export_version", "unpack_tar"]

#: Members up to this size are written with one system call.
SMALL_MEMBER = 8 * 1024 * 1024
#: Threads copying referenced images; references handed to a thread at a time; batches
#: waiting at most.
COPY_WORKERS = 4
COPY_BATCH = 32
COPY_DEPTH = 8


@dataclass(frozen=True, slots=True)
class ExportResult:
    """Where an export went, and what its format left out or changed (its notes member)."""

    path: Path
    notes: list[str]


class BlobCopies:
    """Writes files that reference blobs, in a few threads: each blob copied from the
    server's store when ``local`` is given and its file can be used, else received over HTTP
    from the organization at ``org_path``.  ``add`` blocks while ``COPY_DEPTH`` batches wait;
    ``close`` writes what is left, waits for every copy and raises the first failure."""

    def __init__(self, conn: Connection, org_path: str, local: LocalStore | None) -> None:
        self._conn = conn
        self._org_path = org_path
        self._local = local
        self._pool = ThreadPoolExecutor(COPY_WORKERS, thread_name_prefix="pixlake-copy")
        self._slots = threading.BoundedSemaphore(COPY_DEPTH)
        self._batch: list[tuple[FolderSink, str, str, int]] = []
        self._error: BaseException | None = None

    def add(self, sink: FolderSink, relpath: str, digest: str, size: int) -> None:
        """Write ``relpath`` of ``sink`` with the bytes of the blob ``digest``."""
        if self._error is not None:
            raise self._error
        self._batch.append((sink, relpath, digest, size))
        if len(self._batch) >= COPY_BATCH:
            self._submit()

    def _submit(self) -> None:
        batch, self._batch = self._batch, []
        self._slots.acquire()
        self._pool.submit(self._fill_all, batch).add_done_callback(self._done)

    def _done(self, future: Future[None]) -> None:
        error = future.exception()
        if error is not None and self._error is None:
            self._error = error

    def _fill_all(self, batch: list[tuple[FolderSink, str, str, int]]) -> None:
        try:
            for sink, relpath, digest, size in batch:
                if self._error is not None:
                    return
                fd = sink.open_fd(relpath)
                try:
                    self._fill(fd, relpath, digest, size)
                finally:
                    os.close(fd)
        finally:
            self._slots.release()

    def _fill(self, fd: int, relpath: str, digest: str, size: int) -> None:
        if self._local is not None and self._local.copy_into(digest, size, fd):
            return
        os.ftruncate(fd, 0)
        os.lseek(fd, 0, os.SEEK_SET)
        received = 0
        with self._conn.stream("GET", f"{self._org_path}/blobs/{digest}") as response:
            for chunk in response.iter_raw():
                view = memoryview(chunk)
                while view:
                    view = view[os.write(fd, view) :]
                received += len(chunk)
        if received != size:
            raise StorageError(
                f"{relpath}: {received} bytes arrived, not {size}; run the export again"
            )

    def close(self, *, raise_error: bool = True) -> None:
        """Write what is left (unless told not to raise: the caller is failing already);
        wait for every copy; raise the first failure."""
        try:
            if self._batch and self._error is None and raise_error:
                self._submit()
        finally:
            self._pool.shutdown(wait=True)
        if self._error is not None and raise_error:
            raise self._error


def _raise_problem(data: bytes, where: str) -> None:
    try:
        problem = json.loads(data)
        cls = error_class_for(problem.get("code"), int(problem.get("status") or 500))
        message, details = str(problem["detail"]), list(problem.get("errors") or [])
    except (ValueError, KeyError, TypeError, AttributeError):
        raise StorageError(f"the export failed; {where}") from None
    raise cls(f"{message} ({where})", details=details)


def unpack_tar(
    chunks: Iterator[bytes],
    folder: Path,
    *,
    images_folder: str | None = None,
    bar: Bar,
    copies: BlobCopies | None = None,
    notes: list[str] | None = None,
) -> int:
    """Write the members of a tar stream into ``folder``: regular files only, paths checked
    by ``FolderSink`` (no ``..``, absolute paths or links out), existing files overwritten.
    Members that reference a blob are filled by ``copies``.  Returns the number of files
    written; ``bar`` advances for each one under ``images_folder`` (each one when it is
    ``None``).  A problem member raises its error; the lines of a notes member are added to
    ``notes``."""
    told: list[str] = [] if notes is None else notes
    written = 0
    prefix = f"{images_folder}/" if images_folder else ""
    with FolderSink(folder, overwrite=True) as sink:
        try:
            try:
                for member, pieces in iter_tar(chunks):
                    _unpack(
                        sink,
                        member,
                        pieces,
                        copies,
                        f"the {written} files before it are in {folder}",
                        told,
                    )
                    written += 1
                    if member.name.startswith(prefix):
                        bar.advance()
            except TarFormatError as exc:
                raise StorageError(str(exc)) from None
        except BaseException:
            if copies is not None:
                copies.close(raise_error=False)  # the error being raised says more
            raise
        if copies is not None:
            copies.close()
    return written


def _notes(data: bytes) -> list[str]:
    return [line for line in data.decode("utf-8", "replace").splitlines() if line]


def _unpack(
    sink: FolderSink,
    member: TarMember,
    pieces: Iterator[bytes],
    copies: BlobCopies | None,
    where: str,
    notes: list[str],
) -> None:
    if member.type != "0":
        raise StorageError(
            f"the export holds {member.name!r}, which is not a regular file; {where}"
        )
    if member.name == EXPORT_ERROR_MEMBER:
        _raise_problem(b"".join(pieces), where)
    if member.reference is not None:
        if copies is None:
            raise StorageError(
                f"the export holds a reference for {member.name!r}, not its bytes; {where}"
            )
        copies.add(sink, member.name, *member.reference)
    elif member.size <= SMALL_MEMBER:
        data = b"".join(pieces)
        sink.write_bytes(member.name, data)  # one write
        if member.name == EXPORT_NOTES_MEMBER:
            notes.extend(_notes(data))
    else:
        with sink.open(member.name) as out:
            for piece in pieces:
                out.write(piece)


def _save_zip(chunks: Iterator[bytes], path: Path, bar: Bar) -> list[str]:
    """Save the zip as it arrives; the lines of its notes member."""
    partial = partial_of(path)
    try:
        out, _ = open_partial(path)
        with out:
            for chunk in chunks:
                out.write(chunk)
                bar.advance(len(chunk))
        with zipfile.ZipFile(partial) as archive:  # reads the directory: the zip is whole
            problem = (
                archive.read(EXPORT_ERROR_MEMBER)
                if EXPORT_ERROR_MEMBER in archive.NameToInfo
                else None
            )
            notes = (
                _notes(archive.read(EXPORT_NOTES_MEMBER))
                if EXPORT_NOTES_MEMBER in archive.NameToInfo
                else []
            )
        if problem is not None:
            _raise_problem(problem, "no zip was saved")
        publish(path)
        return notes
    except zipfile.BadZipFile as exc:
        raise StorageError(f"the export is not a valid zip ({exc}); run it again") from None
    finally:
        partial.unlink(missing_ok=True)


def export_version(
    ctx: Context,
    version_path: str,
    format: str,
    path: Path,
    *,
    as_zip: bool = False,
    progress: bool = True,
    yolo_mode: str | None = None,
    yolo_absolute: bool = False,
    status: str | None = None,
) -> ExportResult:
    """Export the version at ``version_path`` (``.../dataset-versions/{id}``) into the folder
    ``path``, or the zip file ``path`` with ``as_zip``.  With ``status``, only the pictures
    whose annotation has that review status.  ``yolo_absolute`` (YOLO into a folder) has
    ``data.yaml`` give the folder's absolute path as ``path``."""
    fmt = get_format(format, field="format")
    name = fmt.name
    if not fmt.exports:
        raise InvalidQueryError(
            f"{name} is an import format; export to one of "
            f"{', '.join(d.name for d in export_formats())}"
        )
    if as_zip and path.is_dir():
        raise InvalidQueryError(f"{path} is a folder: give the path of the zip file to write")
    if not as_zip and path.exists() and not path.is_dir():
        raise InvalidQueryError(
            f"{path} is a file, not a folder: export into a folder, or write a zip file (zip=True)"
        )
    conn = ctx.connection
    record = conn.get(version_path)
    params = {"format": name, "archive": "zip" if as_zip else "tar"}
    if yolo_mode is not None:
        params["yolo_mode"] = yolo_mode
    if yolo_absolute:
        if as_zip:
            raise InvalidQueryError(
                "yolo_absolute writes the export's folder into data.yaml: export into a folder, "
                "not a zip"
            )
        params["yolo_path"] = str(path.resolve())
    total = record["size"]
    if status is not None:
        params["status"] = status
        if progress:  # the bar's total: the pictures of that status
            counted = conn.get(f"{version_path}/annotations", params={"status": status, "limit": 1})
            total = counted["count"]
    local = None if as_zip else conn.local_store()
    if local is not None:
        params["images"] = "reference"  # copied from the store's files: see BlobCopies
    if as_zip:
        make_folder(path.parent)
    notes: list[str] = []
    try:
        with conn.stream("GET", f"{version_path}/export", params=params) as response:
            # As they arrive: asking httpx for chunks of a given size costs a copy of each.
            chunks: Iterator[bytes] = response.iter_raw()
            if as_zip:
                with Bar(f"Exporting {name}", total=None, enabled=progress, unit="bytes") as bar:
                    notes = _save_zip(chunks, path, bar)
            else:
                with Bar(f"Exporting {name}", total=total, enabled=progress) as bar:
                    unpack_tar(
                        chunks,
                        path,
                        images_folder=get_exporter(name).images_folder,
                        bar=bar,
                        copies=BlobCopies(conn, ctx.org_path, local) if local else None,
                        notes=notes,
                    )
    except httpx.TransportError as exc:
        raise NetworkError(
            f"the export of {record['dataset_name']}/{record['version']} stopped before its end "
            f"({type(exc).__name__}: {exc}); run it again"
        ) from exc
    except OSError as exc:  # writing the export's files
        raise cannot_write(exc.filename or path, exc) from exc
    return ExportResult(path, notes)
