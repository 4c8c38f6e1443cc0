"""A blob store in a local folder: ``<root>/sha256/ab/cdef…``, files read-only once written."""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO
from urllib.parse import unquote, urlparse

from pixlake.store.blobs.base import BlobInfo, DigestMismatch, check_digest

__all__ = ["LocalBlobStore"]

READ_ONLY = 0o444


class _LocalWriter:
    def __init__(self, store: LocalBlobStore) -> None:
        self._store = store
        fd, name = tempfile.mkstemp(dir=store.tmp_dir, prefix="upload-")
        self._file = os.fdopen(fd, "wb")
        self._tmp = Path(name)
        self._hash = hashlib.sha256()
        self._size = 0
        self._done = False

    @property
    def size(self) -> int:
        return self._size

    def write(self, chunk: bytes) -> None:
        self._file.write(chunk)
        self._hash.update(chunk)
        self._size += len(chunk)

    def commit(self, expected_digest: str | None = None) -> BlobInfo:
        self._file.close()
        digest = self._hash.hexdigest()
        try:
            if expected_digest is not None and expected_digest != digest:
                raise DigestMismatch(expected_digest, digest)
            final = self._store.path(digest)
            if final.exists():
                self._tmp.unlink()
            else:
                final.parent.mkdir(parents=True, exist_ok=True)
                os.chmod(self._tmp, READ_ONLY)
                os.replace(self._tmp, final)
        except BaseException:
            self._tmp.unlink(missing_ok=True)
            raise
        finally:
            self._done = True
        return BlobInfo(digest, self._size)

    def abort(self) -> None:
        if not self._done:
            self._file.close()
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
        (root / "sha256").mkdir(exist_ok=True)

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

    def put_bytes(self, data: bytes, expected_digest: str | None = None) -> BlobInfo:
        writer = self.writer()
        try:
            writer.write(data)
        except BaseException:
            writer.abort()
            raise
        return writer.commit(expected_digest)

    def open(self, digest: str) -> BinaryIO:
        return self.path(digest).open("rb")

    def size(self, digest: str) -> int:
        return self.path(digest).stat().st_size

    def delete(self, digest: str) -> None:
        self.path(digest).unlink(missing_ok=True)
