"""Where exports are written: a folder or a zip file, addressed by relative paths.

A sink hands out binary writers for relative POSIX paths (``annotations/instances.json``,
``images/a.jpg``).  Every path is checked: no absolute paths, no ``..``, no empty or ``.``
segments, no backslashes or NUL bytes, so that nothing lands outside the export.  A path can
be written once; writing it again is refused, which also catches two images whose annotation
files would collide (``a.jpg`` and ``a.png`` both give ``Annotations/a.xml``).
"""

from __future__ import annotations

import abc
import contextlib
import os
import time
import zipfile
from pathlib import Path
from types import TracebackType
from typing import IO, Final, Self

from pixlake.errors import InvalidInputError

__all__ = ["FolderSink", "Sink", "ZipSink", "safe_relpath"]

#: Entries a zip stores without compressing them (already compressed media).
_STORED_SUFFIXES: Final = frozenset(
    {".jpg", ".jpeg", ".png", ".gif", ".webp", ".zip", ".gz", ".mp4", ".heic", ".avif"}
)


def _relpath_problem(relpath: object) -> str | None:
    if not isinstance(relpath, str) or not relpath:
        return "expected a non-empty relative path"
    if "\x00" in relpath or "\\" in relpath:
        return "expected a POSIX path without NUL bytes or backslashes"
    if relpath.startswith("/") or (len(relpath) > 1 and relpath[1] == ":"):
        return "expected a relative path, got an absolute one"
    if any(part in ("", ".", "..") for part in relpath.split("/")):
        return "expected a path without '..', '.' or empty segments"
    return None


def safe_relpath(relpath: str) -> str:
    """Return ``relpath`` if it stays inside a sink, else raise ``InvalidInputError``."""
    problem = _relpath_problem(relpath)
    if problem is not None:
        raise InvalidInputError(
            f"refused path {relpath!r}",
            details=[{"file": relpath, "line": None, "field": "relpath", "message": problem}],
        )
    return relpath


def _already_written(relpath: str) -> InvalidInputError:
    return InvalidInputError(
        f"{relpath} is already written",
        details=[
            {
                "file": relpath,
                "line": None,
                "field": "relpath",
                "message": "expected each path to be written once (two images may share a stem)",
            }
        ],
    )


class Sink(abc.ABC):
    """A destination for export files.  Subclasses implement :meth:`_open`."""

    def open(self, relpath: str) -> IO[bytes]:
        """A binary writer for ``relpath``; close it (``with``) before opening another."""
        return self._open(safe_relpath(relpath))

    def write_bytes(self, relpath: str, data: bytes) -> None:
        """Write a whole file at once."""
        with self.open(relpath) as stream:
            stream.write(data)

    @abc.abstractmethod
    def _open(self, relpath: str) -> IO[bytes]:
        """Open a checked relative path for writing."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Finish the sink (a zip writes its central directory)."""

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


class FolderSink(Sink):
    """Writes files under the folder ``path`` (created if needed).

    Existing files are never overwritten unless ``overwrite=True``.  A path through a
    symbolic link inside the folder is refused, so that no write lands outside of it.
    """

    def __init__(self, path: str | os.PathLike[str], *, overwrite: bool = False) -> None:
        self.path = Path(path)
        self.path.mkdir(parents=True, exist_ok=True)
        self._mode = "wb" if overwrite else "xb"

    def _open(self, relpath: str) -> IO[bytes]:
        target = self.path
        for part in relpath.split("/"):
            target = target / part
            if target.is_symlink():  # checked before anything is created through it
                raise InvalidInputError(
                    f"refused path {relpath!r}",
                    details=[
                        {
                            "file": relpath,
                            "line": None,
                            "field": "relpath",
                            "message": "expected a path without symbolic links in the folder",
                        }
                    ],
                )
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            return target.open(self._mode)
        except FileExistsError:
            raise _already_written(relpath) from None


class ZipSink(Sink):
    """Writes entries into the zip file ``path`` (ZIP64, so entries may exceed 4 GiB).

    Text entries are deflated; images and other compressed media are stored.  Only one entry
    can be open at a time.  ``close()`` writes the zip's directory; if the ``with`` block
    fails, the partial zip is removed.  An existing file is refused unless ``overwrite=True``.
    """

    def __init__(self, path: str | os.PathLike[str], *, overwrite: bool = False) -> None:
        self.path = Path(path)
        self._zip = zipfile.ZipFile(self.path, "w" if overwrite else "x", allowZip64=True)

    def _open(self, relpath: str) -> IO[bytes]:
        try:
            self._zip.getinfo(relpath)
        except KeyError:
            pass
        else:
            raise _already_written(relpath)
        info = zipfile.ZipInfo(relpath, date_time=time.localtime()[:6])
        info.external_attr = 0o644 << 16
        stored = os.path.splitext(relpath)[1].lower() in _STORED_SUFFIXES
        info.compress_type = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
        return self._zip.open(info, "w", force_zip64=True)

    def close(self) -> None:
        self._zip.close()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
        if exc_type is not None:
            with contextlib.suppress(OSError):
                self.path.unlink()
