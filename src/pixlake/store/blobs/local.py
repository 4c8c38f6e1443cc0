"""A blob store in a local folder: ``<root>/sha256/ab/cdef…``, files read-only once written."""

from __future__ import annotations

import hashlib
import itertools
import os
from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO
from urllib.parse import unquote, urlparse

from pixlake.store.blobs.base import BlobInfo, DigestMismatch, check_digest

__all__ = ["LocalBlobStore"]

READ_ONLY = 0o444
_TEMP_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
#: Unique temporary names within this process (``next`` on a count is atomic under the GIL).
_sequence = itertools.count()


def _write_all(fd: int, data: bytes | memoryview) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


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

    @classmethod
    def from_url(cls, url: str) -> LocalBlobStore:
        parsed = urlparse(url)
        return cls(Path(unquote(parsed.path)))

    def path(self, digest: str) -> Path:
        check_digest(digest)
        return self.root / "sha256" / digest[:2] / digest[2:]

    def exists(self, digest: str) -> bool:
        return self.path(digest).is_file()

    def missing(self, digests: Iterable[str]) -> set[str]:
        return {d for d in digests if not self.exists(d)}

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
        """Store bytes held in memory: hashed first, so bytes already stored cost no write."""
        digest = hashlib.sha256(data).hexdigest()
        if expected_digest is not None and expected_digest != digest:
            raise DigestMismatch(expected_digest, digest)
        if not self.path(digest).exists():
            tmp = self.tmp_dir / f"upload-{os.getpid()}-{next(_sequence)}"
            fd = os.open(tmp, _TEMP_FLAGS, READ_ONLY)
            try:
                _write_all(fd, data)
            except BaseException:
                os.close(fd)
                tmp.unlink(missing_ok=True)
                raise
            os.close(fd)
            try:
                self._publish(tmp, digest)
            except BaseException:
                tmp.unlink(missing_ok=True)
                raise
        return BlobInfo(digest, len(data))

    def open(self, digest: str) -> BinaryIO:
        return self.path(digest).open("rb")

    def size(self, digest: str) -> int:
        return self.path(digest).stat().st_size

    def delete(self, digest: str) -> None:
        self.path(digest).unlink(missing_ok=True)
