"""Writing a file into a folder, and nowhere else.

Every file pixlake writes for a user (a download, a picture, an export saved as it arrives) is
written as ``<name>.part`` beside its final name and renamed once whole, so a reader never
sees half a file.  ``<name>.part`` is opened without following a link and refused when it has
a second name (a hard link), so that a link planted in the folder cannot turn the write
into one outside of it; the rename replaces a link at the final name rather than writing
through it.  The resumable downloads reopen the ``.part`` an interrupted run left, on the
same terms.
"""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path
from typing import BinaryIO, Final

__all__ = ["PARTIAL_SUFFIX", "is_plain_file", "open_partial", "partial_of", "publish", "write_new"]

PARTIAL_SUFFIX: Final = ".part"

_NOFOLLOW: Final = (
    getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
)
_NEW: Final = os.O_RDWR | os.O_CREAT | os.O_EXCL | _NOFOLLOW
_AGAIN: Final = os.O_RDWR | os.O_APPEND | _NOFOLLOW


def is_plain_file(path: Path) -> bool:
    """Whether ``path`` is a file of its own: not a link, and no other name (a file already
    there is kept only then, since it is read to decide and later replaced)."""
    try:
        info = os.lstat(path)
    except OSError:
        return False
    return stat.S_ISREG(info.st_mode) and info.st_nlink == 1


def partial_of(dest: Path) -> Path:
    """Where ``dest`` is written before it is whole."""
    return dest.with_name(dest.name + PARTIAL_SUFFIX)


def _remove(path: Path) -> None:
    """Remove a file or a link (never what it points to); a folder in the way is an error."""
    with contextlib.suppress(FileNotFoundError):
        if stat.S_ISDIR(os.lstat(path).st_mode):
            raise IsADirectoryError(f"{path}: a folder is in the way of a file pixlake writes")
        os.unlink(path)


def open_partial(dest: Path, *, resume: bool = False) -> tuple[BinaryIO, int]:
    """``<dest>.part`` open for appending (and reading), never through a link: a new file, or
    with ``resume`` the one an interrupted run left (its size is returned) when it is a plain
    file with no other name.  Anything else under that name is removed first."""
    partial = partial_of(dest)
    if resume:
        try:
            fd = os.open(partial, _AGAIN)
        except FileNotFoundError:
            pass
        except OSError:  # a link (ELOOP), or not a file: removed below
            pass
        else:
            info = os.fstat(fd)
            if stat.S_ISREG(info.st_mode) and info.st_nlink == 1:
                return os.fdopen(fd, "ab"), info.st_size
            os.close(fd)
    _remove(partial)
    fd = os.open(partial, _NEW, 0o666)
    return os.fdopen(fd, "ab"), 0


def publish(dest: Path) -> Path:
    """Give ``<dest>.part`` its final name (a link there is replaced, not followed)."""
    os.replace(partial_of(dest), dest)
    return dest


def write_new(dest: Path, data: bytes) -> Path:
    """Write ``data`` as ``dest``, through ``<dest>.part``."""
    out, _ = open_partial(dest)
    try:
        with out:
            out.write(data)
    except BaseException:
        partial_of(dest).unlink(missing_ok=True)
        raise
    return publish(dest)
