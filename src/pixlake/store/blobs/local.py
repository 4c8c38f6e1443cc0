"""A blob store in a local folder: ``<root>/sha256/ab/cdef…``, files read-only once written.

A large blob uploaded in parts may be *composite*: instead of copying its parts into one more
file, the store keeps ``<root>/composite/ab/cdef…``, a manifest naming its parts in order, and
reads them one after the other.  The bytes are verified against the digest before the manifest
gets its name, exactly like a plain blob, and every byte is written once.

``<root>/identity`` holds a random token made with the store.  A client on the same machine
proves that it sees this very folder by reading it (``identity``): it may then copy blobs
straight from their files rather than receive them over HTTP (see ``pixlake.sdk._samehost``).
"""

from __future__ import annotations

import bisect
import hashlib
import io
import itertools
import json
import os
import secrets
import stat
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import unquote, urlparse

from pixlake.store.blobs.base import BlobInfo, DigestMismatch, check_digest

__all__ = ["IDENTITY_FILE", "LAYOUT", "LocalBlobStore"]

#: The store's identity token, in a file of this name under its root.
IDENTITY_FILE = "identity"
#: Where a plain blob's file is under the root, as the store tells clients that read it
#: (which compare it to the layout they know: ``path``).
LAYOUT = "sha256/<first 2 hex digits>/<other 62>"

READ_ONLY = 0o444
_TEMP_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
#: Unique temporary names within this process (``next`` on a count is atomic under the GIL).
_sequence = itertools.count()


def _write_all(fd: int, data: bytes | memoryview) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


#: ``O_TMPFILE`` makes a file with no name, which a crash cannot leave behind; where the file
#: system lacks it, a temporary name is used instead (see ``_open_unnamed``).
_TMPFILE_FLAGS = os.O_WRONLY | getattr(os, "O_TMPFILE", 0) | getattr(os, "O_CLOEXEC", 0)
#: An unnamed file gets its name through ``/proc/self/fd`` (``linkat`` following the link).
UNNAMED_FILES = hasattr(os, "O_TMPFILE") and os.path.isdir("/proc/self/fd")


def _open_unnamed(folder: Path) -> tuple[int, Path | None]:
    """A new read-only file in ``folder`` open for writing: unnamed where the file system
    supports it (the path is then ``None``), else under a hidden temporary name."""
    if UNNAMED_FILES:
        try:
            return os.open(folder, _TMPFILE_FLAGS, READ_ONLY), None
        except OSError:
            pass  # not supported by this file system: fall back to a name
    tmp = folder / f".tmp-{os.getpid()}-{next(_sequence)}"
    return os.open(tmp, _TEMP_FLAGS, READ_ONLY), tmp


def _link_unnamed(fd: int, final: Path) -> None:
    """Give the unnamed file open as ``fd`` its name; the same bytes stored meanwhile by
    another writer are as good as ours."""
    # A folder descriptor makes ``os.link`` call ``linkat`` (which can follow the link in
    # ``/proc``) rather than ``link`` (which cannot).
    folder = os.open(final.parent, os.O_RDONLY | os.O_DIRECTORY | getattr(os, "O_CLOEXEC", 0))
    try:
        os.link(f"/proc/self/fd/{fd}", final.name, dst_dir_fd=folder, follow_symlinks=True)
    except FileExistsError:
        pass
    finally:
        os.close(folder)


class _LocalWriter:
    """A temporary file in ``<root>/tmp``, created read-only (the open descriptor may still
    write), hashed as it is written, renamed to its digest's path on commit."""

    def __init__(self, store: LocalBlobStore) -> None:
        self._store = store
        self._tmp = store.tmp_dir / f"upload-{os.getpid()}-{next(_sequence)}"
        self._fd = os.open(self._tmp, _TEMP_FLAGS, READ_ONLY)
        self._hash = hashlib.sha256()
        self._size = 0
        self._done = False

    @property
    def size(self) -> int:
        return self._size

    def write(self, chunk: bytes) -> None:
        _write_all(self._fd, chunk)
        self._hash.update(chunk)
        self._size += len(chunk)

    def commit(self, expected_digest: str | None = None) -> BlobInfo:
        os.close(self._fd)
        self._done = True
        digest = self._hash.hexdigest()
        try:
            if expected_digest is not None and expected_digest != digest:
                raise DigestMismatch(expected_digest, digest)
            self._store._publish(self._tmp, digest)
        except BaseException:
            self._tmp.unlink(missing_ok=True)
            raise
        return BlobInfo(digest, self._size)

    def abort(self) -> None:
        if not self._done:
            os.close(self._fd)
            self._tmp.unlink(missing_ok=True)
            self._done = True


class _ConcatReader(io.RawIOBase):
    """Read-only, seekable view of files laid end to end (a composite blob)."""

    def __init__(self, paths: Sequence[Path], sizes: Sequence[int]) -> None:
        self._paths = list(paths)
        self._starts = list(itertools.accumulate(sizes, initial=0))
        self._size = self._starts[-1]
        self._pos = 0
        self._index = -1
        self._file: BinaryIO | None = None

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self._size}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def readinto(self, buffer: Any) -> int:
        if self._pos >= self._size:
            return 0
        index = bisect.bisect_right(self._starts, self._pos) - 1
        if index != self._index:
            if self._file is not None:
                self._file.close()
            self._file = self._paths[index].open("rb")
            self._index = index
        assert self._file is not None
        self._file.seek(self._pos - self._starts[index])
        view = memoryview(buffer)[: self._starts[index + 1] - self._pos]
        count = self._file.readinto(view)  # type: ignore[attr-defined]
        if not count:
            raise OSError(f"part {self._paths[index]} is shorter than recorded")
        self._pos += count
        return int(count)

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
        super().close()


class LocalBlobStore:
    """Content-addressed files under ``root``.  Safe for many processes on one file system:
    every blob appears by an atomic rename of a fully written, verified temporary file."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.url = root.as_uri()
        self.tmp_dir = root / "tmp"
        self.tmp_dir.mkdir(parents=True, exist_ok=True)
        shards = root / "sha256"
        shards.mkdir(exist_ok=True)
        # The 256 shard folders exist from the start: publishing a blob is one rename.
        for i in range(256):
            (shards / f"{i:02x}").mkdir(exist_ok=True)
        self.composite_dir = root / "composite"
        self.identity = self._identity()

    def _identity(self) -> str:
        """The store's token, made (atomically: many processes may start at once) the first
        time the store is opened."""
        path = self.root / IDENTITY_FILE
        try:
            return path.read_text().strip()
        except FileNotFoundError:
            pass
        tmp = self.tmp_dir / f"identity-{os.getpid()}-{next(_sequence)}"
        tmp.write_text(secrets.token_hex(32) + "\n")
        os.chmod(tmp, READ_ONLY)
        try:
            os.link(tmp, path)  # never replaces a token another process made first
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
        return path.read_text().strip()

    @classmethod
    def from_url(cls, url: str) -> LocalBlobStore:
        parsed = urlparse(url)
        return cls(Path(unquote(parsed.path)))

    def path(self, digest: str) -> Path:
        check_digest(digest)
        return self.root / "sha256" / digest[:2] / digest[2:]

    def _manifest(self, digest: str) -> Path:
        check_digest(digest)
        return self.composite_dir / digest[:2] / digest[2:]

    def _parts(self, digest: str) -> tuple[list[Path], list[int]] | None:
        try:
            manifest = json.loads(self._manifest(digest).read_text())
        except FileNotFoundError:
            return None
        return [self.path(d) for d in manifest["parts"]], list(manifest["sizes"])

    def exists(self, digest: str) -> bool:
        return self.path(digest).is_file() or self._manifest(digest).is_file()

    def missing(self, digests: Iterable[str]) -> set[str]:
        # One system call per plain blob, on a string path: ``exists`` builds two ``Path``
        # objects per digest, which costs more than the ``stat`` itself.
        shards = f"{self.root}{os.sep}sha256{os.sep}"
        absent: set[str] = set()
        for digest in digests:
            check_digest(digest)
            try:
                if stat.S_ISREG(os.stat(f"{shards}{digest[:2]}{os.sep}{digest[2:]}").st_mode):
                    continue
            except OSError:
                pass
            if not self._manifest(digest).is_file():
                absent.add(digest)
        return absent

    def writer(self) -> _LocalWriter:
        return _LocalWriter(self)

    def _publish(self, tmp: Path, digest: str) -> None:
        """Give a fully written, verified temporary file its digest's name (or drop it when
        those bytes are already stored)."""
        final = self.path(digest)
        if final.exists():
            tmp.unlink()
        else:
            os.replace(tmp, final)

    def put_bytes(self, data: bytes, expected_digest: str | None = None) -> BlobInfo:
        """Store bytes held in memory: hashed first, so bytes already stored cost no write.

        The digest being known, the file is written in its own shard folder and named there:
        concurrent uploads then contend on 256 folders rather than on ``tmp``, and naming it
        is a rename within one folder, which the file system does without locking two."""
        digest = hashlib.sha256(data).hexdigest()
        if expected_digest is not None and expected_digest != digest:
            raise DigestMismatch(expected_digest, digest)
        final = self.path(digest)
        if final.exists():
            return BlobInfo(digest, len(data))
        fd, tmp = _open_unnamed(final.parent)
        try:
            _write_all(fd, data)
            if tmp is None:
                _link_unnamed(fd, final)
        except BaseException:
            os.close(fd)
            if tmp is not None:
                tmp.unlink(missing_ok=True)
            raise
        os.close(fd)
        if tmp is not None:  # named once closed: some systems cannot rename an open file
            try:
                self._publish(tmp, digest)
            except BaseException:
                tmp.unlink(missing_ok=True)
                raise
        return BlobInfo(digest, len(data))

    def compose(self, parts: Sequence[str], expected_digest: str) -> BlobInfo:
        """A blob made of stored ``parts`` in order, verified against ``expected_digest``
        without copying them (see the module docstring).  ``FileNotFoundError`` names a
        missing part; ``DigestMismatch`` stores nothing."""
        paths = [self.path(d) for d in parts]
        sizes = [p.stat().st_size for p in paths]
        hasher = hashlib.sha256()
        with _ConcatReader(paths, sizes) as reader:
            while chunk := reader.read(1024 * 1024):
                hasher.update(chunk)
        digest = hasher.hexdigest()
        if digest != expected_digest:
            raise DigestMismatch(expected_digest, digest)
        if not self.exists(digest):
            manifest = self._manifest(digest)
            manifest.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.tmp_dir / f"compose-{os.getpid()}-{next(_sequence)}"
            tmp.write_text(json.dumps({"parts": list(parts), "sizes": sizes}))
            os.chmod(tmp, READ_ONLY)
            os.replace(tmp, manifest)
        return BlobInfo(digest, sum(sizes))

    def open(self, digest: str) -> BinaryIO:
        try:
            return self.path(digest).open("rb")
        except FileNotFoundError:
            parts = self._parts(digest)
            if parts is None:
                raise
            return io.BufferedReader(_ConcatReader(*parts), buffer_size=1024 * 1024)

    def size(self, digest: str) -> int:
        try:
            return self.path(digest).stat().st_size
        except FileNotFoundError:
            parts = self._parts(digest)
            if parts is None:
                raise
            return sum(parts[1])

    def delete(self, digest: str) -> None:
        self.path(digest).unlink(missing_ok=True)
        self._manifest(digest).unlink(missing_ok=True)
