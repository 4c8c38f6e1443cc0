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

import json
import os
import zipfile
from collections.abc import Iterator
from pathlib import Path

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
from pixlake.sdk._tar import iter_tar

__all__ = ["EXPORT_FORMATS", "export_version", "unpack_tar"]

#: Members up to this size are written with one system call.
SMALL_MEMBER = 8 * 1024 * 1024


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
    written = 0
    prefix = f"{images_folder}/" if images_folder else ""
    with FolderSink(folder, overwrite=True) as sink:
        for member, pieces in iter_tar(chunks):
            if member.type != "0":
                raise StorageError(
                    f"the export holds {member.name!r}, which is not a regular file; "
                    f"the {written} files before it are in {folder}"
                )
            if member.name == EXPORT_ERROR_MEMBER:
                _raise_problem(b"".join(pieces), f"the {written} files before it are in {folder}")
            if member.size <= SMALL_MEMBER:
                sink.write_bytes(member.name, b"".join(pieces))  # one write
            else:
                with sink.open(member.name) as out:
                    for piece in pieces:
                        out.write(piece)
            written += 1
            if member.name.startswith(prefix):
                bar.advance()
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
    yolo_mode: str | None = None,
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
    if yolo_mode is not None:
        params["yolo_mode"] = yolo_mode
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
    except httpx.TransportError as exc:
        raise NetworkError(
            f"the export of {record['dataset_name']}/{record['version']} stopped before its end "
            f"({type(exc).__name__}: {exc}); run it again"
        ) from exc
    return path
