"""Blobs copied straight from and into the server's store, when the SDK runs on its machine.

A server whose blob store is a local folder tells callers on its own machine where that
folder is (``GET /local-store``; decision 0016).  The SDK believes it only once it has read
the store's ``identity`` file and found the token the server gave: it then sees the very
folder the server writes to, not just a folder of the same name on another machine behind a
forwarded port.  It then copies the blobs it is told about (by an export, a download) from
their files: for an export the kernel copies them (``copy_file_range``) without the bytes
passing through either process; a download hashes what it copies, as over HTTP.

Uploads go the other way when the server says the store takes them (``uploads``: the store
belongs to the server's user, and no other user may write in it): the SDK writes a blob's
bytes as ``<root>/sha256/ab/.in-<random>``, and the server verifies the file and names it
(``POST blobs/adopt``).  The bytes are written once, by the SDK, and never cross a socket.

Whatever does not fit falls back to HTTP, blob by blob: a server elsewhere or in object
storage, a file this user may not read or write, a blob kept in parts (decision 0008), a
file whose size is not the blob's, a symbolic link, a file the server refused.
``PIXLAKE_SAME_HOST=0`` turns it off in the SDK (and, on the server, stops it from
telling).
"""

from __future__ import annotations

import errno
import hashlib
import ipaddress
import itertools
import os
import secrets
import stat
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from pixlake.blobfolder import IDENTITY_FILE, LAYOUT, adopted_relpath, blob_relpath
from pixlake.errors import PicselliaError
from pixlake.files import open_partial, partial_of, publish

if TYPE_CHECKING:
    from pixlake.sdk._http import Connection

__all__ = ["ENV", "LocalStore", "copy_fd", "discover", "turned_off"]

#: Set to 0 (or false, no, off) to never read or write the server's store directly.
ENV = "PIXLAKE_SAME_HOST"
#: Bytes copied at a time when the kernel cannot copy between the two files itself.
CHUNK = 1024 * 1024
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
_PLACE_FLAGS = (
    os.O_WRONLY
    | os.O_CREAT
    | os.O_EXCL
    | getattr(os, "O_NOFOLLOW", 0)
    | getattr(os, "O_CLOEXEC", 0)
)
_HEX = frozenset("0123456789abcdef")
#: What ``copy_file_range`` fails with when these two files cannot use it.
_NO_KERNEL_COPY = frozenset(
    {errno.EXDEV, errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP, errno.ENOTSOCK}
)


def _copy_range(source: int, target: int, count: int, offset: int) -> int:
    return os.copy_file_range(source, target, count, offset)


def _send(source: int, target: int, count: int, offset: int) -> int:
    return os.sendfile(target, source, offset, count)


#: The kernel's ways of copying between two files, tried in turn (Linux has both; other
#: systems copy through a buffer).
_KERNEL_COPIES: tuple[Callable[[int, int, int, int], int], ...] = (
    (_copy_range, _send) if sys.platform == "linux" else ()
)


def turned_off() -> bool:
    return os.environ.get(ENV, "").strip().lower() in {"0", "false", "no", "off"}


def _is_loopback(host_url: str) -> bool:
    host = urlsplit(host_url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def copy_fd(source: int, target: int, size: int) -> None:
    """Copy ``size`` bytes from the start of ``source`` to the current position of ``target``:
    by the kernel when it can (``copy_file_range``, which also shares the blocks on file
    systems that can, or, between two file systems, ``sendfile``), else through a buffer.
    ``OSError`` if ``source`` is shorter."""
    remaining = size
    offset = 0
    for kernel_copy in _KERNEL_COPIES:
        try:
            while remaining:
                copied = kernel_copy(source, target, remaining, offset)
                if copied == 0:
                    break
                offset += copied
                remaining -= copied
        except OSError as exc:
            if exc.errno not in _NO_KERNEL_COPY:
                raise
            continue
        break
    while remaining:
        data = os.pread(source, min(CHUNK, remaining), offset)
        if not data:
            break
        view = memoryview(data)
        while view:
            view = view[os.write(target, view) :]
        offset += len(data)
        remaining -= len(data)
    if remaining:
        raise OSError(errno.EIO, f"the store's file ended {remaining} bytes early")


@dataclass(frozen=True, slots=True)
class LocalStore:
    """The server's blob store, seen from the SDK on the same machine."""

    root: str
    #: Whether the server adopts blobs written here (``place``).
    uploads: bool = False
    #: Names of placed files: a random prefix of this process's, then a count.
    _prefix: str = field(default_factory=lambda: secrets.token_hex(12), compare=False)
    _count: Iterator[int] = field(default_factory=itertools.count, compare=False)

    def path(self, digest: str) -> str:
        return f"{self.root}/{blob_relpath(digest)}"

    def _offered(self, digest: str, name: str) -> str:
        return f"{self.root}/{adopted_relpath(digest, name)}"

    def place(self, digest: str, data: bytes) -> str | None:
        """Write a blob's bytes for the server to adopt (``POST blobs/adopt``); the name to
        give it, or ``None`` when this process cannot write there (nothing is left)."""
        if len(digest) != 64 or not _HEX.issuperset(digest):
            return None
        name = f"{self._prefix}{next(self._count):x}"
        path = self._offered(digest, name)
        try:
            fd = os.open(path, _PLACE_FLAGS, 0o600)
        except OSError:
            return None
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
        except OSError:
            os.close(fd)
            self.discard(digest, name)
            return None
        os.close(fd)
        return name

    def discard(self, digest: str, name: str) -> None:
        """Remove a file ``place`` wrote that the server did not adopt."""
        try:
            os.unlink(self._offered(digest, name))
        except OSError:
            pass

    def open(self, digest: str, size: int | None) -> int | None:
        """A descriptor of the blob's file, or ``None`` when it cannot be used: no such file
        (the blob is kept in parts, or is gone), not readable, a link, not a regular file, or
        not ``size`` bytes long."""
        if len(digest) != 64 or not _HEX.issuperset(digest):
            return None
        try:
            fd = os.open(self.path(digest), _OPEN_FLAGS)
        except OSError:
            return None
        try:
            info = os.fstat(fd)
        except OSError:
            os.close(fd)
            return None
        if not stat.S_ISREG(info.st_mode) or (size is not None and info.st_size != size):
            os.close(fd)
            return None
        return fd

    def copy_into(self, digest: str, size: int, target: int) -> bool:
        """Copy the blob into the descriptor ``target`` (from its current position); ``False``
        when the blob must come over HTTP instead: ``target`` may then hold some of its
        bytes, which the caller discards."""
        source = self.open(digest, size)
        if source is None:
            return False
        try:
            copy_fd(source, target, size)
        except OSError:
            return False
        finally:
            os.close(source)
        return True

    def copy_verified(self, digest: str, size: int | None, dest: Path) -> bool:
        """Copy the blob to ``dest`` (through ``<dest>.part``, renamed once the bytes hash
        to ``digest``); ``False``, with nothing written, when it must come over HTTP."""
        source = self.open(digest, size)
        if source is None:
            return False
        partial = partial_of(dest)
        hasher = hashlib.sha256()
        try:
            out, _ = open_partial(dest)
            with out:
                offset = 0
                while data := os.pread(source, CHUNK, offset):
                    hasher.update(data)
                    out.write(data)
                    offset += len(data)
        except OSError:
            partial.unlink(missing_ok=True)
            return False
        finally:
            os.close(source)
        if hasher.hexdigest() != digest:  # damaged on disk: let the server answer for it
            partial.unlink(missing_ok=True)
            return False
        publish(dest)
        return True


def discover(conn: Connection) -> LocalStore | None:
    """The server's store, if this process sees it (see the module docstring); ``None``
    otherwise, without a request when the server is not on a loopback address."""
    if turned_off() or not _is_loopback(conn.host):
        return None
    try:
        answer = conn.get("/local-store")
    except PicselliaError:  # turned off, not a local folder, or a server that predates it
        return None
    root, identity = answer.get("root"), answer.get("identity")
    if not isinstance(root, str) or not isinstance(identity, str) or not identity:
        return None
    if answer.get("layout") != LAYOUT or not os.path.isabs(root):  # a layout unknown here
        return None
    try:
        fd = os.open(os.path.join(root, IDENTITY_FILE), _OPEN_FLAGS)
        try:
            seen = os.read(fd, 4096)
        finally:
            os.close(fd)
    except OSError:
        return None
    if seen.strip() != identity.encode():
        return None
    return LocalStore(root, uploads=answer.get("uploads") is True)
