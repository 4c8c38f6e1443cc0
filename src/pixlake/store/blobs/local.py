"""A blob store in a local folder: ``<root>/sha256/ab/cdef…``, files read-only once written.

A large blob uploaded in parts may be *composite*: instead of copying its parts into one more
file, the store keeps ``<root>/composite/ab/cdef…``, a manifest naming its parts in order, and
reads them one after the other.  The bytes are verified against the digest before the manifest
gets its name, exactly like a plain blob, and every byte is written once.

``<root>/identity`` holds a random token made with the store.  A client on the same machine
proves that it sees this very folder by reading it (``identity``): it may then copy blobs
straight from their files rather than receive them over HTTP, and, running as the store's
own user, write a blob's bytes next to where it belongs for the server to verify and name
(``adopt``) rather than send them (see ``pixlake.sdk._samehost``).  What both sides rely
on, the layout and those file names, is ``pixlake.blobfolder``.

Asked to store bytes it already holds, the store keeps its file and *freshens* it (sets its
modification time to now): the garbage collector (``pixlake.core.garbage``) removes only
files neither written nor stored again within its grace period, so bytes that a client is
storing again at that moment are not removed under it.
"""

from __future__ import annotations

import bisect
import contextlib
import hashlib
import io
import itertools
import json
import os
import secrets
import stat
import time
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import unquote, urlparse

from pixlake.blobfolder import ADOPTED_PREFIX, IDENTITY_FILE
from pixlake.store.blobs.base import DIGEST_RE, BlobInfo, DigestMismatch, StoredBlob, check_digest

__all__ = ["AdoptionRefused", "LocalBlobStore"]

#: How long a file no writer finished is left alone (seconds without a write).
TEMPORARY_GRACE = 3600.0

#: A stored file: read-only, and the store user's alone (as every folder of the store).
READ_ONLY = 0o400
PRIVATE_DIR = 0o700
_ADOPT_FLAGS = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
_ADOPTED_NAME = frozenset("0123456789abcdef")


class AdoptionRefused(ValueError):
    """A file offered to ``adopt`` that the store does not take (the message says why)."""


_TEMP_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
#: Unique temporary names within this process (``next`` on a count is atomic under the GIL).
_sequence = itertools.count()


def _write_all(fd: int, data: bytes | memoryview) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _read_all(fd: int, size: int, max_size: int) -> bytes:
    """The bytes of an open file of ``size`` bytes; ``AdoptionRefused`` if it grew past
    ``max_size`` meanwhile."""
    parts: list[bytes] = []
    total = 0
    while chunk := os.read(fd, max(size + 1 - total, 1024 * 1024)):
        parts.append(chunk)
        total += len(chunk)
        if total > max_size:
            raise AdoptionRefused(f"over {max_size} bytes")
    return parts[0] if len(parts) == 1 else b"".join(parts)


#: ``O_TMPFILE`` makes a file with no name, which a crash cannot leave behind; where the file
#: system lacks it, a temporary name is used instead (see ``_open_unnamed``).
_TMPFILE_FLAGS = os.O_WRONLY | getattr(os, "O_TMPFILE", 0) | getattr(os, "O_CLOEXEC", 0)
#: An unnamed file gets its name through ``/proc/self/fd`` (``linkat`` following the link).
UNNAMED_FILES = hasattr(os, "O_TMPFILE") and os.path.isdir("/proc/self/fd")


def _freshen(path: Path) -> None:
    """Mark a stored file as just stored again (see the module docstring)."""
    with contextlib.suppress(OSError):  # gone meanwhile: whoever stores it writes it again
        os.utime(path)


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
        _freshen(final)
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
        root.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIR)
        self.tmp_dir.mkdir(exist_ok=True, mode=PRIVATE_DIR)
        shards = root / "sha256"
        shards.mkdir(exist_ok=True, mode=PRIVATE_DIR)
        # The 256 shard folders exist from the start: publishing a blob is one rename.
        for i in range(256):
            (shards / f"{i:02x}").mkdir(exist_ok=True, mode=PRIVATE_DIR)
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
            _freshen(final)
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
            _freshen(final)
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

    def accepts_adoptions(self) -> bool:
        """Whether files written into the store by a client may become blobs (``adopt``):
        only when the store's folder belongs to this process's user and nobody else may
        write in it, so that whoever can write such a file could write the store anyway."""
        try:
            info = os.lstat(self.root)
        except OSError:
            return False
        return (
            stat.S_ISDIR(info.st_mode)
            and info.st_uid == os.geteuid()
            and not info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)
        )

    def adopt(self, name: str, expected_digest: str, max_size: int) -> tuple[BlobInfo, bytes]:
        """Make the file a client wrote as ``<shard>/.in-<name>`` the blob ``expected_digest``
        (``<shard>`` is that digest's folder); returns it and its bytes.

        The file must be a regular file (not a link), with no other name (not a hard link to
        a file elsewhere), owned by this process's user, at most ``max_size`` bytes, and hash
        to ``expected_digest``; otherwise ``AdoptionRefused`` or ``DigestMismatch`` says why,
        and a file that was read is removed.  Verified, it is named within its folder (or
        dropped, when those bytes are stored already).  A process of the same user could
        still change the file afterwards: it could change any stored blob as well, which is
        why ``accepts_adoptions`` asks for a store no other user may write to.
        """
        if not 0 < len(name) <= 64 or not _ADOPTED_NAME.issuperset(name):
            raise AdoptionRefused("expected a name of hex digits")
        final = self.path(expected_digest)
        offered = final.parent / f"{ADOPTED_PREFIX}{name}"
        try:
            fd = os.open(offered, _ADOPT_FLAGS)
        except FileNotFoundError:
            raise AdoptionRefused("no such file was written") from None
        except OSError as exc:  # ELOOP: a symbolic link
            raise AdoptionRefused(f"cannot open it ({exc.strerror or exc})") from None
        try:
            info = os.fstat(fd)
            problem = None
            if not stat.S_ISREG(info.st_mode):
                problem = "not a regular file"
            elif info.st_nlink != 1:
                problem = "it has other names (a hard link)"
            elif info.st_uid != os.geteuid():
                problem = "it does not belong to the store's user"
            elif info.st_size > max_size:
                problem = f"over {max_size} bytes"
            if problem is not None:
                raise AdoptionRefused(problem)
            data = _read_all(fd, info.st_size, max_size)
            os.fchmod(fd, READ_ONLY)
        except BaseException:
            os.close(fd)
            with contextlib.suppress(OSError):  # a folder stays
                offered.unlink()
            raise
        os.close(fd)
        digest = hashlib.sha256(data).hexdigest()
        if digest != expected_digest:
            offered.unlink(missing_ok=True)
            raise DigestMismatch(expected_digest, digest)
        if final.exists():
            offered.unlink(missing_ok=True)
            _freshen(final)
        else:
            os.replace(offered, final)  # within one folder
        return BlobInfo(digest, len(data)), data

    def temporary_files(self, older_than: float = TEMPORARY_GRACE) -> Iterator[Path]:
        """Files no writer finished, untouched for ``older_than`` seconds: uploads and
        compositions stopped half-way (``tmp/``), files written under a temporary name in a
        shard, and files written for ``adopt`` that were never adopted.  A live writer
        touches its file as it writes, and an SDK asks for adoption within seconds, so an
        hour leaves every live one alone."""
        deadline = time.time() - older_than
        folders = [self.tmp_dir]
        for top in (self.root / "sha256", self.composite_dir):
            if top.is_dir():
                folders += [
                    Path(e.path) for e in os.scandir(top) if e.is_dir(follow_symlinks=False)
                ]
        for folder in folders:
            in_tmp = folder == self.tmp_dir
            with contextlib.suppress(FileNotFoundError):
                for entry in os.scandir(folder):
                    if not in_tmp and not entry.name.startswith((ADOPTED_PREFIX, ".tmp-")):
                        continue
                    with contextlib.suppress(OSError):
                        info = entry.stat(follow_symlinks=False)
                        if not stat.S_ISDIR(info.st_mode) and info.st_mtime < deadline:
                            yield Path(entry.path)

    def sweep_temporary(self, older_than: float = TEMPORARY_GRACE) -> int:
        """Remove :meth:`temporary_files`; returns how many went."""
        removed = 0
        for path in list(self.temporary_files(older_than)):
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
                removed += 1
        return removed

    def compose(self, parts: Sequence[str], expected_digest: str | None = None) -> BlobInfo:
        """A blob made of stored ``parts`` in order, verified against ``expected_digest``
        (when given) without copying them (see the module docstring).  ``FileNotFoundError`` names a
        missing part; ``DigestMismatch`` stores nothing."""
        paths = [self.path(d) for d in parts]
        sizes = [p.stat().st_size for p in paths]
        hasher = hashlib.sha256()
        with _ConcatReader(paths, sizes) as reader:
            while chunk := reader.read(1024 * 1024):
                hasher.update(chunk)
        digest = hasher.hexdigest()
        if expected_digest is not None and digest != expected_digest:
            raise DigestMismatch(expected_digest, digest)
        held = [p for p in (self.path(digest), self._manifest(digest)) if p.is_file()]
        if held:
            _freshen(held[0])
        else:
            manifest = self._manifest(digest)
            manifest.parent.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIR)
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

    def stored(self, *, composites_only: bool = False) -> Iterator[StoredBlob]:
        tops = (
            (self.composite_dir,) if composites_only else (self.root / "sha256", self.composite_dir)
        )
        for top in tops:
            if not top.is_dir():
                continue
            for shard in os.scandir(top):
                if len(shard.name) != 2 or not shard.is_dir(follow_symlinks=False):
                    continue
                for entry in os.scandir(shard.path):
                    digest = shard.name + entry.name
                    if not DIGEST_RE.match(digest):  # ``.tmp-…`` and ``.in-…`` files
                        continue
                    try:
                        info = entry.stat(follow_symlinks=False)
                    except OSError:  # removed meanwhile
                        continue
                    if stat.S_ISREG(info.st_mode):
                        yield StoredBlob(
                            digest, info.st_mtime, info.st_size, top == self.composite_dir
                        )

    def parts_of(self, digest: str) -> list[str]:
        try:
            manifest = json.loads(self._manifest(digest).read_text())
        except FileNotFoundError:
            return []
        return [str(part) for part in manifest["parts"]]

    def remove_stale(self, digest: str, written_before: float) -> int | None:
        freed: int | None = None
        for path in (self.path(digest), self._manifest(digest)):
            try:
                info = path.stat()
                if info.st_mtime < written_before:
                    path.unlink()
                    freed = (freed or 0) + info.st_size
            except FileNotFoundError:
                continue
        return freed
