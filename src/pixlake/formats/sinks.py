"""Where exports are written: a folder, a zip or a tar, addressed by relative paths.

A zip or a tar may go to a file object that cannot seek (a pipe, a response being sent): a
server streams an export that way, while it writes it.

A sink hands out binary writers for relative POSIX paths (``annotations/instances.json``,
``images/a.jpg``).  Every path is checked: no absolute paths, no ``..``, no empty or ``.``
segments, no backslashes or NUL bytes, so that nothing lands outside the export.  A path can
be written once; writing it again is refused, which also catches two images whose annotation
files would collide (``a.jpg`` and ``a.png`` both give ``Annotations/a.xml``).
"""

from __future__ import annotations

import abc
import contextlib
import io
import os
import tempfile
import threading
import time
import zipfile
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import IO, Any, BinaryIO, Final, Self

from pixlake.errors import InvalidInputError
from pixlake.tarstream import end_of_archive, padding, pax_header, reference_records

__all__ = [
    "FolderSink",
    "Sink",
    "TarSink",
    "ZipSink",
    "safe_relpath",
]

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
        raise _refused(relpath, problem)
    return relpath


def _refused(relpath: str, problem: str, message: str | None = None) -> InvalidInputError:
    """The error for a path a sink will not write: ``problem`` says what was expected."""
    return InvalidInputError(
        message or f"refused path {relpath!r}",
        details=[{"file": relpath, "line": None, "field": "relpath", "message": problem}],
    )


def _already_written(relpath: str) -> InvalidInputError:
    return _refused(
        relpath,
        "expected each path to be written once (two images may share a stem)",
        f"{relpath} is already written",
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

    def write_file(self, relpath: str, source: IO[bytes], size: int) -> None:
        """Write ``size`` bytes read from ``source`` (a few MiB at a time); ``OSError`` when
        ``source`` ends sooner."""
        with self.open(relpath) as stream:
            _copy(source, stream.write, size, relpath)

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


def _through_link(relpath: str) -> InvalidInputError:
    return _refused(relpath, "expected a path without symbolic links in the folder")


#: ``os.open`` flags of a file written by a ``FolderSink``: never through a final link.
_NOFOLLOW: Final = getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0) | os.O_WRONLY


class FolderSink(Sink):
    """Writes files under the folder ``path`` (created if needed).

    Existing files are never overwritten unless ``overwrite=True``, and then a new file takes
    the name (the old one, which may have another name outside the folder, is left as it
    was).  A path through a symbolic link inside the folder is refused, so that no write
    lands outside of it: each folder is checked (and made) once, and files are opened without
    following a link.
    """

    def __init__(self, path: str | os.PathLike[str], *, overwrite: bool = False) -> None:
        self.path = Path(path)
        self.path.mkdir(parents=True, exist_ok=True)
        self._root = str(self.path)
        self._overwrite = overwrite
        self._flags = _NOFOLLOW | os.O_CREAT | os.O_EXCL
        #: Folders of the sink (relative paths) known to be real folders, not links.
        self._folders: set[str] = {""}
        self._folders_lock = threading.Lock()

    def _folder(self, relpath: str, folder: str) -> None:
        """Check, and make, the folders of ``folder`` (a relative path) one by one."""
        current = ""
        for part in folder.split("/"):
            current = f"{current}/{part}" if current else part
            if current in self._folders:
                continue
            target = os.path.join(self._root, current)
            if os.path.islink(target):  # checked before anything is created through it
                raise _through_link(relpath)
            with contextlib.suppress(FileExistsError):
                os.mkdir(target)
            if os.path.islink(target):
                raise _through_link(relpath)
            if not os.path.isdir(target):
                raise _refused(relpath, f"expected {current} to be a folder; a file is in the way")
            self._folders.add(current)

    def _fd(self, relpath: str) -> int:
        folder = relpath.rpartition("/")[0]
        if folder not in self._folders:
            with self._folders_lock:  # files may be opened by many threads (``open_fd``)
                self._folder(relpath, folder)
        path = os.path.join(self._root, relpath)
        if self._overwrite:
            # a new file, never the old one truncated: it may have a second name (a hard
            # link) outside the folder
            with contextlib.suppress(FileNotFoundError, IsADirectoryError, PermissionError):
                os.unlink(path)
        try:
            return os.open(path, self._flags, 0o666)
        except FileExistsError:
            raise _already_written(relpath) from None
        except OSError as exc:
            if os.path.islink(path):
                raise _through_link(relpath) from None
            raise exc

    def _open(self, relpath: str) -> IO[bytes]:
        return os.fdopen(self._fd(relpath), "wb")

    def open_fd(self, relpath: str) -> int:
        """A descriptor open for writing ``relpath`` (checked and created as by ``open``);
        the caller closes it.  Threads may call it at once."""
        return self._fd(safe_relpath(relpath))

    def write_file(self, relpath: str, source: IO[bytes], size: int) -> None:
        if size > COPY_BYTES:
            super().write_file(relpath, source, size)
            return
        data = source.read(size)  # one read, one write
        if len(data) != size:
            raise OSError(f"{relpath}: {size - len(data)} of its {size} bytes are missing")
        self.write_bytes(relpath, data)

    def write_bytes(self, relpath: str, data: bytes) -> None:
        fd = self._fd(safe_relpath(relpath))
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
        finally:
            os.close(fd)


class ZipSink(Sink):
    """Writes entries into the zip file ``path``, or into the binary file object ``path``
    (which need not be seekable), ZIP64 so that entries may exceed 4 GiB.

    Text entries are deflated; images and other compressed media are stored.  Only one entry
    can be open at a time.  ``close()`` writes the zip's directory; if the ``with`` block
    fails, a partial zip file is removed.  An existing file is refused unless
    ``overwrite=True``.
    """

    def __init__(self, path: str | os.PathLike[str] | BinaryIO, *, overwrite: bool = False) -> None:
        self.path = None if _is_file_object(path) else Path(path)  # type: ignore[arg-type]
        target = path if self.path is None else self.path
        self._zip = zipfile.ZipFile(target, "w" if overwrite else "x", allowZip64=True)

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
        if exc_type is not None and self.path is not None:
            with contextlib.suppress(OSError):
                self.path.unlink()


#: Bytes copied at a time into a sink.
COPY_BYTES: Final = 1024 * 1024
#: Members written through ``TarSink.open`` stay in memory up to this size, then go to a
#: temporary file (a COCO ``instances.json`` of a large dataset).
SPOOL_BYTES: Final = 16 * 1024 * 1024


def _is_file_object(value: object) -> bool:
    return hasattr(value, "write") and not isinstance(value, str | os.PathLike)


def _copy(source: IO[bytes], write: Callable[[bytes], object], size: int, relpath: str) -> None:
    """Hand ``size`` bytes of ``source`` to ``write``, a few MiB at a time; ``OSError`` when
    ``source`` ends sooner."""
    remaining = size
    while remaining:
        data = source.read(min(COPY_BYTES, remaining))
        if not data:
            raise OSError(f"{relpath}: {remaining} of its {size} bytes could not be read")
        write(data)
        remaining -= len(data)


class _TarMember(io.RawIOBase):
    """A member written through ``TarSink.open``: a tar header needs the size, so the bytes
    are kept (in memory, or in a temporary file past ``SPOOL_BYTES``) until it is closed."""

    def __init__(self, sink: TarSink, relpath: str) -> None:
        super().__init__()
        self._spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)
        self._sink: TarSink | None = sink
        self._relpath = relpath

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        return self._spool.write(data)

    def close(self) -> None:
        sink, self._sink = self._sink, None
        try:
            if sink is not None:
                size = self._spool.tell()
                self._spool.seek(0)
                sink._add(self._relpath, self._spool, size)
        finally:
            self._spool.close()
            super().close()


class TarSink(Sink):
    """Writes a POSIX (pax) tar of regular files (mode 0644) into the binary file object
    ``out``, which need not be seekable: only ``write`` is used.

    Paths are UTF-8, of any length.  ``close()`` writes the end of the archive and leaves
    ``out`` open.  A source shorter than announced raises ``OSError``: the archive cannot be
    finished.
    """

    def __init__(self, out: BinaryIO) -> None:
        self._out = out
        self._length = 0
        self._written: set[str] = set()
        self._mtime = int(time.time())
        self._closed = False

    def _claim(self, relpath: str) -> str:
        relpath = safe_relpath(relpath)
        if relpath in self._written:
            raise _already_written(relpath)
        self._written.add(relpath)
        return relpath

    def _emit(self, data: bytes) -> None:
        self._out.write(data)
        self._length += len(data)

    def _add(self, relpath: str, source: IO[bytes], size: int) -> None:
        self._emit(pax_header(relpath, size, mode=0o644, mtime=self._mtime))
        _copy(source, self._emit, size, relpath)
        if pad := padding(size):
            self._emit(pad)

    def _open(self, relpath: str) -> IO[bytes]:
        return _TarMember(self, self._claim(relpath))  # type: ignore[return-value]

    def write_file(self, relpath: str, source: IO[bytes], size: int) -> None:
        self._add(self._claim(relpath), source, size)

    def write_reference(self, relpath: str, digest: str, size: int) -> None:
        """Write ``relpath`` as a reference to a blob rather than its bytes: an empty member
        whose pax header holds ``pixlake.tarstream.reference_records``.  For a reader on
        the store's machine that copies the blob's file itself; ``tar -x`` makes an empty
        file."""
        records = reference_records(digest, size)
        header = pax_header(self._claim(relpath), 0, mode=0o644, mtime=self._mtime, records=records)
        self._emit(header)

    def close(self) -> None:
        """Write the end-of-archive blocks, and pad the archive to whole records."""
        if not self._closed:
            self._closed = True
            self._emit(end_of_archive(self._length))
