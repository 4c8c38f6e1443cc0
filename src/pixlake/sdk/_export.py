"""Exporting a dataset version to COCO, PASCAL-VOC or YOLO files.

The server writes the export (``GET .../dataset-versions/{id}/export``, see
``pixlake.core.exports``) as one archive, streamed while it is written.  Here it is either
unpacked as it arrives into the target folder, every member's path checked so that nothing
lands outside it (a tar), or saved as it arrives (a zip: into ``<path>.part``, renamed once
complete).  Memory stays bounded whatever the size of the version, and no byte is held
longer than it takes to write it.

An export that fails after its first byte ends with a problem member (``EXPORT_ERROR_MEMBER``)
that is raised here as its typed error; a response cut short raises ``NetworkError``.
"""

from __future__ import annotations

import io
import json
import os
import tarfile
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

from pixlake.errors import (
    InvalidQueryError,
    NetworkError,
    StorageError,
    error_class_for,
)
from pixlake.formats.registry import format_name, get_exporter
from pixlake.formats.sinks import FolderSink
from pixlake.schemas.datasets import EXPORT_ERROR_MEMBER, EXPORT_FORMATS
from pixlake.sdk._base import Context
from pixlake.sdk._progress import Bar

__all__ = ["EXPORT_FORMATS", "export_version", "unpack_tar"]

#: Bytes read from the response at a time.
CHUNK = 1024 * 1024


class _Body(io.RawIOBase):
    """A response body as a readable file, for ``tarfile``'s stream mode."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._rest = memoryview(b"")

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._rest:
            chunk = next(self._chunks, None)
            if chunk is None:
                return 0
            self._rest = memoryview(chunk)
        count = min(len(buffer), len(self._rest))
        buffer[:count] = self._rest[:count]
        self._rest = self._rest[count:]
        return count

    def drain(self) -> None:
        """Read what is left (the archive's padding), so the response is read to its end."""
        self._rest = memoryview(b"")
        for _chunk in self._chunks:
            pass


def _raise_problem(data: bytes, where: str) -> None:
    try:
        problem = json.loads(data)
        cls = error_class_for(problem.get("code"), int(problem.get("status") or 500))
        message, details = str(problem["detail"]), list(problem.get("errors") or [])
    except (ValueError, KeyError, TypeError, AttributeError):
        raise StorageError(f"the export failed; {where}") from None
    raise cls(f"{message} ({where})", details=details)


def unpack_tar(
    chunks: Iterator[bytes], folder: Path, *, images_folder: str | None = None, bar: Bar
) -> int:
    """Write the members of a tar stream into ``folder``: regular files only, paths checked
    by ``FolderSink`` (no ``..``, absolute paths or links out), existing files overwritten.
    Returns the number of files written; ``bar`` advances for each one under
    ``images_folder`` (each one when it is ``None``).  A problem member raises its error."""
    body = _Body(chunks)
    written = 0
    prefix = f"{images_folder}/" if images_folder else ""
    with (
        FolderSink(folder, overwrite=True) as sink,
        tarfile.open(fileobj=io.BufferedReader(body, CHUNK), mode="r|") as archive,
    ):
        for member in archive:
            source = archive.extractfile(member) if member.isreg() else None
            if source is None:
                raise StorageError(
                    f"the export holds {member.name!r}, which is not a regular file; "
                    f"the {written} files before it are in {folder}"
                )
            if member.name == EXPORT_ERROR_MEMBER:
                _raise_problem(source.read(), f"the {written} files before it are in {folder}")
            sink.write_file(member.name, source, member.size)
            written += 1
            if member.name.startswith(prefix):
                bar.advance()
    body.drain()
    return written


def _save_zip(chunks: Iterator[bytes], path: Path, bar: Bar) -> None:
    partial = path.with_name(path.name + ".part")
    try:
        with partial.open("wb") as out:
            for chunk in chunks:
                out.write(chunk)
                bar.advance(len(chunk))
        with zipfile.ZipFile(partial) as archive:  # reads the directory: the zip is whole
            problem = (
                archive.read(EXPORT_ERROR_MEMBER)
                if EXPORT_ERROR_MEMBER in archive.NameToInfo
                else None
            )
        if problem is not None:
            _raise_problem(problem, "no zip was saved")
        os.replace(partial, path)
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
) -> Path:
    """Export the version at ``version_path`` (``.../dataset-versions/{id}``) into the folder
    ``path``, or the zip file ``path`` with ``as_zip``; returns ``path``."""
    name = format_name(format)
    if name not in EXPORT_FORMATS:
        raise InvalidQueryError(
            f"{name} is an import format; export to one of {', '.join(EXPORT_FORMATS)}"
        )
    conn = ctx.connection
    record = conn.get(version_path)
    params = {"format": name, "archive": "zip" if as_zip else "tar"}
    if as_zip:
        path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with conn.stream("GET", f"{version_path}/export", params=params) as response:
            # As they arrive: asking httpx for chunks of a given size costs a copy of each.
            chunks: Iterator[bytes] = response.iter_raw()
            if as_zip:
                with Bar(f"Exporting {name}", total=None, enabled=progress, unit="bytes") as bar:
                    _save_zip(chunks, path, bar)
            else:
                with Bar(f"Exporting {name}", total=record["size"], enabled=progress) as bar:
                    unpack_tar(
                        chunks, path, images_folder=get_exporter(name).images_folder, bar=bar
                    )
    except (httpx.TransportError, tarfile.ReadError) as exc:
        raise NetworkError(
            f"the export of {record['dataset_name']}/{record['version']} stopped before its end "
            f"({type(exc).__name__}: {exc}); run it again"
        ) from exc
    return path
